//! Parquet files written one row group at a time, and the typed column buffers that hold a
//! row group's values until then.
//!
//! The buffers become Arrow arrays without a detour through polars `Series`, and the arrays
//! are encoded with polars' own Parquet encoder (`polars-parquet`; the pages of integers, of
//! a token's word and of the dictionary columns below are encoded by this crate, byte for byte
//! the same), choosing the encoding per column instead of letting the encoder guess:
//!
//! - integers: `DELTA_BINARY_PACKED` (offsets and indexes grow slowly, so they pack to a few
//!   bits each, where plain encoding would give zstd 8 bytes per value to squeeze);
//! - `doc_id`: a dictionary built from runs of equal values as rows arrive (rows come sorted
//!   by `doc_id`), so no value is hashed;
//! - a token's tag, and short values that repeat (a section id, a unit, a mention as
//!   written): a dictionary built as rows arrive, looked up by a short integer key; written
//!   plain instead when a row group's values are mostly distinct, by polars' own rule applied
//!   to the exact count (see [`dictionary_pays`]), so polars need not estimate it;
//! - both written from the distinct values and the rows' keys by [`crate::dict`], without an
//!   Arrow dictionary array (a chunk with a null goes to polars as a dictionary array);
//! - a token's word: plain, no dictionary (hashing 7 M words cost more than zstd squeezing
//!   the repeats out; the file came out 2 % smaller), kept as its page's bytes from the start
//!   and written by [`crate::plain`];
//! - other strings: dictionary encoding when polars finds few distinct values, plain otherwise;
//! - floats and booleans: plain.
//!
//! The file's schema is the one polars writes for the table, but for `String` columns, stored as
//! Arrow `large_string` rather than `string_view` so that older readers (pyarrow < 15) read
//! them too; every column is nullable. Readers see the same columns and types.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, PolarsError, PolarsResult, Series};
use polars_arrow::array::{
    Array, BooleanArray, DictionaryArray, MutableUtf8Array, PrimitiveArray, Utf8Array,
};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field, IntegerType};
use polars_arrow::offset::Offsets;
use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::page::{
    CompressedDataPage, CompressedDictPage, CompressedPage, DataPageHeader, Page,
};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    array_to_columns, fallible_streaming_iterator, to_parquet_type, CompressionOptions, DynIter,
    DynStreamingIterator, Encoding, FileWriter, ParquetType, StatisticsOptions, Version,
    WriteOptions, ZstdLevel,
};
use rustc_hash::FxHashMap;

use crate::csv_out::{u32_at, u64_at};
use crate::delta;
use crate::dict;
use crate::plain::PlainStrs;
use crate::schema::{Kind, StrLayout, TableDef};
use crate::sink::{io_err, polars_err, OpenFile};
use crate::TabulateError;

/// A string column's buffer. Strings are stored as Arrow `large_string` (offsets and one
/// byte buffer), which every Parquet reader maps to its string type: polars' own
/// `string_view` cannot be read by pyarrow before version 15.
type StrBuf = MutableUtf8Array<i64>;

/// A string buffer for `rows` values, with room for their bytes at a typical 8 bytes each
/// (a row group's word column then does not grow by copying itself over and over).
fn str_buf(rows: usize) -> StrBuf {
    StrBuf::with_capacities(rows, rows.saturating_mul(8))
}

/// The values of one column of a row group.
enum Values {
    Int(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Str(StrBuf),
    /// Strings written without a dictionary, kept as the body of their `PLAIN` page.
    Unhashed(PlainStrs),
    /// Strings that come in runs of equal values (`doc_id`): each distinct run's value once,
    /// and per row the index of its run.
    Runs {
        values: StrBuf,
        keys: Vec<u32>,
    },
    /// Strings with few distinct values (a token's tag, an entity's type, a section id): each
    /// distinct value once, in order of first appearance, and per row its index (0 for a null,
    /// which takes no entry).
    Dict {
        values: StrBuf,
        index: DictIndex,
        keys: Vec<u32>,
    },
}

/// Where each distinct value of a dictionary column is in the dictionary.
///
/// Most values are short words (a Chinese word is 3 to 12 bytes), so a value of up to 15
/// bytes is looked up by a 128-bit integer holding its bytes and its length: no string to
/// compare or allocate, one multiply to hash. Longer values are looked up as strings.
///
/// A direct-mapped table of recent short keys sits in front of the hash map: a tag column has
/// a few dozen values, which then almost never reach the map.
struct DictIndex {
    recent: Box<[(u128, u32); RECENT_SLOTS]>,
    short: FxHashMap<u128, u32>,
    long: FxHashMap<Box<str>, u32>,
}

/// Slots of [`DictIndex`]'s direct-mapped table (a power of two).
const RECENT_SLOTS: usize = 64;

/// Shift that keeps the top bits of a 64-bit hash needed to number [`RECENT_SLOTS`] slots.
const SLOT_SHIFT: u32 = 64 - RECENT_SLOTS.trailing_zeros();

/// A [`DictIndex`] slot holding no key.
const EMPTY_SLOT: (u128, u32) = (0, u32::MAX);

impl Default for DictIndex {
    fn default() -> DictIndex {
        DictIndex {
            recent: Box::new([EMPTY_SLOT; RECENT_SLOTS]),
            short: FxHashMap::default(),
            long: FxHashMap::default(),
        }
    }
}

impl DictIndex {
    /// The key of a value of up to 15 bytes: its bytes, then its length in the top byte.
    #[inline]
    fn short_key(s: &str) -> Option<u128> {
        let bytes = s.as_bytes();
        let n = bytes.len();
        let key = match n {
            // Byte by byte: a tag is 1 to 3 bytes, for which a loop costs less than the call
            // to `memcpy` a copy of a variable length becomes.
            0..=3 => bytes
                .iter()
                .rev()
                .fold(0u128, |key, &b| (key << 8) | u128::from(b)),
            // A longer value (a section id, a mention, a unit) in two overlapping loads, its
            // first and its last bytes, as a CSV field is copied (`RowSlot::field_then`): the
            // last load's top bytes are the ones after the first load's.
            4..=7 => {
                let head = u32_at(bytes, 0);
                let tail = u64::from(u32_at(bytes, n - 4)) >> (8 * (8 - n));
                u128::from(head) | (u128::from(tail) << 32)
            }
            8..=15 => {
                let head = u64_at(bytes, 0);
                let tail = u64_at(bytes, n - 8)
                    .checked_shr(8 * (16 - n) as u32)
                    .unwrap_or(0);
                u128::from(head) | (u128::from(tail) << 64)
            }
            _ => return None,
        };
        Some(key | (u128::from(n as u8) << 120))
    }

    /// The index of `s`, adding it to `values` first if it is new.
    ///
    /// Only the lookup in the direct-mapped table is inlined into the caller's loop; a miss
    /// goes to the hash maps in a call of its own.
    #[inline(always)]
    fn index_of(&mut self, s: &str, values: &mut StrBuf) -> u32 {
        let Some(short) = Self::short_key(s) else {
            return self.index_of_long(s, values);
        };
        // Fold the key's bytes into a slot number (a multiply and a shift).
        let folded = (short as u64) ^ ((short >> 64) as u64);
        let slot = (folded.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> SLOT_SHIFT) as usize;
        match self.recent.get(slot) {
            Some(&(k, i)) if k == short && i != u32::MAX => i,
            _ => self.index_of_short(short, slot, s, values),
        }
    }

    /// [`DictIndex::index_of`] for a short key not in its slot of the direct-mapped table,
    /// which it then takes.
    #[inline(never)]
    fn index_of_short(&mut self, short: u128, slot: usize, s: &str, values: &mut StrBuf) -> u32 {
        let next = u32::try_from(values.len()).unwrap_or(u32::MAX);
        let entry = *self.short.entry(short).or_insert(next);
        if let Some(recent) = self.recent.get_mut(slot) {
            *recent = (short, entry);
        }
        if entry == next {
            values.push(Some(s));
        }
        entry
    }

    /// [`DictIndex::index_of`] for a value of more than 15 bytes.
    #[inline(never)]
    fn index_of_long(&mut self, s: &str, values: &mut StrBuf) -> u32 {
        if let Some(&key) = self.long.get(s) {
            return key;
        }
        let next = u32::try_from(values.len()).unwrap_or(u32::MAX);
        self.long.insert(s.into(), next);
        values.push(Some(s));
        next
    }

    fn clear(&mut self) {
        *self.recent = [EMPTY_SLOT; RECENT_SLOTS];
        self.short.clear();
        self.long.clear();
    }
}

/// A typed buffer of one column's values, with a validity flag per value when the column is
/// nullable.
pub(crate) struct ColumnBuf {
    values: Values,
    valid: Option<Vec<bool>>,
    capacity: usize,
}

impl ColumnBuf {
    /// An empty buffer for a column of `kind`, sized for `capacity` rows; `layout` says how
    /// strings are kept.
    pub(crate) fn new(kind: Kind, layout: StrLayout, capacity: usize) -> ColumnBuf {
        let values = match kind {
            Kind::Int | Kind::OptInt => Values::Int(Vec::with_capacity(capacity)),
            Kind::F64 | Kind::OptF64 => Values::F64(Vec::with_capacity(capacity)),
            Kind::Bool => Values::Bool(Vec::with_capacity(capacity)),
            Kind::Str if layout == StrLayout::Runs => Values::Runs {
                values: StrBuf::new(),
                keys: Vec::with_capacity(capacity),
            },
            Kind::Str | Kind::OptStr if layout == StrLayout::Dict => Values::Dict {
                values: StrBuf::new(),
                index: DictIndex::default(),
                keys: Vec::with_capacity(capacity),
            },
            Kind::Str if layout == StrLayout::Unhashed => {
                Values::Unhashed(PlainStrs::with_capacity(capacity))
            }
            Kind::Str | Kind::OptStr => Values::Str(str_buf(capacity)),
        };
        let nullable = matches!(kind, Kind::OptInt | Kind::OptF64 | Kind::OptStr);
        ColumnBuf {
            values,
            valid: nullable.then(|| Vec::with_capacity(capacity)),
            capacity,
        }
    }

    #[inline]
    fn push_valid(&mut self, valid: bool) {
        if let Some(v) = self.valid.as_mut() {
            v.push(valid);
        }
    }

    /// True for a string column written without a dictionary ([`StrLayout::Unhashed`]).
    fn is_unhashed(&self) -> bool {
        matches!(self.values, Values::Unhashed(_))
    }

    /// Appends an integer (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_int(&mut self, v: Option<i64>) {
        if let Values::Int(values) = &mut self.values {
            values.push(v.unwrap_or(0));
        }
        self.push_valid(v.is_some());
    }

    /// Appends a float (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_f64(&mut self, v: Option<f64>) {
        if let Values::F64(values) = &mut self.values {
            values.push(v.unwrap_or(0.0));
        }
        self.push_valid(v.is_some());
    }

    /// Appends a boolean (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_bool(&mut self, v: bool) {
        if let Values::Bool(values) = &mut self.values {
            values.push(v);
        }
    }

    /// Appends a string (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_str(&mut self, v: Option<&str>) {
        match &mut self.values {
            Values::Str(values) => values.push(v),
            Values::Unhashed(values) => {
                if let Some(s) = v {
                    values.push(s);
                }
            }
            Values::Runs { values, keys } => {
                let s = v.unwrap_or_default();
                let last = values.len().checked_sub(1).map(|i| values.value(i));
                if last != Some(s) {
                    values.push(Some(s));
                }
                keys.push(u32::try_from(values.len().saturating_sub(1)).unwrap_or(u32::MAX));
            }
            Values::Dict {
                values,
                index,
                keys,
            } => keys.push(v.map_or(0, |s| index.index_of(s, values))),
            _ => {}
        }
        self.push_valid(v.is_some());
    }

    /// Appends `n` copies of one string (a never-null `Runs` or `Dict` column: a document's
    /// `doc_id` on each of its rows).
    #[inline]
    pub(crate) fn push_repeated_str(&mut self, v: &str, n: usize) {
        if n == 0 {
            return;
        }
        self.push_str(Some(v));
        if let Values::Runs { keys, .. } | Values::Dict { keys, .. } = &mut self.values {
            if let (Some(&key), None) = (keys.last(), &self.valid) {
                keys.resize(keys.len() + n - 1, key);
                return;
            }
        }
        (1..n).for_each(|_| self.push_str(Some(v)));
    }

    /// Appends never-null integers (an `Int` column).
    #[inline]
    pub(crate) fn extend_ints(&mut self, values: impl Iterator<Item = i64>) {
        match &mut self.values {
            Values::Int(buf) if self.valid.is_none() => buf.extend(values),
            _ => values.for_each(|v| self.push_int(Some(v))),
        }
    }

    /// Appends never-null strings (a `Str` column).
    #[inline]
    pub(crate) fn extend_strs<'a>(&mut self, values: impl Iterator<Item = &'a str>) {
        match &mut self.values {
            Values::Dict {
                values: dict,
                index,
                keys,
            } if self.valid.is_none() => {
                keys.extend(values.map(|s| index.index_of(s, dict)));
            }
            Values::Unhashed(buf) if self.valid.is_none() => {
                values.for_each(|s| buf.push(s));
            }
            _ => values.for_each(|v| self.push_str(Some(v))),
        }
    }

    /// Appends the values of `series`, read back from a Parquet file of the same table (for
    /// merging part files). False when it holds a null the column does not allow; an error
    /// when its type does not fit.
    fn push_series(&mut self, series: &Series) -> PolarsResult<bool> {
        let nullable = self.valid.is_some();
        match &self.values {
            Values::Int(_) => {
                for v in series.i64()?.iter() {
                    if v.is_none() && !nullable {
                        return Ok(false);
                    }
                    self.push_int(v);
                }
            }
            Values::F64(_) => {
                for v in series.f64()?.iter() {
                    if v.is_none() && !nullable {
                        return Ok(false);
                    }
                    self.push_f64(v);
                }
            }
            Values::Bool(_) => {
                for v in series.bool()?.iter() {
                    let Some(v) = v else { return Ok(false) };
                    self.push_bool(v);
                }
            }
            Values::Str(_) | Values::Unhashed(_) | Values::Runs { .. } | Values::Dict { .. } => {
                for v in series.str()?.iter() {
                    if v.is_none() && !nullable {
                        return Ok(false);
                    }
                    self.push_str(v);
                }
            }
        }
        Ok(true)
    }

    /// The pages of a column encoded here rather than by polars, when it has no null: a
    /// never-null integer column (see [`crate::delta`]), a string column without a dictionary
    /// (see [`crate::plain`]) or with one built as rows arrived (`Runs`, `Dict`: see
    /// [`crate::dict`]); the buffer is then left empty. `None`, the buffer untouched, for any
    /// other column, or when polars would write other pages.
    fn take_own_pages(&mut self, type_: &ParquetType, options: &WriteOptions) -> Option<Vec<Page>> {
        if self.valid.as_ref().is_some_and(|v| v.contains(&false)) {
            return None;
        }
        let pages = match &mut self.values {
            Values::Int(values) => {
                let page = delta::int_page(values, type_, &options.statistics)?;
                values.clear();
                vec![page]
            }
            Values::Unhashed(values) => {
                let page = values.page(type_, options)?;
                values.clear();
                vec![page]
            }
            Values::Runs { values, keys } => {
                let pages = dict::dict_pages(values.values_iter(), keys, type_, options)?;
                *values = StrBuf::new();
                keys.clear();
                pages.into()
            }
            Values::Dict {
                values,
                index,
                keys,
            } => {
                if !dictionary_pays(keys.len(), values.len(), false) {
                    return None;
                }
                let pages = dict::dict_pages(values.values_iter(), keys, type_, options)?;
                *values = StrBuf::new();
                index.clear();
                keys.clear();
                pages.into()
            }
            _ => return None,
        };
        if let Some(v) = self.valid.as_mut() {
            v.clear();
        }
        Some(pages)
    }

    /// The buffered values as an Arrow array and the encoding to write it with; the buffer is
    /// left empty.
    fn take_array(&mut self) -> PolarsResult<(Box<dyn Array>, Encoding)> {
        let validity: Option<Bitmap> = self
            .valid
            .as_mut()
            .map(|v| {
                let bitmap: Bitmap = v.iter().copied().collect();
                v.clear();
                bitmap
            })
            .filter(|b| b.unset_bits() > 0);
        let capacity = self.capacity;
        // A plain string column may still be dictionary-encoded by polars when that pays.
        let str_encoding = if self.is_unhashed() {
            Encoding::Plain
        } else {
            Encoding::RleDictionary
        };
        match &mut self.values {
            Values::Int(values) => {
                let values = std::mem::replace(values, Vec::with_capacity(capacity));
                let array = PrimitiveArray::from_vec(values).with_validity(validity);
                Ok((Box::new(array), Encoding::DeltaBinaryPacked))
            }
            Values::F64(values) => {
                let values = std::mem::replace(values, Vec::with_capacity(capacity));
                let array = PrimitiveArray::from_vec(values).with_validity(validity);
                Ok((Box::new(array), Encoding::Plain))
            }
            Values::Bool(values) => {
                let array = BooleanArray::from_slice(values.as_slice());
                values.clear();
                Ok((Box::new(array), Encoding::Plain))
            }
            Values::Str(values) => {
                // The buffers go into the array without a copy, and come back once its pages
                // are written (see [`ColumnBuf::recycle`]).
                let values = std::mem::replace(values, StrBuf::new());
                let array: Utf8Array<i64> = values.into();
                let array = array.with_validity(validity);
                Ok((Box::new(array), str_encoding))
            }
            Values::Unhashed(values) => {
                // The values again as an array (nulls, or more than one page: rare).
                let mut array = str_buf(values.len());
                array.extend_values(values.iter());
                values.clear();
                let array: Utf8Array<i64> = array.into();
                // A null took no place among the values: spread them over the valid rows.
                let array = match validity {
                    Some(validity) => spread_over_valid(&array, &validity),
                    None => array,
                };
                Ok((Box::new(array), str_encoding))
            }
            Values::Runs { values, keys } => dictionary_array(values, keys, capacity, validity),
            Values::Dict {
                values,
                index,
                keys,
            } => {
                index.clear();
                let has_null = validity.is_some();
                if dictionary_pays(keys.len(), values.len(), has_null) {
                    return dictionary_array(values, keys, capacity, validity);
                }
                // Most values distinct: plain, each row's value looked up by its key.
                let mut array = str_buf(keys.len());
                for (row, &key) in keys.iter().enumerate() {
                    let valid = validity.as_ref().is_none_or(|v| v.get_bit(row));
                    let key = key as usize;
                    array.push((valid && key < values.len()).then(|| values.value(key)));
                }
                *values = StrBuf::new();
                keys.clear();
                let array: Utf8Array<i64> = array.into();
                Ok((Box::new(array), Encoding::Plain))
            }
        }
    }

    /// Takes back the buffers of `written`, the array [`ColumnBuf::take_array`] made of a
    /// plain string column, once its pages are written: the next row group's values go into the same
    /// memory, already grown to a row group's size.
    ///
    /// A row group of sentences or paragraphs holds megabytes of text. In a fresh buffer each
    /// row group, that text was written into memory the process had never touched (a page
    /// fault per 4 KB) and copied again at each doubling of the buffer.
    ///
    /// A buffer still shared (polars kept a reference to it: not expected) is left to be
    /// freed, and the column starts again from an empty buffer.
    fn recycle(&mut self, written: Box<dyn Array>) {
        let Values::Str(values) = &mut self.values else {
            return;
        };
        if values.len() > 0 {
            return;
        }
        // The clone shares the buffers (but not the validity); once the box is dropped, it
        // alone holds them.
        let Some(array) = written
            .as_any()
            .downcast_ref::<Utf8Array<i64>>()
            .map(|a| a.clone().with_validity(None))
        else {
            return;
        };
        drop(written);
        *values = recycled_str_buf(array).unwrap_or_else(|| str_buf(self.capacity));
    }
}

/// The buffers of `array`, emptied, when nothing else holds them.
fn recycled_str_buf(array: Utf8Array<i64>) -> Option<StrBuf> {
    let (dtype, offsets, mut bytes, _) = array.into_mut().right()?.into_data();
    let mut offsets = offsets.into_inner();
    offsets.clear();
    offsets.push(0);
    bytes.clear();
    let offsets = Offsets::try_from(offsets).ok()?;
    StrBuf::try_new(dtype, offsets, bytes, None).ok()
}

/// Whether a dictionary column chunk of `rows` rows with `distinct` distinct non-null values
/// (and a null among them when `has_null`) is written as a dictionary: polars' encoder's rule
/// for a string column it may dictionary-encode (plain when there are more than 128 rows and
/// over three quarters of them distinct, a null counting as one more value), applied to the
/// exact count of distinct values rather than polars' estimate of it.
fn dictionary_pays(rows: usize, distinct: usize, has_null: bool) -> bool {
    let distinct = distinct + usize::from(has_null);
    rows <= 128 || distinct.saturating_mul(4) <= rows.saturating_mul(3)
}

/// The array of the rows whose validity is `validity`: each valid row's value taken in turn
/// from `values` (the non-null values in order), null elsewhere.
fn spread_over_valid(values: &Utf8Array<i64>, validity: &Bitmap) -> Utf8Array<i64> {
    let mut next = values.values_iter();
    let mut out = str_buf(validity.len());
    for valid in validity.iter() {
        out.push(if valid { next.next() } else { None });
    }
    out.into()
}

/// A dictionary array of the distinct `values` and the rows' `keys`, which are left empty.
fn dictionary_array(
    values: &mut StrBuf,
    keys: &mut Vec<u32>,
    capacity: usize,
    validity: Option<Bitmap>,
) -> PolarsResult<(Box<dyn Array>, Encoding)> {
    let values: Utf8Array<i64> = std::mem::take(values).into();
    let keys = std::mem::replace(keys, Vec::with_capacity(capacity));
    let keys = PrimitiveArray::from_vec(keys).with_validity(validity);
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::LargeUtf8),
        false,
    );
    // Cannot fail (every key indexes a value); if it ever did, the row group is not written.
    let array = DictionaryArray::try_new(dtype, keys, Box::new(values))?;
    Ok((Box::new(array), Encoding::RleDictionary))
}

/// The Arrow type polars stores for a column kind.
fn arrow_type(kind: Kind) -> ArrowDataType {
    match kind {
        Kind::Int | Kind::OptInt => ArrowDataType::Int64,
        Kind::F64 | Kind::OptF64 => ArrowDataType::Float64,
        Kind::Bool => ArrowDataType::Boolean,
        Kind::Str | Kind::OptStr => ArrowDataType::LargeUtf8,
    }
}

/// Compresses a file's pages with one zstd context, reused from page to page.
///
/// polars' own `Compressor` creates a context per page (a few hundred kilobytes of tables to
/// allocate and clear for pages of a few kilobytes); a reused context is reset cheaply. The
/// output is the same zstd frame at the same level.
struct PageCompressor {
    zstd: zstd::bulk::Compressor<'static>,
}

impl PageCompressor {
    fn new(level: i32) -> std::io::Result<PageCompressor> {
        Ok(PageCompressor {
            zstd: zstd::bulk::Compressor::new(level)?,
        })
    }

    /// `bytes` zstd-compressed into a new buffer, after the first `keep` bytes copied as they
    /// are.
    fn compress(&mut self, bytes: &[u8], keep: usize) -> std::io::Result<Vec<u8>> {
        let (head, body) = bytes.split_at(keep.min(bytes.len()));
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(body.len()));
        self.zstd.compress_to_buffer(body, &mut out)?;
        if head.is_empty() {
            return Ok(out);
        }
        let mut with_head = Vec::with_capacity(head.len() + out.len());
        with_head.extend_from_slice(head);
        with_head.extend_from_slice(&out);
        Ok(with_head)
    }

    /// The page, compressed (as polars' `Compressor` does it: a V2 data page keeps its
    /// repetition and definition levels uncompressed).
    fn page(&mut self, page: Page) -> PolarsResult<CompressedPage> {
        match page {
            Page::Data(page) => {
                let keep = match page.header() {
                    DataPageHeader::V1(_) => 0,
                    DataPageHeader::V2(h) => usize::try_from(
                        i64::from(h.repetition_levels_byte_length)
                            + i64::from(h.definition_levels_byte_length),
                    )
                    .unwrap_or(0),
                };
                let header = page.header().clone();
                let uncompressed = page.buffer().len();
                let compressed = self.compress(page.buffer(), keep)?;
                let num_rows = page.num_rows.unwrap_or_else(|| page.num_values());
                Ok(CompressedPage::Data(CompressedDataPage::new(
                    header,
                    CowBuffer::Owned(compressed),
                    Compression::Zstd,
                    uncompressed,
                    page.descriptor,
                    num_rows,
                )))
            }
            Page::Dict(page) => {
                let compressed = self.compress(&page.buffer, 0)?;
                Ok(CompressedPage::Dict(CompressedDictPage::new(
                    CowBuffer::Owned(compressed),
                    Compression::Zstd,
                    page.buffer.len(),
                    page.num_values,
                    page.is_sorted,
                )))
            }
        }
    }
}

/// A Parquet file of one table, written one row group at a time.
pub(crate) struct ParquetOut {
    path: PathBuf,
    def: &'static TableDef,
    writer: FileWriter<BufWriter<File>>,
    options: WriteOptions,
    /// The Parquet type of each column (built once).
    types: Vec<ParquetType>,
    compressor: PageCompressor,
    /// One buffer per column, holding the rows of the next row group.
    pub(crate) columns: Vec<ColumnBuf>,
    /// Rows in the buffers.
    pending: usize,
    /// Rows per row group.
    batch_rows: usize,
}

impl ParquetOut {
    /// Creates `path` for the table `def`, zstd-compressed at `zstd_level`, with buffers for
    /// row groups of `batch_rows` rows.
    pub(crate) fn create(
        path: &Path,
        def: &'static TableDef,
        zstd_level: i32,
        batch_rows: usize,
    ) -> Result<ParquetOut, TabulateError> {
        let level = ZstdLevel::try_new(zstd_level).map_err(|e| polars_err(path, e))?;
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            compression: CompressionOptions::Zstd(Some(level)),
            version: Version::V1,
            data_page_size: None,
        };
        let schema: ArrowSchema = def
            .columns
            .iter()
            .map(|c| {
                let field = Field::new(c.name.into(), arrow_type(c.kind), true);
                (field.name.clone(), field)
            })
            .collect();
        let types = schema
            .iter_values()
            .map(to_parquet_type)
            .collect::<PolarsResult<Vec<_>>>()
            .map_err(|e| polars_err(path, e))?;
        let compressor = PageCompressor::new(zstd_level).map_err(|e| io_err(path, e))?;
        let file = File::create(path).map_err(|e| io_err(path, e))?;
        let writer = FileWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, options)
            .map_err(|e| polars_err(path, e))?;
        let capacity = batch_rows.clamp(1, 1 << 16);
        let columns = def
            .columns
            .iter()
            .map(|c| ColumnBuf::new(c.kind, c.layout, capacity))
            .collect();
        Ok(ParquetOut {
            path: path.to_path_buf(),
            def,
            writer,
            options,
            types,
            compressor,
            columns,
            pending: 0,
            batch_rows: batch_rows.max(1),
        })
    }

    /// Rows that can be pushed before the next row group is due (at least 1).
    #[inline]
    pub(crate) fn room(&self) -> usize {
        self.batch_rows.saturating_sub(self.pending).max(1)
    }

    /// Counts `n` rows as pushed to every column buffer, and writes a row group once
    /// `batch_rows` rows are buffered.
    #[inline]
    pub(crate) fn rows_pushed(&mut self, n: usize) -> Result<(), TabulateError> {
        self.pending += n;
        if self.pending >= self.batch_rows {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<(), TabulateError> {
        if self.pending == 0 {
            return Ok(());
        }
        let rows = self.pending;
        self.pending = 0;
        // Every column's pages, compressed; the row group is written from them at once.
        let mut columns: Vec<Vec<CompressedPage>> = Vec::with_capacity(self.columns.len());
        for (buf, type_) in self.columns.iter_mut().zip(&self.types) {
            let options = if buf.is_unhashed() {
                // The min and max of a row group's words span nearly the whole vocabulary, so
                // they would prune nothing; comparing every word to find them is skipped.
                WriteOptions {
                    statistics: StatisticsOptions {
                        min_value: false,
                        max_value: false,
                        ..self.options.statistics
                    },
                    ..self.options
                }
            } else {
                self.options
            };
            if let Some(pages) = buf.take_own_pages(type_, &options) {
                let pages = pages
                    .into_iter()
                    .map(|page| self.compressor.page(page))
                    .collect::<PolarsResult<Vec<_>>>()
                    .map_err(|e| polars_err(&self.path, e))?;
                columns.push(pages);
                continue;
            }
            let (array, encoding) = buf.take_array().map_err(|e| polars_err(&self.path, e))?;
            // Lent to polars, so that its buffers can go back to the column once the pages
            // are written (polars' own references to them are gone by then).
            let leaves = array_to_columns(&array, type_.clone(), options, &[encoding])
                .map_err(|e| polars_err(&self.path, e))?;
            for pages in leaves {
                let compressed = pages
                    .map(|page| page.and_then(|page| self.compressor.page(page)))
                    .collect::<PolarsResult<Vec<_>>>()
                    .map_err(|e| polars_err(&self.path, e))?;
                columns.push(compressed);
            }
            buf.recycle(array);
        }
        let row_group = columns.iter().map(|pages| {
            Ok(DynStreamingIterator::new(
                fallible_streaming_iterator::convert(pages.iter().map(Ok::<_, PolarsError>)),
            ))
        });
        self.writer
            .write(rows as u64, DynIter::new(row_group))
            .map_err(|e| polars_err(&self.path, e))
    }

    /// Appends the rows of `df` (read back from a part file of the same table) to the buffers,
    /// writing a row group whenever `batch_rows` rows are buffered, as the rows of a run are.
    pub(crate) fn push_frame(&mut self, df: &DataFrame) -> Result<(), TabulateError> {
        if df.width() != self.columns.len() {
            return Err(TabulateError::Mismatch {
                path: self.path.clone(),
                message: format!(
                    "{} columns where the table has {}",
                    df.width(),
                    self.columns.len()
                ),
            });
        }
        let mut offset = 0;
        while offset < df.height() {
            let n = self.room().min(df.height() - offset);
            let part = df.slice(i64::try_from(offset).unwrap_or(i64::MAX), n);
            for ((buf, column), def) in self
                .columns
                .iter_mut()
                .zip(part.columns())
                .zip(self.def.columns)
            {
                let fits = buf
                    .push_series(column.as_materialized_series())
                    .map_err(|e| polars_err(&self.path, e))?;
                if !fits {
                    return Err(TabulateError::Mismatch {
                        path: self.path.clone(),
                        message: format!("null in column {:?}, which allows none", def.name),
                    });
                }
            }
            offset += n;
            self.rows_pushed(n)?;
        }
        Ok(())
    }

    /// Writes the last row group and the footer and flushes the file; returns it, to be synced
    /// by the caller.
    pub(crate) fn finish(mut self) -> Result<OpenFile, TabulateError> {
        self.flush()?;
        self.writer
            .end(None)
            .map_err(|e| polars_err(&self.path, e))?;
        let file = self
            .writer
            .into_inner()
            .into_inner()
            .map_err(|e| io_err(&self.path, e.into_error()))?;
        Ok(OpenFile {
            path: self.path,
            file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::ColumnDef;

    #[test]
    fn a_short_key_is_the_bytes_then_the_length_in_the_top_byte() {
        for s in ["", "n", "nr", "eng", "经济", "123456789012345"] {
            let mut want = [0u8; 16];
            want[..s.len()].copy_from_slice(s.as_bytes());
            want[15] = s.len() as u8;
            assert_eq!(
                DictIndex::short_key(s),
                Some(u128::from_le_bytes(want)),
                "{s:?}"
            );
        }
        assert_eq!(DictIndex::short_key("1234567890123456"), None);
    }

    #[test]
    fn a_short_key_read_in_two_pieces_is_the_key_built_byte_by_byte() {
        // Every length up to 15 bytes, with NULs, high bytes and multi-byte characters in
        // every position the two pieces overlap or meet.
        let pieces = ["a", "\0", "、", "é", "Z", "的", "\u{7f}", "0"];
        let mut x = 7u64;
        for _ in 0..2000 {
            let mut s = String::new();
            while s.len() < 16 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                s.push_str(pieces[(x >> 60) as usize % pieces.len()]);
                let want = (s.len() <= 15).then(|| {
                    s.bytes()
                        .rev()
                        .fold(0u128, |key, b| (key << 8) | u128::from(b))
                        | (u128::from(s.len() as u8) << 120)
                });
                assert_eq!(DictIndex::short_key(&s), want, "{s:?}");
            }
        }
    }

    #[test]
    fn the_dictionary_index_numbers_values_in_order_of_first_appearance() {
        // Values around the 15-byte limit of short keys, a trailing NUL byte that padding
        // must not confuse with a shorter value, and repeats.
        let words = [
            "的",
            "发展",
            "的",
            "",
            "\0",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "发展",
            "abcdefghijklmno",
            "abcdefghijklmnop",
            "a\0",
            "a",
            "高质量发展",
            "",
        ];
        // Then more distinct values than the index has recent slots, in two rounds, so that
        // slots are shared and overwritten.
        let many: Vec<String> = (0..300).map(|i| format!("t{}", i * 7 % 300)).collect();
        let words: Vec<&str> = words
            .iter()
            .copied()
            .chain(many.iter().map(String::as_str))
            .chain(many.iter().rev().map(String::as_str))
            .chain(words.iter().copied())
            .collect();
        let mut index = DictIndex::default();
        for _ in 0..2 {
            // Each round is a new row group: the index starts again from 0.
            let mut values = StrBuf::new();
            let got: Vec<u32> = words
                .iter()
                .map(|w| index.index_of(w, &mut values))
                .collect();
            let mut seen: Vec<&str> = Vec::new();
            let want: Vec<u32> = words
                .iter()
                .map(|w| {
                    let i = seen.iter().position(|s| s == w).unwrap_or_else(|| {
                        seen.push(w);
                        seen.len() - 1
                    });
                    i as u32
                })
                .collect();
            assert_eq!(got, want);
            let stored: Vec<&str> = values.values_iter().collect();
            assert_eq!(stored, seen);
            index.clear();
        }
    }

    /// Writes `rows` rows of table `def` to a Parquet file in row groups of `batch_rows`, the
    /// values of each row's columns chosen by `value` (`None`: a filler of the column's kind),
    /// and reads the file back with polars.
    fn write_and_read_back(
        def: &'static TableDef,
        batch_rows: usize,
        rows: usize,
        value: impl Fn(usize, &str, &mut ColumnBuf) -> Option<()>,
    ) -> DataFrame {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(format!("{}.parquet", def.name));
        let mut out =
            ParquetOut::create(&path, def, 1, batch_rows).unwrap_or_else(|e| panic!("{e}"));
        for row in 0..rows {
            for (buf, col) in out.columns.iter_mut().zip(def.columns) {
                if value(row, col.name, buf).is_some() {
                    continue;
                }
                match col.kind {
                    Kind::Int | Kind::OptInt => buf.push_int(Some(0)),
                    Kind::Str | Kind::OptStr => buf.push_str(Some("x")),
                    Kind::F64 | Kind::OptF64 => buf.push_f64(Some(0.0)),
                    Kind::Bool => buf.push_bool(false),
                }
            }
            out.rows_pushed(1).unwrap_or_else(|e| panic!("{e}"));
        }
        out.finish().unwrap_or_else(|e| panic!("{e}"));
        read_back(&path)
    }

    /// The Parquet file at `path`, read with polars.
    fn read_back(path: &std::path::Path) -> DataFrame {
        use polars::prelude::{ParquetReader, SerReader};
        let file = File::open(path).unwrap_or_else(|e| panic!("{e}"));
        ParquetReader::new(file)
            .finish()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Column `name` of `df`, a string column, as values.
    fn str_values(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        df.column(name)
            .unwrap_or_else(|e| panic!("{e}"))
            .str()
            .unwrap_or_else(|e| panic!("{e}"))
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    /// Writes `ints` as the `level` (never null) and `ordinal` (nullable) columns of a
    /// sections file, in row groups of `batch_rows`, and reads them back with polars.
    fn int_round_trip(ints: &[Option<i64>], batch_rows: usize) {
        let def = crate::schema::Table::Sections.def();
        let df = write_and_read_back(def, batch_rows, ints.len(), |row, name, buf| {
            let v = ints.get(row).copied().flatten();
            match name {
                "level" => buf.push_int(Some(v.unwrap_or(-1))),
                "ordinal" => buf.push_int(v),
                _ => return None,
            }
            Some(())
        });
        let read = |name: &str| -> Vec<Option<i64>> {
            let column = df.column(name).unwrap_or_else(|e| panic!("{e}"));
            column
                .i64()
                .unwrap_or_else(|e| panic!("{e}"))
                .iter()
                .collect()
        };
        let levels: Vec<Option<i64>> = ints.iter().map(|v| Some(v.unwrap_or(-1))).collect();
        assert_eq!(read("level"), levels);
        assert_eq!(read("ordinal"), ints);
    }

    #[test]
    fn integer_pages_read_back_through_polars() {
        int_round_trip(&[], 4);
        int_round_trip(&[Some(7)], 4);
        int_round_trip(
            &[
                Some(i64::MIN),
                Some(i64::MAX),
                Some(0),
                Some(-1),
                Some(i64::MAX),
            ],
            2,
        );
        // Negative deltas, one-block and several-block pages, a short last block after a wide
        // one, and nulls (which go to polars' encoder) in some row groups only.
        let mut x = 99u64;
        let mut ints: Vec<Option<i64>> = (0..3000)
            .map(|i| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                match i {
                    0..=999 => Some(i % 37 - 5),
                    1000..=1299 => Some((x >> 1) as i64),
                    1300..=2000 => Some(1_000_000 - i * 3),
                    _ => Some((x >> 50) as i64),
                }
            })
            .collect();
        int_round_trip(&ints, 1000);
        int_round_trip(&ints, 257);
        for i in (2100..2400).step_by(7) {
            ints[i] = None;
        }
        int_round_trip(&ints, 1000);
    }

    /// A token's words read back as written, from row groups whose page this crate writes
    /// (short words) and from ones handed to polars (words so long polars cuts the chunk into
    /// several pages).
    #[test]
    fn word_pages_read_back_through_polars() {
        let def = crate::schema::Table::Tokens.def();
        let long = "长".repeat(300);
        let words: Vec<String> = (0..12_000)
            .map(|i| match i {
                0..=4_999 => format!("词{}", i % 97),
                5_000..=9_999 => format!("{long}{i}"),
                _ => ["", "，", "a,b", "\"q\""][i % 4].to_string(),
            })
            .collect();
        let df = write_and_read_back(def, 5_000, words.len(), |row, name, buf| {
            (name == "word").then(|| buf.push_str(words.get(row).map(String::as_str)))
        });
        let read = str_values(&df, "word");
        let want: Vec<Option<String>> = words.into_iter().map(Some).collect();
        assert_eq!(read, want);
    }

    #[test]
    fn strings_are_stored_as_large_string_not_string_view() {
        // pyarrow before 15 cannot read string_view (polars' reader shows both as its own
        // string type, so the stored type is checked here, where it is chosen).
        assert_eq!(arrow_type(Kind::Str), ArrowDataType::LargeUtf8);
        assert_eq!(arrow_type(Kind::OptStr), ArrowDataType::LargeUtf8);
        let mut buf = ColumnBuf::new(Kind::Str, StrLayout::Dict, 4);
        buf.push_str(Some("的"));
        let (array, _) = buf.take_array().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            array.dtype(),
            &ArrowDataType::Dictionary(
                IntegerType::UInt32,
                Box::new(ArrowDataType::LargeUtf8),
                false
            )
        );
    }

    /// One nullable string column, left to polars' choice of encoding (`Plain` layout).
    static LABEL_BY_POLARS: TableDef = TableDef {
        name: "labels",
        columns: &[ColumnDef {
            name: "label",
            kind: Kind::OptStr,
            doc: "",
            layout: StrLayout::Plain,
        }],
    };
    /// The same column, dictionary-encoded as rows arrive (`Dict` layout).
    static LABEL_BY_DICT: TableDef = TableDef {
        name: "labels",
        columns: &[ColumnDef {
            name: "label",
            kind: Kind::OptStr,
            doc: "",
            layout: StrLayout::Dict,
        }],
    };

    /// The bytes of a Parquet file of `def` holding `values`, in row groups of `batch_rows`.
    fn label_file(def: &'static TableDef, values: &[Option<String>], batch_rows: usize) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("labels.parquet");
        let mut out =
            ParquetOut::create(&path, def, 1, batch_rows).unwrap_or_else(|e| panic!("{e}"));
        for v in values {
            for buf in out.columns.iter_mut() {
                buf.push_str(v.as_deref());
            }
            out.rows_pushed(1).unwrap_or_else(|e| panic!("{e}"));
        }
        out.finish().unwrap_or_else(|e| panic!("{e}"));
        std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_label_dictionary_built_as_rows_arrive_writes_what_polars_writes() {
        // Row groups of few distinct values, with and without nulls, null first, all null,
        // mostly distinct values (polars writes them plain) over and under 128 rows.
        let cases: Vec<(Vec<Option<String>>, usize)> = vec![
            (
                (0..1000)
                    .map(|i| Some(format!("{}.{}", i % 7, i % 3)))
                    .collect(),
                300,
            ),
            (
                (0..1000)
                    .map(|i| (i % 5 != 0).then(|| format!("单位{}", i % 11)))
                    .collect(),
                256,
            ),
            (
                (0..300)
                    .map(|i| (i >= 200).then(|| "元".to_string()))
                    .collect(),
                100,
            ),
            (
                (0..1000)
                    .map(|i| (i % 9 != 0).then(|| format!("长长长长长长的名字{i}")))
                    .collect(),
                400,
            ),
            ((0..100).map(|i| Some(format!("{i}"))).collect(), 100),
            (Vec::new(), 10),
        ];
        for (values, batch_rows) in cases {
            assert!(
                label_file(&LABEL_BY_DICT, &values, batch_rows)
                    == label_file(&LABEL_BY_POLARS, &values, batch_rows),
                "files differ for {} values in row groups of {batch_rows}",
                values.len()
            );
        }
    }

    #[test]
    fn a_plain_string_column_keeps_its_buffers_from_row_group_to_row_group() {
        // Row groups of long values, some with nulls: each row group after the first is
        // written into the memory the one before it grew, and every value reads back.
        let values: Vec<Option<String>> = (0..1000)
            .map(|i| (i % 7 != 3 || i < 500).then(|| format!("第{i}段，{}", "文".repeat(i % 50))))
            .collect();
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("labels.parquet");
        let mut out =
            ParquetOut::create(&path, &LABEL_BY_POLARS, 1, 200).unwrap_or_else(|e| panic!("{e}"));
        let mut grown = 0;
        for (row, v) in values.iter().enumerate() {
            if let Some(buf) = out.columns.first_mut() {
                buf.push_str(v.as_deref());
                if let Values::Str(strs) = &buf.values {
                    grown = grown.max(strs.values().len());
                }
            }
            out.rows_pushed(1).unwrap_or_else(|e| panic!("{e}"));
            if (row + 1) % 200 == 0 {
                let Some(Values::Str(strs)) = out.columns.first().map(|b| &b.values) else {
                    panic!("not a plain string column");
                };
                assert_eq!(
                    strs.len(),
                    0,
                    "row {row}: the buffer is empty after a flush"
                );
                assert!(
                    strs.values().capacity() >= grown,
                    "row {row}: the buffer kept its memory"
                );
            }
        }
        out.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(str_values(&read_back(&path), "label"), values);
    }

    #[test]
    fn a_dictionary_pays_by_polars_rule_on_the_exact_count() {
        assert!(dictionary_pays(128, 128, true));
        assert!(dictionary_pays(1000, 750, false));
        assert!(!dictionary_pays(1000, 751, false));
        assert!(!dictionary_pays(1000, 750, true));
        assert!(!dictionary_pays(129, 129, false));
        assert!(dictionary_pays(0, 0, false));
    }

    #[test]
    fn repeated_strings_are_one_run() {
        let mut buf = ColumnBuf::new(Kind::Str, StrLayout::Runs, 8);
        buf.push_repeated_str("a", 3);
        buf.push_repeated_str("a", 2);
        buf.push_repeated_str("b", 1);
        buf.push_repeated_str("c", 0);
        match &buf.values {
            Values::Runs { values, keys, .. } => {
                assert_eq!(keys, &[0, 0, 0, 0, 0, 1]);
                assert_eq!(values.len(), 2);
            }
            _ => panic!("not a runs column"),
        }
    }
}
