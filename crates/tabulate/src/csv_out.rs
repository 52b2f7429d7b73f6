//! A CSV file written a field at a time into a reusable byte buffer.
//!
//! The output is byte-identical to the `csv` crate's default writer (`QuoteStyle::Necessary`,
//! `,` delimiter, `\n` terminator, quotes doubled): a field is quoted only when it contains a
//! comma, a quote, `\r` or `\n`, and a record of one empty field is written as `""` so that it
//! is not read back as an empty line. A test compares the two on awkward fields.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sink::{io_err, OpenFile, SyncRequests, SYNC_EVERY};
use crate::TabulateError;

/// The UTF-8 byte order mark written at the start of CSV files when `csv_bom` is on.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes buffered before they are written to the file.
const FLUSH_AT: usize = 1 << 20;

/// True when the field holds a byte that forces it into quotes. No early exit: fields rarely
/// need quotes, and a loop without one is vectorised.
fn needs_quotes(field: &[u8]) -> bool {
    field.iter().fold(false, |acc, &b| {
        acc | matches!(b, b',' | b'"' | b'\r' | b'\n')
    })
}

/// Appends a text field to `out`, in quotes (inner quotes doubled) if it needs them.
#[inline]
pub(crate) fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    if needs_quotes(field) {
        out.push(b'"');
        for (i, part) in field.split(|&b| b == b'"').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\"\"");
            }
            out.extend_from_slice(part);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

/// The two-digit strings `00` to `99`, back to back.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends the decimal digits of `v` to `out`, as `{}` would.
///
/// Two digits are copied from the pair table. A number of 3 to 8 digits (every other index
/// and offset of a token row) is built in one register from two-digit pairs and appended as
/// one 8-byte word, then the unused tail is cut off: digits stored one pair at a time into a
/// small array and copied out at once would make the processor wait for the small stores
/// before it can read them back as one.
#[inline]
pub(crate) fn push_int(out: &mut Vec<u8>, v: i64) {
    if (0..10).contains(&v) {
        out.push(b'0' + v as u8);
        return;
    }
    let Ok(n @ 10..=99_999_999) = u64::try_from(v) else {
        push_long_int(out, v);
        return;
    };
    if n < 100 {
        // A token's index in its sentence, mostly: two bytes from the table.
        let pair = digit_pair(n).to_le_bytes();
        out.extend_from_slice(&[pair[0], pair[1]]);
        return;
    }
    let len = match n {
        100..=999 => 3,
        1_000..=9_999 => 4,
        10_000..=99_999 => 5,
        100_000..=999_999 => 6,
        1_000_000..=9_999_999 => 7,
        _ => 8,
    };
    // All 8 digits with leading zeros, the first in the lowest byte; then the zeros dropped.
    let digits = digit_quad(n / 10_000) | (digit_quad(n % 10_000) << 32);
    let digits = digits >> (8 * (8 - len));
    out.extend_from_slice(&digits.to_le_bytes());
    out.truncate(out.len() - (8 - len));
}

/// The four ASCII digits of `x` (below 10 000), the first in the lowest byte.
#[inline(always)]
fn digit_quad(x: u64) -> u64 {
    digit_pair(x / 100) | (digit_pair(x % 100) << 16)
}

/// The two ASCII digits of `x` (below 100), the first in the lowest byte.
#[inline(always)]
fn digit_pair(x: u64) -> u64 {
    let i = x as usize * 2;
    match PAIRS.get(i..i + 2) {
        Some(&[a, b]) => u64::from(a) | (u64::from(b) << 8),
        _ => 0,
    }
}

/// [`push_int`] for negative numbers and numbers of more than 8 digits.
#[inline(never)]
fn push_long_int(out: &mut Vec<u8>, v: i64) {
    let mut digits = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = digits.len();
    while n >= 10 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        if let (Some(dst), Some(src)) = (digits.get_mut(i..i + 2), PAIRS.get(pair..pair + 2)) {
            dst.copy_from_slice(src);
        }
    }
    // The last pair taken was 10..=99 (no leading zero); one digit may be left.
    if n > 0 {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + n as u8;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(digits.get(i..).unwrap_or_default());
}

/// A CSV file: rows are appended to a buffer that is written out every megabyte.
pub(crate) struct CsvOut {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    /// Where the current row starts in `buf`.
    row_start: usize,
    /// True before the current row's first field.
    at_row_start: bool,
    /// Where to ask for the file to be synced in the background, if anywhere.
    sync: Option<SyncRequests>,
    /// Bytes written since the last sync request.
    unsynced: usize,
}

impl CsvOut {
    /// Creates `path`, writes the BOM if asked and the header row. With `sync`, the file asks
    /// there to be synced in the background every [`SYNC_EVERY`] bytes.
    pub(crate) fn create(
        path: &Path,
        bom: bool,
        header: &[&str],
        sync: Option<SyncRequests>,
    ) -> Result<CsvOut, TabulateError> {
        let file = File::create(path).map_err(|e| io_err(path, e))?;
        let mut out = CsvOut {
            path: path.to_path_buf(),
            file,
            buf: Vec::with_capacity(FLUSH_AT + (64 << 10)),
            row_start: 0,
            at_row_start: true,
            sync,
            unsynced: 0,
        };
        if bom {
            out.buf.extend_from_slice(BOM);
            out.row_start = out.buf.len();
        }
        for name in header {
            out.bytes(name.as_bytes());
        }
        out.end_row()?;
        Ok(out)
    }

    /// Starts a field: a comma unless it is the row's first.
    #[inline]
    fn sep(&mut self) {
        if self.at_row_start {
            self.at_row_start = false;
        } else {
            self.buf.push(b',');
        }
    }

    /// Appends a text field, quoted if needed.
    #[inline]
    pub(crate) fn bytes(&mut self, field: &[u8]) {
        self.sep();
        push_field(&mut self.buf, field);
    }

    /// Appends a text field.
    #[inline]
    pub(crate) fn str(&mut self, field: &str) {
        self.bytes(field.as_bytes());
    }

    /// Appends an empty field (null).
    #[inline]
    pub(crate) fn null(&mut self) {
        self.sep();
    }

    /// Appends an integer field.
    #[inline]
    pub(crate) fn int(&mut self, v: i64) {
        self.sep();
        push_int(&mut self.buf, v);
    }

    /// Appends a float field in Rust's shortest round-trip form without exponent
    /// (`42300000000`, `0.035`), which every CSV reader parses back exactly.
    #[inline]
    pub(crate) fn f64(&mut self, v: f64) {
        self.sep();
        // Writing to a Vec cannot fail.
        let _ = write!(self.buf, "{v}");
    }

    /// Appends `true` or `false`.
    #[inline]
    pub(crate) fn bool(&mut self, v: bool) {
        self.sep();
        self.buf
            .extend_from_slice(if v { b"true" } else { b"false" });
    }

    /// Ends the current row, writing the buffer out when it is full.
    pub(crate) fn end_row(&mut self) -> Result<(), TabulateError> {
        if self.buf.len() == self.row_start {
            // A record of one empty field: `""`, as the csv crate writes it.
            self.buf.extend_from_slice(b"\"\"");
        }
        self.buf.push(b'\n');
        if self.buf.len() >= FLUSH_AT {
            self.write_out()?;
        }
        self.row_start = self.buf.len();
        self.at_row_start = true;
        Ok(())
    }

    /// Appends whole rows formatted by `write` (each field with [`push_field`] or
    /// [`push_int`], commas between, `\n` after each row), for a table written a document at
    /// a time rather than a field at a time; then writes the buffer out when it is full.
    pub(crate) fn append_rows(
        &mut self,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), TabulateError> {
        debug_assert!(self.at_row_start && self.buf.len() == self.row_start);
        write(&mut self.buf);
        if self.buf.len() >= FLUSH_AT {
            self.write_out()?;
        }
        self.row_start = self.buf.len();
        Ok(())
    }

    /// Writes the buffer to the file, and every [`SYNC_EVERY`] bytes asks for the file to be
    /// synced in the background.
    fn write_out(&mut self) -> Result<(), TabulateError> {
        self.file
            .write_all(&self.buf)
            .map_err(|e| io_err(&self.path, e))?;
        self.unsynced += self.buf.len();
        self.buf.clear();
        if self.unsynced >= SYNC_EVERY {
            self.unsynced = 0;
            if let (Some(sync), Ok(file)) = (&self.sync, self.file.try_clone()) {
                let request = OpenFile {
                    path: self.path.clone(),
                    file,
                };
                if sync.send(request).is_err() {
                    // The sync thread is gone: the file is synced at the end only.
                    self.sync = None;
                }
            }
        }
        Ok(())
    }

    /// Writes a whole record as read from another CSV file.
    pub(crate) fn write_byte_record(
        &mut self,
        record: &csv::ByteRecord,
    ) -> Result<(), TabulateError> {
        for field in record {
            self.bytes(field);
        }
        self.end_row()
    }

    /// Writes what is buffered; returns the file, to be synced by the caller.
    pub(crate) fn finish(mut self) -> Result<OpenFile, TabulateError> {
        self.file
            .write_all(&self.buf)
            .map_err(|e| io_err(&self.path, e))?;
        Ok(OpenFile {
            path: self.path,
            file: self.file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `rows` with our writer and with the csv crate; both must give the same bytes.
    fn same_as_csv_crate(rows: &[Vec<&str>]) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("t.csv");
        let header: Vec<&str> = rows.first().cloned().unwrap_or_default();
        let mut ours =
            CsvOut::create(&path, false, &header, None).unwrap_or_else(|e| panic!("{e}"));
        for row in rows.iter().skip(1) {
            for field in row {
                ours.str(field);
            }
            ours.end_row().unwrap_or_else(|e| panic!("{e}"));
        }
        ours.finish()
            .unwrap_or_else(|e| panic!("{e}"))
            .sync()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut theirs = csv::WriterBuilder::new().from_writer(Vec::new());
        for row in rows {
            theirs.write_record(row).unwrap_or_else(|e| panic!("{e}"));
        }
        let theirs = theirs.into_inner().unwrap_or_else(|e| panic!("{e}"));
        let ours = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&theirs)
        );
    }

    #[test]
    fn quoting_matches_the_csv_crate() {
        same_as_csv_crate(&[
            vec!["a", "b", "c"],
            vec!["同志们", "", "x"],
            vec!["a,b", "say \"hi\"", "\"\""],
            vec!["line\nbreak", "cr\rhere", "#comment"],
            vec![" spaced ", "'single'", "tab\there"],
            vec!["", "", ""],
            vec!["，全角逗号", "“引号”", "\\"],
        ]);
    }

    #[test]
    fn a_record_of_one_empty_field_is_quoted_like_the_csv_crate() {
        same_as_csv_crate(&[vec!["only"], vec![""], vec!["x"], vec![""]]);
    }

    #[test]
    fn integers_print_like_display() {
        let mut values = vec![i64::MAX, i64::MIN, i64::MIN + 1, -1, -9, -10, -100];
        values.extend(0..2000);
        values.extend((0..19).map(|p| 10i64.pow(p)));
        values.extend((1..19).map(|p| 10i64.pow(p) - 1));
        values.extend((1..19).map(|p| 10i64.pow(p) + 1));
        values.extend((1..19).map(|p| -(10i64.pow(p))));
        values.extend(99_999_990..100_000_010);
        // a spread of values of every length (a simple linear congruential sequence)
        let mut x = 12_345u64;
        for _ in 0..10_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            values.push((x >> (x % 60)) as i64);
        }
        for v in values {
            let mut out = Vec::new();
            push_int(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap_or_default(), v.to_string());
        }
    }
}
