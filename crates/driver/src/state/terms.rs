//! The keyword spill: every ranked document's term counts, written to a file while the run
//! streams (keywords need the corpus-wide document frequencies, known only at the end) and
//! read back once to rank them.
//!
//! Format: the magic bytes [`TERMS_MAGIC`], then one record per document: its length in
//! bytes (u32, little-endian) and its body: the doc_id, the number of terms, then each term
//! and its count. Strings are a varint length and UTF-8 bytes; numbers are varints. A file
//! that does not start with the magic (a spill of an older version: JSON lines in zstd) is
//! refused, never misread. The body is not compressed: compressing and decompressing cost
//! more than writing the bytes and reading them back from the page cache.

use std::io::{BufReader, BufWriter, Read as _, Write as _};
use std::path::Path;

use super::compact::{push_varint, read_varint};
use super::TermCounts;

/// First bytes of a term file of this format.
pub const TERMS_MAGIC: [u8; 8] = *b"gwterms1";

/// Extension of term files.
pub const TERMS_EXT: &str = "terms";

/// Largest record read back (a guard against a damaged file).
const MAX_RECORD_BYTES: u32 = 1 << 30;

fn invalid(message: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message.to_string())
}

/// Writes term counts, one document at a time.
pub struct TermsWriter {
    out: BufWriter<std::fs::File>,
    /// Reused buffer of one record's body.
    record: Vec<u8>,
}

impl TermsWriter {
    /// Creates (truncates) the term file `path` and writes its magic.
    pub fn create(path: &Path) -> std::io::Result<TermsWriter> {
        let file = std::fs::File::create(path)?;
        let mut out = BufWriter::with_capacity(1 << 16, file);
        out.write_all(&TERMS_MAGIC)?;
        Ok(TermsWriter {
            out,
            record: Vec::new(),
        })
    }

    /// Appends the term counts of document `doc_id`.
    pub fn write(&mut self, doc_id: &str, terms: &[(String, u32)]) -> std::io::Result<()> {
        let r = &mut self.record;
        r.clear();
        push_str(r, doc_id);
        push_varint(r, terms.len() as u64);
        for (term, count) in terms {
            push_str(r, term);
            push_varint(r, u64::from(*count));
        }
        let len = u32::try_from(r.len())
            .ok()
            .filter(|&n| n <= MAX_RECORD_BYTES)
            .ok_or_else(|| invalid("term counts of one document too large to spill"))?;
        self.out.write_all(&len.to_le_bytes())?;
        self.out.write_all(r)
    }

    /// Flushes the file.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

fn push_str(out: &mut Vec<u8>, s: &str) {
    push_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// One document read back; its strings are reused from one document to the next, so
/// reading a whole file allocates only for the longest document's terms.
#[derive(Debug, Default)]
pub struct TermsRecord {
    /// The document's id.
    pub doc_id: String,
    /// Its terms (only the first `len` are this document's).
    terms: TermCounts,
    len: usize,
}

impl TermsRecord {
    /// The document's term counts.
    pub fn terms(&self) -> &[(String, u32)] {
        self.terms.get(..self.len).unwrap_or_default()
    }

    /// Sets the fields from a record body; `None` when it is inconsistent.
    fn parse(&mut self, mut body: &[u8]) -> Option<()> {
        let input = &mut body;
        read_str_into(input, &mut self.doc_id)?;
        let n = usize::try_from(read_varint(input)?).ok()?;
        // Every term takes at least two bytes: a count beyond that is damage.
        if n > input.len() / 2 {
            return None;
        }
        self.len = 0;
        for _ in 0..n {
            if self.len == self.terms.len() {
                self.terms.push((String::new(), 0));
            }
            let (term, count) = self.terms.get_mut(self.len)?;
            read_str_into(input, term)?;
            *count = u32::try_from(read_varint(input)?).ok()?;
            self.len += 1;
        }
        input.is_empty().then_some(())
    }
}

/// Reads a string written by `push_str` into `into` (replacing its content).
fn read_str_into(input: &mut &[u8], into: &mut String) -> Option<()> {
    let n = usize::try_from(read_varint(input)?).ok()?;
    let (bytes, rest) = input.split_at_checked(n)?;
    *input = rest;
    into.clear();
    into.push_str(std::str::from_utf8(bytes).ok()?);
    Some(())
}

/// Reads a term file written by [`TermsWriter`].
pub struct TermsReader {
    input: BufReader<std::fs::File>,
    /// Reused buffer of one record's body.
    body: Vec<u8>,
}

impl TermsReader {
    /// Opens the term file `path`; an error when it is not of this format.
    pub fn open(path: &Path) -> std::io::Result<TermsReader> {
        let mut input = BufReader::with_capacity(1 << 16, std::fs::File::open(path)?);
        let mut magic = [0u8; TERMS_MAGIC.len()];
        let ok = input.read_exact(&mut magic).is_ok() && magic == TERMS_MAGIC;
        if !ok {
            return Err(invalid(
                "not a term file of this gongwen version (run the shards again)",
            ));
        }
        Ok(TermsReader {
            input,
            body: Vec::new(),
        })
    }

    /// Every document of the term file `path`, in order (for merging shards' spills).
    pub fn read_all(path: &Path) -> std::io::Result<Vec<(String, TermCounts)>> {
        let mut reader = TermsReader::open(path)?;
        let mut record = TermsRecord::default();
        let mut out = Vec::new();
        while reader.next_into(&mut record)? {
            out.push((record.doc_id.clone(), record.terms().to_vec()));
        }
        Ok(out)
    }

    /// Reads the next document into `record`; `false` at the end of the file.
    pub fn next_into(&mut self, record: &mut TermsRecord) -> std::io::Result<bool> {
        let mut len = [0u8; 4];
        // The end of the file may only come between records.
        let first = self.input.read(&mut len[..1])?;
        if first == 0 {
            return Ok(false);
        }
        self.input.read_exact(&mut len[1..])?;
        let len = u32::from_le_bytes(len);
        if len > MAX_RECORD_BYTES {
            return Err(invalid("damaged term file: record too large"));
        }
        self.body.clear();
        self.body.resize(len as usize, 0);
        self.input.read_exact(&mut self.body)?;
        record
            .parse(&self.body)
            .ok_or_else(|| invalid("damaged term file: inconsistent record"))?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(terms: &[(&str, u32)]) -> TermCounts {
        terms.iter().map(|(t, c)| (t.to_string(), *c)).collect()
    }

    #[test]
    fn term_counts_round_trip_reusing_the_record() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("t.terms");
        let docs = vec![
            (
                "d1".to_string(),
                counts(&[("经济", 3), ("发展", 1), ("营商环境", 70000)]),
            ),
            ("d2".to_string(), counts(&[])),
            ("d3".to_string(), counts(&[("工业", u32::MAX)])),
        ];
        let mut w = TermsWriter::create(&path).unwrap_or_else(|e| panic!("{e}"));
        for (id, terms) in &docs {
            w.write(id, terms).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            TermsReader::read_all(&path).unwrap_or_else(|e| panic!("{e}")),
            docs
        );
    }

    #[test]
    fn term_files_of_another_format_or_damaged_are_refused() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("t.terms");
        // A spill of the older format: JSON lines in zstd.
        let old = zstd::bulk::compress(b"[\"d1\",[[\"\xe7\xbb\x8f\",1]]]\n", 1)
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&path, old).unwrap_or_else(|e| panic!("{e}"));
        assert!(TermsReader::read_all(&path).is_err());
        std::fs::write(&path, b"").unwrap_or_else(|e| panic!("{e}"));
        assert!(TermsReader::read_all(&path).is_err());
        // A good file cut short, or with a record whose count is too large.
        let mut w = TermsWriter::create(&path).unwrap_or_else(|e| panic!("{e}"));
        w.write("d1", &counts(&[("经济", 3)]))
            .unwrap_or_else(|e| panic!("{e}"));
        w.finish().unwrap_or_else(|e| panic!("{e}"));
        let good = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        for cut in [good.len() - 1, TERMS_MAGIC.len() + 2] {
            std::fs::write(&path, &good[..cut]).unwrap_or_else(|e| panic!("{e}"));
            assert!(TermsReader::read_all(&path).is_err(), "cut at {cut}");
        }
        let mut bad = good.clone();
        let n_terms_at = TERMS_MAGIC.len() + 4 + 3;
        bad[n_terms_at] = 100;
        std::fs::write(&path, &bad).unwrap_or_else(|e| panic!("{e}"));
        assert!(TermsReader::read_all(&path).is_err());
        // Not UTF-8.
        let mut bad = good;
        let term_at = n_terms_at + 2;
        bad[term_at] = 0xff;
        std::fs::write(&path, &bad).unwrap_or_else(|e| panic!("{e}"));
        assert!(TermsReader::read_all(&path).is_err());
    }
}
