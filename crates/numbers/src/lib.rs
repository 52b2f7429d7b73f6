//! Numbers: a grammar of Chinese and Arabic number expressions, normalised for analysis.
//!
//! STUB — the numbers issue replaces this with the real grammar.

use std::path::Path;

use gongwen_model::{ConfigProblem, NumberMention};
use serde::Deserialize;

/// `[numbers]` section of pipeline.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumbersConfig {}

impl NumbersConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, _base_dir: &Path) -> Vec<ConfigProblem> {
        Vec::new()
    }
}

/// Errors building the number extractor.
#[derive(Debug, thiserror::Error)]
pub enum NumbersError {
    /// The config is invalid.
    #[error("invalid [numbers] config: {0:?}")]
    Config(Vec<ConfigProblem>),
}

/// The built number extractor.
#[derive(Debug)]
pub struct NumberExtractor {}

impl NumberExtractor {
    /// Validates the config and loads the unit tables.
    pub fn build(config: &NumbersConfig, base_dir: &Path) -> Result<NumberExtractor, NumbersError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(NumbersError::Config(problems));
        }
        Ok(NumberExtractor {})
    }

    /// Every number mention in `sentence`. Spans are relative to `sentence`; `sent_idx` is 0
    /// and `section_id` is `None` (segment fills both and shifts the spans).
    pub fn extract(&self, _sentence: &str) -> Vec<NumberMention> {
        Vec::new()
    }
}
