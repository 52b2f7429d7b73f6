//! Incremental runs: the state file and the per-file cache of processed documents.
//!
//! Layout inside the output folder:
//! ```text
//! OUT/.gongwen/state.json                 (state.part-I-of-N.json for a shard)
//!     {version, config_hash, run_id, files: {path: doc_id}}
//! OUT/.gongwen/cache/<ab>/<doc_id>-<path hash>.bin.zst
//!     one entry per input file: its documents' outcomes and keyword term counts, in a
//!     compact binary form (see [`compact`]): bincode, zstd level 1, tokens stored as
//!     columns without their words (the words are cut back out of the clean text)
//! ```
//! A file is taken from the cache when the state lists it with the same content hash, the
//! config hash is unchanged and its entry is readable; everything else is processed. Tables
//! are always rewritten whole from cache + new results, so an incremental run produces the
//! same tables as a full run.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use gongwen_model::DocOutcome;
use serde::{Deserialize, Serialize};

use crate::run::Shard;

mod compact;

/// Keyword candidates of one document with their counts (from `Segmenter::term_counts`).
pub type TermCounts = Vec<(String, u32)>;

/// The state file: what the last run of this output folder (and shard) saw.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunState {
    /// gongwen version that wrote it.
    pub version: String,
    /// Config hash of that run.
    pub config_hash: String,
    /// Run id of that run.
    pub run_id: String,
    /// Every input file of that run (path → content hash), duplicates excluded.
    pub files: BTreeMap<String, String>,
}

impl RunState {
    /// Reads the state file; `None` when absent or unreadable.
    pub fn read(path: &Path) -> Option<RunState> {
        let bytes = std::fs::read(path).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Writes it atomically.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        std::fs::write(
            &tmp,
            serde_json::to_vec(self).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(&tmp, path)
    }
}

/// One document as cached: its outcome and its keyword term counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedDoc {
    /// What the pipeline produced.
    pub outcome: DocOutcome,
    /// Keyword candidates (empty for failures).
    pub terms: TermCounts,
}

/// A cache entry: every document of one input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// Config hash the documents were processed with.
    pub config_hash: String,
    /// The input file's path.
    pub path: String,
    /// The input file's content hash.
    pub doc_id: String,
    /// Its documents, in order.
    pub docs: Vec<CachedDoc>,
}

/// Version of the cache entry encoding; entries of another version are ignored (reprocessed).
const CACHE_FORMAT: u32 = 1;

/// zstd level of cache entries: the fastest, as entries are written for every processed file.
const CACHE_ZSTD_LEVEL: i32 = 1;

/// The cache folder.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache under `dir` (`OUT/.gongwen/cache`).
    pub fn new(dir: PathBuf) -> Cache {
        Cache { dir }
    }

    /// Where the entry of file `path` with content hash `doc_id` lives.
    pub fn entry_path(&self, doc_id: &str, path: &str) -> PathBuf {
        let path_hash = blake3::hash(path.as_bytes()).to_hex();
        let prefix = doc_id.get(..2).unwrap_or("__");
        self.dir.join(prefix).join(format!(
            "{doc_id}-{}.bin.zst",
            path_hash.get(..16).unwrap_or_default()
        ))
    }

    /// The cached documents of a file, when its entry exists, is readable, has this
    /// version's encoding and was made with `config_hash`.
    pub fn load(&self, doc_id: &str, path: &str, config_hash: &str) -> Option<Vec<CachedDoc>> {
        let compressed = std::fs::read(self.entry_path(doc_id, path)).ok()?;
        let bytes = zstd::stream::decode_all(compressed.as_slice()).ok()?;
        let (entry, _): (compact::Entry, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).ok()?;
        let matches = entry.format == CACHE_FORMAT
            && entry.config_hash == config_hash
            && entry.doc_id == doc_id
            && entry.path == path;
        if !matches {
            return None;
        }
        entry.docs.into_iter().map(compact::Doc::expand).collect()
    }

    /// Stores an entry (temp file + rename, so a killed run never leaves a torn entry).
    pub fn store(&self, entry: &CacheEntry) -> std::io::Result<()> {
        let path = self.entry_path(&entry.doc_id, &entry.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let stored = compact::EntryRef::new(entry);
        let bytes = bincode::serde::encode_to_vec(&stored, bincode::config::standard())
            .map_err(std::io::Error::other)?;
        let compressed = zstd::bulk::compress(&bytes, CACHE_ZSTD_LEVEL)?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, compressed)?;
        std::fs::rename(&tmp, &path)
    }

    /// Removes entries of this shard (all entries without a shard) not in `keep`, and
    /// leftover temp files. Returns how many were removed.
    pub fn collect_garbage(&self, keep: &HashSet<PathBuf>, shard: Option<Shard>) -> usize {
        let mut removed = 0;
        let Ok(prefixes) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        for prefix in prefixes.flatten() {
            let Ok(entries) = std::fs::read_dir(prefix.path()) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                let name = e.file_name().to_string_lossy().into_owned();
                let doc_id = name.split('-').next().unwrap_or_default();
                let ours = match shard {
                    None => true,
                    Some(s) => s.contains(doc_id),
                };
                if ours && !keep.contains(&p) && std::fs::remove_file(&p).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_model::{Failure, FailureStatus, SourceInfo, Stage};

    #[test]
    fn entries_round_trip_and_check_the_config_hash() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = Cache::new(dir.path().join("cache"));
        let outcome = DocOutcome::Failed(Failure {
            source: SourceInfo {
                doc_id: "abcdef0123456789".into(),
                source_path: "a.txt".into(),
                ..Default::default()
            },
            stage: Stage::Ingest,
            status: FailureStatus::Empty,
            message: "empty".into(),
        });
        let entry = CacheEntry {
            config_hash: "h1".into(),
            path: "a.txt".into(),
            doc_id: "abcdef0123456789".into(),
            docs: vec![CachedDoc {
                outcome,
                terms: vec![("词语".into(), 2)],
            }],
        };
        assert!(cache.store(&entry).is_ok());
        assert_eq!(
            cache.load("abcdef0123456789", "a.txt", "h1"),
            Some(entry.docs.clone())
        );
        assert_eq!(cache.load("abcdef0123456789", "a.txt", "h2"), None);
        assert_eq!(cache.load("abcdef0123456789", "b.txt", "h1"), None);
        assert_eq!(cache.collect_garbage(&HashSet::new(), None), 1);
        assert_eq!(cache.load("abcdef0123456789", "a.txt", "h1"), None);
    }
}
