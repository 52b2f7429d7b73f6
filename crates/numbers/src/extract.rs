//! The scanner: finds number mentions in one sentence and normalises them.

use std::cell::OnceCell;
use std::sync::OnceLock;

use gongwen_model::{NumberKind, NumberMention, Span};

use crate::decimal::Decimal;
use crate::numeral::{
    ascii_digit, big_unit_exp, digit_value, is_numeral_char, parse_chars, small_unit_exp,
    NumeralMode,
};
use crate::tables::{word_ending_at, Tables, Unit};

/// Longest quoted text still read as a name (slogans and programme names are short).
const MAX_NAME_QUOTE: usize = 16;

/// Longest run of Chinese numeral characters read as one number (bounds the work on junk).
const MAX_NUMERAL_CHARS: usize = 32;

/// Most magnitude characters folded after digits (千万亿 has three).
const MAX_MAGNITUDES: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CoreType {
    Arabic,
    Chinese,
    Placeholder,
}

/// A bare number: digits (Arabic or Chinese) or a placeholder, with folded magnitudes.
#[derive(Debug, Clone)]
struct Core {
    start: usize,
    end: usize,
    ty: CoreType,
    /// Value including magnitudes; `None` for placeholders.
    value: Option<Decimal>,
    /// Power of ten of the magnitudes written after the digits (3万亿 → 12; 三十万 → 4).
    magnitude: i32,
    /// Number of integer digits (Arabic) — 2023 has 4.
    int_digits: usize,
    has_point: bool,
    /// Chinese digit string (一七二零), when the numeral has no unit characters.
    digit_string: Option<Vec<u8>>,
    /// Chinese numeral with no digit at all (百, 千, 万亿).
    bare_magnitude: bool,
    /// Just 一.
    is_one: bool,
    /// 多/余 between number and unit.
    infix: Option<String>,
}

/// One candidate: core(s), unit, kind and where it ends.
#[derive(Debug, Clone)]
struct Found {
    text_start: usize,
    text_end: usize,
    kind: NumberKind,
    value: Option<Decimal>,
    low: Option<Decimal>,
    high: Option<Decimal>,
    unit: Option<String>,
    iso: Option<String>,
    qualifier: Option<String>,
    redacted: bool,
    with_subject: bool,
}

/// Per-sentence context.
pub(crate) struct Sentence<'a> {
    pub chars: &'a [char],
    /// Quoted ranges (content start, content end, short enough to be a name), found on first
    /// use: most sentences never ask.
    quotes: OnceCell<Vec<(usize, usize, bool)>>,
}

impl<'a> Sentence<'a> {
    pub fn new(chars: &'a [char]) -> Sentence<'a> {
        Sentence {
            chars,
            quotes: OnceCell::new(),
        }
    }

    fn at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn in_name_quote(&self, i: usize) -> bool {
        self.quotes
            .get_or_init(|| quote_ranges(self.chars))
            .iter()
            .any(|&(s, e, short)| short && s <= i && i < e)
    }
}

fn quote_ranges(chars: &[char]) -> Vec<(usize, usize, bool)> {
    let mut out = Vec::new();
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut ascii_open: Option<usize> = None;
    for (i, &c) in chars.iter().enumerate() {
        // Most characters are plain Han: no quote among them.
        if matches!(c, '\u{4E00}'..='\u{9FFF}') {
            continue;
        }
        let close_of = match c {
            '”' => Some('“'),
            '’' => Some('‘'),
            '」' => Some('「'),
            '』' => Some('『'),
            '》' => Some('《'),
            '〉' => Some('〈'),
            _ => None,
        };
        if matches!(c, '“' | '‘' | '「' | '『' | '《' | '〈') {
            stack.push((c, i));
        } else if let Some(open) = close_of {
            if let Some(pos) = stack.iter().rposition(|&(o, _)| o == open) {
                let (_, s) = stack.get(pos).copied().unwrap_or((open, i));
                stack.truncate(pos);
                out.push((s + 1, i, is_short(chars, s + 1, i)));
            }
        } else if c == '"' {
            match ascii_open.take() {
                Some(s) => out.push((s + 1, i, is_short(chars, s + 1, i))),
                None => ascii_open = Some(i),
            }
        }
    }
    out
}

fn is_short(chars: &[char], s: usize, e: usize) -> bool {
    let content = chars.get(s..e).unwrap_or(&[]);
    content.len() <= MAX_NAME_QUOTE
        && !content.iter().any(|c| {
            matches!(
                c,
                '，' | '。' | '！' | '？' | '；' | ',' | '!' | '?' | ';' | '：' | ':'
            )
        })
}

fn is_placeholder(c: char) -> bool {
    matches!(c, 'X' | 'Ｘ')
}

fn is_range_connector(c: char) -> bool {
    matches!(c, '到' | '至' | '~' | '～' | '-' | '－' | '—' | '–')
}

fn is_clause_break(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '；' | ';' | '：' | ':' | '。' | '！' | '!' | '？' | '?' | '\n'
    )
}

/// Can a mention start here? (The rule; [`CandidateChars`] answers it fast.)
pub(crate) fn is_candidate(c: char) -> bool {
    ascii_digit(c).is_some() || is_numeral_char(c) || is_placeholder(c) || matches!(c, '第' | '翻')
}

/// [`is_candidate`] as a bitmap over the Basic Multilingual Plane (no candidate lies beyond
/// it), so that scanning a sentence costs one load and one test per character instead of a
/// dozen comparisons.
pub(crate) struct CandidateChars {
    bits: [u64; 1024],
}

impl CandidateChars {
    /// The bitmap, built on first use.
    pub(crate) fn get() -> &'static CandidateChars {
        static CANDIDATES: OnceLock<CandidateChars> = OnceLock::new();
        CANDIDATES.get_or_init(|| {
            let mut bits = [0u64; 1024];
            for c in 0u32..0x1_0000 {
                if char::from_u32(c).is_some_and(is_candidate) {
                    if let Some(word) = bits.get_mut((c >> 6) as usize) {
                        *word |= 1u64 << (c & 63);
                    }
                }
            }
            CandidateChars { bits }
        })
    }

    /// Same as [`is_candidate`].
    #[inline]
    pub(crate) fn contains(&self, c: char) -> bool {
        let c = c as u32;
        self.bits
            .get((c >> 6) as usize)
            .is_some_and(|word| word >> (c & 63) & 1 == 1)
    }

    /// Position of the first candidate in `chars` at or after `from`.
    #[inline]
    pub(crate) fn next_in(&self, chars: &[char], from: usize) -> Option<usize> {
        chars
            .get(from..)?
            .iter()
            .position(|&c| self.contains(c))
            .map(|k| from + k)
    }
}

impl Tables {
    /// All mentions of one sentence, whose first candidate character (see
    /// [`CandidateChars`]) is at `first` or later (nothing before it is looked at).
    pub(crate) fn scan(
        &self,
        s: &Sentence<'_>,
        first: usize,
        with_subject: bool,
        max_subject: usize,
    ) -> Vec<NumberMention> {
        let chars = s.chars;
        let candidates = CandidateChars::get();
        let mut out = Vec::new();
        let mut i = first;
        while let Some(next) = candidates.next_in(chars, i) {
            i = next;
            let Some(&c) = chars.get(i) else { break };
            let found = if self.numeral_leads_nowhere(chars, i) {
                None
            } else {
                self.mention_at(s, i)
            };
            if let Some(f) = found {
                let end = f.text_end.max(i + 1);
                out.push(self.to_mention(s, f, with_subject, max_subject));
                i = end;
                continue;
            }
            // Skip the rest of this run of digits or numerals.
            let digit_run = ascii_digit(c).is_some();
            i += 1;
            while let Some(&c) = chars.get(i) {
                let same = if digit_run {
                    ascii_digit(c).is_some() || matches!(c, '.' | '．')
                } else {
                    is_numeral_char(c)
                };
                if !same {
                    break;
                }
                i += 1;
            }
        }
        out
    }

    /// A quick test that a Chinese numeral at `i` (一 of 统一, 进一步, 一些) starts no mention,
    /// so the full grammar need not run there. For a Chinese core, [`Tables::mention_at`]
    /// finds something only with a unit, a range connector, `分之`, `多`/`余`, `个亿` or `点`
    /// right after the numeral (possibly shortened, so at any position of its run after `i`
    /// or just past it), or with a magnitude of at least 万 (which needs 万/亿 in the run, or
    /// small units 十百千 adding up to four). `true` only when none of these can happen; `百`
    /// and `千` (which may open `百分之`/`千分之`) and every non-numeral candidate are left to
    /// the grammar.
    fn numeral_leads_nowhere(&self, chars: &[char], i: usize) -> bool {
        match chars.get(i) {
            Some(&c) if is_numeral_char(c) && !matches!(c, '百' | '千') => {}
            _ => return false,
        }
        let mut small_exps = 0;
        let mut k = i;
        while let Some(&c) = chars.get(k) {
            if !is_numeral_char(c) {
                break;
            }
            if big_unit_exp(c).is_some() || (k > i && self.may_follow_numeral(c)) {
                return false;
            }
            small_exps += small_unit_exp(c).unwrap_or(0);
            k += 1;
        }
        if chars.get(k).is_some_and(|&c| self.may_follow_numeral(c)) {
            return false;
        }
        small_exps < 4
    }

    /// Whether `c` right after a Chinese numeral may make it a mention: the first character
    /// of a unit, a range connector, `分` (`分之`), an infix qualifier (`多`, `余`), `个`
    /// (`两个亿`) or a decimal point.
    fn may_follow_numeral(&self, c: char) -> bool {
        matches!(c, '分' | '个' | '点' | '點')
            || is_range_connector(c)
            || self.units.contains_key(&c)
            || self
                .infix_qualifiers
                .iter()
                .any(|q| q.chars.first() == Some(&c))
    }

    fn to_mention(
        &self,
        s: &Sentence<'_>,
        f: Found,
        with_subject: bool,
        max_subject: usize,
    ) -> NumberMention {
        let text: String = s
            .chars
            .get(f.text_start..f.text_end)
            .unwrap_or(&[])
            .iter()
            .collect();
        let subject = if with_subject && f.with_subject {
            let q_start = self
                .prefix_qualifier(s.chars, f.text_start)
                .map(|(_, st)| st)
                .unwrap_or(f.text_start);
            self.subject(s.chars, q_start, max_subject, f.kind)
        } else {
            None
        };
        NumberMention {
            sent_idx: 0,
            section_id: None,
            span: Span::new(f.text_start, f.text_end),
            text,
            kind: f.kind,
            value: f.value.map(Decimal::to_f64),
            low: f.low.map(Decimal::to_f64),
            high: f.high.map(Decimal::to_f64),
            unit: f.unit,
            iso: f.iso,
            qualifier: f.qualifier,
            redacted: f.redacted,
            subject,
        }
    }

    /// The prefix qualifier ending at `at`: (qualifier, where the form starts).
    fn prefix_qualifier(&self, chars: &[char], at: usize) -> Option<(Option<String>, usize)> {
        let head = chars.get(..at)?;
        if !self.prefix_last.contains(*head.last()?) {
            return None;
        }
        let form = self
            .prefix_qualifiers
            .iter()
            .find(|q| head.ends_with(&q.chars))?;
        Some((form.qualifier.clone(), at - form.chars.len()))
    }

    fn suffix_qualifier(&self, chars: &[char], at: usize) -> Option<Option<String>> {
        let rest = chars.get(at..)?;
        if !self.suffix_first.contains(*rest.first()?) {
            return None;
        }
        let form = self
            .suffix_qualifiers
            .iter()
            .find(|q| rest.starts_with(&q.chars))?;
        Some(form.qualifier.clone())
    }

    /// Parses digits, Chinese numerals or a placeholder at `p`, with magnitudes and an
    /// infix qualifier; stops before the unit.
    fn core_at(&self, s: &Sentence<'_>, p: usize) -> Option<Core> {
        let chars = s.chars;
        let c = s.at(p)?;
        let mut core = if ascii_digit(c).is_some() {
            arabic_at(chars, p)?
        } else if is_numeral_char(c) {
            self.chinese_at(chars, p)?
        } else if is_placeholder(c) {
            let mut e = p;
            while s.at(e).is_some_and(is_placeholder) {
                e += 1;
            }
            Core {
                start: p,
                end: e,
                ty: CoreType::Placeholder,
                value: None,
                magnitude: 0,
                int_digits: 0,
                has_point: false,
                digit_string: None,
                bare_magnitude: false,
                is_one: false,
                infix: None,
            }
        } else {
            return None;
        };
        if core.ty != CoreType::Chinese {
            self.fold_magnitudes(chars, &mut core);
        }
        // 多/余 between number and unit, then perhaps more magnitudes (100多万).
        if let Some(form) = self.infix_qualifiers.iter().find(|q| {
            chars
                .get(core.end..)
                .is_some_and(|r| r.starts_with(&q.chars))
        }) {
            let after = core.end + form.chars.len();
            let next = chars.get(after).copied();
            let continues = next
                .is_some_and(|n| big_unit_exp(n).is_some() || small_unit_exp(n).is_some())
                || self.unit_at(chars, after).is_some();
            if continues {
                core.infix = form.qualifier.clone();
                core.end = after;
                self.fold_magnitudes(chars, &mut core);
            }
        }
        // 两个亿
        if core.ty == CoreType::Chinese
            && s.at(core.end) == Some('个')
            && s.at(core.end + 1).and_then(big_unit_exp).is_some()
        {
            core.end += 1;
            self.fold_magnitudes(chars, &mut core);
        }
        Some(core)
    }

    fn fold_magnitudes(&self, chars: &[char], core: &mut Core) {
        let mut folded = 0;
        while let Some(&c) = chars.get(core.end) {
            if folded >= MAX_MAGNITUDES {
                break;
            }
            folded += 1;
            let exp = match (big_unit_exp(c), c) {
                (Some(e), _) => e,
                (None, '千' | '仟') => 3,
                (None, '百' | '佰') => 2,
                _ => break,
            };
            // 千瓦, 千米, 百分点 are units, not magnitudes.
            if self
                .unit_at(chars, core.end)
                .is_some_and(|u| u.chars.len() > 1)
            {
                break;
            }
            core.magnitude += exp;
            core.value = core.value.map(|v| v.shift(exp));
            core.end += 1;
        }
    }

    fn chinese_at(&self, chars: &[char], p: usize) -> Option<Core> {
        let mut e = p;
        while let Some(&c) = chars.get(e) {
            if e - p >= MAX_NUMERAL_CHARS {
                break;
            }
            let decimal_point = matches!(c, '点' | '點')
                && e > p
                && chars.get(e + 1).and_then(|&n| digit_value(n)).is_some();
            if is_numeral_char(c) || decimal_point {
                e += 1;
            } else {
                break;
            }
        }
        // A unit that starts with a magnitude character (千瓦, 千米) ends the numeral.
        while e > p + 1 {
            let last = chars.get(e - 1).copied()?;
            if (small_unit_exp(last).is_some() || big_unit_exp(last).is_some())
                && self
                    .unit_at(chars, e - 1)
                    .is_some_and(|u| u.chars.len() > 1)
            {
                e -= 1;
            } else {
                break;
            }
        }
        // Longest prefix that parses.
        while e > p {
            let run = chars.get(p..e)?;
            if let Ok(value) = parse_chars(run, NumeralMode::Normal) {
                let digit_string = if run.iter().all(|&c| digit_value(c).is_some()) && run.len() > 1
                {
                    Some(run.iter().filter_map(|&c| digit_value(c)).collect())
                } else {
                    None
                };
                let has_digit = run.iter().any(|&c| {
                    digit_value(c).is_some_and(|d| d > 0) || matches!(c, '廿' | '卅' | '卌')
                });
                let first_is_ten = matches!(run.first(), Some('十' | '拾'));
                let magnitude = run
                    .iter()
                    .rev()
                    .map_while(|&c| big_unit_exp(c).or_else(|| small_unit_exp(c)))
                    .sum();
                return Some(Core {
                    start: p,
                    end: e,
                    ty: CoreType::Chinese,
                    value: Some(value),
                    magnitude,
                    int_digits: 0,
                    has_point: run.iter().any(|&c| matches!(c, '点' | '點')),
                    digit_string,
                    bare_magnitude: !has_digit && !first_is_ten,
                    is_one: matches!(run, ['一'] | ['壹']),
                    infix: None,
                });
            }
            e -= 1;
        }
        None
    }

    /// The unit at `at` if allowed after `core`.
    fn unit_for(&self, chars: &[char], at: usize, core: &Core) -> Option<&Unit> {
        let u = self.unit_at(chars, at)?;
        if u.no_chinese && core.ty == CoreType::Chinese {
            return None;
        }
        if u.no_placeholder && core.ty == CoreType::Placeholder && core.magnitude == 0 {
            return None;
        }
        Some(u)
    }

    fn mention_at(&self, s: &Sentence<'_>, i: usize) -> Option<Found> {
        let chars = s.chars;
        let c = s.at(i)?;
        let rest = chars.get(i..)?;
        // 百分之十五, 千分之三
        for (prefix, scale) in [(&['百', '分', '之'][..], 0), (&['千', '分', '之'][..], -1)] {
            if rest.starts_with(prefix) {
                let core = self.core_at(s, i + 3)?;
                if core.ty == CoreType::Chinese && s.in_name_quote(i) {
                    return None;
                }
                let mut f = self.base_found(s, i, core.end);
                f.kind = NumberKind::Percent;
                f.value = core.value.map(|v| v.shift(scale));
                f.unit = Some("%".into());
                f.redacted = core.ty == CoreType::Placeholder;
                return Some(self.finish(s, f));
            }
        }
        // 翻两番, 翻了一番
        if c == '翻' {
            let mut p = i + 1;
            if s.at(p) == Some('了') {
                p += 1;
            }
            let core = self.core_at(s, p)?;
            if s.at(core.end) != Some('番') || s.in_name_quote(i) {
                return None;
            }
            let n = core.value?.to_i128()?;
            if !(1..=10).contains(&n) {
                return None;
            }
            let mut f = self.base_found(s, i, core.end + 1);
            f.kind = NumberKind::Multiple;
            f.value = Some(Decimal::from_int(1i128 << n));
            f.unit = Some("倍".into());
            return Some(self.finish(s, f));
        }
        // 第16位, 第一家
        if c == '第' {
            let core = self.core_at(s, i + 1)?;
            if core.ty == CoreType::Chinese && s.in_name_quote(i) {
                return None;
            }
            let unit = self.unit_for(chars, core.end, &core);
            if core.ty == CoreType::Chinese && unit.is_none() {
                return None;
            }
            let end = core.end + unit.map_or(0, |u| u.chars.len());
            let mut f = self.base_found(s, i, end);
            f.kind = NumberKind::Rank;
            f.value = core.value;
            f.unit = unit.map(|u| u.chars.iter().collect());
            f.redacted = core.ty == CoreType::Placeholder;
            return Some(self.finish(s, f));
        }
        // 5+2+2, 2+13+N
        if ascii_digit(c).is_some() {
            if let Some(end) = formula_end(chars, i) {
                let mut f = self.base_found(s, i, end);
                f.kind = NumberKind::Name;
                f.with_subject = false;
                return Some(f);
            }
        }
        let core = self.core_at(s, i)?;
        // 三分之一: a fraction.
        if chars
            .get(core.end..)
            .is_some_and(|r| r.starts_with(&['分', '之']))
            && core.ty != CoreType::Placeholder
        {
            let num = self.core_at(s, core.end + 2)?;
            if s.in_name_quote(i) {
                return None;
            }
            let (d, n) = (core.value?.to_f64(), num.value?.to_f64());
            if d == 0.0 {
                return None;
            }
            let mut f = self.base_found(s, i, num.end);
            f.kind = NumberKind::Other;
            f.value = Decimal::parse_ascii(
                &format!("{:.12}", n / d)
                    .trim_end_matches('0')
                    .trim_end_matches('.')
                    .replace('-', ""),
            );
            return Some(self.finish(s, f));
        }
        // 2023-04-18, 2023/4/18
        if core.ty == CoreType::Arabic {
            if let Some(f) = self.iso_date(s, &core) {
                return Some(f);
            }
        }
        let unit = self.unit_for(chars, core.end, &core);
        let mut end = core.end + unit.map_or(0, |u| u.chars.len());

        // Ranges: 3到5年, 1-5月份, 两到三万元.
        if let Some(f) = self.range(s, &core, unit, end) {
            return Some(f);
        }

        let mut f = self.base_found(s, i, end);
        f.redacted = core.ty == CoreType::Placeholder;
        f.qualifier = core.infix.clone();
        let prefix_q = self.prefix_qualifier(chars, i).and_then(|(q, _)| q);

        if core.ty == CoreType::Chinese && !self.chinese_ok(s, &core, unit, i) {
            return None;
        }
        let value = core.value;
        match unit {
            Some(u) if u.chars == ['年'] => {
                if self.year_like(&core) && prefix_q.is_none() {
                    if s.at(end) == Some('度') {
                        end += 1;
                    }
                    let year = value.and_then(|v| v.to_i128()).unwrap_or(0);
                    if let Some((iso, e)) = self.month_day(s, end, Some(year)) {
                        f.kind = NumberKind::Date;
                        f.iso = Some(iso);
                        f.text_end = e;
                        f.with_subject = false;
                        return Some(self.finish(s, f));
                    }
                    f.kind = NumberKind::Year;
                    f.value = value;
                    f.unit = Some("年".into());
                    f.text_end = end;
                    f.with_subject = false;
                    return Some(self.finish(s, f));
                }
                f.kind = NumberKind::Duration;
                f.value = value;
                f.unit = Some("年".into());
            }
            Some(u) if u.kind == NumberKind::Date => {
                if let Some((iso, e)) = self.month_day(s, i, None) {
                    f.kind = NumberKind::Date;
                    f.iso = Some(iso);
                    f.text_end = e;
                    f.with_subject = false;
                    return Some(self.finish(s, f));
                }
                if core.ty == CoreType::Placeholder {
                    f.kind = NumberKind::Date;
                    f.with_subject = false;
                    return Some(self.finish(s, f));
                }
                // 13月 or 40日 is no date: a bare number.
                return self.bare(s, &core, prefix_q);
            }
            Some(u) => {
                f.kind = u.kind;
                f.value = value.and_then(|v| v.checked_mul(u.factor));
                f.unit = Some(u.base.clone());
            }
            None => return self.bare(s, &core, prefix_q),
        }
        f.text_end = end;
        if core.ty == CoreType::Placeholder {
            f.value = None;
        }
        Some(self.finish(s, f))
    }

    fn base_found(&self, _s: &Sentence<'_>, start: usize, end: usize) -> Found {
        Found {
            text_start: start,
            text_end: end,
            kind: NumberKind::Other,
            value: None,
            low: None,
            high: None,
            unit: None,
            iso: None,
            qualifier: None,
            redacted: false,
            with_subject: true,
        }
    }

    /// Adds prefix/suffix qualifiers.
    fn finish(&self, s: &Sentence<'_>, mut f: Found) -> Found {
        if f.qualifier.is_none() {
            if let Some((q, _)) = self.prefix_qualifier(s.chars, f.text_start) {
                f.qualifier = q;
            }
        }
        if f.qualifier.is_none() {
            if let Some(q) = self.suffix_qualifier(s.chars, f.text_end) {
                f.qualifier = q;
            }
        }
        f
    }

    /// A number with no unit.
    fn bare(&self, s: &Sentence<'_>, core: &Core, prefix_q: Option<String>) -> Option<Found> {
        let chars = s.chars;
        let mut f = self.base_found(s, core.start, core.end);
        f.qualifier = core.infix.clone().or(prefix_q);
        f.value = core.value;
        match core.ty {
            CoreType::Placeholder => return None,
            CoreType::Chinese => {
                // 二十万产业工人: a Chinese numeral with 万/亿 stands alone.
                if core.magnitude < 4 || core.bare_magnitude {
                    return None;
                }
            }
            CoreType::Arabic => {
                // 5G, 4K: part of a name.
                if s.at(core.end).is_some_and(|c| c.is_ascii_alphabetic())
                    || (core.start > 0
                        && s.at(core.start - 1)
                            .is_some_and(|c| c.is_ascii_alphabetic()))
                {
                    let mut e = core.end;
                    while s.at(e).is_some_and(|c| c.is_ascii_alphanumeric()) {
                        e += 1;
                    }
                    f.text_end = e;
                    f.kind = NumberKind::Name;
                    f.with_subject = false;
                    return Some(f);
                }
                // Numbering markers: 1、 2. （3）
                let before = if core.start == 0 {
                    None
                } else {
                    s.at(core.start - 1)
                };
                let after = s.at(core.end);
                let at_clause_start =
                    before.is_none_or(is_clause_break) || matches!(before, Some('（' | '(' | ' '));
                if at_clause_start && matches!(after, Some('、' | '.' | '．' | ')' | '）')) {
                    return None;
                }
                if s.in_name_quote(core.start) {
                    f.kind = NumberKind::Name;
                    f.with_subject = false;
                    return Some(f);
                }
            }
        }
        if core.magnitude >= 8 && self.money_context(chars, core.start) {
            f.kind = NumberKind::Money;
            f.unit = Some("元".into());
        }
        Some(self.finish(s, f))
    }

    fn money_context(&self, chars: &[char], before: usize) -> bool {
        let head = chars.get(..before).unwrap_or(&[]);
        self.money_cues.iter().any(|w| {
            head.windows(w.len().max(1))
                .any(|win| win.first() == w.first() && win == w.as_slice())
        })
    }

    /// Rules for Chinese numerals (they are words as often as they are numbers).
    ///
    /// Every rule must hold; the cheap ones are tested first, the quotation test (which finds
    /// the sentence's quotations on first use) and the idiom search last, since most Chinese
    /// numerals (一 of 统一, 进一步) fail a cheap one.
    fn chinese_ok(&self, s: &Sentence<'_>, core: &Core, unit: Option<&Unit>, start: usize) -> bool {
        if core.bare_magnitude {
            return false;
        }
        if let Some(digits) = &core.digit_string {
            let year = digits.len() == 4 && unit.is_some_and(|u| u.chars == ['年']);
            if !year {
                return false;
            }
        }
        if core.is_one {
            // 一 + unit is an article (一批, 一项工作) unless the text stresses the count.
            let cue_end = self
                .prefix_qualifier(s.chars, start)
                .map_or(start, |(_, st)| st);
            if word_ending_at(&self.one_cues, s.chars, cue_end).is_none() {
                return false;
            }
        }
        if unit.is_none() && core.magnitude < 4 {
            return false;
        }
        if s.in_name_quote(core.start) {
            return false;
        }
        let end = core.end + unit.map_or(0, |u| u.chars.len());
        !self.in_idiom(s.chars, start, end)
    }

    /// True when an idiom of the table covers `start..end` where it occurs.
    fn in_idiom(&self, chars: &[char], start: usize, end: usize) -> bool {
        let max = self.not_numbers_max;
        if max == 0 {
            return false;
        }
        let mut buf = String::new();
        for a in start.saturating_sub(max.saturating_sub(end - start))..=start {
            let starts_idiom = chars
                .get(a)
                .is_some_and(|&c| self.not_numbers_first.contains(c));
            if !starts_idiom {
                continue;
            }
            for b in end..=(a + max).min(chars.len()) {
                buf.clear();
                buf.extend(chars.get(a..b).unwrap_or(&[]));
                if self.not_numbers.contains(&buf) {
                    return true;
                }
            }
        }
        false
    }

    fn year_like(&self, core: &Core) -> bool {
        match core.ty {
            CoreType::Arabic => {
                core.int_digits == 4
                    && !core.has_point
                    && core.magnitude == 0
                    && core.infix.is_none()
                    && core
                        .value
                        .and_then(|v| v.to_i128())
                        .is_some_and(|y| (1800..=2199).contains(&y))
            }
            CoreType::Chinese => core.digit_string.as_ref().is_some_and(|d| d.len() == 4),
            CoreType::Placeholder => false,
        }
    }

    /// `M月[D日]` at `p` (or `D日` alone when `year` is `None`); returns ISO and end.
    fn month_day(&self, s: &Sentence<'_>, p: usize, year: Option<i128>) -> Option<(String, usize)> {
        let chars = s.chars;
        let core = self.core_at(s, p)?;
        if core.ty == CoreType::Placeholder || core.infix.is_some() || core.magnitude != 0 {
            return None;
        }
        let n = core.value?.to_i128()?;
        let unit = self.unit_at(chars, core.end)?;
        match unit.chars.as_slice() {
            ['月'] | ['月', '份'] if (1..=12).contains(&n) => {
                let mut end = core.end + unit.chars.len();
                let month = n;
                if let Some(day_core) = self.core_at(s, end) {
                    if day_core.ty != CoreType::Placeholder {
                        if let Some(d) = day_core.value.and_then(|v| v.to_i128()) {
                            if (1..=31).contains(&d)
                                && matches!(s.at(day_core.end), Some('日' | '号'))
                            {
                                end = day_core.end + 1;
                                let iso = match year {
                                    Some(y) => format!("{y:04}-{month:02}-{d:02}"),
                                    None => format!("--{month:02}-{d:02}"),
                                };
                                return Some((iso, end));
                            }
                        }
                    }
                }
                let iso = match year {
                    Some(y) => format!("{y:04}-{month:02}"),
                    None => format!("--{month:02}"),
                };
                Some((iso, end))
            }
            ['日'] if year.is_none() && (1..=31).contains(&n) => {
                Some((format!("---{n:02}"), core.end + 1))
            }
            _ => None,
        }
    }

    fn iso_date(&self, s: &Sentence<'_>, core: &Core) -> Option<Found> {
        if core.int_digits != 4 || core.has_point || core.magnitude != 0 {
            return None;
        }
        let sep = s.at(core.end)?;
        if !matches!(sep, '-' | '/' | '.' | '－' | '／' | '．') {
            return None;
        }
        let (m, e1) = small_int(s.chars, core.end + 1)?;
        if s.at(e1) != Some(sep) {
            return None;
        }
        let (d, e2) = small_int(s.chars, e1 + 1)?;
        if s.at(e2).and_then(ascii_digit).is_some()
            || !(1..=12).contains(&m)
            || !(1..=31).contains(&d)
        {
            return None;
        }
        let y = core.value?.to_i128()?;
        let mut f = self.base_found(s, core.start, e2);
        f.kind = NumberKind::Date;
        f.iso = Some(format!("{y:04}-{m:02}-{d:02}"));
        f.with_subject = false;
        Some(f)
    }

    fn range(
        &self,
        s: &Sentence<'_>,
        low: &Core,
        low_unit: Option<&Unit>,
        low_end: usize,
    ) -> Option<Found> {
        let chars = s.chars;
        if low.ty == CoreType::Placeholder || low.infix.is_some() {
            return None;
        }
        let mut p = low_end;
        let conn = s.at(p)?;
        if !is_range_connector(conn) {
            return None;
        }
        p += 1;
        while s.at(p).is_some_and(|c| is_range_connector(c) && c == conn) {
            p += 1;
        }
        let high = self.core_at(s, p)?;
        if high.ty == CoreType::Placeholder {
            return None;
        }
        // A date like 2023-04-18 or a hyphenated code is no range.
        if matches!(conn, '-' | '－') && s.at(high.end) == Some(conn) {
            return None;
        }
        let high_unit = self.unit_for(chars, high.end, &high);
        let unit = match (low_unit, high_unit) {
            (None, Some(h)) => h,
            (Some(l), Some(h)) if l.chars == h.chars => h,
            _ => return None,
        };
        if low.ty == CoreType::Chinese && (s.in_name_quote(low.start) || low.bare_magnitude) {
            return None;
        }
        if high.ty == CoreType::Chinese && (s.in_name_quote(high.start) || high.bare_magnitude) {
            return None;
        }
        let mut lo = low.value?;
        let hi = high.value?;
        if low.magnitude == 0 && high.magnitude > 0 && low_unit.is_none() {
            let borrowed = lo.shift(high.magnitude);
            if borrowed.to_f64() <= hi.to_f64() {
                lo = borrowed;
            }
        }
        if lo.to_f64() > hi.to_f64() {
            return None;
        }
        let end = high.end + unit.chars.len();
        let mut f = self.base_found(s, low.start, end);
        let is_month = matches!(unit.chars.as_slice(), ['月'] | ['月', '份']);
        let is_year = unit.chars == ['年'] && self.year_like(low) && self.year_like(&high);
        if is_month || unit.chars == ['日'] || is_year {
            f.kind = NumberKind::Period;
            f.unit = Some(if is_month {
                "月".into()
            } else {
                unit.base.clone()
            });
            f.with_subject = false;
            f.low = Some(lo);
            f.high = Some(hi);
        } else if unit.kind == NumberKind::Date {
            return None;
        } else {
            f.kind = unit.kind;
            f.unit = Some(unit.base.clone());
            f.low = lo.checked_mul(unit.factor);
            f.high = hi.checked_mul(unit.factor);
        }
        Some(self.finish(s, f))
    }

    /// The indicator a number measures: the words before it in its clause.
    fn subject(
        &self,
        chars: &[char],
        before: usize,
        max: usize,
        kind: NumberKind,
    ) -> Option<String> {
        // Without a verb or comparison the words before a count or duration are rarely an
        // indicator (我讲|三点意见); indicators measured in money or percent usually are
        // (…比重|40%). Other kinds (dates, years…) have none: decided before the clause is
        // read.
        let ratio_like = matches!(
            kind,
            NumberKind::Money
                | NumberKind::Percent
                | NumberKind::PercentPoint
                | NumberKind::Multiple
        );
        if !matches!(
            kind,
            NumberKind::Count | NumberKind::Measure | NumberKind::Rank
        ) && !ratio_like
        {
            return None;
        }
        let mut start = before;
        while start > 0 && !chars.get(start - 1).copied().is_some_and(is_clause_break) {
            start -= 1;
        }
        let seg = chars.get(start..before)?;
        // Word hits left to right, skipping over indicator words that contain a cut word.
        let mut first_before: Option<usize> = None;
        let mut verbs: Vec<(usize, usize, bool)> = Vec::new();
        let mut p = 0;
        while p < seg.len() {
            let rest = seg.get(p..).unwrap_or(&[]);
            // No word of the four lists starts here: the common case, decided fast.
            if rest
                .first()
                .is_none_or(|&c| !self.subject_first.contains(c))
            {
                p += 1;
                continue;
            }
            // A word can only match where its first character is (cheap test first).
            let first = rest.first();
            let starts = |w: &&Vec<char>| w.first() == first && rest.starts_with(w);
            if let Some(k) = self.subject_keep.iter().find(starts) {
                p += k.len();
                continue;
            }
            if p > 0 && self.subject_before.iter().any(|w| starts(&w)) {
                first_before = Some(p);
                break;
            }
            if let Some(v) = self.subject_verb.iter().find(starts) {
                verbs.push((p, p + v.len(), false));
                p += v.len();
                continue;
            }
            if let Some(v) = self.subject_action.iter().find(starts) {
                verbs.push((p, p + v.len(), true));
                p += v.len();
                continue;
            }
            p += 1;
        }
        if first_before.is_none() && verbs.is_empty() && !ratio_like {
            return None;
        }
        let seg = seg.get(..first_before.unwrap_or(seg.len()))?;
        let verbs: Vec<(usize, usize, bool)> =
            verbs.into_iter().filter(|v| v.1 <= seg.len()).collect();
        let candidates: Vec<(usize, usize)> = match (verbs.last(), verbs.first()) {
            (Some(&(_, after, true)), _) => vec![(after, seg.len())],
            (Some(&(_, after, false)), Some(&(first, _, _))) => {
                vec![(after, seg.len()), (0, first)]
            }
            _ => vec![(0, seg.len())],
        };
        candidates
            .into_iter()
            .find_map(|(a, b)| self.clean_subject(seg.get(a..b.max(a))?, max))
    }

    fn clean_subject(&self, seg: &[char], max: usize) -> Option<String> {
        let mut a = 0;
        let mut b = seg.len();
        loop {
            let cur = seg.get(a..b).unwrap_or(&[]);
            if let Some(w) = self
                .subject_lead
                .iter()
                .find(|w| cur.starts_with(w) && cur.len() > w.len())
            {
                a += w.len();
                continue;
            }
            if let Some(w) = self
                .subject_trail
                .iter()
                .find(|w| cur.ends_with(w) && cur.len() > w.len())
            {
                b -= w.len();
                continue;
            }
            break;
        }
        let subj = seg.get(a..b)?;
        if subj.len() < 2
            || subj.len() > max
            || subj.iter().any(|c| !c.is_alphanumeric())
            || subj.iter().any(|&c| ascii_digit(c).is_some())
        {
            return None;
        }
        Some(subj.iter().collect())
    }
}

fn small_int(chars: &[char], p: usize) -> Option<(i128, usize)> {
    let mut e = p;
    let mut n: i128 = 0;
    while let Some(d) = chars.get(e).copied().and_then(ascii_digit) {
        n = n * 10 + i128::from(d);
        e += 1;
        if e - p > 2 {
            return None;
        }
    }
    if e == p {
        None
    } else {
        Some((n, e))
    }
}

/// Arabic digits with thousands separators and a decimal part.
fn arabic_at(chars: &[char], p: usize) -> Option<Core> {
    let mut text = String::new();
    let mut e = p;
    let mut int_digits = 0;
    let mut has_point = false;
    while let Some(&c) = chars.get(e) {
        if let Some(d) = ascii_digit(c) {
            text.push(char::from(b'0' + d));
            if !has_point {
                int_digits += 1;
            }
            e += 1;
        } else if matches!(c, ',' | '，') && !has_point && int_digits > 0 {
            // 1,234 and 1，234: exactly three digits, then no digit.
            let group: Vec<u8> = (1..=3)
                .filter_map(|k| chars.get(e + k).copied().and_then(ascii_digit))
                .collect();
            let after = chars.get(e + 4).copied().and_then(ascii_digit);
            if group.len() == 3 && after.is_none()
                || group.len() == 3 && chars.get(e + 4).is_some_and(|&c| matches!(c, ',' | '，'))
            {
                e += 1;
            } else {
                break;
            }
        } else if matches!(c, '.' | '．')
            && !has_point
            && chars.get(e + 1).and_then(|&n| ascii_digit(n)).is_some()
        {
            has_point = true;
            text.push('.');
            e += 1;
        } else {
            break;
        }
    }
    let value = Decimal::parse_ascii(&text)?;
    Some(Core {
        start: p,
        end: e,
        ty: CoreType::Arabic,
        value: Some(value),
        magnitude: 0,
        int_digits,
        has_point,
        digit_string: None,
        bare_magnitude: false,
        is_one: false,
        infix: None,
    })
}

/// End of a `5+2+2` / `2+13+N` formula starting at `p`.
fn formula_end(chars: &[char], p: usize) -> Option<usize> {
    let mut e = p;
    let mut terms = 0;
    loop {
        let s = e;
        while chars
            .get(e)
            .is_some_and(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        {
            e += 1;
        }
        if e == s {
            return None;
        }
        terms += 1;
        if matches!(chars.get(e), Some('+' | '＋'))
            && chars
                .get(e + 1)
                .is_some_and(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
        {
            e += 1;
        } else {
            break;
        }
    }
    if terms >= 2 {
        Some(e)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where the quick test says a Chinese numeral leads nowhere, the full grammar finds no
    /// mention either.
    fn quick_test_agrees_with_the_grammar(text: &str) -> Result<(), String> {
        let (tables, problems) = Tables::builtin();
        if !problems.is_empty() {
            return Err(format!("{problems:?}"));
        }
        let chars: Vec<char> = text.chars().collect();
        let s = Sentence::new(&chars);
        for i in 0..chars.len() {
            if tables.numeral_leads_nowhere(&chars, i) && tables.mention_at(&s, i).is_some() {
                return Err(format!("{text:?} at {i}"));
            }
        }
        Ok(())
    }

    #[test]
    fn quick_numeral_test_never_hides_a_mention() {
        for text in [
            "统一部署，进一步推进，一些企业一起发展",
            "一批项目，一项工作，三分之一，一到三年，一二三产",
            "两个亿，三点五，二十万产业工人，一万人，十千瓦，千分之三，百分之五",
            "九百九十九，五千五百，一百多家，一十一",
            "第一，一是，其一，一要，一、二季度",
        ] {
            assert_eq!(quick_test_agrees_with_the_grammar(text), Ok(()));
        }
        // The quick test does fire on plain words.
        let (tables, _) = Tables::builtin();
        let chars: Vec<char> = "统一进一步".chars().collect();
        assert!(tables.numeral_leads_nowhere(&chars, 1));
        assert!(tables.numeral_leads_nowhere(&chars, 3));
    }

    proptest::proptest! {
        #[test]
        fn quick_numeral_test_never_hides_a_mention_in_random_text(
            text in "[一二两三十百千万亿零〇点分之多余个到至\\-年月日元人家项批次倍位强吨公里米%的是了步些起，。“”]{0,14}",
        ) {
            proptest::prop_assert_eq!(quick_test_agrees_with_the_grammar(&text), Ok(()));
        }
    }

    #[test]
    fn candidate_bitmap_agrees_with_the_rule() {
        let set = CandidateChars::get();
        for c in (0u32..0x11_0000).filter_map(char::from_u32) {
            assert_eq!(set.contains(c), is_candidate(c), "{c:?}");
        }
        let chars: Vec<char> = "今年增长了百分之5".chars().collect();
        assert_eq!(set.next_in(&chars, 0), Some(5));
        assert_eq!(set.next_in(&chars, 6), Some(8));
        assert_eq!(set.next_in(&chars, 9), None);
        assert_eq!(set.next_in(&chars, 99), None);
    }
}
