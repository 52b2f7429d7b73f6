//! Candidate generation and resolution for one sentence.
//!
//! Offsets in this module are character offsets relative to the sentence.

use gongwen_model::{EntityType, Token};

use crate::lexicon::{CharSet, KindSet, Lexicon, LocSuffixKind, OrgSuffixKind};

/// Characters that stand for a redacted name or digit.
pub(crate) fn is_placeholder(c: char) -> bool {
    matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ' | '×' | '*' | '＊' | '※' | '某')
}

/// True for CJK ideographs.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// A token of the sentence, with sentence-relative character offsets (built on demand
/// from segment's token, see [`SentCtx::tok`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok<'a> {
    pub start: usize,
    pub end: usize,
    pub pos: &'a str,
    /// The word (the text of the token's characters when segment gave none).
    pub word: &'a str,
}

/// A lexicon match, sentence-relative.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    /// The pattern's kinds.
    pub kinds: KindSet,
    /// The pattern (an index into the lexicon's `info`).
    pub pattern: u32,
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

/// What the decoding of a sentence noticed in its characters (bits of a `u8`).
pub(crate) mod sent_flags {
    /// An opening quote (“ ‘ 「 『 or "): the only start of a quoted term.
    pub const QUOTE: u8 = 1;
    /// The character 等 (company lists).
    pub const DENG: u8 = 2;
}

/// The [`sent_flags`] bit of character `c`, 0 for most characters (a range test first:
/// Han characters other than 等 are above all the others). The decoding notes the flags
/// together with the quotes (`note_char`); this is the tests' oracle.
#[cfg(test)]
pub(crate) fn char_flag(c: char) -> u8 {
    if (c as u32) >= 0x3010 && c != '等' {
        return 0;
    }
    match c {
        '“' | '‘' | '「' | '『' | '"' => sent_flags::QUOTE,
        '等' => sent_flags::DENG,
        _ => 0,
    }
}

/// Whether `c` is a quote character, opening or closing (“ ” ‘ ’ 「 」 『 』 "): the only
/// characters the search for quoted terms reads. All are below U+3010. (The decoding notes
/// them with the flags, in `note_char`; this is the tests' oracle.)
#[cfg(test)]
pub(crate) fn is_quote(c: char) -> bool {
    matches!(c, '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '"')
}

/// Whether a jieba tag marks a person name (`nr`, `nrfg`, `nrt`): a test of its first two
/// bytes.
#[inline]
pub(crate) fn is_name_tag(pos: &str) -> bool {
    matches!(pos.as_bytes(), [b'n', b'r', ..])
}

/// Whether `c` takes other than three bytes in UTF-8 (outside `U+0800..=U+FFFF`): the
/// characters a [`ByteMap`] lists.
#[inline]
pub(crate) fn is_odd_width(c: char) -> bool {
    !matches!(c as u32, 0x800..=0xFFFF)
}

/// The byte offsets of a sentence's characters, kept sparse: almost every character of a
/// Chinese text takes three bytes in UTF-8, so only the others are listed, each as
/// (its index, the byte offset of the character after it), in order. The offset of
/// character `i` is then three bytes per character after the last listed one before `i`
/// (or from the start). Building it touches only the few listed characters; an offset is
/// asked only for the sentences a rule reads and the mentions written out.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ByteMap<'a> {
    odd: &'a [(u32, u32)],
}

impl<'a> ByteMap<'a> {
    /// A map from its list of characters that do not take three bytes (see [`ByteMap`]).
    pub(crate) fn new(odd: &'a [(u32, u32)]) -> Self {
        ByteMap { odd }
    }

    /// The byte offset of character `i` (past the last character: the text's length).
    pub(crate) fn at(&self, i: usize) -> usize {
        if self.odd.is_empty() {
            return 3 * i;
        }
        // Listed characters before `i`: the last one gives the offset after it.
        let before = self.odd.partition_point(|&(k, _)| (k as usize) < i);
        match before.checked_sub(1).and_then(|j| self.odd.get(j)) {
            Some(&(k, after)) => after as usize + 3 * i.saturating_sub(k as usize + 1),
            None => 3 * i,
        }
    }

    /// Appends to `odd` the entry of character `k` of a sentence, `c` (which
    /// [`is_odd_width`]); the sentence's entries start at index `from` of `odd`. (Not
    /// inlined: the loops that call it over every character stay small.)
    #[inline(never)]
    pub(crate) fn note(odd: &mut Vec<(u32, u32)>, from: usize, k: usize, c: char) {
        let before = match odd.get(from..).and_then(<[_]>::last) {
            Some(&(j, after)) => after as usize + 3 * k.saturating_sub(j as usize + 1),
            None => 3 * k,
        };
        odd.push((k as u32, (before + c.len_utf8()) as u32));
    }
}

/// A sentence's characters as the recogniser decoded them: the characters, their byte
/// offsets, what the decoding noticed and where the quotes are.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SentChars<'a> {
    /// The characters.
    pub chars: &'a [char],
    /// Their byte offsets in the sentence's text.
    pub bytes: ByteMap<'a>,
    /// What the decoding noticed ([`sent_flags`]).
    pub flags: u8,
    /// The indices of the quote characters (`is_quote`), ascending: noted by the decoding
    /// (which looks at every character below U+3010 anyway), so that the search for quoted
    /// terms does not read every character again.
    pub quotes: &'a [u32],
}

/// The buffers of a [`SentCtx`] that outlive it: a thread keeps them from one document to
/// the next, so recognising a document allocates nothing once they are large enough.
#[derive(Debug, Default)]
pub(crate) struct SentBuffers {
    hits: Vec<Hit>,
    by_end: Vec<u32>,
    bounds: Vec<u64>,
}

/// Everything known about one sentence while recognising it. One value is reused for all
/// the sentences of a document ([`SentCtx::set_sentence`] starts the next one), so a
/// sentence costs no allocation once the buffers are large enough. It is filled in steps,
/// each only when needed: the characters and lexicon hits for every sentence
/// ([`SentCtx::find_hits`]), the tokens only for sentences some rule may find something
/// in ([`SentCtx::set_tokens`]).
///
/// Tokens are read in place: segment's tokens of a sentence normally tile it (each starts
/// where the previous one ends, the first at the sentence's start, the last at its end),
/// and then [`SentCtx::tok`] builds a token's sentence-relative view from segment's row
/// when a rule asks for it. Only when they do not (a token missing, overlapping or out of
/// range) are the tokens rebuilt in `owned`, gaps filled with one-character tokens tagged
/// `x`. Rebuilt or not, the tokens tile the sentence, so one set of boundaries serves as
/// both token starts and token ends.
#[derive(Debug, Default)]
pub(crate) struct SentCtx<'a> {
    /// The sentence text.
    src: &'a str,
    /// Its characters (the recogniser decodes a document's text once).
    pub chars: &'a [char],
    /// Byte offsets in `src` of the characters.
    byte_of: ByteMap<'a>,
    /// What the decoding noticed ([`sent_flags`]).
    pub flags: u8,
    /// The indices of the quote characters ([`SentChars::quotes`]).
    quotes: &'a [u32],
    /// Segment's tokens of the sentence when they tile it (empty otherwise).
    raw: &'a [Token],
    /// The sentence's offset in the document (segment's spans are document-relative).
    raw_start: usize,
    /// The rebuilt tokens, when segment's do not tile the sentence.
    owned: Vec<Tok<'a>>,
    /// True when the tokens are `owned`, false when they are `raw`.
    rebuilt: bool,
    /// Bit `i`: a token starts (and the previous one ends) at character `i`; bits 0 and
    /// `n` are set (`n + 1` bits).
    bounds: Vec<u64>,
    /// Lexicon matches, in order of start and then end.
    pub hits: Vec<Hit>,
    /// Hit indices in order of end and then start.
    by_end: Vec<u32>,
    /// The kinds of all the hits together (rules skip a sentence without their kinds).
    pub hit_kinds: KindSet,
}

impl<'a> SentCtx<'a> {
    /// A context using `buffers` (kept from an earlier document).
    pub fn with_buffers(buffers: SentBuffers) -> SentCtx<'a> {
        SentCtx {
            hits: buffers.hits,
            by_end: buffers.by_end,
            bounds: buffers.bounds,
            ..SentCtx::default()
        }
    }

    /// The buffers, for the next document.
    pub fn into_buffers(self) -> SentBuffers {
        SentBuffers {
            hits: self.hits,
            by_end: self.by_end,
            bounds: self.bounds,
        }
    }

    /// Starts the sentence `text`, decoded as `decoded`: no tokens, no hits yet.
    pub fn set_sentence(&mut self, text: &'a str, decoded: SentChars<'a>) {
        self.src = text;
        self.chars = decoded.chars;
        self.byte_of = decoded.bytes;
        self.flags = decoded.flags;
        self.quotes = decoded.quotes;
        self.raw = &[];
        self.owned.clear();
        self.rebuilt = false;
        self.bounds.clear();
        self.hits.clear();
        self.by_end.clear();
        self.hit_kinds = KindSet::NONE;
    }

    /// Sets the sentence's tokens from `raw` (document-relative spans, in order; those
    /// starting before `sent_start`, the sentence's offset in the document, are left out).
    /// Tokens that do not fit the text are ignored;
    /// characters not covered by a token become one-character tokens tagged `x`.
    pub fn set_tokens(&mut self, raw: &'a [Token], sent_start: usize) {
        let n = self.chars.len();
        self.raw = &[];
        self.raw_start = sent_start;
        self.owned.clear();
        self.rebuilt = false;
        self.bounds.clear();
        self.bounds.resize(n / 64 + 1, 0);
        // The usual case: the tokens tile the sentence. One pass checks it and marks the
        // boundaries.
        let end = sent_start + n;
        let mut pos = sent_start;
        let mut tiled = true;
        for t in raw {
            if t.span.start != pos || t.span.end <= pos || t.span.end > end {
                tiled = false;
                break;
            }
            pos = t.span.end;
            self.mark_bound(pos - sent_start);
        }
        self.mark_bound(0);
        self.mark_bound(n);
        if tiled && pos == end {
            self.raw = raw;
            return;
        }
        self.bounds.fill(0);
        self.rebuilt = true;
        let mut pos = 0usize;
        for t in raw {
            if t.span.start < sent_start {
                continue;
            }
            let start = t.span.start - sent_start;
            let end = t.span.end.saturating_sub(sent_start);
            if start < pos || end <= start || end > n {
                continue;
            }
            while pos < start {
                self.push_gap_token(pos);
                pos += 1;
            }
            pos = end;
            let word = t.word.as_str();
            let word = if word.is_empty() {
                self.slice(start, end)
            } else {
                word
            };
            self.push_token(Tok {
                start,
                end,
                pos: t.pos.as_str(),
                word,
            });
        }
        while pos < n {
            self.push_gap_token(pos);
            pos += 1;
        }
        self.mark_bound(0);
        self.mark_bound(n);
    }

    /// Sets boundary bit `i`.
    #[inline]
    fn mark_bound(&mut self, i: usize) {
        if let Some(w) = self.bounds.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    /// True when a token starts at character `i` (or `i` is the sentence's end) — the
    /// same as a token ending there (or `i` being 0), the tokens tiling the sentence.
    #[inline]
    pub fn is_bound(&self, i: usize) -> bool {
        self.bounds
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// Appends rebuilt token `t` (within the sentence, after the previous one) and marks
    /// its boundaries.
    fn push_token(&mut self, t: Tok<'a>) {
        self.mark_bound(t.start);
        self.mark_bound(t.end);
        self.owned.push(t);
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

    /// The view of segment's token `t` (one of `raw`).
    #[inline]
    fn view(&self, t: &'a Token) -> Tok<'a> {
        let start = t.span.start.wrapping_sub(self.raw_start);
        let end = t.span.end.wrapping_sub(self.raw_start);
        let word = t.word.as_str();
        Tok {
            start,
            end,
            pos: t.pos.as_str(),
            word: if word.is_empty() {
                self.slice(start, end)
            } else {
                word
            },
        }
    }

    /// The number of tokens.
    #[cfg(test)]
    pub fn tok_count(&self) -> usize {
        if self.rebuilt {
            self.owned.len()
        } else {
            self.raw.len()
        }
    }

    /// Token `k`.
    pub fn tok(&self, k: usize) -> Option<Tok<'a>> {
        if self.rebuilt {
            self.owned.get(k).copied()
        } else {
            self.raw.get(k).map(|t| self.view(t))
        }
    }

    /// The index of the token starting at character `i`, if one does (a binary search).
    pub fn tok_index_starting_at(&self, i: usize) -> Option<usize> {
        if self.rebuilt {
            let k = self.owned.partition_point(|t| t.start < i);
            self.owned.get(k).filter(|t| t.start == i).map(|_| k)
        } else {
            let at = self.raw_start.saturating_add(i);
            let k = self.raw.partition_point(|t| t.span.start < at);
            self.raw.get(k).filter(|t| t.span.start == at).map(|_| k)
        }
    }

    /// Every token, in order (no rule reads them all; the tests' oracles do).
    #[cfg(test)]
    pub fn tokens(&self) -> impl Iterator<Item = Tok<'a>> + '_ {
        (0..self.tok_count()).filter_map(|k| self.tok(k))
    }

    /// The tokens tagged as person names (see [`is_name_tag`]), in order (the tag is read
    /// first).
    pub fn name_tokens(&self) -> impl Iterator<Item = Tok<'a>> + '_ {
        let raw = self.raw.iter().filter(|t| is_name_tag(&t.pos));
        let owned = self.owned.iter().filter(|t| is_name_tag(t.pos));
        raw.map(|t| self.view(t)).chain(owned.copied())
    }

    /// Finds every lexicon string in the sentence (overlapping) and orders the hits by end.
    pub fn find_hits(&mut self, lex: &Lexicon) {
        self.hits.clear();
        let hits = &mut self.hits;
        let mut seen = KindSet::NONE;
        lex.trie.for_each_match(self.chars, |start, end, pat| {
            let kinds = lex.info.get(pat).map_or(KindSet::NONE, |i| i.kinds);
            seen = seen.or(kinds);
            hits.push(Hit {
                start,
                end,
                kinds,
                pattern: pat as u32,
            });
        });
        self.hit_kinds = seen;
        // A sentence has few hits: sorting their indices beats a table per character.
        self.by_end.clear();
        self.by_end.extend(0..self.hits.len() as u32);
        let hits = &self.hits;
        self.by_end
            .sort_unstable_by_key(|&i| hits.get(i as usize).map(|h| (h.end, h.start)));
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// The byte offset of character `i` (the text's length at the end).
    fn byte(&self, i: usize) -> Option<usize> {
        match i.cmp(&self.chars.len()) {
            std::cmp::Ordering::Less => Some(self.byte_of.at(i)),
            std::cmp::Ordering::Equal => Some(self.src.len()),
            std::cmp::Ordering::Greater => None,
        }
    }

    /// The text of characters `start..end` ("" when out of range).
    pub fn slice(&self, start: usize, end: usize) -> &'a str {
        let src: &'a str = self.src;
        match (self.byte(start), self.byte(end)) {
            (Some(a), Some(b)) if a <= b => src.get(a..b).unwrap_or(""),
            _ => "",
        }
    }

    /// The text of characters `start..end`, owned.
    pub fn text(&self, start: usize, end: usize) -> String {
        self.slice(start, end).to_string()
    }

    fn aligned(&self, start: usize, end: usize) -> bool {
        self.is_bound(start) && self.is_bound(end)
    }

    /// The token covering character `i` (a binary search: the rules ask near hits only,
    /// cheaper than a token index for every character).
    pub fn tok_covering(&self, i: usize) -> Option<Tok<'a>> {
        let tok = if self.rebuilt {
            let after = self.owned.partition_point(|t| t.start <= i);
            after
                .checked_sub(1)
                .and_then(|k| self.owned.get(k))
                .copied()
        } else {
            let at = self.raw_start.saturating_add(i);
            let after = self.raw.partition_point(|t| t.span.start <= at);
            after
                .checked_sub(1)
                .and_then(|k| self.raw.get(k))
                .map(|t| self.view(t))
        };
        tok.filter(|t| i < t.end)
    }

    fn hit(&self, i: u32) -> Option<&Hit> {
        self.hits.get(i as usize)
    }

    /// Every hit, in order of end and then start.
    pub fn hits_by_end(&self) -> impl Iterator<Item = &Hit> {
        self.by_end.iter().filter_map(|&i| self.hit(i))
    }

    /// The offsets where a hit of one of `kinds` ends, ascending, each once.
    pub fn hit_ends(&self, kinds: KindSet) -> impl Iterator<Item = usize> + '_ {
        let mut last = None;
        self.hits_by_end().filter_map(move |h| {
            if last == Some(h.end) || !h.kinds.meets(kinds) {
                return None;
            }
            last = Some(h.end);
            Some(h.end)
        })
    }

    /// Hits ending at `end`, in order of start.
    pub fn hits_ending(&self, end: usize) -> impl Iterator<Item = &Hit> {
        let first = self
            .by_end
            .partition_point(|&i| self.hit(i).is_some_and(|h| h.end < end));
        self.by_end
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .map_while(move |&i| self.hit(i).filter(|h| h.end == end))
    }

    /// Hits starting at `start`, in order of end.
    pub fn hits_starting(&self, start: usize) -> impl Iterator<Item = &Hit> {
        let first = self.hits.partition_point(|h| h.start < start);
        self.hits
            .get(first..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |h| h.start == start)
    }

    fn char_at(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn has_placeholder(&self, start: usize, end: usize) -> bool {
        self.chars
            .get(start..end)
            .is_some_and(|c| c.iter().any(|&c| is_placeholder(c)))
    }

    /// The longest hit of one of `kinds` ending at `end`.
    fn longest_ending_at(&self, end: usize, kinds: KindSet) -> Option<Hit> {
        self.hits_ending(end)
            .filter(|h| h.kinds.meets(kinds))
            .max_by_key(|h| h.end - h.start)
            .copied()
    }

    /// The longest hit of one of `kinds` starting at `start`.
    fn longest_starting_at(&self, start: usize, kinds: KindSet) -> Option<Hit> {
        self.hits_starting(start)
            .filter(|h| h.kinds.meets(kinds))
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
    lexicon_names(ctx, out);
    suffix_names(lex, ctx, settings, out);
    body_abbreviations(ctx, out);
    listed_companies(lex, ctx, out);
    titled_persons(lex, ctx, out);
    if settings.person_from_pos {
        pos_persons(lex, ctx, out);
    }
    mark_redacted_context(ctx, out);
}

/// Quoted slogans, campaigns and programmes: “…” ‘…’ 「…」 『…』 "…".
fn quoted_terms(lex: &Lexicon, ctx: &SentCtx<'_>, settings: &RuleSettings, out: &mut Vec<Cand>) {
    if ctx.flags & sent_flags::QUOTE == 0 {
        return;
    }
    let mut stack: Vec<(char, usize)> = Vec::new();
    // Only the quotes are read (the decoding noted where they are): every other character
    // would leave the stack as it is.
    for &q in ctx.quotes {
        let i = q as usize;
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
    if ends_with_verb(ctx, before, &lex.speech_last, &lex.speech_verbs, 3) {
        return;
    }
    if ctx
        .char_at(start)
        .is_some_and(|c| lex.figurative_first.may_contain(c))
        && lex.figurative.contains(ctx.slice(start, end))
    {
        return;
    }
    // 的“…”。: a quoted word closing the sentence after 的 is a figure of speech.
    let ends_sentence = ctx
        .char_at(close + 1)
        .is_none_or(|c| matches!(c, '。' | '！' | '？' | '!' | '?'));
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
    if ends_with_verb(ctx, back, &lex.role_last, &lex.role_verbs, 2) {
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

/// True when one of `verbs` (at most `span` characters) ends just before character `at`.
/// A verb must end with a character of `last`: one bit test spares most loops.
fn ends_with_verb(
    ctx: &SentCtx<'_>,
    at: usize,
    last: &CharSet,
    verbs: &[String],
    span: usize,
) -> bool {
    at > 0 && ctx.char_at(at - 1).is_some_and(|c| last.may_contain(c)) && {
        let prefix = ctx.slice(at.saturating_sub(span), at);
        verbs.iter().any(|v| prefix.ends_with(v.as_str()))
    }
}

/// Places, organisations and generic bodies listed in the lexicon, aligned on tokens.
fn lexicon_names(ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    for h in ctx.hits_by_end() {
        let kinds = h.kinds;
        if kinds.meets(KindSet::FIXED_PHRASE) {
            if ctx.is_bound(h.start) {
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
            || (kinds.meets(KindSet::DIVISION)
                && ctx.is_bound(h.start)
                && body_follows(ctx, h.end));
        if !aligned {
            continue;
        }
        // A short form whose full name is written (临清 in 临清市委) is not a mention alone.
        if !kinds.meets(KindSet::PLACE.or(KindSet::DIVISION).or(KindSet::ORG))
            && ctx
                .hits_starting(h.start)
                .any(|d| d.end > h.end && d.kinds.meets(KindSet::DIVISION))
        {
            continue;
        }
        let ty = if kinds.meets(KindSet::ORG) {
            EntityType::Org
        } else if kinds.meets(KindSet::ANY_PLACE) {
            EntityType::Loc
        } else if kinds.meets(KindSet::GENERIC_BODY) {
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
fn body_follows(ctx: &SentCtx<'_>, end: usize) -> bool {
    let body = KindSet::GENERIC_BODY
        .or(KindSet::TITLE_PREFIX)
        .or(KindSet::BODY_ABBREV);
    ctx.longest_starting_at(end, body).is_some()
        || (end > 0 && ctx.longest_starting_at(end - 1, body).is_some())
}

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
    if end > 0 && end <= ctx.len() && !ctx.is_bound(end) {
        if let Some(t) = ctx.tok_covering(end - 1) {
            let head = ctx.slice(t.start, end);
            if head.chars().any(breaks_name) || lex.stopwords.contains(head) {
                return end;
            }
            start = t.start;
        }
    }
    while start > 0 {
        let Some(t) = ctx.tok_covering(start - 1) else {
            break;
        };
        if t.end != start {
            break;
        }
        let word = t.word;
        if word.chars().any(breaks_name) {
            break;
        }
        let placeholder = word.chars().all(is_placeholder);
        let ordinal = word.starts_with('第') && t.pos == "m";
        let number = allow_numbers && t.pos == "m";
        let known = ctx
            .longest_starting_at(
                t.start,
                KindSet::ANY_PLACE
                    .or(KindSet::ORG)
                    .or(KindSet::GENERIC_BODY),
            )
            .is_some_and(|h| h.end == t.end);
        if !(placeholder || ordinal || number || known || name_part_pos(t.pos)) {
            break;
        }
        if lex.stopwords.contains(word) {
            break;
        }
        if ctx
            .longest_ending_at(t.end, KindSet::FIXED_PHRASE)
            .is_some()
        {
            break;
        }
        // Do not swallow another organisation's name unless this is one of its units.
        if !cross_org {
            let inner = ctx.longest_ending_at(t.end, KindSet::ORG_SUFFIX);
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
        let Some(t) = ctx.tok_covering(i) else { break };
        let t_end = t.end.min(end);
        let known = ctx
            .longest_starting_at(
                i,
                KindSet::ANY_PLACE
                    .or(KindSet::ORG)
                    .or(KindSet::GENERIC_BODY)
                    .or(KindSet::BODY_ABBREV),
            )
            .is_some_and(|h| h.end <= end);
        let word = t.word;
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
    let is_suffix = KindSet::ORG_SUFFIX.or(KindSet::LOC_SUFFIX);
    for end in ctx.hit_ends(is_suffix) {
        if end == 0 || !ctx.is_bound(end) {
            continue;
        }
        let Some(suffix) = ctx.longest_ending_at(end, is_suffix) else {
            continue;
        };
        let info = lex
            .info
            .get(suffix.pattern as usize)
            .copied()
            .unwrap_or_default();
        // A place suffix wins over an organisation suffix of the same string (会展中心).
        let (loc_kind, org_kind) = (info.loc_suffix, info.org_suffix);
        let allow_numbers = matches!(loc_kind, Some(LocSuffixKind::Venue));
        let cross_org = info.subunit;
        let start = if matches!(org_kind, Some(OrgSuffixKind::Company)) && loc_kind.is_none() {
            // The brand is the one word before the industry word.
            match ctx.tok_covering(suffix.start.wrapping_sub(1)) {
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
                        && ctx.is_bound(start)
                        && single_proper_token(ctx, start, suffix.start)
                }
            };
            (EntityType::Loc, ok)
        } else if let Some(o) = org_kind {
            // A title right after is evidence enough (某某集团董事长).
            let titled = ctx
                .longest_starting_at(end, KindSet::TITLE.or(KindSet::TITLE_PREFIX))
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
                    ctx.longest_ending_at(suffix.start, KindSet::ANY_PLACE)
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
            if let Some(place) = ctx.longest_starting_at(start, KindSet::DIVISION) {
                if place.end < suffix.start
                    && suffix.start - place.end >= 2
                    && ctx.is_bound(place.end)
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
    ctx.tok_covering(start).map_or("", |t| t.word)
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
    let Some(t) = ctx.tok_covering(start) else {
        return false;
    };
    t.start == start && t.end == end && (proper_pos(t.pos) || t.pos == "x")
}

/// True when `start..end` is one token that is not a common word by its tag (a brand:
/// 某某 tagged as a name, an unknown word or an adjective-looking coinage).
fn brand_token(ctx: &SentCtx<'_>, start: usize, end: usize) -> bool {
    let Some(t) = ctx.tok_covering(start) else {
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
fn body_abbreviations(ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    for h in ctx.hits_by_end() {
        if !h.kinds.meets(KindSet::BODY_ABBREV) {
            continue;
        }
        if !ctx.is_bound(h.end) || h.start == 0 {
            continue;
        }
        // A full place name right before (潍坊市教育局).
        if let Some(place) = ctx.longest_ending_at(h.start, KindSet::ANY_PLACE) {
            if ctx.is_bound(place.start) {
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

/// Whether a company head word (企业, 公司, 集团…) starts within four characters of `at`,
/// inside the eight characters from `at`: what makes a 等 ending at `at` close a list of
/// companies.
pub(crate) fn company_head_follows(ctx: &SentCtx<'_>, at: usize) -> bool {
    const HEADS: &[&str] = &[
        "企业", "公司", "集团", "院所", "厂商", "车企", "药企", "银行", "高校", "院校",
    ];
    let tail_end = (at + 8).min(ctx.len());
    (at..=at + 4).any(|from| {
        let rest = ctx.slice(from, tail_end);
        HEADS.iter().any(|h| rest.starts_with(h))
    })
}

/// The tokens 等 that close a list of companies ([`company_head_follows`] their end), as
/// (token index, token), in order. They are found from the characters: a token's word is
/// its text, so a token 等 stands on a character 等, and only there (and only when a head
/// word follows) is the token looked up, by a binary search — the sentence's tokens are
/// not all read for a word that few sentences have in that place (等方面, 等领域…).
pub(crate) fn list_closers<'c, 'a>(
    ctx: &'c SentCtx<'a>,
) -> impl Iterator<Item = (usize, Tok<'a>)> + 'c {
    let chars: &'a [char] = ctx.chars;
    chars.iter().enumerate().filter_map(move |(i, &c)| {
        if c != '等' || !company_head_follows(ctx, i + 1) {
            return None;
        }
        let k = ctx.tok_index_starting_at(i)?;
        ctx.tok(k).filter(|t| t.word == "等").map(|t| (k, t))
    })
}

/// Items of a list ending in 等…企业 (支持甲乙科技、丙丁集团等企业): each item is a company.
/// Items are separated by 、 (the last may follow 和/及/与); the first item is bounded on
/// the left by a verb, preposition, particle or punctuation.
fn listed_companies(lex: &Lexicon, ctx: &SentCtx<'_>, out: &mut Vec<Cand>) {
    if ctx.flags & sent_flags::DENG == 0 {
        return;
    }
    for (ti, _) in list_closers(ctx) {
        // The clause before 等, split at 、 into segments of token indices.
        let mut segments: Vec<Vec<usize>> = vec![Vec::new()];
        let mut k = ti;
        while k > 0 {
            k -= 1;
            let Some(p) = ctx.tok(k) else { break };
            let w = p.word;
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
                    ctx.tok(j)
                        .is_some_and(|q| matches!(q.word, "和" | "及" | "与" | "以及"))
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
                        ctx.tok(j).is_some_and(|q| {
                            !matches!(
                                q.pos,
                                "v" | "p" | "u" | "ul" | "uj" | "uz" | "c" | "r" | "d" | "vd"
                            ) && !lex.stopwords.contains(q.word)
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
                .longest_starting_at(s, KindSet::ANY_PLACE)
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
    let first = ctx.tok(*idx.last()?)?;
    let last = ctx.tok(*idx.first()?)?;
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
    ctx.longest_starting_at(
        start,
        KindSet::TITLE
            .or(KindSet::TITLE_PREFIX)
            .or(KindSet::ANY_PLACE)
            .or(KindSet::ORG)
            .or(KindSet::GENERIC_BODY),
    )
    .is_some_and(|h| h.end == end)
}

/// True when `s` is one of the person cues (说, 表示, 同志…).
fn is_person_cue(lex: &Lexicon, s: &str) -> bool {
    lex.person_cues.iter().any(|c| c == s)
}

/// True when the text at `at` starts with one of the person cues.
fn starts_with_cue(lex: &Lexicon, ctx: &SentCtx<'_>, at: usize) -> bool {
    // (A cue must start with the character at `at`: one bit test spares most loops.)
    if !ctx
        .char_at(at)
        .is_some_and(|c| lex.cue_first.may_contain(c))
    {
        return false;
    }
    let ahead = ctx.slice(at, (at + 4).min(ctx.len()));
    lex.person_cues
        .iter()
        .any(|w| ahead.starts_with(w.as_str()))
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
        .tok_covering(p)
        .is_some_and(|t| t.start == p && t.end == run && function_pos(t.pos));
    if closed && !single_word && (2..=4).contains(&(run - p)) && name_shape(lex, ctx.slice(p, run))
    {
        return Some(run - p);
    }
    let tok = ctx.tok_covering(p)?;
    if tok.start != p {
        return None;
    }
    // A token jieba tags as a name; a two-character one may have lost its last character
    // to a cue (某某/某说).
    if is_name_tag(tok.pos) && name_shape(lex, ctx.slice(tok.start, tok.end)) {
        let len = tok.end - tok.start;
        if len == 2 && name_shape(lex, ctx.slice(p, p + 3)) {
            if let Some(g) = ctx.tok_covering(tok.end) {
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
                    && starts_with_cue(lex, ctx, g.end)
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
        if ctx.is_bound(end) {
            // One token with a function-word tag is a word, not a name (关于, 认为).
            if tok.end == end && function_pos(tok.pos) {
                continue;
            }
            return Some(len);
        }
        let glued = ctx.tok_covering(end);
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
    ctx: &SentCtx<'_>,
    end: usize,
    orgs: &[Cand],
) -> Option<(Vec<(usize, usize)>, String)> {
    let mut parts: Vec<(usize, usize)> = Vec::new();
    let mut pos = end;
    while let Some(title) = ctx.longest_ending_at(pos, KindSet::TITLE) {
        let mut s = title.start;
        if let Some(prefix) = ctx.longest_ending_at(s, KindSet::TITLE_PREFIX) {
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
    for end in ctx.hit_ends(KindSet::TITLE) {
        if !(1..n).contains(&end) || !ctx.is_bound(end) {
            continue;
        }
        let Some(title) = ctx.longest_ending_at(end, KindSet::TITLE) else {
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
        let Some((parts, chain)) = title_before(ctx, end, orgs) else {
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
    let any_title = ctx.hit_kinds.meets(KindSet::TITLE);
    for t in ctx.name_tokens() {
        // Neither a title (there is none in the sentence) nor a cue (its first character
        // is not next) can follow: turned down before its shape is looked at (the tests
        // below would turn it down too).
        if !any_title
            && !ctx
                .char_at(t.end)
                .is_some_and(|c| lex.cue_first.may_contain(c))
        {
            continue;
        }
        if !name_shape(lex, t.word) || is_rejected_name(lex, ctx, t.start, t.end) {
            continue;
        }
        let after = ctx.longest_starting_at(t.end, KindSet::TITLE);
        let title = after
            .filter(|h| ctx.is_bound(h.end))
            .map(|h| ctx.text(h.start, h.end));
        if title.is_none() && !starts_with_cue(lex, ctx, t.end) {
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
