//! Entities: people with titles, places, organisations and quoted slogans.
//!
//! STUB — the entities issue replaces this with the real recogniser.

use std::path::Path;

use gongwen_model::{ConfigProblem, Entity, Token};
use serde::Deserialize;

/// `[entities]` section of pipeline.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitiesConfig {}

impl EntitiesConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, _base_dir: &Path) -> Vec<ConfigProblem> {
        Vec::new()
    }
}

/// Errors building the recogniser.
#[derive(Debug, thiserror::Error)]
pub enum EntitiesError {
    /// The config is invalid.
    #[error("invalid [entities] config: {0:?}")]
    Config(Vec<ConfigProblem>),
}

/// One sentence as the recogniser sees it.
#[derive(Debug, Clone, Copy)]
pub struct SentenceView<'a> {
    /// The sentence's index in the document.
    pub sent_idx: usize,
    /// Character offset of the sentence in the document's clean text.
    pub start: usize,
    /// The sentence text.
    pub text: &'a str,
    /// Its tokens, with spans relative to the document (like `start`).
    pub tokens: &'a [Token],
}

/// A word the tokenizer should keep whole (gazetteer names, titles), with an optional POS tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictWord {
    /// The word.
    pub word: String,
    /// jieba POS tag to give it (`ns`, `nt`, `nr`…), if any.
    pub pos: Option<String>,
}

/// The built recogniser.
#[derive(Debug)]
pub struct EntityRecognizer {}

impl EntityRecognizer {
    /// Validates the config and loads gazetteers and title lists.
    pub fn build(config: &EntitiesConfig, base_dir: &Path) -> Result<EntityRecognizer, EntitiesError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(EntitiesError::Config(problems));
        }
        Ok(EntityRecognizer {})
    }

    /// Words the tokenizer should add to its dictionary so names are not cut.
    pub fn dictionary_words(&self) -> Vec<DictWord> {
        Vec::new()
    }

    /// Every entity mention in a document's sentences, in order. Spans are relative to the
    /// document; `section_id` is `None` (segment fills it).
    pub fn recognize(&self, _sentences: &[SentenceView<'_>]) -> Vec<Entity> {
        Vec::new()
    }
}
