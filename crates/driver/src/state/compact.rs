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
//! **Layout.** An entry is bincode (standard config: varint integers, little-endian) of
//! [`Entry`] and the read-side types under it ([`Doc`], [`Seg`], [`Unit`],
//! [`TokenColumns`]), which are read back with serde. It is *written* by hand ([`Out`],
//! [`encode_entry`]): serde's derived serialisation through bincode cost 300 to 700
//! instructions a sentence, entity or number row (a `Result` and a writer call per field).
//! The bytes are the same as serde wrote (the format did not change). The tests check the
//! hand-written layout against bincode's for every model type and variant written, and
//! every entry round-trips.
//!
//! Writing is one forward walk over each kind of row: tokens, sentences and paragraphs come
//! in text order, so a [`Cutter`] checks each one against the text by moving on from where
//! the previous one ended (no table of character offsets, no second copy of the rows). The
//! tokens take two small loops, [`token_code`] (head bytes and tag indexes) and
//! [`words_not_in`] (each word checked with a few word-sized loads, [`same_chars`]: its bytes
//! against the text's, its characters counted from the same integers, no `memcmp` call and
//! no character count), about 80 instructions a token each: one loop doing both kept less
//! of its state in registers and cost more than the two.

use gongwen_model::{
    CleanDoc, CleanStats, CompactString, DocOutcome, DocType, Entity, Failure, NumberMention,
    Paragraph, Script, Section, SegmentedDoc, Sentence, SourceInfo, Span, Token,
};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer};

use super::{CacheEntry, CachedDoc, TermCounts, CACHE_FORMAT};

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

/// One document, as read: variant 0 a processed document, variant 1 a failure.
// Read one at a time and taken apart at once: boxing the larger variant would only add an
// allocation per document.
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

/// A segmented document, as read: the clean document without its raw text, the small
/// tables as they are, the tokens as a byte column.
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

/// A paragraph or sentence, as read: its text only when it is not the clean text at its
/// span (it always is, but the cache does not rely on it).
#[derive(Deserialize)]
struct Unit {
    /// `para_idx` of a paragraph, `sent_idx` of a sentence.
    idx: usize,
    para_idx: usize,
    section_id: Option<String>,
    span: Span,
    text: Option<String>,
}

/// Appends values in the layout bincode's standard config gives them (what the read-side
/// types are decoded with): integers as varints (one byte up to 250, else a marker byte
/// 251/252/253 and 2/4/8 little-endian bytes), strings and byte columns as their length
/// and bytes, `Option` as a 0/1 byte then the value, an enum as its variant's index, `f64`
/// as 8 little-endian bytes, `bool` as one byte, structs and tuples as their fields in order.
pub(super) struct Out<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'b> Out<'b> {
    /// Appends to `buf`.
    pub(super) fn new(buf: &'b mut Vec<u8>) -> Out<'b> {
        Out { buf }
    }

    #[inline(always)]
    fn uint(&mut self, v: u64) {
        if v <= 250 {
            self.buf.push(v as u8);
        } else if let Ok(v) = u16::try_from(v) {
            self.buf.push(251);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else if let Ok(v) = u32::try_from(v) {
            self.buf.push(252);
            self.buf.extend_from_slice(&v.to_le_bytes());
        } else {
            self.buf.push(253);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    #[inline(always)]
    fn usize(&mut self, v: usize) {
        self.uint(v as u64);
    }

    /// The index of an enum's variant (serde numbers them in declaration order, which is
    /// what `as u32` gives for the model's field-less enums; the tests check every one).
    fn variant(&mut self, index: u32) {
        self.uint(u64::from(index));
    }

    fn bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }

    #[inline(always)]
    fn bytes(&mut self, b: &[u8]) {
        self.usize(b.len());
        self.buf.extend_from_slice(b);
    }

    #[inline(always)]
    fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    #[inline(always)]
    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.buf.push(0),
            Some(s) => {
                self.buf.push(1);
                self.str(s);
            }
        }
    }

    fn opt_u32(&mut self, v: Option<u32>) {
        match v {
            None => self.buf.push(0),
            Some(v) => {
                self.buf.push(1);
                self.uint(u64::from(v));
            }
        }
    }

    fn opt_f64(&mut self, v: Option<f64>) {
        match v {
            None => self.buf.push(0),
            Some(v) => {
                self.buf.push(1);
                self.buf.extend_from_slice(&v.to_le_bytes());
            }
        }
    }

    #[inline(always)]
    fn span(&mut self, span: Span) {
        self.usize(span.start);
        self.usize(span.end);
    }

    fn source(&mut self, s: &SourceInfo) {
        let SourceInfo {
            doc_id,
            source_path,
            format,
            encoding,
            bytes_replaced,
            n_bytes,
            duplicate_of,
        } = s;
        self.str(doc_id);
        self.str(source_path);
        match format {
            None => self.buf.push(0),
            Some(f) => {
                self.buf.push(1);
                self.variant(*f as u32);
            }
        }
        self.opt_str(encoding.as_deref());
        self.bool(*bytes_replaced);
        self.uint(*n_bytes);
        self.opt_str(duplicate_of.as_deref());
    }

    fn stats(&mut self, s: &CleanStats) {
        let CleanStats {
            lines_dropped,
            chars_converted,
            chars_width_folded,
            doc_mill_chars,
            placeholders,
        } = s;
        for n in [
            lines_dropped,
            chars_converted,
            chars_width_folded,
            doc_mill_chars,
            placeholders,
        ] {
            self.usize(*n);
        }
    }

    fn failure(&mut self, f: &Failure) {
        let Failure {
            source,
            stage,
            status,
            message,
        } = f;
        self.source(source);
        self.variant(*stage as u32);
        self.variant(*status as u32);
        self.str(message);
    }

    fn terms(&mut self, terms: &TermCounts) {
        self.usize(terms.len());
        for (term, count) in terms {
            self.str(term);
            self.uint(u64::from(*count));
        }
    }

    fn section(&mut self, s: &Section) {
        let Section {
            section_id,
            parent_id,
            level,
            marker,
            ordinal,
            heading,
            span,
        } = s;
        self.str(section_id);
        self.opt_str(parent_id.as_deref());
        self.uint(u64::from(*level));
        self.str(marker);
        self.opt_u32(*ordinal);
        self.str(heading);
        self.span(*span);
    }

    fn entity(&mut self, e: &Entity) {
        let Entity {
            sent_idx,
            section_id,
            span,
            text,
            entity_type,
            title,
            redacted,
        } = e;
        self.usize(*sent_idx);
        self.opt_str(section_id.as_deref());
        self.span(*span);
        self.str(text);
        self.variant(*entity_type as u32);
        self.opt_str(title.as_deref());
        self.bool(*redacted);
    }

    fn number(&mut self, n: &NumberMention) {
        let NumberMention {
            sent_idx,
            section_id,
            span,
            text,
            kind,
            value,
            low,
            high,
            unit,
            iso,
            qualifier,
            redacted,
            subject,
        } = n;
        self.usize(*sent_idx);
        self.opt_str(section_id.as_deref());
        self.span(*span);
        self.str(text);
        self.variant(*kind as u32);
        self.opt_f64(*value);
        self.opt_f64(*low);
        self.opt_f64(*high);
        self.opt_str(unit.as_deref());
        self.opt_str(iso.as_deref());
        self.opt_str(qualifier.as_deref());
        self.bool(*redacted);
        self.opt_str(subject.as_deref());
    }

    /// A [`Unit`]; `stored` is its text when that is not the text at its span.
    fn unit(
        &mut self,
        idx: usize,
        para_idx: usize,
        section_id: Option<&str>,
        span: Span,
        stored: Option<&str>,
    ) {
        self.usize(idx);
        self.usize(para_idx);
        self.opt_str(section_id);
        self.span(span);
        self.opt_str(stored);
    }

    /// A [`Seg`].
    fn seg(&mut self, seg: &SegmentedDoc) {
        let doc = &seg.doc;
        self.source(&doc.source);
        self.variant(doc.script as u32);
        self.opt_str(doc.title.as_deref());
        self.opt_str(doc.date.as_deref());
        self.opt_str(doc.publisher.as_deref());
        self.variant(doc.doc_type as u32);
        self.opt_str(doc.speaker.as_deref());
        self.usize(doc.paragraphs.len());
        for p in &doc.paragraphs {
            self.str(p);
        }
        self.stats(&doc.stats);
        let text = doc.paragraphs.join("\n");
        // One cutter per kind of row: each kind comes in text order.
        let mut cutter = Cutter::new(&text);
        self.usize(seg.paragraphs.len());
        for p in &seg.paragraphs {
            let section = p.section_id.as_deref();
            let own = cutter.stored(p.span, &p.text);
            self.unit(p.para_idx, p.para_idx, section, p.span, own);
        }
        let mut cutter = Cutter::new(&text);
        self.usize(seg.sentences.len());
        for s in &seg.sentences {
            let section = s.section_id.as_deref();
            let own = cutter.stored(s.span, &s.text);
            self.unit(s.sent_idx, s.para_idx, section, s.span, own);
        }
        self.usize(seg.sections.len());
        for s in &seg.sections {
            self.section(s);
        }
        self.tokens(&TokenCode::new(&text, &seg.tokens), seg.tokens.len());
        self.usize(seg.entities.len());
        for e in &seg.entities {
            self.entity(e);
        }
        self.usize(seg.numbers.len());
        for n in &seg.numbers {
            self.number(n);
        }
    }

    /// A [`TokenColumns`] of `count` tokens.
    fn tokens(&mut self, cols: &TokenCode<'_>, count: usize) {
        self.usize(cols.tags.len());
        for tag in &cols.tags {
            self.str(tag);
        }
        self.usize(count);
        self.bytes(&cols.code);
        self.usize(cols.words.len());
        for (i, word) in &cols.words {
            self.usize(*i);
            self.str(word);
        }
    }

    /// A [`Doc`].
    fn doc(&mut self, doc: &CachedDoc) {
        match &doc.outcome {
            DocOutcome::Done(seg) => {
                self.variant(0);
                self.seg(seg);
            }
            DocOutcome::Failed(failure) => {
                self.variant(1);
                self.failure(failure);
            }
        }
        self.terms(&doc.terms);
    }
}

/// Appends `entry` in the layout of [`Entry`].
pub(super) fn encode_entry(entry: &CacheEntry, buf: &mut Vec<u8>) {
    let mut out = Out::new(buf);
    out.uint(u64::from(CACHE_FORMAT));
    out.str(&entry.config_hash);
    out.str(&entry.path);
    out.str(&entry.doc_id);
    out.usize(entry.docs.len());
    for doc in &entry.docs {
        out.doc(doc);
    }
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

    /// `own` when it is not the text of characters `span`, `None` when it is (see
    /// [`Cutter::holds`]).
    fn stored<'o>(&mut self, span: Span, own: &'o str) -> Option<&'o str> {
        (!self.holds(span, own)).then_some(own)
    }

    /// The `len` bytes of the text from character `start` when the walk is there (the usual
    /// case for the next token); `None` otherwise (and when the text is shorter).
    #[inline]
    fn here(&self, start: usize, len: usize) -> Option<&'t [u8]> {
        if start != self.chars {
            return None;
        }
        self.text.as_bytes().get(self.bytes..)?.get(..len)
    }

    /// [`Cutter::holds`] for a short string (a token's word): when the word starts where the
    /// walk is (the usual case), no walking at all; its bytes are compared with the text's and
    /// its characters counted by [`same_chars`], a few word-sized operations instead of a
    /// `memcmp` call and a character count.
    fn holds_word(&mut self, span: Span, own: &str) -> bool {
        if span.end < span.start {
            return false;
        }
        let start = if span.start == self.chars {
            self.bytes
        } else {
            match self.byte_of(span.start) {
                Some(b) => b,
                None => return false,
            }
        };
        let own = own.as_bytes();
        let Some(end) = start.checked_add(own.len()) else {
            return false;
        };
        let Some(here) = self.text.as_bytes().get(start..end) else {
            return false;
        };
        match same_chars(here, own) {
            // `own` is whole characters, so `end` is a character boundary of the text.
            Some(chars) if chars == span.len() => {
                self.chars = span.end;
                self.bytes = end;
                true
            }
            _ => false,
        }
    }
}

/// The number of characters of `own` when `here` holds the same bytes; `None` otherwise.
/// `own` is whole UTF-8 characters: its characters are its bytes but the continuation bytes.
/// Up to 16 bytes (nearly every word) are compared as two overlapping integers (of 2, 4 or 8
/// bytes), whose continuation bytes are then counted without a loop.
#[inline(always)]
fn same_chars(here: &[u8], own: &[u8]) -> Option<usize> {
    let n = own.len();
    if here.len() != n {
        return None;
    }
    // The first and the last chunk overlap by `2 * chunk - n` bytes, the low bytes of the
    // last: those are masked off it before counting.
    let continuation = match n {
        0 => 0,
        1 => {
            let (a, b) = (here.first()?, own.first()?);
            if a != b {
                return None;
            }
            usize::from(is_continuation(*b))
        }
        2..=3 => {
            let (h0, h1) = (first_u16(here)?, last_u16(here)?);
            if h0 != first_u16(own)? || h1 != last_u16(own)? {
                return None;
            }
            let fresh = if n == 3 { h1 >> 8 } else { 0 };
            continuation_bytes(u64::from(h0) | u64::from(fresh) << 16)
        }
        4..=7 => {
            let (h0, h1) = (first_u32(here)?, last_u32(here)?);
            if h0 != first_u32(own)? || h1 != last_u32(own)? {
                return None;
            }
            let fresh = h1 & u32::MAX.checked_shl(8 * (8 - n) as u32).unwrap_or(0);
            continuation_bytes(u64::from(h0) | u64::from(fresh) << 32)
        }
        8..=16 => {
            let (h0, h1) = (first_u64(here)?, last_u64(here)?);
            if h0 != first_u64(own)? || h1 != last_u64(own)? {
                return None;
            }
            let fresh = h1 & u64::MAX.checked_shl(8 * (16 - n) as u32).unwrap_or(0);
            continuation_bytes(h0) + continuation_bytes(fresh)
        }
        _ => {
            if here != own {
                return None;
            }
            own.iter().filter(|&&b| is_continuation(b)).count()
        }
    };
    Some(n - continuation)
}

/// True for a UTF-8 continuation byte (0b10xx_xxxx), the bytes that do not start a character.
fn is_continuation(b: u8) -> bool {
    b & 0xc0 == 0x80
}

/// The number of UTF-8 continuation bytes among the 8 bytes of `x`.
fn continuation_bytes(x: u64) -> usize {
    const LOW_BITS: u64 = 0x0101_0101_0101_0101;
    // Bit 0 of each byte: its bit 7 set and its bit 6 clear.
    let marks = (x >> 7) & !(x >> 6) & LOW_BITS;
    // The sum of the bytes (at most 8) collects in the top byte.
    (marks.wrapping_mul(LOW_BITS) >> 56) as usize
}

fn first_u64(b: &[u8]) -> Option<u64> {
    b.first_chunk::<8>().map(|c| u64::from_le_bytes(*c))
}

fn last_u64(b: &[u8]) -> Option<u64> {
    b.last_chunk::<8>().map(|c| u64::from_le_bytes(*c))
}

fn first_u16(b: &[u8]) -> Option<u16> {
    b.first_chunk::<2>().map(|c| u16::from_le_bytes(*c))
}

fn last_u16(b: &[u8]) -> Option<u16> {
    b.last_chunk::<2>().map(|c| u16::from_le_bytes(*c))
}

fn first_u32(b: &[u8]) -> Option<u32> {
    b.first_chunk::<4>().map(|c| u32::from_le_bytes(*c))
}

fn last_u32(b: &[u8]) -> Option<u32> {
    b.last_chunk::<4>().map(|c| u32::from_le_bytes(*c))
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

/// Where the previous token read was (the first token is compared with sentence 0, token
/// -1, ending at character 0).
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

/// Tokens as written (the layout of [`TokenColumns`] but for its count): built before any of
/// it is written, since the tag table, which comes first, is known only at the end.
struct TokenCode<'a> {
    tags: Vec<&'a str>,
    code: Vec<u8>,
    /// (token index, word) of tokens whose word is not the text at their span.
    words: Vec<(usize, &'a str)>,
}

impl<'a> TokenCode<'a> {
    /// The columns of `tokens`: one pass writes the codes, another checks the words (two
    /// small loops whose state fits in registers, where one loop doing both spilled it).
    fn new(text: &str, tokens: &'a [Token]) -> TokenCode<'a> {
        let mut tags = Vec::new();
        let code = token_code(tokens, &mut tags);
        TokenCode {
            tags,
            code,
            words: words_not_in(text, tokens),
        }
    }
}

/// The code column of `tokens` (see [`TokenColumns`]); their tags go to `tags`.
#[inline(never)]
fn token_code<'a>(tokens: &'a [Token], tags: &mut Vec<&'a str>) -> Vec<u8> {
    let mut code = Vec::with_capacity(2 * tokens.len() + 16);
    let mut tag_ids = TagIds::default();
    let mut prev = Written::default();
    for t in tokens {
        let tag = tag_ids.id(t.pos.as_str(), tags);
        push_token(&mut code, &mut prev, t, tag);
    }
    code
}

/// (index, word) of the tokens whose word is not the text at their span.
#[inline(never)]
fn words_not_in<'a>(text: &str, tokens: &'a [Token]) -> Vec<(usize, &'a str)> {
    let mut words = Vec::new();
    let mut cutter = Cutter::new(text);
    for (i, t) in tokens.iter().enumerate() {
        let word = t.word.as_str();
        // The usual token starts where the previous one ended: no walk.
        let held = match cutter.here(t.span.start, word.len()) {
            Some(here) => match same_chars(here, word.as_bytes()) {
                Some(chars) if Some(chars) == t.span.end.checked_sub(t.span.start) => {
                    cutter.chars = t.span.end;
                    cutter.bytes += word.len();
                    true
                }
                _ => false,
            },
            None => cutter.holds_word(t.span, word),
        };
        if !held {
            words.push((i, word));
        }
    }
    words
}

/// Where the previous token written was (before the first: sentence 0, next token 0,
/// ending at character 0).
#[derive(Debug, Default, Clone, Copy)]
struct Written {
    sent: usize,
    /// `tok_idx` + 1 of the previous token.
    next_tok: usize,
    end: usize,
}

/// Indexes of the POS tags of one document's tokens, in order of first use.
///
/// Nearly every tag is one to four ASCII letters (jieba's tag set): those are found in a
/// small table of slots indexed by a multiplicative hash of their bytes (no hasher, no
/// string comparison); a tag whose slot another tag took first, and any longer tag, goes to
/// a map.
struct TagIds<'a> {
    /// ([`tag_key`], index) of the tag that took each slot; key 0: free.
    slots: [(u64, u64); TAG_SLOTS],
    others: FxHashMap<&'a str, u64>,
}

/// Slots of [`TagIds::slots`].
const TAG_SLOTS: usize = 256;

impl Default for TagIds<'_> {
    fn default() -> Self {
        TagIds {
            slots: [(0, 0); TAG_SLOTS],
            others: FxHashMap::default(),
        }
    }
}

/// A tag of 1 to 4 bytes as one number (never 0): its length and its bytes (those of 2 to
/// 4 bytes as their first two and last two, which overlap for 2 and 3).
fn tag_key(tag: &[u8]) -> Option<u64> {
    let n = tag.len() as u64;
    match (tag.first_chunk::<2>(), tag.last_chunk::<2>()) {
        (Some(first), Some(last)) if n <= 4 => Some(
            n << 32
                | u64::from(u16::from_le_bytes(*last)) << 16
                | u64::from(u16::from_le_bytes(*first)),
        ),
        _ => match *tag {
            [a] => Some(n << 32 | u64::from(a)),
            _ => None,
        },
    }
}

/// The slot of [`TagIds::slots`] for a [`tag_key`]: the top bits of a Fibonacci hash.
fn tag_slot(key: u64) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
}

impl<'a> TagIds<'a> {
    /// The index of `tag` in `tags`, appending it when it is new.
    fn id(&mut self, tag: &'a str, tags: &mut Vec<&'a str>) -> u64 {
        let next = tags.len() as u64;
        if let Some(key) = tag_key(tag.as_bytes()) {
            if let Some(slot) = self.slots.get_mut(tag_slot(key)) {
                if slot.0 == key {
                    return slot.1;
                }
                if slot.0 == 0 {
                    *slot = (key, next);
                    tags.push(tag);
                    return next;
                }
            }
        }
        *self.others.entry(tag).or_insert_with(|| {
            tags.push(tag);
            next
        })
    }
}

/// Appends the code of token `t` with tag index `tag` (read back by [`read_token`]).
#[inline]
fn push_token(code: &mut Vec<u8>, prev: &mut Written, t: &Token, tag: u64) {
    let Span { start, end } = t.span;
    let len = end.wrapping_sub(start);
    let same_sentence = t.sent_idx == prev.sent;
    let next_sentence = t.sent_idx == prev.sent.wrapping_add(1);
    let expected_tok = if same_sentence { prev.next_tok } else { 0 };
    let in_order = (same_sentence || next_sentence) && t.tok_idx == expected_tok;
    // The usual token: its length in the head (with NEW_SENTENCE when it starts the next
    // sentence) and a one-byte tag index.
    if start == prev.end && in_order && (1..=15).contains(&len) && tag < 0x80 {
        let h = len as u8 | if same_sentence { 0 } else { head::NEW_SENTENCE };
        code.extend_from_slice(&[h, tag as u8]);
    } else {
        push_unusual_token(code, *prev, t, tag);
    }
    *prev = Written {
        sent: t.sent_idx,
        next_tok: t.tok_idx.wrapping_add(1),
        end,
    };
}

/// [`push_token`] for any token (kept out of the usual token's way).
#[inline(never)]
fn push_unusual_token(code: &mut Vec<u8>, written: Written, t: &Token, tag: u64) {
    let Span { start, end } = t.span;
    let first_of_next = t.sent_idx == written.sent.wrapping_add(1) && t.tok_idx == 0;
    let next_in_sentence = t.sent_idx == written.sent && t.tok_idx == written.next_tok;
    let gap = start != written.end;
    // Differences of numbers in 0..=i64::MAX: no overflow.
    let (sent, prev_sent) = (signed(t.sent_idx), signed(written.sent));
    let len = signed(end) - signed(start);
    let mut h = match u8::try_from(len) {
        Ok(l) if (1..=head::LEN).contains(&l) => l,
        _ => 0,
    };
    if first_of_next {
        h |= head::NEW_SENTENCE;
    } else if !next_in_sentence {
        h |= head::OTHER_POSITION;
    }
    if gap {
        h |= head::GAP;
    }
    code.push(h);
    push_varint(code, tag);
    if h & head::LEN == 0 {
        push_varint(code, zigzag(len));
    }
    if h & head::OTHER_POSITION != 0 {
        push_varint(code, zigzag(sent - prev_sent));
        push_varint(code, signed(t.tok_idx) as u64);
    }
    if gap {
        push_varint(code, zigzag(signed(start) - signed(written.end)));
    }
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

/// Reads a byte column written by [`Out::bytes`].
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

    /// Writes token columns and reads them back through bincode, as the cache does.
    fn round_trip(text: &str, tokens: &[Token]) -> Option<Vec<Token>> {
        let mut bytes = Vec::new();
        Out::new(&mut bytes).tokens(&TokenCode::new(text, tokens), tokens.len());
        let (read, used): (TokenColumns, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).ok()?;
        assert_eq!(used, bytes.len());
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
        let cols = TokenCode::new(&text, &tokens);
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
            let cols = TokenCode::new(text, &one);
            let mut cols = TokenColumns {
                tags: cols.tags.iter().map(|t| t.to_string()).collect(),
                count: 1,
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
            "n", "nr", "x", "", "n", "nrfg", "Ng", "zz", "a", "nr", "nrfg", "\0", "é", "n\0",
            "eng", "nrfgx", "eng",
        ];
        let mut ids = TagIds::default();
        let mut tags = Vec::new();
        let got: Vec<u64> = seen.iter().map(|t| ids.id(t, &mut tags)).collect();
        assert_eq!(got, [0, 1, 2, 3, 0, 4, 5, 6, 7, 1, 4, 8, 9, 10, 11, 12, 11]);
        assert_eq!(
            tags,
            ["n", "nr", "x", "", "nrfg", "Ng", "zz", "a", "\0", "é", "n\0", "eng", "nrfgx"]
        );
        // Every one- and two-letter tag, and more tags than slots: tags that share a slot
        // go to the map and keep their own index.
        let letters: Vec<String> = ('a'..='z')
            .flat_map(|a| {
                std::iter::once(a.to_string()).chain(('a'..='z').map(move |b| format!("{a}{b}")))
            })
            .collect();
        let mut ids = TagIds::default();
        let mut tags = Vec::new();
        for round in 0..2 {
            for (i, t) in letters.iter().enumerate() {
                assert_eq!(ids.id(t, &mut tags), i as u64, "round {round}: {t}");
            }
        }
        assert_eq!(tags.len(), letters.len());
        assert!(!ids.others.is_empty());
    }

    /// bincode's encoding of `value`, the layout [`Out`] must write.
    fn bincode_of<T: serde::Serialize>(value: &T) -> Vec<u8> {
        bincode::serde::encode_to_vec(value, bincode::config::standard())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn written(f: impl FnOnce(&mut Out<'_>)) -> Vec<u8> {
        let mut buf = Vec::new();
        f(&mut Out::new(&mut buf));
        buf
    }

    #[test]
    fn the_hand_written_layout_is_bincodes() {
        use gongwen_model::{EntityType, FailureStatus, Format, NumberKind, Stage};
        // Integers at every width boundary, strings, options, floats.
        for v in [
            0,
            1,
            250,
            251,
            255,
            256,
            65535,
            65536,
            u64::from(u32::MAX),
            1 << 32,
            u64::MAX,
        ] {
            assert_eq!(written(|o| o.uint(v)), bincode_of(&v), "{v}");
            assert_eq!(
                written(|o| o.opt_u32(u32::try_from(v).ok())),
                bincode_of(&u32::try_from(v).ok())
            );
        }
        for s in [None, Some(""), Some("经济"), Some(&*"长".repeat(300))] {
            assert_eq!(written(|o| o.opt_str(s)), bincode_of(&s));
        }
        for v in [None, Some(0.0), Some(-1.5e300), Some(f64::NAN)] {
            assert_eq!(written(|o| o.opt_f64(v)), bincode_of(&v));
        }
        let source = |format, encoding: Option<&str>, dup: Option<&str>| SourceInfo {
            doc_id: "0123456789abcdef".into(),
            source_path: "in/报告.html".into(),
            format,
            encoding: encoding.map(str::to_string),
            bytes_replaced: dup.is_some(),
            n_bytes: 70_000,
            duplicate_of: dup.map(str::to_string),
        };
        let formats = [
            Format::Txt,
            Format::Html,
            Format::Md,
            Format::Docx,
            Format::Xml,
            Format::Csv,
            Format::Jsonl,
            Format::Binary,
            Format::Zip,
            Format::Doc,
            Format::Rtf,
            Format::Odt,
            Format::Mht,
            Format::Pdf,
            Format::Ofd,
        ];
        for f in formats.map(Some).into_iter().chain([None]) {
            for s in [
                source(f, None, None),
                source(f, Some("GB18030"), Some("a.txt")),
            ] {
                assert_eq!(written(|o| o.source(&s)), bincode_of(&s));
            }
        }
        let stats = CleanStats {
            lines_dropped: 1,
            chars_converted: 300,
            chars_width_folded: 70_000,
            doc_mill_chars: 4,
            placeholders: 5,
        };
        assert_eq!(written(|o| o.stats(&stats)), bincode_of(&stats));
        for stage in [Stage::Ingest, Stage::Clean, Stage::Segment, Stage::Tabulate] {
            for status in [
                FailureStatus::Error,
                FailureStatus::Empty,
                FailureStatus::Duplicate,
            ] {
                let f = Failure {
                    source: source(Some(Format::Html), None, None),
                    stage,
                    status,
                    message: "坏了".into(),
                };
                assert_eq!(written(|o| o.failure(&f)), bincode_of(&f));
            }
        }
        let terms: TermCounts = vec![("经济".into(), 3), ("发展".into(), u32::MAX)];
        assert_eq!(written(|o| o.terms(&terms)), bincode_of(&terms));
        for (parent_id, ordinal) in [(None, None), (Some("2".to_string()), Some(300))] {
            let s = Section {
                section_id: "2.3".into(),
                parent_id,
                level: 2,
                marker: "（三）".into(),
                ordinal,
                heading: "加快发展".into(),
                span: Span::new(10, 400),
            };
            assert_eq!(written(|o| o.section(&s)), bincode_of(&s));
        }
        let types = [
            EntityType::Per,
            EntityType::Loc,
            EntityType::Org,
            EntityType::Term,
        ];
        for (i, entity_type) in types.into_iter().enumerate() {
            let e = Entity {
                sent_idx: 300 * i,
                section_id: (i % 2 == 0).then(|| "1".to_string()),
                span: Span::new(i, 70_000),
                text: "张三".into(),
                entity_type,
                title: (i % 2 == 1).then(|| "市长".to_string()),
                redacted: i == 3,
            };
            assert_eq!(written(|o| o.entity(&e)), bincode_of(&e));
        }
        let kinds = [
            NumberKind::Money,
            NumberKind::Percent,
            NumberKind::PercentPoint,
            NumberKind::Count,
            NumberKind::Measure,
            NumberKind::Year,
            NumberKind::Date,
            NumberKind::Period,
            NumberKind::Duration,
            NumberKind::Rank,
            NumberKind::Multiple,
            NumberKind::Name,
            NumberKind::Other,
        ];
        for (i, kind) in kinds.into_iter().enumerate() {
            let some = i % 2 == 0;
            let n = NumberMention {
                sent_idx: i,
                section_id: some.then(|| "1.2".to_string()),
                span: Span::new(3, 9),
                text: "423亿元".into(),
                kind,
                value: some.then_some(4.23e10),
                low: (!some).then_some(1.0),
                high: some.then_some(5.0),
                unit: some.then(|| "元".to_string()),
                iso: (!some).then(|| "--04-18".to_string()),
                qualifier: some.then(|| "多".to_string()),
                redacted: !some,
                subject: (!some).then(|| "工业总产值".to_string()),
            };
            assert_eq!(written(|o| o.number(&n)), bincode_of(&n));
        }
        for script in [Script::Simplified, Script::Traditional] {
            assert_eq!(written(|o| o.variant(script as u32)), bincode_of(&script));
        }
        for t in [
            DocType::Speech,
            DocType::News,
            DocType::Report,
            DocType::Other,
        ] {
            assert_eq!(written(|o| o.variant(t as u32)), bincode_of(&t));
        }
    }

    /// What [`same_chars`] must answer, the slow way.
    fn same_chars_slowly(here: &[u8], own: &str) -> Option<usize> {
        (here == own.as_bytes()).then(|| own.chars().count())
    }

    #[test]
    fn same_chars_compares_and_counts_every_length() {
        let text = "甲a乙bc丙\n丁€😀ef经济运行平稳工业增长百分之五点五";
        let bytes = text.as_bytes();
        let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        for &a in &starts {
            for &b in starts.iter().filter(|&&b| b >= a).chain([&text.len()]) {
                let Some(own) = text.get(a..b) else { continue };
                // The same bytes, and the same length of bytes elsewhere.
                for &at in &starts {
                    let Some(here) = bytes.get(at..at + own.len()) else {
                        continue;
                    };
                    assert_eq!(
                        same_chars(here, own.as_bytes()),
                        same_chars_slowly(here, own),
                        "{own:?} at {at}"
                    );
                }
                // One byte changed, anywhere.
                for i in 0..own.len() {
                    let mut here = own.as_bytes().to_vec();
                    here[i] ^= 0x01;
                    assert_eq!(same_chars(&here, own.as_bytes()), None, "{own:?} {i}");
                }
            }
        }
        assert_eq!(same_chars(b"ab", b"abc"), None);
    }

    proptest::proptest! {
        #[test]
        fn same_chars_agrees_with_the_slow_way(own in "\\PC{0,12}", other in "\\PC{0,12}") {
            proptest::prop_assert_eq!(
                same_chars(own.as_bytes(), own.as_bytes()),
                Some(own.chars().count())
            );
            if own.len() == other.len() {
                proptest::prop_assert_eq!(
                    same_chars(other.as_bytes(), own.as_bytes()),
                    same_chars_slowly(other.as_bytes(), &own)
                );
            }
        }
    }
}
