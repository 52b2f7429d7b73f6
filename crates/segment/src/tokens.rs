//! Word segmentation with jieba-rs plus user dictionaries.

use gongwen_model::{CompactString, Span, Token};
use jieba_rs::Jieba;

use crate::keywords::{short_tag_index, TermCounter, TAG_LETTERS};
use crate::Clock;

/// A problem in a user dictionary, by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DictProblem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// jieba's words of one text, ready to become token rows (see [`Tokenizer::tag`]).
#[derive(Debug, Default)]
pub(crate) struct TaggedText {
    /// Bytes of the tagged text.
    text_len: usize,
    words: Vec<WordTag>,
    /// Tags that are not one or two lowercase letters (`eng`, user dictionaries' own), by
    /// [`WordTag::tag`] − `TAG_LETTERS²`.
    long_tags: Vec<CompactString>,
}

impl TaggedText {
    /// Whether these can be the words of `text` (tagged from a text of its length).
    pub(crate) fn fits(&self, text: &str) -> bool {
        self.text_len == text.len()
    }

    /// Appends a word: its character and byte ranges in the text, and its tag.
    fn push(
        &mut self,
        (start, end): (usize, usize),
        (byte_start, byte_end): (usize, usize),
        tag: &str,
    ) {
        let id = match short_tag_index(tag) {
            Some(i) => i,
            None => {
                let k = match self.long_tags.iter().position(|l| l == tag) {
                    Some(k) => k,
                    None => {
                        self.long_tags.push(CompactString::new(tag));
                        self.long_tags.len() - 1
                    }
                };
                SHORT_TAGS + k
            }
        };
        self.words.push(WordTag {
            start,
            end,
            byte_start,
            byte_end,
            tag: u32::try_from(id).unwrap_or(u32::MAX),
        });
    }
}

/// One word from jieba: character and byte range in the tagged text, and its tag: a
/// [`short_tag_index`] below `TAG_LETTERS²`, else an index into [`TaggedText::long_tags`].
#[derive(Debug, Clone, Copy)]
struct WordTag {
    start: usize,
    end: usize,
    byte_start: usize,
    byte_end: usize,
    tag: u32,
}

/// The tag of text jieba leaves out.
static X: CompactString = CompactString::const_new("x");

/// Tag ids below this are [`short_tag_index`]es.
const SHORT_TAGS: usize = TAG_LETTERS * TAG_LETTERS;

/// jieba with the domain and user dictionaries loaded; immutable after build.
pub(crate) struct Tokenizer {
    jieba: Jieba,
    hmm: bool,
    /// Every tag of one or two lowercase ASCII letters (jieba's tags but `eng`), indexed by
    /// [`short_tag_index`], so a token's tag is a copy of a ready string (see
    /// [`Tokenizer::push_row`]).
    short_tags: Vec<CompactString>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("hmm", &self.hmm)
            .finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// jieba with its default dictionary.
    pub(crate) fn new(hmm: bool) -> Self {
        let mut short_tags = vec![CompactString::default(); TAG_LETTERS * TAG_LETTERS];
        let letters = std::iter::once(None).chain((b'a'..=b'z').map(|b| Some(char::from(b))));
        for first in (b'a'..=b'z').map(char::from) {
            for second in letters.clone() {
                let tag: CompactString = std::iter::once(first).chain(second).collect();
                if let Some(slot) = short_tag_index(&tag).and_then(|i| short_tags.get_mut(i)) {
                    *slot = tag;
                }
            }
        }
        Tokenizer {
            jieba: Jieba::new(),
            hmm,
            short_tags,
        }
    }

    /// Adds one word; `freq` None lets jieba pick a frequency that keeps the word whole; a
    /// new word without a tag is tagged `nz` (a word jieba knows keeps its tag).
    pub(crate) fn add_word(&mut self, word: &str, freq: Option<usize>, tag: Option<&str>) {
        let word = word.trim();
        if word.is_empty() || word.chars().any(char::is_whitespace) {
            return;
        }
        self.jieba.add_word(
            word,
            freq,
            Some(tag.filter(|t| !t.is_empty()).unwrap_or("nz")),
        );
    }

    /// Adds every entry of a user dictionary in jieba's format (`word [freq] [tag]` per line,
    /// `#` comments and blank lines ignored). Entries without a tag get `default_tag`.
    pub(crate) fn add_dictionary(
        &mut self,
        text: &str,
        default_tag: Option<&str>,
    ) -> Result<usize, DictProblem> {
        let mut added = 0;
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let mut fields = trimmed.split_whitespace();
            let Some(word) = fields.next() else { continue };
            let rest: Vec<&str> = fields.collect();
            let is_freq = |f: &str| f.chars().all(|c| c.is_ascii_digit());
            let bad = || DictProblem {
                line: i + 1,
                message: format!("expected `word [freq] [tag]`, found `{trimmed}`"),
            };
            let (freq, tag) = match rest.as_slice() {
                [] => (None, default_tag),
                [f] if is_freq(f) => (Some(f.parse::<usize>().map_err(|_| bad())?), default_tag),
                [t] => (None, Some(*t)),
                [f, t] if is_freq(f) => (Some(f.parse::<usize>().map_err(|_| bad())?), Some(*t)),
                _ => return Err(bad()),
            };
            self.add_word(word, freq, tag);
            added += 1;
        }
        Ok(added)
    }

    /// Appends a token row (`sent_idx` and `tok_idx` 0, span relative to the tagged text),
    /// and shows it to `terms` when keyword candidates are being counted. `tag_index` is
    /// the tag's [`short_tag_index`].
    ///
    /// The word is built with `CompactString::new` (an inline copy: about 40 instructions
    /// fewer than `push_str` into an empty string, whose capacity checks and length update
    /// cost more than the copy) and the tag is a clone of a ready string. (Round 4 had
    /// written both in place into a pushed row, to spare a load that waits for the copy's
    /// stores; round 8 measured the whole row cheaper this way in instructions and in the
    /// share of profile samples against jieba's.)
    #[inline(always)]
    fn push_row(
        out: &mut Vec<Token>,
        (start, end): (usize, usize),
        word: &str,
        (pos, tag_index): (&CompactString, Option<usize>),
        terms: &mut Option<&mut TermCounter<'_>>,
    ) {
        let row = out.len();
        out.push(Token {
            sent_idx: 0,
            tok_idx: 0,
            word: CompactString::new(word),
            pos: pos.clone(),
            span: Span::new(start, end),
        });
        if let Some(terms) = terms {
            terms.see(row, word, end - start, pos, tag_index);
        }
    }

    /// Appends the tokens of `text` to `out`: [`Tokenizer::tag`], then
    /// [`Tokenizer::rows_from_tags`].
    pub(crate) fn tokenize_into(
        &self,
        text: &str,
        out: &mut Vec<Token>,
        terms: Option<&mut TermCounter<'_>>,
        clock: &mut Clock<'_>,
    ) {
        clock.lap(|p| &mut p.tokens);
        let tagged = self.tag(text);
        clock.lap(|p| &mut p.jieba);
        self.rows_from_tags(text, &tagged, out, terms);
    }

    /// jieba's words of `text` with their tags, kept apart from the token rows so that many
    /// texts can be tagged in a row (jieba's tables then stay in the processor's caches).
    ///
    /// jieba cuts its input into blocks at every character that is not Han, ASCII
    /// alphanumeric or one of `+#&._%-`, and segments each block on its own; so tagging a
    /// paragraph gives the same words as tagging each of its sentences, whose ends are
    /// punctuation, closing quotes or whitespace (segment still checks that no token crosses
    /// a sentence end).
    pub(crate) fn tag(&self, text: &str) -> TaggedText {
        let tags = self.jieba.tag(text, self.hmm);
        let mut tagged = TaggedText {
            text_len: text.len(),
            words: Vec::with_capacity(tags.len()),
            long_tags: Vec::new(),
        };
        for t in &tags {
            tagged.push((t.start, t.end), (t.byte_start, t.byte_end), t.tag);
        }
        tagged
    }

    /// Appends the token rows of `text`, tagged as `tagged`, to `out`, tiling it exactly:
    /// every character belongs to exactly one token (anything jieba leaves out becomes a
    /// token tagged `x`). Spans are character offsets relative to `text`; `sent_idx` and
    /// `tok_idx` are left 0 for the caller to set.
    ///
    /// With `terms`, every row is also counted as a keyword candidate if it is one (see
    /// [`TermCounter::see`]); row numbers are positions in `out`.
    pub(crate) fn rows_from_tags(
        &self,
        text: &str,
        tagged: &TaggedText,
        out: &mut Vec<Token>,
        mut terms: Option<&mut TermCounter<'_>>,
    ) {
        let x = short_tag_index("x");
        let x_tag = (x.and_then(|i| self.short_tags.get(i)).unwrap_or(&X), x);
        out.reserve(tagged.words.len());
        let mut pos = 0usize;
        let mut byte_pos = 0usize;
        for t in &tagged.words {
            if t.start < pos || t.end <= t.start || t.byte_start < byte_pos {
                continue;
            }
            let Some(word) = text.get(t.byte_start..t.byte_end) else {
                continue;
            };
            if t.start > pos {
                if let Some(gap) = text.get(byte_pos..t.byte_start) {
                    Self::push_row(out, (pos, t.start), gap, x_tag, &mut terms);
                }
            }
            let id = t.tag as usize;
            let tag = match id.checked_sub(SHORT_TAGS) {
                None => (self.short_tags.get(id).unwrap_or(&X), Some(id)),
                Some(k) => match tagged.long_tags.get(k) {
                    Some(long) if !long.is_empty() => (long, None),
                    _ => x_tag,
                },
            };
            Self::push_row(out, (t.start, t.end), word, tag, &mut terms);
            pos = t.end;
            byte_pos = t.byte_end;
        }
        if let Some(rest) = text.get(byte_pos..) {
            if !rest.is_empty() {
                let n = rest.chars().count();
                Self::push_row(out, (pos, pos + n), rest, x_tag, &mut terms);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_hold_the_word_and_tag_as_given() {
        let tokenizer = Tokenizer::new(true);
        let mut tags: Vec<String> = vec![String::new(), "eng".into(), "X".into(), "n1".into()];
        for a in 'a'..='z' {
            tags.push(a.to_string());
            for b in 'a'..='z' {
                tags.push(format!("{a}{b}"));
            }
        }
        let words = [
            "中",
            "发展",
            "abcdefghijklmnopqrstuvwx",
            "中华人民共和国全国人民代表大会",
        ];
        let mut text = String::new();
        let mut tagged = TaggedText::default();
        let mut chars = 0;
        for (k, tag) in tags.iter().enumerate() {
            let word = words.get(k % words.len()).copied().unwrap_or("");
            let n = word.chars().count();
            tagged.push(
                (chars, chars + n),
                (text.len(), text.len() + word.len()),
                tag,
            );
            text.push_str(word);
            chars += n;
        }
        tagged.text_len = text.len();
        assert!(tagged.fits(&text));
        let mut rows = Vec::new();
        tokenizer.rows_from_tags(&text, &tagged, &mut rows, None);
        assert_eq!(rows.len(), tags.len());
        let mut chars = 0;
        for (k, (row, tag)) in rows.iter().zip(&tags).enumerate() {
            let word = words.get(k % words.len()).copied().unwrap_or("");
            let n = word.chars().count();
            let tag = if tag.is_empty() { "x" } else { tag.as_str() };
            assert_eq!(row.word.as_str(), word);
            assert_eq!(row.pos.as_str(), tag);
            assert_eq!(row.span, Span::new(chars, chars + n));
            chars += n;
        }
    }
}
