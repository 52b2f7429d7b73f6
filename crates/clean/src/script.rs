//! Script detection and traditional → simplified conversion with `opencc-fmmseg` (a pure-Rust,
//! MIT port of OpenCC: the current OpenCC phrase and character dictionaries, embedded, converted
//! by forward maximum matching), plus a small table of overrides
//! (`data/clean/t2s_overrides.tsv`).

use aho_corasick::{AhoCorasick, MatchKind};
use opencc_fmmseg::OpenCC;
use serde::Deserialize;

use crate::text::is_han;

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

/// A loaded converter: the embedded OpenCC dictionaries and the override table. Immutable and
/// `Sync`; built once per stage.
pub struct Converter {
    opencc: OpenCC,
    config: OpenccConfig,
    overrides: Overrides,
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
    /// Han characters in the input.
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
    /// Loads the embedded dictionaries of `config` and the built-in override table.
    ///
    /// Sequential conversion (`set_parallel(false)`): the driver already runs documents in
    /// parallel. An error means the embedded data is broken (a defect of the build).
    pub fn new(config: OpenccConfig) -> Result<Self, String> {
        let mut opencc = OpenCC::new();
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
        })
    }

    /// Converts `text` (phrase-aware, overrides applied) and counts what changed.
    pub fn convert(&self, text: &str) -> Conversion {
        let converted = self.convert_text(text);
        let han_chars = text.chars().filter(|&c| is_han(c)).count();
        let changed = if converted == text {
            0
        } else {
            text.chars()
                .zip(converted.chars())
                .filter(|(a, b)| a != b)
                .count()
                + text.chars().count().abs_diff(converted.chars().count())
        };
        Conversion {
            text: converted,
            han_chars,
            changed,
        }
    }

    fn convert_plain(&self, text: &str) -> String {
        self.opencc
            .convert_with_config(text, self.config.fmmseg(), false)
    }

    /// The converted text: the pieces between override phrases go through OpenCC, each
    /// override phrase becomes its replacement.
    fn convert_text(&self, text: &str) -> String {
        let Some(matcher) = &self.overrides.matcher else {
            return self.convert_plain(text);
        };
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in matcher.find_iter(text) {
            // Match offsets are byte offsets on char boundaries given by the matcher.
            if let Some(gap) = text.get(last..m.start()) {
                if !gap.is_empty() {
                    out.push_str(&self.convert_plain(gap));
                }
            }
            if let Some(r) = self.overrides.replacements.get(m.pattern().as_usize()) {
                out.push_str(r);
            }
            last = m.end();
        }
        if last == 0 {
            return self.convert_plain(text);
        }
        if let Some(rest) = text.get(last..) {
            if !rest.is_empty() {
                out.push_str(&self.convert_plain(rest));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn odd_input_does_not_panic() {
        let c = Converter::new(OpenccConfig::Hk2s).expect("loads");
        for s in ["", "\u{0}", "⿰氵漢", "𠀀𪚥甚么甚么", "a\u{301}甚", "甚么"] {
            let _ = c.convert(s);
        }
    }
}
