//! Keyword candidates per document and TF-IDF ranking over a run.

use std::cmp::Reverse;
use std::collections::HashMap;

use gongwen_model::{Keyword, Token};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::sentences::is_plain_han;

/// What may be a keyword.
#[derive(Debug, Clone)]
pub(crate) struct KeywordRules {
    /// Stop words (a fast, non-cryptographic hash: the keys are the pipeline's own words).
    stopwords: FxHashSet<String>,
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
    if is_plain_han(c) {
        // The main CJK block is all letters (checked in a test); skip the table lookup.
        !matches!(
            c,
            '零' | '一'
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
        // `〇` (U+3007) lies outside the main block and is alphabetic, but a numeral.
        c.is_alphabetic() && c != 'X' && c != '〇'
    }
}

/// The number of characters of `word` when all of them lie in the main CJK block
/// (U+4E00–U+9FFF, most words), told from the UTF-8 bytes alone: three bytes each, lead byte
/// 0xE5–0xE9, or 0xE4 followed by 0xB8 or more. `None` otherwise.
fn main_han_chars(word: &str) -> Option<usize> {
    let bytes = word.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(3) {
        return None;
    }
    let all_han = bytes.chunks_exact(3).all(|c| match c {
        [0xE5..=0xE9, _, _] => true,
        [0xE4, b, _] => *b >= 0xB8,
        _ => false,
    });
    all_han.then_some(bytes.len() / 3)
}

/// A word of at most 15 bytes as one integer: its bytes, zero-padded, then its length in the
/// last byte (so words differing only by trailing NUL bytes differ too). `None` for a longer
/// word.
fn short_key(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    let mut key = [0u8; 16];
    let (head, len) = key.split_at_mut(15);
    head.get_mut(..bytes.len())?.copy_from_slice(bytes);
    *len.first_mut()? = u8::try_from(bytes.len()).ok()?;
    Some(u128::from_be_bytes(key))
}

/// Sort key of a candidate: count (descending), then the word's first 16 bytes (big-endian,
/// zero-padded), then the whole word. UTF-8 bytes order like `str`, and a zero pad sorts
/// before any byte but NUL (where the whole word decides), so this is exactly the order
/// "count descending, then word" at the price of integer comparisons for almost every pair.
type CandidateKey<'w> = (Reverse<u32>, u128, &'w str);

fn candidate_key(word: &str, count: u32) -> CandidateKey<'_> {
    let mut prefix = [0u8; 16];
    let n = word.len().min(prefix.len());
    if let (Some(slot), Some(bytes)) = (prefix.get_mut(..n), word.as_bytes().get(..n)) {
        slot.copy_from_slice(bytes);
    }
    (Reverse(count), u128::from_be_bytes(prefix), word)
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
        self.word_qualifies(t.word.as_str())
    }

    /// Whether a word may be a keyword by its characters: at least `min_chars` of them, a
    /// letter among them (see [`is_word_letter`]), no whitespace or control character.
    fn word_qualifies(&self, word: &str) -> bool {
        if let Some(n) = main_han_chars(word) {
            // Only main-block Han: no whitespace or control; a letter unless all numerals.
            return n >= self.min_chars && word.chars().any(is_word_letter);
        }
        let mut n = 0usize;
        let mut has_letter = false;
        for c in word.chars() {
            n += 1;
            if !is_plain_han(c) && (c.is_whitespace() || c.is_control()) {
                return false;
            }
            has_letter = has_letter || is_word_letter(c);
        }
        n >= self.min_chars && has_letter
    }

    /// Candidate words with counts: the `max_candidates` most frequent, sorted by count
    /// (descending) then word.
    pub(crate) fn term_counts(&self, tokens: &[Token]) -> Vec<(String, u32)> {
        // Words of at most 15 bytes (almost all) are counted under a one-integer key, so
        // hashing and comparing keys take a few instructions; longer words under their text.
        let mut short: FxHashMap<u128, (u32, &str)> =
            FxHashMap::with_capacity_and_hasher(tokens.len() / 8, Default::default());
        let mut long: FxHashMap<&str, u32> = FxHashMap::default();
        for t in tokens {
            if self.is_candidate(t) {
                let word = t.word.as_str();
                match short_key(word) {
                    Some(key) => short.entry(key).or_insert((0, word)).0 += 1,
                    None => *long.entry(word).or_default() += 1,
                }
            }
        }
        // Stop words are dropped once per distinct word rather than looked up per token.
        let mut v: Vec<CandidateKey<'_>> = Vec::with_capacity(short.len() + long.len());
        v.extend(
            short
                .into_values()
                .map(|(c, w)| (w, c))
                .chain(long)
                .filter(|(w, _)| !self.stopwords.contains(*w))
                .map(|(w, c)| candidate_key(w, c)),
        );
        // Words are distinct, so the order is total and the result deterministic: pick the
        // `max_candidates` first, then sort only those.
        if v.len() > self.max_candidates && self.max_candidates > 0 {
            v.select_nth_unstable(self.max_candidates - 1);
        }
        v.truncate(self.max_candidates);
        v.sort_unstable();
        v.into_iter()
            .map(|(Reverse(c), _, w)| (w.to_string(), c))
            .collect()
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
            if is_plain_han(c) {
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
    fn candidate_keys_order_by_count_then_word() {
        let words = [
            "",
            "a",
            "ab",
            "a\u{0}",
            "a\u{0}b",
            "abcdefghijklmnop",
            "abcdefghijklmnopq",
            "abcdefghijklmnopa",
            "abcdefghijklmno\u{0}",
            "中国",
            "中",
            "中国人民",
            "中国人民银行总行",
            "中国人民银行分行",
            "Z",
            "zz",
            "é",
            "\u{FFFF}",
            "\u{10000}",
        ];
        let mut pairs: Vec<(&str, u32)> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            pairs.push((w, 1 + (i % 3) as u32));
        }
        let mut by_rule = pairs.clone();
        by_rule.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut by_key: Vec<CandidateKey<'_>> =
            pairs.iter().map(|&(w, c)| candidate_key(w, c)).collect();
        by_key.sort_unstable();
        let by_key: Vec<(&str, u32)> = by_key.into_iter().map(|(c, _, w)| (w, c.0)).collect();
        assert_eq!(by_key, by_rule);
    }

    #[test]
    fn a_word_seen_with_an_excluded_tag_still_counts_with_an_allowed_one() {
        let rules = KeywordRules::new(vec!["我们".into()], 2, 200, vec!["x".into()]);
        let tokens = vec![
            tok("发展", "x"),
            tok("发展", "vn"),
            tok("我们", "r"),
            tok("我们", "r"),
            tok("发展", "v"),
            tok("三万", "m"),
            tok("三万", "n"),
        ];
        assert_eq!(rules.term_counts(&tokens), vec![("发展".to_string(), 2)]);
    }

    proptest::proptest! {
        #[test]
        fn word_test_agrees_with_the_character_rule(
            word in "[一二十百中国人民发展零〇X a1\t\u{3000}\u{4DFF}\u{4E00}\u{9FFF}\u{A000}é𠀀]{0,6}",
            min_chars in 1usize..4,
        ) {
            let rules = KeywordRules::new(vec![], min_chars, 200, vec![]);
            let n = word.chars().count();
            let ok = word.chars().all(|c| !(c.is_whitespace() || c.is_control()))
                && word.chars().any(is_word_letter)
                && n >= min_chars;
            proptest::prop_assert_eq!(rules.word_qualifies(&word), ok);
            let all_han = !word.is_empty()
                && word.chars().all(is_plain_han);
            proptest::prop_assert_eq!(main_han_chars(&word), all_han.then_some(n));
        }
    }

    #[test]
    fn short_keys_are_distinct_for_distinct_words() {
        let words = [
            "",
            "a",
            "a\u{0}",
            "a\u{0}\u{0}",
            "\u{0}",
            "ab",
            "中国",
            "中国人",
            "123456789012345",
        ];
        let keys: Vec<Option<u128>> = words.iter().map(|w| short_key(w)).collect();
        for (i, a) in keys.iter().enumerate() {
            assert!(a.is_some(), "{:?}", words.get(i));
            for b in keys.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
        assert_eq!(short_key("1234567890123456"), None);
        assert_eq!(short_key("中国人民共和国"), None);
    }

    #[test]
    fn long_and_short_words_are_counted_alike() {
        let rules = KeywordRules::new(vec![], 2, 200, vec![]);
        let tokens = vec![
            tok("中华人民共和国", "ns"),
            tok("中国", "ns"),
            tok("中华人民共和国", "ns"),
            tok("中国", "ns"),
            tok("中国", "ns"),
            tok("全国人民代表大会", "nt"),
        ];
        assert_eq!(
            rules.term_counts(&tokens),
            vec![
                ("中国".to_string(), 3),
                ("中华人民共和国".to_string(), 2),
                ("全国人民代表大会".to_string(), 1)
            ]
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
