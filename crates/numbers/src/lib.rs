//! Numbers: a grammar of Chinese and Arabic number expressions, normalised for analysis.
//!
//! Input: one sentence of clean text. Output: its [`NumberMention`]s — `423亿元` → money
//! 42300000000 元, `近6个百分点` → percent_point 6 (qualifier 近), `1-5月份` → period 1..5,
//! `2023年2月28日` → date 2023-02-28, `X亿元` → money, value null, redacted — each with the
//! indicator it measures (`subject`) when the clause names one.
//!
//! Units, qualifiers, idioms and context cues are data (`data/numbers/*`, embedded; config
//! may add files). The pieces are public: [`parse_numeral`] reads a Chinese numeral in the
//! strict/normal/smart modes of cn2an, [`parse_money`] reads an amount of money with its
//! currency.
//!
//! This crate does not split text into sentences, assign sentence or section ids, or shift
//! spans to document offsets (segment does), and it never reads files at extraction time.

mod decimal;
mod extract;
mod money;
mod numeral;
mod tables;

use std::path::{Path, PathBuf};

use gongwen_model::{ConfigProblem, NumberMention};
use serde::Deserialize;

pub use decimal::Decimal;
pub use money::{parse_money, Money, MoneyAmount, MoneyDefinition, MoneyError};
pub use numeral::{parse_numeral, parse_numeral_exact, NumeralError, NumeralMode};
pub use tables::TableProblem;

use tables::Tables;

/// `[numbers]` section of pipeline.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumbersConfig {
    /// Extra unit tables (TSV: unit, kind, base unit, factor, flags), added to and
    /// overriding the built-in `data/numbers/units.tsv`. Default: none (`[]`).
    #[serde(default)]
    pub extra_units: Vec<PathBuf>,
    /// Extra idiom / set-phrase lists (one per line) whose numerals are not numbers, added
    /// to the built-in `data/numbers/not_numbers.txt`. Default: none (`[]`).
    #[serde(default)]
    pub extra_not_numbers: Vec<PathBuf>,
    /// Fill `subject` (the indicator a number measures). Default: `true`.
    #[serde(default = "default_subjects")]
    pub subjects: bool,
    /// Longest subject kept, in characters; longer candidates give no subject. Default: `16`.
    #[serde(default = "default_max_subject_chars")]
    pub max_subject_chars: usize,
}

fn default_subjects() -> bool {
    true
}

fn default_max_subject_chars() -> usize {
    16
}

impl Default for NumbersConfig {
    fn default() -> Self {
        NumbersConfig {
            extra_units: Vec::new(),
            extra_not_numbers: Vec::new(),
            subjects: default_subjects(),
            max_subject_chars: default_max_subject_chars(),
        }
    }
}

impl NumbersConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, base_dir: &Path) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        for (i, p) in self.extra_units.iter().enumerate() {
            let path = base_dir.join(p);
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    let mut t = Tables::default();
                    for tp in t.add_units(&text) {
                        problems.push(ConfigProblem::new(
                            format!("numbers.extra_units[{i}]"),
                            format!("{}: line {}: {}", path.display(), tp.line, tp.message),
                        ));
                    }
                }
                Err(e) => problems.push(ConfigProblem::new(
                    format!("numbers.extra_units[{i}]"),
                    format!("cannot read {:?}: {e}", path.display().to_string()),
                )),
            }
        }
        for (i, p) in self.extra_not_numbers.iter().enumerate() {
            let path = base_dir.join(p);
            if let Err(e) = std::fs::read_to_string(&path) {
                problems.push(ConfigProblem::new(
                    format!("numbers.extra_not_numbers[{i}]"),
                    format!("cannot read {:?}: {e}", path.display().to_string()),
                ));
            }
        }
        if self.max_subject_chars == 0 {
            problems.push(ConfigProblem::new(
                "numbers.max_subject_chars",
                "must be at least 1, got 0",
            ));
        }
        problems
    }
}

/// Errors building the number extractor.
#[derive(Debug, thiserror::Error)]
pub enum NumbersError {
    /// The config is invalid.
    #[error("invalid [numbers] config: {0:?}")]
    Config(Vec<ConfigProblem>),
    /// A built-in table is malformed (a bug in `data/numbers/`).
    #[error("built-in number table: line {}: {}", .0.line, .0.message)]
    Builtin(TableProblem),
}

/// The built number extractor: tables loaded once, immutable, shareable across threads.
#[derive(Debug)]
pub struct NumberExtractor {
    tables: Tables,
    subjects: bool,
    max_subject_chars: usize,
}

impl NumberExtractor {
    /// Validates the config and loads the unit tables.
    pub fn build(config: &NumbersConfig, base_dir: &Path) -> Result<NumberExtractor, NumbersError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(NumbersError::Config(problems));
        }
        let (mut tables, builtin_problems) = Tables::builtin();
        if let Some(p) = builtin_problems.into_iter().next() {
            return Err(NumbersError::Builtin(p));
        }
        let mut problems = Vec::new();
        for (i, p) in config.extra_units.iter().enumerate() {
            match std::fs::read_to_string(base_dir.join(p)) {
                Ok(text) => {
                    tables.add_units(&text);
                }
                Err(e) => problems.push(ConfigProblem::new(
                    format!("numbers.extra_units[{i}]"),
                    e.to_string(),
                )),
            }
        }
        for (i, p) in config.extra_not_numbers.iter().enumerate() {
            match std::fs::read_to_string(base_dir.join(p)) {
                Ok(text) => tables.add_not_numbers(&text),
                Err(e) => problems.push(ConfigProblem::new(
                    format!("numbers.extra_not_numbers[{i}]"),
                    e.to_string(),
                )),
            }
        }
        if !problems.is_empty() {
            return Err(NumbersError::Config(problems));
        }
        Ok(NumberExtractor {
            tables,
            subjects: config.subjects,
            max_subject_chars: config.max_subject_chars,
        })
    }

    /// An extractor with the built-in tables and default settings.
    pub fn builtin() -> Result<NumberExtractor, NumbersError> {
        NumberExtractor::build(&NumbersConfig::default(), Path::new("."))
    }

    /// Every number mention in `sentence`. Spans are relative to `sentence`; `sent_idx` is 0
    /// and `section_id` is `None` (segment fills both and shifts the spans).
    pub fn extract(&self, sentence: &str) -> Vec<NumberMention> {
        let candidates = extract::CandidateChars::get();
        if !sentence.chars().any(|c| candidates.contains(c)) {
            return Vec::new();
        }
        let chars: Vec<char> = sentence.chars().collect();
        self.extract_chars(&chars)
    }

    /// [`NumberExtractor::extract`] for a sentence already decoded into characters (spans
    /// are character offsets into `sentence` either way).
    pub fn extract_chars(&self, sentence: &[char]) -> Vec<NumberMention> {
        // The scan starts at the first candidate character (none: no mention).
        let Some(first) = extract::CandidateChars::get().next_in(sentence, 0) else {
            return Vec::new();
        };
        let s = extract::Sentence::new(sentence);
        self.tables
            .scan(&s, first, self.subjects, self.max_subject_chars)
    }
}
