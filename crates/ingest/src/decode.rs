//! Encoding detection and decoding: bytes → `String`, never assuming an encoding.
//!
//! Order: a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE); else bytes that are valid
//! UTF-8 without NUL bytes are UTF-8; else every candidate (UTF-8 with replacement, GB18030,
//! Big5, UTF-16LE, UTF-16BE and chardetng's guess) decodes a 32 KB sample and the candidate whose
//! text scores best wins (candidates that cannot catch up are given up early, see
//! [`choose_encoding`]). The score rewards common Chinese characters (from
//! `data/ingest/common_chars.txt`, simplified and traditional) and punishes rare ones,
//! replacement characters, control characters and private-use characters, so a Big5 text
//! that "decodes without errors" as GB18030 into mojibake still loses to Big5.

use std::sync::OnceLock;

use encoding_rs::{CoderResult, Decoder, Encoding, BIG5, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};

use crate::scan;

/// Bytes of the file used to score candidate encodings.
const SAMPLE_BYTES: usize = 32 * 1024;
/// Bytes given to chardetng (it is the slowest step; its guess only adds one candidate).
const CHARDETNG_BYTES: usize = 8 * 1024;

/// First code point of the rank table.
const RANK_TABLE_START: u32 = 0x3400;
/// Last code point of the rank table.
const RANK_TABLE_END: u32 = 0x9FFF;
/// Ranks below this count as "very common".
const TOP_RANK: u16 = 1000;

/// The frequency list: one rank per line, simplified character then traditional forms.
const COMMON_CHARS: &str = include_str!("../../../data/ingest/common_chars.txt");

/// A decoded text and how it was decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The text, without byte-order mark.
    pub text: String,
    /// Name of the encoding chosen (`UTF-8`, `GB18030`, `Big5`, `UTF-16LE`, …).
    pub encoding: &'static str,
    /// True when some bytes could not be decoded and became U+FFFD.
    pub bytes_replaced: bool,
}

/// Score of a candidate decoding of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TextScore {
    /// Sum of per-character weights: higher is more plausible text.
    pub score: i64,
    /// Characters scored.
    pub chars: usize,
    /// Characters that never occur in text: U+FFFD, control and private-use characters.
    pub garbage: usize,
}

impl TextScore {
    /// True when the garbage share is so high (over 5%, and at least 4 characters, so a short
    /// text cut inside its last character stays text) that the bytes are not text in any
    /// encoding.
    pub fn looks_binary(&self) -> bool {
        self.garbage >= 4 && self.garbage * 20 > self.chars
    }
}

/// The characters and garbage characters of a text: what [`score_text`] counts, without the
/// per-character weights (much cheaper). Enough to tell binary content from text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct GarbageCount {
    /// Characters counted.
    pub chars: usize,
    /// Characters that never occur in text (see [`score_text`]).
    pub garbage: usize,
}

impl GarbageCount {
    /// Same rule as [`TextScore::looks_binary`].
    pub fn looks_binary(&self) -> bool {
        TextScore {
            score: 0,
            chars: self.chars,
            garbage: self.garbage,
        }
        .looks_binary()
    }
}

fn rank_table() -> &'static [u16] {
    static TABLE: OnceLock<Vec<u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![0u16; (RANK_TABLE_END - RANK_TABLE_START + 1) as usize];
        let lines = COMMON_CHARS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        for (rank, line) in lines.enumerate() {
            let stored = u16::try_from(rank + 1).unwrap_or(u16::MAX);
            for ch in line.chars().filter(|c| !c.is_whitespace()) {
                let cp = ch as u32;
                if (RANK_TABLE_START..=RANK_TABLE_END).contains(&cp) {
                    if let Some(slot) = table.get_mut((cp - RANK_TABLE_START) as usize) {
                        if *slot == 0 {
                            *slot = stored;
                        }
                    }
                }
            }
        }
        table
    })
}

/// Frequency rank (1 = most common) of a Chinese character in the bundled list, if listed.
pub fn common_rank(ch: char) -> Option<u16> {
    let cp = ch as u32;
    if !(RANK_TABLE_START..=RANK_TABLE_END).contains(&cp) {
        return None;
    }
    match rank_table().get((cp - RANK_TABLE_START) as usize) {
        Some(&r) if r > 0 => Some(r),
        _ => None,
    }
}

fn is_cjk_ideograph(cp: u32) -> bool {
    (0x3400..=0x4DBF).contains(&cp)
        || (0x4E00..=0x9FFF).contains(&cp)
        || (0xF900..=0xFAFF).contains(&cp)
        || (0x20000..=0x3FFFF).contains(&cp)
}

fn is_garbage(ch: char) -> bool {
    let cp = ch as u32;
    ch == '\u{FFFD}'
        || (ch.is_control() && !matches!(ch, '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}'))
        || (0xE000..=0xF8FF).contains(&cp)
        || cp >= 0xF0000
        || (0xFDD0..=0xFDEF).contains(&cp)
        || (cp & 0xFFFE) == 0xFFFE
}

/// Bytes per chunk of [`count_garbage`]'s vector test (at most 255: a chunk's characters
/// are counted in a `u8`).
const GARBAGE_CHUNK: usize = 64;

/// True for a byte that may start a garbage character, given the byte after it; every
/// other byte starts a character [`is_garbage`] accepts (or is a continuation byte).
/// Garbage starts with a C0 control other than `\t \n \v \f \r`, DEL, `C2` (C1 controls
/// U+0080–U+009F) or `EE`–`F4` (private use, noncharacters, U+FFFD, planes 1–16); but
/// `EF BC`/`EF BD` start the common full-width forms U+FF00–U+FF7F (`，：；！？`), never
/// garbage. Written with `&`/`|`, not `&&`/`||`, so a chunk's test vectorises.
fn may_start_garbage(b: u8, next: u8) -> bool {
    let control = (b < 0x20) & (b.wrapping_sub(0x09) >= 5);
    let full_width = (b == 0xEF) & ((next & 0xFE) == 0xBC);
    control | (b == 0x7F) | (b == 0xC2) | ((b >= 0xEE) & !full_width)
}

/// Garbage characters starting in `text[start..end]` (a byte range), each checked with
/// [`is_garbage`].
fn garbage_between(text: &str, start: usize, end: usize) -> usize {
    let bytes = text.as_bytes();
    (start..end)
        .filter(|&at| {
            let b = bytes.get(at).copied().unwrap_or(0);
            let next = bytes.get(at + 1).copied().unwrap_or(0);
            may_start_garbage(b, next)
                && text
                    .get(at..)
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(is_garbage)
        })
        .count()
}

/// Counts characters and garbage characters of `text` (exactly as [`score_text`] does), in
/// one pass: a chunk without a byte that may start garbage is only counted (a vector test);
/// in the others each such character is decoded and checked.
pub(crate) fn count_garbage(text: &str) -> GarbageCount {
    let bytes = text.as_bytes();
    let is_char_start = |b: u8| (b as i8) >= -0x40;
    let mut count = GarbageCount::default();
    let mut start = 0;
    // Whole chunks (with the byte after each one) ...
    while let (Some(chunk), Some(next)) = (
        bytes.get(start..start + GARBAGE_CHUNK),
        bytes.get(start + 1..start + GARBAGE_CHUNK + 1),
    ) {
        let starts = chunk
            .iter()
            .map(|&b| u8::from(is_char_start(b)))
            .sum::<u8>();
        count.chars += usize::from(starts);
        let suspect = chunk
            .iter()
            .zip(next)
            .fold(0u8, |any, (&b, &n)| any | u8::from(may_start_garbage(b, n)));
        if suspect != 0 {
            count.garbage += garbage_between(text, start, start + GARBAGE_CHUNK);
        }
        start += GARBAGE_CHUNK;
    }
    // ... then the rest byte by byte.
    let rest = bytes.get(start..).unwrap_or_default();
    count.chars += rest.iter().filter(|&&b| is_char_start(b)).count();
    count.garbage += garbage_between(text, start, bytes.len());
    count
}

/// Weight of one character: common Chinese characters and CJK punctuation are evidence of a
/// right decoding; rare ideographs, letters from other scripts and garbage are evidence of
/// mojibake.
fn char_weight(ch: char) -> (i64, bool) {
    let cp = ch as u32;
    if ch.is_ascii() && !is_garbage(ch) {
        return (0, false);
    }
    if is_garbage(ch) {
        return (GARBAGE_WEIGHT, true);
    }
    if let Some(rank) = common_rank(ch) {
        return (if rank <= TOP_RANK { 3 } else { 2 }, false);
    }
    if is_cjk_ideograph(cp) {
        return (-2, false);
    }
    let punctuation = (0x3000..=0x303F).contains(&cp) // CJK symbols and punctuation
        || (0xFF01..=0xFF5E).contains(&cp) // full-width ASCII forms
        || (0x2010..=0x2027).contains(&cp) // dashes, quotes, ellipsis
        || (0x2030..=0x205E).contains(&cp)
        || cp == 0x00A0
        || cp == 0x00B7;
    if punctuation {
        return (1, false);
    }
    (-1, false)
}

/// First code point of the weight table: CJK punctuation, kana, the ideographs and the
/// rest of the basic multilingual plane, where Chinese text (and most mojibake) spends
/// almost all its characters.
const WEIGHT_TABLE_START: u32 = 0x3000;
/// Last code point of the weight table.
const WEIGHT_TABLE_END: u32 = 0xFFFF;
/// The weight of a garbage character (and of no other).
const GARBAGE_WEIGHT: i64 = -6;

/// [`char_weight`] of every code point from [`WEIGHT_TABLE_START`] to [`WEIGHT_TABLE_END`]
/// (surrogates, which are not characters, weigh 0), looked up in one step by [`score_text`].
fn weight_table() -> &'static [i8] {
    static TABLE: OnceLock<Vec<i8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (WEIGHT_TABLE_START..=WEIGHT_TABLE_END)
            .map(|cp| {
                let weight = char::from_u32(cp).map_or(0, |ch| char_weight(ch).0);
                i8::try_from(weight).unwrap_or(i8::MIN)
            })
            .collect()
    })
}

/// Scores a text: the sum of its characters' weights (see the module doc).
pub fn score_text(text: &str) -> TextScore {
    let table = weight_table();
    let mut out = TextScore::default();
    for ch in text.chars() {
        out.chars += 1;
        let cp = ch as u32;
        // Fast paths with the weights `char_weight` gives: printable ASCII, and the table.
        if ch.is_ascii() && !ch.is_ascii_control() {
            continue;
        }
        let listed = cp
            .checked_sub(WEIGHT_TABLE_START)
            .and_then(|i| table.get(i as usize));
        let (weight, garbage) = match listed {
            Some(&weight) => (i64::from(weight), i64::from(weight) == GARBAGE_WEIGHT),
            None => char_weight(ch),
        };
        out.score += weight;
        out.garbage += usize::from(garbage);
    }
    out
}

/// Canonical name written to the `encoding` column (GBK decodes as GB18030).
fn encoding_name(encoding: &'static Encoding) -> &'static str {
    if encoding == GBK || encoding == GB18030 {
        "GB18030"
    } else {
        encoding.name()
    }
}

/// Input bytes decoded between two checks whether a candidate encoding can still win.
const PIECE_BYTES: usize = 2048;
/// Bytes a decoder may hold back between two pieces (an unfinished sequence), counted in the
/// bound on what the rest of a sample can still add (generously).
const PENDING_BYTES: usize = 16;

/// Appends the decoding of `src` to `dst`, reserving room as needed; true when some bytes
/// were malformed and replaced by U+FFFD.
fn decode_piece(decoder: &mut Decoder, mut src: &[u8], dst: &mut String, last: bool) -> bool {
    let mut replaced = false;
    loop {
        let room = decoder
            .max_utf8_buffer_length(src.len())
            .unwrap_or(src.len() * 3 + PENDING_BYTES);
        dst.reserve(room);
        let (result, read, had_errors) = decoder.decode_to_string(src, dst, last);
        replaced |= had_errors;
        src = src.get(read..).unwrap_or_default();
        if result == CoderResult::InputEmpty {
            return replaced;
        }
    }
}

/// The best candidate so far: its encoding, score and place in the order of preference, and
/// when the sample was the whole file, its decoding (text, bytes replaced), so the file need
/// not be decoded again.
struct Leader {
    encoding: &'static Encoding,
    score: TextScore,
    preference: usize,
    decoded: Option<(String, bool)>,
}

impl Leader {
    /// True when a candidate of this preference scoring `score` takes the lead: a higher
    /// score, or the same score and an earlier place in the order of preference.
    fn is_beaten_by(&self, score: i64, preference: usize) -> bool {
        score > self.score.score || (score == self.score.score && preference < self.preference)
    }
}

/// Scores the decoding of a sample (a prefix of the file; an incomplete sequence at its end
/// is not replaced unless it is the whole file, so cutting the sample inside a character
/// costs no candidate anything). Returns the score and whether bytes were replaced.
///
/// The sample is decoded piece by piece into `buffer` (which keeps the whole decoding when
/// the sample is the whole file, else only the last piece), and scoring stops (`None`) as
/// soon as the candidate can no longer take the lead from `leader`. The bound on what the
/// bytes left can add: only listed characters of U+3400–U+9FFF weigh more than 1 (2 or 3),
/// and those take at least 2 bytes in every encoding; so at most 1.5 per byte.
fn score_candidate(
    encoding: &'static Encoding,
    preference: usize,
    sample: &[u8],
    is_whole_file: bool,
    leader: Option<&Leader>,
    buffer: &mut String,
) -> Option<(TextScore, bool)> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut total = TextScore::default();
    let mut replaced = false;
    let mut offset = 0;
    buffer.clear();
    for piece in sample.chunks(PIECE_BYTES) {
        offset += piece.len();
        if !is_whole_file {
            buffer.clear();
        }
        let start = buffer.len();
        let last = is_whole_file && offset == sample.len();
        replaced |= decode_piece(&mut decoder, piece, buffer, last);
        let score = score_text(buffer.get(start..).unwrap_or_default());
        total.score += score.score;
        total.chars += score.chars;
        total.garbage += score.garbage;
        let left = (sample.len() - offset + PENDING_BYTES) as i64;
        // Twice the highest reachable score: 2 × score + 3 × bytes left.
        let reachable_twice = 2 * total.score + 3 * left;
        if let Some(leader) = leader {
            let leader_twice = 2 * leader.score.score;
            let hopeless = reachable_twice < leader_twice
                || (reachable_twice == leader_twice && preference > leader.preference);
            if hopeless {
                return None;
            }
        }
    }
    Some((total, replaced))
}

/// chardetng's guess for a sample.
fn guess_with_chardetng(sample: &[u8], is_whole_file: bool) -> &'static Encoding {
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, is_whole_file);
    detector.guess(None, chardetng::Utf8Detection::Allow)
}

/// Scores every candidate encoding on a sample of `bytes` and returns the best one with
/// its score (ties go to the earlier candidate: UTF-8, GB18030, Big5, UTF-16LE, UTF-16BE,
/// then chardetng's guess).
///
/// The candidates are tried GB18030 and Big5 first (the likeliest winners for bytes that
/// are not UTF-8), so that the others can mostly be given up after a piece or two; the
/// order of preference, not the order of trying, decides ties.
#[cfg(test)]
fn best_candidate(bytes: &[u8]) -> (&'static Encoding, TextScore) {
    choose_encoding(bytes).map_or((UTF_8, TextScore::default()), |l| (l.encoding, l.score))
}

/// [`best_candidate`], with the winner's decoding of the whole file when the sample was all
/// of it.
fn choose_encoding(bytes: &[u8]) -> Option<Leader> {
    let sample_len = bytes.len().min(SAMPLE_BYTES);
    let sample = bytes.get(..sample_len).unwrap_or(bytes);
    let whole = sample_len == bytes.len();
    let preferred = [UTF_8, GB18030, BIG5, UTF_16LE, UTF_16BE];
    let mut leader: Option<Leader> = None;
    let mut buffer = String::new();
    let mut consider = |leader: &mut Option<Leader>, encoding, preference| {
        let current = leader.as_ref();
        let scored = score_candidate(encoding, preference, sample, whole, current, &mut buffer);
        if let Some((score, replaced)) = scored {
            let leads = match current {
                None => true,
                Some(l) => l.is_beaten_by(score.score, preference),
            };
            if leads {
                *leader = Some(Leader {
                    encoding,
                    score,
                    preference,
                    decoded: whole.then(|| (std::mem::take(&mut buffer), replaced)),
                });
            }
        }
    };
    for preference in [1, 2, 0, 3, 4] {
        if let Some(&encoding) = preferred.get(preference) {
            consider(&mut leader, encoding, preference);
        }
    }
    // chardetng (the slowest step) is asked only when no fixed candidate reads as clean
    // Chinese text: no garbage and an average weight of at least 1 per character.
    let clearly_text = leader
        .as_ref()
        .is_some_and(|l| l.score.garbage == 0 && l.score.score >= l.score.chars as i64);
    if !clearly_text {
        let detector_len = sample.len().min(CHARDETNG_BYTES);
        let guess = guess_with_chardetng(
            sample.get(..detector_len).unwrap_or(sample),
            detector_len == bytes.len(),
        );
        if ![UTF_8, GB18030, GBK, BIG5, UTF_16LE, UTF_16BE].contains(&guess) {
            consider(&mut leader, guess, preferred.len());
        }
    }
    leader
}

/// Largest valid UTF-8 file copied into its `String` (see [`decode`]).
const COPY_UTF8_MAX_BYTES: usize = 1 << 20;

/// A text that was valid UTF-8.
fn utf8_decoded(text: String) -> Decoded {
    Decoded {
        text,
        encoding: UTF_8.name(),
        bytes_replaced: false,
    }
}

/// Decodes `bytes` (see the module doc for the order of decisions).
pub fn decode(mut bytes: Vec<u8>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        let body = bytes.get(bom_len..).unwrap_or(&[]);
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        return Decoded {
            text: text.into_owned(),
            encoding: encoding_name(encoding),
            bytes_replaced: had_errors,
        };
    }
    // Valid UTF-8 (the common case) is checked with SIMD. Without `unsafe` a `String` can
    // only take the bytes over after std validates them again, several times slower than
    // copying them: so a file up to 1 MiB is copied, a larger one (rare) is handed over,
    // which keeps its memory at one copy.
    if !scan::contains_byte(&bytes, 0) {
        if let Ok(text) = simdutf8::basic::from_utf8(&bytes) {
            if bytes.len() <= COPY_UTF8_MAX_BYTES {
                return utf8_decoded(text.to_owned());
            }
            match String::from_utf8(bytes) {
                Ok(text) => return utf8_decoded(text),
                Err(e) => bytes = e.into_bytes(),
            }
        }
    }
    let leader = choose_encoding(&bytes);
    let encoding = leader.as_ref().map_or(UTF_8, |l| l.encoding);
    let (text, bytes_replaced) = match leader.and_then(|l| l.decoded) {
        Some(decoded) => decoded,
        None => {
            let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
            (text.into_owned(), had_errors)
        }
    };
    Decoded {
        text,
        encoding: encoding_name(encoding),
        bytes_replaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn garbage_count_agrees_with_score(text in "\\PC{0,100}|[\\x00-\\x{A0}\\x{E000}-\\x{E010}\\x{FDC0}-\\x{FFFF}\\x{F0000}-\\x{F0010}一-丁]{0,100}") {
            let score = score_text(&text);
            let count = count_garbage(&text);
            prop_assert_eq!((count.chars, count.garbage), (score.chars, score.garbage));
            prop_assert_eq!(count.looks_binary(), score.looks_binary());
        }
    }

    fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
        let (bytes, _, had_errors) = encoding.encode(text);
        assert!(!had_errors, "{} cannot encode {text:?}", encoding.name());
        bytes.into_owned()
    }

    fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if little_endian {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                }
            })
            .collect()
    }

    const SIMPLIFIED: &str = "各位代表：现在，我代表市人民政府向大会报告工作，请予审议。过去一年，全市经济运行稳中有进，地区生产总值增长百分之六。";
    const TRADITIONAL: &str = "各位來賓：本縣召開經濟工作會議，總結過去一年的發展成績，部署今年的重點任務。會議強調，要堅持穩中求進。";

    #[test]
    fn the_weight_table_marks_garbage_by_its_weight() {
        let table = weight_table();
        assert_eq!(
            table.len(),
            (WEIGHT_TABLE_END - WEIGHT_TABLE_START + 1) as usize
        );
        for (cp, &weight) in (WEIGHT_TABLE_START..).zip(table) {
            if let Some(ch) = char::from_u32(cp) {
                assert_eq!(
                    char_weight(ch),
                    (i64::from(weight), is_garbage(ch)),
                    "{cp:X}"
                );
                assert_eq!(
                    is_garbage(ch),
                    i64::from(weight) == GARBAGE_WEIGHT,
                    "{cp:X}"
                );
            }
        }
    }

    #[test]
    fn common_characters_are_ranked() {
        assert!(common_rank('的').is_some_and(|r| r <= TOP_RANK));
        assert!(
            common_rank('會').is_some(),
            "traditional forms share their simplified rank"
        );
        assert_eq!(common_rank('a'), None);
    }

    #[test]
    fn utf8_without_nul_is_taken_as_is() {
        let d = decode(SIMPLIFIED.as_bytes().to_vec());
        assert_eq!(
            (d.text.as_str(), d.encoding, d.bytes_replaced),
            (SIMPLIFIED, "UTF-8", false)
        );
    }

    #[test]
    fn large_utf8_files_are_handed_over_small_ones_copied() {
        for repeat in [1, COPY_UTF8_MAX_BYTES / SIMPLIFIED.len() + 1] {
            let text = SIMPLIFIED.repeat(repeat);
            let d = decode(text.clone().into_bytes());
            assert_eq!(
                (d.text, d.encoding, d.bytes_replaced),
                (text, "UTF-8", false)
            );
        }
    }

    #[test]
    fn byte_order_marks_decide() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(SIMPLIFIED.as_bytes());
        assert_eq!(decode(bytes).text, SIMPLIFIED);
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16(TRADITIONAL, true));
        let d = decode(le);
        assert_eq!((d.text.as_str(), d.encoding), (TRADITIONAL, "UTF-16LE"));
        let mut be = vec![0xFE, 0xFF];
        be.extend(utf16(SIMPLIFIED, false));
        let d = decode(be);
        assert_eq!((d.text.as_str(), d.encoding), (SIMPLIFIED, "UTF-16BE"));
    }

    #[test]
    fn gb18030_and_big5_are_told_apart_by_score() {
        let d = decode(encode(GB18030, SIMPLIFIED));
        assert_eq!(
            (d.text.as_str(), d.encoding, d.bytes_replaced),
            (SIMPLIFIED, "GB18030", false)
        );
        let d = decode(encode(BIG5, TRADITIONAL));
        assert_eq!((d.text.as_str(), d.encoding), (TRADITIONAL, "Big5"));
        // The Big5 bytes decode as GB18030 too, into mojibake that must score lower.
        let big5 = encode(BIG5, TRADITIONAL);
        let (mojibake, _) = GB18030.decode_without_bom_handling(&big5);
        assert!(score_text(&mojibake).score < score_text(TRADITIONAL).score);
    }

    #[test]
    fn utf16_without_bom_is_found() {
        for (text, le) in [
            (SIMPLIFIED, true),
            (TRADITIONAL, false),
            ("Plain ASCII text, twice.\n", true),
        ] {
            let d = decode(utf16(text, le));
            assert_eq!(d.text, text);
            assert_eq!(d.encoding, if le { "UTF-16LE" } else { "UTF-16BE" });
        }
    }

    #[test]
    fn truncated_utf8_stays_utf8_with_replacement() {
        let mut bytes = SIMPLIFIED.as_bytes().to_vec();
        bytes.truncate(bytes.len() - 1);
        let d = decode(bytes);
        assert_eq!(d.encoding, "UTF-8");
        assert!(d.bytes_replaced);
        assert!(d.text.ends_with('\u{FFFD}'));
        let short = "同志们，今天开会。".as_bytes();
        let d = decode(short[..short.len() - 1].to_vec());
        assert!(
            d.bytes_replaced && !score_text(&d.text).looks_binary(),
            "{d:?}"
        );
    }

    #[test]
    fn random_bytes_look_binary() {
        let mut state: u32 = 12345;
        let bytes: Vec<u8> = (0..4096)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (state >> 16) as u8
            })
            .collect();
        let (_, score) = best_candidate(&bytes);
        assert!(score.looks_binary(), "{score:?}");
        let (_, text_score) = best_candidate(&encode(GB18030, SIMPLIFIED));
        assert!(!text_score.looks_binary());
    }

    #[test]
    fn scores_prefer_common_characters() {
        assert!(score_text("同志们，今天召开大会").score > score_text("鞴鞫鞲鞯鞶鞷鞸鞹鞺").score);
        assert!(score_text("abc\u{FFFD}").garbage == 1);
        assert_eq!(score_text("").chars, 0);
    }

    /// The straightforward definition of [`best_candidate`]: every candidate's whole sample
    /// decoded at once and scored character by character with [`char_weight`].
    fn best_candidate_reference(bytes: &[u8]) -> (&'static Encoding, TextScore) {
        let score_slow = |text: &str| {
            let mut out = TextScore::default();
            for ch in text.chars() {
                let (weight, garbage) = char_weight(ch);
                out.score += weight;
                out.chars += 1;
                out.garbage += usize::from(garbage);
            }
            out
        };
        let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
        let whole = sample.len() == bytes.len();
        let mut best: Option<(&'static Encoding, TextScore)> = None;
        let consider = |best: &mut Option<(&'static Encoding, TextScore)>,
                        encoding: &'static Encoding| {
            let mut decoder = encoding.new_decoder_without_bom_handling();
            let mut text = String::with_capacity(sample.len() * 3 + 16);
            let _ = decoder.decode_to_string(sample, &mut text, whole);
            let score = score_slow(&text);
            if !best.is_some_and(|(_, b)| score.score <= b.score) {
                *best = Some((encoding, score));
            }
        };
        for encoding in [UTF_8, GB18030, BIG5, UTF_16LE, UTF_16BE] {
            consider(&mut best, encoding);
        }
        let clearly_text = best.is_some_and(|(_, b)| b.garbage == 0 && b.score >= b.chars as i64);
        if !clearly_text {
            let detector_len = sample.len().min(CHARDETNG_BYTES);
            let guess = guess_with_chardetng(&sample[..detector_len], detector_len == bytes.len());
            if ![UTF_8, GB18030, GBK, BIG5, UTF_16LE, UTF_16BE].contains(&guess) {
                consider(&mut best, guess);
            }
        }
        best.unwrap_or((UTF_8, TextScore::default()))
    }

    /// Bytes of Chinese text in some encoding, cut anywhere, with some noise.
    fn mixed_bytes() -> impl Strategy<Value = Vec<u8>> {
        let encodings = proptest::sample::select(vec![UTF_8, GB18030, BIG5, UTF_16LE, UTF_16BE]);
        (
            "[一-龥，。：\\n a-z0-9]{0,3000}",
            encodings,
            proptest::collection::vec(any::<u8>(), 0..20),
            any::<prop::sample::Index>(),
        )
            .prop_map(|(text, encoding, noise, cut)| {
                let mut bytes = if encoding == UTF_16LE || encoding == UTF_16BE {
                    text.encode_utf16()
                        .flat_map(|u| {
                            if encoding == UTF_16LE {
                                u.to_le_bytes()
                            } else {
                                u.to_be_bytes()
                            }
                        })
                        .collect()
                } else {
                    encoding.encode(&text).0.into_owned()
                };
                let at = cut.index(bytes.len() + 1);
                bytes.splice(at..at, noise);
                bytes
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn pruned_candidates_choose_as_the_reference_does(bytes in mixed_bytes()) {
            prop_assert_eq!(best_candidate(&bytes), best_candidate_reference(&bytes));
        }

        #[test]
        fn decoded_text_is_the_winners_decoding_of_the_whole_file(bytes in mixed_bytes()) {
            prop_assume!(Encoding::for_bom(&bytes).is_none());
            prop_assume!(bytes.contains(&0) || std::str::from_utf8(&bytes).is_err());
            let (encoding, _) = best_candidate_reference(&bytes);
            let (text, replaced) = encoding.decode_without_bom_handling(&bytes);
            let decoded = decode(bytes.clone());
            prop_assert_eq!(decoded.encoding, encoding_name(encoding));
            prop_assert_eq!(decoded.bytes_replaced, replaced);
            prop_assert_eq!(decoded.text, text.into_owned());
        }

        #[test]
        fn fast_score_agrees_with_char_weights(text in "\\PC{0,200}|[\\x00-\\x{FF}\\x{3400}-\\x{3410}\\x{4DB0}-\\x{4E10}\\x{9FF0}-\\x{A010}]{0,200}") {
            let mut slow = TextScore::default();
            for ch in text.chars() {
                let (weight, garbage) = char_weight(ch);
                slow.score += weight;
                slow.chars += 1;
                slow.garbage += usize::from(garbage);
            }
            prop_assert_eq!(score_text(&text), slow);
        }
    }

    #[test]
    fn long_samples_are_pruned_to_the_same_choice() {
        let long = SIMPLIFIED.repeat(400);
        for encoding in [GB18030, BIG5] {
            let text = if encoding == BIG5 {
                TRADITIONAL.repeat(400)
            } else {
                long.clone()
            };
            let mut bytes = encode(encoding, &text);
            bytes.push(0x81); // a cut sequence at the very end
            assert_eq!(best_candidate(&bytes), best_candidate_reference(&bytes));
            assert_eq!(
                best_candidate(&bytes[..40_000]),
                best_candidate_reference(&bytes[..40_000])
            );
        }
    }

    #[test]
    fn garbage_count_agrees_with_score_on_every_kind_of_character() {
        let text = "正文，（全角）\t\n\r\u{0B}\u{0C}\u{1}\u{1F}\u{7F}\u{80}\u{9F}\u{A0}·\u{E000}\u{F8FF}\u{F900}\u{FDD0}\u{FDEF}\u{FDF0}\u{FF5E}\u{FFFD}\u{FFFE}\u{FFFF}\u{1FFFE}\u{1F600}\u{20000}\u{EFFFF}\u{F0000}\u{10FFFF}";
        for text in [text.to_string(), text.repeat(7), "a".repeat(31) + text] {
            let score = score_text(&text);
            let count = count_garbage(&text);
            assert_eq!((count.chars, count.garbage), (score.chars, score.garbage));
        }
    }
}
