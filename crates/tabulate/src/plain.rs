//! String column pages in Parquet's `PLAIN` encoding, built as the values arrive (a token's
//! word), without going through an Arrow array and polars' encoder.
//!
//! A `PLAIN` byte-array page holds each value as its length (4 bytes, little-endian) and then
//! its bytes. [`PlainStrs`] keeps a row group's values in exactly that form, so the page is the
//! definition levels and one copy of the buffer: no offsets array to build, no second pass
//! copying every value into the page. The page, header and statistics are the ones polars'
//! `array_to_columns` writes for a `large_string` column with `Encoding::Plain` (a test
//! compares the two), when the column has no null, asks for no min/max statistics and fits
//! one page; any other column chunk goes to polars' encoder.

use polars_parquet::parquet::statistics::BinaryStatistics;
use polars_parquet::write::{
    write_def_levels, Encoding, Page, ParquetType, StatisticsOptions, Version, WriteOptions,
};

use crate::delta::data_page;

/// polars' page size when `WriteOptions::data_page_size` is not set (1 MB), and the largest
/// it allows.
const DEFAULT_PAGE_SIZE: usize = 1 << 20;
const MAX_PAGE_SIZE: usize = (1 << 31) - (1 << 25);

/// Strings as the body of a `PLAIN` page: each value's length as 4 little-endian bytes, then
/// its bytes. Nulls take no bytes (the caller keeps their validity).
#[derive(Debug, Default)]
pub(crate) struct PlainStrs {
    bytes: Vec<u8>,
    /// Values held.
    len: usize,
}

impl PlainStrs {
    /// An empty buffer with room for `rows` values of a typical 8 bytes each.
    pub(crate) fn with_capacity(rows: usize) -> PlainStrs {
        PlainStrs {
            bytes: Vec::with_capacity(rows.saturating_mul(12)),
            len: 0,
        }
    }

    /// Values held.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Appends a value.
    ///
    /// (Tried and dropped: a value of 4 to 15 bytes put together in a register from two
    /// overlapping pieces and appended with its length as one fixed-size store, to save the
    /// call to `memcpy`: 5 M more instructions for the 2.4 MB corpus, not fewer.)
    #[inline]
    pub(crate) fn push(&mut self, s: &str) {
        // A value of 4 GB or more cannot be stored in a page anyway (polars truncates too).
        let n = u32::try_from(s.len()).unwrap_or(u32::MAX);
        self.bytes.extend_from_slice(&n.to_le_bytes());
        self.bytes.extend_from_slice(s.as_bytes());
        self.len += 1;
    }

    /// The values in order (for a column chunk handed to polars instead).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        let mut rest = self.bytes.as_slice();
        std::iter::from_fn(move || {
            let (len, tail) = rest.split_first_chunk::<4>()?;
            let n = usize::try_from(u32::from_le_bytes(*len)).ok()?;
            let (value, tail) = tail.split_at_checked(n)?;
            rest = tail;
            // Every value was pushed as a `&str`.
            std::str::from_utf8(value).ok()
        })
    }

    /// Bytes of the values themselves (without their lengths).
    fn value_bytes(&self) -> usize {
        self.bytes.len().saturating_sub(4 * self.len)
    }

    /// Empties the buffer, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.len = 0;
    }

    /// The data page of the values (none null) of a nullable string column of Parquet type
    /// `type_`, as polars writes it. `None` when polars would write something else: no value
    /// (no page), min/max statistics asked for, more values than one page takes.
    pub(crate) fn page(&self, type_: &ParquetType, options: &WriteOptions) -> Option<Page> {
        let ParquetType::PrimitiveType(primitive) = type_ else {
            return None;
        };
        let statistics: &StatisticsOptions = &options.statistics;
        if self.len == 0 || statistics.min_value || statistics.max_value {
            return None;
        }
        if self.len > rows_per_page(self.len, self.value_bytes(), options) {
            return None;
        }
        let mut buffer = Vec::with_capacity(self.bytes.len() + 16);
        // Every value is present: one run of `len` ones. Cannot fail on a Vec.
        write_def_levels(&mut buffer, true, None, self.len, Version::V1).ok()?;
        buffer.extend_from_slice(&self.bytes);
        let stats = options.has_statistics().then(|| {
            BinaryStatistics {
                primitive_type: primitive.clone(),
                null_count: statistics.null_count.then_some(0),
                distinct_count: None,
                max_value: None,
                min_value: None,
            }
            .serialize()
        });
        Some(data_page(
            buffer,
            self.len,
            Encoding::Plain,
            stats,
            primitive,
        ))
    }
}

/// Rows per page polars' writer cuts a never-null `large_string` column chunk of `rows` values
/// and `value_bytes` bytes into: its estimate of the chunk's size (the bytes and 8 per offset)
/// spread over pages of at most the page size.
fn rows_per_page(rows: usize, value_bytes: usize, options: &WriteOptions) -> usize {
    let page_size = options
        .data_page_size
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    let estimate = value_bytes + (rows + 1) * 8;
    let bytes_per_row = if rows == 0 {
        0
    } else {
        ((estimate as f64) / (rows as f64)) as usize
    };
    (page_size / (bytes_per_row + 1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_arrow::array::{Array, MutableUtf8Array, Utf8Array};
    use polars_arrow::datatypes::{ArrowDataType, Field};
    use polars_parquet::write::{array_to_columns, to_parquet_type, CompressionOptions};

    /// The Parquet type of a nullable `large_string` column, as the writer declares it.
    fn str_type() -> ParquetType {
        to_parquet_type(&Field::new("w".into(), ArrowDataType::LargeUtf8, true))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn options(min_max: bool) -> WriteOptions {
        WriteOptions {
            statistics: StatisticsOptions {
                min_value: min_max,
                max_value: min_max,
                ..StatisticsOptions::default()
            },
            compression: CompressionOptions::Uncompressed,
            version: Version::V1,
            data_page_size: None,
        }
    }

    fn plain(values: &[&str]) -> PlainStrs {
        let mut p = PlainStrs::with_capacity(values.len());
        values.iter().for_each(|v| p.push(v));
        p
    }

    /// polars' pages for `values` as a `large_string` array written plain.
    fn polars_pages(values: &[&str]) -> Vec<Page> {
        let mut buf = MutableUtf8Array::<i64>::new();
        values.iter().for_each(|v| buf.push(Some(*v)));
        let array: Utf8Array<i64> = buf.into();
        let array: Box<dyn Array> = Box::new(array);
        array_to_columns(array, str_type(), options(false), &[Encoding::Plain])
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .flatten()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Our page of `values` and the one polars' writer builds must be the same: same header
    /// (with the statistics) and same bytes (definition levels and values).
    fn same_as_polars(values: &[&str]) {
        let ours = plain(values).page(&str_type(), &options(false));
        match (polars_pages(values).as_slice(), ours) {
            ([], None) if values.is_empty() => {}
            ([Page::Data(theirs)], Some(Page::Data(ours))) => {
                assert_eq!(
                    format!("{:?}", ours.header()),
                    format!("{:?}", theirs.header())
                );
                assert_eq!(ours.buffer(), theirs.buffer(), "{} values", values.len());
            }
            _ => panic!("not one data page each"),
        }
    }

    #[test]
    fn the_page_is_byte_identical_to_polars() {
        same_as_polars(&[]);
        same_as_polars(&["a"]);
        same_as_polars(&[""]);
        same_as_polars(&["", "", "x", ""]);
        same_as_polars(&[
            "经济",
            "发展",
            "，",
            "2024",
            "年",
            "a,b",
            "\"q\"",
            "很长的一个词语啊啊啊啊",
        ]);
        let many: Vec<String> = (0..20_000).map(|i| format!("词{}", i % 977)).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        same_as_polars(&many);
    }

    #[test]
    fn values_of_every_short_length_are_stored_as_written() {
        let values: Vec<String> = (0..=20)
            .flat_map(|n| {
                [
                    (0..n)
                        .map(|i| char::from(b'a' + i as u8))
                        .collect::<String>(),
                    "经".repeat(n / 3) + &"x".repeat(n % 3),
                ]
            })
            .collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        let p = plain(&values);
        let mut want = Vec::new();
        for v in &values {
            want.extend_from_slice(&(v.len() as u32).to_le_bytes());
            want.extend_from_slice(v.as_bytes());
        }
        assert_eq!(p.bytes, want);
        assert_eq!(p.iter().collect::<Vec<_>>(), values);
        same_as_polars(&values);
    }

    #[test]
    fn values_read_back_in_order() {
        let values = ["", "经济", "a", "", "长长长长长长长长长长长长长长长长长长"];
        let p = plain(&values);
        assert_eq!(p.len(), values.len());
        assert_eq!(p.iter().collect::<Vec<_>>(), values);
        let mut p = p;
        p.clear();
        assert_eq!(p.len(), 0);
        assert_eq!(p.iter().count(), 0);
    }

    #[test]
    fn no_page_where_polars_would_write_another() {
        let p = plain(&["a", "b"]);
        assert!(p.page(&str_type(), &options(false)).is_some());
        // Min/max statistics asked for.
        assert!(p.page(&str_type(), &options(true)).is_none());
        // No value.
        assert!(plain(&[]).page(&str_type(), &options(false)).is_none());
        // Values long enough that polars cuts the chunk into two pages.
        let long = "长".repeat(200);
        let values = vec![long.as_str(); 2000];
        assert_eq!(polars_pages(&values).len(), 2);
        assert!(plain(&values).page(&str_type(), &options(false)).is_none());
    }
}
