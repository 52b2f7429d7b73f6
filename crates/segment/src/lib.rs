//! Segment: paragraphs, sections, sentences, tokens, numbers and entities of a clean document
//! ([`CleanDoc`] → [`SegmentedDoc`]).
//!
//! STUB — the segment issue replaces this with the real section, sentence and token logic.

use std::path::Path;

use gongwen_entities::{EntitiesConfig, EntityRecognizer};
use gongwen_model::{CleanDoc, ConfigProblem, Paragraph, SegmentedDoc, Sentence, Span};
use gongwen_numbers::{NumberExtractor, NumbersConfig};
use serde::Deserialize;

/// `[segment]` section of pipeline.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentConfig {}

impl SegmentConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, _base_dir: &Path) -> Vec<ConfigProblem> {
        Vec::new()
    }
}

/// Errors building the segment stage.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The config is invalid.
    #[error("invalid [segment] config: {0:?}")]
    Config(Vec<ConfigProblem>),
    /// The number extractor could not be built.
    #[error(transparent)]
    Numbers(#[from] gongwen_numbers::NumbersError),
    /// The entity recogniser could not be built.
    #[error(transparent)]
    Entities(#[from] gongwen_entities::EntitiesError),
}

/// The built segment stage.
#[derive(Debug)]
pub struct Segmenter {
    #[allow(dead_code)]
    numbers: NumberExtractor,
    #[allow(dead_code)]
    entities: EntityRecognizer,
}

impl Segmenter {
    /// Validates the configs and loads dictionaries.
    pub fn build(
        config: &SegmentConfig,
        numbers: &NumbersConfig,
        entities: &EntitiesConfig,
        base_dir: &Path,
    ) -> Result<Segmenter, SegmentError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(SegmentError::Config(problems));
        }
        Ok(Segmenter {
            numbers: NumberExtractor::build(numbers, base_dir)?,
            entities: EntityRecognizer::build(entities, base_dir)?,
        })
    }

    /// Segments one document.
    pub fn segment(&self, doc: CleanDoc) -> SegmentedDoc {
        let mut paragraphs = Vec::new();
        let mut sentences = Vec::new();
        let mut start = 0;
        for (i, p) in doc.paragraphs.iter().enumerate() {
            let n = p.chars().count();
            let span = Span::new(start, start + n);
            paragraphs.push(Paragraph { para_idx: i, section_id: None, span, text: p.clone() });
            sentences.push(Sentence { sent_idx: i, para_idx: i, section_id: None, span, text: p.clone() });
            start += n + 1;
        }
        SegmentedDoc { doc, paragraphs, sentences, ..Default::default() }
    }
}
