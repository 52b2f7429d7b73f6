//! Tabulate: turns segmented documents into tables and writes them as Parquet and CSV.
//!
//! STUB — the end-to-end issue replaces this with the polars writers.

use gongwen_model::DocOutcome;
use serde::Deserialize;

/// `[output]` section of pipeline.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {}

/// Errors writing tables.
#[derive(Debug, thiserror::Error)]
pub enum TabulateError {
    /// An I/O error.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

/// Number of rows of a finished table set.
pub fn count(outcomes: &[DocOutcome]) -> usize {
    outcomes.len()
}
