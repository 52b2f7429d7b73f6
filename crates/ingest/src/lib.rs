//! Ingest: finds input files and turns each into decoded text ([`RawDoc`]).
//!
//! STUB — the ingest issue replaces this with the real walker, sniffers and decoders.
//! The public API (config, [`Ingest::build`], [`Ingest::discover`], [`Ingest::read`]) is the
//! contract the driver relies on.

use std::path::{Path, PathBuf};

use gongwen_model::{ConfigProblem, Failure, FailureStatus, Format, InputFile, RawDoc, SourceInfo, Stage};
use serde::Deserialize;

/// `[ingest]` section of pipeline.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Input folders, relative to the config file's folder. Default: `["data/samples"]`.
    #[serde(default = "default_inputs")]
    pub inputs: Vec<PathBuf>,
}

fn default_inputs() -> Vec<PathBuf> {
    vec![PathBuf::from("data/samples")]
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig { inputs: default_inputs() }
    }
}

impl IngestConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, base_dir: &Path) -> Vec<ConfigProblem> {
        self.inputs
            .iter()
            .enumerate()
            .filter(|(_, p)| !base_dir.join(p).is_dir())
            .map(|(i, p)| ConfigProblem::new(format!("ingest.inputs[{i}]"), format!("input folder {:?} does not exist", p)))
            .collect()
    }
}

/// Errors building the ingest stage.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The config is invalid.
    #[error("invalid [ingest] config: {0:?}")]
    Config(Vec<ConfigProblem>),
}

/// The files found by [`Ingest::discover`], in sorted order, and those that could not be
/// looked at.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to read, sorted by path.
    pub files: Vec<InputFile>,
    /// Files or folders that could not even be listed or hashed.
    pub failures: Vec<Failure>,
}

/// The built ingest stage.
#[derive(Debug)]
pub struct Ingest {
    inputs: Vec<PathBuf>,
}

impl Ingest {
    /// Validates the config and resolves paths against `base_dir`.
    pub fn build(config: &IngestConfig, base_dir: &Path) -> Result<Ingest, IngestError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(IngestError::Config(problems));
        }
        Ok(Ingest { inputs: config.inputs.iter().map(|p| base_dir.join(p)).collect() })
    }

    /// Walks the input folders.
    pub fn discover(&self) -> Discovery {
        let mut d = Discovery::default();
        for root in &self.inputs {
            if let Ok(rd) = std::fs::read_dir(root) {
                for e in rd.flatten() {
                    let p = e.path();
                    if p.is_file() {
                        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                        d.files.push(InputFile { path: p.to_string_lossy().into_owned(), size });
                    }
                }
            }
        }
        d.files.sort_by(|a, b| a.path.cmp(&b.path));
        d
    }

    /// Reads one file into zero or more documents (an export yields one per record).
    pub fn read(&self, file: &InputFile) -> Vec<Result<RawDoc, Failure>> {
        let mut source = SourceInfo { source_path: file.path.clone(), n_bytes: file.size, ..Default::default() };
        match std::fs::read(&file.path) {
            Ok(bytes) => {
                source.doc_id = blake3::hash(&bytes).to_hex()[..16].to_string();
                source.format = Some(Format::Txt);
                source.encoding = Some("UTF-8".into());
                let text = String::from_utf8_lossy(&bytes).into_owned();
                vec![Ok(RawDoc { source, text, meta: Default::default() })]
            }
            Err(e) => vec![Err(Failure {
                source,
                stage: Stage::Ingest,
                status: FailureStatus::Error,
                message: format!("cannot read file: {e}"),
            })],
        }
    }
}
