//! Legacy Word `.doc` (Word 97–2003, and WPS files saved in its format) → text lines plus
//! [`PageMeta`].
//!
//! A `.doc` is an OLE2 compound file ([`cfb`]). Its `WordDocument` stream starts with the FIB,
//! which says which table stream (`0Table` or `1Table`) holds the piece table (the `Clx`) and
//! how many characters the main text has (`ccpText`). The piece table maps the main text's
//! character positions to pieces of the `WordDocument` stream, each UTF-16LE or "compressed"
//! (one byte a character, Windows-1252). Paragraph, cell and row ends, line and page breaks
//! end a line; field codes are skipped and field results kept; footnotes, headers, comments
//! and text boxes (after the main text) are not read. Title, author and creation time come
//! from the `SummaryInformation` property set.
//!
//! Word 6/95 files, encrypted files and other OLE2 files (`.xls`, `.ppt`, `.msg`) are
//! failures. Every length and offset is checked against the streams; nothing panics.

use std::io::{Cursor, Read};

use cfb::CompoundFile;
use gongwen_model::PageMeta;

use crate::decode::decode;

/// Why a `.doc` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocError {
    /// An OLE2 file without a Word document stream: a spreadsheet, a presentation…
    #[error("binary file: legacy office file without a Word document (.xls/.ppt/.msg, OLE2; not supported)")]
    NotWord,
    /// Not a readable compound file, or a Word structure that does not fit its stream.
    #[error("corrupt doc (OLE2): {0}")]
    Corrupt(String),
    /// A Word 6/95 file (`nFib` below Word 97's).
    #[error("word 6/95 document (nFib {0}, OLE2) is not supported: save it as .docx")]
    TooOld(u16),
    /// Encrypted or obfuscated.
    #[error("encrypted doc (OLE2): a password is needed")]
    Encrypted,
}

/// `wIdent` of a Word binary file.
const WORD_IDENT: u16 = 0xA5EC;
/// Lowest `nFib` of Word 97 and later.
const MIN_NFIB: u16 = 0x00C0;
/// FIB flag: the table stream is `1Table` (else `0Table`).
const F_WHICH_TBL_STM: u16 = 0x0200;
/// FIB flag: encrypted (or XOR-obfuscated, which `fObfuscated` tells apart).
const F_ENCRYPTED: u16 = 0x0100;
/// Index of `fcClx` among the FIB's (fc, lcb) pairs.
const CLX_PAIR: usize = 33;
/// Index of `ccpText` among the FIB's 32-bit values.
const CCP_TEXT: usize = 3;
/// A piece's `fc` flag: one byte a character (Windows-1252) at `fc / 2`.
const FC_COMPRESSED: u32 = 0x4000_0000;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn corrupt(what: &str) -> DocError {
    DocError::Corrupt(what.to_string())
}

/// Reads a stream whole, refusing one over `limit` bytes.
fn read_stream(
    file: &mut CompoundFile<Cursor<&[u8]>>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, DocError> {
    if !file.is_stream(name) {
        return Ok(None);
    }
    let stream = file
        .open_stream(name)
        .map_err(|e| DocError::Corrupt(format!("cannot open stream {name:?}: {e}")))?;
    let mut bytes = Vec::new();
    stream
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DocError::Corrupt(format!("cannot read stream {name:?}: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(DocError::Corrupt(format!(
            "stream {name:?} is larger than the file"
        )));
    }
    Ok(Some(bytes))
}

/// One piece of the main text: its characters and where their bytes are.
#[derive(Debug, Clone, Copy)]
struct Piece {
    chars: usize,
    offset: usize,
    compressed: bool,
}

/// The pieces of the first `ccp_text` characters, from the `Clx` in the table stream.
fn pieces(clx: &[u8], ccp_text: usize) -> Result<Vec<Piece>, DocError> {
    let mut at = 0;
    // Prc entries (formatting) come first: 0x01, a 16-bit size, that many bytes.
    while clx.get(at) == Some(&0x01) {
        let size = u16_at(clx, at + 1).ok_or_else(|| corrupt("truncated Prc in the Clx"))?;
        at += 3 + usize::from(size);
    }
    if clx.get(at) != Some(&0x02) {
        return Err(corrupt("no piece table in the Clx"));
    }
    let lcb = u32_at(clx, at + 1).ok_or_else(|| corrupt("truncated piece table"))? as usize;
    let plc = clx
        .get(at + 5..(at + 5).saturating_add(lcb))
        .ok_or_else(|| corrupt("piece table longer than the Clx"))?;
    if lcb < 4 || !(lcb - 4).is_multiple_of(12) {
        return Err(corrupt("piece table of a bad size"));
    }
    let n = (lcb - 4) / 12;
    let mut out = Vec::with_capacity(n);
    let mut total = 0usize;
    for i in 0..n {
        let (Some(start), Some(end), Some(fc)) = (
            u32_at(plc, 4 * i),
            u32_at(plc, 4 * (i + 1)),
            u32_at(plc, 4 * (n + 1) + 8 * i + 2),
        ) else {
            return Err(corrupt("truncated piece table"));
        };
        if end < start {
            return Err(corrupt("piece table out of order"));
        }
        let take = ((end - start) as usize).min(ccp_text.saturating_sub(total));
        if take == 0 {
            continue;
        }
        let compressed = fc & FC_COMPRESSED != 0;
        let fc = (fc & !(FC_COMPRESSED | 0x8000_0000)) as usize;
        out.push(Piece {
            chars: take,
            offset: if compressed { fc / 2 } else { fc },
            compressed,
        });
        total += take;
    }
    Ok(out)
}

/// Where text goes inside fields: a field's code (between its begin and separator marks) is
/// skipped, its result (between separator and end) kept.
#[derive(Default)]
struct TextOut {
    text: String,
    /// Per open field: whether its separator has been seen (now in the result).
    fields: Vec<bool>,
}

impl TextOut {
    fn push(&mut self, c: char) {
        match c {
            '\u{13}' => self.fields.push(false),
            '\u{14}' => {
                if let Some(in_result) = self.fields.last_mut() {
                    *in_result = true;
                }
            }
            '\u{15}' => {
                self.fields.pop();
            }
            _ if self.fields.iter().any(|in_result| !in_result) => {}
            // Paragraph end, cell or row end, line break, page or section break.
            '\r' | '\u{7}' | '\u{b}' | '\u{c}' => self.text.push('\n'),
            '\t' => self.text.push('\t'),
            // Non-breaking hyphen; an optional hyphen is not shown.
            '\u{1e}' => self.text.push('-'),
            // Pictures, drawn objects, footnote and comment marks, other controls.
            c if c < ' ' => {}
            c => self.text.push(c),
        }
    }
}

/// The `SummaryInformation` property set: title, author and creation time.
fn summary(bytes: &[u8]) -> PageMeta {
    let mut meta = PageMeta::default();
    let Some(section) = u32_at(bytes, 44).map(|o| o as usize) else {
        return meta;
    };
    let Some(count) = u32_at(bytes, section + 4) else {
        return meta;
    };
    let mut code_page = None;
    let mut strings = Vec::new();
    for i in 0..(count as usize).min(1000) {
        let (Some(id), Some(offset)) = (
            u32_at(bytes, section + 8 + 8 * i),
            u32_at(bytes, section + 12 + 8 * i),
        ) else {
            break;
        };
        let at = section + offset as usize;
        let Some(kind) = u32_at(bytes, at) else {
            continue;
        };
        match (id, kind) {
            (1, 0x02) => code_page = u16_at(bytes, at + 4),
            (2 | 4, 0x1E | 0x1F) => strings.push((id, kind, at + 4)),
            (12, 0x40) => {
                if let (Some(low), Some(high)) = (u32_at(bytes, at + 4), u32_at(bytes, at + 8)) {
                    meta.published = filetime(u64::from(high) << 32 | u64::from(low));
                }
            }
            _ => {}
        }
    }
    for (id, kind, at) in strings {
        let value = property_string(bytes, kind, at, code_page);
        let value = value.map(|v| {
            v.trim_matches(|c: char| c == '\0' || c.is_whitespace())
                .to_string()
        });
        let value = value.filter(|v| !v.is_empty());
        match id {
            2 => meta.title = value,
            _ => meta.author = value,
        }
    }
    meta
}

/// A string property: 8-bit in the set's code page (0x1E) or UTF-16LE (0x1F).
fn property_string(bytes: &[u8], kind: u32, at: usize, code_page: Option<u16>) -> Option<String> {
    let len = u32_at(bytes, at)? as usize;
    if kind == 0x1F {
        let raw = bytes.get(at + 4..at + 4 + len.checked_mul(2)?)?;
        let units = raw
            .chunks_exact(2)
            .map(|p| u16::from_le_bytes([p[0], p[1]]));
        return Some(
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{FFFD}'))
                .collect(),
        );
    }
    let raw = bytes.get(at + 4..at + 4 + len)?;
    let encoding = match code_page {
        Some(936) => Some(encoding_rs::GBK),
        Some(54936) => Some(encoding_rs::GB18030),
        Some(950) => Some(encoding_rs::BIG5),
        Some(1252) => Some(encoding_rs::WINDOWS_1252),
        Some(65001) => Some(encoding_rs::UTF_8),
        _ => None,
    };
    Some(match encoding {
        Some(e) => e.decode_without_bom_handling(raw).0.into_owned(),
        None => decode(raw.to_vec()).text,
    })
}

/// A FILETIME (100 ns since 1601-01-01 UTC) as `YYYY-MM-DDTHH:MM:SSZ`; `None` for 0 or
/// a time before 1980 (unset dates).
fn filetime(ticks: u64) -> Option<String> {
    const UNIX_EPOCH_SECS: u64 = 11_644_473_600;
    let unix = (ticks / 10_000_000).checked_sub(UNIX_EPOCH_SECS)?;
    if unix < 315_532_800 {
        return None;
    }
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Days since 1970-01-01 to a civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Some(format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    ))
}

/// Extracts the main text (one line per paragraph, table cell or line break) and the
/// summary properties of a `.doc`; `max_bytes` bounds every stream read.
pub fn extract_doc(bytes: &[u8], max_bytes: u64) -> Result<(String, PageMeta), DocError> {
    let mut file = CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| DocError::Corrupt(format!("not a readable compound file: {e}")))?;
    let limit = max_bytes.min(bytes.len() as u64);
    let word = read_stream(&mut file, "WordDocument", limit)?.ok_or(DocError::NotWord)?;
    if u16_at(&word, 0) != Some(WORD_IDENT) {
        return Err(corrupt("WordDocument stream without a Word FIB"));
    }
    let n_fib = u16_at(&word, 2).ok_or_else(|| corrupt("truncated FIB"))?;
    if n_fib < MIN_NFIB {
        return Err(DocError::TooOld(n_fib));
    }
    let flags = u16_at(&word, 0x0A).ok_or_else(|| corrupt("truncated FIB"))?;
    if flags & F_ENCRYPTED != 0 {
        return Err(DocError::Encrypted);
    }
    // FibBase (32 bytes), csw and the 16-bit values, cslw and the 32-bit values, then
    // cbRgFcLcb and the (fc, lcb) pairs.
    let csw = usize::from(u16_at(&word, 32).ok_or_else(|| corrupt("truncated FIB"))?);
    let lw_count_at = 34 + 2 * csw;
    let cslw = usize::from(u16_at(&word, lw_count_at).ok_or_else(|| corrupt("truncated FIB"))?);
    let lw_at = lw_count_at + 2;
    let pairs_at = lw_at + 4 * cslw + 2;
    let ccp_text = if cslw > CCP_TEXT {
        u32_at(&word, lw_at + 4 * CCP_TEXT).ok_or_else(|| corrupt("truncated FIB"))? as usize
    } else {
        usize::MAX
    };
    let (Some(fc_clx), Some(lcb_clx)) = (
        u32_at(&word, pairs_at + 8 * CLX_PAIR),
        u32_at(&word, pairs_at + 8 * CLX_PAIR + 4),
    ) else {
        return Err(corrupt("FIB without a piece table"));
    };
    let table_name = if flags & F_WHICH_TBL_STM != 0 {
        "1Table"
    } else {
        "0Table"
    };
    let table = read_stream(&mut file, table_name, limit)?
        .ok_or_else(|| DocError::Corrupt(format!("no {table_name} stream")))?;
    let clx = table
        .get(fc_clx as usize..(fc_clx as usize).saturating_add(lcb_clx as usize))
        .ok_or_else(|| corrupt("piece table past the end of the table stream"))?;

    let mut out = TextOut::default();
    for piece in pieces(clx, ccp_text)? {
        let width = if piece.compressed { 1 } else { 2 };
        let raw = word
            .get(piece.offset..piece.offset.saturating_add(piece.chars * width))
            .ok_or_else(|| corrupt("text piece past the end of the WordDocument stream"))?;
        if piece.compressed {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(raw);
            text.chars().for_each(|c| out.push(c));
        } else {
            let units = raw
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]));
            char::decode_utf16(units)
                .map(|c| c.unwrap_or('\u{FFFD}'))
                .for_each(|c| out.push(c));
        }
    }
    let meta = match read_stream(&mut file, "\u{5}SummaryInformation", limit) {
        Ok(Some(props)) => summary(&props),
        _ => PageMeta::default(),
    };
    Ok((out.text, meta))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_codes_are_skipped_and_results_kept() {
        let mut out = TextOut::default();
        for c in "见\u{13} HYPERLINK \"x\" \u{14}链接\u{15}。\r表\u{7}格\u{7}\u{7}页\u{c}a\u{1f}b\u{1e}c\u{1}"
            .chars()
        {
            out.push(c);
        }
        assert_eq!(out.text, "见链接。\n表\n格\n\n页\nab-c");
        let mut nested = TextOut::default();
        for c in "\u{13}IF \u{13}DATE\u{14}2023\u{15}\u{14}结果\u{15}后".chars() {
            nested.push(c);
        }
        assert_eq!(nested.text, "结果后");
    }

    #[test]
    fn filetimes_become_utc_timestamps() {
        // 2023-03-01T08:00:00Z.
        let ticks = (1_677_657_600 + 11_644_473_600) * 10_000_000;
        assert_eq!(filetime(ticks).as_deref(), Some("2023-03-01T08:00:00Z"));
        assert_eq!(filetime(0), None);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for bytes in [
            &b""[..],
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0",
        ] {
            assert!(extract_doc(bytes, 1 << 20).is_err());
        }
        assert!(pieces(&[0x02, 0xFF, 0xFF, 0xFF, 0x7F], 10).is_err());
        assert!(pieces(&[0x01, 0xFF, 0xFF], 10).is_err());
    }
}
