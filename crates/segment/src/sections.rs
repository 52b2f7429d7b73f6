//! Section detection: numbered headings, in-paragraph enumerations and unnumbered
//! subheadings, nested into a tree by the order in which their styles appear.
//!
//! Three passes over a document:
//! 1. **Candidates.** At every paragraph start (and, for `clause` styles, at every sentence
//!    start and after every colon outside quotes) the marker styles of `markers.txt` are tried
//!    in order; guards drop dates, decimals, years and enumerations of numbers. Short lines
//!    standing alone between two body paragraphs are unnumbered subheading candidates.
//! 2. **Runs.** The candidates of one style are cut into runs where the numbering restarts at 1.
//!    A run of a `clause` style must start at 1 and reach 2 (`一是` … `二是`); a run of heading
//!    lines that follow each other directly, each a short single clause, is a list, not
//!    sections; a style needs at least one run of two; unnumbered subheadings need
//!    `subheading_min_count` of them.
//! 3. **Nesting.** A stack of open styles: a style already open closes everything below it
//!    and becomes a sibling; a new style nests one level deeper, except that an inline
//!    enumeration (`一是`) never contains a numbered heading (it is closed first).

use std::collections::HashMap;

use gongwen_model::{Section, Span};
use regex::{Regex, RegexSet};
use regex_syntax::hir::{Class, Hir, HirKind};

use crate::sentences::{is_closer, is_terminator, ByteOffsets, Split};

/// Whether a style is a numbered heading or an in-paragraph enumeration word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StyleClass {
    /// `一、`, `（一）`, `1.`, `第一，`…
    Heading,
    /// `一是`, `一要`, `首先，`…
    Inline,
}

/// Where a marker of a style may stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Position {
    /// Only at the start of a paragraph.
    Line,
    /// Also at a sentence start or after a colon inside a paragraph.
    Clause,
}

/// How the number of a marker is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OrdinalKind {
    /// Chinese numeral (一 … 九十九).
    Cn,
    /// Arabic digits.
    Ar,
    /// Circled or parenthesised digit characters (① ⑴ ⒈).
    Circled,
    /// An ordinal word (首先, 其次…).
    Word,
}

/// One marker style of the rules file.
#[derive(Debug, Clone)]
pub(crate) struct MarkerStyle {
    /// Name; styles with equal names are one style (their markers are siblings).
    pub name: String,
    /// Index of the first style with this name: the identity used for nesting.
    pub group: usize,
    /// Heading or inline.
    pub class: StyleClass,
    /// Line or clause.
    pub position: Position,
    /// How the number is written.
    pub ordinal: OrdinalKind,
    /// Anchored pattern with group `n`.
    pub regex: Regex,
}

/// A problem in a rules file, by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleProblem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Parses a marker rules file (see `data/segment/markers.txt`).
pub(crate) fn parse_marker_rules(text: &str) -> Result<Vec<MarkerStyle>, RuleProblem> {
    let mut styles = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = trimmed.split('\t').filter(|f| !f.is_empty()).collect();
        let problem = |message: String| RuleProblem {
            line: line_no,
            message,
        };
        let [name, class, position, ordinal, pattern] = fields.as_slice() else {
            return Err(problem(format!(
                "expected 5 tab-separated fields, found {}: `{trimmed}`",
                fields.len()
            )));
        };
        let class = match *class {
            "heading" => StyleClass::Heading,
            "inline" => StyleClass::Inline,
            other => {
                return Err(problem(format!(
                    "class must be heading or inline, not `{other}`"
                )))
            }
        };
        let position = match *position {
            "line" => Position::Line,
            "clause" => Position::Clause,
            other => {
                return Err(problem(format!(
                    "position must be line or clause, not `{other}`"
                )))
            }
        };
        let ordinal = match *ordinal {
            "cn" => OrdinalKind::Cn,
            "ar" => OrdinalKind::Ar,
            "circled" => OrdinalKind::Circled,
            "word" => OrdinalKind::Word,
            other => {
                return Err(problem(format!(
                    "ordinal must be cn, ar, circled or word, not `{other}`"
                )))
            }
        };
        if !pattern.starts_with('^') {
            return Err(problem(format!("regex must start with ^: `{pattern}`")));
        }
        let regex =
            Regex::new(pattern).map_err(|e| problem(format!("bad regex `{pattern}`: {e}")))?;
        if !regex.capture_names().any(|n| n == Some("n")) {
            return Err(problem(format!("regex has no group `n`: `{pattern}`")));
        }
        let group = styles
            .iter()
            .position(|s: &MarkerStyle| s.name == *name)
            .unwrap_or(styles.len());
        styles.push(MarkerStyle {
            name: (*name).to_string(),
            group,
            class,
            position,
            ordinal,
            regex,
        });
    }
    if styles.is_empty() {
        return Err(RuleProblem {
            line: 0,
            message: "no marker style defined".into(),
        });
    }
    Ok(styles)
}

/// Parses an ordinal words file (`word<TAB>number` or `word<TAB>-`).
pub(crate) fn parse_ordinal_words(text: &str) -> Result<HashMap<String, Option<u32>>, RuleProblem> {
    let mut words = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut fields = trimmed.split_whitespace();
        let (Some(word), Some(value)) = (fields.next(), fields.next()) else {
            return Err(RuleProblem {
                line: i + 1,
                message: format!("expected `word number`: `{trimmed}`"),
            });
        };
        let value = if value == "-" {
            None
        } else {
            Some(value.parse::<u32>().map_err(|e| RuleProblem {
                line: i + 1,
                message: format!("bad ordinal `{value}`: {e}"),
            })?)
        };
        words.insert(word.to_string(), value);
    }
    Ok(words)
}

/// Value of a Chinese numeral from 一 to 九十九 (`十一`, `二十`, `二十三`).
pub(crate) fn parse_cn_numeral(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "〇一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|d| d as u32)
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// Value of a circled (①), parenthesised (⑴) or dotted (⒈) digit character.
fn parse_circled(s: &str) -> Option<u32> {
    let c = s.chars().next()? as u32;
    match c {
        0x2460..=0x2473 => Some(c - 0x2460 + 1),
        0x2474..=0x2487 => Some(c - 0x2474 + 1),
        0x2488..=0x249B => Some(c - 0x2488 + 1),
        _ => None,
    }
}

fn is_cn_numeral(c: char) -> bool {
    matches!(
        c,
        '一' | '二' | '三' | '四' | '五' | '六' | '七' | '八' | '九' | '十'
    )
}

fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Everything section detection needs, built once.
#[derive(Debug, Clone)]
pub(crate) struct SectionRules {
    /// Marker styles, tried in order.
    pub styles: Vec<MarkerStyle>,
    /// All the styles' patterns at once (index = style index), to skip most positions fast.
    pub any_marker: RegexSet,
    /// The characters a marker of some style can start with (derived from the patterns by
    /// [`MarkerStarts::of`]), so that most positions are ruled out before any regex runs.
    pub marker_starts: MarkerStarts,
    /// Ordinal words of `word` styles.
    pub ordinal_words: HashMap<String, Option<u32>>,
    /// Words that keep a short line from being a subheading.
    pub not_heading_words: Vec<String>,
    /// Largest ordinal a marker may state.
    pub max_ordinal: u32,
    /// Longest unnumbered subheading, in characters.
    pub subheading_max_chars: usize,
    /// Fewest unnumbered subheadings a document needs for any to count.
    pub subheading_min_count: usize,
}

/// The characters any marker can start with, as sorted, disjoint ranges, derived from the
/// marker patterns: a position whose character is not among them cannot start a marker.
/// `None` when some pattern may match the empty string or its first character cannot be
/// worked out (then every position is tried).
#[derive(Debug, Clone, Default)]
pub(crate) struct MarkerStarts {
    ranges: Option<Vec<(char, char)>>,
}

impl MarkerStarts {
    /// The first characters of all `patterns` (each a valid regex).
    pub(crate) fn of<'p>(patterns: impl IntoIterator<Item = &'p str>) -> MarkerStarts {
        let mut ranges = Vec::new();
        for pattern in patterns {
            let may_be_empty = regex_syntax::parse(pattern)
                .ok()
                .and_then(|hir| first_chars(&hir, &mut ranges));
            if may_be_empty != Some(false) {
                return MarkerStarts { ranges: None };
            }
        }
        ranges.sort_unstable();
        let mut merged: Vec<(char, char)> = Vec::with_capacity(ranges.len());
        for (lo, hi) in ranges {
            match merged.last_mut() {
                Some(last) if u32::from(lo) <= u32::from(last.1).saturating_add(1) => {
                    last.1 = last.1.max(hi);
                }
                _ => merged.push((lo, hi)),
            }
        }
        MarkerStarts {
            ranges: Some(merged),
        }
    }

    /// Whether a marker may be empty (only when the first characters are unknown).
    fn may_start_empty(&self) -> bool {
        self.ranges.is_none()
    }

    /// Whether a marker may start with `c`.
    pub(crate) fn may_start(&self, c: char) -> bool {
        let Some(ranges) = &self.ranges else {
            return true;
        };
        let k = ranges.partition_point(|&(lo, _)| lo <= c);
        k.checked_sub(1)
            .and_then(|k| ranges.get(k))
            .is_some_and(|&(_, hi)| c <= hi)
    }
}

/// Adds to `out` every character a match of `hir` can start with; returns whether `hir` can
/// match without consuming a character (then what follows it can start the match too), or
/// `None` when the first character is not known (a byte class or non-UTF-8 literal).
fn first_chars(hir: &Hir, out: &mut Vec<(char, char)>) -> Option<bool> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => Some(true),
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0).ok()?.chars().next() {
            Some(c) => {
                out.push((c, c));
                Some(false)
            }
            None => Some(true),
        },
        HirKind::Class(Class::Unicode(class)) => {
            out.extend(class.ranges().iter().map(|r| (r.start(), r.end())));
            Some(false)
        }
        HirKind::Class(Class::Bytes(_)) => None,
        HirKind::Repetition(rep) => Some(first_chars(&rep.sub, out)? || rep.min == 0),
        HirKind::Capture(cap) => first_chars(&cap.sub, out),
        HirKind::Concat(parts) => {
            for part in parts {
                if !first_chars(part, out)? {
                    return Some(false);
                }
            }
            Some(true)
        }
        HirKind::Alternation(alternatives) => {
            let mut may_be_empty = false;
            for alternative in alternatives {
                may_be_empty |= first_chars(alternative, out)?;
            }
            Some(may_be_empty)
        }
    }
}

/// One paragraph as section detection sees it.
#[derive(Debug, Clone)]
pub(crate) struct ParaView<'a> {
    /// Its text.
    pub text: &'a str,
    /// Its characters (`text.chars()`).
    pub chars: &'a [char],
    /// The positions of its characters that are not plain Han (see
    /// [`crate::sentences::ByteOffsets`]), to find byte offsets in `text`.
    pub marked: &'a [usize],
    /// Offset of its first character in the clean text.
    pub start: usize,
    /// Its sentences and colon positions.
    pub split: &'a Split,
}

/// Byte offsets of one paragraph, for the windows [`SectionRules::marker_at`] looks at:
/// one cursor for their starts, one for their ends (each asked in increasing order).
struct WindowBytes<'a> {
    start: ByteOffsets<'a>,
    end: ByteOffsets<'a>,
    /// The position asked last.
    last: usize,
}

impl<'a> WindowBytes<'a> {
    /// Cursors over the byte offsets of `para`.
    fn new(para: &ParaView<'a>) -> Self {
        WindowBytes {
            start: ByteOffsets::new(para.chars, para.marked),
            end: ByteOffsets::new(para.chars, para.marked),
            last: 0,
        }
    }

    /// The (at most) [`MARKER_WINDOW`] characters of `para` (the paragraph of these cursors)
    /// from `p`, as a slice of its text (not encoded again into a string of their own).
    /// Positions are meant to be asked in increasing order; a smaller one than the last
    /// restarts the cursors from the paragraph's start.
    fn window(&mut self, para: &ParaView<'a>, p: usize) -> &'a str {
        if p < self.last {
            *self = WindowBytes::new(para);
        }
        self.last = p;
        let end = (p + MARKER_WINDOW).min(para.chars.len());
        let start = self.start.at(p.min(end));
        para.text.get(start..self.end.at(end)).unwrap_or("")
    }
}

/// Style index used for unnumbered subheadings (after the styles of the rules file).
const UNNUMBERED: usize = usize::MAX;

#[derive(Debug, Clone)]
struct Candidate {
    /// Offset in the clean text.
    pos: usize,
    para_idx: usize,
    style: usize,
    class: StyleClass,
    position: Position,
    ordinal: Option<u32>,
    marker: String,
    heading: String,
    /// The paragraph is nothing but this marker and a single clause.
    heading_only: bool,
    /// The marker opens its paragraph.
    at_para_start: bool,
}

/// Longest marker looked at, in characters (plus one for the guard).
const MARKER_WINDOW: usize = 12;

impl SectionRules {
    /// Tries every style at `p` of paragraph `para`. `bytes` are the cursors over the
    /// paragraph's byte offsets (cheapest when `p` grows from one call to the next).
    fn marker_at<'p>(
        &self,
        para: &ParaView<'p>,
        para_idx: usize,
        p: usize,
        at_para_start: bool,
        bytes: &mut WindowBytes<'p>,
    ) -> Option<Candidate> {
        // Most positions are ruled out by their first character alone.
        let first = para.chars.get(p).copied();
        if !first.map_or(self.marker_starts.may_start_empty(), |c| {
            self.marker_starts.may_start(c)
        }) {
            return None;
        }
        let window = bytes.window(para, p);
        // One pass over all patterns first: at most remaining positions no marker starts.
        let matched = self.any_marker.matches(window);
        if !matched.matched_any() {
            return None;
        }
        for (idx, style) in self.styles.iter().enumerate() {
            if !matched.matched(idx) || (style.position == Position::Line && !at_para_start) {
                continue;
            }
            let Some(caps) = style.regex.captures(window) else {
                continue;
            };
            let (Some(whole), Some(num)) = (caps.get(0), caps.name("n")) else {
                continue;
            };
            let marker = whole.as_str();
            let ordinal = match style.ordinal {
                OrdinalKind::Cn => parse_cn_numeral(num.as_str()),
                OrdinalKind::Ar => num.as_str().parse::<u32>().ok(),
                OrdinalKind::Circled => parse_circled(num.as_str()),
                OrdinalKind::Word => match self.ordinal_words.get(num.as_str()) {
                    Some(value) => *value,
                    None => continue,
                },
            };
            if style.ordinal != OrdinalKind::Word
                && !matches!(ordinal, Some(o) if o >= 1 && o <= self.max_ordinal)
            {
                return None;
            }
            let marker_len = marker.chars().count();
            let after = p + marker_len;
            let next = para.chars.get(after).copied();
            let next2 = para.chars.get(after + 1).copied();
            match style.ordinal {
                OrdinalKind::Ar
                    if next.is_some_and(|c| c.is_ascii_digit() || ".．%％‰".contains(c)) =>
                {
                    return None
                }
                OrdinalKind::Cn
                    if next.is_some_and(is_cn_numeral)
                        && next2.is_some_and(|c| "、季产类级等批线".contains(c)) =>
                {
                    return None
                }
                _ => {}
            }
            let heading = self.heading_after(para, after);
            if heading.is_empty() {
                return None;
            }
            let sentence_end = sentence_containing(para.split, p)
                .map(|(_, e)| e)
                .unwrap_or(para.chars.len());
            return Some(Candidate {
                pos: para.start + p,
                para_idx,
                style: style.group,
                class: style.class,
                position: style.position,
                ordinal,
                marker: marker.to_string(),
                heading,
                heading_only: at_para_start && sentence_end >= para.chars.len(),
                at_para_start,
            });
        }
        None
    }

    /// The heading after a marker ending at `after`: to the end of its sentence, without the
    /// final punctuation.
    fn heading_after(&self, para: &ParaView<'_>, after: usize) -> String {
        let end = sentence_containing(para.split, after)
            .map(|(_, e)| e)
            .unwrap_or(para.chars.len());
        let slice = para.chars.get(after..end).unwrap_or(&[]);
        let mut lo = 0;
        let mut hi = slice.len();
        while lo < hi && slice.get(lo).is_some_and(|c| c.is_whitespace()) {
            lo += 1;
        }
        while hi > lo
            && slice
                .get(hi - 1)
                .is_some_and(|&c| c.is_whitespace() || is_terminator(c) || "，,、：:".contains(c))
        {
            hi -= 1;
        }
        slice.get(lo..hi).unwrap_or(&[]).iter().collect()
    }

    /// Whether paragraph `i` is a short line standing alone between two body paragraphs.
    fn is_subheading(&self, paras: &[ParaView<'_>], i: usize) -> bool {
        let (Some(prev), Some(this), Some(next)) = (
            i.checked_sub(1).and_then(|j| paras.get(j)),
            paras.get(i),
            paras.get(i + 1),
        ) else {
            return false;
        };
        is_body(prev.chars)
            && is_body(next.chars)
            && self.is_subheading_text(trim_chars(this.chars))
    }

    /// A subheading glued to the end of paragraph `i` (a last sentence without final
    /// punctuation after a finished sentence, before a body paragraph): its start in the
    /// paragraph.
    fn glued_subheading(&self, paras: &[ParaView<'_>], i: usize) -> Option<usize> {
        let (this, next) = (paras.get(i)?, paras.get(i + 1)?);
        let n = this.split.sentences.len();
        let &(s, e) = this.split.sentences.get(n.checked_sub(1)?)?;
        let &(_, prev_end) = this.split.sentences.get(n.checked_sub(2)?)?;
        let prev_last = this
            .chars
            .get(..prev_end)?
            .iter()
            .rev()
            .find(|c| !c.is_whitespace() && !is_closer(**c))?;
        if !is_terminator(*prev_last) || !is_body(next.chars) {
            return None;
        }
        let chars = trim_chars(this.chars.get(s..e)?);
        // Stricter than a line of its own: a single phrase, no comma.
        // (`matches!`, not `"，,：:".contains(c)`: a string search per character.)
        let single_phrase = !chars.iter().any(|&c| matches!(c, '，' | ',' | '：' | ':'));
        (single_phrase && self.is_subheading_text(chars)).then_some(s)
    }

    /// Whether a line reads like a subheading: short, no sentence punctuation, mostly Han,
    /// not a dash line, bracketed note, whole quotation or byline.
    fn is_subheading_text(&self, chars: &[char]) -> bool {
        let chars = strip_bullets(chars);
        let n = chars.len();
        if n < 4 || n > self.subheading_max_chars {
            return false;
        }
        if chars.iter().any(|&c| is_terminator(c)) {
            return false;
        }
        let last = chars
            .iter()
            .rev()
            .find(|&&c| !is_closer(c))
            .copied()
            .unwrap_or(' ');
        if "。！？；!?;：:，,、—-….".contains(last) || last.is_whitespace() {
            return false;
        }
        let first = chars.first().copied().unwrap_or(' ');
        if "—-（(【[<《".contains(first) {
            return false;
        }
        if first == '“' && chars.last() == Some(&'”') {
            return false;
        }
        let han = chars.iter().filter(|&&c| is_han(c)).count();
        if han < 2 || han * 2 < n {
            return false;
        }
        let line: String = chars.iter().collect();
        !self
            .not_heading_words
            .iter()
            .any(|w| line.contains(w.as_str()))
    }

    /// The sections of a document. `paras` are its paragraphs in order.
    pub(crate) fn detect(&self, paras: &[ParaView<'_>]) -> Vec<Section> {
        let mut candidates = Vec::new();
        let mut clause_starts: Vec<usize> = Vec::new();
        for (i, para) in paras.iter().enumerate() {
            let mut bytes = WindowBytes::new(para);
            let lead = para.chars.iter().take_while(|c| c.is_whitespace()).count();
            let mut found_at_start = false;
            if let Some(c) = self.marker_at(para, i, lead, true, &mut bytes) {
                candidates.push(c);
                found_at_start = true;
            }
            if let Some(s) = self.glued_subheading(paras, i) {
                let chars = strip_bullets(trim_chars(para.chars.get(s..).unwrap_or(&[])));
                candidates.push(Candidate {
                    pos: para.start + s,
                    para_idx: i,
                    style: UNNUMBERED,
                    class: StyleClass::Heading,
                    position: Position::Clause,
                    ordinal: None,
                    marker: String::new(),
                    heading: chars.iter().collect(),
                    heading_only: false,
                    at_para_start: false,
                });
            }
            if !found_at_start && self.is_subheading(paras, i) {
                let chars = strip_bullets(trim_chars(para.chars));
                candidates.push(Candidate {
                    pos: para.start + lead,
                    para_idx: i,
                    style: UNNUMBERED,
                    class: StyleClass::Heading,
                    position: Position::Line,
                    ordinal: None,
                    marker: String::new(),
                    heading: chars.iter().collect(),
                    heading_only: true,
                    at_para_start: true,
                });
            }
            // Clause starts inside the paragraph: sentence starts and positions after colons,
            // in increasing order (as the byte offsets are asked).
            clause_starts.clear();
            clause_starts.extend(
                para.split
                    .sentences
                    .iter()
                    .map(|&(s, _)| s)
                    .chain(para.split.after_colons.iter().copied())
                    .filter(|&s| s > lead),
            );
            clause_starts.sort_unstable();
            clause_starts.dedup();
            for &s in &clause_starts {
                if let Some(c) = self.marker_at(para, i, s, false, &mut bytes) {
                    if c.position == Position::Clause {
                        candidates.push(c);
                    }
                }
            }
        }
        let accepted = self.accept(candidates);
        nest(accepted, paras)
    }

    /// Applies the run guards; returns the accepted candidates in reading order.
    fn accept(&self, candidates: Vec<Candidate>) -> Vec<Candidate> {
        let mut by_style: HashMap<usize, Vec<Candidate>> = HashMap::new();
        for c in candidates {
            by_style.entry(c.style).or_default().push(c);
        }
        let mut accepted = Vec::new();
        let mut singles = Vec::new();
        for (style, cands) in by_style {
            if style == UNNUMBERED {
                if cands.len() >= self.subheading_min_count.max(1)
                    && cands.iter().any(|c| c.at_para_start)
                {
                    accepted.extend(cands);
                }
                continue;
            }
            let mut runs: Vec<Vec<Candidate>> = Vec::new();
            for c in cands {
                match runs.last_mut() {
                    Some(run) if c.ordinal != Some(1) => run.push(c),
                    _ => runs.push(vec![c]),
                }
            }
            let mut kept: Vec<Vec<Candidate>> = Vec::new();
            for run in runs {
                let Some(first) = run.first() else { continue };
                if first.position == Position::Clause
                    && (first.ordinal != Some(1) || !run.iter().any(|c| c.ordinal == Some(2)))
                {
                    continue;
                }
                if is_list(&run) {
                    continue;
                }
                kept.push(run);
            }
            if kept.iter().any(|r| r.len() >= 2) {
                accepted.extend(kept.into_iter().flatten());
            } else {
                // A style used once: a heading only if it is numbered 1 and a numbered line
                // of its own, or opens a nested list (checked once the others are known).
                singles.extend(
                    kept.into_iter()
                        .flatten()
                        .filter(|c| c.ordinal == Some(1) && c.position == Position::Line),
                );
            }
        }
        // By position; at one position a numbered marker wins over a subheading.
        accepted.sort_by_key(|c| (c.pos, c.style));
        accepted.dedup_by_key(|c| c.pos);
        singles.sort_by_key(|c| (c.pos, c.style));
        let firm = accepted.len();
        for single in singles {
            let next = accepted.iter().take(firm).find(|c| c.pos > single.pos);
            let opens_list = next.is_some_and(|n| n.style != single.style && n.ordinal == Some(1));
            if opens_list || (single.heading_only && single.class == StyleClass::Heading) {
                accepted.push(single);
            }
        }
        accepted.sort_by_key(|c| (c.pos, c.style));
        accepted.dedup_by_key(|c| c.pos);
        accepted
    }
}

/// A run of heading lines that follow each other directly, each a single clause: a list of
/// items (names, a table of contents), not sections.
fn is_list(run: &[Candidate]) -> bool {
    run.len() >= 2
        && run.iter().all(|c| c.at_para_start && c.heading_only)
        && run.windows(2).all(|w| match w {
            [a, b] => b.para_idx == a.para_idx + 1,
            _ => true,
        })
}

/// Whitespace-trimmed characters.
fn trim_chars(chars: &[char]) -> &[char] {
    let lo = chars.iter().take_while(|c| c.is_whitespace()).count();
    let hi = chars.len() - chars.iter().rev().take_while(|c| c.is_whitespace()).count();
    chars.get(lo..hi.max(lo)).unwrap_or(&[])
}

/// Without leading bullet symbols (■ ● ◆ ▲ ★ □ • ▶…) and the whitespace after them.
fn strip_bullets(chars: &[char]) -> &[char] {
    let lead = chars
        .iter()
        .take_while(|&&c| c.is_whitespace() || (!c.is_alphanumeric() && !is_opener_or_dash(c)))
        .count();
    chars.get(lead..).unwrap_or(&[])
}

/// Opening quotes and brackets and dashes: never bullets.
fn is_opener_or_dash(c: char) -> bool {
    "“‘「『（(【[《〈〔\"'—-".contains(c)
}

/// A body paragraph: ends with sentence-final punctuation (or `...`), or is long.
fn is_body(chars: &[char]) -> bool {
    let chars = trim_chars(chars);
    chars.len() >= 50
        || chars
            .iter()
            .rev()
            .find(|&&c| !is_closer(c))
            .is_some_and(|&c| is_terminator(c) || c == '.')
}

/// The sentence of `split` containing position `p`.
fn sentence_containing(split: &Split, p: usize) -> Option<(usize, usize)> {
    let k = split.sentences.partition_point(|&(s, _)| s <= p);
    k.checked_sub(1)
        .and_then(|k| split.sentences.get(k))
        .copied()
}

/// Builds the tree: levels, ids, parents and spans.
fn nest(accepted: Vec<Candidate>, paras: &[ParaView<'_>]) -> Vec<Section> {
    let text_len = paras.last().map(|p| p.start + p.chars.len()).unwrap_or(0);
    // Stack of (style, class, at paragraph start, section index).
    let mut stack: Vec<(usize, StyleClass, bool, usize)> = Vec::new();
    let mut sections: Vec<Section> = Vec::with_capacity(accepted.len());
    let mut child_counts: Vec<usize> = Vec::with_capacity(accepted.len());
    let mut top_count = 0usize;
    for c in accepted {
        if let Some(k) = stack.iter().position(|&(style, _, _, _)| style == c.style) {
            stack.truncate(k);
        } else {
            // An inline enumeration never contains a numbered heading, and one that began
            // inside a paragraph does not contain what opens a later paragraph.
            while stack.last().is_some_and(|&(_, class, at_start, _)| {
                class == StyleClass::Inline
                    && (c.class == StyleClass::Heading || (c.at_para_start && !at_start))
            }) {
                stack.pop();
            }
        }
        let parent = stack.last().map(|&(_, _, _, idx)| idx);
        let (section_id, parent_id) = match parent {
            Some(p) => {
                let n = child_counts.get_mut(p).map(|n| {
                    *n += 1;
                    *n
                });
                let parent_id = sections
                    .get(p)
                    .map(|s| s.section_id.clone())
                    .unwrap_or_default();
                (format!("{parent_id}.{}", n.unwrap_or(1)), Some(parent_id))
            }
            None => {
                top_count += 1;
                (top_count.to_string(), None)
            }
        };
        let idx = sections.len();
        sections.push(Section {
            section_id,
            parent_id,
            level: stack.len() as u32 + 1,
            marker: c.marker,
            ordinal: c.ordinal,
            heading: c.heading,
            span: Span::new(c.pos, text_len),
        });
        child_counts.push(0);
        stack.push((c.style, c.class, c.at_para_start, idx));
    }
    // Spans: each section ends just before the next section at the same or a higher level.
    let para_starts: Vec<usize> = paras.iter().map(|p| p.start).collect();
    let mut open: Vec<usize> = Vec::new();
    for i in 0..sections.len() {
        let (level, start) = match sections.get(i) {
            Some(s) => (s.level, s.span.start),
            None => continue,
        };
        let end = if start > 0 && para_starts.binary_search(&start).is_ok() {
            start - 1
        } else {
            start
        };
        while let Some(&j) = open.last() {
            match sections.get_mut(j) {
                Some(s) if s.level >= level => {
                    s.span.end = end.max(s.span.start);
                    open.pop();
                }
                _ => break,
            }
        }
        open.push(i);
    }
    sections
}

/// Innermost section containing `pos`, given sections in reading order (as [`nest`] builds
/// them) and each section's parent index.
pub(crate) struct SectionIndex {
    starts: Vec<usize>,
    spans: Vec<Span>,
    parents: Vec<Option<usize>>,
    ids: Vec<String>,
}

impl SectionIndex {
    /// Index of `sections`.
    pub(crate) fn new(sections: &[Section]) -> Self {
        let mut by_id: HashMap<&str, usize> = HashMap::new();
        let mut parents = Vec::with_capacity(sections.len());
        for (i, s) in sections.iter().enumerate() {
            parents.push(s.parent_id.as_deref().and_then(|p| by_id.get(p).copied()));
            by_id.insert(s.section_id.as_str(), i);
        }
        SectionIndex {
            starts: sections.iter().map(|s| s.span.start).collect(),
            spans: sections.iter().map(|s| s.span).collect(),
            parents,
            ids: sections.iter().map(|s| s.section_id.clone()).collect(),
        }
    }

    /// The id of the innermost section containing `pos`.
    pub(crate) fn section_at(&self, pos: usize) -> Option<String> {
        let mut k = self.starts.partition_point(|&s| s <= pos).checked_sub(1);
        while let Some(i) = k {
            let span = self.spans.get(i)?;
            if pos < span.end || (span.is_empty() && pos == span.start) {
                return self.ids.get(i).cloned();
            }
            k = self.parents.get(i).copied().flatten();
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The window of a position, sliced from the text by byte offsets, is the string of
        /// its characters.
        #[test]
        fn marker_windows_are_the_characters_from_the_position(
            text in "[一二甲乙、。1.a \u{3000}é😀（）\u{4E00}\u{9FFF}\u{3400}]{0,40}",
            step in 1usize..6,
        ) {
            let chars: Vec<char> = text.chars().collect();
            let marked = crate::sentences::marked_positions(&chars);
            let split = Split::default();
            let para = ParaView { text: &text, chars: &chars, marked: &marked, start: 0, split: &split };
            let mut bytes = WindowBytes::new(&para);
            // In increasing order, then once more from a smaller position (a restart).
            let again = chars.len() / 2;
            for p in (0..=chars.len()).step_by(step).chain([again]) {
                let expected: String = chars.iter().skip(p).take(MARKER_WINDOW).collect();
                proptest::prop_assert_eq!(bytes.window(&para, p), expected.as_str());
            }
        }
    }

    #[test]
    fn chinese_numerals() {
        assert_eq!(parse_cn_numeral("一"), Some(1));
        assert_eq!(parse_cn_numeral("十"), Some(10));
        assert_eq!(parse_cn_numeral("十二"), Some(12));
        assert_eq!(parse_cn_numeral("二十"), Some(20));
        assert_eq!(parse_cn_numeral("三十五"), Some(35));
        assert_eq!(parse_cn_numeral("一一"), None);
        assert_eq!(parse_circled("③"), Some(3));
        assert_eq!(parse_circled("⑵"), Some(2));
    }

    #[test]
    fn bundled_rules_parse() {
        let styles = parse_marker_rules(include_str!("../../../data/segment/markers.txt"));
        assert!(styles.is_ok_and(|s| s.len() > 10));
        assert!(
            parse_ordinal_words(include_str!("../../../data/segment/ordinal_words.txt")).is_ok()
        );
    }

    #[test]
    fn marker_starts_are_the_first_characters_of_the_patterns() {
        let starts = MarkerStarts::of([
            r"^第(?<n>[一二三]+)部分",
            r"^[（(](?<n>[0-9]{1,3})[）)]",
            r"^(?:其|再)?(?<n>[①-③])",
            r"^(?<n>首先|最后)[，,]",
        ]);
        for c in "第（(其再①②③首最".chars() {
            assert!(starts.may_start(c), "{c:?}");
        }
        for c in "一1）部分④先后，a 中".chars() {
            assert!(!starts.may_start(c), "{c:?}");
        }
        // A pattern that may match the empty string, or start anywhere, turns the filter off.
        assert!(MarkerStarts::of([r"^第", r"^(?<n>[0-9]*)"]).may_start('x'));
        assert!(MarkerStarts::of([r"^(?<n>.)、"]).may_start('x'));
        let bundled = parse_marker_rules(include_str!("../../../data/segment/markers.txt"));
        let Ok(bundled) = bundled else {
            panic!("bundled rules parse");
        };
        let starts = MarkerStarts::of(bundled.iter().map(|s| s.regex.as_str()));
        assert!(
            starts.ranges.is_some(),
            "the bundled rules have known first characters"
        );
    }

    #[test]
    fn bad_rules_are_reported_with_line() {
        let err = parse_marker_rules("# c\nx\theading\tline\tcn\t^(一)、\n").err();
        assert_eq!(err.map(|e| e.line), Some(2));
        let err = parse_marker_rules("x\theading\tnowhere\tcn\t^(?<n>一)、\n").err();
        assert_eq!(err.map(|e| e.line), Some(1));
    }
}
