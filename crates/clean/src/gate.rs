//! A cheap necessary condition for a set of patterns, derived from the patterns themselves.
//!
//! Every match of `(开通|成为)\s*(VIP|vip|会员)` contains `VIP`, `vip` or `会员`: a line without
//! any of them cannot match, whatever the rest of the pattern says. [`LiteralGate`] collects
//! such *required literals* for every pattern of a set (read from the pattern's syntax tree,
//! not written by hand) and finds them in a line by their first two characters (one
//! character for a one-character literal such as `©`). Testing a line is then one bit test
//! per character, independent of each other, where the lazy DFA over the patterns needs a
//! chain of dependent transition lookups per byte: most lines are decided without the DFA.
//! The gate is exact about the literals (a line passes when it contains one), and only ever
//! says "cannot match" or "may match"; the DFA decides every line the gate lets through.
//! [`LiteralFilter`] is the same idea for a single regex with a few literals, searched with
//! `memchr`.

use regex_syntax::hir::{Class, Hir, HirKind};
use rustc_hash::FxHashMap;

use crate::text::{has3, skip_outside, BmpBits, ScanTable};

/// Longest set of literals a concatenation multiplies out (`文档(编号|ID|id)` → 3).
const MAX_LITERALS: usize = 64;
/// Largest character class taken as a set of one-character literals (`[:：]`, and `\d`
/// with its 680 Unicode digits: a pattern whose only required piece is a digit still gets a
/// gate).
const MAX_CLASS_CHARS: u32 = 1024;
/// Bits of the hashed table of literal pairs.
const BITS: u32 = 16;

/// What a piece of a pattern says about the text it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Literals {
    /// The piece matches exactly these strings (a finite language).
    Exact(Vec<String>),
    /// Every match of the piece contains one of these strings.
    Contains(Vec<String>),
}

/// The literals of `hir` (`None`: nothing useful is known).
fn literals(hir: &Hir) -> Option<Literals> {
    match hir.kind() {
        HirKind::Empty => Some(Literals::Exact(vec![String::new()])),
        HirKind::Literal(lit) => std::str::from_utf8(&lit.0)
            .ok()
            .map(|s| Literals::Exact(vec![s.to_string()])),
        HirKind::Class(Class::Unicode(class)) => {
            let size: u32 = class
                .ranges()
                .iter()
                .map(|r| u32::from(r.end()) - u32::from(r.start()) + 1)
                .sum();
            (size <= MAX_CLASS_CHARS).then(|| {
                Literals::Exact(
                    class
                        .iter()
                        .flat_map(|r| r.start()..=r.end())
                        .map(String::from)
                        .collect(),
                )
            })
        }
        HirKind::Class(Class::Bytes(_)) | HirKind::Look(_) => None,
        HirKind::Repetition(rep) => match (rep.min, rep.max, literals(&rep.sub)?) {
            (0, Some(1), Literals::Exact(mut set)) => {
                set.push(String::new());
                Some(Literals::Exact(set))
            }
            (1, Some(1), lits) => Some(lits),
            (1.., _, Literals::Exact(set) | Literals::Contains(set)) => {
                Some(Literals::Contains(set))
            }
            _ => None,
        },
        HirKind::Capture(capture) => literals(&capture.sub),
        HirKind::Alternation(alternatives) => {
            let mut exact = true;
            let mut union = Vec::new();
            for alternative in alternatives {
                match literals(alternative)? {
                    Literals::Exact(set) => union.extend(set),
                    Literals::Contains(set) => {
                        exact = false;
                        union.extend(set);
                    }
                }
            }
            union.sort();
            union.dedup();
            Some(if exact {
                Literals::Exact(union)
            } else {
                Literals::Contains(union)
            })
        }
        HirKind::Concat(parts) => concat_literals(parts),
    }
}

/// A concatenation: runs of exact parts are multiplied out (as long as the product stays
/// small), and the best of the resulting sets — and of the parts' own required sets — is the
/// concatenation's required set.
fn concat_literals(parts: &[Hir]) -> Option<Literals> {
    let mut best: Option<Vec<String>> = None;
    let mut consider = |set: Vec<String>| {
        if better(&set, best.as_deref()) {
            best = Some(set);
        }
    };
    // the product of the current run of exact parts
    let mut run: Option<Vec<String>> = Some(vec![String::new()]);
    let mut all_exact = true;
    for part in parts {
        match literals(part) {
            Some(Literals::Exact(set)) => {
                run = Some(match run.take() {
                    Some(prefixes) if prefixes.len() * set.len() <= MAX_LITERALS => prefixes
                        .iter()
                        .flat_map(|p| set.iter().map(move |s| format!("{p}{s}")))
                        .collect(),
                    Some(prefixes) => {
                        all_exact = false;
                        consider(prefixes);
                        set
                    }
                    None => set,
                });
            }
            Some(Literals::Contains(set)) => {
                all_exact = false;
                if let Some(prefixes) = run.take() {
                    consider(prefixes);
                }
                consider(set);
            }
            None => {
                all_exact = false;
                if let Some(prefixes) = run.take() {
                    consider(prefixes);
                }
            }
        }
    }
    if all_exact {
        return run.map(Literals::Exact);
    }
    if let Some(prefixes) = run {
        consider(prefixes);
    }
    best.map(Literals::Contains)
}

/// True when `set` makes a better gate than `than`: a usable set (see [`usable`]), then the
/// longest shortest literal, then the fewest literals.
fn better(set: &[String], than: Option<&[String]>) -> bool {
    let score = |s: &[String]| {
        let shortest = s.iter().map(|l| l.chars().count()).min().unwrap_or(0);
        (shortest, std::cmp::Reverse(s.len()))
    };
    usable(set) && than.is_none_or(|t| score(set) > score(t))
}

/// A set can gate lines when it is not empty and none of its literals is empty or only white
/// space (`\s` is a class of 25 characters, and almost every line holds one).
fn usable(set: &[String]) -> bool {
    !set.is_empty()
        && set
            .iter()
            .all(|l| !l.is_empty() && !l.chars().all(char::is_whitespace))
}

/// Strings one of which every match of `pattern` contains; `None` when the pattern does not
/// parse or no [`usable`] set is found (then no gate can help).
pub fn required_literals(pattern: &str) -> Option<Vec<String>> {
    required_literals_of(&regex_syntax::Parser::new().parse(pattern).ok()?)
}

/// [`required_literals`] of a parsed pattern.
fn required_literals_of(hir: &Hir) -> Option<Vec<String>> {
    let (Literals::Exact(set) | Literals::Contains(set)) = literals(hir)?;
    usable(&set).then_some(set)
}

/// [`anchored_prefixes_of`] a pattern (for tests).
#[cfg(test)]
pub fn anchored_prefixes(pattern: &str) -> Option<Vec<Vec<u8>>> {
    anchored_prefixes_of(&regex_syntax::Parser::new().parse(pattern).ok()?)
}

/// The strings one of which every match of the pattern `hir` begins with, when the pattern is
/// anchored at the start of the text (`^(返回|下载|中|小…)…`) and they are known (regex-syntax's
/// prefix extractor, which gives up on large classes and long sequences); `None` otherwise,
/// and when one of them is empty. Such a pattern can only match a line that begins with one
/// of them — a far stronger condition than holding one of its literals anywhere (中 and 大 are
/// in most lines, few begin with them).
fn anchored_prefixes_of(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    use regex_syntax::hir::Look;
    if !hir.properties().look_set_prefix().contains(Look::Start) {
        return None;
    }
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    let literals = seq.literals()?;
    if literals.is_empty() || literals.iter().any(|l| l.as_bytes().is_empty()) {
        return None;
    }
    // a prefix that begins with another one adds nothing ("中" covers "中 ")
    let mut prefixes: Vec<Vec<u8>> = literals.iter().map(|l| l.as_bytes().to_vec()).collect();
    prefixes.sort_by_key(Vec::len);
    let mut kept: Vec<Vec<u8>> = Vec::with_capacity(prefixes.len());
    for p in prefixes {
        if !kept.iter().any(|k| p.starts_with(k)) {
            kept.push(p);
        }
    }
    Some(kept)
}

/// The gate of a pattern set: the required literals of every pattern, found by their first
/// two characters (a one-character literal such as `©` by itself); for a pattern anchored at
/// the start of the line, the prefixes every match begins with instead
/// ([`anchored_prefixes_of`]), tested at the line's start only.
///
/// Most characters of a line are rejected by one bit test: `ends` holds the second
/// character of every literal pair and every one-character literal, indexed by the
/// character's code (a 3-byte character is looked up without being decoded). Only a
/// character found there is tested further: one-character literal, or the pair it makes with
/// the character before it, behind a hashed bit table of the pairs, then the literals that
/// begin with the pair are compared with the line.
#[derive(Debug)]
pub struct LiteralGate {
    /// One bit per BMP character that ends a literal pair or is a one-character literal.
    ends: Box<BmpBits>,
    /// `ends` laid out for [`skip_outside`].
    scan: ScanTable,
    /// One bit per [`pair_slot`] of the first two characters of a literal.
    pairs: Vec<u64>,
    /// The literals of two or more characters, by their first two characters.
    literals: FxHashMap<(char, char), Vec<String>>,
    /// One bit per BMP character that is a one-character literal.
    singles: Vec<u64>,
    /// The one-character literals beyond the BMP.
    astral_singles: Vec<char>,
    /// The [`anchored_prefixes_of`] the patterns anchored at the start, by their first byte:
    /// a line that begins with one of them passes.
    anchored: FxHashMap<u8, Vec<Vec<u8>>>,
    /// Whether some pattern is gated by literals anywhere in the line (else the line is not
    /// scanned).
    scanned: bool,
}

impl LiteralGate {
    /// The gate of `patterns`; `None` when some pattern has no required literal (then every
    /// line may match).
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Option<LiteralGate> {
        let mut gate = LiteralGate {
            ends: Box::new([0; 1024]),
            scan: ScanTable::new(&[0; 1024]),
            pairs: vec![0; (1 << BITS) / 64],
            literals: FxHashMap::default(),
            singles: vec![0; 0x10000 / 64],
            astral_singles: Vec::new(),
            anchored: FxHashMap::default(),
            scanned: false,
        };
        for pattern in patterns {
            // (a pattern that does not parse has no gate: `?`)
            let hir = regex_syntax::Parser::new().parse(pattern.as_ref()).ok()?;
            if let Some(prefixes) = anchored_prefixes_of(&hir) {
                for prefix in prefixes {
                    if let Some(&first) = prefix.first() {
                        let with_first = gate.anchored.entry(first).or_default();
                        if !with_first.contains(&prefix) {
                            with_first.push(prefix);
                        }
                    }
                }
                continue;
            }
            gate.scanned = true;
            for literal in required_literals_of(&hir)? {
                let mut chars = literal.chars();
                match (chars.next(), chars.next()) {
                    (Some(a), Some(b)) => {
                        // a character beyond the BMP is always tested further (`may_match`)
                        set_bit(&mut *gate.ends, u32::from(b) as usize);
                        set_bit(&mut gate.pairs, pair_slot(a, b));
                        let with_pair = gate.literals.entry((a, b)).or_default();
                        if !with_pair.contains(&literal) {
                            with_pair.push(literal);
                        }
                    }
                    (Some(a), None) if u32::from(a) > 0xFFFF => gate.astral_singles.push(a),
                    (Some(a), None) => {
                        set_bit(&mut *gate.ends, u32::from(a) as usize);
                        set_bit(&mut gate.singles, u32::from(a) as usize);
                    }
                    _ => return None,
                }
            }
        }
        gate.scan = ScanTable::new(&gate.ends);
        Some(gate)
    }

    /// False when `line` neither begins with an anchored pattern's prefix nor holds a
    /// required literal of another pattern (then no pattern matches it); true otherwise.
    pub fn may_match(&self, line: &str) -> bool {
        let bytes = line.as_bytes();
        let begins_with_prefix = bytes.first().is_some_and(|first| {
            self.anchored
                .get(first)
                .is_some_and(|prefixes| prefixes.iter().any(|p| bytes.starts_with(p)))
        });
        if begins_with_prefix {
            return true;
        }
        if !self.scanned {
            return false;
        }
        let mut i = 0;
        loop {
            // the tight loop over the characters outside `ends`
            i = skip_outside(&self.scan, bytes, i);
            // then one character, whatever it is
            let (end, width) = match bytes.get(i..).unwrap_or(&[]) {
                [] => return false,
                [b0 @ 0xE0..=0xEF, b1, b2, ..] => (has3(&self.ends, *b0, *b1, *b2), 3),
                [b0 @ 0..=0x7F, ..] => (has_bit(&*self.ends, usize::from(*b0)), 1),
                _ => {
                    let Some(c) = line.get(i..).and_then(|t| t.chars().next()) else {
                        return false;
                    };
                    (
                        u32::from(c) > 0xFFFF || has_bit(&*self.ends, u32::from(c) as usize),
                        c.len_utf8(),
                    )
                }
            };
            if end && self.literal_ends_at(line, i) {
                return true;
            }
            i += width;
        }
    }

    /// The characters that end a literal pair or are a one-character literal.
    pub fn ends(&self) -> &BmpBits {
        &self.ends
    }

    /// Whether `c` may end a literal (see [`LiteralGate::literal_ends_at`]): it is in
    /// [`LiteralGate::ends`], or beyond the BMP (always tested).
    pub fn may_end_with(&self, c: char) -> bool {
        u32::from(c) > 0xFFFF || has_bit(&*self.ends, u32::from(c) as usize)
    }

    /// For the character at byte `at` of `line`: true when it is a one-character literal, or
    /// a literal begins with the pair it makes with the character before it.
    pub fn literal_ends_at(&self, line: &str, at: usize) -> bool {
        let (Some(before), Some(after)) = (line.get(..at), line.get(at..)) else {
            return false;
        };
        let Some(c) = after.chars().next() else {
            return false;
        };
        if has_bit(&self.singles, u32::from(c) as usize) || self.astral_singles.contains(&c) {
            return true;
        }
        let Some(a) = before.chars().next_back() else {
            return false;
        };
        let rest = line.get(at - a.len_utf8()..).unwrap_or("");
        has_bit(&self.pairs, pair_slot(a, c))
            && self
                .literals
                .get(&(a, c))
                .is_some_and(|literals| literals.iter().any(|l| rest.starts_with(l.as_str())))
    }
}

/// Most literals a [`LiteralFilter`] searches one by one.
const MAX_FILTER_LITERALS: usize = 8;

/// The gate of a single pattern with few required literals (`来源|稿源|出处`, `记者|通讯员`):
/// each literal is searched with `memchr`'s vectorised substring search, a fraction of an
/// instruction per byte, where the pattern's lazy DFA takes several (and builds its states
/// on first use). Exact like [`LiteralGate`]: a text without any of the literals cannot match.
///
/// Two literals or more are searched at once by a vectorised Teddy searcher
/// (`aho_corasick::packed`), where the CPU has one; one literal (or no Teddy) by `memmem`.
#[derive(Debug, Clone)]
pub struct LiteralFilter {
    finders: Vec<memchr::memmem::Finder<'static>>,
    /// All the literals at once (`None`: one literal, or no Teddy on this CPU).
    searcher: Option<aho_corasick::packed::Searcher>,
}

impl LiteralFilter {
    /// The filter of `pattern`; `None` when it has no required literal, or too many to search
    /// one by one (a class like `\d` is 680 one-character literals).
    pub fn new(pattern: &str) -> Option<LiteralFilter> {
        let literals = required_literals(pattern)?;
        (literals.len() <= MAX_FILTER_LITERALS).then(|| LiteralFilter {
            finders: literals
                .iter()
                .map(|l| memchr::memmem::Finder::new(l.as_bytes()).into_owned())
                .collect(),
            searcher: if literals.len() > 1 {
                aho_corasick::packed::Config::new()
                    .builder()
                    .extend(&literals)
                    .build()
            } else {
                None
            },
        })
    }

    /// False when no required literal occurs in `text` (then the pattern does not match it).
    pub fn may_match(&self, text: &str) -> bool {
        match &self.searcher {
            Some(searcher) => searcher.find(text).is_some(),
            None => self
                .finders
                .iter()
                .any(|f| f.find(text.as_bytes()).is_some()),
        }
    }
}

/// Where the pair (`a`, `b`) falls in [`LiteralGate::pairs`].
fn pair_slot(a: char, b: char) -> usize {
    let h = (u32::from(a).wrapping_mul(0x9E37_79B1) ^ u32::from(b)).wrapping_mul(0x85EB_CA6B);
    (h >> (32 - BITS)) as usize
}

fn set_bit(table: &mut [u64], slot: usize) {
    if let Some(w) = table.get_mut(slot / 64) {
        *w |= 1 << (slot % 64);
    }
}

fn has_bit(table: &[u64], slot: usize) -> bool {
    table
        .get(slot / 64)
        .is_some_and(|w| w & (1 << (slot % 64)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(p: &str) -> Option<Vec<String>> {
        required_literals(p).map(|mut v| {
            v.sort();
            v
        })
    }

    fn strings(v: &[&str]) -> Option<Vec<String>> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        Some(v)
    }

    #[test]
    fn required_literals_come_from_the_syntax_tree() {
        assert_eq!(req("甲乙丙"), strings(&["甲乙丙"]));
        assert_eq!(req("(甲乙|丙丁)\\s*(戊|己庚)"), strings(&["甲乙", "丙丁"]));
        assert_eq!(
            req("(甲乙|丙)\\s*(戊己|庚辛|壬癸)"),
            strings(&["戊己", "庚辛", "壬癸"])
        );
        assert_eq!(req("甲(乙|丙丁)"), strings(&["甲乙", "甲丙丁"]));
        assert_eq!(req("甲乙为?"), strings(&["甲乙", "甲乙为"]));
        assert_eq!(req("甲.{0,3}乙丙.{0,2}丁"), strings(&["乙丙"]));
        assert_eq!(
            req("^[·\\s]*(甲乙|丙丁)(\\s*$|[：:])"),
            strings(&["甲乙", "丙丁"])
        );
        assert_eq!(req("甲乙\\s*[:：]"), strings(&["甲乙"]));
        assert_eq!(req("(?i:ab)"), strings(&["AB", "Ab", "aB", "ab"]));
        assert_eq!(req("甲乙|©"), strings(&["©", "甲乙"]));
        assert_eq!(req("(甲乙)+x"), strings(&["甲乙"]));
    }

    #[test]
    fn a_digit_class_is_a_set_of_one_character_literals() {
        let set = req("^(甲乙|\\d{1,3})(\\s+(甲乙|\\d{1,3}))+$").expect("literals");
        assert!(set.len() > 600, "{}", set.len());
        assert!(["甲乙", "7", "٣"]
            .iter()
            .all(|l| set.contains(&l.to_string())));
        let gate = LiteralGate::new(&["^(甲乙|\\d{1,3})(\\s+(甲乙|\\d{1,3}))+$"]).expect("a gate");
        assert!(gate.may_match("1 2 3") && gate.may_match("甲乙 下") && gate.may_match("𝟙"));
        assert!(!gate.may_match("上一页 下一页"));
    }

    #[test]
    fn anchored_patterns_are_gated_by_their_prefixes() {
        let prefixes = |p: &str| {
            anchored_prefixes(p).map(|v| {
                let mut v: Vec<String> = v
                    .into_iter()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .collect();
                v.sort();
                v
            })
        };
        assert_eq!(prefixes("^(返回|中)x"), strings(&["中x", "返回x"]));
        assert_eq!(prefixes("^((返回|中)[ /]*)+$"), strings(&["中", "返回"]));
        // not anchored, an empty prefix, a class too large to spell out
        assert_eq!(prefixes("(返回|中)x"), None);
        assert_eq!(prefixes("^(返回)?x|^y"), strings(&["x", "y", "返回x"]));
        assert_eq!(prefixes("^[【]?\\s*编辑"), None);
        assert_eq!(prefixes("^\\p{Han}{0,8}APP$"), None);
        let gate = LiteralGate::new(&["^((返回|中)[ /]*)+$", "©"]).expect("a gate");
        assert!(gate.may_match("中 返回") && gate.may_match("返回") && gate.may_match("x©"));
        // 中 inside the line no longer opens the gate
        assert!(!gate.may_match("其中的内容") && !gate.may_match("x中"));
    }

    #[test]
    fn patterns_without_a_required_literal_get_no_gate() {
        assert_eq!(req("\\w+"), None);
        assert_eq!(req("甲?"), None);
        assert_eq!(req("\\s+"), None);
        assert_eq!(req("甲乙|\\p{Han}{3}"), None);
        assert_eq!(req("^$"), None);
        assert!(LiteralGate::new(&["甲乙", "\\w{3}"]).is_none());
        assert!(LiteralGate::new(&["("]).is_none());
    }

    #[test]
    fn the_gate_passes_every_line_holding_a_literal() {
        let gate =
            LiteralGate::new(&["(开通|成为)\\s*(VIP|会员)", "©", "甲乙.{0,3}丙"]).expect("a gate");
        for line in [
            "开通VIP",
            "成为 会员",
            "x©",
            "前面的甲乙丙",
            "abc 开通会员 def",
            // the literal's last character first or second of a pair of 3-byte characters
            "甲乙",
            "一二甲乙",
            "一甲乙",
            "一二三甲乙四五",
        ] {
            assert!(gate.may_match(line), "{line:?}");
        }
        // these hold no required literal (the pairs 开通/成为 or VIP/会员, 甲乙, ©)
        for line in ["", "同志们：今天开会。", "abc", "甲 乙"] {
            assert!(!gate.may_match(line), "{line:?}");
        }
    }
}
