//! Incremental runs: the state file and the cache of processed documents.
//!
//! Layout inside the output folder:
//! ```text
//! OUT/.gongwen/state.json                 (state.part-I-of-N.json for a shard)
//!     {version, config_hash, run_id, files: {path: doc_id}, cache_format, cache_pack,
//!      cache: {path: where}}
//! OUT/.gongwen/cache/<all|part-I-of-N>.<run id>.pack
//!     the cache pack of the last run (of this shard): one entry per input file, its
//!     documents' outcomes and keyword term counts, each entry a magic number and bincode
//!     in a compact form (see [`compact`]: tokens stored as a byte column without their
//!     words, which are cut back out of the clean text)
//! ```
//! A file is taken from the cache when the state lists it with the same content hash, the
//! config hash and the cache format are unchanged and its entry is readable and matches;
//! everything else is processed. Every run writes one new pack holding every entry it needs next time (entries
//! of unchanged files are copied over still compressed), and removes the older packs once its
//! state file is in place. One file per run instead of one per input keeps the cache cheap:
//! creating thousands of small files cost more than compressing them. Tables are always
//! rewritten whole from cache + new results, so an incremental run produces the same tables
//! as a full run.
//!
//! Speed: writing the cache is one pass over each processed document (see [`compact`]) and
//! one `write` of the entry into the pack (no buffer in between): about two bytes a token,
//! the clean text, the small tables. The entry is written by hand in the byte layout bincode
//! gives the read-side types (so it is still read with serde, and the bytes are the same as
//! when serde wrote them): serde's derived serialisation cost 300 to 700 instructions a
//! sentence, entity or number row. The token column is two small loops (codes and tags; the
//! words checked against the text with a few word-sized loads each), about 80 instructions a
//! token each. Round 8 took `Cache::encode` from 95 M to 63 M instructions on the 2.4 MB
//! corpus (in profile samples on the 50 MB corpus, from 4.9 % to 4.1 % of jieba's own); ~80 %
//! of what is left is those two token loops, whose floor is set by the model's `Token` (two
//! `CompactString`s to decode and a POS tag to look up as a string, per token).
//! What is left of the cache's cost is otherwise the kernel's: copying the pack (1.5 bytes
//! per input byte) into the page cache (a 77 MB pack for the 50 MB corpus; `dd` of as many
//! bytes costs ~0.25 s of system time on the test VM). A smaller pack is the next lever (e.g.
//! the clean text in UTF-16, 2 bytes instead of 3 a Han character). Entries are not
//! compressed: zstd (level 1) on every entry cost more than all the rest of the cache
//! together, for a pack 1.7 times smaller (7.0 MB instead of 12.2 MB for the 7.8 MB test
//! corpus, whose tables take 78 MB). Entries of unchanged files are copied from the old pack
//! to the new one as they are.
//!
//! The keyword spill (`OUT/.gongwen/terms/part-I-of-N.terms` for shard runs, a staging file
//! otherwise) is binary, see [`terms`]: it replaced JSON lines in zstd, whose encoding,
//! compression, decompression and parsing cost more than half of the keywords stage.

use std::collections::BTreeMap;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use gongwen_model::DocOutcome;
use serde::{Deserialize, Serialize};

mod compact;
mod terms;

pub use terms::{TermsReader, TermsRecord, TermsWriter, TERMS_EXT};

/// Keyword candidates of one document with their counts (from `Segmenter::segment_and_count`).
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
    /// Encoding of that run's cache entries ([`CACHE_FORMAT`] for this version; 0 for a
    /// state written before it was recorded). Another format: the cache is not used.
    #[serde(default)]
    pub cache_format: u32,
    /// File name of that run's cache pack, inside the cache folder.
    #[serde(default)]
    pub cache_pack: String,
    /// Where each input file's processed documents are in that pack (path → entry).
    #[serde(default)]
    pub cache: BTreeMap<String, CacheRef>,
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

/// Where one cache entry is: a byte range of a pack file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheRef {
    /// First byte of the entry.
    pub offset: u64,
    /// Length of the entry in bytes.
    pub len: u64,
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

/// Version of the cache entry encoding. A state of another version makes a full run; an entry
/// of another version is ignored (its file processed again).
pub const CACHE_FORMAT: u32 = 3;

/// First bytes of every cache entry of this format (entries of format 2 and before were zstd
/// frames, which start otherwise).
const ENTRY_MAGIC: [u8; 4] = [b'g', b'w', b'c', CACHE_FORMAT as u8];

/// Largest entry read back (a guard against a damaged state file).
const MAX_ENTRY_BYTES: u64 = 1 << 30;

/// Largest memory one entry may claim while it is decoded (a guard against a damaged pack).
const MAX_DECODED_BYTES: usize = 1 << 31;

/// Extension of pack files.
const PACK_EXT: &str = "pack";

/// The cache folder (`OUT/.gongwen/cache`) and the pack entries are read from.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
    /// The previous run's pack (`RunState::cache_pack`), if its entries may be reused.
    reading: Option<String>,
}

impl Cache {
    /// The cache under `dir`, reading entries from the pack `reading`.
    pub fn new(dir: PathBuf, reading: Option<String>) -> Cache {
        Cache { dir, reading }
    }

    /// Encodes an entry, ready to be appended to a pack (pure: runs in the workers). Never
    /// fails today (the entry is written by hand into memory); the `Result` keeps callers
    /// ready for an encoding that can.
    pub fn encode(entry: &CacheEntry) -> std::io::Result<Vec<u8>> {
        let mut blob = Vec::with_capacity(compact::size_hint(entry));
        blob.extend_from_slice(&ENTRY_MAGIC);
        compact::encode_entry(entry, &mut blob);
        Ok(blob)
    }

    /// Decodes an entry made by [`Cache::encode`] when it has this version's encoding and
    /// belongs to file `path` with content hash `doc_id` processed with `config_hash`.
    pub fn decode(
        blob: &[u8],
        doc_id: &str,
        path: &str,
        config_hash: &str,
    ) -> Option<Vec<CachedDoc>> {
        let bytes = blob.strip_prefix(&ENTRY_MAGIC)?;
        let config = bincode::config::standard().with_limit::<MAX_DECODED_BYTES>();
        let (entry, used): (compact::Entry, usize) =
            bincode::serde::decode_from_slice(bytes, config).ok()?;
        let matches = used == bytes.len()
            && entry.format == CACHE_FORMAT
            && entry.config_hash == config_hash
            && entry.doc_id == doc_id
            && entry.path == path;
        if !matches {
            return None;
        }
        entry.docs.into_iter().map(compact::Doc::expand).collect()
    }

    /// The stored bytes of the entry at `at` of the pack being read, when that pack is there
    /// and long enough.
    pub fn read(&self, at: CacheRef) -> Option<Vec<u8>> {
        let pack = self.reading.as_deref()?;
        if at.len > MAX_ENTRY_BYTES || pack.contains(['/', '\\']) {
            return None;
        }
        let mut file = std::fs::File::open(self.dir.join(pack)).ok()?;
        file.seek(std::io::SeekFrom::Start(at.offset)).ok()?;
        let mut blob = vec![0; usize::try_from(at.len).ok()?];
        file.read_exact(&mut blob).ok()?;
        Some(blob)
    }

    /// File name of the pack of run `run_id` of a shard (`part`, e.g. `part-0-of-4`) or of
    /// an unsharded run (`None`).
    pub fn pack_name(part: Option<&str>, run_id: &str) -> String {
        format!("{}.{run_id}.{PACK_EXT}", part.unwrap_or("all"))
    }

    /// Creates the pack `name` for writing.
    pub fn create_pack(&self, name: &str) -> std::io::Result<PackWriter> {
        std::fs::create_dir_all(&self.dir)?;
        let file = std::fs::File::create(self.dir.join(name))?;
        Ok(PackWriter {
            out: file,
            offset: 0,
        })
    }

    /// Removes every pack of the same shard (same name up to the first `.`) as `keep`,
    /// other than `keep` itself: packs of earlier runs and of killed runs. Also removes what
    /// older versions of gongwen left (a folder per entry prefix). Returns how many files
    /// and folders were removed.
    pub fn collect_garbage(&self, keep: &str) -> usize {
        let shard_prefix = keep.split('.').next().unwrap_or_default();
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return 0;
        };
        let mut removed = 0;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            let gone = if path.is_dir() {
                std::fs::remove_dir_all(&path).is_ok()
            } else {
                let ours = name.split('.').next() == Some(shard_prefix)
                    && name.ends_with(PACK_EXT)
                    && name != keep;
                ours && std::fs::remove_file(&path).is_ok()
            };
            if gone {
                removed += 1;
            }
        }
        removed
    }
}

/// A pack being written: entries appended one after the other, each with one `write` straight
/// from its buffer (entries are tens of kilobytes: a buffer in between would only copy them
/// once more).
pub struct PackWriter {
    out: std::fs::File,
    offset: u64,
}

impl PackWriter {
    /// Appends one entry; returns where it is.
    pub fn append(&mut self, blob: &[u8]) -> std::io::Result<CacheRef> {
        self.out.write_all(blob)?;
        let at = CacheRef {
            offset: self.offset,
            len: blob.len() as u64,
        };
        self.offset += blob.len() as u64;
        Ok(at)
    }

    /// Flushes and syncs the pack (before the state file naming it is written).
    pub fn finish(self) -> std::io::Result<()> {
        self.out.sync_all()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_model::{Failure, FailureStatus, SourceInfo, Stage};

    fn entry(path: &str) -> CacheEntry {
        let outcome = DocOutcome::Failed(Failure {
            source: SourceInfo {
                doc_id: "abcdef0123456789".into(),
                source_path: path.into(),
                ..Default::default()
            },
            stage: Stage::Ingest,
            status: FailureStatus::Empty,
            message: "empty".into(),
        });
        CacheEntry {
            config_hash: "h1".into(),
            path: path.into(),
            doc_id: "abcdef0123456789".into(),
            docs: vec![CachedDoc {
                outcome,
                terms: vec![("词语".into(), 2)],
            }],
        }
    }

    #[test]
    fn entries_round_trip_through_a_pack_and_check_what_they_belong_to() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let writing = Cache::new(dir.path().join("cache"), None);
        let (a, b) = (entry("a.txt"), entry("b.txt"));
        let name = Cache::pack_name(None, "run1");
        let mut pack = writing.create_pack(&name).unwrap_or_else(|e| panic!("{e}"));
        let mut refs = Vec::new();
        for e in [&a, &b] {
            let blob = Cache::encode(e).unwrap_or_else(|e| panic!("{e}"));
            refs.push(pack.append(&blob).unwrap_or_else(|e| panic!("{e}")));
        }
        pack.finish().unwrap_or_else(|e| panic!("{e}"));
        // Nothing is read without a pack to read from.
        assert_eq!(writing.read(refs[1]), None);
        let cache = Cache::new(dir.path().join("cache"), Some(name));
        let blob_b = cache.read(refs[1]).unwrap_or_default();
        assert_eq!(
            Cache::decode(&blob_b, "abcdef0123456789", "b.txt", "h1"),
            Some(b.docs.clone())
        );
        // Another config, another file or another content hash: not used.
        assert_eq!(
            Cache::decode(&blob_b, "abcdef0123456789", "b.txt", "h2"),
            None
        );
        assert_eq!(
            Cache::decode(&blob_b, "abcdef0123456789", "a.txt", "h1"),
            None
        );
        assert_eq!(Cache::decode(&blob_b, "ffff", "b.txt", "h1"), None);
        // A reference past the end of the pack, or a pack outside the folder, reads nothing.
        let past = CacheRef {
            offset: 1 << 20,
            ..refs[0]
        };
        assert_eq!(cache.read(past), None);
        let outside = Cache::new(dir.path().join("cache"), Some("../x".into()));
        assert_eq!(outside.read(refs[0]), None);
    }

    #[test]
    fn a_segmented_document_round_trips_but_for_its_raw_text() {
        use gongwen_model::{CleanDoc, Paragraph, SegmentedDoc, Sentence, Span, Token};
        let paragraphs = vec!["经济平稳。工业增长".to_string(), "完".to_string()];
        let sentence = |sent_idx, para_idx, start, text: &str| Sentence {
            sent_idx,
            para_idx,
            section_id: None,
            span: Span::new(start, start + text.chars().count()),
            text: text.into(),
        };
        let token = |sent_idx, tok_idx, start, word: &str| Token {
            sent_idx,
            tok_idx,
            word: word.into(),
            pos: "n".into(),
            span: Span::new(start, start + word.chars().count()),
        };
        let seg = SegmentedDoc {
            doc: CleanDoc {
                paragraphs: paragraphs.clone(),
                original: "raw text".into(),
                ..Default::default()
            },
            paragraphs: vec![
                Paragraph {
                    para_idx: 0,
                    section_id: Some("s1".into()),
                    span: Span::new(0, 9),
                    text: paragraphs[0].clone(),
                },
                Paragraph {
                    para_idx: 1,
                    section_id: None,
                    span: Span::new(10, 11),
                    text: "另".into(),
                },
            ],
            sentences: vec![
                sentence(0, 0, 0, "经济平稳。"),
                sentence(1, 0, 5, "工业增长"),
                sentence(2, 1, 10, "完"),
            ],
            tokens: vec![
                token(0, 0, 0, "经济"),
                token(0, 1, 2, "平稳"),
                token(0, 2, 4, "。"),
                token(1, 0, 5, "工业"),
                token(1, 1, 7, "增长"),
                token(2, 0, 10, "完"),
            ],
            ..Default::default()
        };
        let e = CacheEntry {
            config_hash: "h1".into(),
            path: "a.txt".into(),
            doc_id: "abcdef0123456789".into(),
            docs: vec![CachedDoc {
                outcome: DocOutcome::Done(seg.clone()),
                terms: vec![("经济".into(), 1)],
            }],
        };
        let blob = Cache::encode(&e).unwrap_or_else(|e| panic!("{e}"));
        let back = Cache::decode(&blob, "abcdef0123456789", "a.txt", "h1");
        let mut expected = e.docs.clone();
        if let Some(DocOutcome::Done(seg)) = expected.first_mut().map(|d| &mut d.outcome) {
            seg.doc.original.clear();
        }
        assert_eq!(back, Some(expected));
    }

    #[test]
    fn entries_of_other_formats_or_damaged_are_not_used() {
        let e = entry("a.txt");
        let blob = Cache::encode(&e).unwrap_or_else(|e| panic!("{e}"));
        let decode = |b: &[u8]| Cache::decode(b, "abcdef0123456789", "a.txt", "h1");
        assert_eq!(decode(&blob), Some(e.docs.clone()));
        // An entry of format 2: zstd-compressed bincode.
        let old = zstd::bulk::compress(&blob[4..], 1).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decode(&old), None);
        // Another format number, cut short, bytes left over.
        let mut other = blob.clone();
        other[3] = 2;
        assert_eq!(decode(&other), None);
        assert_eq!(decode(&blob[..blob.len() - 1]), None);
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
        assert_eq!(decode(&[]), None);
    }

    #[test]
    fn a_state_without_a_cache_format_is_of_no_format() {
        let json = r#"{"version":"0.1.0","config_hash":"h","run_id":"r","files":{}}"#;
        let state: RunState = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(state.cache_format, 0);
        assert_ne!(state.cache_format, CACHE_FORMAT);
    }

    #[test]
    fn garbage_collection_keeps_the_current_pack_and_other_shards() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = Cache::new(dir.path().join("cache"), None);
        let names = [
            Cache::pack_name(None, "old"),
            Cache::pack_name(None, "new"),
            Cache::pack_name(Some("part-0-of-2"), "old"),
        ];
        for n in &names {
            let pack = cache.create_pack(n).unwrap_or_else(|e| panic!("{e}"));
            pack.finish().unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::create_dir_all(dir.path().join("cache/ab")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cache.collect_garbage(&names[1]), 2);
        assert!(dir.path().join("cache").join(&names[1]).is_file());
        assert!(dir.path().join("cache").join(&names[2]).is_file());
        assert!(!dir.path().join("cache").join(&names[0]).exists());
    }
}
