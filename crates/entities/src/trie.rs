//! A trie over characters that finds every occurrence of every listed word in a sentence.
//!
//! The recogniser needs all matches, overlapping ones included, at character offsets. An
//! Aho-Corasick automaton over UTF-8 bytes does this in one pass but takes three steps per
//! Chinese character and converts byte offsets back to characters; walking a character
//! trie from each position is about three times faster on Chinese text: most positions end
//! after one look-up in a table indexed by the character (no listed word starts with it),
//! and the others after one or two more steps (edges are in one hash table).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Node ids are `u32`; `0` is the root, and as a child id it means "no child". Child ids
/// stored in the tables carry `ENDS_PATTERN` when a pattern ends at the child, so a walk
/// reads `pattern` only at such nodes.
type NodeId = u32;

/// The flag of a child id whose node ends a pattern.
const ENDS_PATTERN: NodeId = 1 << 31;

/// The trie: built once from a list of patterns, immutable afterwards.
#[derive(Debug)]
pub(crate) struct CharTrie {
    /// A bit for each possible first character (by its code modulo the number of bits: 2^16
    /// for a large trie, 2^10 for a small one), to rule most positions out with one test.
    /// In a large trie, bits of the Basic Multilingual Plane are exact (`root_bmp` below).
    first: Vec<u64>,
    /// Only for a large trie (see `DENSE_ROOT_PATTERNS`): the root's children for the
    /// characters of the Basic Multilingual Plane, in character order, found by rank in
    /// `first` (a few KB that stay in the cache where a 2^16 table would not).
    root_bmp: RootTable,
    /// Like `first`, a bit for each character on an edge below the root (by its code modulo
    /// the number of bits), so most walks stop without a look-up in `edges`.
    inner: Vec<u64>,
    /// Every edge (the root's too, unless `root_bmp` has them): (node, character) → child.
    edges: HashMap<u64, NodeId, BuildHasherDefault<FastHasher>>,
    /// For each node: the index of the pattern ending there, plus one (0: none).
    pattern: Vec<u32>,
}

/// The root's children for characters of the Basic Multilingual Plane, as a rank table
/// over the bitmap `CharTrie::first`: the child of character `c` (if its bit is set) is
/// `kids[rank[c / 64] + (bits of word c / 64 below c)]`.
#[derive(Debug, Default)]
struct RootTable {
    /// For each 64-bit word of the bitmap: how many bits are set in the words before it.
    rank: Vec<u32>,
    /// The children, in the order of their characters.
    kids: Vec<NodeId>,
}

/// Tries of more patterns than this get a table for the root's children (256 KB).
const DENSE_ROOT_PATTERNS: usize = 1000;

/// The key of the edge from `node` by `c`.
fn edge_key(node: NodeId, c: char) -> u64 {
    (u64::from(node) << 32) | u64::from(u32::from(c))
}

/// A multiplicative hash (one multiplication per 8 bytes, as rustc's FxHash) for the
/// recogniser's tables: trie edges and word lists, looked up for every character and
/// token. The keys come from data files and the text; collisions only cost time.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.write_u64(<[u8; 8]>::try_from(chunk).map_or(0, u64::from_le_bytes));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        // The product's high bits depend on every bit of the key; the table indexes by the
        // low ones.
        self.0.rotate_left(26)
    }
}

impl CharTrie {
    /// The trie of `patterns` (pattern `i` is reported as `i`; empty patterns never match).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> CharTrie {
        let mut edges: HashMap<u64, NodeId, BuildHasherDefault<FastHasher>> = HashMap::default();
        let mut pattern: Vec<u32> = vec![0];
        for (i, p) in patterns.iter().enumerate() {
            let p = p.as_ref();
            if p.is_empty() {
                continue;
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
        // Flag the children where a pattern ends (edge keys keep the plain ids).
        for child in edges.values_mut() {
            if pattern.get(*child as usize).is_some_and(|&p| p != 0) {
                *child |= ENDS_PATTERN;
            }
        }
        let large = patterns.len() > DENSE_ROOT_PATTERNS;
        let mut first = vec![0u64; if large { 1024 } else { 16 }];
        let bits = first.len() * 64;
        for &key in edges.keys() {
            if key >> 32 == 0 {
                let bit = (key as usize) % bits;
                if let Some(word) = first.get_mut(bit / 64) {
                    *word |= 1 << (bit % 64);
                }
            }
        }
        let mut inner = vec![0u64; first.len()];
        for &key in edges.keys() {
            if key >> 32 != 0 {
                let bit = (key as usize & 0xFFFF_FFFF) % bits;
                if let Some(word) = inner.get_mut(bit / 64) {
                    *word |= 1 << (bit % 64);
                }
            }
        }
        let mut root_bmp = RootTable::default();
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
            root_bmp.kids = bmp.iter().map(|&(_, child)| child).collect();
            // The bitmap of the BMP edges alone (characters beyond the BMP would alias
            // bits and shift the ranks).
            let mut exact = vec![0u64; 1024];
            for &(c, _) in &bmp {
                if let Some(word) = exact.get_mut(c as usize / 64) {
                    *word |= 1 << (c % 64);
                }
            }
            let mut below = 0u32;
            root_bmp.rank = exact
                .iter()
                .map(|w| {
                    let r = below;
                    below += w.count_ones();
                    r
                })
                .collect();
            first = exact;
        }
        CharTrie {
            root_bmp,
            inner,
            first,
            edges,
            pattern,
        }
    }

    /// The child of the root for character `c` (0: none).
    #[inline]
    fn root_child(&self, c: char) -> NodeId {
        let code = c as usize;
        if code > 0xFFFF || self.root_bmp.rank.is_empty() {
            return self.root_child_by_edge(c);
        }
        // A large trie and a BMP character: by rank in the bitmap.
        let Some(&word) = self.first.get(code / 64) else {
            return 0;
        };
        let bit = 1u64 << (code % 64);
        if word & bit == 0 {
            return 0;
        }
        let below = (word & (bit - 1)).count_ones();
        let at = self.root_bmp.rank.get(code / 64).map_or(0, |&r| r + below);
        self.root_bmp.kids.get(at as usize).copied().unwrap_or(0)
    }

    /// The child of the root for character `c` from the edge table (a small trie, or a
    /// character beyond the BMP), after a test in the bitmap.
    #[inline]
    fn root_child_by_edge(&self, c: char) -> NodeId {
        let code = c as usize;
        if self.root_bmp.rank.is_empty() {
            let bit = code % (self.first.len() * 64);
            if self
                .first
                .get(bit / 64)
                .is_some_and(|w| w & (1 << (bit % 64)) == 0)
            {
                return 0;
            }
        }
        self.child(0, c)
    }

    /// The child of `node` (not the root) for character `c` (0: none): a test in `inner`,
    /// then the edge table.
    #[inline]
    fn inner_child(&self, node: NodeId, c: char) -> NodeId {
        let bit = c as usize % (self.inner.len() * 64);
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

    /// Calls `found(start, end, pattern)` for every occurrence of every pattern in the text
    /// whose characters `chars` gives (character offsets, `end` exclusive), overlapping
    /// ones included, in order of start and then end.
    pub fn for_each_match(
        &self,
        chars: impl Iterator<Item = char> + Clone,
        mut found: impl FnMut(usize, usize, usize),
    ) {
        let mut rest = chars;
        let mut start = 0;
        while let Some(c) = rest.next() {
            let mut node = self.root_child(c);
            if node != 0 {
                // Walk down the trie from `start` while the characters follow an edge.
                if let Some(p) = self.pattern_at(node) {
                    found(start, start + 1, p);
                }
                for (end, c) in (start + 2..).zip(rest.clone()) {
                    node = self.inner_child(node, c);
                    if node == 0 {
                        break;
                    }
                    if let Some(p) = self.pattern_at(node) {
                        found(start, end, p);
                    }
                }
            }
            start += 1;
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
        trie.for_each_match(text.chars(), |s, e, p| out.push((s, e, p)));
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
            trie.for_each_match(text.chars(), |s, e, p| ours.push((s, e, p)));
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
            small.for_each_match(text.chars(), |s, e, p| a.push((s, e, p)));
            let mut b = Vec::new();
            big.for_each_match(text.chars(), |s, e, p| b.push((s, e, p)));
            proptest::prop_assert_eq!(a, b);
        }
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
        trie.for_each_match("一乙丁𠀀".chars(), |s, e, p| out.push((s, e, p)));
        assert_eq!(out, vec![(0, 2, 0), (3, 4, 1200)]);
    }
}
