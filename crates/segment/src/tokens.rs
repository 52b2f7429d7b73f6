//! Word segmentation with jieba-rs plus user dictionaries.

use gongwen_model::CompactString;
use jieba_rs::Jieba;

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
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("hmm", &self.hmm)
            .finish_non_exhaustive()
    }
}

/// One token of a sentence: character offsets relative to the sentence, word and POS tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawToken {
    /// First character, relative to the sentence.
    pub start: usize,
    /// One past the last character.
    pub end: usize,
    /// The word.
    pub word: CompactString,
    /// jieba POS tag (`x` for whitespace and gaps).
    pub pos: CompactString,
}

impl Tokenizer {
    /// jieba with its default dictionary.
    pub(crate) fn new(hmm: bool) -> Self {
        Tokenizer {
            jieba: Jieba::new(),
            hmm,
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

    /// Tokens of `sentence`, tiling it exactly: every character belongs to exactly one token
    /// (anything jieba leaves out becomes a token tagged `x`).
    pub(crate) fn tokenize(&self, sentence: &str) -> Vec<RawToken> {
        let tags = self.jieba.tag(sentence, self.hmm);
        let mut out = Vec::with_capacity(tags.len());
        let mut pos = 0usize;
        let mut byte_pos = 0usize;
        for t in tags {
            if t.start < pos || t.end <= t.start || t.byte_start < byte_pos {
                continue;
            }
            if t.start > pos {
                if let Some(gap) = sentence.get(byte_pos..t.byte_start) {
                    out.push(RawToken {
                        start: pos,
                        end: t.start,
                        word: gap.into(),
                        pos: "x".into(),
                    });
                }
            }
            out.push(RawToken {
                start: t.start,
                end: t.end,
                word: t.word.into(),
                pos: if t.tag.is_empty() { "x" } else { t.tag }.into(),
            });
            pos = t.end;
            byte_pos = t.byte_end;
        }
        if let Some(rest) = sentence.get(byte_pos..) {
            if !rest.is_empty() {
                let n = rest.chars().count();
                out.push(RawToken {
                    start: pos,
                    end: pos + n,
                    word: rest.into(),
                    pos: "x".into(),
                });
            }
        }
        out
    }
}
