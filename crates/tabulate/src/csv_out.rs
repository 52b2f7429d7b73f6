//! A CSV file written a field at a time into a reusable byte buffer.
//!
//! The output is byte-identical to the `csv` crate's default writer (`QuoteStyle::Necessary`,
//! `,` delimiter, `\n` terminator, quotes doubled): a field is quoted only when it contains a
//! comma, a quote, `\r` or `\n`, and a record of one empty field is written as `""` so that it
//! is not read back as an empty line. A test compares the two on awkward fields.
//!
//! Tables of millions of short rows (tokens) format their rows in place instead, a row at a
//! time in a fixed-size slot ([`RowBlock`], [`RowSlot`]); a test checks that this gives the
//! same bytes as writing the row value by value.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::sink::{io_err, OpenFile, SyncRequests, SYNC_EVERY};
use crate::TabulateError;

/// The UTF-8 byte order mark written at the start of CSV files when `csv_bom` is on.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Bytes buffered before they are written to the file.
const FLUSH_AT: usize = 1 << 20;

/// The bytes that force a field into quotes, marked in a table indexed by byte (a load per
/// byte rather than four comparisons).
static QUOTED: [bool; 256] = {
    let mut table = [false; 256];
    table[b',' as usize] = true;
    table[b'"' as usize] = true;
    table[b'\r' as usize] = true;
    table[b'\n' as usize] = true;
    table
};

/// Fields at least this long are checked for bytes that need quotes with `memchr`'s vector
/// scans; shorter ones (a token's word or tag) byte by byte, where a call costs more.
const SCAN_FROM: usize = 32;

/// True when the field holds a byte that forces it into quotes.
///
/// A long field (a sentence or paragraph, which all but never needs quotes) is scanned twice
/// with `memchr` (for `,` `"` `\n`, then for `\r`), 16 or 32 bytes at a step: checked byte by
/// byte, a paragraph's text cost 4 instructions a byte. A short field is checked byte by byte
/// in [`QUOTED`], with no early exit.
#[inline]
fn needs_quotes(field: &[u8]) -> bool {
    if field.len() >= SCAN_FROM {
        return memchr::memchr3(b',', b'"', b'\n', field).is_some()
            || memchr::memchr(b'\r', field).is_some();
    }
    field
        .iter()
        .fold(false, |acc, &b| acc | QUOTED[usize::from(b)])
}

/// Appends a text field to `out`, in quotes (inner quotes doubled) if it needs them.
#[inline]
pub(crate) fn push_field(out: &mut Vec<u8>, field: &[u8]) {
    if needs_quotes(field) {
        // Each quote inside is doubled: the text up to and with it, then one more (found with
        // `memchr`: a paragraph with a comma is quoted, and holds no quote but rarely).
        out.push(b'"');
        let mut start = 0;
        for quote in memchr::memchr_iter(b'"', field) {
            out.extend_from_slice(field.get(start..=quote).unwrap_or_default());
            out.push(b'"');
            start = quote + 1;
        }
        out.extend_from_slice(field.get(start..).unwrap_or_default());
        out.push(b'"');
    } else {
        out.extend_from_slice(field);
    }
}

/// Bytes a [`RowSlot`] formats one row into.
pub(crate) const ROW_SLOT: usize = 128;

/// Bytes of a [`RowBlock`]: a few KB, which stay in the L1 cache and are copied with vector
/// moves (glibc copies 4 KB and more with `rep movsb`).
const ROW_BLOCK: usize = 4000;

/// Rows formatted in place ([`RowSlot`]) one after another in a block on the stack, and
/// appended to the CSV buffer a block at a time: one copy per ~70 token rows instead of a
/// capacity check and a length update per value.
pub(crate) struct RowBlock {
    block: [u8; ROW_BLOCK],
    len: usize,
}

impl RowBlock {
    /// An empty block.
    pub(crate) fn new() -> RowBlock {
        RowBlock {
            block: [0; ROW_BLOCK],
            len: 0,
        }
    }

    /// A slot for the next row, after the rows kept so far; first moves them to `out` when
    /// the block has no room for a whole slot.
    #[inline]
    pub(crate) fn row(&mut self, out: &mut Vec<u8>) -> Option<RowSlot<'_>> {
        if self.len + ROW_SLOT > ROW_BLOCK {
            self.flush(out);
        }
        let slot = self.block.get_mut(self.len..self.len + ROW_SLOT)?;
        let slot = <&mut [u8; ROW_SLOT]>::try_from(slot).ok()?;
        Some(RowSlot::new(slot))
    }

    /// Keeps the `n` bytes of the row just formatted in the last [`RowBlock::row`].
    #[inline]
    pub(crate) fn keep(&mut self, n: usize) {
        self.len = (self.len + n).min(ROW_BLOCK);
    }

    /// Appends the rows kept so far to `out` and empties the block.
    #[inline]
    pub(crate) fn flush(&mut self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.block.get(..self.len).unwrap_or_default());
        self.len = 0;
    }
}

/// One CSV row formatted in place, in a fixed-size slot of a [`RowBlock`], for tables of
/// millions of short rows (tokens).
///
/// A number and the separator after it are written with one 8-byte store at the row's
/// current end, which then moves by their real length (the bytes written past it are
/// overwritten by the next value or left out); a text field is copied and followed by its
/// separator. Compared with pushing each value onto a `Vec`, this saves a capacity check and
/// a length update per value.
///
/// A value the slot does not take (a negative number or one of more than 7 digits, a field of
/// more than 15 bytes or one that needs quotes, a row longer than the slot) marks the row as
/// not fitting: the caller then writes the row the ordinary way.
pub(crate) struct RowSlot<'a> {
    slot: &'a mut [u8; ROW_SLOT],
    len: usize,
    fits: bool,
}

impl<'a> RowSlot<'a> {
    /// A row starting at the start of `slot`.
    #[inline]
    pub(crate) fn new(slot: &'a mut [u8; ROW_SLOT]) -> RowSlot<'a> {
        RowSlot {
            slot,
            len: 0,
            fits: true,
        }
    }

    /// Stores the `N` bytes of `block` at the row's end and moves the end by `len`.
    #[inline(always)]
    fn put<const N: usize>(&mut self, block: &[u8; N], len: usize) {
        match self.slot.get_mut(self.len..self.len + N) {
            Some(dst) => {
                dst.copy_from_slice(block);
                self.len += len;
            }
            None => self.fits = false,
        }
    }

    /// Appends the first `len` bytes of `block` (bytes prepared once for many rows).
    #[inline(always)]
    pub(crate) fn block<const N: usize>(&mut self, block: &[u8; N], len: usize) {
        self.put(block, len);
    }

    /// Appends digits from [`small_digits`] and then `sep`; `None` (a number that does not
    /// fit) marks the row as not fitting.
    #[inline(always)]
    pub(crate) fn digits_then(&mut self, digits: Option<Digits>, sep: u8) {
        match digits {
            Some(Digits { ascii, len }) => {
                let word = ascii | (u64::from(sep) << (8 * len));
                self.put(&word.to_le_bytes(), len + 1);
            }
            None => self.fits = false,
        }
    }

    /// Appends a text field (unquoted: one that needs quotes does not fit) and then `sep`.
    ///
    /// A field of 4 to 15 bytes (a word) is copied as two overlapping 4- or 8-byte pieces, its
    /// first and its last bytes, each loaded and stored at once: no loop and no call to
    /// `memcpy`. The same two pieces are checked for bytes below `-` (0x2D) in one register
    /// each; only a field with such a byte (`,` `"` `\r` `\n` are among them; Chinese text has
    /// none) is looked at byte by byte. A shorter field (a tag) is copied and checked a byte at
    /// a time. Copied into a 16-byte block first and checked or stored from there, its bytes
    /// would be read back wider than they were written, and the processor would wait for the
    /// narrow stores to complete (no store-to-load forwarding), which cost more than it saved.
    #[inline(always)]
    pub(crate) fn field_then(&mut self, field: &[u8], sep: u8) {
        let n = field.len();
        let Some(dst) = self.slot.get_mut(self.len..self.len + 16) else {
            self.fits = false;
            return;
        };
        let suspect = match n {
            0..=3 => {
                let mut quote = false;
                for (d, &b) in dst.iter_mut().zip(field) {
                    *d = b;
                    quote |= QUOTED[usize::from(b)];
                }
                quote
            }
            4..=7 => {
                let head = u32_at(field, 0);
                let tail = u32_at(field, n - 4);
                put_at(dst, 0, &head.to_le_bytes());
                put_at(dst, n - 4, &tail.to_le_bytes());
                let below = |x: u32| x.wrapping_sub(0x2D2D_2D2D) & !x & 0x8080_8080 != 0;
                below(head) || below(tail)
            }
            8..=15 => {
                let head = u64_at(field, 0);
                let tail = u64_at(field, n - 8);
                put_at(dst, 0, &head.to_le_bytes());
                put_at(dst, n - 8, &tail.to_le_bytes());
                let below = |x: u64| {
                    x.wrapping_sub(0x2D2D_2D2D_2D2D_2D2D) & !x & 0x8080_8080_8080_8080 != 0
                };
                below(head) || below(tail)
            }
            _ => {
                self.fits = false;
                return;
            }
        };
        if let Some(last) = dst.get_mut(n) {
            *last = sep;
        }
        self.len += n + 1;
        if suspect && needs_quotes(field) {
            self.fits = false;
        }
    }

    /// The row's length in bytes, or `None` when it did not fit (the slot then holds garbage).
    #[inline(always)]
    pub(crate) fn finish(&self) -> Option<usize> {
        self.fits.then_some(self.len)
    }
}

/// The 4 bytes of `field` from `at` as a little-endian integer (0 when out of range).
#[inline(always)]
pub(crate) fn u32_at(field: &[u8], at: usize) -> u32 {
    field
        .get(at..)
        .and_then(|rest| rest.first_chunk::<4>())
        .map_or(0, |b| u32::from_le_bytes(*b))
}

/// The 8 bytes of `field` from `at` as a little-endian integer (0 when out of range).
#[inline(always)]
pub(crate) fn u64_at(field: &[u8], at: usize) -> u64 {
    field
        .get(at..)
        .and_then(|rest| rest.first_chunk::<8>())
        .map_or(0, |b| u64::from_le_bytes(*b))
}

/// Stores the `N` bytes of `bytes` in `dst` from `at` (nothing when out of range).
#[inline(always)]
fn put_at<const N: usize>(dst: &mut [u8], at: usize, bytes: &[u8; N]) {
    if let Some(d) = dst.get_mut(at..at + N) {
        d.copy_from_slice(bytes);
    }
}

/// The decimal digits of a number below 10^7 as ASCII bytes in one word, the first in the
/// lowest byte (the bytes above them zero), and their number: a number a [`RowSlot`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Digits {
    ascii: u64,
    len: usize,
}

/// Numbers below this are looked up in [`SMALL_DIGITS`] rather than converted.
const SMALL: usize = 1000;

/// The digits of every number below [`SMALL`] (a token's index in its sentence, most sentence
/// indexes), so that they are loaded rather than computed.
static SMALL_DIGITS: [u64; SMALL] = small_table();

const fn small_table() -> [u64; SMALL] {
    let mut table = [0u64; SMALL];
    let mut n = 0;
    while n < SMALL {
        let (hundreds, tens, units) = ((n / 100) as u64, (n / 10 % 10) as u64, (n % 10) as u64);
        table[n] = if n < 10 {
            0x30 + units
        } else if n < 100 {
            (0x30 + tens) | ((0x30 + units) << 8)
        } else {
            (0x30 + hundreds) | ((0x30 + tens) << 8) | ((0x30 + units) << 16)
        };
        n += 1;
    }
    table
}

/// The digits of `n` for a [`RowSlot`]; `None` for a number of more than 7 digits.
#[inline(always)]
pub(crate) fn small_digits(n: usize) -> Option<Digits> {
    match n {
        0..=9 => Some(Digits {
            ascii: 0x30 + n as u64,
            len: 1,
        }),
        10..SMALL => SMALL_DIGITS.get(n).map(|&ascii| Digits {
            ascii,
            len: if n < 100 { 2 } else { 3 },
        }),
        SMALL..=9_999_999 => {
            let (ascii, len) = digits8(n as u64);
            Some(Digits { ascii, len })
        }
        _ => None,
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
/// A number of up to 8 digits (every index and offset) is turned into its 8 digits, leading
/// zeros included, in one 64-bit register ([`digits8`]) and appended as one 8-byte store, then
/// the leading zeros are dropped: digits stored one at a time into a small array and copied
/// out at once would make the processor wait for the small stores before it can read them back
/// as one.
#[inline]
pub(crate) fn push_int(out: &mut Vec<u8>, v: i64) {
    match u64::try_from(v) {
        Ok(n @ 0..=99_999_999) => {
            let (digits, len) = digits8(n);
            out.extend_from_slice(&digits.to_le_bytes());
            out.truncate(out.len() - (8 - len));
        }
        _ => push_long_int(out, v),
    }
}

/// Appends the decimal digits of `v` and then the byte `sep` (a comma or a line end): for a
/// number of up to 7 digits, both in the same 8-byte store.
#[inline]
pub(crate) fn push_int_then(out: &mut Vec<u8>, v: i64, sep: u8) {
    match u64::try_from(v) {
        Ok(n @ 0..=9_999_999) => {
            let (digits, len) = digits8(n);
            let word = digits | (u64::from(sep) << (8 * len));
            out.extend_from_slice(&word.to_le_bytes());
            out.truncate(out.len() - (7 - len));
        }
        _ => {
            push_long_int(out, v);
            out.push(sep);
        }
    }
}

/// The ASCII digits of `n` (below 10^8), the first in the lowest byte, and their number; the
/// bytes above them are zero.
///
/// All 8 digits are computed at once, each in its own byte (a SWAR conversion: the two halves
/// of 4 digits are split into pairs with a multiply by ~1/100, the pairs into digits with a
/// multiply by ~1/10, every lane at once); the leading zeros are then the low zero bytes of the
/// result, counted with one instruction and shifted out.
#[inline(always)]
fn digits8(n: u64) -> (u64, usize) {
    let merged = (n / 10_000) | ((n % 10_000) << 32);
    // Each 4-digit half divided by 100 (10486 / 2^20 is 1/100 to within the halves' range).
    let hundreds_hi = ((merged * 10_486) >> 20) & ((0x7F << 32) | 0x7F);
    let hundreds_lo = merged - 100 * hundreds_hi;
    // Four numbers below 100, in 16-bit lanes, most significant first (lowest).
    let pairs = (hundreds_lo << 16) + hundreds_hi;
    // Each divided by 10 (103 / 2^10 is 1/10 below 179): tens in the low byte of each lane,
    // units in the high byte.
    let tens = ((pairs * 103) >> 10) & 0x000F_000F_000F_000F;
    let digits = tens + ((pairs - 10 * tens) << 8);
    // Leading zero digits (at least one digit is kept, for 0).
    let skip = (digits.trailing_zeros() / 8).min(7) as usize;
    let ascii = digits + 0x3030_3030_3030_3030;
    (ascii >> (8 * skip), 8 - skip)
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
    fn long_fields_are_quoted_like_the_csv_crate() {
        // Fields around the length from which they are scanned with memchr, with the byte
        // that needs quotes first, last, in the middle or nowhere.
        let mut rows = vec![vec!["h"]];
        let mut fields = Vec::new();
        for len in [SCAN_FROM - 1, SCAN_FROM, SCAN_FROM + 1, 100, 1000] {
            let plain = "文".repeat(len / 3 + 1);
            fields.push(plain.clone());
            for special in [",", "\"", "\r", "\n"] {
                fields.push(format!("{special}{plain}"));
                fields.push(format!("{plain}{special}"));
                let half = "文".repeat(len / 6 + 1);
                fields.push(format!("{half}{special}{half}"));
            }
        }
        rows.extend(fields.iter().map(|f| vec![f.as_str()]));
        same_as_csv_crate(&rows);
    }

    #[test]
    fn a_record_of_one_empty_field_is_quoted_like_the_csv_crate() {
        same_as_csv_crate(&[vec!["only"], vec![""], vec!["x"], vec![""]]);
    }

    #[test]
    fn a_field_in_place_is_checked_for_quotes_at_every_position() {
        // Every length a slot takes, the byte that needs quotes (or a harmless byte below
        // `-`, or a multi-byte character) at every position.
        for len in 0..=16usize {
            for at in 0..len.max(1) {
                for special in [b',', b'"', b'\r', b'\n', b'%', b' ', b'-', 0xE4, b'a'] {
                    let mut field = vec![b'x'; len];
                    if let Some(b) = field.get_mut(at) {
                        *b = special;
                    }
                    let mut want = b"id,".to_vec();
                    push_field(&mut want, &field);
                    want.push(b'\n');
                    let mut slot = [0xAAu8; ROW_SLOT];
                    let mut row = RowSlot::new(&mut slot);
                    row.block(b"id,", 3);
                    row.field_then(&field, b'\n');
                    let plain = len < 16 && !needs_quotes(&field);
                    match row.finish() {
                        Some(n) => {
                            assert!(plain, "{field:?} should not fit");
                            assert_eq!(&slot[..n], want.as_slice(), "{field:?}");
                        }
                        None => assert!(!plain, "{field:?} should fit"),
                    }
                }
            }
        }
    }

    #[test]
    fn small_digits_are_the_digits_of_the_number() {
        let mut x = 1u64;
        let numbers = (0..20_000usize)
            .chain([
                99_999,
                100_000,
                999_999,
                1_000_000,
                9_999_999,
                10_000_000,
                usize::MAX,
            ])
            .chain((0..2000).map(|_| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (x >> 40) as usize % 20_000_000
            }));
        for n in numbers {
            let got = small_digits(n).map(|d| {
                assert_eq!(d.ascii >> (8 * d.len), 0, "{n}: bytes above the digits");
                d.ascii.to_le_bytes()[..d.len].to_vec()
            });
            let want = (n < 10_000_000).then(|| n.to_string().into_bytes());
            assert_eq!(got, want, "{n}");
        }
    }

    #[test]
    fn a_row_formatted_in_place_is_the_row_pushed_value_by_value() {
        let ints = [
            0i64,
            7,
            10,
            99,
            100,
            12_345,
            999_999,
            9_999_999,
            10_000_000,
            -1,
            i64::MAX,
        ];
        let fields: [&[u8]; 14] = [
            b"",
            b"x",
            "的".as_bytes(),
            "高质量发展".as_bytes(),  // 15 bytes: the longest that fits
            "高质量发展a".as_bytes(), // 16 bytes: too long for the slot
            b"abcdefg",
            b"abcdefgh",
            b"a,b",
            b"1,234",
            b"say \"hi\"",
            b"line\nbreak",
            b"cr\r",
            b"abcdefgh,",
            b"abcdefghijklmn\"",
        ];
        let id: &[u8] = b"0123456789abcdef,";
        let mut id_block = [0u8; 32];
        id_block[..id.len()].copy_from_slice(id);
        for (i, &a) in ints.iter().enumerate() {
            for (j, &field) in fields.iter().enumerate() {
                let b = ints[(i + j) % ints.len()];
                let other = fields[(i + 3 * j) % fields.len()];
                let mut want = id.to_vec();
                push_int_then(&mut want, a, b',');
                push_field(&mut want, field);
                want.push(b',');
                push_field(&mut want, other);
                want.push(b',');
                push_int_then(&mut want, b, b'\n');

                let mut slot = [0xAAu8; ROW_SLOT];
                let mut row = RowSlot::new(&mut slot);
                row.block(&id_block, id.len());
                let digits = |v: i64| small_digits(usize::try_from(v).unwrap_or(usize::MAX));
                row.digits_then(digits(a), b',');
                row.field_then(field, b',');
                row.field_then(other, b',');
                row.digits_then(digits(b), b'\n');
                let plain = |f: &[u8]| f.len() < 16 && !needs_quotes(f);
                let small = |v: i64| (0..10_000_000).contains(&v);
                let fits = small(a) && small(b) && plain(field) && plain(other);
                match row.finish() {
                    Some(n) => {
                        assert!(fits, "{a} {field:?} {other:?} {b} should not fit");
                        assert_eq!(
                            String::from_utf8_lossy(&slot[..n]),
                            String::from_utf8_lossy(&want)
                        );
                    }
                    None => assert!(!fits, "{a} {field:?} {other:?} {b} should fit"),
                }
            }
        }
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
            let mut out = b"x".to_vec();
            push_int(&mut out, v);
            assert_eq!(String::from_utf8(out).unwrap_or_default(), format!("x{v}"));
            let mut out = b"x".to_vec();
            push_int_then(&mut out, v, b',');
            assert_eq!(String::from_utf8(out).unwrap_or_default(), format!("x{v},"));
        }
    }
}
