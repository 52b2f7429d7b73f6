//! Encoding detection and decoding: bytes → `String`, never assuming an encoding.
//!
//! Order: a byte-order mark decides (UTF-8, UTF-16LE, UTF-16BE); else bytes that are valid
//! UTF-8 without NUL bytes are UTF-8; else every candidate (UTF-8 with replacement, GB18030,
//! Big5, UTF-16LE, UTF-16BE and chardetng's guess) decodes a 32 KB sample and the candidate whose
//! text scores best wins. The score rewards common Chinese characters (from
//! `data/ingest/common_chars.txt`, simplified and traditional) and punishes rare ones,
//! replacement characters, control characters and private-use characters, so a Big5 text
//! that "decodes without errors" as GB18030 into mojibake still loses to Big5.

use std::sync::OnceLock;

use encoding_rs::{Encoding, BIG5, GB18030, GBK, UTF_16BE, UTF_16LE, UTF_8};

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

/// Weight of one character: common Chinese characters and CJK punctuation are evidence of a
/// right decoding; rare ideographs, letters from other scripts and garbage are evidence of
/// mojibake.
fn char_weight(ch: char) -> (i64, bool) {
    let cp = ch as u32;
    if ch.is_ascii() && !is_garbage(ch) {
        return (0, false);
    }
    if is_garbage(ch) {
        return (-6, true);
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

/// Scores a text: the sum of its characters' weights (see the module doc).
pub fn score_text(text: &str) -> TextScore {
    let mut out = TextScore::default();
    for ch in text.chars() {
        let (weight, garbage) = char_weight(ch);
        out.score += weight;
        out.chars += 1;
        if garbage {
            out.garbage += 1;
        }
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

/// Decodes a sample (a prefix of the file) without replacing an incomplete sequence at its
/// end, so cutting the sample in the middle of a character costs no candidate anything.
fn decode_sample(encoding: &'static Encoding, sample: &[u8], is_whole_file: bool) -> String {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length(sample.len())
        .unwrap_or(sample.len() * 3);
    let mut out = String::with_capacity(capacity);
    let _ = decoder.decode_to_string(sample, &mut out, is_whole_file);
    out
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
pub fn best_candidate(bytes: &[u8]) -> (&'static Encoding, TextScore) {
    let sample_len = bytes.len().min(SAMPLE_BYTES);
    let sample = bytes.get(..sample_len).unwrap_or(bytes);
    let whole = sample_len == bytes.len();
    let mut best: Option<(&'static Encoding, TextScore)> = None;
    let consider = |best: &mut Option<(&'static Encoding, TextScore)>,
                    encoding: &'static Encoding| {
        let score = score_text(&decode_sample(encoding, sample, whole));
        let better = match best {
            None => true,
            Some((_, b)) => score.score > b.score,
        };
        if better {
            *best = Some((encoding, score));
        }
    };
    for encoding in [UTF_8, GB18030, BIG5, UTF_16LE, UTF_16BE] {
        consider(&mut best, encoding);
    }
    // chardetng (the slowest step) is asked only when no fixed candidate reads as clean
    // Chinese text: no garbage and an average weight of at least 1 per character.
    let clearly_text = best.is_some_and(|(_, b)| b.garbage == 0 && b.score >= b.chars as i64);
    if !clearly_text {
        let detector_len = sample.len().min(CHARDETNG_BYTES);
        let guess = guess_with_chardetng(
            sample.get(..detector_len).unwrap_or(sample),
            detector_len == bytes.len(),
        );
        if ![UTF_8, GB18030, GBK, BIG5, UTF_16LE, UTF_16BE].contains(&guess) {
            consider(&mut best, guess);
        }
    }
    best.unwrap_or((UTF_8, TextScore::default()))
}

/// Decodes `bytes` (see the module doc for the order of decisions).
pub fn decode(bytes: Vec<u8>) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(&bytes) {
        let body = bytes.get(bom_len..).unwrap_or(&[]);
        let (text, had_errors) = encoding.decode_without_bom_handling(body);
        return Decoded {
            text: text.into_owned(),
            encoding: encoding_name(encoding),
            bytes_replaced: had_errors,
        };
    }
    let bytes = if bytes.contains(&0) {
        bytes
    } else {
        match String::from_utf8(bytes) {
            Ok(text) => {
                return Decoded {
                    text,
                    encoding: UTF_8.name(),
                    bytes_replaced: false,
                }
            }
            Err(e) => e.into_bytes(),
        }
    };
    let (encoding, _) = best_candidate(&bytes);
    let (text, had_errors) = encoding.decode_without_bom_handling(&bytes);
    Decoded {
        text: text.into_owned(),
        encoding: encoding_name(encoding),
        bytes_replaced: had_errors,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
