//! Integer column pages in Parquet's `DELTA_BINARY_PACKED` encoding, written without going
//! through polars' generic encoder.
//!
//! The format: a header (values per block, miniblocks per block, number of values, first
//! value), then per block the smallest delta between consecutive values (zigzag ULEB128), one
//! bit width per miniblock, and each miniblock's deltas minus that smallest delta, bit-packed
//! least significant bit first.
//!
//! The blocks are laid out as polars lays them out (blocks of 256 values in one miniblock),
//! down to the padding of the last block, which polars fills with the previous block's
//! leftover deltas: the pages, and so the files, are byte-identical to what polars writes. A
//! test compares the two on edge cases. What is saved is polars' per-value work (an iterator
//! with a division and a branch per value, and a separate pass for the min/max statistics).

use polars_parquet::parquet::page::{DataPage, DataPageHeader, DataPageHeaderV1};
use polars_parquet::parquet::schema::types::PrimitiveType;
use polars_parquet::parquet::statistics::{ParquetStatistics, PrimitiveStatistics};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::write::{
    write_def_levels, Descriptor, Encoding, Page, ParquetType, StatisticsOptions, Version,
};

/// Values per block (polars' choice; the format wants a multiple of 128).
const BLOCK: usize = 256;

/// Most values one page takes here: polars would cut a larger column chunk into pages of about
/// 1 MB (~116 k values), which this module does not do; such chunks go to polars' encoder.
pub(crate) const MAX_PAGE_VALUES: usize = 1 << 16;

/// Appends `v` as unsigned LEB128 (also the run headers of [`crate::dict`]'s keys).
pub(crate) fn push_uleb(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends `v` zigzag-encoded as LEB128.
fn push_zigzag(out: &mut Vec<u8>, v: i64) {
    push_uleb(out, ((v << 1) ^ (v >> 63)) as u64);
}

/// Appends `values` in `DELTA_BINARY_PACKED` encoding, exactly as polars' encoder would with
/// one miniblock per block; returns their smallest and largest value (for the statistics,
/// found in the same pass), `None` when there are none.
pub(crate) fn encode(values: &[i64], out: &mut Vec<u8>) -> Option<(i64, i64)> {
    push_uleb(out, BLOCK as u64);
    push_uleb(out, 1);
    push_uleb(out, values.len() as u64);
    let Some((&first, rest)) = values.split_first() else {
        // polars writes a first value of 0 when there is none.
        push_zigzag(out, 0);
        return None;
    };
    push_zigzag(out, first);
    let (mut lowest, mut highest) = (first, first);
    // Deltas minus the block's smallest delta. The buffer is kept from block to block: a
    // last, short block is padded with what the block before left in it, as polars does.
    let mut packed = [0u64; BLOCK];
    let mut deltas = [0i64; BLOCK];
    let mut prev = first;
    for block in rest.chunks(BLOCK) {
        // One pass for the deltas, their range and the values' range (separate passes over
        // the values for the statistics cost more: 64-bit minimums are not vectorised here).
        let mut min = i64::MAX;
        let mut max = i64::MIN;
        for (d, &v) in deltas.iter_mut().zip(block) {
            let delta = v.wrapping_sub(prev);
            prev = v;
            *d = delta;
            min = min.min(delta);
            max = max.max(delta);
            lowest = lowest.min(v);
            highest = highest.max(v);
        }
        let block_deltas = deltas.get(..block.len()).unwrap_or_default();
        for (p, &d) in packed.iter_mut().zip(block_deltas) {
            *p = d.wrapping_sub(min) as u64;
        }
        let width = 64 - max.abs_diff(min).leading_zeros();
        push_zigzag(out, min);
        out.push(width as u8);
        if block.len() == BLOCK {
            pack(&packed, width, out);
        } else {
            pack_padded(&packed, width, out);
        }
    }
    Some((lowest, highest))
}

/// Appends the 256 `values`, each below `2^width`, packed in `width` bits each, least
/// significant bit first (`32 × width` bytes; nothing for width 0).
///
/// Eight values take exactly `width` bytes: for widths up to 16 (offsets and indexes grow by
/// a few at a time), each eight are gathered in one integer and stored at once, 8 or 16 bytes
/// of which the next eight overwrite all but the first `width`.
fn pack(values: &[u64; BLOCK], width: u32, out: &mut Vec<u8>) {
    match width {
        0 => {}
        1..=8 => pack_narrow::<u64, 8>(values, width as usize, out),
        9..=16 => pack_narrow::<u128, 16>(values, width as usize, out),
        _ => pack_wide(values, width, out),
    }
}

/// [`pack`] for widths up to `N` bytes' worth of eight values (`W` is an unsigned integer of `N`
/// bytes): each eight values gathered in one `W`, stored as `N` bytes at once, and the next eight
/// stored `w` bytes further on, over the first's spare (zero) bytes.
#[inline(always)]
fn pack_narrow<W, const N: usize>(values: &[u64; BLOCK], w: usize, out: &mut Vec<u8>)
where
    W: From<u64> + std::ops::Shl<usize, Output = W> + std::ops::BitOr<Output = W> + LeBytes<N>,
{
    let start = out.len();
    let len = 32 * w;
    // Room for the last store's spare bytes, cut off after.
    out.resize(start + len + N, 0);
    for (g, eight) in values.chunks_exact(8).enumerate() {
        let word: W = gather_eight(eight.iter().copied(), w);
        let at = start + g * w;
        if let Some(dst) = out.get_mut(at..at + N) {
            dst.copy_from_slice(&word.to_le());
        }
    }
    out.truncate(start + len);
}

/// Eight values of `w` bits each gathered in one integer `W`, the first in the lowest bits
/// (bits above `w` are not masked off: the callers' values fit).
#[inline(always)]
pub(crate) fn gather_eight<W>(eight: impl Iterator<Item = u64>, w: usize) -> W
where
    W: From<u64> + std::ops::Shl<usize, Output = W> + std::ops::BitOr<Output = W>,
{
    eight
        .enumerate()
        .fold(W::from(0), |word, (i, v)| word | (W::from(v) << (i * w)))
}

/// The little-endian bytes of an integer of `N` bytes.
trait LeBytes<const N: usize> {
    fn to_le(self) -> [u8; N];
}

impl LeBytes<8> for u64 {
    #[inline(always)]
    fn to_le(self) -> [u8; 8] {
        self.to_le_bytes()
    }
}

impl LeBytes<16> for u128 {
    #[inline(always)]
    fn to_le(self) -> [u8; 16] {
        self.to_le_bytes()
    }
}

/// [`pack`] for widths above 16, a value at a time.
fn pack_wide(values: &[u64; BLOCK], width: u32, out: &mut Vec<u8>) {
    out.reserve(width as usize * 32);
    // Bits not yet written, in the low `filled` bits of `acc`.
    let mut acc = 0u64;
    let mut filled = 0u32;
    for &v in values {
        acc |= v << (filled % 64);
        filled += width;
        if filled >= 64 {
            out.extend_from_slice(&acc.to_le_bytes());
            filled -= 64;
            // The bits of `v` that did not fit in the word just written.
            acc = v.checked_shr(width - filled).unwrap_or(0);
        }
    }
}

/// [`pack`] for a last, short block, whose padding may hold values of more than `width` bits:
/// their bits above `width` are not masked off, as in polars' packer, but ORed into the next
/// value's bits (within the same 64-bit word, or into the next word when the value's own bits
/// cross into it).
fn pack_padded(values: &[u64; BLOCK], width: u32, out: &mut Vec<u8>) {
    if width == 0 {
        return;
    }
    let width = width as usize;
    // 256 values of up to 64 bits: up to 256 words.
    let mut words = [0u64; BLOCK];
    let mut bit = 0usize;
    for &v in values {
        let word = bit / 64;
        let cursor = bit % 64;
        words[word % BLOCK] |= v << cursor;
        if cursor + width > 64 {
            words[(word + 1) % BLOCK] |= v >> (64 - cursor);
        }
        bit += width;
    }
    out.reserve(width * 32);
    for w in words.iter().take(width * 4) {
        out.extend_from_slice(&w.to_le_bytes());
    }
}

/// A data page of never-null `values` for a nullable Int64 column of Parquet type `type_`, as
/// polars' `array_to_columns` writes it with `DELTA_BINARY_PACKED` (V1 page, definition
/// levels, min/max/null-count statistics as `statistics` asks). `None` when the type is not a
/// primitive type, or there are no values (polars writes no page) or more than
/// [`MAX_PAGE_VALUES`] (polars would write more than one page).
pub(crate) fn int_page(
    values: &[i64],
    type_: &ParquetType,
    statistics: &StatisticsOptions,
) -> Option<Page> {
    let ParquetType::PrimitiveType(primitive) = type_ else {
        return None;
    };
    if values.is_empty() || values.len() > MAX_PAGE_VALUES {
        return None;
    }
    let mut buffer = Vec::with_capacity(values.len() + 64);
    // Every value is present: one run of `len` ones. Cannot fail on a Vec.
    write_def_levels(&mut buffer, true, None, values.len(), Version::V1).ok()?;
    let min_max = encode(values, &mut buffer);
    let (min, max) = (min_max.map(|m| m.0), min_max.map(|m| m.1));
    let stats = (!statistics.is_empty()).then(|| {
        PrimitiveStatistics::<i64> {
            primitive_type: primitive.clone(),
            null_count: statistics.null_count.then_some(0),
            distinct_count: None,
            max_value: max.filter(|_| statistics.max_value),
            min_value: min.filter(|_| statistics.min_value),
        }
        .serialize()
    });
    Some(data_page(
        buffer,
        values.len(),
        Encoding::DeltaBinaryPacked,
        stats,
        primitive,
    ))
}

/// A V1 data page of `n` values (none null), as polars builds it.
pub(crate) fn data_page(
    buffer: Vec<u8>,
    n: usize,
    encoding: Encoding,
    statistics: Option<ParquetStatistics>,
    primitive: &PrimitiveType,
) -> Page {
    let header = DataPageHeader::V1(DataPageHeaderV1 {
        num_values: i32::try_from(n).unwrap_or(i32::MAX),
        encoding: encoding.into(),
        definition_level_encoding: Encoding::Rle.into(),
        repetition_level_encoding: Encoding::Rle.into(),
        statistics,
    });
    let descriptor = Descriptor {
        primitive_type: primitive.clone(),
        max_def_level: 0,
        max_rep_level: 0,
    };
    Page::Data(DataPage::new(
        header,
        CowBuffer::Owned(buffer),
        descriptor,
        n,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_arrow::array::{Array, PrimitiveArray};
    use polars_arrow::datatypes::{ArrowDataType, Field};
    use polars_parquet::write::{
        array_to_columns, to_parquet_type, CompressionOptions, WriteOptions,
    };

    /// The Parquet type of a nullable Int64 column, as the writer declares every column.
    fn int_type() -> ParquetType {
        to_parquet_type(&Field::new("x".into(), ArrowDataType::Int64, true))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Our page of `values` and the one polars' writer builds must be the same: same header
    /// (with the statistics) and same bytes (definition levels and encoded values).
    fn same_as_polars(values: &[i64]) {
        let mut encoded = Vec::new();
        let min_max = encode(values, &mut encoded);
        let want = values.iter().min().zip(values.iter().max());
        assert_eq!(min_max, want.map(|(a, b)| (*a, *b)));

        let type_ = int_type();
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            compression: CompressionOptions::Uncompressed,
            version: Version::V1,
            data_page_size: None,
        };
        let array: Box<dyn Array> = Box::new(PrimitiveArray::from_vec(values.to_vec()));
        let theirs: Vec<Page> = array_to_columns(
            array,
            type_.clone(),
            options,
            &[Encoding::DeltaBinaryPacked],
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .flatten()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{e}"));
        let ours = int_page(values, &type_, &options.statistics);
        match (theirs.as_slice(), ours) {
            ([], None) if values.is_empty() => {}
            ([Page::Data(theirs)], Some(Page::Data(ours))) => {
                assert_eq!(
                    format!("{:?}", ours.header()),
                    format!("{:?}", theirs.header())
                );
                assert_eq!(
                    ours.buffer(),
                    theirs.buffer(),
                    "{} values starting {:?}",
                    values.len(),
                    values.first()
                );
            }
            _ => panic!("not one data page each"),
        }
    }

    #[test]
    fn the_encoding_is_byte_identical_to_polars() {
        same_as_polars(&[]);
        same_as_polars(&[7]);
        same_as_polars(&[-7]);
        same_as_polars(&[1, 2]);
        same_as_polars(&[5, 5, 5, 5]);
        same_as_polars(&[10, 3, 1, 0, -100]);
        same_as_polars(&[i64::MAX, i64::MIN, 0, i64::MAX, -1, i64::MIN]);
        // Exactly one, two blocks; one value more and fewer.
        for n in [255, 256, 257, 258, 511, 512, 513, 1000] {
            let up: Vec<i64> = (0..n).collect();
            same_as_polars(&up);
            let down: Vec<i64> = (0..n).map(|i| 1_000_000 - i * 37).collect();
            same_as_polars(&down);
        }
        // Token-like columns: offsets growing by a word's length, indexes reset per sentence,
        // a document boundary where everything starts again; then a short last block after a
        // wide one (its padding holds the wide block's leftovers).
        let mut x = 12_345u64;
        let mut next = || {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            x >> 33
        };
        let mut offsets = Vec::new();
        let mut at = 0i64;
        for i in 0..5000 {
            if i % 1700 == 0 {
                at = 0;
            }
            at += (next() % 4) as i64 + 1;
            offsets.push(at);
        }
        same_as_polars(&offsets);
        let mut wide: Vec<i64> = (0..256).map(|_| next() as i64 * 1_000_003).collect();
        wide.extend([1, 2, 3]);
        same_as_polars(&wide);
        let huge: Vec<i64> = (0..700).map(|_| (next() << 33 | next()) as i64).collect();
        same_as_polars(&huge);
        for width in 0..64 {
            let v: Vec<i64> = (0..300)
                .map(|i| {
                    if i % 2 == 0 {
                        0
                    } else {
                        ((1u64 << width) - 1) as i64
                    }
                })
                .collect();
            same_as_polars(&v);
        }
    }

    #[test]
    fn pages_are_only_written_for_one_page_of_values() {
        let too_many = vec![0i64; MAX_PAGE_VALUES + 1];
        let options = StatisticsOptions::default();
        assert!(int_page(&too_many, &int_type(), &options).is_none());
        assert!(int_page(&[], &int_type(), &options).is_none());
        assert!(int_page(&[1, 2, 3], &int_type(), &options).is_some());
    }
}
