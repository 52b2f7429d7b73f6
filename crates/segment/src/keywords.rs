//! Keyword candidates per document and TF-IDF ranking over a run.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use gongwen_model::{Keyword, Token};

/// A fast, non-cryptographic hasher (the Fx hash of rustc) for the short words counted per
/// document: SipHash costs more than the rest of keyword counting. Input is the pipeline's
/// own documents, so hash flooding is no concern.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(buf));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            for (b, c) in buf.iter_mut().zip(rest) {
                *b = *c;
            }
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// Builds [`FxHasher`]s.
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// What may be a keyword.
#[derive(Debug, Clone)]
pub(crate) struct KeywordRules {
    stopwords: HashSet<String, FxBuild>,
    min_chars: usize,
    max_candidates: usize,
    excluded_pos: Vec<String>,
    /// The excluded-POS rule decided in advance for every tag of one or two lowercase ASCII
    /// letters (all of jieba's tags), indexed by [`short_tag_index`].
    excluded_short: Vec<bool>,
}

/// Letters of a short tag: `a`–`z`, plus 0 for "no second letter".
const TAG_LETTERS: usize = 27;

/// Index of a tag of one or two lowercase ASCII letters in a table of `TAG_LETTERS²` entries;
/// `None` for any other tag.
fn short_tag_index(pos: &str) -> Option<usize> {
    let letter = |b: u8| b.is_ascii_lowercase().then(|| usize::from(b - b'a') + 1);
    match *pos.as_bytes() {
        [a] => Some(letter(a)? * TAG_LETTERS),
        [a, b] => Some(letter(a)? * TAG_LETTERS + letter(b)?),
        _ => None,
    }
}

/// Whether `c` makes a token a word: a letter of any script (Han included) that is not a
/// Chinese numeral or a number word (digits, punctuation and symbols are no letters).
fn is_word_letter(c: char) -> bool {
    if matches!(c, '\u{4E00}'..='\u{9FFF}') {
        // The main CJK block is all letters (checked in a test); skip the table lookup.
        !matches!(
            c,
            '〇' | '零'
                | '一'
                | '二'
                | '三'
                | '四'
                | '五'
                | '六'
                | '七'
                | '八'
                | '九'
                | '十'
                | '百'
                | '千'
                | '万'
                | '亿'
                | '两'
                | '几'
                | '多'
                | '余'
        )
    } else {
        c.is_alphabetic() && c != 'X' && c != '〇'
    }
}

impl KeywordRules {
    /// Rules from a stop-word list and the `[segment]` keyword settings.
    pub(crate) fn new(
        stopwords: Vec<String>,
        min_chars: usize,
        max_candidates: usize,
        excluded_pos: Vec<String>,
    ) -> Self {
        let is_excluded = |pos: &str| excluded_pos.iter().any(|p| pos.starts_with(p.as_str()));
        let mut excluded_short = vec![false; TAG_LETTERS * TAG_LETTERS];
        let letters =
            std::iter::once(String::new()).chain((b'a'..=b'z').map(|b| char::from(b).to_string()));
        for first in (b'a'..=b'z').map(char::from) {
            for second in letters.clone() {
                let tag = format!("{first}{second}");
                if let (Some(i), true) = (short_tag_index(&tag), is_excluded(&tag)) {
                    if let Some(slot) = excluded_short.get_mut(i) {
                        *slot = true;
                    }
                }
            }
        }
        KeywordRules {
            stopwords: stopwords.into_iter().collect(),
            min_chars,
            max_candidates,
            excluded_pos,
            excluded_short,
        }
    }

    /// Whether tokens tagged `pos` are left out (prefix match against `excluded_pos`).
    fn pos_excluded(&self, pos: &str) -> bool {
        match short_tag_index(pos).and_then(|i| self.excluded_short.get(i)) {
            Some(&excluded) => excluded,
            None => self
                .excluded_pos
                .iter()
                .any(|p| pos.starts_with(p.as_str())),
        }
    }

    /// Whether a token may be a keyword, stop words aside (see [`KeywordRules::term_counts`]).
    fn is_candidate(&self, t: &Token) -> bool {
        if self.pos_excluded(t.pos.as_str()) {
            return false;
        }
        let mut n = 0usize;
        let mut has_letter = false;
        for c in t.word.chars() {
            n += 1;
            if !matches!(c, '\u{4E00}'..='\u{9FFF}') && (c.is_whitespace() || c.is_control()) {
                return false;
            }
            has_letter = has_letter || is_word_letter(c);
        }
        n >= self.min_chars && has_letter
    }

    /// Candidate words with counts: the `max_candidates` most frequent, sorted by count
    /// (descending) then word.
    pub(crate) fn term_counts(&self, tokens: &[Token]) -> Vec<(String, u32)> {
        let mut counts: HashMap<&str, u32, FxBuild> =
            HashMap::with_capacity_and_hasher(tokens.len() / 8, FxBuild::default());
        for t in tokens {
            if self.is_candidate(t) {
                *counts.entry(t.word.as_str()).or_default() += 1;
            }
        }
        // Stop words are dropped once per distinct word rather than looked up per token.
        let mut v: Vec<(&str, u32)> = counts
            .into_iter()
            .filter(|(w, _)| !self.stopwords.contains(*w))
            .collect();
        // Words are distinct, so the order is total and the result deterministic: pick the
        // `max_candidates` first, then sort only those.
        let order = |a: &(&str, u32), b: &(&str, u32)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
        if v.len() > self.max_candidates && self.max_candidates > 0 {
            v.select_nth_unstable_by(self.max_candidates - 1, order);
        }
        v.truncate(self.max_candidates);
        v.sort_unstable_by(order);
        v.into_iter().map(|(w, c)| (w.to_string(), c)).collect()
    }
}

/// TF-IDF ranking: tf = count / total of the document's candidate counts; idf =
/// ln((1 + n_docs) / (1 + df)) + 1 (smoothed, never negative); ties broken by word.
pub(crate) fn rank(
    terms: &[(String, u32)],
    doc_freq: &HashMap<String, u32>,
    n_docs: usize,
    top_k: usize,
) -> Vec<Keyword> {
    let total = terms.iter().map(|(_, c)| u64::from(*c)).sum::<u64>().max(1) as f64;
    let n = n_docs as f64;
    let mut scored: Vec<(&str, f64)> = terms
        .iter()
        .map(|(w, c)| {
            let df = f64::from(doc_freq.get(w).copied().unwrap_or(1).max(1));
            let idf = ((1.0 + n) / (1.0 + df)).ln().max(0.0) + 1.0;
            (w.as_str(), f64::from(*c) / total * idf)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    scored
        .into_iter()
        .take(top_k)
        .enumerate()
        .map(|(i, (word, weight))| Keyword {
            rank: i + 1,
            word: word.to_string(),
            weight,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_model::Span;

    fn tok(word: &str, pos: &str) -> Token {
        Token {
            sent_idx: 0,
            tok_idx: 0,
            word: word.into(),
            pos: pos.into(),
            span: Span::default(),
        }
    }

    #[test]
    fn candidates_leave_out_stopwords_single_chars_numbers_and_punctuation() {
        let rules = KeywordRules::new(vec!["我们".into()], 2, 200, vec!["x".into(), "m".into()]);
        let tokens = vec![
            tok("营商环境", "nz"),
            tok("营商环境", "nz"),
            tok("我们", "r"),
            tok("市", "n"),
            tok("2023", "m"),
            tok("三万", "n"),
            tok("，", "x"),
            tok("招商", "v"),
            tok("  ", "x"),
            tok("5G", "eng"),
        ];
        assert_eq!(
            rules.term_counts(&tokens),
            vec![
                ("营商环境".to_string(), 2),
                ("5G".to_string(), 1),
                ("招商".to_string(), 1)
            ]
        );
    }

    #[test]
    fn letter_test_agrees_with_the_original_rule() {
        let original =
            |c: char| c.is_alphabetic() && !"〇零一二三四五六七八九十百千万亿两几多余X".contains(c);
        for c in (0u32..0x3_0000).filter_map(char::from_u32) {
            assert_eq!(is_word_letter(c), original(c), "{c:?}");
            if matches!(c, '\u{4E00}'..='\u{9FFF}') {
                assert!(!c.is_whitespace() && !c.is_control(), "{c:?}");
            }
        }
    }

    #[test]
    fn excluded_pos_is_checked_by_prefix() {
        let rules = KeywordRules::new(vec![], 2, 200, vec!["u".into()]);
        let tokens = vec![tok("之间", "uj"), tok("之间", "f"), tok("发展", "vn")];
        assert_eq!(
            rules.term_counts(&tokens),
            vec![("之间".to_string(), 1), ("发展".to_string(), 1)]
        );
    }

    #[test]
    fn excluded_pos_table_agrees_with_the_prefix_rule() {
        let excluded: Vec<String> = ["x", "m", "u", "nr", "eng"].map(String::from).to_vec();
        let rules = KeywordRules::new(vec![], 2, 200, excluded.clone());
        let letters: Vec<String> = std::iter::once(String::new())
            .chain(('a'..='z').map(String::from))
            .collect();
        let mut tags: Vec<String> = Vec::new();
        for a in &letters {
            for b in &letters {
                tags.push(format!("{a}{b}"));
                tags.push(format!("{a}{b}g"));
            }
        }
        tags.extend(["X", "N", "nR", "Ng", "1", "中"].map(String::from));
        for tag in &tags {
            let rule = excluded.iter().any(|p| tag.starts_with(p.as_str()));
            assert_eq!(rules.pos_excluded(tag), rule, "{tag:?}");
        }
    }

    #[test]
    fn candidates_are_capped_by_count() {
        let rules = KeywordRules::new(vec![], 2, 2, vec![]);
        let tokens = vec![
            tok("乙乙", "n"),
            tok("甲甲", "n"),
            tok("丙丙", "n"),
            tok("丙丙", "n"),
        ];
        assert_eq!(
            rules.term_counts(&tokens),
            vec![("丙丙".to_string(), 2), ("乙乙".to_string(), 1)]
        );
    }

    #[test]
    fn ranking_is_tfidf_with_deterministic_ties() {
        let terms = vec![
            ("共有".to_string(), 2),
            ("独有".to_string(), 1),
            ("另有".to_string(), 1),
        ];
        let df: HashMap<String, u32> = [
            ("共有".to_string(), 10),
            ("独有".to_string(), 1),
            ("另有".to_string(), 1),
        ]
        .into_iter()
        .collect();
        let ranked = rank(&terms, &df, 10, 10);
        let words: Vec<&str> = ranked.iter().map(|k| k.word.as_str()).collect();
        // 另有 and 独有 tie; the tie is broken by word order.
        assert_eq!(words, vec!["另有", "独有", "共有"]);
        assert_eq!(ranked.first().map(|k| k.rank), Some(1));
        assert!(ranked.windows(2).all(|w| w[0].weight >= w[1].weight));
        assert_eq!(rank(&terms, &df, 10, 1).len(), 1);
    }
}
