//! Byte-level scans over UTF-8 text for the checks ingest runs on every file: cutting a
//! prefix of N characters, finding a byte, and finding ASCII tags in any case without
//! lowercasing a copy.
//!
//! UTF-8 makes these cheap: a character starts at every byte that is not a continuation byte
//! (`10xxxxxx`), and an ASCII byte is always a whole character. The loops work on fixed-size
//! chunks so the compiler can vectorise them.

/// True for a byte that starts a character (ASCII or a lead byte, not `10xxxxxx`).
fn is_char_start(b: u8) -> bool {
    (b as i8) >= -0x40
}

/// Bytes per chunk of [`prefix_len`] (at most 255: a chunk is counted in a `u8`).
const COUNT_CHUNK: usize = 128;

/// Number of characters in one chunk (a fixed size, so the sum vectorises).
fn count_chunk(chunk: &[u8; COUNT_CHUNK]) -> usize {
    usize::from(
        chunk
            .iter()
            .map(|&b| u8::from(is_char_start(b)))
            .sum::<u8>(),
    )
}

/// Byte length of the first `max_chars` characters of `text` (all of it when shorter).
pub(crate) fn prefix_len(text: &str, max_chars: usize) -> usize {
    let bytes = text.as_bytes();
    // Every character takes at least one byte.
    if bytes.len() <= max_chars {
        return bytes.len();
    }
    // Whole chunks while they fit, then byte by byte to the exact end.
    let mut chars = 0;
    let mut offset = 0;
    for chunk in bytes
        .chunks_exact(COUNT_CHUNK)
        .flat_map(<&[u8; COUNT_CHUNK]>::try_from)
    {
        let n = count_chunk(chunk);
        if chars + n > max_chars {
            break;
        }
        chars += n;
        offset += COUNT_CHUNK;
    }
    for (i, &b) in bytes.iter().enumerate().skip(offset) {
        if is_char_start(b) {
            if chars == max_chars {
                return i;
            }
            chars += 1;
        }
    }
    bytes.len()
}

/// Bytes per chunk of [`position`].
const FIND_CHUNK: usize = 32;

/// Index of the first byte of `bytes` for which `is_match` holds. Chunks are tested whole
/// first (write `is_match` with `|`, not `||`, so the test vectorises); only the chunk with
/// a match is searched byte by byte. Much faster than `iter().position` on long texts.
pub(crate) fn position(bytes: &[u8], is_match: impl Fn(u8) -> bool + Copy) -> Option<usize> {
    let mut offset = 0;
    // (Folding into a `u8` over a sub-slice vectorises; a `bool` fold over an array from
    // `chunks_exact` did not.)
    while let Some(chunk) = bytes.get(offset..offset + FIND_CHUNK) {
        if chunk
            .iter()
            .fold(0u8, |any, &b| any | u8::from(is_match(b)))
            != 0
        {
            break;
        }
        offset += FIND_CHUNK;
    }
    let rest = bytes.get(offset..)?;
    rest.iter().position(|&b| is_match(b)).map(|i| offset + i)
}

/// True when `bytes` contains `needle` (std's `contains` goes a machine word at a time).
pub(crate) fn contains_byte(bytes: &[u8], needle: u8) -> bool {
    position(bytes, |b| b == needle).is_some()
}

/// True when `bytes` starts with `lowercase_ascii` in any ASCII case.
pub(crate) fn starts_with_ignore_ascii_case(bytes: &[u8], lowercase_ascii: &str) -> bool {
    bytes
        .get(..lowercase_ascii.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(lowercase_ascii.as_bytes()))
}

/// The text following each `<` of `text`, in order (found with [`position`], no allocation).
pub(crate) fn after_each_lt(text: &str) -> impl Iterator<Item = &[u8]> + '_ {
    let bytes = text.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        let at = from + position(bytes.get(from..)?, |b| b == b'<')?;
        from = at + 1;
        bytes.get(at..)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn prefix_len_matches_char_indices(text in "\\PC{0,400}", max in 0usize..300) {
            let expected = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
            prop_assert_eq!(prefix_len(&text, max), expected);
        }
    }

    #[test]
    fn prefix_len_crosses_chunks_exactly() {
        let text = "政府工作报告a".repeat(100);
        for max in [
            0, 1, 31, 32, 33, 100, 127, 128, 129, 279, 280, 699, 700, 701,
        ] {
            let expected = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
            assert_eq!(prefix_len(&text, max), expected, "max {max}");
        }
    }

    #[test]
    fn bytes_are_found_in_chunks_and_remainder() {
        let mut bytes = vec![b'a'; 200];
        assert!(!contains_byte(&bytes, 0));
        for at in [0, 63, 64, 127, 190, 199] {
            bytes[at] = 0;
            assert!(contains_byte(&bytes, 0), "at {at}");
            bytes[at] = b'a';
        }
        assert!(!contains_byte(&[], b'\r'));
    }

    proptest! {
        #[test]
        fn position_matches_iter_position(bytes in proptest::collection::vec(0u8..8, 0..200)) {
            prop_assert_eq!(position(&bytes, |b| b == 7), bytes.iter().position(|&b| b == 7));
            prop_assert_eq!(position(&bytes, |b| (b == 3) | (b == 5)), bytes.iter().position(|&b| b == 3 || b == 5));
        }
    }

    #[test]
    fn tags_are_found_in_any_case() {
        let found: Vec<&[u8]> = after_each_lt("a<B>c<x").collect();
        assert_eq!(found, [&b"<B>c<x"[..], &b"<x"[..]]);
        assert!(starts_with_ignore_ascii_case(b"<HTML lang", "<html"));
        assert!(!starts_with_ignore_ascii_case(b"<ht", "<html"));
    }
}
