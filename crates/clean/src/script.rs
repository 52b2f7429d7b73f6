//! Script detection and traditional → simplified conversion with `ferrous-opencc` (a pure-Rust,
//! Apache-2.0 port of OpenCC with its phrase dictionaries).

use ferrous_opencc::{config::BuiltinConfig, OpenCC};
use serde::Deserialize;

use crate::text::is_han;

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
    fn builtin(self) -> BuiltinConfig {
        match self {
            OpenccConfig::T2s => BuiltinConfig::T2s,
            OpenccConfig::Tw2s => BuiltinConfig::Tw2s,
            OpenccConfig::Hk2s => BuiltinConfig::Hk2s,
            OpenccConfig::Tw2sp => BuiltinConfig::Tw2sp,
        }
    }
}

/// A loaded converter.
pub struct Converter {
    opencc: OpenCC,
}

impl std::fmt::Debug for Converter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Converter").field("config", &self.opencc.name()).finish()
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
    /// Loads the embedded dictionaries of `config`.
    pub fn new(config: OpenccConfig) -> Result<Self, String> {
        let opencc = OpenCC::from_config(config.builtin()).map_err(|e| e.to_string())?;
        Ok(Converter { opencc })
    }

    /// Converts `text` (phrase-aware) and counts what changed.
    pub fn convert(&self, text: &str) -> Conversion {
        let converted = self.opencc.convert(text);
        let han_chars = text.chars().filter(|&c| is_han(c)).count();
        let mut changed = text.chars().zip(converted.chars()).filter(|(a, b)| a != b).count();
        changed += text.chars().count().abs_diff(converted.chars().count());
        Conversion { text: converted, han_chars, changed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_phrase_aware_and_counts() {
        let c = Converter::new(OpenccConfig::T2s).expect("embedded dictionaries load");
        let r = c.convert("棗莊市委書記出席並講話，頭髮");
        assert_eq!(r.text, "枣庄市委书记出席并讲话，头发");
        assert!(r.changed_share() > 0.4);
        let s = c.convert("枣庄市委书记出席并讲话");
        assert_eq!(s.changed, 0);
    }
}
