//! The cache's compact encoding of a processed document.
//!
//! A [`SegmentedDoc`] repeats its text many times over: every token, sentence and paragraph
//! carries its own copy. Tokens are by far the most numerous rows, so they are stored as one
//! byte column (about two bytes a token: a head byte saying how the token follows the one
//! before it, and its POS tag as an index into a table of the tags used, see
//! [`TokenColumns`]), and their words are cut back out of the clean text when the entry is
//! read. The raw input text (`CleanDoc::original`, kept for audit, never written to a table)
//! is not stored. Anything that does not round-trip exactly (a token whose word is not the
//! text at its span) is stored as an explicit exception, so reading an entry always gives
//! back what was stored.
//!
//! Writing is one forward walk over each document: tokens, sentences and paragraphs come in
//! text order, so a [`Cutter`] checks each one against the text by moving on from where the
//! previous one ended (no table of character offsets, no second copy of the rows).

use gongwen_model::{
    CleanDoc, CleanStats, CompactString, DocOutcome, DocType, Entity, Failure, NumberMention,
    Paragraph, Script, Section, SegmentedDoc, Sentence, SourceInfo, Span, Token,
};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{CacheEntry, CachedDoc, TermCounts, CACHE_FORMAT};

/// A cache entry, as written (borrowing the documents).
#[derive(Serialize)]
pub(super) struct EntryRef<'a> {
    format: u32,
    config_hash: &'a str,
    path: &'a str,
    doc_id: &'a str,
    docs: Vec<DocRef<'a>>,
}

impl<'a> EntryRef<'a> {
    /// The compact form of `entry`.
    pub(super) fn new(entry: &'a CacheEntry) -> EntryRef<'a> {
        EntryRef {
            format: CACHE_FORMAT,
            config_hash: &entry.config_hash,
            path: &entry.path,
            doc_id: &entry.doc_id,
            docs: entry.docs.iter().map(DocRef::new).collect(),
        }
    }
}

/// A cache entry, as read.
#[derive(Deserialize)]
pub(super) struct Entry {
    pub(super) format: u32,
    pub(super) config_hash: String,
    pub(super) path: String,
    pub(super) doc_id: String,
    pub(super) docs: Vec<Doc>,
}

/// A guess of the encoded size of `entry` (to allocate its buffer once): its text and two
/// bytes a token, plus some room for the other rows.
pub(super) fn size_hint(entry: &CacheEntry) -> usize {
    let mut n = 256;
    for doc in &entry.docs {
        n += 64 + 16 * doc.terms.len();
        if let DocOutcome::Done(seg) = &doc.outcome {
            let text: usize = seg.doc.paragraphs.iter().map(|p| p.len() + 4).sum();
            n += text
                + 3 * seg.tokens.len()
                + 24 * seg.sentences.len()
                + 64 * (seg.entities.len() + seg.numbers.len() + seg.sections.len());
        }
    }
    n
}

/// One document, as written.
// One value lives at a time, on the stack of the encoder: boxing the larger variant would only
// add an allocation per document.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize)]
enum DocRef<'a> {
    Done {
        seg: SegRef<'a>,
        terms: &'a TermCounts,
    },
    Failed {
        failure: &'a Failure,
        terms: &'a TermCounts,
    },
}

impl<'a> DocRef<'a> {
    fn new(doc: &'a CachedDoc) -> DocRef<'a> {
        match &doc.outcome {
            DocOutcome::Done(seg) => DocRef::Done {
                seg: SegRef::new(seg),
                terms: &doc.terms,
            },
            DocOutcome::Failed(failure) => DocRef::Failed {
                failure,
                terms: &doc.terms,
            },
        }
    }
}

/// One document, as read (same layout as [`DocRef`]).
// Read one at a time and taken apart at once (see [`DocRef`]).
#[allow(clippy::large_enum_variant)]
#[derive(Deserialize)]
pub(super) enum Doc {
    Done { seg: Seg, terms: TermCounts },
    Failed { failure: Failure, terms: TermCounts },
}

impl Doc {
    /// The document as the pipeline produced it (but for `CleanDoc::original`, left empty);
    /// `None` when the entry is inconsistent (then the file is processed again).
    pub(super) fn expand(self) -> Option<CachedDoc> {
        match self {
            Doc::Done { seg, terms } => Some(CachedDoc {
                outcome: DocOutcome::Done(seg.expand()?),
                terms,
            }),
            Doc::Failed { failure, terms } => Some(CachedDoc {
                outcome: DocOutcome::Failed(failure),
                terms,
            }),
        }
    }
}

/// A segmented document, as written: the clean document without its raw text, the small
/// tables as they are, the tokens as a byte column.
#[derive(Serialize)]
struct SegRef<'a> {
    source: &'a SourceInfo,
    script: Script,
    title: &'a Option<String>,
    date: &'a Option<String>,
    publisher: &'a Option<String>,
    doc_type: DocType,
    speaker: &'a Option<String>,
    paragraph_texts: &'a [String],
    stats: &'a CleanStats,
    paragraphs: Vec<UnitRef<'a>>,
    sentences: Vec<UnitRef<'a>>,
    sections: &'a [Section],
    tokens: TokenColumnsRef<'a>,
    entities: &'a [Entity],
    numbers: &'a [NumberMention],
}

impl<'a> SegRef<'a> {
    fn new(seg: &'a SegmentedDoc) -> SegRef<'a> {
        let doc = &seg.doc;
        let text = doc.paragraphs.join("\n");
        // One cutter per kind of row: each kind comes in text order.
        let mut cutter = Cutter::new(&text);
        let paragraphs = seg
            .paragraphs
            .iter()
            .map(|p| {
                let (idx, section) = (p.para_idx, &p.section_id);
                UnitRef::new(&mut cutter, idx, idx, section, p.span, &p.text)
            })
            .collect();
        let mut cutter = Cutter::new(&text);
        let sentences = seg
            .sentences
            .iter()
            .map(|s| {
                let (idx, section) = (s.sent_idx, &s.section_id);
                UnitRef::new(&mut cutter, idx, s.para_idx, section, s.span, &s.text)
            })
            .collect();
        SegRef {
            source: &doc.source,
            script: doc.script,
            title: &doc.title,
            date: &doc.date,
            publisher: &doc.publisher,
            doc_type: doc.doc_type,
            speaker: &doc.speaker,
            paragraph_texts: &doc.paragraphs,
            stats: &doc.stats,
            paragraphs,
            sentences,
            sections: &seg.sections,
            tokens: TokenColumnsRef::new(&text, &seg.tokens),
            entities: &seg.entities,
            numbers: &seg.numbers,
        }
    }
}

/// A segmented document, as read (same layout as [`SegRef`]).
#[derive(Deserialize)]
pub(super) struct Seg {
    source: SourceInfo,
    script: Script,
    title: Option<String>,
    date: Option<String>,
    publisher: Option<String>,
    doc_type: DocType,
    speaker: Option<String>,
    paragraph_texts: Vec<String>,
    stats: CleanStats,
    paragraphs: Vec<Unit>,
    sentences: Vec<Unit>,
    sections: Vec<Section>,
    tokens: TokenColumns,
    entities: Vec<Entity>,
    numbers: Vec<NumberMention>,
}

impl Seg {
    fn expand(self) -> Option<SegmentedDoc> {
        let text = self.paragraph_texts.join("\n");
        let tokens = self.tokens.expand(&text)?;
        let mut cutter = Cutter::new(&text);
        let mut unit_text = |u: Unit| -> Option<(Unit, String)> {
            let t = match &u.text {
                Some(own) => own.clone(),
                None => cutter.cut(u.span)?.to_string(),
            };
            Some((u, t))
        };
        let paragraphs = self
            .paragraphs
            .into_iter()
            .map(|u| {
                let (u, text) = unit_text(u)?;
                Some(Paragraph {
                    para_idx: u.idx,
                    section_id: u.section_id,
                    span: u.span,
                    text,
                })
            })
            .collect::<Option<Vec<Paragraph>>>()?;
        let sentences = self
            .sentences
            .into_iter()
            .map(|u| {
                let (u, text) = unit_text(u)?;
                Some(Sentence {
                    sent_idx: u.idx,
                    para_idx: u.para_idx,
                    section_id: u.section_id,
                    span: u.span,
                    text,
                })
            })
            .collect::<Option<Vec<Sentence>>>()?;
        Some(SegmentedDoc {
            doc: CleanDoc {
                source: self.source,
                script: self.script,
                title: self.title,
                date: self.date,
                publisher: self.publisher,
                doc_type: self.doc_type,
                speaker: self.speaker,
                paragraphs: self.paragraph_texts,
                original: String::new(),
                stats: self.stats,
            },
            paragraphs,
            sentences,
            sections: self.sections,
            tokens,
            entities: self.entities,
            numbers: self.numbers,
        })
    }
}

/// A paragraph or sentence, as written: its text only when it is not the clean text at its
/// span (it always is, but the cache does not rely on it).
#[derive(Serialize)]
struct UnitRef<'a> {
    /// `para_idx` of a paragraph, `sent_idx` of a sentence.
    idx: usize,
    para_idx: usize,
    section_id: &'a Option<String>,
    span: Span,
    text: Option<&'a str>,
}

impl<'a> UnitRef<'a> {
    /// The unit with text `own`, stored only when `cutter` does not find it at `span`.
    fn new(
        cutter: &mut Cutter<'_>,
        idx: usize,
        para_idx: usize,
        section_id: &'a Option<String>,
        span: Span,
        own: &'a str,
    ) -> UnitRef<'a> {
        UnitRef {
            idx,
            para_idx,
            section_id,
            span,
            text: (!cutter.holds(span, own)).then_some(own),
        }
    }
}

/// A paragraph or sentence, as read (same layout as [`UnitRef`]).
#[derive(Deserialize)]
struct Unit {
    idx: usize,
    para_idx: usize,
    section_id: Option<String>,
    span: Span,
    text: Option<String>,
}

/// Cuts character spans out of a text by walking forward from where the previous span
/// ended: spans that come in text order (tokens, sentences, paragraphs) cost only the
/// characters between them. A span behind the walk starts it again from the beginning
/// (slow, never wrong).
struct Cutter<'t> {
    text: &'t str,
    /// Character offset of the walk…
    chars: usize,
    /// …and its byte offset.
    bytes: usize,
}

impl<'t> Cutter<'t> {
    fn new(text: &'t str) -> Cutter<'t> {
        Cutter {
            text,
            chars: 0,
            bytes: 0,
        }
    }

    /// Byte offset of character `c` (the text's length for `c` = its number of characters);
    /// `None` past the end.
    fn byte_of(&mut self, c: usize) -> Option<usize> {
        if c < self.chars {
            self.chars = 0;
            self.bytes = 0;
        }
        let ahead = c - self.chars;
        if ahead > 0 {
            let rest = self.text.get(self.bytes..)?;
            let offset = rest
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(rest.len()))
                .nth(ahead)?;
            self.chars = c;
            self.bytes += offset;
        }
        Some(self.bytes)
    }

    /// The text of characters `span`; `None` when it is not inside the text.
    fn cut(&mut self, span: Span) -> Option<&'t str> {
        if span.end < span.start {
            return None;
        }
        let start = self.byte_of(span.start)?;
        let end = self.byte_of(span.end)?;
        self.text.get(start..end)
    }

    /// True when `own` is the text of characters `span` (exactly what [`Cutter::cut`] would
    /// give). Compares bytes and counts `own`'s characters instead of walking the text
    /// character by character.
    fn holds(&mut self, span: Span, own: &str) -> bool {
        if span.end < span.start {
            return false;
        }
        let Some(start) = self.byte_of(span.start) else {
            return false;
        };
        let end = start.saturating_add(own.len());
        let same_bytes = self.text.as_bytes().get(start..end) == Some(own.as_bytes());
        // `own` is whole characters, so `end` is a character boundary of the text.
        let holds = same_bytes && own.chars().count() == span.len();
        if holds {
            self.chars = span.end;
            self.bytes = end;
        }
        holds
    }

    /// [`Cutter::holds`] for a short string (a token's word): compares the bytes and counts
    /// the characters in one loop, without calling out to `memcmp` and the character
    /// counter (most words are two or three characters, where those calls cost more than
    /// the work).
    fn holds_word(&mut self, span: Span, own: &str) -> bool {
        if own.len() > 32 {
            return self.holds(span, own);
        }
        if span.end < span.start {
            return false;
        }
        let Some(start) = self.byte_of(span.start) else {
            return false;
        };
        let end = start.saturating_add(own.len());
        let Some(here) = self.text.as_bytes().get(start..end) else {
            return false;
        };
        let mut chars = 0;
        for (&a, &b) in here.iter().zip(own.as_bytes()) {
            if a != b {
                return false;
            }
            // Every byte but a UTF-8 continuation byte (0b10xx_xxxx) starts a character.
            chars += usize::from((b as i8) >= -64);
        }
        let holds = chars == span.len();
        if holds {
            self.chars = span.end;
            self.bytes = end;
        }
        holds
    }
}

/// Bits of a token's head byte in [`TokenColumns::code`].
mod head {
    /// `span.end - span.start` when it is 1..=15; 0: a zigzag varint of it follows.
    pub(super) const LEN: u8 = 0x0f;
    /// The first token of the next sentence (`sent_idx` + 1, `tok_idx` 0).
    pub(super) const NEW_SENTENCE: u8 = 0x10;
    /// Neither the next token of the same sentence nor [`NEW_SENTENCE`]: the `sent_idx` step
    /// (zigzag varint) and `tok_idx` (varint) follow.
    pub(super) const OTHER_POSITION: u8 = 0x20;
    /// `span.start` is not the previous token's `span.end`: the gap (zigzag varint) follows.
    pub(super) const GAP: u8 = 0x40;
}

/// Where the previous token was (the first token is compared with sentence 0, token -1,
/// ending at character 0).
#[derive(Debug, Clone, Copy)]
struct Previous {
    sent: i64,
    tok: i64,
    end: i64,
}

impl Default for Previous {
    fn default() -> Previous {
        Previous {
            sent: 0,
            tok: -1,
            end: 0,
        }
    }
}

/// Tokens as written (same layout as [`TokenColumns`]).
#[derive(Serialize)]
struct TokenColumnsRef<'a> {
    tags: Vec<&'a str>,
    count: u64,
    #[serde(serialize_with = "serialize_bytes")]
    code: Vec<u8>,
    words: Vec<(u64, &'a str)>,
}

/// Tokens as a byte column. Per token, in order: a head byte (see [`head`]); its POS tag's
/// index into `tags` (varint); then, as the head says, its length, its `sent_idx` step and
/// `tok_idx`, its gap from the previous token. The usual token (length 1 to 15, next in its
/// sentence or first of the next one, right after the previous token) takes two bytes.
#[derive(Debug, Default, PartialEq, Deserialize)]
struct TokenColumns {
    /// The POS tags used, in order of first use.
    tags: Vec<String>,
    /// Number of tokens.
    count: u64,
    /// The tokens' codes.
    #[serde(deserialize_with = "deserialize_bytes")]
    code: Vec<u8>,
    /// (token index, word) of tokens whose word is not the clean text at their span, in
    /// token order.
    words: Vec<(u64, String)>,
}

fn signed(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl<'a> TokenColumnsRef<'a> {
    fn new(text: &str, tokens: &'a [Token]) -> TokenColumnsRef<'a> {
        let mut cols = TokenColumnsRef {
            tags: Vec::new(),
            count: tokens.len() as u64,
            code: Vec::with_capacity(2 * tokens.len() + 16),
            words: Vec::new(),
        };
        let mut tag_ids = TagIds::default();
        let mut cutter = Cutter::new(text);
        let mut prev = Previous::default();
        for (i, t) in tokens.iter().enumerate() {
            let tag = tag_ids.id(t.pos.as_str(), &mut cols.tags);
            push_token(&mut cols.code, &mut prev, t, tag);
            if !cutter.holds_word(t.span, &t.word) {
                cols.words.push((i as u64, t.word.as_str()));
            }
        }
        cols
    }
}

/// Indexes of the POS tags of one document's tokens, in order of first use.
///
/// Nearly every tag is one or two lowercase ASCII letters (jieba's tag set): those are looked
/// up in a table indexed by the letters themselves (no hashing), the others in a map.
struct TagIds<'a> {
    /// `index + 1` of each one- or two-letter tag seen, at [`letter_slot`]; 0: not seen yet.
    letters: [u16; LETTER_SLOTS],
    others: FxHashMap<&'a str, u64>,
}

/// Slots of [`TagIds::letters`]: a first letter (1..=26) times 27 plus a second one (0 for
/// none, 1..=26).
const LETTER_SLOTS: usize = 27 * 27;

impl Default for TagIds<'_> {
    fn default() -> Self {
        TagIds {
            letters: [0; LETTER_SLOTS],
            others: FxHashMap::default(),
        }
    }
}

/// Where a tag of one or two lowercase ASCII letters goes in [`TagIds::letters`].
fn letter_slot(tag: &[u8]) -> Option<usize> {
    let letter = |b: u8| b.is_ascii_lowercase().then(|| usize::from(b - b'a') + 1);
    match *tag {
        [a] => Some(letter(a)? * 27),
        [a, b] => Some(letter(a)? * 27 + letter(b)?),
        _ => None,
    }
}

impl<'a> TagIds<'a> {
    /// The index of `tag` in `tags`, appending it when it is new.
    fn id(&mut self, tag: &'a str, tags: &mut Vec<&'a str>) -> u64 {
        let next = tags.len() as u64;
        if let Some(slot) = letter_slot(tag.as_bytes()).and_then(|i| self.letters.get_mut(i)) {
            if *slot > 0 {
                return u64::from(*slot - 1);
            }
            if let Ok(stored) = u16::try_from(next + 1) {
                *slot = stored;
                tags.push(tag);
                return next;
            }
        }
        *self.others.entry(tag).or_insert_with(|| {
            tags.push(tag);
            next
        })
    }
}

/// Appends the code of token `t` with tag index `tag`.
fn push_token(code: &mut Vec<u8>, prev: &mut Previous, t: &Token, tag: u64) {
    let (sent, tok) = (signed(t.sent_idx), signed(t.tok_idx));
    let (start, end) = (signed(t.span.start), signed(t.span.end));
    // Differences of non-negative numbers: no overflow.
    let len = end - start;
    let gap = start - prev.end;
    let mut h = match u8::try_from(len) {
        Ok(l) if (1..=head::LEN).contains(&l) => l,
        _ => 0,
    };
    let next_in_sentence = sent == prev.sent && prev.tok.checked_add(1) == Some(tok);
    let first_of_next = prev.sent.checked_add(1) == Some(sent) && tok == 0;
    if first_of_next {
        h |= head::NEW_SENTENCE;
    } else if !next_in_sentence {
        h |= head::OTHER_POSITION;
    }
    if gap != 0 {
        h |= head::GAP;
    }
    code.push(h);
    push_varint(code, tag);
    if h & head::LEN == 0 {
        push_varint(code, zigzag(len));
    }
    if h & head::OTHER_POSITION != 0 {
        push_varint(code, zigzag(sent - prev.sent));
        push_varint(code, tok as u64);
    }
    if h & head::GAP != 0 {
        push_varint(code, zigzag(gap));
    }
    *prev = Previous { sent, tok, end };
}

/// The next token of `code`: (tag index, sent_idx, tok_idx, span); `None` when `code` is
/// inconsistent.
fn read_token(code: &mut &[u8], prev: &mut Previous) -> Option<(usize, usize, usize, Span)> {
    let (&h, rest) = code.split_first()?;
    *code = rest;
    let tag = usize::try_from(read_varint(code)?).ok()?;
    let len = match h & head::LEN {
        0 => unzigzag(read_varint(code)?),
        l => i64::from(l),
    };
    let (sent, tok) = if h & head::OTHER_POSITION != 0 {
        let step = unzigzag(read_varint(code)?);
        let tok = i64::try_from(read_varint(code)?).ok()?;
        (prev.sent.checked_add(step)?, tok)
    } else if h & head::NEW_SENTENCE != 0 {
        (prev.sent.checked_add(1)?, 0)
    } else {
        (prev.sent, prev.tok.checked_add(1)?)
    };
    let gap = if h & head::GAP != 0 {
        unzigzag(read_varint(code)?)
    } else {
        0
    };
    let start = prev.end.checked_add(gap)?;
    let end = start.checked_add(len)?;
    *prev = Previous { sent, tok, end };
    let span = Span::new(usize::try_from(start).ok()?, usize::try_from(end).ok()?);
    Some((
        tag,
        usize::try_from(sent).ok()?,
        usize::try_from(tok).ok()?,
        span,
    ))
}

impl TokenColumns {
    /// The tokens back; `None` when the columns are inconsistent.
    fn expand(self, text: &str) -> Option<Vec<Token>> {
        let n = usize::try_from(self.count).ok()?;
        // Every token takes at least two bytes: a count beyond that is damage.
        if n > self.code.len() / 2 {
            return None;
        }
        let mut words = self.words.into_iter().peekable();
        let mut cutter = Cutter::new(text);
        let mut code = self.code.as_slice();
        let mut prev = Previous::default();
        let mut tokens = Vec::with_capacity(n);
        for i in 0..n {
            let (tag, sent_idx, tok_idx, span) = read_token(&mut code, &mut prev)?;
            let word: CompactString = match words.next_if(|(at, _)| *at == i as u64) {
                Some((_, w)) => w.into(),
                None => cutter.cut(span)?.into(),
            };
            tokens.push(Token {
                sent_idx,
                tok_idx,
                word,
                pos: self.tags.get(tag)?.as_str().into(),
                span,
            });
        }
        // Every byte and every exception used: anything left over is damage.
        if !code.is_empty() || words.next().is_some() {
            return None;
        }
        Some(tokens)
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Appends `v` as a LEB128 varint (7 bits a byte, low bits first).
pub(super) fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Reads a varint written by [`push_varint`]; `None` when it is cut short or too long.
pub(super) fn read_varint(input: &mut &[u8]) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&b, rest) = input.split_first()?;
        *input = rest;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

/// Writes a byte column as one length and its bytes (serde's default writes a sequence,
/// byte by byte).
fn serialize_bytes<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_bytes(bytes)
}

/// Reads a byte column written by [`serialize_bytes`].
fn deserialize_bytes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    struct Bytes;
    impl<'de> serde::de::Visitor<'de> for Bytes {
        type Value = Vec<u8>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("bytes")
        }
        fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
            Ok(v.to_vec())
        }
        fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
            Ok(v)
        }
    }
    d.deserialize_byte_buf(Bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(sent_idx: usize, tok_idx: usize, word: &str, pos: &str, start: usize) -> Token {
        Token {
            sent_idx,
            tok_idx,
            word: word.into(),
            pos: pos.into(),
            span: Span::new(start, start + word.chars().count()),
        }
    }

    /// Writes and reads back token columns through bincode, as the cache does.
    fn round_trip(text: &str, tokens: &[Token]) -> Option<Vec<Token>> {
        let cols = TokenColumnsRef::new(text, tokens);
        let bytes = bincode::serde::encode_to_vec(&cols, bincode::config::standard()).ok()?;
        let (read, _): (TokenColumns, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).ok()?;
        read.expand(text)
    }

    #[test]
    fn token_columns_round_trip_including_words_that_differ_from_the_text() {
        let paragraphs = ["全市经济运行平稳。".to_string(), "工业增长5%".to_string()];
        let mut tokens = vec![
            token(0, 0, "全市", "n", 0),
            token(0, 1, "经济", "n", 2),
            token(0, 2, "运行", "v", 4),
            token(0, 3, "平稳", "a", 6),
            token(0, 4, "。", "x", 8),
            token(1, 0, "工业", "n", 10),
            token(1, 1, "增长", "v", 12),
            token(1, 2, "5%", "m", 14),
        ];
        // A word that is not the text at its span is kept as an exception.
        tokens[1].word = "經濟".into();
        let text = paragraphs.join("\n");
        let cols = TokenColumnsRef::new(&text, &tokens);
        assert_eq!(cols.words, vec![(1, "經濟")]);
        assert_eq!(cols.tags, vec!["n", "v", "a", "x", "m"]);
        // The usual token takes two bytes; the one after the newline also its gap.
        assert_eq!(cols.code.len(), 2 * tokens.len() + 1);
        assert_eq!(round_trip(&text, &tokens), Some(tokens));
    }

    #[test]
    fn unusual_token_positions_round_trip_exactly() {
        let text = "一二三四五六七八九十一二三四五六七八九十";
        let mut tokens = vec![
            // Longer than the head byte holds.
            token(0, 0, "一二三四五六七八九十一二三四五六", "n", 0),
            // Skipped sentences, a tok_idx that does not start at 0, a gap.
            token(3, 5, "八", "v", 17),
            // Going backwards: overlapping the previous token, sentence and index down.
            token(2, 0, "七八九", "v", 16),
            // Empty and reversed spans, a span past the end of the text.
            token(2, 1, "", "x", 19),
            token(2, 2, "十", "x", 19),
            token(2, 3, "远", "x", 500),
        ];
        tokens[4].span = Span::new(19, 18);
        assert_eq!(round_trip(text, &tokens), Some(tokens));
        // Many tags: indexes above one byte.
        let many: Vec<Token> = (0..300)
            .map(|i| token(0, i, "一", &format!("t{i}"), 0))
            .collect();
        assert_eq!(round_trip(text, &many), Some(many));
    }

    #[test]
    fn inconsistent_columns_are_rejected_not_panicking() {
        let text = "短";
        let one = [token(0, 0, "短", "a", 0)];
        let read = |f: &dyn Fn(&mut TokenColumns)| {
            let cols = TokenColumnsRef::new(text, &one);
            let mut cols = TokenColumns {
                tags: cols.tags.iter().map(|t| t.to_string()).collect(),
                count: cols.count,
                code: cols.code,
                words: Vec::new(),
            };
            f(&mut cols);
            cols.expand(text)
        };
        assert_eq!(read(&|_| {}), Some(one.to_vec()));
        // A span past the end of the text.
        assert_eq!(read(&|c| c.code[0] = 9), None);
        // A tag that is not in the table.
        assert_eq!(read(&|c| c.code[1] = 7), None);
        // Bytes missing, bytes left over, a count too large.
        assert_eq!(read(&|c| c.code.truncate(1)), None);
        assert_eq!(read(&|c| c.code.push(0)), None);
        assert_eq!(read(&|c| c.count = u64::MAX), None);
        // An exception for a token that does not exist.
        assert_eq!(read(&|c| c.words.push((5, "x".into()))), None);
        // A varint cut short, a varint too long.
        assert_eq!(
            read(&|c| c.code = vec![0x20, 0, 0xff, 0xff, 0xff, 0xff]),
            None
        );
        assert_eq!(
            read(&|c| c.code = [vec![0x20, 0], vec![0xff; 11]].concat()),
            None
        );
    }

    #[test]
    fn the_cutter_walks_forward_and_back() {
        let text = "甲乙丙\n丁";
        let mut cutter = Cutter::new(text);
        assert_eq!(cutter.cut(Span::new(1, 3)), Some("乙丙"));
        assert_eq!(cutter.cut(Span::new(4, 5)), Some("丁"));
        assert_eq!(cutter.cut(Span::new(0, 1)), Some("甲"));
        assert_eq!(cutter.cut(Span::new(4, 6)), None);
        assert_eq!(cutter.cut(Span::new(2, 1)), None);
        let mut cutter = Cutter::new(text);
        assert!(cutter.holds(Span::new(0, 2), "甲乙"));
        assert!(!cutter.holds(Span::new(2, 4), "丙"));
        assert!(!cutter.holds(Span::new(2, 3), "乙"));
        assert!(cutter.holds(Span::new(2, 4), "丙\n"));
        assert!(cutter.holds(Span::new(0, 1), "甲"));
        assert!(!cutter.holds(Span::new(4, 6), "丁"));
    }

    #[test]
    fn holds_word_agrees_with_holds() {
        let text = "甲乙丙\n丁ab";
        let cases = [
            (Span::new(0, 2), "甲乙"),
            (Span::new(2, 4), "丙"),
            (Span::new(2, 3), "乙"),
            (Span::new(2, 4), "丙\n"),
            (Span::new(0, 1), "甲"),
            (Span::new(4, 6), "丁a"),
            (Span::new(4, 7), "丁a"),
            (Span::new(5, 7), "ab"),
            (Span::new(6, 8), "b"),
            (Span::new(3, 2), ""),
            (Span::new(7, 7), ""),
            (Span::new(0, 1), "甲乙丙丁甲乙丙丁甲乙丙丁甲乙丙丁"),
        ];
        for (span, own) in cases {
            let (mut a, mut b) = (Cutter::new(text), Cutter::new(text));
            assert_eq!(
                a.holds(span, own),
                b.holds_word(span, own),
                "{span:?} {own}"
            );
            assert_eq!((a.chars, a.bytes), (b.chars, b.bytes), "{span:?} {own}");
        }
    }

    #[test]
    fn tag_ids_number_tags_in_order_of_first_use() {
        let seen = [
            "n", "nr", "x", "", "n", "nrfg", "Ng", "zz", "a", "nr", "nrfg", "\0", "é",
        ];
        let mut ids = TagIds::default();
        let mut tags = Vec::new();
        let got: Vec<u64> = seen.iter().map(|t| ids.id(t, &mut tags)).collect();
        assert_eq!(got, [0, 1, 2, 3, 0, 4, 5, 6, 7, 1, 4, 8, 9]);
        assert_eq!(
            tags,
            ["n", "nr", "x", "", "nrfg", "Ng", "zz", "a", "\0", "é"]
        );
        // Distinct slots for distinct letter tags.
        let mut slots: Vec<usize> = ('a'..='z')
            .flat_map(|a| {
                std::iter::once(a.to_string()).chain(('a'..='z').map(move |b| format!("{a}{b}")))
            })
            .filter_map(|t| letter_slot(t.as_bytes()))
            .collect();
        assert_eq!(slots.len(), 26 * 27);
        assert!(slots.iter().all(|&s| s < LETTER_SLOTS));
        slots.sort_unstable();
        slots.dedup();
        assert_eq!(slots.len(), 26 * 27);
    }
}
