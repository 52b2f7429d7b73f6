//! The cache's compact encoding of a processed document.
//!
//! A [`SegmentedDoc`] repeats its text many times over: every token, sentence and paragraph
//! carries its own copy. Tokens are by far the most numerous rows, so they are stored as
//! columns of small integers (gaps and lengths, bincode varints) and a table of the POS tags
//! used, and their words are cut back out of the clean text when the entry is read. The raw
//! input text (`CleanDoc::original`, kept for audit, never written to a table) is not stored.
//! Anything that does not round-trip exactly (a token whose word is not the text at its span)
//! is stored as an explicit exception, so reading an entry always gives back what was stored.

use std::collections::HashMap;

use gongwen_model::{
    CleanDoc, CleanStats, CompactString, DocOutcome, DocType, Entity, Failure, NumberMention,
    Paragraph, Script, Section, SegmentedDoc, Sentence, SourceInfo, Span, Token,
};
use serde::{Deserialize, Serialize};

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

/// One document, as written.
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
/// tables as they are, the tokens as columns.
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
    tokens: TokenColumns,
    entities: &'a [Entity],
    numbers: &'a [NumberMention],
}

impl<'a> SegRef<'a> {
    fn new(seg: &'a SegmentedDoc) -> SegRef<'a> {
        let doc = &seg.doc;
        let text = doc.paragraphs.join("\n");
        let offsets = char_offsets(&text);
        let unit = |idx, para_idx, section_id, span, own: &'a str| UnitRef {
            idx,
            para_idx,
            section_id,
            span,
            text: (cut(&text, &offsets, span) != Some(own)).then_some(own),
        };
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
            paragraphs: seg
                .paragraphs
                .iter()
                .map(|p| unit(p.para_idx, p.para_idx, &p.section_id, p.span, &p.text))
                .collect(),
            sentences: seg
                .sentences
                .iter()
                .map(|s| unit(s.sent_idx, s.para_idx, &s.section_id, s.span, &s.text))
                .collect(),
            sections: &seg.sections,
            tokens: TokenColumns::new(&text, &offsets, &seg.tokens),
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
        let offsets = char_offsets(&text);
        let tokens = self.tokens.expand(&text, &offsets)?;
        let unit_text = |u: Unit| -> Option<(Unit, String)> {
            let t = match &u.text {
                Some(own) => own.clone(),
                None => cut(&text, &offsets, u.span)?.to_string(),
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

/// A paragraph or sentence, as read (same layout as [`UnitRef`]).
#[derive(Deserialize)]
struct Unit {
    idx: usize,
    para_idx: usize,
    section_id: Option<String>,
    span: Span,
    text: Option<String>,
}

/// Tokens as columns. Each token is stored as differences from the one before it, which
/// are mostly 0 or 1 and take one byte each.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
struct TokenColumns {
    /// The POS tags used, in order of first use.
    tags: Vec<String>,
    /// Index into `tags`, per token.
    tag: Vec<u32>,
    /// `sent_idx` minus the previous token's.
    sent_step: Vec<i64>,
    /// `tok_idx`.
    tok_idx: Vec<u64>,
    /// `span.start` minus the previous token's `span.end`.
    start_gap: Vec<i64>,
    /// `span.end - span.start`.
    len: Vec<u64>,
    /// (token index, word) of tokens whose word is not the clean text at their span.
    words: Vec<(u64, String)>,
}

/// Byte offset of every character of `text`, plus its length at the end.
fn char_offsets(text: &str) -> Vec<usize> {
    text.char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect()
}

/// The text of characters `span` of `text`, given its [`char_offsets`].
fn cut<'t>(text: &'t str, offsets: &[usize], span: Span) -> Option<&'t str> {
    let start = *offsets.get(span.start)?;
    let end = *offsets.get(span.end)?;
    text.get(start..end)
}

fn signed(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl TokenColumns {
    fn new(text: &str, offsets: &[usize], tokens: &[Token]) -> TokenColumns {
        let mut cols = TokenColumns::default();
        let mut tag_ids: HashMap<&str, u32> = HashMap::new();
        let (mut prev_sent, mut prev_end) = (0i64, 0i64);
        for (i, t) in tokens.iter().enumerate() {
            let id = *tag_ids.entry(t.pos.as_str()).or_insert_with(|| {
                cols.tags.push(t.pos.to_string());
                u32::try_from(cols.tags.len() - 1).unwrap_or(u32::MAX)
            });
            cols.tag.push(id);
            let sent = signed(t.sent_idx);
            cols.sent_step.push(sent - prev_sent);
            prev_sent = sent;
            cols.tok_idx.push(t.tok_idx as u64);
            cols.start_gap.push(signed(t.span.start) - prev_end);
            prev_end = signed(t.span.end);
            cols.len.push(t.span.len() as u64);
            let round_trips = t.span.end >= t.span.start
                && cut(text, offsets, t.span) == Some(t.word.as_str());
            if !round_trips {
                cols.words.push((i as u64, t.word.to_string()));
            }
        }
        cols
    }

    /// The tokens back; `None` when the columns are inconsistent.
    fn expand(self, text: &str, offsets: &[usize]) -> Option<Vec<Token>> {
        let n = self.tag.len();
        let same_length = [
            self.sent_step.len(),
            self.tok_idx.len(),
            self.start_gap.len(),
            self.len.len(),
        ]
        .iter()
        .all(|&l| l == n);
        if !same_length {
            return None;
        }
        let mut words: HashMap<u64, String> = self.words.into_iter().collect();
        let mut tokens = Vec::with_capacity(n);
        let (mut sent, mut end) = (0i64, 0i64);
        for i in 0..n {
            sent = sent.checked_add(*self.sent_step.get(i)?)?;
            let start = end.checked_add(*self.start_gap.get(i)?)?;
            let len = i64::try_from(*self.len.get(i)?).ok()?;
            end = start.checked_add(len)?;
            let span = Span::new(usize::try_from(start).ok()?, usize::try_from(end).ok()?);
            let word: CompactString = match words.remove(&(i as u64)) {
                Some(w) => w.into(),
                None => cut(text, offsets, span)?.into(),
            };
            let tag = usize::try_from(*self.tag.get(i)?).ok()?;
            tokens.push(Token {
                sent_idx: usize::try_from(sent).ok()?,
                tok_idx: usize::try_from(*self.tok_idx.get(i)?).ok()?,
                word,
                pos: self.tags.get(tag)?.as_str().into(),
                span,
            });
        }
        Some(tokens)
    }
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

    #[test]
    fn token_columns_round_trip_including_words_that_differ_from_the_text() {
        let paragraphs = vec!["全市经济运行平稳。".to_string(), "工业增长5%".to_string()];
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
        let offsets = char_offsets(&text);
        let cols = TokenColumns::new(&text, &offsets, &tokens);
        assert_eq!(cols.words, vec![(1, "經濟".to_string())]);
        assert_eq!(cols.tags, vec!["n", "v", "a", "x", "m"]);
        assert_eq!(cols.expand(&text, &offsets), Some(tokens));
    }

    #[test]
    fn inconsistent_columns_are_rejected_not_panicking() {
        let (text, offsets) = ("短", char_offsets("短"));
        let mut cols = TokenColumns::new(text, &offsets, &[token(0, 0, "短", "a", 0)]);
        cols.len[0] = 99;
        assert_eq!(cols.expand(text, &offsets), None);
        let mut cols = TokenColumns::new(text, &offsets, &[token(0, 0, "短", "a", 0)]);
        cols.tag[0] = 7;
        assert_eq!(cols.expand(text, &offsets), None);
        let mut cols = TokenColumns::new(text, &offsets, &[token(0, 0, "短", "a", 0)]);
        cols.start_gap.clear();
        assert_eq!(cols.expand(text, &offsets), None);
    }
}
