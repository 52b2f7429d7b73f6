//! gongwen's driver: loads `pipeline.toml`, runs the stages over a corpus and writes the
//! tables. The `gongwen` binary (`main.rs`) is a thin command-line layer over this library,
//! so tests can run the pipeline directly.
//!
//! ```text
//! config::load ──► run::run: Stages::build ─► discover ─► plan (order by doc_id, duplicates,
//!                  shard, incremental skip) ─► chunks of documents in parallel (rayon)
//!                  ─► TableWriter in doc_id order ─► keywords ─► staging ─► rename into place
//!                  ─► state + cache + manifest.json
//! ```
//!
//! The driver does no text processing itself: every rule lives in a stage crate. It owns
//! ordering, parallelism, failure accounting (a failing or panicking document becomes an
//! error row, the batch goes on), incremental state, sharding, locking and the manifest.

pub mod bench;
pub mod config;
pub mod lock;
pub mod logger;
pub mod manifest;
pub mod merge;
pub mod run;
pub mod state;

pub use config::{load, LoadedConfig, Overrides, PipelineConfig};
pub use manifest::Manifest;
pub use run::{
    run, RunError, RunOptions, RunReport, Shard, EXIT_CONFIG, EXIT_FAILED_FILES, EXIT_OK,
};
