//! Clean: keeps the author's text and fills the document's fields ([`RawDoc`] → [`CleanDoc`]).
//!
//! STUB — the clean issue replaces this with boilerplate removal, metadata, normalisation.

use std::path::Path;

use gongwen_model::{CleanDoc, ConfigProblem, Failure, FailureStatus, RawDoc, Stage};
use serde::Deserialize;

/// `[clean]` section of pipeline.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanConfig {}

impl CleanConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, _base_dir: &Path) -> Vec<ConfigProblem> {
        Vec::new()
    }
}

/// Errors building the clean stage.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// The config is invalid.
    #[error("invalid [clean] config: {0:?}")]
    Config(Vec<ConfigProblem>),
}

/// The built clean stage.
#[derive(Debug)]
pub struct Cleaner {}

impl Cleaner {
    /// Validates the config and loads rules.
    pub fn build(config: &CleanConfig, base_dir: &Path) -> Result<Cleaner, CleanError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(CleanError::Config(problems));
        }
        Ok(Cleaner {})
    }

    /// Cleans one document; a document with nothing left is a [`Failure`] with status empty.
    pub fn clean(&self, raw: RawDoc) -> Result<CleanDoc, Failure> {
        let paragraphs: Vec<String> =
            raw.text.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).collect();
        if paragraphs.is_empty() {
            return Err(Failure {
                source: raw.source,
                stage: Stage::Clean,
                status: FailureStatus::Empty,
                message: "no text left after cleaning".into(),
            });
        }
        Ok(CleanDoc { source: raw.source, paragraphs, original: raw.text, ..Default::default() })
    }
}
