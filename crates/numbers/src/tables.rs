//! The data tables the grammar reads (`data/numbers/*`), parsed once at build time.

// Fast non-cryptographic hashing: the keys are the bundled and configured tables' own words.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use gongwen_model::NumberKind;

use crate::decimal::Decimal;

/// Built-in units table.
pub const UNITS_TSV: &str = include_str!("../../../data/numbers/units.tsv");
/// Built-in words that begin with a unit character but are not units.
pub const NOT_UNITS_TSV: &str = include_str!("../../../data/numbers/not_units.tsv");
/// Built-in qualifier forms.
pub const QUALIFIERS_TSV: &str = include_str!("../../../data/numbers/qualifiers.tsv");
/// Built-in idioms and set phrases that are not numbers.
pub const NOT_NUMBERS_TXT: &str = include_str!("../../../data/numbers/not_numbers.txt");
/// Built-in context cues.
pub const CUES_TSV: &str = include_str!("../../../data/numbers/cues.tsv");
/// Built-in subject words.
pub const SUBJECT_TSV: &str = include_str!("../../../data/numbers/subject.tsv");

/// One row of the units table.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The unit as written.
    pub chars: Vec<char>,
    /// What a number with this unit measures.
    pub kind: NumberKind,
    /// Unit the value is reported in.
    pub base: String,
    /// Factor from this unit to the base unit.
    pub factor: Decimal,
    /// Not accepted right after a bare placeholder.
    pub no_placeholder: bool,
    /// Not accepted after a Chinese numeral.
    pub no_chinese: bool,
}

/// A qualifier form.
#[derive(Debug, Clone)]
pub struct QualifierForm {
    /// The form as written.
    pub chars: Vec<char>,
    /// The qualifier reported, or `None` for a look-alike word (经过).
    pub qualifier: Option<String>,
}

/// All tables, parsed.
#[derive(Debug, Default)]
pub struct Tables {
    /// Units by first character, longest first.
    pub units: HashMap<char, Vec<Unit>>,
    /// Look-alike words by first character.
    pub not_units: HashMap<char, Vec<Vec<char>>>,
    /// Prefix qualifier forms, longest first.
    pub prefix_qualifiers: Vec<QualifierForm>,
    /// Infix qualifier forms.
    pub infix_qualifiers: Vec<QualifierForm>,
    /// Suffix qualifier forms, longest first.
    pub suffix_qualifiers: Vec<QualifierForm>,
    /// Last characters of the prefix forms, sorted (a quick "no prefix here").
    pub prefix_last: CharSet,
    /// First characters of the suffix forms, sorted.
    pub suffix_first: CharSet,
    /// Idioms and set phrases.
    pub not_numbers: HashSet<String>,
    /// Longest idiom in characters.
    pub not_numbers_max: usize,
    /// First characters of the idioms, sorted (most places start none).
    pub not_numbers_first: CharSet,
    /// Cues that make 一 + unit a quantity.
    pub one_cues: Vec<Vec<char>>,
    /// Cues that make a unitless 亿 amount money.
    pub money_cues: Vec<Vec<char>>,
    /// Subject words before which the subject ends (comparisons, starting points).
    pub subject_before: Vec<Vec<char>>,
    /// Verbs introducing a value.
    pub subject_verb: Vec<Vec<char>>,
    /// Verbs whose object follows the number.
    pub subject_action: Vec<Vec<char>>,
    /// Indicator words that contain a cut word.
    pub subject_keep: Vec<Vec<char>>,
    /// Subject leading words.
    pub subject_lead: Vec<Vec<char>>,
    /// Subject trailing words.
    pub subject_trail: Vec<Vec<char>>,
    /// First characters of the `keep`, `before`, `verb` and `action` words, sorted: the
    /// subject scan skips every position starting with none of them.
    pub subject_first: CharSet,
}

/// A problem in a table file: which line and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableProblem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong, quoting the line.
    pub message: String,
}

fn rows(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.trim_end_matches('\r');
        if l.trim().is_empty() || l.starts_with('#') {
            None
        } else {
            Some((i + 1, l.split('\t').map(str::trim).collect()))
        }
    })
}

/// The first two columns of a row, or a problem recorded for `line`.
fn two_columns<'a>(
    line: usize,
    cols: &[&'a str],
    problems: &mut Vec<TableProblem>,
) -> Option<(&'a str, &'a str)> {
    match (cols.first(), cols.get(1)) {
        (Some(w), Some(u)) => Some((*w, *u)),
        _ => {
            problems.push(TableProblem {
                line,
                message: format!("expected 2 columns, got {:?}", cols),
            });
            None
        }
    }
}

/// Parses a kind name as written in the tables.
pub fn parse_kind(s: &str) -> Option<NumberKind> {
    Some(match s {
        "money" => NumberKind::Money,
        "percent" => NumberKind::Percent,
        "percent_point" => NumberKind::PercentPoint,
        "count" => NumberKind::Count,
        "measure" => NumberKind::Measure,
        "year" => NumberKind::Year,
        "date" => NumberKind::Date,
        "period" => NumberKind::Period,
        "duration" => NumberKind::Duration,
        "rank" => NumberKind::Rank,
        "multiple" => NumberKind::Multiple,
        "name" => NumberKind::Name,
        "other" => NumberKind::Other,
        _ => return None,
    })
}

fn sort_longest_first(v: &mut [Vec<char>]) {
    v.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
}

impl Tables {
    /// The built-in tables.
    pub fn builtin() -> (Tables, Vec<TableProblem>) {
        let mut t = Tables::default();
        let mut problems = Vec::new();
        problems.extend(t.add_units(UNITS_TSV));
        t.add_not_units(NOT_UNITS_TSV);
        problems.extend(t.add_qualifiers(QUALIFIERS_TSV));
        t.add_not_numbers(NOT_NUMBERS_TXT);
        problems.extend(t.add_cues(CUES_TSV));
        problems.extend(t.add_subject_words(SUBJECT_TSV));
        (t, problems)
    }

    /// Adds units from a TSV text; returns the problems found.
    pub fn add_units(&mut self, text: &str) -> Vec<TableProblem> {
        let mut problems = Vec::new();
        for (line, cols) in rows(text) {
            let (Some(unit), Some(kind), Some(base), Some(factor)) =
                (cols.first(), cols.get(1), cols.get(2), cols.get(3))
            else {
                problems.push(TableProblem {
                    line,
                    message: format!("expected 4 or 5 columns, got {:?}", cols),
                });
                continue;
            };
            let Some(kind) = parse_kind(kind) else {
                problems.push(TableProblem {
                    line,
                    message: format!("unknown kind {kind:?}"),
                });
                continue;
            };
            let Some(factor) = parse_factor(factor) else {
                problems.push(TableProblem {
                    line,
                    message: format!("bad factor {factor:?}"),
                });
                continue;
            };
            let flags = cols.get(4).copied().unwrap_or("");
            let flag_list: Vec<&str> = flags
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect();
            if let Some(bad) = flag_list.iter().find(|f| !matches!(**f, "nox" | "nocn")) {
                problems.push(TableProblem {
                    line,
                    message: format!("unknown flag {bad:?}"),
                });
            }
            let chars: Vec<char> = unit.chars().collect();
            let Some(&first) = chars.first() else {
                continue;
            };
            let entry = Unit {
                chars,
                kind,
                base: (*base).to_string(),
                factor,
                no_placeholder: flag_list.contains(&"nox"),
                no_chinese: flag_list.contains(&"nocn"),
            };
            let list = self.units.entry(first).or_default();
            list.retain(|u| u.chars != entry.chars);
            list.push(entry);
            list.sort_by_key(|u| std::cmp::Reverse(u.chars.len()));
        }
        problems
    }

    /// Adds look-alike words (one per line).
    pub fn add_not_units(&mut self, text: &str) {
        for (_, cols) in rows(text) {
            if let Some(w) = cols.first() {
                let chars: Vec<char> = w.chars().collect();
                if let Some(&first) = chars.first() {
                    self.not_units.entry(first).or_default().push(chars);
                }
            }
        }
    }

    /// Adds qualifier forms from a TSV text.
    pub fn add_qualifiers(&mut self, text: &str) -> Vec<TableProblem> {
        let mut problems = Vec::new();
        for (line, cols) in rows(text) {
            let (Some(form), Some(q), Some(pos)) = (cols.first(), cols.get(1), cols.get(2)) else {
                problems.push(TableProblem {
                    line,
                    message: format!("expected 3 columns, got {:?}", cols),
                });
                continue;
            };
            if form.is_empty() {
                continue;
            }
            let f = QualifierForm {
                chars: form.chars().collect(),
                qualifier: if *q == "-" {
                    None
                } else {
                    Some((*q).to_string())
                },
            };
            match *pos {
                "prefix" => self.prefix_qualifiers.push(f),
                "infix" => self.infix_qualifiers.push(f),
                "suffix" => self.suffix_qualifiers.push(f),
                other => problems.push(TableProblem {
                    line,
                    message: format!("unknown position {other:?}"),
                }),
            }
        }
        for list in [
            &mut self.prefix_qualifiers,
            &mut self.infix_qualifiers,
            &mut self.suffix_qualifiers,
        ] {
            list.sort_by_key(|u| std::cmp::Reverse(u.chars.len()));
        }
        self.prefix_last = CharSet::new(
            self.prefix_qualifiers
                .iter()
                .filter_map(|f| f.chars.last().copied()),
        );
        self.suffix_first = CharSet::new(
            self.suffix_qualifiers
                .iter()
                .filter_map(|f| f.chars.first().copied()),
        );
        problems
    }

    /// Adds idioms (one per line).
    pub fn add_not_numbers(&mut self, text: &str) {
        for (_, cols) in rows(text) {
            if let Some(w) = cols.first() {
                self.not_numbers_max = self.not_numbers_max.max(w.chars().count());
                self.not_numbers.insert((*w).to_string());
            }
        }
        self.not_numbers_first =
            CharSet::new(self.not_numbers.iter().filter_map(|w| w.chars().next()));
    }

    /// Adds context cues from a TSV text.
    pub fn add_cues(&mut self, text: &str) -> Vec<TableProblem> {
        let mut problems = Vec::new();
        for (line, cols) in rows(text) {
            let Some((w, u)) = two_columns(line, &cols, &mut problems) else {
                continue;
            };
            let chars: Vec<char> = w.chars().collect();
            match u {
                "one" => self.one_cues.push(chars),
                "money" => self.money_cues.push(chars),
                other => problems.push(TableProblem {
                    line,
                    message: format!("unknown use {other:?}"),
                }),
            }
        }
        sort_longest_first(&mut self.one_cues);
        problems
    }

    /// Adds subject words from a TSV text.
    pub fn add_subject_words(&mut self, text: &str) -> Vec<TableProblem> {
        let mut problems = Vec::new();
        for (line, cols) in rows(text) {
            let Some((w, u)) = two_columns(line, &cols, &mut problems) else {
                continue;
            };
            let chars: Vec<char> = w.chars().collect();
            if chars.is_empty() {
                continue;
            }
            match u {
                "before" => self.subject_before.push(chars),
                "verb" => self.subject_verb.push(chars),
                "keep" => self.subject_keep.push(chars),
                "action" => self.subject_action.push(chars),
                "lead" => self.subject_lead.push(chars),
                "trail" => self.subject_trail.push(chars),
                other => problems.push(TableProblem {
                    line,
                    message: format!("unknown use {other:?}"),
                }),
            }
        }
        sort_longest_first(&mut self.subject_before);
        sort_longest_first(&mut self.subject_verb);
        sort_longest_first(&mut self.subject_keep);
        sort_longest_first(&mut self.subject_action);
        sort_longest_first(&mut self.subject_lead);
        sort_longest_first(&mut self.subject_trail);
        self.subject_first = CharSet::new(
            [
                &self.subject_keep,
                &self.subject_before,
                &self.subject_verb,
                &self.subject_action,
            ]
            .into_iter()
            .flatten()
            .filter_map(|w| w.first().copied()),
        );
        problems
    }

    /// The longest unit starting at `chars[at..]` that is not the start of a look-alike
    /// word.
    pub fn unit_at(&self, chars: &[char], at: usize) -> Option<&Unit> {
        let first = chars.get(at)?;
        let candidates = self.units.get(first)?;
        let rest = chars.get(at..)?;
        let unit = candidates.iter().find(|u| rest.starts_with(&u.chars))?;
        if let Some(words) = self.not_units.get(first) {
            if words
                .iter()
                .any(|w| w.len() > unit.chars.len() && rest.starts_with(w))
            {
                return None;
            }
        }
        Some(unit)
    }
}

/// The words of [`CharSet::bits`].
const CHAR_SET_WORDS: usize = 16;

/// A small set of characters (the first or last characters of a table's words), asked about
/// at many positions of the text where the answer is almost always no: a bit per character
/// code modulo 1,024 answers most of those at once (one load, no hashing, no bounds check),
/// and only characters whose bit is set are looked up in the sorted list.
#[derive(Debug, Default, Clone)]
pub struct CharSet {
    /// The bit `code % 1024` of every member.
    bits: [u64; CHAR_SET_WORDS],
    /// The members, sorted, without duplicates.
    chars: Vec<char>,
}

impl CharSet {
    /// The set of `chars`.
    pub fn new(chars: impl Iterator<Item = char>) -> CharSet {
        let mut set = CharSet {
            bits: [0; CHAR_SET_WORDS],
            chars: chars.collect(),
        };
        set.chars.sort_unstable();
        set.chars.dedup();
        for &c in &set.chars {
            let (word, bit) = CharSet::place(c);
            if let Some(w) = set.bits.get_mut(word) {
                *w |= bit;
            }
        }
        set
    }

    /// The word of `bits` holding `c`'s bit, and the bit.
    #[inline]
    fn place(c: char) -> (usize, u64) {
        let code = c as usize % (CHAR_SET_WORDS * 64);
        (code / 64, 1u64 << (code % 64))
    }

    /// Whether `c` is a member.
    #[inline]
    pub fn contains(&self, c: char) -> bool {
        let (word, bit) = CharSet::place(c);
        self.bits.get(word).is_some_and(|w| w & bit != 0) && self.chars.binary_search(&c).is_ok()
    }
}

fn parse_factor(s: &str) -> Option<Decimal> {
    if let Some((m, e)) = s.split_once(['e', 'E']) {
        let m = Decimal::parse_ascii(m)?;
        let e: i32 = e.parse().ok()?;
        return Some(m.shift(e));
    }
    Decimal::parse_ascii(s)
}

/// True when `words` has an entry equal to the characters ending at `end`.
pub fn word_ending_at<'a>(
    words: &'a [Vec<char>],
    chars: &[char],
    end: usize,
) -> Option<&'a Vec<char>> {
    let head = chars.get(..end)?;
    words.iter().find(|w| head.ends_with(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The bit filter never turns a member down: `contains` is plain membership,
        /// members and non-members sharing a bit (codes 1,024 apart) included.
        #[test]
        fn char_set_contains_exactly_its_members(
            members in proptest::collection::vec(proptest::char::any(), 0..40),
            probes in proptest::collection::vec(proptest::char::any(), 0..40),
        ) {
            let set = CharSet::new(members.iter().copied());
            let shifted = members
                .iter()
                .filter_map(|&c| char::from_u32(c as u32 ^ 1024));
            for c in probes.iter().copied().chain(members.iter().copied()).chain(shifted) {
                proptest::prop_assert_eq!(set.contains(c), members.contains(&c));
            }
        }
    }

    #[test]
    fn builtin_tables_parse_without_problems() {
        let (t, problems) = Tables::builtin();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(t.units.contains_key(&'元'));
    }

    #[test]
    fn look_alike_words_block_units() {
        let (t, _) = Tables::builtin();
        let chars: Vec<char> = "项目".chars().collect();
        assert!(t.unit_at(&chars, 0).is_none());
        let chars: Vec<char> = "项工程".chars().collect();
        assert!(t.unit_at(&chars, 0).is_some());
    }
}
