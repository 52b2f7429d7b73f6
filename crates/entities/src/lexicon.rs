//! Word lists the recogniser matches: the divisions gazetteer (full names and derived short
//! forms), places, organisations, bodies, titles and suffixes, all in one character trie
//! built once.

use std::collections::HashMap;

use rustc_hash::FxHashSet;

use crate::trie::CharTrie;

/// A set of words with a fast hash (looked up for every token).
pub(crate) type WordSet = FxHashSet<String>;

/// What a lexicon entry is. One string may have several kinds (a short form that is also a
/// suffix, a title prefix that is also a generic body).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    /// A place from `places.txt` (countries, regions, rivers).
    Place,
    /// A full division name from the gazetteer (潍坊市, 寿光市).
    Division,
    /// A short form derived from a division's full name (枣庄市 → 枣庄).
    ShortPlace,
    /// A well-known organisation (`organisations.txt`).
    Org,
    /// A bare generic body (市委, 市政府).
    GenericBody,
    /// A department abbreviation that follows a level or place (发改委, 教育局).
    BodyAbbrev,
    /// A title written next to a name.
    Title,
    /// A body abbreviation that is part of a title when written before it (市委 in 市委书记).
    TitlePrefix,
    /// A suffix ending organisation names.
    OrgSuffix(OrgSuffixKind),
    /// A suffix ending place names.
    LocSuffix(LocSuffixKind),
    /// A set phrase that is not an entity and hides what is inside it (中国特色社会主义).
    FixedPhrase,
}

/// A set of [`Kind`]s as bits, so a rule tests a lexicon hit's kinds with one AND.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct KindSet(u16);

impl KindSet {
    pub const NONE: KindSet = KindSet(0);
    pub const PLACE: KindSet = KindSet(1);
    pub const DIVISION: KindSet = KindSet(1 << 1);
    pub const SHORT_PLACE: KindSet = KindSet(1 << 2);
    pub const ORG: KindSet = KindSet(1 << 3);
    pub const GENERIC_BODY: KindSet = KindSet(1 << 4);
    pub const BODY_ABBREV: KindSet = KindSet(1 << 5);
    pub const TITLE: KindSet = KindSet(1 << 6);
    pub const TITLE_PREFIX: KindSet = KindSet(1 << 7);
    /// Organisation suffixes of any kind.
    pub const ORG_SUFFIX: KindSet = KindSet(1 << 8);
    /// Place suffixes of any kind.
    pub const LOC_SUFFIX: KindSet = KindSet(1 << 9);
    pub const FIXED_PHRASE: KindSet = KindSet(1 << 10);
    /// Places of every kind: listed places, divisions and their short forms.
    pub const ANY_PLACE: KindSet = KindSet(Self::PLACE.0 | Self::DIVISION.0 | Self::SHORT_PLACE.0);

    /// The set holding `kind` alone (suffix kinds by their family).
    pub fn of(kind: Kind) -> KindSet {
        match kind {
            Kind::Place => Self::PLACE,
            Kind::Division => Self::DIVISION,
            Kind::ShortPlace => Self::SHORT_PLACE,
            Kind::Org => Self::ORG,
            Kind::GenericBody => Self::GENERIC_BODY,
            Kind::BodyAbbrev => Self::BODY_ABBREV,
            Kind::Title => Self::TITLE,
            Kind::TitlePrefix => Self::TITLE_PREFIX,
            Kind::OrgSuffix(_) => Self::ORG_SUFFIX,
            Kind::LocSuffix(_) => Self::LOC_SUFFIX,
            Kind::FixedPhrase => Self::FIXED_PHRASE,
        }
    }

    /// Both sets together.
    pub const fn or(self, other: KindSet) -> KindSet {
        KindSet(self.0 | other.0)
    }

    /// True when the sets share a kind.
    #[inline]
    pub fn meets(self, other: KindSet) -> bool {
        self.0 & other.0 != 0
    }
}

/// What the lexicon knows of one pattern.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PatternInfo {
    /// Its kinds.
    pub kinds: KindSet,
    /// Its first organisation-suffix kind, in the order the data files gave them.
    pub org_suffix: Option<OrgSuffixKind>,
    /// Its first place-suffix kind, likewise.
    pub loc_suffix: Option<LocSuffixKind>,
    /// It is one of [`SUBUNIT_SUFFIXES`].
    pub subunit: bool,
}

/// Suffixes of units inside a larger organisation: their name may contain the parent's
/// (某某大学某某学院, 某某研究院某某分院).
pub(crate) const SUBUNIT_SUFFIXES: &[&str] = &[
    "分院",
    "学院",
    "分公司",
    "子公司",
    "分行",
    "支行",
    "研究所",
    "研究院",
    "附属医院",
    "办公室",
    "分会",
    "分局",
    "支队",
];

impl PatternInfo {
    /// The summary of `kinds` (in the order they were added).
    fn of(kinds: &[Kind]) -> PatternInfo {
        let mut info = PatternInfo::default();
        for &k in kinds {
            info.kinds = info.kinds.or(KindSet::of(k));
            match k {
                Kind::OrgSuffix(o) if info.org_suffix.is_none() => info.org_suffix = Some(o),
                Kind::LocSuffix(l) if info.loc_suffix.is_none() => info.loc_suffix = Some(l),
                _ => {}
            }
        }
        info
    }
}

/// How much evidence an organisation suffix needs before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum OrgSuffixKind {
    /// Any suffix: the words before must contain a proper element.
    General,
    /// A single-character body suffix (局, 委): the words before must be a place or a level.
    Body,
    /// An industry word (科技, 化工): the brand before must be a proper or unknown word.
    Company,
}

/// How much evidence a place suffix needs before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LocSuffixKind {
    /// Regions and zones (流域, 经济区, 高新区): the words before must contain a proper element.
    Region,
    /// Venues (机场, 公园, 大道): a short noun before will do.
    Venue,
    /// Towns, villages, streets (镇, 村, 街道): one proper word before.
    Division,
}

/// Built-in data files, embedded so the recogniser loads without the working directory.
pub(crate) mod builtin {
    pub const PROVINCES: &str = include_str!("../../../data/divisions/provinces.csv");
    pub const CITIES: &str = include_str!("../../../data/divisions/cities.csv");
    pub const AREAS: &str = include_str!("../../../data/divisions/areas.csv");
    pub const PLACES: &str = include_str!("../../../data/entities/places.txt");
    pub const AMBIGUOUS_SHORT_FORMS: &str =
        include_str!("../../../data/entities/ambiguous_short_forms.txt");
    pub const ORGANISATIONS: &str = include_str!("../../../data/entities/organisations.txt");
    pub const GENERIC_BODIES: &str = include_str!("../../../data/entities/generic_bodies.txt");
    pub const BODY_ABBREVIATIONS: &str =
        include_str!("../../../data/entities/body_abbreviations.txt");
    pub const TITLES: &str = include_str!("../../../data/entities/titles.txt");
    pub const TITLE_PREFIXES: &str = include_str!("../../../data/entities/title_prefixes.txt");
    pub const SURNAMES: &str = include_str!("../../../data/entities/surnames.txt");
    pub const ORG_SUFFIXES: &str = include_str!("../../../data/entities/org_suffixes.txt");
    pub const LOC_SUFFIXES: &str = include_str!("../../../data/entities/loc_suffixes.txt");
    pub const STOPWORDS: &str = include_str!("../../../data/entities/stopwords.txt");
    pub const PERSON_STOPWORDS: &str = include_str!("../../../data/entities/person_stopwords.txt");
    pub const TERM_RULES: &str = include_str!("../../../data/entities/term_rules.txt");
    pub const PERSON_CUES: &str = include_str!("../../../data/entities/person_cues.txt");
    pub const FIXED_PHRASES: &str = include_str!("../../../data/entities/fixed_phrases.txt");
}

/// Lines of a word-list file: `#` starts a comment; words are separated by spaces; an
/// optional tab-separated last field names a kind applying to every word of the line.
pub(crate) fn list_lines(text: &str) -> impl Iterator<Item = (Vec<&str>, Option<&str>)> {
    text.lines().filter_map(|line| {
        let line = line.split('#').next().unwrap_or("").trim_end();
        if line.trim().is_empty() {
            return None;
        }
        let (words, kind) = match line.split_once('\t') {
            Some((w, k)) => (w, Some(k.trim())),
            None => (line, None),
        };
        let words: Vec<&str> = words.split_whitespace().collect();
        if words.is_empty() {
            None
        } else {
            Some((words, kind))
        }
    })
}

/// Every word of a word-list file (kinds ignored).
pub(crate) fn list_words(text: &str) -> impl Iterator<Item = &str> {
    list_lines(text).flat_map(|(words, _)| words.into_iter())
}

/// Ethnic group names (without 族) removed from autonomous divisions to get their short
/// form (延边朝鲜族自治州 → 延边); longest first.
const ETHNIC_GROUPS: &[&str] = &[
    "乌孜别克",
    "柯尔克孜",
    "维吾尔",
    "哈萨克",
    "达斡尔",
    "塔吉克",
    "鄂温克",
    "鄂伦春",
    "塔塔尔",
    "蒙古",
    "布依",
    "朝鲜",
    "土家",
    "哈尼",
    "傈僳",
    "高山",
    "拉祜",
    "东乡",
    "纳西",
    "景颇",
    "仫佬",
    "布朗",
    "撒拉",
    "毛南",
    "仡佬",
    "锡伯",
    "阿昌",
    "普米",
    "俄罗斯",
    "德昂",
    "保安",
    "裕固",
    "独龙",
    "赫哲",
    "门巴",
    "珞巴",
    "基诺",
    "回",
    "藏",
    "苗",
    "彝",
    "壮",
    "满",
    "侗",
    "瑶",
    "白",
    "傣",
    "黎",
    "佤",
    "畲",
    "水",
    "土",
    "羌",
    "怒",
    "京",
];

/// Groups written without 族 in division names (博尔塔拉蒙古自治州).
const ETHNIC_GROUPS_BARE: &[&str] = &["柯尔克孜", "维吾尔", "哈萨克", "蒙古"];

/// `stem` without trailing ethnic group names, keeping at least two characters.
fn strip_ethnic(stem: &str) -> &str {
    let mut rest = stem;
    loop {
        let mut stripped = None;
        if let Some(before) = rest.strip_suffix('族') {
            for g in ETHNIC_GROUPS {
                if let Some(b) = before.strip_suffix(g) {
                    stripped = Some(b);
                    break;
                }
            }
        }
        if stripped.is_none() {
            for g in ETHNIC_GROUPS_BARE {
                if let Some(b) = rest.strip_suffix(g) {
                    stripped = Some(b);
                    break;
                }
            }
        }
        match stripped {
            Some(b) if b.chars().count() >= 2 => rest = b,
            _ => return rest,
        }
    }
}

/// Division suffixes, longest first; the short form is the name without it.
const DIVISION_SUFFIXES: &[&str] = &[
    "特别行政区",
    "自治区",
    "自治州",
    "自治县",
    "自治旗",
    "地区",
    "林区",
    "新区",
    "市",
    "县",
    "区",
    "旗",
    "盟",
    "省",
];

/// Parts of full names that are not real divisions (skipped entirely).
const NOT_A_DIVISION: &[&str] = &[
    "市辖区",
    "县",
    "城区",
    "郊区",
    "矿区",
    "新区",
    "省直辖县级行政区划",
    "自治区直辖县级行政区划",
];

/// Parts that make a full name a zone rather than a division: no short form.
const ZONE_MARKERS: &[&str] = &[
    "开发区",
    "园区",
    "管理区",
    "管委会",
    "委员会",
    "群岛",
    "海域",
    "新城",
];

/// The short form of a division's full name, if it has a usable one (at least two
/// characters; autonomous divisions lose their ethnic part).
pub(crate) fn short_form(full: &str) -> Option<String> {
    if ZONE_MARKERS.iter().any(|m| full.contains(m)) {
        return None;
    }
    let suffix = DIVISION_SUFFIXES.iter().find(|s| full.ends_with(*s))?;
    let stem = full.strip_suffix(suffix)?;
    let short = if suffix.starts_with("自治") {
        strip_ethnic(stem)
    } else {
        stem
    }
    .to_string();
    if short.chars().count() < 2 {
        return None;
    }
    Some(short)
}

/// A set of characters as a bitmap of 4,096 bits indexed by the low bits of the code: a
/// clear bit proves a character absent, a set bit may be a collision. A one-load test that
/// spares a loop over a word list when no word can match (a speech verb must end with the
/// character before a quote).
#[derive(Debug, Clone)]
pub(crate) struct CharSet {
    words: Box<[u64; CHAR_SET_WORDS]>,
}

/// The words of a [`CharSet`].
const CHAR_SET_WORDS: usize = 64;

impl CharSet {
    /// The set of `chars`.
    pub fn of(chars: impl IntoIterator<Item = char>) -> CharSet {
        let mut words = Box::new([0u64; CHAR_SET_WORDS]);
        for c in chars {
            let bit = c as usize % (CHAR_SET_WORDS * 64);
            if let Some(w) = words.get_mut(bit / 64) {
                *w |= 1 << (bit % 64);
            }
        }
        CharSet { words }
    }

    /// False when `c` is surely not in the set.
    #[inline]
    pub fn may_contain(&self, c: char) -> bool {
        let bit = c as usize % (CHAR_SET_WORDS * 64);
        self.words
            .get(bit / 64)
            .is_some_and(|w| w & (1 << (bit % 64)) != 0)
    }
}

/// The lexicon: one trie over every listed string, with each string's kinds.
#[derive(Debug)]
pub(crate) struct Lexicon {
    pub trie: CharTrie,
    /// The kinds of each pattern (small, so look-ups stay in the cache).
    pub info: Vec<PatternInfo>,
    pub patterns: Vec<String>,
    pub surnames: WordSet,
    pub stopwords: WordSet,
    pub person_stopwords: WordSet,
    pub speech_verbs: Vec<String>,
    pub figurative: WordSet,
    pub person_cues: Vec<String>,
    pub generic_modifiers: WordSet,
    pub role_verbs: Vec<String>,
    /// The last characters of `speech_verbs`.
    pub speech_last: CharSet,
    /// The last characters of `role_verbs`.
    pub role_last: CharSet,
    /// The first characters of `figurative`.
    pub figurative_first: CharSet,
    /// The first characters of `person_cues`.
    pub cue_first: CharSet,
}

/// Collects strings and kinds before the trie is built.
#[derive(Default)]
pub(crate) struct LexiconBuilder {
    entries: HashMap<String, Vec<Kind>>,
    pub surnames: WordSet,
    pub stopwords: WordSet,
    pub person_stopwords: WordSet,
    pub ambiguous_short_forms: WordSet,
    pub speech_verbs: Vec<String>,
    pub figurative: WordSet,
    pub person_cues: Vec<String>,
    pub generic_modifiers: WordSet,
    pub role_verbs: Vec<String>,
}

impl LexiconBuilder {
    pub fn add(&mut self, word: &str, kind: Kind) {
        let word = word.trim();
        if word.is_empty() {
            return;
        }
        let kinds = self.entries.entry(word.to_string()).or_default();
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }

    pub fn add_list(&mut self, text: &str, kind: Kind) {
        for word in list_words(text) {
            self.add(word, kind);
        }
    }

    /// Adds a divisions CSV (`code,name,…`): full names as places, short forms as short
    /// places unless ambiguous. Returns the number of rows read.
    pub fn add_divisions_csv(&mut self, text: &str) -> Result<usize, csv::Error> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows = 0;
        for record in reader.records() {
            let record = record?;
            let Some(name) = record.get(1) else { continue };
            let name = name.trim();
            rows += 1;
            if name.is_empty() || NOT_A_DIVISION.contains(&name) {
                continue;
            }
            self.add(name, Kind::Division);
            if let Some(short) = short_form(name) {
                if !self.ambiguous_short_forms.contains(&short) {
                    self.add(&short, Kind::ShortPlace);
                }
            }
        }
        Ok(rows)
    }

    /// Adds a suffix file (`words<TAB>kind`).
    pub fn add_org_suffixes(&mut self, text: &str) {
        for (words, kind) in list_lines(text) {
            let kind = match kind {
                Some("body") => OrgSuffixKind::Body,
                Some("company") => OrgSuffixKind::Company,
                _ => OrgSuffixKind::General,
            };
            for w in words {
                self.add(w, Kind::OrgSuffix(kind));
            }
        }
    }

    /// Adds a place-suffix file (`words<TAB>kind`).
    pub fn add_loc_suffixes(&mut self, text: &str) {
        for (words, kind) in list_lines(text) {
            let kind = match kind {
                Some("venue") => LocSuffixKind::Venue,
                Some("division") => LocSuffixKind::Division,
                _ => LocSuffixKind::Region,
            };
            for w in words {
                self.add(w, Kind::LocSuffix(kind));
            }
        }
    }

    pub fn build(self) -> Lexicon {
        let mut patterns: Vec<String> = self.entries.keys().cloned().collect();
        patterns.sort();
        let info: Vec<PatternInfo> = patterns
            .iter()
            .map(|p| PatternInfo {
                subunit: SUBUNIT_SUFFIXES.contains(&p.as_str()),
                ..PatternInfo::of(self.entries.get(p).map_or(&[], Vec::as_slice))
            })
            .collect();
        let trie = CharTrie::new(&patterns);
        let last = |words: &[String]| CharSet::of(words.iter().filter_map(|w| w.chars().last()));
        let speech_last = last(&self.speech_verbs);
        let role_last = last(&self.role_verbs);
        let figurative_first = CharSet::of(self.figurative.iter().filter_map(|w| w.chars().next()));
        let cue_first = CharSet::of(self.person_cues.iter().filter_map(|w| w.chars().next()));
        Lexicon {
            trie,
            info,
            patterns,
            surnames: self.surnames,
            stopwords: self.stopwords,
            person_stopwords: self.person_stopwords,
            speech_verbs: self.speech_verbs,
            figurative: self.figurative,
            person_cues: self.person_cues,
            generic_modifiers: self.generic_modifiers,
            role_verbs: self.role_verbs,
            speech_last,
            role_last,
            figurative_first,
            cue_first,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms_of_divisions() {
        assert_eq!(short_form("潍坊市").as_deref(), Some("潍坊"));
        assert_eq!(short_form("寿光市").as_deref(), Some("寿光"));
        assert_eq!(short_form("黄岛区").as_deref(), Some("黄岛"));
        assert_eq!(short_form("内蒙古自治区").as_deref(), Some("内蒙古"));
        assert_eq!(short_form("广西壮族自治区").as_deref(), Some("广西"));
        assert_eq!(short_form("延边朝鲜族自治州").as_deref(), Some("延边"));
        assert_eq!(short_form("湘西土家族苗族自治州").as_deref(), Some("湘西"));
        assert_eq!(
            short_form("博尔塔拉蒙古自治州").as_deref(),
            Some("博尔塔拉")
        );
        assert_eq!(short_form("长阳土家族自治县").as_deref(), Some("长阳"));
        assert_eq!(short_form("城区"), None);
        assert_eq!(short_form("和县"), None);
        assert_eq!(short_form("唐山高新技术产业开发区"), None);
    }

    #[test]
    fn list_lines_read_words_and_kinds() {
        let lines: Vec<_> = list_lines("# c\n甲 乙\t丙\n\n丁 # x\n").collect();
        assert_eq!(
            lines,
            vec![(vec!["甲", "乙"], Some("丙")), (vec!["丁"], None)]
        );
    }
}
