//! Zip archives of documents (a bundle downloaded from a doc-sharing site, a folder zipped on
//! Windows): every file inside is read like a file of the input folder, into its own
//! documents.
//!
//! A zip that holds `[Content_Types].xml`, `_rels/.rels`, `word/document.xml`, `mimetype` or
//! `OFD.xml` is an office package (docx, xlsx, odt, ofd…), read as one document by
//! [`crate::docx`] or [`crate::ofd`]; any other zip is an archive. An entry's document id is the archive's id and the entry's index
//! (`<archive id>-<index, 6 digits>`) and its path is the archive's path, `!/`, and the name
//! inside (`bundle.zip!/讲话/2023.txt`). Names are UTF-8 or, as Windows writes them without the
//! UTF-8 flag, decoded like file contents (GBK, Big5…).
//!
//! Folders, symbolic links, macOS metadata (`__MACOSX/`), files with an extension of
//! `ingest.skip_extensions` and, unless `ingest.hidden`, hidden files are left out. Every file inside is bounded by `ingest.max_file_mb` and the archive's
//! files together too (an archive's documents are read and processed together, like a CSV
//! export's records); an entry expanding more than `ingest.max_docx_ratio` is a zip bomb.
//! Archives inside archives are read down to [`MAX_DEPTH`] levels.

use std::io::{Cursor, Read};

use gongwen_model::{Failure, Format, RawDoc, SourceInfo};
use zip::ZipArchive;

use crate::decode::decode;
use crate::docx::DocxLimits;
use crate::{failure, Ingest, ReadError};

/// Entries that make a zip an office package (a document), not an archive of documents.
const PACKAGE_MARKERS: &[&str] = &[
    "[Content_Types].xml",
    "_rels/.rels",
    "word/document.xml",
    "mimetype",
    crate::ofd::OFD_ROOT,
];

/// Levels of archives inside archives that are read; a deeper one is a failure.
pub(crate) const MAX_DEPTH: usize = 3;

/// Most entries an archive may have.
const MAX_ENTRIES: usize = 100_000;

/// A zip opened in memory.
pub(crate) type Zip<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// What a zip turned out to be.
pub(crate) enum Opened<'a> {
    /// An archive of documents.
    Archive(Zip<'a>),
    /// An office package (docx, xlsx, odt…): one document.
    Package(Zip<'a>),
    /// Not a readable zip (the reason).
    Unreadable(String),
}

/// Opens `bytes` (which start with a zip signature), once for whatever reads it next, and
/// tells an archive from a package.
pub(crate) fn open(bytes: &[u8]) -> Opened<'_> {
    match ZipArchive::new(Cursor::new(bytes)) {
        Err(e) => Opened::Unreadable(e.to_string()),
        Ok(zip)
            if PACKAGE_MARKERS
                .iter()
                .any(|m| zip.index_for_name(m).is_some()) =>
        {
            Opened::Package(zip)
        }
        Ok(zip) => Opened::Archive(zip),
    }
}

/// An entry's name as text: UTF-8, else decoded like a file's bytes (a name written by
/// Windows in the local code page); `\` separators become `/`, a leading `/` is dropped.
fn entry_name(raw: &[u8]) -> String {
    let name = match std::str::from_utf8(raw) {
        Ok(name) => name.to_string(),
        Err(_) => decode(raw.to_vec()).text,
    };
    name.replace('\\', "/").trim_start_matches('/').to_string()
}

/// Whether an entry is left out: macOS metadata always, hidden files (a part of the path
/// starting with `.`) unless `hidden`.
fn left_out(name: &str, hidden: bool) -> bool {
    let mut parts = name.split('/').filter(|p| !p.is_empty());
    let macos = name.starts_with("__MACOSX/");
    macos || (!hidden && parts.any(|p| p.starts_with('.')))
}

/// What an entry looks like before it is decompressed.
struct EntryInfo {
    name: String,
    skipped: bool,
    size: u64,
    compressed: u64,
    encrypted: bool,
}

impl Ingest {
    /// Reads every file of an archive (see the module doc). `source` is the archive's;
    /// `depth` counts the archives it is inside.
    pub(crate) fn read_archive(
        &self,
        mut zip: Zip<'_>,
        mut source: SourceInfo,
        depth: usize,
    ) -> Vec<Result<RawDoc, Failure>> {
        source.format = Some(Format::Zip);
        if depth >= MAX_DEPTH {
            let message = format!("zip archive inside {depth} other zip archives: unzip it first");
            return vec![Err(failure(source, &ReadError::Archive(message)))];
        }
        if zip.len() > MAX_ENTRIES {
            let message = format!(
                "zip archive of {} entries, more than {MAX_ENTRIES}: unzip it first",
                zip.len()
            );
            return vec![Err(failure(source, &ReadError::Archive(message)))];
        }
        // A file inside: its id and path within the archive's, `n_bytes` its size.
        let entry_source = |index: usize, name: &str, n_bytes: u64| SourceInfo {
            doc_id: format!("{}-{index:06}", source.doc_id),
            source_path: format!("{}!/{name}", source.source_path),
            n_bytes,
            duplicate_of: source.duplicate_of.clone(),
            ..SourceInfo::default()
        };
        let mut out = Vec::new();
        let mut budget = self.max_file_bytes;
        for index in 0..zip.len() {
            let info = match zip.by_index_raw(index) {
                Ok(entry) => {
                    let name = entry_name(entry.name_raw());
                    EntryInfo {
                        skipped: entry.is_dir()
                            || entry.is_symlink()
                            || left_out(&name, self.hidden)
                            || self.skips_extension(&name),
                        name,
                        size: entry.size(),
                        compressed: entry.compressed_size(),
                        encrypted: entry.encrypted(),
                    }
                }
                Err(e) => {
                    // An entry that cannot be listed keeps the archive's format and size.
                    let unlisted = SourceInfo {
                        format: source.format,
                        ..entry_source(index, &format!("#{index}"), source.n_bytes)
                    };
                    let message = format!("corrupt zip archive: entry {index}: {e}");
                    out.push(Err(failure(unlisted, &ReadError::Archive(message))));
                    continue;
                }
            };
            if info.skipped {
                continue;
            }
            match self.read_entry(&mut zip, index, &info, &mut budget) {
                Ok(bytes) => {
                    let entry = entry_source(index, &info.name, bytes.len() as u64);
                    out.extend(self.read_content(bytes, entry, depth + 1));
                }
                Err(e) => out.push(Err(failure(entry_source(index, &info.name, info.size), &e))),
            }
        }
        if out.is_empty() {
            return vec![Err(failure(source, &ReadError::EmptyArchive))];
        }
        out
    }

    /// Decompresses one entry within the limits; `budget` is what the archive's files may
    /// still expand to, and shrinks by what this one did.
    fn read_entry(
        &self,
        zip: &mut Zip<'_>,
        index: usize,
        info: &EntryInfo,
        budget: &mut u64,
    ) -> Result<Vec<u8>, ReadError> {
        let over_budget = || {
            ReadError::Archive(format!(
                "the zip archive's files expand to more than ingest.max_file_mb = {} together: unzip it to read this file and the ones after it",
                self.max_file_mb
            ))
        };
        if info.encrypted {
            return Err(ReadError::Archive(
                "encrypted in the zip archive (a password is needed)".to_string(),
            ));
        }
        if info.size > self.max_file_bytes {
            return Err(self.too_large(info.size));
        }
        if info.size > *budget {
            *budget = 0;
            return Err(over_budget());
        }
        let ratio = info.size / info.compressed.max(1);
        if info.size > DocxLimits::RATIO_FLOOR && ratio > self.docx_limits.max_ratio {
            return Err(ReadError::Archive(format!(
                "zip bomb: expands {ratio}x ({} → {} bytes), over ingest.max_docx_ratio = {}",
                info.compressed, info.size, self.docx_limits.max_ratio
            )));
        }
        let entry = zip.by_index(index).map_err(|e| {
            ReadError::Archive(format!("cannot decompress it from the zip archive: {e}"))
        })?;
        let limit = (*budget).min(self.max_file_bytes);
        let mut bytes = Vec::with_capacity(info.size as usize);
        entry.take(limit + 1).read_to_end(&mut bytes).map_err(|e| {
            ReadError::Archive(format!("cannot decompress it from the zip archive: {e}"))
        })?;
        let actual = bytes.len() as u64;
        if actual > limit {
            return Err(ReadError::Archive(format!(
                "zip bomb: decompresses to more than its declared {} bytes",
                info.size
            )));
        }
        *budget -= actual;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_a_windows_code_page_are_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("讲话稿/动员大会讲话.txt");
        assert_eq!(entry_name(&gbk), "讲话稿/动员大会讲话.txt");
        assert_eq!(entry_name(b"dir\\a.txt"), "dir/a.txt");
        assert_eq!(entry_name("/讲话.txt".as_bytes()), "讲话.txt");
    }

    #[test]
    fn macos_metadata_and_hidden_files_are_left_out() {
        assert!(left_out("__MACOSX/a/._b.txt", true));
        assert!(left_out("a/.DS_Store", false));
        assert!(left_out(".git/config", false));
        assert!(!left_out(".git/config", true));
        assert!(!left_out("讲话/a.txt", false));
    }
}
