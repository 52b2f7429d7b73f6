//! Script detection and traditional → simplified conversion with `opencc-fmmseg` (a pure-Rust,
//! MIT port of OpenCC: the current OpenCC phrase and character dictionaries, embedded, converted
//! by forward maximum matching), plus a small table of overrides
//! (`data/clean/t2s_overrides.tsv`).

use aho_corasick::{AhoCorasick, MatchKind};
use opencc_fmmseg::{DictMaxLen, DictionaryMaxlength, OpenCC};
use serde::Deserialize;

use crate::gate::LiteralGate;
use crate::text::{han_count, has3, skip_outside, FastMap, ScanTable};

/// The OpenCC tables that conversion to simplified reads, taken out of opencc-fmmseg's
/// dictionary blob by `build.rs` (`#NAME` lines, then `KEY<TAB>VALUE` lines).
const TO_SIMPLIFIED: &str = include_str!(concat!(env!("OUT_DIR"), "/opencc_to_simplified.tsv"));

/// A dictionary holding only the tables of [`TO_SIMPLIFIED`] (the others stay empty: no
/// conversion to simplified reads them). Loading opencc-fmmseg's whole blob instead
/// (`DictionaryMaxlength::new`) decompresses and deserialises every table, the 50 000
/// simplified → traditional phrases included: two thirds of `Cleaner::build`.
fn to_simplified_dictionary() -> Result<DictionaryMaxlength, String> {
    let mut d = DictionaryMaxlength::default();
    let mut tables: Vec<(&str, Vec<(String, String)>)> = Vec::new();
    for line in TO_SIMPLIFIED.lines() {
        if let Some(name) = line.strip_prefix('#') {
            tables.push((name, Vec::new()));
            continue;
        }
        let (Some((key, value)), Some((_, entries))) = (line.split_once('\t'), tables.last_mut())
        else {
            return Err(format!("opencc_to_simplified.tsv: bad line {line:?}"));
        };
        entries.push((key.to_string(), value.to_string()));
    }
    for (name, entries) in tables {
        let table = match name {
            "ts_phrases" => &mut d.ts_phrases,
            "ts_characters" => &mut d.ts_characters,
            "ts_punctuations" => &mut d.ts_punctuations,
            "tw_phrases_rev" => &mut d.tw_phrases_rev,
            "tw_variants_rev" => &mut d.tw_variants_rev,
            "tw_variants_rev_phrases" => &mut d.tw_variants_rev_phrases,
            "hk_phrases_rev" => &mut d.hk_phrases_rev,
            "hk_variants_rev" => &mut d.hk_variants_rev,
            "hk_variants_rev_phrases" => &mut d.hk_variants_rev_phrases,
            other => return Err(format!("opencc_to_simplified.tsv: unknown table {other:?}")),
        };
        *table = DictMaxLen::build_from_pairs(entries);
    }
    Ok(d.finish())
}

/// Built-in overrides, `SOURCE<TAB>REPLACEMENT`.
const BUILTIN_OVERRIDES: &str = include_str!("../../../data/clean/t2s_overrides.tsv");

/// Which OpenCC conversion to use for traditional input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpenccConfig {
    /// OpenCC standard traditional → simplified (phrase-aware).
    #[default]
    T2s,
    /// Taiwan variants → simplified.
    Tw2s,
    /// Hong Kong variants → simplified.
    Hk2s,
    /// Taiwan variants and Taiwan vocabulary (軟體 → 软件) → simplified.
    Tw2sp,
}

impl OpenccConfig {
    fn fmmseg(self) -> opencc_fmmseg::OpenccConfig {
        match self {
            OpenccConfig::T2s => opencc_fmmseg::OpenccConfig::T2s,
            OpenccConfig::Tw2s => opencc_fmmseg::OpenccConfig::Tw2s,
            OpenccConfig::Hk2s => opencc_fmmseg::OpenccConfig::Hk2s,
            OpenccConfig::Tw2sp => opencc_fmmseg::OpenccConfig::Tw2sp,
        }
    }

    /// The dictionaries opencc-fmmseg 0.13 applies for this configuration (without
    /// punctuation), in all its rounds: what [`ChangeFilter`] is built from. Taking more
    /// dictionaries than the conversion uses is safe (the filter only lets more text through).
    fn dictionaries(self, d: &DictionaryMaxlength) -> Vec<&DictMaxLen> {
        let mut v = match self {
            OpenccConfig::T2s => Vec::new(),
            OpenccConfig::Tw2s => vec![&d.tw_variants_rev_phrases, &d.tw_variants_rev],
            OpenccConfig::Hk2s => vec![&d.hk_variants_rev_phrases, &d.hk_variants_rev],
            OpenccConfig::Tw2sp => vec![
                &d.tw_phrases_rev,
                &d.tw_variants_rev_phrases,
                &d.tw_variants_rev,
            ],
        };
        v.extend([&d.ts_phrases, &d.ts_characters]);
        v
    }

    fn name(self) -> &'static str {
        match self {
            OpenccConfig::T2s => "t2s",
            OpenccConfig::Tw2s => "tw2s",
            OpenccConfig::Hk2s => "hk2s",
            OpenccConfig::Tw2sp => "tw2sp",
        }
    }
}

/// Source phrases whose conversion is fixed by `data/clean/t2s_overrides.tsv`: where the input
/// has `source`, the output has `replacement` (the text around it is converted as usual).
/// For phrases that are already valid simplified text which the converter would rewrite.
struct Overrides {
    /// Leftmost-longest matcher over the source phrases; `None` when the table is empty.
    matcher: Option<AhoCorasick>,
    /// Replacement of each source phrase, by pattern index.
    replacements: Vec<String>,
}

impl Overrides {
    /// Parses `SOURCE<TAB>REPLACEMENT` lines (`#` comments and blank lines skipped); returns
    /// the 1-based numbers of malformed lines as the error.
    fn parse(text: &str) -> Result<Overrides, String> {
        let mut sources = Vec::new();
        let mut replacements = Vec::new();
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            match line.split_once('\t') {
                Some((s, r)) if !s.is_empty() && !r.contains('\t') => {
                    sources.push(s.to_string());
                    replacements.push(r.to_string());
                }
                _ => bad.push(i + 1),
            }
        }
        if !bad.is_empty() {
            return Err(format!(
                "t2s_overrides.tsv: malformed lines {bad:?} (expected SOURCE<TAB>REPLACEMENT)"
            ));
        }
        let matcher = if sources.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&sources)
                    .map_err(|e| format!("t2s_overrides.tsv: {e}"))?,
            )
        };
        Ok(Overrides {
            matcher,
            replacements,
        })
    }
}

/// A set of characters: a bitmap over the Basic Multilingual Plane, a map beyond it.
struct CharSet {
    bmp: Box<[u64; 1024]>,
    astral: FastMap<char, ()>,
}

impl Default for CharSet {
    fn default() -> Self {
        CharSet {
            bmp: Box::new([0; 1024]),
            astral: FastMap::default(),
        }
    }
}

impl CharSet {
    fn insert(&mut self, c: char) {
        let code = c as usize;
        if code > 0xFFFF {
            self.astral.insert(c, ());
            return;
        }
        if let Some(w) = self.bmp.get_mut(code / 64) {
            *w |= 1 << (code % 64);
        }
    }

    fn contains(&self, c: char) -> bool {
        self.contains_code(c as u32)
    }

    /// [`CharSet::contains`] for a code point (false for one that is not a character).
    fn contains_code(&self, code: u32) -> bool {
        if code > 0xFFFF {
            return char::from_u32(code).is_some_and(|c| self.astral.contains_key(&c));
        }
        // code ≤ U+FFFF: the index is below 1024 and the check is compiled away
        let code = code as usize;
        self.bmp
            .get((code / 64) & 1023)
            .is_some_and(|w| w & (1 << (code % 64)) != 0)
    }
}

/// A cheap test of whether the conversion can change a text, so that simplified text (almost
/// all of the input) skips OpenCC.
///
/// OpenCC replaces the dictionary keys it finds in the text by their values; a text in which
/// no *changing* key (value ≠ key) occurs comes out unchanged, in every round. The filter
/// knows every changing key: the single characters, and the longer keys that contain none of
/// them (藉口 → 借口, 新抱 → 媳妇), by their first two characters. It may let through text that
/// does not change after all (a key inside a longer identity key), never the other way round.
struct ChangeFilter {
    /// Changing single-character keys.
    single: CharSet,
    /// `single` and the first characters of `phrases`: the one test most characters need.
    either: CharSet,
    /// The BMP part of `either` laid out for [`skip_outside`].
    scan: ScanTable,
    /// Changing keys of two or more characters without a changing single character, by their
    /// first two characters.
    phrases: FastMap<(char, char), Vec<String>>,
    /// One bit per [`pair_slot`] of the first two characters of a key of `phrases`: most
    /// occurrences of a phrase's first character (一, 新, 重 begin some) are told apart by
    /// the character after it, without a map lookup.
    phrase_pairs: Vec<u64>,
    /// No dictionary key contains a line break, so converting line by line gives the same
    /// text as converting the whole (OpenCC segments at line breaks anyway).
    line_by_line: bool,
}

impl ChangeFilter {
    fn new(dictionaries: &[&DictMaxLen]) -> ChangeFilter {
        let changing = || {
            dictionaries
                .iter()
                .flat_map(|d| d.iter())
                .filter(|(k, v)| !k.iter().copied().eq(v.chars()))
        };
        let mut filter = ChangeFilter {
            single: CharSet::default(),
            either: CharSet::default(),
            scan: ScanTable::new(&[0; 1024]),
            phrases: FastMap::default(),
            phrase_pairs: vec![0; (1 << PAIR_BITS) / 64],
            line_by_line: !dictionaries
                .iter()
                .any(|d| d.iter().any(|(k, _)| k.contains(&'\n'))),
        };
        for (key, _) in changing() {
            if let [c] = key {
                filter.single.insert(*c);
                filter.either.insert(*c);
            }
        }
        for (key, _) in changing() {
            let [first, second, ..] = *key else { continue };
            if key.iter().any(|&c| filter.single.contains(c)) {
                continue;
            }
            filter.either.insert(first);
            let slot = pair_slot(first, second);
            if let Some(w) = filter.phrase_pairs.get_mut(slot / 64) {
                *w |= 1 << (slot % 64);
            }
            filter
                .phrases
                .entry((first, second))
                .or_default()
                .push(key.iter().collect());
        }
        filter.scan = ScanTable::new(&filter.either.bmp);
        filter
    }

    /// False when no changing key occurs in `text`: then converting it gives it back unchanged.
    ///
    /// One step per character, or per two 3-byte characters. A 3-byte character (almost all
    /// of Chinese text) is looked up in `either` without being decoded: its lead byte and
    /// second byte give the bitmap's word (64 characters), its last byte the bit. Only a character found there is decoded
    /// and tested further; 2- and 4-byte characters are decoded.
    fn may_change(&self, text: &str) -> bool {
        self.first_change(text).is_some()
    }

    /// Byte offset of the first character of `text` where a changing key occurs (see
    /// [`ChangeFilter::may_change`]); `None` when there is none.
    fn first_change(&self, text: &str) -> Option<usize> {
        let either = &*self.either.bmp;
        let bytes = text.as_bytes();
        let mut i = 0;
        loop {
            // the tight loop over the characters outside `either`
            i = skip_outside(&self.scan, bytes, i);
            // then one character, whatever it is
            let (found, width) = match bytes.get(i..).unwrap_or(&[]) {
                [] => return None,
                [b0 @ 0xE0..=0xEF, b1, b2, ..] => (has3(either, *b0, *b1, *b2), 3),
                [b0 @ 0..=0x7F, ..] => (self.either.contains_code(u32::from(*b0)), 1),
                _ => {
                    let c = text.get(i..).and_then(|t| t.chars().next())?;
                    (self.either.contains(c), c.len_utf8())
                }
            };
            if found && self.changes_at(text, i) {
                return Some(i);
            }
            i += width;
        }
    }

    /// For a character of `either` at byte `i` of `text`: true when it is a changing single
    /// character or begins one of the changing phrases.
    fn changes_at(&self, text: &str, i: usize) -> bool {
        let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
            return false;
        };
        // a character of `either` that is no single key begins a phrase
        self.single.contains(c) || self.phrase_at(text, i, c)
    }

    /// True when `c`, at byte `i` of `text`, begins one of the changing phrases.
    fn phrase_at(&self, text: &str, i: usize, c: char) -> bool {
        let Some(rest) = text.get(i..) else {
            return false;
        };
        let Some(second) = rest.chars().nth(1) else {
            return false;
        };
        let slot = pair_slot(c, second);
        if self
            .phrase_pairs
            .get(slot / 64)
            .is_none_or(|w| w & (1 << (slot % 64)) == 0)
        {
            return false;
        }
        self.phrases
            .get(&(c, second))
            .is_some_and(|keys| keys.iter().any(|k| rest.starts_with(k.as_str())))
    }
}

/// What [`Converter::scan_with_gate`] found in a text.
#[derive(Debug)]
pub(crate) struct ScanWithGate {
    /// Byte offset of the first changing key (see `ChangeFilter::first_change`).
    pub first_change: Option<usize>,
    /// Where a required literal of the gate ends (see [`LiteralGate::literal_ends_at`]), in
    /// text order: every place in the text when `first_change` is `None`, else those before it.
    pub gate_hits: Vec<usize>,
}

impl Converter {
    /// The [`ScanTable`] of the change filter's characters together with `gate`'s (for
    /// [`Converter::scan_with_gate`]).
    pub(crate) fn table_with_gate(&self, gate: &LiteralGate) -> ScanTable {
        let mut union = *self.filter.either.bmp;
        for (u, e) in union.iter_mut().zip(gate.ends()) {
            *u |= e;
        }
        ScanTable::new(&union)
    }

    /// One scan of `text` for the change filter and for a chrome set's literal gate at once
    /// (`table`: [`Converter::table_with_gate`] of `gate`): the conversion needs the first
    /// changing key, extraction the places where the gate's literals occur (then a line of the
    /// text reads its gate answer off them instead of being scanned again). The scan stops at
    /// the first change: a text that changes is converted, and its lines are gated one by one.
    pub(crate) fn scan_with_gate(
        &self,
        text: &str,
        gate: &LiteralGate,
        table: &ScanTable,
    ) -> ScanWithGate {
        let bytes = text.as_bytes();
        let mut gate_hits = Vec::new();
        let mut i = 0;
        loop {
            i = skip_outside(table, bytes, i);
            let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
                return ScanWithGate {
                    first_change: None,
                    gate_hits,
                };
            };
            if self.filter.either.contains(c) && self.filter.changes_at(text, i) {
                return ScanWithGate {
                    first_change: Some(i),
                    gate_hits,
                };
            }
            if gate.may_end_with(c) && gate.literal_ends_at(text, i) {
                gate_hits.push(i);
            }
            i += c.len_utf8();
        }
    }
}

/// Bits of the table of phrase beginnings in [`ChangeFilter`].
const PAIR_BITS: u32 = 16;

/// Where a pair of consecutive characters falls in [`ChangeFilter::phrase_pairs`].
fn pair_slot(a: char, b: char) -> usize {
    let h = ((a as u32).wrapping_mul(0x9E37_79B1) ^ b as u32).wrapping_mul(0x85EB_CA6B);
    (h >> (32 - PAIR_BITS)) as usize
}

/// A loaded converter: the embedded OpenCC dictionaries and the override table. Immutable and
/// `Sync`; built once per stage.
pub struct Converter {
    opencc: OpenCC,
    config: OpenccConfig,
    overrides: Overrides,
    filter: ChangeFilter,
}

impl std::fmt::Debug for Converter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter")
            .field("config", &self.config.name())
            .field("overrides", &self.overrides.replacements.len())
            .finish()
    }
}

/// What converting one text found.
#[derive(Debug, Clone, PartialEq)]
pub struct Conversion {
    /// The converted text.
    pub text: String,
    /// Han characters in the input; counted only when the conversion changed something
    /// (0 otherwise, where the share is 0 whatever the count).
    pub han_chars: usize,
    /// Characters that differ between input and output.
    pub changed: usize,
}

impl Conversion {
    /// Share of Han characters that the conversion changed (0 when there are none).
    pub fn changed_share(&self) -> f64 {
        if self.han_chars == 0 {
            0.0
        } else {
            self.changed as f64 / self.han_chars as f64
        }
    }
}

impl Converter {
    /// Loads the embedded dictionaries of `config` (only the tables conversion to simplified
    /// reads, see `to_simplified_dictionary`) and the built-in override table.
    ///
    /// Sequential conversion (`set_parallel(false)`): the driver already runs documents in
    /// parallel. An error means the embedded data is broken (a defect of the build).
    pub fn new(config: OpenccConfig) -> Result<Self, String> {
        let dictionary = to_simplified_dictionary()?;
        let filter = ChangeFilter::new(&config.dictionaries(&dictionary));
        let mut opencc = OpenCC::from_dictionary(dictionary);
        opencc.set_parallel(false);
        // `OpenCC::new` falls back to empty dictionaries instead of failing: probe them.
        let probe = opencc.convert_with_config("漢字轉換", config.fmmseg(), false);
        if probe != "汉字转换" {
            return Err(format!(
                "opencc-fmmseg dictionaries did not load ({}): probe gave {probe:?}",
                OpenCC::get_last_error().unwrap_or_default()
            ));
        }
        Ok(Converter {
            opencc,
            config,
            overrides: Overrides::parse(BUILTIN_OVERRIDES)?,
            filter,
        })
    }

    /// Converts `text` (phrase-aware, overrides applied) and counts what changed.
    pub fn convert(&self, text: &str) -> Conversion {
        self.convert_if_changed(text).unwrap_or_else(|| Conversion {
            text: text.to_string(),
            han_chars: 0,
            changed: 0,
        })
    }

    /// [`Converter::convert`] for a text that changes; `None` when the conversion gives `text`
    /// back unchanged (then nothing is copied: most documents are simplified already).
    pub fn convert_if_changed(&self, text: &str) -> Option<Conversion> {
        self.conversion_of(text, self.convert_text(text, None)?)
    }

    /// [`Converter::convert_if_changed`] of a text already scanned by
    /// [`Converter::scan_with_gate`] (its first changing key known).
    pub(crate) fn convert_if_changed_scanned(
        &self,
        text: &str,
        scan: &ScanWithGate,
    ) -> Option<Conversion> {
        self.conversion_of(text, self.convert_text(text, Some(scan.first_change))?)
    }

    /// What converting `text` into `converted` changed (`None`: nothing).
    fn conversion_of(&self, text: &str, converted: String) -> Option<Conversion> {
        if converted == text {
            return None;
        }
        // Han characters are only counted for a text that changed: the share is 0 otherwise
        let changed = text
            .chars()
            .zip(converted.chars())
            .filter(|(a, b)| a != b)
            .count()
            + text.chars().count().abs_diff(converted.chars().count());
        Some(Conversion {
            text: converted,
            han_chars: han_count(text),
            changed,
        })
    }

    /// OpenCC's conversion of `text`, running OpenCC only on the lines it can change (runs of
    /// such lines at once); `None` when no line can change (the text is its own conversion).
    fn convert_plain(&self, text: &str) -> Option<String> {
        let hit = self.filter.first_change(text)?;
        Some(self.convert_plain_from(text, hit))
    }

    /// [`Converter::convert_plain`] of a text whose first changing key is at byte `hit`.
    fn convert_plain_from(&self, text: &str, hit: usize) -> String {
        let opencc = |s: &str| {
            self.opencc
                .convert_with_config(s, self.config.fmmseg(), false)
        };
        if !self.filter.line_by_line {
            return opencc(text);
        }
        // The lines before the first one that can change are copied as they are. That line is
        // found by one scan of the whole text (most texts hold no changing key at all): no key
        // holds a line break, so a key occurs in the text where it occurs in one of its lines.
        let first = text
            .get(..hit)
            .and_then(|before| before.rfind('\n'))
            .map_or(0, |i| i + 1);
        let mut out = String::with_capacity(text.len());
        out.push_str(text.get(..first).unwrap_or(""));
        let text_from = text.get(first..).unwrap_or("");
        // byte range (in `text`) of the pending run of lines to convert
        let mut run: Option<(usize, usize)> = None;
        let mut start = first;
        for line in text_from.split_inclusive('\n') {
            let end = start + line.len();
            if self.filter.may_change(line) {
                run = Some((run.map_or(start, |(s, _)| s), end));
            } else {
                if let Some((s, e)) = run.take() {
                    out.push_str(&opencc(text.get(s..e).unwrap_or("")));
                }
                out.push_str(line);
            }
            start = end;
        }
        if let Some((s, e)) = run {
            out.push_str(&opencc(text.get(s..e).unwrap_or("")));
        }
        out
    }

    /// The converted text: the pieces between override phrases go through OpenCC, each
    /// override phrase becomes its replacement. `None` when the text is certainly its own
    /// conversion (no override phrase, no line that can change).
    /// `first_change`: where the first changing key of the whole text is, when a scan found
    /// it already (`Some(None)`: there is none).
    fn convert_text(&self, text: &str, first_change: Option<Option<usize>>) -> Option<String> {
        let whole = |text: &str| match first_change {
            Some(hit) => hit.map(|hit| self.convert_plain_from(text, hit)),
            None => self.convert_plain(text),
        };
        let Some(matcher) = &self.overrides.matcher else {
            return whole(text);
        };
        let plain = |s: &str| self.convert_plain(s).unwrap_or_else(|| s.to_string());
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in matcher.find_iter(text) {
            // Match offsets are byte offsets on char boundaries given by the matcher.
            if let Some(gap) = text.get(last..m.start()) {
                if !gap.is_empty() {
                    out.push_str(&plain(gap));
                }
            }
            if let Some(r) = self.overrides.replacements.get(m.pattern().as_usize()) {
                out.push_str(r);
            }
            last = m.end();
        }
        if last == 0 {
            return whole(text);
        }
        if let Some(rest) = text.get(last..) {
            if !rest.is_empty() {
                out.push_str(&plain(rest));
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_sync<T: Sync + Send>() {}

    #[test]
    fn converter_is_sync() {
        assert_sync::<Converter>();
    }

    #[test]
    fn converts_phrase_aware_and_counts() {
        let c = Converter::new(OpenccConfig::T2s).expect("embedded dictionaries load");
        let r = c.convert("棗莊市委書記出席並講話，頭髮");
        assert_eq!(r.text, "枣庄市委书记出席并讲话，头发");
        assert!(r.changed_share() > 0.4);
        let s = c.convert("枣庄市委书记出席并讲话");
        assert_eq!(s.changed, 0);
    }

    /// The full dictionary of opencc-fmmseg (what the converter loaded before).
    static FULL: std::sync::LazyLock<DictionaryMaxlength> =
        std::sync::LazyLock::new(|| DictionaryMaxlength::new().expect("loads"));

    #[test]
    fn the_embedded_tables_are_opencc_fmmsegs_tables() {
        let ours = to_simplified_dictionary().expect("loads");
        let full = &*FULL;
        let pairs = [
            (&ours.ts_phrases, &full.ts_phrases),
            (&ours.ts_characters, &full.ts_characters),
            (&ours.ts_punctuations, &full.ts_punctuations),
            (&ours.tw_phrases_rev, &full.tw_phrases_rev),
            (&ours.tw_variants_rev, &full.tw_variants_rev),
            (&ours.tw_variants_rev_phrases, &full.tw_variants_rev_phrases),
            (&ours.hk_phrases_rev, &full.hk_phrases_rev),
            (&ours.hk_variants_rev, &full.hk_variants_rev),
            (&ours.hk_variants_rev_phrases, &full.hk_variants_rev_phrases),
        ];
        for (a, b) in pairs {
            assert!(!b.is_empty());
            assert_eq!(a.len(), b.len());
            assert_eq!(a.max_key_len(), b.max_key_len());
            assert_eq!(a.min_key_len(), b.min_key_len());
            for (k, v) in b.iter() {
                assert_eq!(a.get(k), Some(v), "{k:?}");
            }
        }
    }

    #[test]
    fn the_reduced_dictionary_converts_like_the_full_one() {
        // traditional text of every kind the tables know: the keys of every table, and the
        // traditional side of the simplified → traditional tables
        let full = &*FULL;
        let mut words: Vec<String> = Vec::new();
        for table in [
            &full.ts_phrases,
            &full.ts_characters,
            &full.tw_phrases_rev,
            &full.tw_variants_rev,
            &full.tw_variants_rev_phrases,
            &full.hk_phrases_rev,
            &full.hk_variants_rev,
            &full.hk_variants_rev_phrases,
        ] {
            words.extend(table.iter().map(|(k, _)| k.iter().collect::<String>()));
        }
        for table in [
            &full.st_phrases,
            &full.st_characters,
            &full.tw_phrases,
            &full.hk_phrases,
        ] {
            words.extend(table.iter().map(|(_, v)| v.to_string()));
        }
        words.sort();
        let texts: Vec<String> = words
            .chunks(40)
            .enumerate()
            .map(|(i, c)| c.join(if i % 2 == 0 { "" } else { "，" }))
            .collect();
        let mut full_opencc = OpenCC::from_dictionary(DictionaryMaxlength::new().expect("loads"));
        full_opencc.set_parallel(false);
        let mut ours = OpenCC::from_dictionary(to_simplified_dictionary().expect("loads"));
        ours.set_parallel(false);
        for config in [
            OpenccConfig::T2s,
            OpenccConfig::Tw2s,
            OpenccConfig::Hk2s,
            OpenccConfig::Tw2sp,
        ] {
            for text in &texts {
                for punctuation in [false, true] {
                    assert_eq!(
                        ours.convert_with_config(text, config.fmmseg(), punctuation),
                        full_opencc.convert_with_config(text, config.fmmseg(), punctuation),
                        "{config:?}: {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_configuration_loads() {
        for config in [
            OpenccConfig::T2s,
            OpenccConfig::Tw2s,
            OpenccConfig::Hk2s,
            OpenccConfig::Tw2sp,
        ] {
            let c = Converter::new(config).expect("embedded dictionaries load");
            assert_eq!(c.convert("國務院辦公廳").text, "国务院办公厅");
        }
        let tw = Converter::new(OpenccConfig::Tw2sp).expect("loads");
        assert_eq!(tw.convert("軟體").text, "软件");
    }

    #[test]
    fn overrides_keep_valid_simplified_forms_and_convert_around_them() {
        let c = Converter::new(OpenccConfig::Tw2s).expect("loads");
        // 甚么 is already simplified: kept; the traditional 甚麼 still converts normally.
        let r = c.convert("這是甚么意思，說甚麼都行");
        assert_eq!(r.text, "这是甚么意思，说什么都行");
    }

    #[test]
    fn override_table_parses_and_rejects_malformed_lines() {
        assert!(Overrides::parse(BUILTIN_OVERRIDES).is_ok());
        let err = Overrides::parse("# comment\n甚么\t甚么\nno tab here\n").err();
        assert!(err.is_some_and(|e| e.contains("[3]")));
        assert!(Overrides::parse("").is_ok_and(|o| o.matcher.is_none()));
    }

    /// The pre-check never skips text that OpenCC would change: every dictionary key (of every
    /// dictionary, not only the configuration's) and every BMP character the filter lets pass
    /// converts to itself.
    #[test]
    fn change_filter_matches_a_char_by_char_reference() {
        let c = Converter::new(OpenccConfig::T2s).expect("loads");
        let f = &c.filter;
        let reference = |text: &str| {
            text.char_indices().any(|(i, ch)| {
                let rest = text.get(i..).unwrap_or("");
                f.single.contains(ch)
                    || f.phrases
                        .values()
                        .flatten()
                        .any(|k| rest.starts_with(k.as_str()))
            })
        };
        // phrase keys, their pieces, characters that begin many phrases, changing and
        // unchanging characters of every UTF-8 width
        let mut pieces: Vec<String> = f.phrases.values().flatten().take(300).cloned().collect();
        let halves: Vec<String> = pieces
            .iter()
            .filter_map(|k| k.chars().next().map(String::from))
            .collect();
        pieces.extend(halves);
        pieces.extend(
            [
                "一", "新", "重", "抱", "口", "漢", "字", "的", "a", " ", "\n", "é", "𠀀", "，",
                "藉",
            ]
            .map(String::from),
        );
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let strategy = proptest::collection::vec(proptest::sample::select(pieces), 0..12)
            .prop_map(|v| v.concat());
        runner
            .run(&strategy, |text| {
                proptest::prop_assert_eq!(f.may_change(&text), reference(&text), "{:?}", text);
                Ok(())
            })
            .expect("may_change agrees with the reference");
    }

    #[test]
    fn change_filter_never_skips_a_change() {
        let d = DictionaryMaxlength::new().expect("loads");
        let mut keys: Vec<String> = [
            &d.st_characters,
            &d.st_phrases,
            &d.ts_characters,
            &d.ts_phrases,
            &d.tw_phrases,
            &d.tw_phrases_rev,
            &d.hk_phrases,
            &d.hk_phrases_rev,
            &d.tw_variants,
            &d.tw_variants_phrases,
            &d.tw_variants_rev,
            &d.tw_variants_rev_phrases,
            &d.hk_variants,
            &d.hk_variants_phrases,
            &d.hk_variants_rev,
            &d.hk_variants_rev_phrases,
        ]
        .iter()
        .flat_map(|dict| dict.iter().map(|(k, _)| k.iter().collect::<String>()))
        .collect();
        keys.extend(
            (0x2E80u32..0x10000)
                .chain(0x20000..0x20100)
                .filter_map(char::from_u32)
                .map(String::from),
        );
        for config in [
            OpenccConfig::T2s,
            OpenccConfig::Tw2s,
            OpenccConfig::Hk2s,
            OpenccConfig::Tw2sp,
        ] {
            let c = Converter::new(config).expect("loads");
            let mut passed = 0;
            for k in &keys {
                for text in [k.clone(), format!("在{k}中")] {
                    if !c.filter.may_change(&text) {
                        passed += 1;
                        let out = c.opencc.convert_with_config(&text, config.fmmseg(), false);
                        assert_eq!(out, text, "{} changes {text:?}", config.name());
                    }
                }
            }
            assert!(
                passed > 20_000,
                "the filter lets almost nothing pass: {passed}"
            );
        }
    }

    #[test]
    fn line_by_line_conversion_equals_whole_text_conversion() {
        let c = Converter::new(OpenccConfig::T2s).expect("loads");
        assert!(c.filter.line_by_line);
        let text =
            "简体第一行，没有繁体字。\n這是繁體的第二行\n\n第四行又是简体\n藉口与借口\n新抱\n最后";
        let whole = c
            .opencc
            .convert_with_config(text, OpenccConfig::T2s.fmmseg(), false);
        assert_eq!(c.convert_plain(text).as_deref(), Some(whole.as_str()));
        assert_eq!(c.convert(text).text, whole);
        // text that cannot change is not copied, and its conversion is itself
        let simplified = "简体第一行，没有繁体字。\n第二行\n";
        assert_eq!(c.convert_plain(simplified), None);
        assert_eq!(c.convert_if_changed(simplified), None);
        assert_eq!(c.convert(simplified).text, simplified);
        // the lines before the first changing one are copied as they are
        let later = "简体第一行\n第二行\n這是繁體";
        assert_eq!(
            c.convert_plain(later).as_deref(),
            Some(
                c.opencc
                    .convert_with_config(later, OpenccConfig::T2s.fmmseg(), false)
                    .as_str()
            )
        );
        assert!(c.filter.may_change("找藉口") && c.filter.may_change("新抱"));
        assert!(!c.filter.may_change("创新是第一动力，什么也挡不住"));
        // the first change of a whole text lies in the first line that can change: a phrase
        // split by a line break is no phrase, the line before it is copied
        assert_eq!(c.filter.first_change("找藉\n口"), None);
        let split = "新\n抱一\n找藉口";
        assert!(c.filter.first_change(split) >= Some("新\n抱一\n".len()));
        for text in [split, "找藉口\n甲", "甲\n乙\n丙找藉口", "新抱\n"] {
            let first_line = text
                .split_inclusive('\n')
                .scan(0, |start, line| {
                    let at = *start;
                    *start += line.len();
                    Some((at, line))
                })
                .find(|(_, line)| c.filter.may_change(line))
                .map(|(at, _)| at);
            let hit = c.filter.first_change(text).expect("a change");
            let line_start = text
                .get(..hit)
                .and_then(|b| b.rfind('\n'))
                .map_or(0, |i| i + 1);
            assert_eq!(Some(line_start), first_line, "{text:?}");
            let whole = c
                .opencc
                .convert_with_config(text, OpenccConfig::T2s.fmmseg(), false);
            assert_eq!(
                c.convert_plain(text).as_deref(),
                Some(whole.as_str()),
                "{text:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn the_scan_with_a_gate_finds_the_first_change_and_every_literal(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "版权", "所有", "版权所有", "©", "开通", "VIP", "漢", "藉口", "新抱", "中文",
                    "\n", " ", "a", "。", "𝟙",
                ]),
                0..30,
            )
        ) {
            static CONVERTER: std::sync::LazyLock<Converter> = std::sync::LazyLock::new(|| {
                Converter::new(OpenccConfig::T2s).expect("loads")
            });
            let gate = LiteralGate::new(&["版权所有", "©", "开通\\s*VIP"]).expect("a gate");
            let table = CONVERTER.table_with_gate(&gate);
            let text: String = pieces.concat();
            let scan = CONVERTER.scan_with_gate(&text, &gate, &table);
            prop_assert_eq!(scan.first_change, CONVERTER.filter.first_change(&text));
            // every hit is a literal's end, in text order, before the first change
            for (k, &at) in scan.gate_hits.iter().enumerate() {
                prop_assert!(gate.literal_ends_at(&text, at));
                prop_assert!(scan.first_change.is_none_or(|c| at < c));
                prop_assert!(k == 0 || scan.gate_hits[k - 1] < at);
            }
            // a whole scan gives every line its gate's answer (or a "may match" more)
            if scan.first_change.is_none() {
                let mut start = 0;
                for line in text.split('\n') {
                    let end = start + line.len();
                    if gate.may_match(line) {
                        prop_assert!(scan.gate_hits.iter().any(|&at| at >= start && at < end));
                    }
                    start = end + 1;
                }
            }
        }
    }

    #[test]
    fn odd_input_does_not_panic() {
        let c = Converter::new(OpenccConfig::Hk2s).expect("loads");
        for s in ["", "\u{0}", "⿰氵漢", "𠀀𪚥甚么甚么", "a\u{301}甚", "甚么"] {
            let _ = c.convert(s);
        }
    }
}
