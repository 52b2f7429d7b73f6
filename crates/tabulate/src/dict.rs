//! Dictionary-encoded string column chunks (`RLE_DICTIONARY`), written from the distinct values
//! and the rows' keys as the column buffer holds them, without going through an Arrow
//! `DictionaryArray` and polars' encoder.
//!
//! A chunk is a dictionary page (each distinct value once, `PLAIN`: its length in 4 bytes, then
//! its bytes) and a data page (the definition levels, one byte giving the keys' bit width, then
//! the keys in the RLE/bit-packed hybrid encoding). The pages, headers and statistics are the
//! ones polars writes for a `large_string` dictionary array (tests compare the two, and the
//! keys' encoding with polars' hybrid encoder), for a chunk with no null whose keys fit one
//! page; any other chunk goes to polars' encoder. What is saved is building the dictionary
//! array (which validates every key), casting its values, and the per-key work of polars'
//! hybrid encoder (see [`encode_keys`]).

use polars_parquet::parquet::page::DictPage;
use polars_parquet::parquet::statistics::BinaryStatistics;
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    write_def_levels, Encoding, Page, ParquetType, StatisticsOptions, Version, WriteOptions,
};

use crate::delta::{data_page, gather_eight, push_uleb, MAX_PAGE_VALUES};

/// The dictionary page and the data page of a never-null string column chunk whose rows have
/// the `keys` into the distinct `values` (each used by some key), as polars writes a
/// `large_string` dictionary array. `None` when polars would write something else: no row, more
/// keys than one page takes here, statistics truncated to a length.
pub(crate) fn dict_pages<'a>(
    values: impl Iterator<Item = &'a str> + Clone,
    keys: &[u32],
    type_: &ParquetType,
    options: &WriteOptions,
) -> Option<[Page; 2]> {
    let ParquetType::PrimitiveType(primitive) = type_ else {
        return None;
    };
    let statistics: &StatisticsOptions = &options.statistics;
    if keys.is_empty()
        || keys.len() > MAX_PAGE_VALUES
        || statistics.binary_statistics_truncate_length.is_some()
    {
        return None;
    }
    // The dictionary page: every value, plain.
    let mut dict = Vec::new();
    let mut n_values = 0usize;
    for v in values.clone() {
        let n = u32::try_from(v.len()).ok()?;
        dict.extend_from_slice(&n.to_le_bytes());
        dict.extend_from_slice(v.as_bytes());
        n_values += 1;
    }
    // Statistics of the values (polars takes them from the dictionary, not the rows).
    let stats = options.has_statistics().then(|| {
        let min = statistics
            .min_value
            .then(|| values.clone().min().map(|v| v.as_bytes().to_vec()))
            .flatten();
        let max = statistics
            .max_value
            .then(|| values.clone().max().map(|v| v.as_bytes().to_vec()))
            .flatten();
        BinaryStatistics {
            primitive_type: primitive.clone(),
            // polars sets the null count whatever the options say.
            null_count: Some(0),
            distinct_count: None,
            max_value: max,
            min_value: min,
        }
        .serialize()
    });
    // The data page: every row present, then the keys.
    let mut buffer = Vec::with_capacity(keys.len() + 64);
    // Cannot fail on a Vec.
    write_def_levels(&mut buffer, true, None, keys.len(), Version::V1).ok()?;
    let max_key = keys.iter().copied().max().unwrap_or(0);
    let num_bits = 32 - max_key.leading_zeros();
    buffer.push(num_bits as u8);
    encode_keys(keys, num_bits, &mut buffer);
    let data = data_page(
        buffer,
        keys.len(),
        Encoding::RleDictionary,
        stats,
        primitive,
    );
    let dict = Page::Dict(DictPage::new(CowBuffer::Owned(dict), n_values, false));
    Some([dict, data])
}

/// Values of a literal (bit-packed) run polars' hybrid encoder buffers before writing it.
const MAX_LITERAL_RUN: usize = 8 * 1024;

/// Appends `keys` (each below `2^num_bits`) in the RLE/bit-packed hybrid encoding, byte for
/// byte as polars' `hybrid_rle::encode` writes them: a value repeated more than 8 times in a row
/// is a run (its count, then its value), other values are bit-packed in literal runs of a
/// multiple of 8 values (a literal run before a repeat is padded with the first repeats) and of
/// at most [`MAX_LITERAL_RUN`] values.
///
/// The same decisions as polars' encoder, taken over the slice: the literal run being built is
/// always a range of `keys` (values are buffered until a repeat is long enough, and the repeats
/// beyond are not), so nothing is copied to a buffer first.
fn encode_keys(keys: &[u32], num_bits: u32, out: &mut Vec<u8>) {
    let width = num_bits as usize;
    // Equal values in a row so far, the last value (0 before the first), where the buffered
    // values start in `keys` and how many there are, and how many of them are a literal run
    // ready to be written.
    let mut repeats = 0usize;
    let mut prev = 0u32;
    let mut buffer_start = 0usize;
    let mut buffered = 0usize;
    let mut literal = 0usize;
    let literal_run = |start: usize, n: usize, out: &mut Vec<u8>| {
        bit_pack(keys.get(start..start + n).unwrap_or_default(), width, out);
    };
    let mut i = 0;
    while let Some(&value) = keys.get(i) {
        if value == prev {
            repeats += 1;
            if repeats >= 8 {
                if repeats > 8 {
                    // A run being counted: its other repeats are counted at once (a document's
                    // id is one run of thousands of rows), as polars counts them one by one.
                    let more = keys
                        .get(i + 1..)
                        .unwrap_or_default()
                        .iter()
                        .take_while(|&&k| k == prev)
                        .count();
                    repeats += more;
                    i += 1 + more;
                    continue;
                }
                // Long enough for a run: pad the literal run to a multiple of 8 values with
                // some of the repeats.
                let padding = (8 - literal % 8) % 8;
                repeats -= padding;
                literal += padding;
            }
        } else if repeats > 8 {
            if literal > 0 {
                literal_run(buffer_start, literal, out);
                literal = 0;
            }
            repeated_run(repeats, prev, width, out);
            repeats = 1;
            buffered = 0;
        } else {
            literal = buffered;
            repeats = 1;
        }
        if buffered == MAX_LITERAL_RUN {
            literal_run(buffer_start, buffered, out);
            repeats = 1;
            buffered = 0;
            literal = 0;
        }
        if buffered == 0 {
            buffer_start = i;
        }
        buffered += 1;
        prev = value;
        i += 1;
    }
    if repeats <= 8 {
        literal = buffered;
    }
    if literal > 0 {
        literal_run(buffer_start, literal, out);
    }
    if repeats > 8 {
        repeated_run(repeats, prev, width, out);
    }
}

/// Appends a run of `n` copies of `value`: the count (shifted, low bit clear), then the value in
/// as many bytes as `width` bits take.
fn repeated_run(n: usize, value: u32, width: usize, out: &mut Vec<u8>) {
    push_uleb(out, (n as u64) << 1);
    let bytes = value.to_le_bytes();
    out.extend_from_slice(bytes.get(..width.div_ceil(8)).unwrap_or(&bytes));
}

/// Appends a literal run of `values`: the number of groups of 8 (shifted, low bit set), then
/// the values packed in `width` bits each, least significant bit first, 8 values in `width`
/// bytes. As in polars, values are packed 32 at a time; a last, partial group of 32 is packed
/// over the 32 values before it (or zeros), and as many groups of 8 are written as it
/// starts, so a last group of 8 holds some earlier values after its own.
fn bit_pack(values: &[u32], width: usize, out: &mut Vec<u8>) {
    push_uleb(out, ((values.len().div_ceil(8) as u64) << 1) | 1);
    let mut chunks = values.chunks_exact(32);
    let mut last = [0u32; 32];
    for chunk in chunks.by_ref() {
        chunk
            .chunks_exact(8)
            .for_each(|eight| pack_eight(eight, width, out));
        last.copy_from_slice(chunk);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        if let Some(head) = last.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        last.chunks_exact(8)
            .take(rest.len().div_ceil(8))
            .for_each(|eight| pack_eight(eight, width, out));
    }
}

/// Appends 8 values packed in `width` bits each: `width` bytes.
#[inline(always)]
fn pack_eight(eight: &[u32], width: usize, out: &mut Vec<u8>) {
    let values = || eight.iter().map(|&v| u64::from(v));
    if width <= 8 {
        let word: u64 = gather_eight(values(), width);
        let at = out.len();
        out.extend_from_slice(&word.to_le_bytes());
        out.truncate(at + width);
    } else if width <= 16 {
        let word: u128 = gather_eight(values(), width);
        let at = out.len();
        out.extend_from_slice(&word.to_le_bytes());
        out.truncate(at + width);
    } else {
        let mut acc = 0u64;
        let mut filled = 0usize;
        for &v in eight {
            acc |= u64::from(v) << filled;
            filled += width;
            while filled >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                filled -= 8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_arrow::array::{
        Array, DictionaryArray, MutableUtf8Array, PrimitiveArray, Utf8Array,
    };
    use polars_arrow::datatypes::{ArrowDataType, Field, IntegerType};
    use polars_parquet::write::{array_to_columns, to_parquet_type, CompressionOptions};

    /// The Parquet type of a nullable `large_string` column, as the writer declares it.
    fn str_type() -> ParquetType {
        to_parquet_type(&Field::new("s".into(), ArrowDataType::LargeUtf8, true))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn options(statistics: StatisticsOptions) -> WriteOptions {
        WriteOptions {
            statistics,
            compression: CompressionOptions::Uncompressed,
            version: Version::V1,
            data_page_size: None,
        }
    }

    /// polars' pages for the dictionary array of `values` and `keys`.
    fn polars_pages(values: &[&str], keys: &[u32], options: WriteOptions) -> Vec<Page> {
        let mut buf = MutableUtf8Array::<i64>::new();
        values.iter().for_each(|v| buf.push(Some(*v)));
        let values: Utf8Array<i64> = buf.into();
        let dtype = ArrowDataType::Dictionary(
            IntegerType::UInt32,
            Box::new(ArrowDataType::LargeUtf8),
            false,
        );
        let array = DictionaryArray::try_new(
            dtype,
            PrimitiveArray::from_vec(keys.to_vec()),
            Box::new(values),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let array: Box<dyn Array> = Box::new(array);
        array_to_columns(array, str_type(), options, &[Encoding::RleDictionary])
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .flatten()
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Our pages and polars' must be the same: same headers (with the statistics) and bytes.
    fn same_as_polars(values: &[&str], keys: &[u32], statistics: StatisticsOptions) {
        let options = options(statistics);
        let ours = dict_pages(values.iter().copied(), keys, &str_type(), &options);
        let theirs = polars_pages(values, keys, options);
        match (theirs.as_slice(), ours) {
            ([Page::Dict(td), Page::Data(tp)], Some([Page::Dict(od), Page::Data(op)])) => {
                assert_eq!(od.buffer.as_ref(), td.buffer.as_ref());
                assert_eq!(od.num_values, td.num_values);
                assert_eq!(od.is_sorted, td.is_sorted);
                assert_eq!(format!("{:?}", op.header()), format!("{:?}", tp.header()));
                assert_eq!(op.buffer(), tp.buffer(), "{} keys", keys.len());
            }
            _ => panic!("not a dictionary page and a data page each"),
        }
    }

    #[test]
    fn the_pages_are_byte_identical_to_polars() {
        let all = StatisticsOptions::default();
        same_as_polars(&["a"], &[0], all);
        same_as_polars(&[""], &[0, 0, 0], all);
        same_as_polars(&["n", "v", "x", "经济"], &[0, 1, 2, 3, 1, 0, 2], all);
        // Runs long enough for RLE, literal runs around them, and a width of 6 bits.
        let tags: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        let mut keys: Vec<u32> = (0..20_000u32).map(|i| (i * 7 + i / 13) % 50).collect();
        keys.splice(100..100, std::iter::repeat_n(3, 40));
        keys.splice(1000..1000, std::iter::repeat_n(49, 9));
        keys[..50]
            .iter_mut()
            .enumerate()
            .for_each(|(i, k)| *k = i as u32);
        same_as_polars(&tags, &keys, all);
        // One run per value (a document's id on each of its rows).
        let ids = ["00aa", "01bb", "ffcc"];
        let keys: Vec<u32> = [5usize, 3000, 17]
            .iter()
            .enumerate()
            .flat_map(|(k, &n)| std::iter::repeat_n(k as u32, n))
            .collect();
        same_as_polars(&ids, &keys, all);
        // Without some statistics.
        let no_min_max = StatisticsOptions {
            min_value: false,
            max_value: false,
            ..all
        };
        same_as_polars(&ids, &keys, no_min_max);
        let no_null_count = StatisticsOptions {
            null_count: false,
            ..all
        };
        same_as_polars(&ids, &keys, no_null_count);
    }

    /// Our hybrid encoding of `keys` and polars' must be the same bytes.
    fn same_keys_as_polars(keys: &[u32]) {
        let max = keys.iter().copied().max().unwrap_or(0);
        let num_bits = 32 - max.leading_zeros();
        let mut ours = Vec::new();
        encode_keys(keys, num_bits, &mut ours);
        let mut theirs = Vec::new();
        polars_parquet::parquet::encoding::hybrid_rle::encode::<u32, _, _>(
            &mut theirs,
            keys.iter().copied(),
            num_bits,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ours, theirs, "{} keys, {num_bits} bits", keys.len());
    }

    #[test]
    fn keys_are_encoded_byte_identical_to_polars() {
        same_keys_as_polars(&[]);
        same_keys_as_polars(&[0]);
        same_keys_as_polars(&[0; 100]);
        same_keys_as_polars(&[5; 9]);
        same_keys_as_polars(&[5; 8]);
        let mut x = 7u64;
        let mut next = |m: u64| {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((x >> 33) % m) as u32
        };
        // Runs of every length around 8, after literal runs of every length mod 8, at widths
        // from 1 to 20 bits; long literal runs past the 8192 values polars buffers; a run over
        // the buffer's end.
        for bits in [1u32, 2, 3, 6, 8, 9, 13, 16, 17, 20] {
            let top = 1u64 << bits;
            let mut keys = Vec::new();
            for lit in 0..17 {
                for run in [1usize, 7, 8, 9, 10, 16, 17, 40] {
                    keys.extend((0..lit).map(|_| next(top)));
                    let v = next(top);
                    keys.extend(std::iter::repeat_n(v, run));
                }
            }
            same_keys_as_polars(&keys);
            let long: Vec<u32> = (0..20_000).map(|_| next(top)).collect();
            same_keys_as_polars(&long);
            let mut edge: Vec<u32> = (0..8190).map(|_| next(top)).collect();
            edge.extend(std::iter::repeat_n(1, 30));
            edge.extend((0..100).map(|_| next(top)));
            same_keys_as_polars(&edge);
            for n in [1usize, 7, 31, 33, 63, 65] {
                let few: Vec<u32> = (0..n).map(|_| next(top)).collect();
                same_keys_as_polars(&few);
            }
        }
        // A tag column: a few dozen values, few repeats.
        let tags: Vec<u32> = (0..30_000).map(|_| next(50).min(next(50))).collect();
        same_keys_as_polars(&tags);
    }

    #[test]
    fn no_pages_where_polars_would_write_others() {
        let all = StatisticsOptions::default();
        assert!(dict_pages(["a"].into_iter(), &[], &str_type(), &options(all)).is_none());
        let keys = vec![0u32; MAX_PAGE_VALUES + 1];
        assert!(dict_pages(["a"].into_iter(), &keys, &str_type(), &options(all)).is_none());
        let truncated = StatisticsOptions {
            binary_statistics_truncate_length: Some(8),
            ..all
        };
        assert!(dict_pages(["a"].into_iter(), &[0], &str_type(), &options(truncated)).is_none());
    }
}
