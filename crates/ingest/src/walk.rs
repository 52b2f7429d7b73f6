//! Discovery: walk the inputs, filter, hash, mark duplicates.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use gongwen_model::{Failure, FailureStatus, InputFile, SourceInfo, Stage};
use walkdir::{DirEntry, WalkDir};

use crate::{path_doc_id, Ingest};

/// Bytes read at a time when hashing.
const HASH_BUFFER_BYTES: usize = 64 * 1024;

/// Streaming hash of a file, read through `buffer` (reused from file to file: blake3's own
/// reader zeroes a 64 KiB buffer for every file, more work than hashing a small file), and
/// its size (asked of the open file: cheaper than a second lookup of the path).
fn hash_file(path: &Path, buffer: &mut [u8]) -> std::io::Result<(blake3::Hash, u64)> {
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut hasher = blake3::Hasher::new();
    loop {
        let read = match file.read(buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(buffer.get(..read).unwrap_or_default());
    }
    Ok((hasher.finalize(), size))
}

/// `path` as text, and the path itself when the text is not it: a path that is not UTF-8
/// (on Unix, a file name in GBK or Big5 bytes) keeps its UTF-8 characters and shows every
/// other byte as `\xNN`, so two such paths never share a text (as `to_string_lossy`'s
/// U+FFFD would make them).
fn text_path(path: &Path) -> (String, Option<PathBuf>) {
    if let Some(text) = path.to_str() {
        return (text.to_string(), None);
    }
    #[cfg(unix)]
    let text = {
        use std::fmt::Write as _;
        use std::os::unix::ffi::OsStrExt as _;
        let mut text = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            text.push_str(chunk.valid());
            for byte in chunk.invalid() {
                let _ = write!(text, "\\x{byte:02X}");
            }
        }
        text
    };
    #[cfg(not(unix))]
    let text = path.to_string_lossy().into_owned();
    (text, Some(path.to_path_buf()))
}

fn is_hidden(entry: &DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.')
}

/// Path relative to the input root with `/` separators (the file name for a file input).
fn relative(entry: &DirEntry, root: &Path) -> String {
    let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
    let rel = if rel.as_os_str().is_empty() {
        Path::new(entry.file_name())
    } else {
        rel
    };
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn walk_failure(path: String, message: String) -> Failure {
    Failure {
        source: SourceInfo {
            doc_id: path_doc_id(&path),
            source_path: path,
            ..Default::default()
        },
        stage: Stage::Ingest,
        status: FailureStatus::Error,
        message,
    }
}

/// See [`Ingest::discover`].
pub fn discover(ingest: &Ingest) -> crate::Discovery {
    let mut discovery = crate::Discovery::default();
    // Every regular file to hash: its path as text, and the path to open when that is not
    // the text (see `text_path`).
    let mut found: Vec<(String, Option<PathBuf>)> = Vec::new();
    for root in &ingest.inputs {
        let mut skipped_dirs = 0usize;
        let walker = WalkDir::new(root)
            .follow_links(ingest.follow_symlinks)
            .sort_by_file_name()
            .into_iter();
        let walker = walker.filter_entry(|entry| {
            let keep = entry.depth() == 0
                || ((ingest.hidden || !is_hidden(entry))
                    && !(entry.file_type().is_dir()
                        && !ingest.exclude.is_empty()
                        && ingest.exclude.is_match(relative(entry, root))));
            if !keep {
                skipped_dirs += 1;
            }
            keep
        });
        for item in walker {
            let entry = match item {
                Ok(entry) => entry,
                Err(err) => {
                    let path = err.path().unwrap_or(root).to_string_lossy().into_owned();
                    let message = match err.loop_ancestor() {
                        Some(ancestor) => format!(
                            "symlink loop: {path:?} leads back to {:?}",
                            ancestor.to_string_lossy()
                        ),
                        None => match err.io_error() {
                            Some(io) => format!("cannot list {path:?}: {io}"),
                            None => format!("cannot list {path:?}: {err}"),
                        },
                    };
                    discovery.failures.push(walk_failure(path, message));
                    continue;
                }
            };
            let file_type = entry.file_type();
            if file_type.is_dir() {
                continue;
            }
            let (path, os_path) = text_path(entry.path());
            if file_type.is_symlink() {
                // Only reached when symlinks are not followed.
                discovery.skipped += 1;
                continue;
            }
            if !file_type.is_file() {
                discovery.failures.push(walk_failure(
                    path.clone(),
                    format!("not a regular file (fifo, socket or device): {path:?}"),
                ));
                continue;
            }
            // A file named as an input is read whatever its extension.
            if entry.depth() > 0 && ingest.skips_extension(&path) {
                discovery.skipped += 1;
                continue;
            }
            // The relative path is only built when there are globs to match it against.
            if ingest.include.is_some() || !ingest.exclude.is_empty() {
                let rel = relative(&entry, root);
                let included = match &ingest.include {
                    Some(set) => set.is_match(&rel),
                    None => true,
                };
                if !included || ingest.exclude.is_match(&rel) {
                    discovery.skipped += 1;
                    continue;
                }
            }
            found.push((path, os_path));
        }
        discovery.skipped += skipped_dirs;
    }
    found.sort();
    found.dedup();
    let mut first_with_hash: HashMap<[u8; 32], String> = HashMap::new();
    let mut buffer = vec![0u8; HASH_BUFFER_BYTES];
    for (path, os_path) in found {
        let open = os_path.as_deref().unwrap_or(Path::new(&path));
        match hash_file(open, &mut buffer) {
            Ok((hash, size)) => {
                let (doc_id, duplicate_of) = if size == 0 {
                    (path_doc_id(&path), None)
                } else {
                    let doc_id: String = hash.to_hex().chars().take(16).collect();
                    let duplicate_of = first_with_hash.get(hash.as_bytes()).cloned();
                    if duplicate_of.is_none() {
                        first_with_hash.insert(*hash.as_bytes(), path.clone());
                    }
                    (doc_id, duplicate_of)
                };
                discovery.files.push(InputFile {
                    path,
                    os_path,
                    size,
                    doc_id,
                    duplicate_of,
                });
            }
            Err(e) => {
                let message = format!("cannot read file: {e}");
                discovery.failures.push(walk_failure(path, message));
            }
        }
    }
    discovery
        .failures
        .sort_by(|a, b| a.source.source_path.cmp(&b.source.source_path));
    discovery
}
