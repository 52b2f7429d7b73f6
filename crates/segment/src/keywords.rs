//! Keyword candidates per document and TF-IDF ranking over a run.

use std::collections::HashMap;

use gongwen_model::{Keyword, Token};
use rustc_hash::{FxHashMap, FxHashSet};

use crate::sentences::is_plain_han;

/// What may be a keyword.
#[derive(Debug, Clone)]
pub(crate) struct KeywordRules {
    /// Stop words of at most 15 bytes, by [`short_key`] (the key words are counted under,
    /// so a candidate is checked without hashing its text).
    short_stopwords: FxHashSet<u128>,
    /// Longer stop words (a fast, non-cryptographic hash: the keys are the pipeline's own
    /// words).
    long_stopwords: FxHashSet<String>,
    min_chars: usize,
    max_candidates: usize,
    excluded_pos: Vec<String>,
    /// The excluded-POS rule decided in advance for every tag of one or two lowercase ASCII
    /// letters (all of jieba's tags), indexed by [`short_tag_index`].
    excluded_short: Vec<bool>,
}

/// Letters of a short tag: `a`–`z`, plus 0 for "no second letter".
pub(crate) const TAG_LETTERS: usize = 27;

/// Index of a tag of one or two lowercase ASCII letters in a table of `TAG_LETTERS²` entries;
/// `None` for any other tag.
pub(crate) fn short_tag_index(pos: &str) -> Option<usize> {
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
#[cfg(test)]
fn main_han_chars(word: &str) -> Option<usize> {
    main_han_letters(word.as_bytes()).map(|(n, _)| n)
}

/// [`main_han_chars`] and, in the same walk over the bytes, whether one of the characters is
/// a word letter (see [`is_word_letter`]): each three-byte character is decoded in place.
/// `bytes` must be a whole word's UTF-8 (the continuation bytes are not checked).
fn main_han_letters(bytes: &[u8]) -> Option<(usize, bool)> {
    if bytes.is_empty() || !bytes.len().is_multiple_of(3) {
        return None;
    }
    let mut has_letter = false;
    for c in bytes.chunks_exact(3) {
        let [lead, b1, b2] = *c else { return None };
        let han = match lead {
            0xE5..=0xE9 => true,
            0xE4 => b1 >= 0xB8,
            _ => false,
        };
        if !han {
            return None;
        }
        if !has_letter {
            let code =
                (u32::from(lead & 0x0F) << 12) | (u32::from(b1 & 0x3F) << 6) | u32::from(b2 & 0x3F);
            has_letter = char::from_u32(code).is_some_and(is_word_letter);
        }
    }
    Some((bytes.len() / 3, has_letter))
}

/// Up to 8 bytes as a big-endian integer, zero-padded on the right (`[1, 2]` →
/// `0x0102_0000_0000_0000`), read with at most three loads whatever the length (overlapping
/// reads of the same bytes, combined with `|`), instead of a byte copy into a buffer that is
/// then read back whole (which stalls the processor's store forwarding).
#[inline(always)]
fn be_padded(s: &[u8]) -> u64 {
    let n = s.len();
    let u32_at = |at: usize| {
        s.get(at..at + 4)
            .and_then(|w| <[u8; 4]>::try_from(w).ok())
            .map_or(0, u32::from_be_bytes)
    };
    let byte_at = |at: usize| u64::from(s.get(at).copied().unwrap_or(0));
    match n {
        0 => 0,
        1..=3 => {
            // Byte `k` goes to bits 56 − 8k.
            let (mid, last) = (n / 2, n - 1);
            (byte_at(0) << 56)
                | (byte_at(mid) << (56 - 8 * mid))
                | (byte_at(last) << (56 - 8 * last))
        }
        4..=8 => (u64::from(u32_at(0)) << 32) | (u64::from(u32_at(n - 4)) << (8 * (8 - n))),
        _ => s
            .get(..8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map_or(0, u64::from_be_bytes),
    }
}

/// A word of at most 15 bytes as one integer: its bytes, zero-padded, then its length in the
/// last byte (so words differing only by trailing NUL bytes differ too). `None` for a longer
/// word. (Built from two [`be_padded`] halves; equal to the big-endian reading of that
/// 16-byte buffer.) Inlined, so the key stays in registers rather than being returned
/// through memory.
#[inline(always)]
fn short_key(word: &str) -> Option<u128> {
    let bytes = word.as_bytes();
    let n = bytes.len();
    if n > 15 {
        return None;
    }
    let head = be_padded(bytes.get(..n.min(8))?);
    let tail = be_padded(bytes.get(n.min(8)..)?);
    // `tail` holds at most 7 bytes, so its last byte is free for the length.
    Some((u128::from(head) << 64) | u128::from(tail) | n as u128)
}

/// Sort key of a candidate: one integer holding the count (descending: `u32::MAX - count`
/// in the top 32 bits) and the word's first 12 bytes (big-endian, zero-padded, in the low
/// 96 bits), then the whole word. UTF-8 bytes order like `str`, and a zero pad sorts before
/// any byte but NUL (where the whole word decides), so this is exactly the order "count
/// descending, then word" at the price of one integer comparison for almost every pair;
/// and a key of 32 bytes (not 48 with the count apart) is cheaper to move while sorting.
type CandidateKey<'w> = (u128, &'w str);

/// The count part of a [`CandidateKey`].
fn count_part(count: u32) -> u128 {
    u128::from(u32::MAX - count) << 96
}

/// The count of a [`CandidateKey`].
fn candidate_count(key: &CandidateKey<'_>) -> u32 {
    // The top 32 bits: the cast keeps exactly them.
    u32::MAX - (key.0 >> 96) as u32
}

/// [`candidate_key`] of a word counted under its [`short_key`]: the first 12 bytes are the
/// top 12 bytes of the key (a word of fewer bytes is zero-padded there too).
fn short_candidate_key(key: u128, word: &str, count: u32) -> CandidateKey<'_> {
    (count_part(count) | key >> 32, word)
}

fn candidate_key(word: &str, count: u32) -> CandidateKey<'_> {
    let mut prefix = [0u8; 16];
    let n = word.len().min(12);
    if let (Some(slot), Some(bytes)) = (prefix.get_mut(..n), word.as_bytes().get(..n)) {
        slot.copy_from_slice(bytes);
    }
    (count_part(count) | u128::from_be_bytes(prefix) >> 32, word)
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
        let (mut short_stopwords, mut long_stopwords) =
            (FxHashSet::default(), FxHashSet::default());
        for w in stopwords {
            match short_key(&w) {
                Some(key) => {
                    short_stopwords.insert(key);
                }
                None => {
                    long_stopwords.insert(w);
                }
            }
        }
        KeywordRules {
            short_stopwords,
            long_stopwords,
            min_chars,
            max_candidates,
            excluded_pos,
            excluded_short,
        }
    }

    /// Whether `word` is a stop word.
    fn is_stopword(&self, word: &str) -> bool {
        match short_key(word) {
            Some(key) => self.short_stopwords.contains(&key),
            None => self.long_stopwords.contains(word),
        }
    }

    /// Whether tokens tagged `pos` are left out (prefix match against `excluded_pos`).
    fn pos_excluded(&self, pos: &str) -> bool {
        self.pos_excluded_at(pos, short_tag_index(pos))
    }

    /// [`KeywordRules::pos_excluded`] given the tag's [`short_tag_index`], `tag_index`.
    #[inline(always)]
    fn pos_excluded_at(&self, pos: &str, tag_index: Option<usize>) -> bool {
        match tag_index.and_then(|i| self.excluded_short.get(i)) {
            Some(&excluded) => excluded,
            None => self
                .excluded_pos
                .iter()
                .any(|p| pos.starts_with(p.as_str())),
        }
    }

    /// Whether a word may be a keyword by its characters: at least `min_chars` of them, a
    /// letter among them (see [`is_word_letter`]), no whitespace or control character.
    fn word_qualifies(&self, word: &str) -> bool {
        if let Some((n, has_letter)) = main_han_letters(word.as_bytes()) {
            // Only main-block Han: no whitespace or control; a letter unless all numerals.
            return n >= self.min_chars && has_letter;
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
        let mut counter = TermCounter::new(self, tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            // The word's own test is made once per distinct word, in `finish`.
            if !self.pos_excluded(t.pos.as_str()) {
                counter.count(i, t.word.as_str());
            }
        }
        counter.finish(tokens)
    }
}

/// The keyword candidates of one document being counted, token row by token row: either
/// over finished rows ([`KeywordRules::term_counts`]) or while segment builds them
/// ([`TermCounter::see`], which gets the row's tag index and length in characters for free,
/// so most rows are turned down with two loads and no look at the word).
pub(crate) struct TermCounter<'r> {
    rules: &'r KeywordRules,
    /// Words of at most 15 bytes (almost all), counted under a one-integer key ([`short_key`]),
    /// so hashing and comparing keys take a few instructions, with the count and the row of a
    /// token with the word (a small entry: less memory to touch).
    short: FxHashMap<u128, (u32, u32)>,
    /// Rows of the longer candidates (rare), counted under their text at the end.
    long: Vec<usize>,
}

impl<'r> TermCounter<'r> {
    /// A counter for a document of about `n_tokens` tokens.
    pub(crate) fn new(rules: &'r KeywordRules, n_tokens: usize) -> Self {
        TermCounter {
            rules,
            short: FxHashMap::with_capacity_and_hasher(n_tokens / 8, Default::default()),
            long: Vec::new(),
        }
    }

    /// Counts the token of row `row`, `word`, whose tag is not excluded. Whether the word
    /// itself may be a keyword (its characters, [`KeywordRules::word_qualifies`], and stop
    /// words) depends on the word alone, so it is decided once per distinct word in
    /// [`TermCounter::finish`] rather than per token.
    #[inline(always)]
    fn count(&mut self, row: usize, word: &str) {
        // (A row past 4 billion counts under its text.)
        match short_key(word).zip(u32::try_from(row).ok()) {
            Some((key, row)) => self.short.entry(key).or_insert((0, row)).0 += 1,
            None => self.long.push(row),
        }
    }

    /// Counts row `row` (word `word`, `n_chars` characters, tag `tag` whose
    /// [`short_tag_index`] is `tag_index`) if it is a candidate: the same rule as
    /// [`KeywordRules::term_counts`], given that `n_chars` is the number of characters of
    /// `word` (a token's span length).
    #[inline(always)]
    pub(crate) fn see(
        &mut self,
        row: usize,
        word: &str,
        n_chars: usize,
        tag: &str,
        tag_index: Option<usize>,
    ) {
        let rules = self.rules;
        if n_chars < rules.min_chars {
            return;
        }
        if !rules.pos_excluded_at(tag, tag_index) {
            self.count(row, word);
        }
    }

    /// The `max_candidates` most frequent candidates that are not stop words, sorted by
    /// count (descending) then word; `tokens` are the rows counted.
    pub(crate) fn finish(mut self, tokens: &[Token]) -> Vec<(String, u32)> {
        let rules = self.rules;
        let mut long: FxHashMap<&str, u32> = FxHashMap::default();
        for &row in &self.long {
            if let Some(t) = tokens.get(row) {
                *long.entry(t.word.as_str()).or_default() += 1;
            }
        }
        // Stop words are dropped once per distinct word rather than looked up per token (a
        // count of 0 marks them).
        for (key, (count, _)) in self.short.iter_mut() {
            if rules.short_stopwords.contains(key) {
                *count = 0;
            }
        }
        long.retain(|w, _| !rules.is_stopword(w));
        // Only words counted at least `floor` times can be among the `max_candidates` first
        // (at least that many words have `floor` or more), so only those are ranked.
        let mut tally = tally_counts(&self.short, &long);
        let mut floor = count_floor(&tally, rules.max_candidates);
        // Words that cannot be keywords by their characters (`word_qualifies`) are dropped
        // too (count 0), also once per distinct word, and first only among those counted
        // `floor` times or more: when at least `max_candidates` of these pass, the first
        // `max_candidates` candidates are among them, and the other words need no test.
        let short_ok = |key: &u128| short_key_qualifies(rules, *key);
        let above = floor..=u32::MAX;
        let mut passed = drop_unqualified(&mut self.short, above.clone(), short_ok, |c| &mut c.0);
        passed += drop_unqualified(&mut long, above, |w| rules.word_qualifies(w), |c| c);
        if passed < rules.max_candidates {
            // Too few: every word counts, tested and tallied again.
            let below = 1..=floor.saturating_sub(1);
            drop_unqualified(&mut self.short, below.clone(), short_ok, |c| &mut c.0);
            drop_unqualified(&mut long, below, |w| rules.word_qualifies(w), |c| c);
            tally = tally_counts(&self.short, &long);
            floor = count_floor(&tally, rules.max_candidates);
        }
        // At most this many words are counted `floor` times or more (the tally was taken
        // before the last words were dropped), so the list is allocated once.
        let at_most: usize = tally.get(floor as usize..).map_or(0, |t| t.iter().sum());
        let mut v: Vec<CandidateKey<'_>> = Vec::with_capacity(at_most);
        v.extend(
            self.short
                .into_iter()
                .filter(|&(_, (count, _))| count >= floor)
                .filter_map(|(key, (count, row))| {
                    let word = tokens.get(row as usize)?.word.as_str();
                    Some(short_candidate_key(key, word, count))
                }),
        );
        v.extend(
            long.into_iter()
                .filter(|&(_, c)| c >= floor)
                .map(|(w, c)| candidate_key(w, c)),
        );
        // Words are distinct, so the order is total and the result deterministic: pick the
        // `max_candidates` first, then sort only those.
        if v.len() > rules.max_candidates && rules.max_candidates > 0 {
            v.select_nth_unstable(rules.max_candidates - 1);
        }
        v.truncate(rules.max_candidates);
        v.sort_unstable();
        v.into_iter()
            .map(|k| (k.1.to_string(), candidate_count(&k)))
            .collect()
    }
}

/// Sets to 0 the count of every word of `counts` counted a number of times in `range` that
/// `qualifies` turns down; returns how many of those words passed. `count` gives a value's
/// count.
fn drop_unqualified<K, V>(
    counts: &mut FxHashMap<K, V>,
    range: std::ops::RangeInclusive<u32>,
    qualifies: impl Fn(&K) -> bool,
    count: impl Fn(&mut V) -> &mut u32,
) -> usize {
    let mut passed = 0;
    for (key, value) in counts.iter_mut() {
        let c = count(value);
        if range.contains(c) {
            if qualifies(key) {
                passed += 1;
            } else {
                *c = 0;
            }
        }
    }
    passed
}

/// [`KeywordRules::word_qualifies`] of the word counted under `key` (a [`short_key`]: the
/// word's bytes are the key's first bytes, its length the last), read from the key itself.
///
/// A word of main-block Han only (most) is told from its bytes, as `word_qualifies` first
/// does, with no UTF-8 validation (the key's bytes are a word's); any other word is checked
/// as a `str`.
fn short_key_qualifies(rules: &KeywordRules, key: u128) -> bool {
    let bytes = key.to_be_bytes();
    let n = (key & 0xFF) as usize;
    let Some(word) = bytes.get(..n) else {
        return false;
    };
    if let Some((chars, has_letter)) = main_han_letters(word) {
        return chars >= rules.min_chars && has_letter;
    }
    std::str::from_utf8(word).is_ok_and(|word| rules.word_qualifies(word))
}

/// Counts tallied one by one below this; larger ones share the last entry.
const COUNT_TALLY: usize = 64;

/// Adds a word counted `count` times (0: a stop word, not tallied) to `tally`.
fn tally_count(tally: &mut [usize; COUNT_TALLY], count: u32) {
    if count > 0 {
        let k = (count as usize).min(COUNT_TALLY - 1);
        if let Some(n) = tally.get_mut(k) {
            *n += 1;
        }
    }
}

/// The tally (see [`tally_count`]) of the counts of a document's short-keyed and other
/// words (a count of 0, a dropped word, is not tallied).
fn tally_counts(
    short: &FxHashMap<u128, (u32, u32)>,
    long: &FxHashMap<&str, u32>,
) -> [usize; COUNT_TALLY] {
    let mut tally = [0usize; COUNT_TALLY];
    for &count in short.values().map(|(count, _)| count).chain(long.values()) {
        tally_count(&mut tally, count);
    }
    tally
}

/// The largest count `c` such that at least `max` words of `tally` are counted `c` times or
/// more (a tally entry standing for "that many or more" for the last one); 1 when there are
/// fewer than `max` words (or `max` is 0): every word then takes part.
fn count_floor(tally: &[usize; COUNT_TALLY], max: usize) -> u32 {
    if max == 0 {
        return 1;
    }
    let mut at_least = 0usize;
    for (count, &n) in tally.iter().enumerate().skip(1).rev() {
        at_least += n;
        if at_least >= max {
            return count as u32;
        }
    }
    1
}

/// TF-IDF ranking: tf = count / total of the document's candidate counts; idf =
/// ln((1 + n_docs) / (1 + df)) + 1 (smoothed, never negative); ties broken by word.
pub(crate) fn rank<S: std::hash::BuildHasher>(
    terms: &[(String, u32)],
    doc_freq: &HashMap<String, u32, S>,
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
    fn long_and_short_stop_words_are_both_left_out() {
        let rules = KeywordRules::new(
            vec![
                "我们".into(),
                "一二三四五六七".into(),
                "中华人民共和国".into(),
            ],
            2,
            200,
            vec![],
        );
        let tokens = vec![
            tok("中华人民共和国", "ns"),
            tok("我们", "r"),
            tok("中华人民", "nz"),
            tok("一二三四五六", "m"),
        ];
        assert_eq!(
            rules.term_counts(&tokens),
            vec![("中华人民".to_string(), 1)]
        );
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
            "abcdefghijkl",
            "abcdefghijkla",
            "abcdefghijkl\u{0}",
            "abcdefghijk\u{0}",
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
        // Every word with every count too: ties of count decided by the word alone.
        for w in words {
            for count in [0, 7, u32::MAX] {
                pairs.push((w, count));
            }
        }
        let mut by_rule = pairs.clone();
        by_rule.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let mut by_key: Vec<CandidateKey<'_>> =
            pairs.iter().map(|&(w, c)| candidate_key(w, c)).collect();
        by_key.sort_unstable();
        let by_key: Vec<(&str, u32)> = by_key.iter().map(|k| (k.1, candidate_count(k))).collect();
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
            proptest::prop_assert_eq!(
                main_han_letters(word.as_bytes()),
                all_han.then_some((n, word.chars().any(is_word_letter)))
            );
        }
    }

    /// The original definition of [`short_key`]: the bytes copied into a zeroed 16-byte
    /// buffer, the length in the last byte, read big-endian.
    fn short_key_by_buffer(word: &str) -> Option<u128> {
        let bytes = word.as_bytes();
        let mut key = [0u8; 16];
        let (head, len) = key.split_at_mut(15);
        head.get_mut(..bytes.len())?.copy_from_slice(bytes);
        *len.first_mut()? = u8::try_from(bytes.len()).ok()?;
        Some(u128::from_be_bytes(key))
    }

    #[test]
    fn short_keys_agree_with_the_buffer_definition_at_every_length() {
        let text = "abcdefghijklmnopq中国人民发展\u{0}\u{FF}é𠀀";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let Some(word) = text.get(start..end) else {
                    continue;
                };
                assert_eq!(short_key(word), short_key_by_buffer(word), "{word:?}");
                if let Some(key) = short_key(word) {
                    assert_eq!(
                        short_candidate_key(key, word, 3),
                        candidate_key(word, 3),
                        "{word:?}"
                    );
                }
            }
        }
        for n in 0..=16usize {
            let word: String = (1..=n).map(|b| char::from(b as u8 + b'@')).collect();
            assert_eq!(short_key(&word), short_key_by_buffer(&word), "{word:?}");
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
    fn only_words_that_can_be_among_the_first_are_ranked() {
        let mut tally = [0usize; COUNT_TALLY];
        for count in [1, 1, 1, 2, 2, 3, 70, 100] {
            tally_count(&mut tally, count);
        }
        tally_count(&mut tally, 0);
        assert_eq!(count_floor(&tally, 1), 63);
        assert_eq!(count_floor(&tally, 2), 63);
        assert_eq!(count_floor(&tally, 3), 3);
        assert_eq!(count_floor(&tally, 4), 2);
        assert_eq!(count_floor(&tally, 5), 2);
        assert_eq!(count_floor(&tally, 6), 1);
        assert_eq!(count_floor(&tally, 100), 1);
        assert_eq!(count_floor(&tally, 0), 1);
    }

    /// Words whose characters rule them out are dropped once per distinct word, whatever
    /// their count and tag, on both ways of counting.
    #[test]
    fn words_without_a_letter_are_no_candidates_however_often_counted() {
        let rules = KeywordRules::new(vec!["我们".into()], 2, 10, vec!["x".into()]);
        let words = [
            ("发展", "vn"),
            ("12", "n"),
            ("发展", "vn"),
            ("１２", "nz"),
            ("十二", "n"),
            ("a b", "eng"),
            ("12", "n"),
            ("我们", "r"),
            ("改革开放以来的发展成就", "n"),
            ("12345678901234567", "n"),
            ("GDP", "eng"),
            ("，，", "x"),
        ];
        let tokens: Vec<Token> = words.iter().map(|&(w, t)| tok(w, t)).collect();
        let expected = vec![
            ("发展".to_string(), 2),
            ("GDP".to_string(), 1),
            ("改革开放以来的发展成就".to_string(), 1),
        ];
        assert_eq!(rules.term_counts(&tokens), expected);
        let mut counter = TermCounter::new(&rules, tokens.len());
        for (row, t) in tokens.iter().enumerate() {
            let tag = t.pos.as_str();
            let n_chars = t.word.chars().count();
            counter.see(row, t.word.as_str(), n_chars, tag, short_tag_index(tag));
        }
        assert_eq!(counter.finish(&tokens), expected);
    }

    proptest::proptest! {
        #[test]
        fn the_word_of_a_short_key_qualifies_like_the_word(
            word in "[甲乙一二十a1 　\\t，X〇\u{3400}]{0,5}",
        ) {
            let rules = KeywordRules::new(vec![], 2, 10, vec![]);
            if let Some(key) = short_key(&word) {
                proptest::prop_assert_eq!(
                    short_key_qualifies(&rules, key),
                    rules.word_qualifies(&word)
                );
            }
        }

        #[test]
        fn capped_candidates_are_the_most_frequent_then_the_first_words(
            picks in proptest::collection::vec(0usize..60, 0..300),
            max in 1usize..40,
        ) {
            // Words of one to three characters (some stop words, some long), counted by a
            // plain sort over all of them.
            // Every fourth word has no letter (digits, or digits and a space, some long), so
            // it is never a candidate, however often counted.
            let words: Vec<String> = (0..60)
                .map(|i| match (i % 4, i % 3) {
                    (3, 0) => format!("{i}{i}"),
                    (3, 1) => format!("{i} {i}"),
                    (3, _) => format!("1234567890123456{i}"),
                    (_, 0) => format!("甲{i}"),
                    (_, 1) => format!("中华人民共和国{i}"),
                    _ => format!("乙乙{i}"),
                })
                .collect();
            let stop = vec![words[0].clone(), words[1].clone()];
            let rules = KeywordRules::new(stop.clone(), 2, max, vec![]);
            let tokens: Vec<Token> = picks.iter().map(|&i| tok(&words[i], "n")).collect();
            let mut all: HashMap<&str, u32> = HashMap::new();
            for &i in &picks {
                if !stop.contains(&words[i]) && i % 4 != 3 {
                    *all.entry(words[i].as_str()).or_default() += 1;
                }
            }
            let mut expected: Vec<(String, u32)> =
                all.into_iter().map(|(w, c)| (w.to_string(), c)).collect();
            expected.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            expected.truncate(max);
            proptest::prop_assert_eq!(rules.term_counts(&tokens), expected.clone());
            let mut counter = TermCounter::new(&rules, tokens.len());
            for (row, t) in tokens.iter().enumerate() {
                let n_chars = t.word.chars().count();
                counter.see(row, t.word.as_str(), n_chars, "n", short_tag_index("n"));
            }
            proptest::prop_assert_eq!(counter.finish(&tokens), expected);
        }
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
