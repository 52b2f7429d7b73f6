//! A trie over characters that finds every occurrence of every listed word in a sentence.
//!
//! The recogniser needs all matches, overlapping ones included, at character offsets. An
//! Aho-Corasick automaton over UTF-8 bytes does this in one pass but takes three steps per
//! Chinese character and converts byte offsets back to characters; walking a character
//! trie from each position is about three times faster on Chinese text. Most positions are
//! ruled out before the walk by one bit test: a hashed bitmap of the first two characters
//! of every pattern (and a tiny one of the one-character patterns), or for a small trie a
//! bitmap of the first characters; the walks that remain
//! find the root's child by rank in a bitmap and the other edges in one hash table.

use rustc_hash::FxHashMap;

/// Node ids are `u32`; `0` is the root, and as a child id it means "no child". Child ids
/// stored in the tables carry `ENDS_PATTERN` when a pattern ends at the child, so a walk
/// reads `pattern` only at such nodes.
type NodeId = u32;

/// The flag of a child id whose node ends a pattern.
const ENDS_PATTERN: NodeId = 1 << 31;

/// The trie: built once from a list of patterns, immutable afterwards.
#[derive(Debug)]
pub(crate) struct CharTrie {
    /// Only read for a small trie, whose walks it filters: a bit for each character
    /// starting a pattern, at its code modulo 1,024 (a fixed array: no bounds check, no
    /// hashing, and nothing to allocate for the small trie of a document's names; a large
    /// trie has an exact bitmap in `root_bmp`).
    first: [u64; SMALL_FIRST_WORDS],
    /// Only for a large trie (see `DENSE_ROOT_PATTERNS`): two bits for each pair of
    /// characters starting a pattern of two or more characters (a blocked Bloom filter).
    /// A position whose pair's bits are not both set (and whose character is not a
    /// one-character pattern) starts no match: the first test of a large trie, whose
    /// first characters are too common for a first-character test to rule much out
    /// (nearly half of the characters of a text start some pattern; about one position
    /// in 14 passes this test). A small trie walks wherever `first` passes (round 9: its
    /// 8 KB would cost more to clear, once per document, than the walks it saves).
    pairs: Option<HashedBits>,
    /// A bit for each one-character pattern, at its code modulo 1,024 (a fixed array: no
    /// bounds check, no hashing).
    singles: [u64; SINGLE_WORDS],
    /// Only for a large trie (see `DENSE_ROOT_PATTERNS`): the root's children for the
    /// characters of the Basic Multilingual Plane, found by rank in an exact bitmap (a few
    /// KB that stay in the cache where a 2^16 table would not, and no hash look-up for the
    /// first step of a walk).
    root_bmp: Option<RootTable>,
    /// A bit for each character on an edge below the root (by its code modulo the number
    /// of bits: 2^14 for a large trie, 2^10 for a small one), so most walks stop without
    /// a look-up in `edges`.
    inner: Vec<u64>,
    /// The number of bits of `inner`, minus one.
    inner_mask: usize,
    /// Every edge (the root's too, unless `root_bmp` has them): (node, character) → child.
    edges: FxHashMap<u64, NodeId>,
    /// For each node: the index of the pattern ending there, plus one (0: none).
    pattern: Vec<u32>,
}

/// A Bloom filter of `2^16` bits (8 KB), blocked: each key sets two bits of one 64-bit
/// word, all three chosen by a multiplicative hash (Fibonacci hashing: the key times a
/// large odd constant; the top ten bits pick the word, two groups of middle bits the
/// bits). A test is one load and one comparison, like a plain bitmap's, but with two bits
/// a key a collision needs both: about a third as many false passes as one bit a key at
/// the same size. A clear bit proves absence; set bits may be collisions.
///
/// The size is fixed (round 9): the word index is the product shifted by a constant and
/// needs no bounds check, and the lexicon's 3,500 pairs fill 8 KB sparsely enough that
/// about 1 % of the positions that start no pattern pass (4 % with the 4 KB a size
/// proportional to the keys gave, which made about a third of the walks false ones).
#[derive(Debug)]
struct HashedBits {
    words: Box<[u64; PAIR_WORDS]>,
}

/// The words of `HashedBits` (2^16 bits).
const PAIR_WORDS: usize = 1024;

/// `64 - log2(PAIR_WORDS)`: the product's top bits are the word.
const PAIR_SHIFT: u32 = 64 - PAIR_WORDS.trailing_zeros();

impl HashedBits {
    /// An empty filter.
    fn new() -> HashedBits {
        HashedBits {
            words: Box::new([0; PAIR_WORDS]),
        }
    }

    /// The word of `key` and the two bits it sets there.
    #[inline]
    fn place(key: u64) -> (usize, u64) {
        let h = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mask = (1u64 << ((h >> 32) & 63)) | (1u64 << ((h >> 38) & 63));
        ((h >> PAIR_SHIFT) as usize % PAIR_WORDS, mask)
    }

    fn insert(&mut self, key: u64) {
        let (i, mask) = HashedBits::place(key);
        if let Some(w) = self.words.get_mut(i) {
            *w |= mask;
        }
    }

    /// False when `key` was surely never inserted.
    #[inline]
    fn may_contain(&self, key: u64) -> bool {
        let (i, mask) = HashedBits::place(key);
        self.words.get(i).is_some_and(|w| w & mask == mask)
    }
}

/// The key of a pair of characters in `CharTrie::pairs`.
#[inline]
fn pair_key(a: char, b: char) -> u64 {
    (u64::from(u32::from(a)) << 21) ^ u64::from(u32::from(b))
}

/// The root's children for characters of the Basic Multilingual Plane, as a rank table
/// over an exact bitmap: the child of character `c` (if its bit is set) is
/// `kids[rank[c / 64] + (bits of word c / 64 below c)]`.
#[derive(Debug)]
struct RootTable {
    /// A bit for each character of the BMP starting a pattern (2^16 bits, 8 KB; a fixed
    /// array: an index `c / 64` of a BMP character needs no bounds check).
    bits: Box<[u64; FIRST_WORDS]>,
    /// For each 64-bit word of the bitmap: how many bits are set in the words before it.
    /// (At most 65,472: `u16` keeps the table at 2 KB.)
    rank: Vec<u16>,
    /// The children, in the order of their characters.
    kids: Vec<NodeId>,
}

/// Tries of more patterns than this get a rank table for the root's children.
const DENSE_ROOT_PATTERNS: usize = 1000;

/// The words of `CharTrie::singles` (2^10 bits).
const SINGLE_WORDS: usize = 16;

/// The words of `RootTable::bits` (2^16 bits).
const FIRST_WORDS: usize = 1024;

/// The words of `CharTrie::first` (2^10 bits).
const SMALL_FIRST_WORDS: usize = 16;

/// The key of the edge from `node` by `c`.
fn edge_key(node: NodeId, c: char) -> u64 {
    (u64::from(node) << 32) | u64::from(u32::from(c))
}

impl CharTrie {
    /// The trie of `patterns` (pattern `i` is reported as `i`; empty patterns never match).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> CharTrie {
        // At most one node (and edge) a character: sized once, no rehashing while built.
        let nodes: usize = patterns.iter().map(|p| p.as_ref().chars().count()).sum();
        let mut edges: FxHashMap<u64, NodeId> =
            FxHashMap::with_capacity_and_hasher(nodes, Default::default());
        let mut pattern: Vec<u32> = Vec::with_capacity(nodes + 1);
        pattern.push(0);
        let mut pair_keys: Vec<u64> = Vec::new();
        let mut single_keys: Vec<u64> = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let p = p.as_ref();
            let mut chars = p.chars();
            match (chars.next(), chars.next()) {
                (None, _) => continue,
                (Some(a), None) => single_keys.push(u64::from(u32::from(a))),
                (Some(a), Some(b)) => pair_keys.push(pair_key(a, b)),
            }
            let mut node: NodeId = 0;
            for c in p.chars() {
                let fresh = pattern.len() as NodeId;
                node = *edges.entry(edge_key(node, c)).or_insert(fresh);
                if node == fresh {
                    pattern.push(0);
                }
            }
            if let Some(slot) = pattern.get_mut(node as usize) {
                *slot = i as u32 + 1;
            }
        }
        pair_keys.sort_unstable();
        pair_keys.dedup();
        let large = patterns.len() > DENSE_ROOT_PATTERNS;
        let pairs = large.then(|| {
            let mut pairs = HashedBits::new();
            for &k in &pair_keys {
                pairs.insert(k);
            }
            pairs
        });
        let mut singles = [0u64; SINGLE_WORDS];
        for &k in &single_keys {
            let bit = k as usize % (SINGLE_WORDS * 64);
            if let Some(w) = singles.get_mut(bit / 64) {
                *w |= 1 << (bit % 64);
            }
        }
        // Flag the children where a pattern ends (edge keys keep the plain ids).
        for child in edges.values_mut() {
            if pattern.get(*child as usize).is_some_and(|&p| p != 0) {
                *child |= ENDS_PATTERN;
            }
        }
        let mut first = [0u64; SMALL_FIRST_WORDS];
        let mut inner = vec![0u64; if large { 256 } else { 16 }];
        for &key in edges.keys() {
            let map = if key >> 32 == 0 {
                &mut first[..]
            } else {
                &mut inner[..]
            };
            let bit = (key as usize & 0xFFFF_FFFF) % (map.len() * 64);
            if let Some(word) = map.get_mut(bit / 64) {
                *word |= 1 << (bit % 64);
            }
        }
        let inner_mask = inner.len() * 64 - 1;
        let mut root_bmp = None;
        if large {
            // The BMP root edges move into the rank table; the others stay in `edges`.
            let mut bmp: Vec<(u32, NodeId)> = Vec::new();
            edges.retain(|&key, &mut child| {
                let c = (key & 0xFFFF_FFFF) as u32;
                if key >> 32 != 0 || c > 0xFFFF {
                    return true;
                }
                bmp.push((c, child));
                false
            });
            bmp.sort_unstable();
            // The bits are exact: characters beyond the BMP (left in `edges`) are not in
            // the table, and nothing aliases a BMP character to shift the ranks.
            let mut bits = Box::new([0u64; FIRST_WORDS]);
            for &(c, _) in &bmp {
                if let Some(word) = bits.get_mut(c as usize / 64) {
                    *word |= 1 << (c % 64);
                }
            }
            let mut below = 0u32;
            let rank = bits
                .iter()
                .map(|w| {
                    let r = below as u16;
                    below += w.count_ones();
                    r
                })
                .collect();
            root_bmp = Some(RootTable {
                bits,
                rank,
                kids: bmp.iter().map(|&(_, child)| child).collect(),
            });
        }
        CharTrie {
            first,
            inner_mask,
            pairs,
            singles,
            root_bmp,
            inner,
            edges,
            pattern,
        }
    }

    /// The child of the root for character `c` (0: none).
    #[inline]
    fn root_child(&self, c: char) -> NodeId {
        let code = c as usize;
        let Some(root) = &self.root_bmp else {
            return self.child(0, c);
        };
        if code > 0xFFFF {
            return self.child(0, c);
        }
        // A large trie and a BMP character: by rank in the bitmap.
        let Some(&word) = root.bits.get(code / 64) else {
            return 0;
        };
        let bit = 1u64 << (code % 64);
        if word & bit == 0 {
            return 0;
        }
        let below = (word & (bit - 1)).count_ones();
        let at = root
            .rank
            .get(code / 64)
            .map_or(0, |&r| u32::from(r) + below);
        root.kids.get(at as usize).copied().unwrap_or(0)
    }

    /// The child of `node` (not the root) for character `c` (0: none): a test in `inner`,
    /// then the edge table.
    #[inline]
    fn inner_child(&self, node: NodeId, c: char) -> NodeId {
        let bit = c as usize & self.inner_mask;
        if self
            .inner
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) == 0)
        {
            return 0;
        }
        self.child(node, c)
    }

    /// The child of `node` for character `c` (0: none), from the edge table.
    fn child(&self, node: NodeId, c: char) -> NodeId {
        self.edges
            .get(&edge_key(node & !ENDS_PATTERN, c))
            .copied()
            .unwrap_or(0)
    }

    /// The pattern ending at `node` (a child id as the tables store it), if any.
    #[inline]
    fn pattern_at(&self, node: NodeId) -> Option<usize> {
        if node & ENDS_PATTERN == 0 {
            return None;
        }
        match self.pattern.get((node & !ENDS_PATTERN) as usize) {
            Some(&p) if p != 0 => Some(p as usize - 1),
            _ => None,
        }
    }

    /// False when `c` is surely not a one-character pattern.
    #[inline]
    fn may_be_single(&self, c: char) -> bool {
        let bit = c as usize % (SINGLE_WORDS * 64);
        let word = self.singles.get(bit / 64).copied().unwrap_or(0);
        (word >> (bit % 64)) & 1 != 0
    }

    /// Calls `found(start, end, pattern)` for every occurrence of every pattern in `chars`
    /// (character offsets, `end` exclusive), overlapping ones included, in order of start
    /// and then end.
    pub fn for_each_match(&self, chars: &[char], mut found: impl FnMut(usize, usize, usize)) {
        // The loop every character goes through is kept to one or two bit tests;
        // everything else happens in `walk_from`.
        if let Some(pairs) = &self.pairs {
            // A large trie: nearly half of the characters of a text start some pattern,
            // so the first test would pass too often; the pair test comes first (about
            // one position in 14 passes it), then the test for one-character patterns.
            // Pairs of neighbours (`windows` needs no bounds check for the second one).
            for (start, pair) in chars.windows(2).enumerate() {
                let &[c, next] = pair else { continue };
                if pairs.may_contain(pair_key(c, next)) || self.may_be_single(c) {
                    self.walk_from(chars, start, c, &mut found);
                }
            }
            // The last character can only be a one-character pattern.
            if let Some((&c, head)) = chars.split_last() {
                if self.may_be_single(c) {
                    self.walk_from(chars, head.len(), c, &mut found);
                }
            }
            return;
        }
        // A small trie: few characters start a pattern, the first test rules out most.
        let first: &[u64; SMALL_FIRST_WORDS] = &self.first;
        for (start, &c) in chars.iter().enumerate() {
            let bit = c as usize % (SMALL_FIRST_WORDS * 64);
            let word = first.get(bit / 64).copied().unwrap_or(0);
            if (word >> (bit & 63)) & 1 != 0 {
                self.walk_from(chars, start, c, &mut found);
            }
        }
    }

    /// The walk down the trie from position `start` (whose character `c`, with the next
    /// one for a large trie, passed the tests), reporting each pattern ending on the way.
    #[inline(always)]
    fn walk_from(
        &self,
        chars: &[char],
        start: usize,
        c: char,
        found: &mut impl FnMut(usize, usize, usize),
    ) {
        let rest = chars.get(start + 1..).unwrap_or(&[]);
        let mut node = self.root_child(c);
        if node == 0 {
            return;
        }
        // Walk down the trie from `start` while the characters follow an edge.
        if let Some(p) = self.pattern_at(node) {
            found(start, start + 1, p);
        }
        for (end, &c) in (start + 2..).zip(rest) {
            node = self.inner_child(node, c);
            if node == 0 {
                break;
            }
            if let Some(p) = self.pattern_at(node) {
                found(start, end, p);
            }
        }
    }
}

/// Keeps, of `found` (matches as (start, end, pattern)), the ones a standard non-overlapping
/// Aho-Corasick search would report: the match ending first (the longest of those ending
/// there), then the first one starting at or after its end, and so on. `found` ends up in
/// text order.
pub(crate) fn keep_standard_matches(found: &mut Vec<(usize, usize, usize)>) {
    found.sort_unstable_by_key(|&(start, end, _)| (end, start));
    let mut free_from = 0;
    found.retain(|&(start, end, _)| {
        if start < free_from {
            return false;
        }
        free_from = end;
        true
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(patterns: &[&str], text: &str) -> Vec<(usize, usize, usize)> {
        let patterns: Vec<String> = patterns.iter().map(|p| p.to_string()).collect();
        let trie = CharTrie::new(&patterns);
        let mut out = Vec::new();
        trie.for_each_match(&text.chars().collect::<Vec<_>>(), |s, e, p| {
            out.push((s, e, p))
        });
        out
    }

    #[test]
    fn finds_overlapping_matches_at_char_offsets() {
        // 甲乙市 contains 甲乙 and 乙市; 市 alone is a pattern too.
        let m = matches(&["甲乙", "甲乙市", "乙市", "市", ""], "a甲乙市b市");
        assert_eq!(
            m,
            vec![(1, 3, 0), (1, 4, 1), (2, 4, 2), (3, 4, 3), (5, 6, 3)]
        );
    }

    #[test]
    fn characters_beyond_the_bmp_and_many_edges() {
        // Many children under one node, and a supplementary-plane ideograph.
        let pats = [
            "𠀀甲", "子丑", "子寅", "子卯", "子辰", "子巳", "子午", "子未", "子申", "子酉", "子戌",
            "子亥",
        ];
        let m = matches(&pats, "𠀀甲子亥子丑");
        assert_eq!(m, vec![(0, 2, 0), (2, 4, 11), (4, 6, 1)]);
        assert!(matches(&pats, "").is_empty());
    }

    proptest::proptest! {
        /// The trie finds what an overlapping Aho-Corasick search finds, and
        /// `keep_standard_matches` keeps what a standard non-overlapping search reports.
        #[test]
        fn same_matches_as_aho_corasick(
            pats in proptest::collection::vec("[甲乙丙a]{1,3}", 1..8),
            text in "[甲乙丙ab]{0,24}",
        ) {
            let mut pats = pats;
            pats.sort();
            pats.dedup();
            let trie = CharTrie::new(&pats);
            let char_at = |b: usize| text.get(..b).map_or(0, |p| p.chars().count());
            let mut ours = Vec::new();
            trie.for_each_match(&text.chars().collect::<Vec<_>>(), |s, e, p| ours.push((s, e, p)));
            let ac = aho_corasick::AhoCorasick::new(&pats).expect("builds");
            let mut theirs: Vec<(usize, usize, usize)> = ac
                .find_overlapping_iter(&text)
                .map(|m| (char_at(m.start()), char_at(m.end()), m.pattern().as_usize()))
                .collect();
            let mut all = ours.clone();
            all.sort_unstable();
            theirs.sort_unstable();
            proptest::prop_assert_eq!(&all, &theirs);
            keep_standard_matches(&mut ours);
            let standard: Vec<(usize, usize, usize)> = ac
                .find_iter(&text)
                .map(|m| (char_at(m.start()), char_at(m.end()), m.pattern().as_usize()))
                .collect();
            proptest::prop_assert_eq!(ours, standard);
        }
    }

    proptest::proptest! {
        /// A large trie (root children in the rank table) finds what a small one finds,
        /// characters beyond the BMP included.
        #[test]
        fn rank_table_matches_like_edge_table(
            pats in proptest::collection::vec("[甲乙丙a𠀀]{1,3}", 1..8),
            text in "[甲乙丙ab𠀀丁]{0,24}",
        ) {
            let small = CharTrie::new(&pats);
            let mut big_pats = pats.clone();
            // Fillers over other characters, enough to make the trie large.
            big_pats.extend(
                (0..1100u32)
                    .filter_map(|i| char::from_u32(0x5000 + i))
                    .map(|c| format!("{c}丁")),
            );
            let big = CharTrie::new(&big_pats);
            let mut a = Vec::new();
            let chars: Vec<char> = text.chars().collect();
            small.for_each_match(&chars, |s, e, p| a.push((s, e, p)));
            let mut b = Vec::new();
            big.for_each_match(&chars, |s, e, p| b.push((s, e, p)));
            proptest::prop_assert_eq!(a, b);
        }
    }

    #[test]
    fn large_trie_edges_of_the_root_table() {
        // A large trie: U+FFFF in the text finds nothing (its bit in the root table is clear),
        // a pattern starting beyond the BMP is found through the edge table, and
        // one-character patterns are found at the end of the text and before a character
        // no pair starts with.
        let mut pats: Vec<String> = (0..1100u32)
            .filter_map(|i| char::from_u32(0x5000 + i))
            .map(|c| format!("{c}丁"))
            .collect();
        pats.extend(["\u{FFFE}丁", "𠀀丙", "市"].map(String::from));
        let trie = CharTrie::new(&pats);
        let mut out = Vec::new();
        let text: Vec<char> = "\u{FFFF}丁𠀀丙市\u{FFFE}丁市a市".chars().collect();
        trie.for_each_match(&text, |s, e, p| out.push((s, e, p)));
        assert_eq!(
            out,
            vec![
                (2, 4, 1101),
                (4, 5, 1102),
                (5, 7, 1100),
                (7, 8, 1102),
                (9, 10, 1102)
            ]
        );
    }

    #[test]
    fn large_tries_match_like_small_ones() {
        // Over DENSE_ROOT_PATTERNS patterns: the root's children sit in a table.
        let mut pats: Vec<String> = (0..1200u32)
            .filter_map(|i| char::from_u32(0x4E00 + i))
            .map(|c| format!("{c}乙"))
            .collect();
        pats.push("𠀀".to_string());
        let trie = CharTrie::new(&pats);
        let mut out = Vec::new();
        let text: Vec<char> = "一乙丁𠀀".chars().collect();
        trie.for_each_match(&text, |s, e, p| out.push((s, e, p)));
        assert_eq!(out, vec![(0, 2, 0), (3, 4, 1200)]);
    }
}
