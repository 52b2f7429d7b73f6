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
    /// and shows it to `terms` when keyword candidates are being counted.
    ///
    /// The word is built with `CompactString::new` (an inline copy: about 40 instructions
    /// fewer than `push_str` into an empty string, whose capacity checks and length update
    /// cost more than the copy) and the tag is a clone of a ready string. (Round 4 had
    /// written both in place into a pushed row, to spare a load that waits for the copy's
    /// stores; round 8 measured the whole row cheaper this way in instructions and in the
    /// share of profile samples against jieba's.)
    #[inline(always)]
    fn push_row(
        &self,
        out: &mut Vec<Token>,
        (start, end): (usize, usize),
        word: &str,
        tag: &str,
        terms: &mut Option<&mut TermCounter<'_>>,
    ) {
        let row = out.len();
        let tag_index = short_tag_index(tag);
        let pos = match tag_index.and_then(|i| self.short_tags.get(i)) {
            Some(ready) => ready.clone(),
            None => CompactString::new(tag),
        };
        out.push(Token {
            sent_idx: 0,
            tok_idx: 0,
            word: CompactString::new(word),
            pos,
            span: Span::new(start, end),
        });
        if let Some(terms) = terms {
            terms.see(row, word, end - start, tag, tag_index);
        }
    }

    /// Appends the tokens of `text` to `out`, tiling it exactly: every character belongs to
    /// exactly one token (anything jieba leaves out becomes a token tagged `x`). Spans are
    /// character offsets relative to `text`; `sent_idx` and `tok_idx` are left 0 for the
    /// caller to set. (The token rows are built here, straight from jieba's tags, so no
    /// intermediate list is written and read again.)
    ///
    /// jieba cuts its input into blocks at every character that is not Han, ASCII
    /// alphanumeric or one of `+#&._%-`, and segments each block on its own; so tagging a
    /// paragraph gives the same tokens as tagging each of its sentences, whose ends are
    /// punctuation, closing quotes or whitespace (segment still checks that no token crosses
    /// a sentence end).
    ///
    /// With `terms`, every row is also counted as a keyword candidate if it is one (see
    /// [`TermCounter::see`]); row numbers are positions in `out`.
    pub(crate) fn tokenize_into(
        &self,
        text: &str,
        out: &mut Vec<Token>,
        mut terms: Option<&mut TermCounter<'_>>,
        clock: &mut Clock<'_>,
    ) {
        clock.lap(|p| &mut p.tokens);
        let tags = self.jieba.tag(text, self.hmm);
        clock.lap(|p| &mut p.jieba);
        out.reserve(tags.len());
        let mut pos = 0usize;
        let mut byte_pos = 0usize;
        for t in tags {
            if t.start < pos || t.end <= t.start || t.byte_start < byte_pos {
                continue;
            }
            if t.start > pos {
                if let Some(gap) = text.get(byte_pos..t.byte_start) {
                    self.push_row(out, (pos, t.start), gap, "x", &mut terms);
                }
            }
            let tag = if t.tag.is_empty() { "x" } else { t.tag };
            self.push_row(out, (t.start, t.end), t.word, tag, &mut terms);
            pos = t.end;
            byte_pos = t.byte_end;
        }
        if let Some(rest) = text.get(byte_pos..) {
            if !rest.is_empty() {
                let n = rest.chars().count();
                self.push_row(out, (pos, pos + n), rest, "x", &mut terms);
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
            "",
            "中",
            "发展",
            "abcdefghijklmnopqrstuvwx",
            "中华人民共和国全国人民代表大会",
        ];
        let mut rows = Vec::new();
        for (k, tag) in tags.iter().enumerate() {
            let word = words.get(k % words.len()).copied().unwrap_or("");
            tokenizer.push_row(&mut rows, (k, k + 1), word, tag, &mut None);
            let row = rows.last();
            assert_eq!(row.map(|r| r.word.as_str()), Some(word));
            assert_eq!(row.map(|r| r.pos.as_str()), Some(tag.as_str()));
            assert_eq!(row.map(|r| r.span), Some(Span::new(k, k + 1)));
        }
    }
}
