//! Candidate generation and resolution for one sentence.
//!
//! Offsets in this module are character offsets relative to the sentence.

use gongwen_model::EntityType;

use crate::lexicon::{Kind, Lexicon, LocSuffixKind, OrgSuffixKind};

/// Characters that stand for a redacted name or digit.
pub(crate) fn is_placeholder(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ' | '×' | '*' | '＊' | '※' | '某')
}

/// True for CJK ideographs.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// A token of the sentence, with sentence-relative character offsets.
#[derive(Debug, Clone)]
pub(crate) struct Tok<'a> {
    pub start: usize,
    pub end: usize,
    pub pos: &'a str,
    /// The word as segment gave it ("" for characters no token covered).
    pub word: &'a str,
}

/// A lexicon match, sentence-relative.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    /// Where the pattern's kinds are in the lexicon's `flat_kinds`.
    pub kinds: (u32, u32),
}

/// One candidate mention.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cand {
    pub start: usize,
    pub end: usize,
    /// `None` for a blocker: a span (a title) that hides shorter candidates inside it and
    /// is not itself emitted.
    pub ty: Option<EntityType>,
    pub title: Option<String>,
    /// Tie-breaker between candidates of equal length (higher wins).
    pub rank: u8,
    pub redacted: bool,
}

/// Everything known about one sentence while recognising it. One value is reused for all
/// the sentences of a document ([`SentCtx::set_sentence`] refills its buffers), so a
/// sentence costs no allocation once the buffers are large enough.
#[derive(Debug, Default)]
pub(crate) struct SentCtx<'a> {
    /// The sentence text.
    src: &'a str,
    pub chars: Vec<char>,
    /// Byte offset in `src` of each character, then `src.len()` (length `n + 1`).
    byte_of: Vec<usize>,
    pub toks: Vec<Tok<'a>>,
    /// `tok_start[i]`: a token starts at character `i` (length `n + 1`).
    pub tok_start: Vec<bool>,
    /// `tok_end[i]`: a token ends at character `i` (length `n + 1`).
    pub tok_end: Vec<bool>,
    /// Token index covering each character.
    pub tok_at: Vec<usize>,
    /// Lexicon matches, in order of start and then end.
    pub hits: Vec<Hit>,
    /// Hit indices grouped by end offset: those ending at `e` are
    /// `by_end[end_at[e]..end_at[e + 1]]`.
    by_end: Vec<u32>,
    end_at: Vec<u32>,
    /// Hit indices grouped by start offset, likewise.
    by_start: Vec<u32>,
    start_at: Vec<u32>,
}

/// Groups `keys` (one per hit, each at most `n`) into a compressed index: `out` gets the hit
/// indices ordered by key, and `offsets[k]..offsets[k + 1]` is the range of key `k`.
fn group_by(
    keys: impl Iterator<Item = usize> + Clone,
    n: usize,
    out: &mut Vec<u32>,
    offsets: &mut Vec<u32>,
) {
    offsets.clear();
    offsets.resize(n + 2, 0);
    // Count each key at `k + 1`; prefix sums then give each group's first slot at `k`.
    for k in keys.clone() {
        if let Some(o) = offsets.get_mut(k.min(n) + 1) {
            *o += 1;
        }
    }
    for i in 1..offsets.len() {
        offsets[i] += offsets[i - 1];
    }
    out.clear();
    out.resize(offsets.last().copied().unwrap_or(0) as usize, 0);
    // Fill with `offsets[k]` as group `k`'s cursor: afterwards it holds the group's end,
    // which is the next group's start, so shifting by one restores the index.
    for (i, k) in keys.enumerate() {
        if let Some(f) = offsets.get_mut(k.min(n)) {
            if let Some(slot) = out.get_mut(*f as usize) {
                *slot = i as u32;
            }
            *f += 1;
        }
    }
    offsets.copy_within(0..n + 1, 1);
    if let Some(first) = offsets.first_mut() {
        *first = 0;
    }
}

impl<'a> SentCtx<'a> {
    /// Sets the sentence `text` and its tokens (sentence-relative, in order), without
    /// looking anything up in the lexicon (see [`SentCtx::find_hits`]). Tokens that do not
    /// fit the text are ignored; characters not covered by a token become one-character
    /// tokens tagged `x`.
    pub fn set_tokens(&mut self, text: &'a str, raw_toks: impl Iterator<Item = Tok<'a>>) {
        self.set_text(text);
        let n = self.chars.len();
        self.tok_start.clear();
        self.tok_start.resize(n + 1, false);
        self.tok_end.clear();
        self.tok_end.resize(n + 1, false);
        self.tok_at.clear();
        self.tok_at.resize(n, 0);
        let mut pos = 0usize;
        for t in raw_toks {
            if t.start < pos || t.end <= t.start || t.end > n {
                continue;
            }
            while pos < t.start {
                self.push_gap_token(pos);
                pos += 1;
            }
            pos = t.end;
            let word = if t.word.is_empty() {
                self.slice(t.start, t.end)
            } else {
                t.word
            };
            self.push_token(Tok { word, ..t });
        }
        while pos < n {
            self.push_gap_token(pos);
            pos += 1;
        }
        self.tok_start[n] = true;
        self.tok_end[0] = true;
    }

    /// Appends token `t` (within the sentence, after the previous one) and marks its
    /// characters.
    fn push_token(&mut self, t: Tok<'a>) {
        let i = self.toks.len();
        if let Some(s) = self.tok_start.get_mut(t.start) {
            *s = true;
        }
        if let Some(e) = self.tok_end.get_mut(t.end) {
            *e = true;
        }
        if let Some(chars) = self.tok_at.get_mut(t.start..t.end) {
            chars.fill(i);
        }
        self.toks.push(t);
    }

    /// Sets the sentence text only (characters and offset maps; no tokens, no hits).
    pub fn set_text(&mut self, text: &'a str) {
        self.src = text;
        self.chars.clear();
        self.byte_of.clear();
        // One decoding pass fills both (at most one character per byte).
        self.chars.reserve(text.len());
        self.byte_of.reserve(text.len() + 1);
        for (b, c) in text.char_indices() {
            self.chars.push(c);
            self.byte_of.push(b);
        }
        self.byte_of.push(text.len());
        self.toks.clear();
        self.hits.clear();
    }

    /// A one-character token tagged `x` for a character no token covers.
    fn push_gap_token(&mut self, at: usize) {
        let word = self.slice(at, at + 1);
        self.push_token(Tok {
            start: at,
            end: at + 1,
            pos: "x",
            word,
        });
    }

    /// Finds every lexicon string in the sentence (overlapping) and indexes the hits by
    /// start and end.
    pub fn find_hits(&mut self, lex: &Lexicon) {
        let n = self.len();
        self.hits.clear();
        let hits = &mut self.hits;
        lex.trie
            .for_each_match(self.chars.iter().copied(), |start, end, pat| {
                let kinds = lex.kind_spans.get(pat).copied().unwrap_or((0, 0));
                hits.push(Hit { start, end, kinds });
            });
        group_by(
            self.hits.iter().map(|h| h.end),
            n,
            &mut self.by_end,
            &mut self.end_at,
        );
        group_by(
            self.hits.iter().map(|h| h.start),
            n,
            &mut self.by_start,
            &mut self.start_at,
        );
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// The text of characters `start..end` ("" when out of range).
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        let src: &'a str = self.src;
        match (self.byte_of.get(start), self.byte_of.get(end)) {
            (Some(&a), Some(&b)) if a <= b => src.get(a..b).unwrap_or(""),
            _ => "",
        }
    }

    /// The text of characters `start..end`, owned.
    pub fn text(&self, start: usize, end: usize) -> String {
        self.slice(start, end).to_string()
    }

    fn aligned(&self, start: usize, end: usize) -> bool {
        self.tok_start.get(start).copied().unwrap_or(false)
            && self.tok_end.get(end).copied().unwrap_or(false)
    }

    /// Every hit, in order of end and then start.
    pub fn hits_by_end(&self) -> impl Iterator<Item = &Hit> {
        self.by_end
            .iter()
            .filter_map(|&i| self.hits.get(i as usize))
    }

    /// The offsets where a hit of a kind matching `pred` ends, ascending, each once.
    pub fn hit_ends<'s>(
        &'s self,
        lex: &'s Lexicon,
        pred: impl Fn(&Kind) -> bool + 's,
    ) -> impl Iterator<Item = usize> + 's {
        let mut last = None;
        self.hits_by_end().filter_map(move |h| {
            if last == Some(h.end) || !self.kinds(lex, h).iter().any(&pred) {
                return None;
            }
            last = Some(h.end);
            Some(h.end)
        })
    }

    /// Hits ending at `end`.
    pub fn hits_ending(&self, end: usize) -> impl Iterator<Item = &Hit> {
        let a = self.end_at.get(end).copied().unwrap_or(0) as usize;
        let b = self.end_at.get(end + 1).copied().unwrap_or(0) as usize;
        self.by_end
            .get(a..b)
            .unwrap_or(&[])
            .iter()
            .filter_map(|&i| self.hits.get(i as usize))
    }

    /// Hits starting at `start`.
    pub fn hits_starting(&self, start: usize) -> impl Iterator<Item = &Hit> {
        let a = self.start_at.get(start).copied().unwrap_or(0) as usize;
        let b = self.start_at.get(start + 1).copied().unwrap_or(0) as usize;
        self.by_start
            .get(a..b)
            .unwrap_or(&[])
            .iter()
            .filter_map(|&i| self.hits.get(i as usize))
    }

    /// The word of token `t` (its text when segment gave none).
    pub fn word(&self, t: &Tok<'a>) -> &'a str {
        t.word
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn has_placeholder(&self, start: usize, end: usize) -> bool {
        self.chars
            .get(start..end)
            .is_some_and(|c| c.iter().any(|&c| is_placeholder(c)))
    }

    /// Kinds of lexicon hit `h`.
    fn kinds<'l>(&self, lex: &'l Lexicon, h: &Hit) -> &'l [Kind] {
        lex.flat_kinds
            .get(h.kinds.0 as usize..h.kinds.1 as usize)
            .unwrap_or(&[])
    }

    /// The longest hit of a kind matching `pred` ending at `end`.
    fn longest_ending_at(
        &self,
        lex: &Lexicon,
        end: usize,
        pred: impl Fn(&Kind) -> bool,
    ) -> Option<Hit> {
        self.hits_ending(end)
            .filter(|h| self.kinds(lex, h).iter().any(&pred))
            .max_by_key(|h| h.end - h.start)
            .copied()
    }

    /// The longest hit of a kind matching `pred` starting at `start`.
    fn longest_starting_at(
        &self,
        lex: &Lexicon,
        start: usize,
        pred: impl Fn(&Kind) -> bool,
    ) -> Option<Hit> {
        self.hits_starting(start)
            .filter(|h| self.kinds(lex, h).iter().any(&pred))
            .max_by_key(|h| h.end - h.start)
            .copied()
    }
}

/// Settings the per-sentence rules need.
#[derive(Debug)]
pub(crate) struct RuleSettings {
    pub max_term_chars: usize,
    pub min_term_chars: usize,
    pub max_name_chars: usize,
    pub person_from_pos: bool,
}

fn is_place_kind(k: &Kind) -> bool {
    matches!(k, Kind::Place | Kind::Division | Kind::ShortPlace)
}

/// POS tags of tokens that may be part of an organisation or place name.
fn name_part_pos(pos: &str) -> bool {
    matches!(
        pos,
        "" | "n"
            | "nr"
            | "nr1"
            | "nr2"
            | "nrt"
            | "nrfg"
            | "ns"
            | "nt"
            | "nz"
            | "nl"
            | "ng"
            | "j"
            | "vn"
            | "an"
            | "b"
            | "x"
            | "eng"
            | "s"
            | "l"
            | "g"
            | "i"
            | "k"
            | "h"
            | "mq"
    )
}

/// POS tags that mark a proper word.
fn proper_pos(pos: &str) -> bool {
    matches!(pos, "nr" | "nrt" | "nrfg" | "ns" | "nt" | "nz" | "j")
}

/// Characters that may not appear inside an organisation or place name.
fn breaks_name(c: char) -> bool {
    !(is_han(c) || c.is_ascii_alphanumeric() || is_placeholder(c) || c == '·')
}

/// All candidates of one sentence, in `out` (cleared first).
pub(crate) fn sentence_candidates(
    lex: &Lexicon,
    ctx: &SentCtx<'_>,
    settings: &RuleSettings,
    out: &mut Vec<Cand>,
) {
    out.clear();
    quoted_terms(lex, ctx, settings, out);
    lexicon_names(lex, ctx, out);
    suffix_names(lex, ctx, settings, out);
    body_abbreviations(lex, ctx, out);
    listed_companies(lex, ctx, out);
    titled_persons(lex, ctx, out);
    if settings.person_from_pos {
        pos_persons(lex, ctx, out);
    }
    mark_redacted_context(ctx, out);
}

/// Quoted slogans, campaigns and programmes: “…” ‘…’ 「…」 『…』 "…".
fn quoted_terms(lex: &Lexicon, ctx: &SentCtx<'_>, settings: &RuleSettings, out: &mut Vec<Cand>) {
    let n = ctx.len();
    let mut stack: Vec<(char, usize)> = Vec::new();
    for i in 0..n {
        let Some(c) = ctx.char_at(i) else { continue };
        let closing = match c {
            '”' => Some('“'),
            '’' => Some('‘'),
            '」' => Some('「'),
            '』' => Some('『'),
            '"' if stack.last().is_some_and(|(o, _)| *o == '"') => Some('"'),
            _ => None,
        };
        if let Some(open) = closing {
            if let Some(k) = stack.iter().rposition(|(o, _)| *o == open) {
                if let Some(&(_, open_at)) = stack.get(k) {
                    consider_term(lex, ctx, settings, open_at, i, out);
                }
                stack.truncate(k);
            }
            continue;
        }
        if matches!(c, '“' | '‘' | '「' | '『' | '"') {
            stack.push((c, i));
        }
    }
}

/// Decides whether the quote opening at `open` and closing at `close` holds a term.
fn consider_term(
    lex: &Lexicon,
    ctx: &SentCtx<'_>,
    settings: &RuleSettings,
    open: usize,
    close: usize,
    out: &mut Vec<Cand>,
) {
    let start = open + 1;
    let end = close;
    let len = end.saturating_sub(start);
    if len < settings.min_term_chars || len > settings.max_term_chars {
        return;
    }
    let Some(content) = ctx.chars.get(start..end) else {
        return;
    };
    // Quoted speech: sentence punctuation inside or at the end, or a trailing comma/colon.
    if content.iter().any(|c| {
        matches!(
            c,
            '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…' | '“' | '”'
        )
    }) {
        return;
    }
    if content
        .last()
        .is_some_and(|c| matches!(c, '，' | ',' | '：' | ':' | '、'))
    {
        return;
    }
    if !content
        .iter()
        .any(|&c| is_han(c) || c.is_ascii_alphanumeric())
    {
        return;
    }
    // After a speech verb (with an optional colon or comma).
    let mut before = open;
    while before > 0
        && ctx
            .char_at(before - 1)
            .is_some_and(|c| matches!(c, '：' | ':' | '，' | ',' | ' '))
    {
        before -= 1;
    }
    if before < open
        && ctx
            .char_at(open - 1)
            .is_some_and(|c| matches!(c, '：' | ':'))
    {
        return;
    }
    let prefix = ctx.slice(before.saturating_sub(3), before);
    if lex
        .speech_verbs
        .iter()
        .any(|v| prefix.ends_with(v.as_str()))
    {
        return;
    }
    if lex.figurative.contains(ctx.slice(start, end)) {
        return;
    }
    // 的“…”。: a quoted word closing the sentence after 的 is a figure of speech.
    let ends_sentence = ctx
        .char_at(close + 1)
        .map_or(true, |c| matches!(c, '。' | '！' | '？' | '!' | '?'));
    if open > 0 && ctx.char_at(open - 1) == Some('的') && ends_sentence {
        return;
    }
    // A role after 当好/争当 (through other quotes: 当好“甲”“乙”).
    let mut back = open;
    while back >= 2
        && ctx
            .char_at(back - 1)
            .is_some_and(|c| matches!(c, '”' | '’'))
    {
        // Skip the previous quote.
        let mut j = back - 1;
        while j > 0 && !ctx.char_at(j).is_some_and(|c| matches!(c, '“' | '‘')) {
            j -= 1;
        }
        if j == 0 || back - j > settings.max_term_chars + 2 {
            break;
        }
        back = j;
    }
    let before_quotes = ctx.slice(back.saturating_sub(2), back);
    if lex
        .role_verbs
        .iter()
        .any(|v| before_quotes.ends_with(v.as_str()))
    {
        return;
    }
    let redacted = content.iter().any(|&c| is_placeholder(c));
    out.push(Cand {
        start,
        end,
        ty: Some(EntityType::Term),
        title: None,
        rank: 5,
        redacted,
    });
}

/// Places, organisations and generic bodies listed in the lexicon, aligned on tokens.
fn lexicon_names(lex: &Lexicon, ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    for h in ctx.hits_by_end() {
        let kinds = ctx.kinds(lex, h);
        if kinds.iter().any(|k| matches!(k, Kind::FixedPhrase)) {
            if ctx.tok_start.get(h.start).copied().unwrap_or(false) {
                out.push(Cand {
                    start: h.start,
                    end: h.end,
                    ty: None,
                    title: None,
                    rank: 6,
                    redacted: false,
                });
            }
            continue;
        }
        let aligned = ctx.aligned(h.start, h.end)
            || (kinds.iter().any(|k| matches!(k, Kind::Division))
                && ctx.tok_start.get(h.start).copied().unwrap_or(false)
                && body_follows(lex, ctx, h.end));
        if !aligned {
            continue;
        }
        // A short form whose full name is written (临清 in 临清市委) is not a mention alone.
        if !kinds
            .iter()
            .any(|k| matches!(k, Kind::Place | Kind::Division | Kind::Org))
            && ctx.hits_starting(h.start).any(|d| {
                d.end > h.end
                    && ctx
                        .kinds(lex, d)
                        .iter()
                        .any(|k| matches!(k, Kind::Division))
            })
        {
            continue;
        }
        let ty = if kinds.iter().any(|k| matches!(k, Kind::Org)) {
            EntityType::Org
        } else if kinds.iter().any(is_place_kind) {
            EntityType::Loc
        } else if kinds.iter().any(|k| matches!(k, Kind::GenericBody)) {
            EntityType::Org
        } else {
            continue;
        };
        out.push(Cand {
            start: h.start,
            end: h.end,
            ty: Some(ty),
            title: None,
            rank: 3,
            redacted: false,
        });
    }
}

/// True when a party or government body starts at `end` or shares its level character
/// (临清市委: the division 临清市 and the body 市委 share 市).
fn body_follows(lex: &Lexicon, ctx: &SentCtx<'_>, end: usize) -> bool {
    let is_body = |k: &Kind| matches!(k, Kind::GenericBody | Kind::TitlePrefix | Kind::BodyAbbrev);
    ctx.longest_starting_at(lex, end, is_body).is_some()
        || (end > 0 && ctx.longest_starting_at(lex, end - 1, is_body).is_some())
}

/// Suffixes of units inside a larger organisation: their name may contain the parent's
/// (某某大学某某学院, 某某研究院某某分院).
const SUBUNIT_SUFFIXES: &[&str] = &[
    "分院",
    "学院",
    "分公司",
    "子公司",
    "分行",
    "支行",
    "研究所",
    "研究院",
    "附属医院",
    "办公室",
    "分会",
    "分局",
    "支队",
];

/// Start of the name-like words before `end` (at most `max` characters), walking back
/// over whole tokens; `allow_numbers` lets numerals in (十里长街).
fn extend_left(
    lex: &Lexicon,
    ctx: &SentCtx<'_>,
    end: usize,
    max: usize,
    allow_numbers: bool,
    cross_org: bool,
) -> usize {
    let mut start = end;
    // A suffix that starts inside a token takes the token's head.
    if end > 0 && !ctx.tok_start.get(end).copied().unwrap_or(true) {
        if let Some(&ti) = ctx.tok_at.get(end - 1) {
            if let Some(t) = ctx.toks.get(ti) {
                let head = ctx.slice(t.start, end);
                if head.chars().any(breaks_name) || lex.stopwords.contains(head) {
                    return end;
                }
                start = t.start;
            }
        }
    }
    while start > 0 {
        let Some(&ti) = ctx.tok_at.get(start - 1) else {
            break;
        };
        let Some(t) = ctx.toks.get(ti) else { break };
        if t.end != start {
            break;
        }
        let word = ctx.word(t);
        if word.chars().any(breaks_name) {
            break;
        }
        let placeholder = word.chars().all(is_placeholder);
        let ordinal = word.starts_with('第') && t.pos == "m";
        let number = allow_numbers && t.pos == "m";
        let known = ctx
            .longest_starting_at(lex, t.start, |k| {
                matches!(
                    k,
                    Kind::Place | Kind::Division | Kind::ShortPlace | Kind::Org | Kind::GenericBody
                )
            })
            .is_some_and(|h| h.end == t.end);
        if !(placeholder || ordinal || number || known || name_part_pos(t.pos)) {
            break;
        }
        if lex.stopwords.contains(word) {
            break;
        }
        if ctx
            .longest_ending_at(lex, t.end, |k| matches!(k, Kind::FixedPhrase))
            .is_some()
        {
            break;
        }
        // Do not swallow another organisation's name unless this is one of its units.
        if !cross_org {
            let inner = ctx.longest_ending_at(lex, t.end, |k| matches!(k, Kind::OrgSuffix(_)));
            if inner.is_some_and(|h| h.end - h.start >= 2) {
                break;
            }
        }
        if end - t.start > max {
            break;
        }
        start = t.start;
    }
    start
}

/// True when some token of `start..end` is a proper word: a known place or organisation,
/// or a token jieba tags as a proper noun.
fn has_proper(lex: &Lexicon, ctx: &SentCtx<'_>, start: usize, end: usize) -> bool {
    let mut i = start;
    while i < end {
        let Some(&ti) = ctx.tok_at.get(i) else { break };
        let Some(t) = ctx.toks.get(ti) else { break };
        let t_end = t.end.min(end);
        let known = ctx
            .longest_starting_at(lex, i, |k| {
                matches!(
                    k,
                    Kind::Place
                        | Kind::Division
                        | Kind::ShortPlace
                        | Kind::Org
                        | Kind::GenericBody
                        | Kind::BodyAbbrev
                )
            })
            .is_some_and(|h| h.end <= end);
        let word = ctx.word(t);
        if known
            || (proper_pos(t.pos)
                && t.end <= end
                && t_end == t.end
                && !lex.person_stopwords.contains(word))
        {
            return true;
        }
        i = t.end.max(i + 1);
    }
    false
}

/// Organisations and places built from a suffix and the name-like words before it.
fn suffix_names(lex: &Lexicon, ctx: &SentCtx<'_>, settings: &RuleSettings, out: &mut Vec<Cand>) {
    let is_suffix = |k: &Kind| matches!(k, Kind::OrgSuffix(_) | Kind::LocSuffix(_));
    for end in ctx.hit_ends(lex, is_suffix) {
        if end == 0 || !ctx.tok_end.get(end).copied().unwrap_or(false) {
            continue;
        }
        let Some(suffix) = ctx.longest_ending_at(lex, end, is_suffix) else {
            continue;
        };
        let kinds = ctx.kinds(lex, &suffix);
        // A place suffix wins over an organisation suffix of the same string (会展中心).
        let loc_kind = kinds.iter().find_map(|k| {
            if let Kind::LocSuffix(l) = k {
                Some(*l)
            } else {
                None
            }
        });
        let org_kind = kinds.iter().find_map(|k| {
            if let Kind::OrgSuffix(o) = k {
                Some(*o)
            } else {
                None
            }
        });
        let allow_numbers = matches!(loc_kind, Some(LocSuffixKind::Venue));
        let cross_org = SUBUNIT_SUFFIXES.contains(&ctx.slice(suffix.start, suffix.end));
        let start = if matches!(org_kind, Some(OrgSuffixKind::Company)) && loc_kind.is_none() {
            // The brand is the one word before the industry word.
            match ctx
                .tok_at
                .get(suffix.start.wrapping_sub(1))
                .and_then(|&ti| ctx.toks.get(ti))
            {
                Some(t) if suffix.start > 0 && t.end == suffix.start => t.start,
                _ => continue,
            }
        } else {
            extend_left(
                lex,
                ctx,
                suffix.start,
                settings.max_name_chars,
                allow_numbers,
                cross_org,
            )
        };
        if start >= suffix.start {
            continue;
        }
        let body = ctx.slice(start, suffix.start);
        let body_len = suffix.start - start;
        let redacted = ctx.has_placeholder(start, suffix.start);
        let (ty, ok) = if let Some(l) = loc_kind {
            let ok = match l {
                LocSuffixKind::Region => has_proper(lex, ctx, start, suffix.start),
                LocSuffixKind::Venue => {
                    let first = first_token_text(ctx, start);
                    body_len >= 2
                        && !lex.stopwords.contains(first)
                        && !lex.generic_modifiers.contains(first)
                        && !generic_venue(body)
                }
                LocSuffixKind::Division => {
                    (2..=3).contains(&body_len)
                        && ctx.tok_start.get(start).copied().unwrap_or(false)
                        && single_proper_token(ctx, start, suffix.start)
                }
            };
            (EntityType::Loc, ok)
        } else if let Some(o) = org_kind {
            // A title right after is evidence enough (某某集团董事长).
            let titled = ctx
                .longest_starting_at(lex, end, |k| matches!(k, Kind::Title | Kind::TitlePrefix))
                .is_some();
            let ok = match o {
                OrgSuffixKind::General => {
                    has_proper(lex, ctx, start, suffix.start)
                        || ["国家", "中国", "中华"].iter().any(|p| body.starts_with(p))
                        || (titled
                            && (2..=4).contains(&body_len)
                            && !lex.generic_modifiers.contains(body))
                }
                OrgSuffixKind::Body => {
                    // A place or level right before: 东阿县委, 市直机关工委.
                    ctx.longest_ending_at(lex, suffix.start, is_place_kind)
                        .is_some_and(|h| h.start == start)
                }
                OrgSuffixKind::Company => {
                    (2..=4).contains(&body_len)
                        && (brand_token(ctx, start, suffix.start)
                            || has_proper(lex, ctx, start, suffix.start)
                            || titled)
                        && !lex.stopwords.contains(body)
                        && !lex.generic_modifiers.contains(body)
                }
            };
            (EntityType::Org, ok)
        } else {
            continue;
        };
        if !ok && !redacted {
            continue;
        }
        // A venue or zone led by a full division name stands apart from it
        // (冠县 + 中华第一梨园景区); organisations keep their place (冠县某某有限公司).
        if matches!(
            loc_kind,
            Some(LocSuffixKind::Venue | LocSuffixKind::Division)
        ) {
            if let Some(place) =
                ctx.longest_starting_at(lex, start, |k| matches!(k, Kind::Division))
            {
                if place.end < suffix.start
                    && suffix.start - place.end >= 2
                    && ctx.tok_start.get(place.end).copied().unwrap_or(false)
                {
                    out.push(Cand {
                        start: place.end,
                        end,
                        ty: Some(ty),
                        title: None,
                        rank: 4,
                        redacted,
                    });
                    continue;
                }
            }
        }
        out.push(Cand {
            start,
            end,
            ty: Some(ty),
            title: None,
            rank: 4,
            redacted,
        });
    }
}

fn first_token_text<'a>(ctx: &SentCtx<'a>, start: usize) -> &'a str {
    ctx.tok_at
        .get(start)
        .and_then(|&ti| ctx.toks.get(ti))
        .map_or("", |t| ctx.word(t))
}

/// Bodies before a venue suffix that make it a common noun (城市公园, 主题公园).
fn generic_venue(body: &str) -> bool {
    const GENERIC: &[&str] = &[
        "城市", "国家", "主题", "生态", "森林", "文化", "体育", "国际", "中心", "湿地", "城乡",
        "沿海", "新", "老", "大型",
    ];
    GENERIC.iter().any(|g| {
        body == *g
            || body
                .strip_prefix(g)
                .is_some_and(|rest| rest.starts_with('的'))
    })
}

/// True when `start..end` is one token tagged as a proper or unknown word.
fn single_proper_token(ctx: &SentCtx<'_>, start: usize, end: usize) -> bool {
    let Some(t) = ctx.tok_at.get(start).and_then(|&ti| ctx.toks.get(ti)) else {
        return false;
    };
    t.start == start && t.end == end && (proper_pos(t.pos) || t.pos == "x")
}

/// True when `start..end` is one token that is not a common word by its tag (a brand:
/// 某某 tagged as a name, an unknown word or an adjective-looking coinage).
fn brand_token(ctx: &SentCtx<'_>, start: usize, end: usize) -> bool {
    let Some(t) = ctx.tok_at.get(start).and_then(|&ti| ctx.toks.get(ti)) else {
        return false;
    };
    t.start == start
        && t.end == end
        && !matches!(
            t.pos,
            "n" | "vn" | "v" | "d" | "p" | "c" | "u" | "uj" | "r" | "m" | "q" | "f" | "t" | ""
        )
}

/// Department abbreviations after a level or place: 市发改委, 潍坊市教育局, 省财政厅.
fn body_abbreviations(lex: &Lexicon, ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    for h in ctx.hits_by_end() {
        if !ctx
            .kinds(lex, h)
            .iter()
            .any(|k| matches!(k, Kind::BodyAbbrev))
        {
            continue;
        }
        if !ctx.tok_end.get(h.end).copied().unwrap_or(false) || h.start == 0 {
            continue;
        }
        // A full place name right before (潍坊市教育局).
        if let Some(place) = ctx.longest_ending_at(lex, h.start, is_place_kind) {
            if ctx.tok_start.get(place.start).copied().unwrap_or(false) {
                out.push(Cand {
                    start: place.start,
                    end: h.end,
                    ty: Some(EntityType::Org),
                    title: None,
                    rank: 4,
                    redacted: false,
                });
                continue;
            }
        }
        // A level character right before (市发改委).
        let level = ctx.char_at(h.start - 1);
        if level.is_some_and(|c| matches!(c, '省' | '市' | '区' | '县' | '州' | '镇' | '乡' | '旗'))
        {
            let start = h.start - 1;
            let redacted = start > 0 && ctx.char_at(start - 1).is_some_and(is_placeholder);
            out.push(Cand {
                start: if redacted { start - 1 } else { start },
                end: h.end,
                ty: Some(EntityType::Org),
                title: None,
                rank: 4,
                redacted,
            });
        }
    }
}

/// Items of a list ending in 等…企业 (支持甲乙科技、丙丁集团等企业): each item is a company.
/// Items are separated by 、 (the last may follow 和/及/与); the first item is bounded on
/// the left by a verb, preposition, particle or punctuation.
fn listed_companies(lex: &Lexicon, ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    const HEADS: &[&str] = &[
        "企业", "公司", "集团", "院所", "厂商", "车企", "药企", "银行", "高校", "院校",
    ];
    for (ti, t) in ctx.toks.iter().enumerate() {
        if ctx.word(t) != "等" {
            continue;
        }
        // A head word starting within four characters of 等, inside the next eight.
        let tail_end = (t.end + 8).min(ctx.len());
        let head_ok = (t.end..=t.end + 4).any(|at| {
            let rest = ctx.slice(at, tail_end);
            HEADS.iter().any(|h| rest.starts_with(h))
        });
        if !head_ok {
            continue;
        }
        // The clause before 等, split at 、 into segments of token indices.
        let mut segments: Vec<Vec<usize>> = vec![Vec::new()];
        let mut k = ti;
        while k > 0 {
            k -= 1;
            let Some(p) = ctx.toks.get(k) else { break };
            let w = ctx.word(p);
            if w == "、" {
                segments.push(Vec::new());
                continue;
            }
            if w.chars()
                .any(|c| !(is_han(c) || c.is_ascii_alphanumeric() || is_placeholder(c)))
            {
                break;
            }
            if let Some(seg) = segments.last_mut() {
                seg.push(k);
            }
        }
        if segments.len() < 2 {
            continue;
        }
        let last = segments.len() - 1;
        let mut items: Vec<(usize, usize)> = Vec::new();
        for (si, seg) in segments.iter().enumerate() {
            // seg holds token indices from right to left.
            let mut idx: Vec<usize> = seg.clone();
            if si == 0 {
                // The last item may follow 和/及/与: cut there.
                if let Some(pos) = idx.iter().position(|&j| {
                    ctx.toks
                        .get(j)
                        .is_some_and(|q| matches!(ctx.word(q), "和" | "及" | "与" | "以及"))
                }) {
                    if let Some(item) = span_of(ctx, &idx[..pos]) {
                        items.push(item);
                    }
                    idx = idx[pos + 1..].to_vec();
                    if let Some(item) = span_of(ctx, &idx) {
                        items.push(item);
                    }
                    continue;
                }
            }
            if si == last {
                // The first item: name-like words right before the first 、.
                let keep = idx
                    .iter()
                    .take_while(|&&j| {
                        ctx.toks.get(j).is_some_and(|q| {
                            !matches!(
                                q.pos,
                                "v" | "p" | "u" | "ul" | "uj" | "uz" | "c" | "r" | "d" | "vd"
                            ) && !lex.stopwords.contains(ctx.word(q))
                        })
                    })
                    .count();
                idx.truncate(keep);
            }
            if let Some(item) = span_of(ctx, &idx) {
                items.push(item);
            }
        }
        for (s, e) in items {
            if !(2..=7).contains(&(e - s)) {
                continue;
            }
            let is_place = ctx
                .longest_starting_at(lex, s, is_place_kind)
                .is_some_and(|h| h.end == e);
            if is_place || lex.stopwords.contains(ctx.slice(s, e)) {
                continue;
            }
            out.push(Cand {
                start: s,
                end: e,
                ty: Some(EntityType::Org),
                title: None,
                rank: 2,
                redacted: ctx.has_placeholder(s, e),
            });
        }
    }
}

/// The character span of tokens `idx` (given right to left, contiguous).
fn span_of(ctx: &SentCtx<'_>, idx: &[usize]) -> Option<(usize, usize)> {
    let first = ctx.toks.get(*idx.last()?)?;
    let last = ctx.toks.get(*idx.first()?)?;
    Some((first.start, last.end))
}

/// True when `s` may be a person's name: 2–4 Han characters starting with a surname.
fn name_shape(lex: &Lexicon, s: &str) -> bool {
    let n = s.chars().count();
    if !(2..=4).contains(&n) || !s.chars().all(is_han) {
        return false;
    }
    // Byte ends of the first and the first two characters.
    let mut ends = s.char_indices().map(|(b, c)| b + c.len_utf8());
    let first = ends.next().and_then(|b| s.get(..b)).unwrap_or("");
    let first2 = ends.next().and_then(|b| s.get(..b)).unwrap_or("");
    (lex.surnames.contains(first) && n <= 3) || (n >= 3 && lex.surnames.contains(first2))
}

fn is_rejected_name(lex: &Lexicon, ctx: &SentCtx<'_>, start: usize, end: usize) -> bool {
    if lex.person_stopwords.contains(ctx.slice(start, end)) {
        return true;
    }
    // A title, a place or an organisation is not a name.
    ctx.longest_starting_at(lex, start, |k| {
        matches!(
            k,
            Kind::Title
                | Kind::TitlePrefix
                | Kind::Place
                | Kind::Division
                | Kind::ShortPlace
                | Kind::Org
                | Kind::GenericBody
        )
    })
    .is_some_and(|h| h.end == end)
}

/// True when `s` is one of the person cues (说, 表示, 同志…).
fn is_person_cue(lex: &Lexicon, s: &str) -> bool {
    lex.person_cues.iter().any(|c| c == s)
}

/// True when the text at `at` starts with one of `words`.
fn starts_with_any(ctx: &SentCtx<'_>, at: usize, words: &[String]) -> bool {
    let ahead = ctx.slice(at, (at + 4).min(ctx.len()));
    words.iter().any(|w| ahead.starts_with(w.as_str()))
}

/// Tags of words that are never a person's name on their own.
fn function_pos(pos: &str) -> bool {
    matches!(
        pos,
        "p" | "c"
            | "u"
            | "uj"
            | "ul"
            | "uz"
            | "ud"
            | "ug"
            | "uv"
            | "d"
            | "r"
            | "v"
            | "vd"
            | "a"
            | "ad"
            | "m"
            | "q"
            | "f"
            | "t"
            | "y"
    )
}

/// Tags of particles, prepositions and conjunctions (a lone character with one of these
/// after a name is not the name's last character: 某某的, 某某和).
fn function_pos_strict(pos: &str) -> bool {
    matches!(
        pos,
        "p" | "c" | "u" | "uj" | "ul" | "uz" | "ud" | "ug" | "uv" | "r" | "y" | "d" | "x"
    )
}

/// Length of the person's name starting at `p` (after a title), if there is one.
fn name_at(lex: &Lexicon, ctx: &SentCtx<'_>, p: usize) -> Option<usize> {
    let n = ctx.len();
    // A run of Han characters closed by a space, punctuation or the end (bylines).
    let mut run = p;
    while run < n && ctx.char_at(run).is_some_and(is_han) {
        run += 1;
    }
    let closed = run == n || ctx.char_at(run).is_some_and(|c| !is_han(c));
    let single_word = ctx
        .tok_at
        .get(p)
        .and_then(|&ti| ctx.toks.get(ti))
        .is_some_and(|t| t.start == p && t.end == run && function_pos(t.pos));
    if closed && !single_word && (2..=4).contains(&(run - p)) && name_shape(lex, ctx.slice(p, run))
    {
        return Some(run - p);
    }
    let tok = ctx.tok_at.get(p).and_then(|&ti| ctx.toks.get(ti))?;
    if tok.start != p {
        return None;
    }
    // A token jieba tags as a name; a two-character one may have lost its last character
    // to a cue (某某/某说).
    if tok.pos.starts_with("nr") && name_shape(lex, ctx.slice(tok.start, tok.end)) {
        let len = tok.end - tok.start;
        if len == 2 && name_shape(lex, ctx.slice(p, p + 3)) {
            if let Some(g) = ctx.tok_at.get(tok.end).and_then(|&ti| ctx.toks.get(ti)) {
                if g.start == tok.end
                    && g.end > g.start + 1
                    && is_person_cue(lex, ctx.slice(g.start + 1, g.end))
                {
                    return Some(3);
                }
                // 某某/某/说: a lone character between the name and a cue.
                if g.start == tok.end
                    && g.end == g.start + 1
                    && !function_pos_strict(g.pos)
                    && starts_with_any(ctx, g.end, &lex.person_cues)
                {
                    return Some(3);
                }
            }
        }
        return Some(len);
    }
    // Surname + one or two characters ending on a token boundary, or followed by a cue
    // that jieba glued to the last character (某某某说 cut as 某某/某说).
    for len in [3usize, 2] {
        let end = p + len;
        if end > n || !name_shape(lex, ctx.slice(p, end)) {
            continue;
        }
        if ctx.tok_end.get(end).copied().unwrap_or(false) {
            // One token with a function-word tag is a word, not a name (关于, 认为).
            if tok.end == end && function_pos(tok.pos) {
                continue;
            }
            return Some(len);
        }
        let glued = ctx.tok_at.get(end).and_then(|&ti| ctx.toks.get(ti));
        if let Some(g) = glued {
            if g.start < end
                && !ctx.slice(end, g.end).is_empty()
                && is_person_cue(lex, ctx.slice(end, g.end))
            {
                return Some(len);
            }
        }
    }
    None
}

/// The title chain ending at `end`: 市委副书记、市长 → "市委副书记、市长", with the span of
/// each part (the parts hide generic bodies inside them; an organisation skipped between
/// two parts stays visible).
fn title_before(
    lex: &Lexicon,
    ctx: &SentCtx<'_>,
    end: usize,
    orgs: &[Cand],
) -> Option<(Vec<(usize, usize)>, String)> {
    let mut parts: Vec<(usize, usize)> = Vec::new();
    let mut pos = end;
    loop {
        let Some(title) = ctx.longest_ending_at(lex, pos, |k| matches!(k, Kind::Title)) else {
            break;
        };
        let mut s = title.start;
        if let Some(prefix) = ctx.longest_ending_at(lex, s, |k| matches!(k, Kind::TitlePrefix)) {
            s = prefix.start;
        }
        parts.push((s, pos));
        if s > 0 && ctx.char_at(s - 1) == Some('、') {
            pos = s - 1;
            continue;
        }
        // 书记、某某公司总经理: skip the organisation between two titles.
        if let Some(org) = orgs
            .iter()
            .find(|o| o.end == s && o.ty == Some(EntityType::Org))
        {
            if org.start > 0 && ctx.char_at(org.start - 1) == Some('、') {
                pos = org.start - 1;
                continue;
            }
        }
        break;
    }
    if parts.is_empty() {
        return None;
    }
    parts.reverse();
    let chain = parts
        .iter()
        .map(|&(s, e)| ctx.text(s, e))
        .collect::<Vec<_>>()
        .join("、");
    Some((parts, chain))
}

/// Names written after a title: 市委书记某某, 记者 甲乙 丙丁.
fn titled_persons(lex: &Lexicon, ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    let n = ctx.len();
    // Organisations found so far may stand between two titles of a chain.
    let found_before = out.len();
    for end in ctx.hit_ends(lex, |k| matches!(k, Kind::Title)) {
        if !(1..n).contains(&end) || !ctx.tok_end.get(end).copied().unwrap_or(false) {
            continue;
        }
        let Some(title) = ctx.longest_ending_at(lex, end, |k| matches!(k, Kind::Title)) else {
            continue;
        };
        let press = matches!(ctx.slice(title.start, title.end), "记者" | "通讯员");
        let mut p = end;
        if press {
            while p < n && ctx.char_at(p).is_some_and(|c| c.is_whitespace()) {
                p += 1;
            }
        }
        let Some(len) = name_at(lex, ctx, p) else {
            continue;
        };
        if is_rejected_name(lex, ctx, p, p + len) {
            continue;
        }
        let orgs = out.get(..found_before).unwrap_or(&[]);
        let Some((parts, chain)) = title_before(lex, ctx, end, orgs) else {
            continue;
        };
        for (s, e) in parts {
            out.push(Cand {
                start: s,
                end: e,
                ty: None,
                title: None,
                rank: 0,
                redacted: false,
            });
        }
        out.push(Cand {
            start: p,
            end: p + len,
            ty: Some(EntityType::Per),
            title: Some(chain.clone()),
            rank: 3,
            redacted: false,
        });
        if press {
            // More names of the byline, separated by spaces.
            let mut q = p + len;
            loop {
                let mut r = q;
                while r < n && ctx.char_at(r).is_some_and(|c| c.is_whitespace()) {
                    r += 1;
                }
                if r == q {
                    break;
                }
                let mut e = r;
                while e < n && ctx.char_at(e).is_some_and(is_han) {
                    e += 1;
                }
                let closed = e == n || ctx.char_at(e).is_some_and(|c| !is_han(c));
                if !(closed && name_shape(lex, ctx.slice(r, e))) || is_rejected_name(lex, ctx, r, e)
                {
                    break;
                }
                out.push(Cand {
                    start: r,
                    end: e,
                    ty: Some(EntityType::Per),
                    title: Some(chain.clone()),
                    rank: 3,
                    redacted: false,
                });
                q = e;
            }
        }
    }
}

/// Names jieba tags `nr`, confirmed by a title right after (某某总书记) or by a cue
/// (某某说, 某某同志).
fn pos_persons(lex: &Lexicon, ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    for t in &ctx.toks {
        if !t.pos.starts_with("nr") {
            continue;
        }
        if !name_shape(lex, ctx.word(t)) || is_rejected_name(lex, ctx, t.start, t.end) {
            continue;
        }
        let after = ctx.longest_starting_at(lex, t.end, |k| matches!(k, Kind::Title));
        let title = after
            .filter(|h| ctx.tok_end.get(h.end).copied().unwrap_or(false))
            .map(|h| ctx.text(h.start, h.end));
        if title.is_none() && !starts_with_any(ctx, t.end, &lex.person_cues) {
            continue;
        }
        let rank = if title.is_some() { 3 } else { 1 };
        out.push(Cand {
            start: t.start,
            end: t.end,
            ty: Some(EntityType::Per),
            title,
            rank,
            redacted: false,
        });
    }
}

/// Marks candidates right after a placeholder as redacted (X路南延, X港): they are parts of
/// a redacted name.
pub(crate) fn mark_redacted_context(ctx: &SentCtx<'_>, cands: &mut [Cand]) {
    for c in cands.iter_mut() {
        if c.ty.is_some()
            && c.ty != Some(EntityType::Term)
            && c.start > 0
            && ctx.char_at(c.start - 1).is_some_and(is_placeholder)
        {
            c.redacted = true;
        }
    }
}

/// Keeps non-overlapping candidates of a sentence of `n` characters: longer first, then
/// higher rank, then earlier; the kept ones are left in `cands` in text order. `taken` is
/// a scratch buffer.
pub(crate) fn resolve(cands: &mut Vec<Cand>, n: usize, taken: &mut Vec<bool>) {
    cands.sort_by(|a, b| {
        (b.end - b.start)
            .cmp(&(a.end - a.start))
            .then(b.rank.cmp(&a.rank))
            .then(a.start.cmp(&b.start))
            .then(b.title.is_some().cmp(&a.title.is_some()))
    });
    taken.clear();
    taken.resize(n, false);
    cands.retain(|c| {
        if c.end > n || c.start >= c.end {
            return false;
        }
        if taken
            .get(c.start..c.end)
            .is_some_and(|s| s.iter().any(|&t| t))
        {
            return false;
        }
        for slot in taken.iter_mut().take(c.end).skip(c.start) {
            *slot = true;
        }
        true
    });
    cands.sort_by_key(|c| (c.start, c.end));
}
