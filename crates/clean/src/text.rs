//! Character-level steps: tag stripping, entity decoding, invisible characters and whitespace
//! (lossless repairs), width folding, doc-mill characters and placeholders.

use std::borrow::Cow;

use memchr::memmem;
use regex::Regex;

/// A `HashMap` with rustc's fast, non-cryptographic `FxHasher`, for the per-document maps
/// keyed by line text, where SipHash cost more than the lookups saved. Keys come from one
/// document at a time, so the lack of DoS resistance costs little.
pub type FastMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// True for CJK ideographs (unified, extension A–F, compatibility).
pub fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2EBEF | 0x30000..=0x3134F | 0xF900..=0xFAFF)
}

/// Sentence-final punctuation (full-width and ASCII).
pub fn is_terminal(c: char) -> bool {
    matches!(c, '。' | '！' | '？' | '!' | '?' | '；' | ';' | '…')
}

/// Clause punctuation: what makes a line read as prose rather than a heading or a link.
pub fn is_clause_punct(c: char) -> bool {
    matches!(
        c,
        '，' | ',' | '。' | '；' | ';' | '！' | '？' | '!' | '?' | '：' | ':'
    )
}

/// Closing quotes and brackets that may follow a sentence end.
pub fn is_closing(c: char) -> bool {
    matches!(
        c,
        '”' | '’' | '」' | '』' | '"' | '\'' | '）' | ')' | '】' | '》'
    )
}

/// Number of Han characters in `s` (what `s.chars().filter(|&c| is_han(c)).count()` gives),
/// read from the UTF-8 bytes without decoding: a BMP Han character is told by its lead byte
/// and the next one, in a loop the compiler vectorises. Characters beyond the BMP (4-byte)
/// are rare and decoded.
pub fn han_count(s: &str) -> usize {
    han_and_char_count(s).0
}

/// `(han_count(s), s.chars().count())` in one pass over the bytes: a character begins at
/// every byte that is not a continuation byte (80–BF).
pub fn han_and_char_count(s: &str) -> (usize, usize) {
    let bytes = s.as_bytes();
    let mut n = 0usize;
    let mut chars = 0usize;
    let mut astral = 0u8;
    // `x` runs over every byte but the last (which never begins a 3- or 4-byte character),
    // `y` is the byte after it; continuation bytes (80–BF) match none of the tests, and a
    // byte matches at most one. Counted in chunks of 224 bytes (at most 255, and a multiple
    // of the 32 bytes the vector loop takes at a time) in a `u8`, so that the compiler uses
    // 16 lanes per vector register.
    let firsts = bytes.get(..bytes.len().saturating_sub(1)).unwrap_or(&[]);
    let seconds = bytes.get(1..).unwrap_or(&[]);
    for (xs, ys) in firsts.chunks(224).zip(seconds.chunks(224)) {
        let mut in_chunk = 0u8;
        let mut chars_in_chunk = 0u8;
        for (&x, &y) in xs.iter().zip(ys) {
            chars_in_chunk += u8::from((x as i8) >= -0x40);
            // U+5000–U+9FFF
            let e5_e9 = x.wrapping_sub(0xE5) < 5;
            // U+4000–U+4DBF and U+4E00–U+4FFF (E4 B7 is U+4DC0–U+4DFF, hexagrams)
            let e4 = (x == 0xE4) & (y != 0xB7);
            // U+3400–U+3FFF
            let e3 = (x == 0xE3) & (y >= 0x90);
            // U+F900–U+FAFF
            let ef = (x == 0xEF) & (y.wrapping_sub(0xA4) < 8);
            in_chunk += u8::from(e5_e9 | e4 | e3 | ef);
            astral |= u8::from(x >= 0xF0);
        }
        n += usize::from(in_chunk);
        chars += usize::from(chars_in_chunk);
    }
    // the last byte, which the loop leaves out, begins a character when it is ASCII
    chars += usize::from(bytes.last().is_some_and(|&b| b < 0x80));
    if astral != 0 {
        n += s
            .chars()
            .filter(|&c| (c as u32) > 0xFFFF && is_han(c))
            .count();
    }
    (n, chars)
}

/// A set of Basic Multilingual Plane characters: one bit per character, 1024 words of 64.
pub type BmpBits = [u64; 1024];

/// Whether the 3-byte UTF-8 character `b0 b1 b2` is in `set`, read without decoding it: the
/// lead byte's low four bits and the second byte's low six give the word (the code divided by
/// 64), the last byte's low six the bit. For bytes that are no 3-byte character the answer is
/// meaningless (but the lookup stays in bounds).
#[inline]
pub fn has3(set: &BmpBits, b0: u8, b1: u8, b2: u8) -> bool {
    let word = (usize::from(b0 & 0x0F) << 6 | usize::from(b1 & 0x3F)) & 1023;
    // `word` is below 1024: the bounds check is compiled away
    set.get(word)
        .is_some_and(|w| w & (1u64 << (b2 & 0x3F)) != 0)
}

/// A set of BMP characters laid out for [`skip_outside`]: one 64-bit word per lead byte and
/// low six bits of the second byte, so that a 3-byte character (lead byte E0–EF) finds its
/// bit from its three bytes as they are, without checking first that it is one. The words
/// of every other lead byte (ASCII, 2- and 4-byte characters) have every bit set: such a
/// character always stops the scan, for the caller to look at. 128 KB, of which a Chinese
/// text reads a few rows (lead bytes E3–E9, EF).
#[derive(Clone)]
pub struct ScanTable {
    words: Box<[u64; 256 * 64]>,
}

impl std::fmt::Debug for ScanTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ScanTable")
    }
}

impl ScanTable {
    /// The table of `set`.
    pub fn new(set: &BmpBits) -> ScanTable {
        let mut words = Box::new([u64::MAX; 256 * 64]);
        for lead in 0xE0..=0xEFusize {
            for low in 0..64 {
                let word = (lead & 0x0F) << 6 | low;
                if let (Some(w), Some(&bits)) = (words.get_mut(lead << 6 | low), set.get(word)) {
                    *w = bits;
                }
            }
        }
        ScanTable { words }
    }

    /// Whether the character that begins with bytes `b0 b1 b2` stops the scan: a 3-byte
    /// character of the set, or any character that is not a 3-byte one.
    #[inline]
    fn stops(&self, b0: u8, b1: u8, b2: u8) -> bool {
        // below 256 * 64: the bounds check is compiled away
        let word = (usize::from(b0) << 6 | usize::from(b1 & 0x3F)) & (256 * 64 - 1);
        self.words
            .get(word)
            .is_some_and(|w| w & (1u64 << (b2 & 0x3F)) != 0)
    }
}

/// The first byte offset from `from` (a char boundary of `bytes`, which are UTF-8) of a
/// character that is in the set of `table` or is not a 3-byte character, or a position less
/// than six bytes before the end; the caller looks at the character there, the careful way,
/// and goes on after it. This is the tight loop of the scans that test every character of a
/// text against a set (most of a Chinese text is 3-byte characters, most of them in no set):
/// two characters per step, one table word each, one branch for both.
#[inline]
pub fn skip_outside(table: &ScanTable, bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(&[a0, a1, a2, b0, b1, b2]) = bytes.get(i..i + 6) {
        // (when the first character is not a 3-byte one, it stops the scan itself, and the
        // second test, on bytes that are no character, does not matter)
        let (a, b) = (table.stops(a0, a1, a2), table.stops(b0, b1, b2));
        if a | b {
            return if a { i } else { i + 3 };
        }
        i += 6;
    }
    i
}

/// Number of white space characters in `s` (what `s.chars().filter(|c| c.is_whitespace())
/// .count()` gives), read from the UTF-8 bytes without decoding, in a loop the compiler
/// vectorises. White space is ASCII (09–0D, 20), U+0085 and U+00A0 (C2 85, C2 A0), U+1680
/// (E1 9A 80), U+2000–U+200A, U+2028, U+2029, U+202F (E2 80 80–8A, A8, A9, AF), U+205F
/// (E2 81 9F) or U+3000 (E3 80 80).
pub fn space_count(s: &str) -> usize {
    let bytes = s.as_bytes();
    let main = bytes.len().saturating_sub(2);
    let at = |i: usize| bytes.get(i..i + main).unwrap_or(&[]);
    let mut n = 0usize;
    // `x` runs over every byte but the last two (where no 3-byte character begins), `y`
    // and `z` are the bytes after it; counted in chunks of 224 positions in a `u8`.
    for ((xs, ys), zs) in at(0)
        .chunks(224)
        .zip(at(1).chunks(224))
        .zip(at(2).chunks(224))
    {
        let mut in_chunk = 0u8;
        for ((&x, &y), &z) in xs.iter().zip(ys).zip(zs) {
            let ascii = (x.wrapping_sub(0x09) < 5) | (x == 0x20);
            let c2 = (x == 0xC2) & ((y == 0x85) | (y == 0xA0));
            let e1 = (x == 0xE1) & (y == 0x9A) & (z == 0x80);
            let e2_80 = (y == 0x80) & ((z <= 0x8A) | (z == 0xA8) | (z == 0xA9) | (z == 0xAF));
            let e2 = (x == 0xE2) & (e2_80 | ((y == 0x81) & (z == 0x9F)));
            let e3 = (x == 0xE3) & (y == 0x80) & (z == 0x80);
            in_chunk += u8::from(ascii | c2 | e1 | e2 | e3);
        }
        n += usize::from(in_chunk);
    }
    // the last two bytes: an ASCII space, or U+0085 / U+00A0 ending the text
    let tail = bytes.get(main..).unwrap_or(&[]);
    n += tail
        .iter()
        .filter(|&&x| (x.wrapping_sub(0x09) < 5) | (x == 0x20))
        .count();
    if matches!(tail, [0xC2, 0x85 | 0xA0]) {
        n += 1;
    }
    n
}

/// The steps that repair text without changing what it says: stray tags, entities,
/// invisible characters, whitespace runs.
#[derive(Debug)]
pub struct Repairs {
    tag: Regex,
    entity: Regex,
}

/// Longest comment body (in characters) [`strip_comments`] removes.
const COMMENT_MAX_CHARS: usize = 2000;

/// Removes HTML comments: what the regex `(?s)<!--.{0,2000}?-->` matches, each replaced by
/// nothing. At every `<!--` (leftmost first) the comment ends at the first `-->` after it,
/// if at most 2000 characters lie between; else no comment starts there. Written out
/// instead of compiled: that regex (2000 repetitions of "any character" in UTF-8, forward and
/// reverse) took 13–19 ms to compile, at every start of the pipeline. The markers are found
/// by `memchr`'s vectorised substring search (the standard library's `str::find` with a
/// string pattern is a byte-at-a-time Two-Way search, 2–3% of the stage on corpus-8mb).
/// Borrows `text` when it has no comment.
pub fn strip_comments(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    // `text[..kept]` is done: copied to `out` or removed
    let mut kept = 0;
    let mut from = 0;
    let mut close = None;
    while let Some(start) = text
        .get(from..)
        .and_then(|t| memmem::find(t.as_bytes(), b"<!--"))
        .map(|i| from + i)
    {
        let body = start + "<!--".len();
        // the first `-->` at or after `body` (the one found for an earlier opening, if it
        // still lies ahead: no rescanning of a long unclosed stretch)
        let end = match close {
            Some(end) if end >= body => Some(end),
            _ => text
                .get(body..)
                .and_then(|t| memmem::find(t.as_bytes(), b"-->"))
                .map(|i| body + i),
        };
        // no `-->` after this opening: none after any later one either
        let Some(end) = end else {
            break;
        };
        close = Some(end);
        let inside = text.get(body..end).unwrap_or("");
        if inside.len() <= COMMENT_MAX_CHARS || inside.chars().count() <= COMMENT_MAX_CHARS {
            out.push_str(text.get(kept..start).unwrap_or(""));
            kept = end + "-->".len();
            from = kept;
        } else {
            // "<!--" cannot overlap itself: the next opening starts after this one's `<`
            from = start + 1;
        }
    }
    if kept == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(text.get(kept..).unwrap_or(""));
    Cow::Owned(out)
}

impl Repairs {
    /// Compiles the patterns.
    pub fn new() -> Result<Self, regex::Error> {
        Ok(Repairs {
            tag: Regex::new(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,400})?/?>")?,
            entity: Regex::new(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,8});")?,
        })
    }

    /// Removes HTML comments and tags left in plain text. Borrows `text` when it has none
    /// (the usual case: no copy of the document is made).
    pub fn strip_tags<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match strip_comments(text) {
            Cow::Borrowed(t) => self.tag.replace_all(t, ""),
            Cow::Owned(t) => match self.tag.replace_all(&t, "") {
                Cow::Owned(stripped) => Cow::Owned(stripped),
                Cow::Borrowed(_) => Cow::Owned(t),
            },
        }
    }

    /// Decodes character references (`&nbsp;`, `&#8220;`, `&ldquo;`…); unknown names stay.
    /// Borrows `text` when it has none.
    pub fn decode_entities<'a>(&self, text: &'a str) -> Cow<'a, str> {
        self.entity.replace_all(text, |caps: &regex::Captures| {
            let whole = caps.get(0).map_or("", |m| m.as_str()).to_string();
            let name = caps.get(1).map_or("", |m| m.as_str());
            decode_entity(name).map(String::from).unwrap_or(whole)
        })
    }
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "middot" => '·',
        "bull" => '•',
        "copy" => '©',
        "reg" => '®',
        "times" => '×',
        "laquo" => '«',
        "raquo" => '»',
        _ => return None,
    })
}

/// True when `text` has white space other than ' ' and '\n' (none is left by
/// [`normalize_whitespace`]).
pub fn has_other_space(text: &str) -> bool {
    let plain = text.bytes().filter(|&b| b == b' ' || b == b'\n').count();
    space_count(text) != plain
}

/// Invisible characters are removed, every kind of space (NBSP, ideographic space, tabs…)
/// becomes one ASCII space, runs of spaces collapse to one, lines are trimmed, `\r` goes.
///
/// Runs of characters that stay as they are (printable ASCII, Han, full-width punctuation…)
/// are found on the UTF-8 bytes and copied whole; only the other characters are decoded.
pub fn normalize_whitespace(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut line_has_text = false;
    let mut i = 0;
    while i < bytes.len() {
        let end = plain_run_end(bytes, i);
        if end > i {
            if pending_space && line_has_text {
                out.push(' ');
            }
            pending_space = false;
            line_has_text = true;
            out.push_str(text.get(i..end).unwrap_or(""));
            i = end;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|t| t.chars().next()) else {
            break;
        };
        i += c.len_utf8();
        match c {
            '\n' => {
                out.push('\n');
                pending_space = false;
                line_has_text = false;
            }
            c if is_invisible(c) => {}
            c if c.is_whitespace() || c == '\u{00A0}' => pending_space = true,
            c if c.is_control() => {}
            c => {
                if pending_space && line_has_text {
                    out.push(' ');
                }
                pending_space = false;
                line_has_text = true;
                out.push(c);
            }
        }
    }
    out
}

/// Characters removed outright: zero-width, BOM, soft hyphen, bidi marks, object replacement.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{2060}'..='\u{2064}'
        | '\u{FEFF}'
        | '\u{00AD}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FFFC}')
}

/// End of the run of characters from byte `i` that [`normalize_whitespace`] keeps unchanged
/// and that are not white space: printable ASCII, the general punctuation U+2010–U+2027 and
/// U+2030–U+203F (dashes, quotes “”‘’, •, …, ‰, ※), and every character above U+3000 but
/// U+FEFF and U+FFFC (none of which is white space, invisible or a control character). `i`
/// is a char boundary.
///
/// Whole blocks of [`PLAIN_BLOCK`] bytes are tested at once ([`block_is_plain`], vectorised);
/// from the first block that fails the test, one block's worth of characters is read one at
/// a time, then whole blocks again.
fn plain_run_end(bytes: &[u8], mut i: usize) -> usize {
    loop {
        let start = i;
        while block_is_plain(bytes, i) {
            i += PLAIN_BLOCK;
        }
        // back to the first byte of the character the blocks end in (it is read again)
        while i > start && bytes.get(i).is_some_and(|&b| b & 0xC0 == 0x80) {
            i -= 1;
        }
        let block_end = i + PLAIN_BLOCK;
        while i < block_end {
            let Some(&b) = bytes.get(i) else {
                return bytes.len();
            };
            // one table load per character instead of a chain of range tests
            let width = match PLAIN_WIDTH.get(usize::from(b)).copied().unwrap_or(0) {
                LOOK_FURTHER => match bytes.get(i + 1..i + 3) {
                    Some(&[y, z]) if !ends_plain_run(b, y, z) => 3,
                    _ => return i,
                },
                0 => return i,
                width => width,
            };
            i += usize::from(width);
        }
    }
}

/// Bytes tested at a time by [`block_is_plain`].
const PLAIN_BLOCK: usize = 32;

/// Whether every character that begins in the [`PLAIN_BLOCK`] bytes from `i` is plain (see
/// [`plain_run_end`]); false when fewer than `PLAIN_BLOCK + 1` bytes are left. A cheaper,
/// stricter test than [`ends_plain_run`], on each byte and the byte after it, without a
/// branch (the compiler vectorises it). No byte may be an ASCII space or control byte (up to
/// 20, 7F) or begin a character of U+0080–U+2FFF (C2–E2: U+2000–U+2FFF fails the block
/// although some of it is plain); no two bytes may read `80 80` (U+3000 is E3 80 80), and no
/// EF may be followed by BB or BF (U+FEFF is EF BB BF, U+FFFC is EF BF BC), which also fails
/// the blocks of a few plain characters. A character whose last bytes lie past the block is
/// caught by the next block's test or read again by [`plain_run_end`]'s character loop.
fn block_is_plain(bytes: &[u8], i: usize) -> bool {
    let Some(Ok(w)) = bytes
        .get(i..i + PLAIN_BLOCK + 1)
        .map(<&[u8; PLAIN_BLOCK + 1]>::try_from)
    else {
        return false;
    };
    let mut ends = false;
    for k in 0..PLAIN_BLOCK {
        let (x, y) = (w[k], w[k + 1]);
        // (C0, C1 and F5–FF never occur in UTF-8)
        let other = (x <= 0x20) | (x == 0x7F) | (x.wrapping_sub(0xC2) <= 0xE2 - 0xC2);
        let ideographic_space = (x == 0x80) & (y == 0x80);
        let bom_or_object = (x == 0xEF) & ((y | 0x04) == 0xBF);
        ends |= other | ideographic_space | bom_or_object;
    }
    !ends
}

/// Whether the character that begins with byte `x` (followed by `y`, `z`) ends a run of
/// plain characters; false for a byte that begins no character (a continuation byte), so
/// that a whole block of bytes can be tested. Ends a run: ASCII space and control bytes,
/// 2-byte characters (C2–DF), U+0800–U+1FFF (E0, E1), U+2000–U+2FFF (E2) but the general
/// punctuation kept in runs (E2 80 90–A7, E2 80 B0–BF), U+3000 (E3 80 80), U+FEFF (EF BB BF),
/// U+FFFC (EF BF BC), and bytes that never occur in UTF-8 (C0, C1, F5–FF).
fn ends_plain_run(x: u8, y: u8, z: u8) -> bool {
    let other = (x <= 0x20) | (x == 0x7F) | (x.wrapping_sub(0xC0) <= 0xE1 - 0xC0) | (x >= 0xF5);
    let general_kept = (y == 0x80) & ((z.wrapping_sub(0x90) <= 0xA7 - 0x90) | (z >= 0xB0));
    let general = (x == 0xE2) & !general_kept;
    let ideographic_space = (x == 0xE3) & (y == 0x80) & (z == 0x80);
    let bom_or_object = (x == 0xEF) & (((y == 0xBB) & (z == 0xBF)) | ((y == 0xBF) & (z == 0xBC)));
    other | general | ideographic_space | bom_or_object
}

/// [`PLAIN_WIDTH`] of a lead byte whose character may or may not be plain (E2, E3, EF): the
/// next two bytes tell ([`ends_plain_run`]).
const LOOK_FURTHER: u8 = 0xFF;

/// For every byte, the width of the character it begins when [`plain_run_end`] keeps that
/// character in a run: printable ASCII 1, U+4000–U+EFFF (E4–EE) 3, 4-byte characters 4;
/// [`LOOK_FURTHER`] for E2, E3 and EF; 0 for every other byte (the run ends).
static PLAIN_WIDTH: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        table[b] = match b {
            0x21..=0x7E => 1,
            0xE4..=0xEE => 3,
            0xE2 | 0xE3 | 0xEF => LOOK_FURTHER,
            0xF0..=0xF4 => 4,
            _ => 0,
        };
        b += 1;
    }
    table
};

/// Full-width digits and Latin letters become ASCII; punctuation (，。：；！？（）) stays.
/// Returns the text (borrowed when nothing changes) and the number of characters changed.
pub fn fold_width(text: &str) -> (Cow<'_, str>, usize) {
    // every full-width digit and letter (U+FF10–U+FF5A) is encoded EF BC 90–99 (０-９),
    // EF BC A1–BA (Ａ-Ｚ) or EF BD 81–9A (ａ-ｚ); the ASCII character is U+0020 less
    let bytes = text.as_bytes();
    let folded_at = |i: usize| -> Option<u8> {
        match bytes.get(i..i + 3)? {
            [0xEF, 0xBC, b @ (0x90..=0x99 | 0xA1..=0xBA)] => Some(b - 0x60),
            [0xEF, 0xBD, b @ 0x81..=0x9A] => Some(b - 0x20),
            _ => None,
        }
    };
    if !rare_chars(text).full_width_alnum {
        return (Cow::Borrowed(text), 0);
    }
    let mut out: Option<String> = None;
    let mut changed = 0;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) != Some(&0xEF) {
            i += 1;
            continue;
        }
        if let Some(ascii) = folded_at(i) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
            o.push_str(text.get(copied..i).unwrap_or(""));
            o.push(char::from(ascii));
            changed += 1;
            copied = i + 3;
        }
        i += 3;
    }
    match out {
        None => (Cow::Borrowed(text), 0),
        Some(mut o) => {
            o.push_str(text.get(copied..).unwrap_or(""));
            (Cow::Owned(o), changed)
        }
    }
}

/// True when `bytes` contain a full-width digit or Latin letter (EF BC 90–99, EF BC A1–BA,
/// EF BD 81–9A): the oracle of `rare_chars`' full-width test (the stage uses that).
#[cfg(test)]
fn has_full_width_alnum(bytes: &[u8]) -> bool {
    let n = bytes.len().saturating_sub(2);
    let at = |i: usize| bytes.get(i..i + n).unwrap_or(&[]);
    let mut found = false;
    for ((&x, &y), &z) in at(0).iter().zip(at(1)).zip(at(2)) {
        let bc = (y == 0xBC) & ((z.wrapping_sub(0x90) < 10) | (z.wrapping_sub(0xA1) < 26));
        let bd = (y == 0xBD) & (z.wrapping_sub(0x81) < 26);
        found |= (x == 0xEF) & (bc | bd);
    }
    found
}

/// Which of three rare kinds of character a text holds: the stage's three whole-text tests
/// in one pass over its bytes (what `has_full_width_alnum`, the block test of
/// [`DocMillTable::may_occur`] and `has_placeholder_char`, now test oracles, answered one
/// by one; the windows of three bytes are read once and share their `EF` and `EF BC` tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RareChars {
    /// A full-width digit or Latin letter (what [`fold_width`] changes).
    pub full_width_alnum: bool,
    /// A byte pair of U+2E80–U+2FFF or U+F900–U+FAFF, the blocks most doc-mill characters
    /// are in (see [`DocMillTable::may_occur_given`]).
    pub doc_mill_block: bool,
    /// A placeholder character (what [`count_placeholders`] counts runs of).
    pub placeholder: bool,
}

/// The [`RareChars`] of `text`. Tests every position without stopping early, so the loop
/// vectorises.
pub fn rare_chars(text: &str) -> RareChars {
    let bytes = text.as_bytes();
    let n = bytes.len().saturating_sub(2);
    let at = |i: usize| bytes.get(i..i + n).unwrap_or(&[]);
    let (mut full_width_alnum, mut doc_mill_block, mut placeholder) = (false, false, false);
    for ((&x, &y), &z) in at(0).iter().zip(at(1)).zip(at(2)) {
        let ef = x == 0xEF;
        let ef_bc = ef & (y == 0xBC);
        // ０-９, Ａ-Ｚ (EF BC 90–99, A1–BA), ａ-ｚ (EF BD 81–9A)
        full_width_alnum |= (ef_bc & ((z.wrapping_sub(0x90) < 10) | (z.wrapping_sub(0xA1) < 26)))
            | (ef & (y == 0xBD) & (z.wrapping_sub(0x81) < 26));
        // CJK radicals supplement, Kangxi radicals (E2 BA–BF …); CJK compatibility
        // ideographs (EF A4–AB …)
        doc_mill_block |= ((x == 0xE2) & (y >= 0xBA)) | (ef & (y.wrapping_sub(0xA4) < 8));
        // X, *, × (C3 97), ＊ (EF BC 8A), Ｘ (EF BC B8)
        placeholder |= (x == b'X')
            | (x == b'*')
            | ((x == 0xC3) & (y == 0x97))
            | (ef_bc & ((z == 0x8A) | (z == 0xB8)));
    }
    // The last two bytes (the loop stops where `z` runs out): only an ASCII `X` or `*`, or a
    // `×`, can end there; no 3-byte character begins there (a valid text).
    let tail = bytes.get(n..).unwrap_or(&[]);
    placeholder |= tail.iter().any(|&b| b == b'X' || b == b'*') || tail == [0xC3, 0x97];
    RareChars {
        full_width_alnum,
        doc_mill_block,
        placeholder,
    }
}

/// A table of doc-mill characters (travesties of common characters) and what they stand for.
#[derive(Debug, Default)]
pub struct DocMillTable {
    map: FastMap<char, char>,
    /// One bit per Basic Multilingual Plane character: set when it is in `map` (a fast
    /// prefilter; characters beyond the BMP are looked up in `map`).
    bmp: Vec<u64>,
    /// The table's characters outside the two blocks most of them are in (see
    /// [`DocMillTable::may_occur`]): a few ordinary-looking Han characters (旳, 昰…).
    others: Vec<String>,
    /// A vectorised searcher (Teddy, from `aho-corasick`) for all of `others` at once, where
    /// the CPU has one: with a handful of 3-byte needles, each in a bucket of its own, it
    /// reports almost no false candidate on Chinese text. `None`: `others` are searched one by
    /// one.
    others_searcher: Option<aho_corasick::packed::Searcher>,
}

/// True for a character of the two blocks most doc-mill characters are in: U+2E80–U+2FFF
/// (CJK radicals supplement, Kangxi radicals) and U+F900–U+FAFF (CJK compatibility
/// ideographs).
fn in_doc_mill_blocks(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{2FFF}' | '\u{F900}'..='\u{FAFF}')
}

impl DocMillTable {
    /// Parses `FOUND<TAB>MEANT` lines; returns the line numbers (1-based) that are malformed.
    pub fn add_tsv(&mut self, text: &str) -> Vec<usize> {
        let mut bad = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let found = cols.next().map(|s| s.trim());
            let meant = cols.next().map(|s| s.trim());
            match (found, meant) {
                (Some(f), Some(m)) if f.chars().count() == 1 && m.chars().count() == 1 => {
                    if let (Some(fc), Some(mc)) = (f.chars().next(), m.chars().next()) {
                        self.map.insert(fc, mc);
                        let code = fc as usize;
                        if code < 0x10000 {
                            if self.bmp.is_empty() {
                                self.bmp = vec![0; 0x10000 / 64];
                            }
                            if let Some(w) = self.bmp.get_mut(code / 64) {
                                *w |= 1 << (code % 64);
                            }
                        }
                    }
                }
                _ => bad.push(i + 1),
            }
        }
        self.update_others();
        bad
    }

    /// Recomputes `others` from the table (after every [`DocMillTable::add_tsv`], so the
    /// fast path of [`DocMillTable::count`] always sees every character).
    fn update_others(&mut self) {
        self.others = self
            .map
            .keys()
            .filter(|&&c| !in_doc_mill_blocks(c))
            .map(|c| c.to_string())
            .collect();
        // (sorted, so that the searcher does not depend on the map's order)
        self.others.sort();
        self.others_searcher = if self.others.is_empty() {
            None
        } else {
            aho_corasick::packed::Config::new()
                .builder()
                .extend(&self.others)
                .build()
        };
    }

    /// True when one of `others` occurs in `text`.
    fn has_other(&self, text: &str) -> bool {
        match &self.others_searcher {
            Some(searcher) => searcher.find(text).is_some(),
            None => self.others.iter().any(|o| text.contains(o.as_str())),
        }
    }

    fn contains(&self, c: char) -> bool {
        let code = c as usize;
        if code < 0x10000 {
            self.bmp
                .get(code / 64)
                .is_some_and(|w| w & (1 << (code % 64)) != 0)
        } else {
            self.map.contains_key(&c)
        }
    }

    /// False when `text` certainly has no doc-mill character (true when it may have one):
    /// a byte of U+2E80–U+2FFF or U+F900–U+FAFF (one pass the compiler vectorises), or one
    /// of the few others (the standard library's substring search).
    pub fn may_occur(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let firsts = bytes.get(..bytes.len().saturating_sub(1)).unwrap_or(&[]);
        let seconds = bytes.get(1..).unwrap_or(&[]);
        let mut found = false;
        for (&x, &y) in firsts.iter().zip(seconds) {
            // CJK radicals supplement, Kangxi radicals (E2 BA–BF …); CJK compatibility
            // ideographs (EF A4–AB …)
            found |= ((x == 0xE2) & (y >= 0xBA)) | ((x == 0xEF) & (y.wrapping_sub(0xA4) < 8));
        }
        found || self.has_other(text)
    }

    /// [`DocMillTable::may_occur`] of a text whose block test (`block`, the
    /// [`RareChars::doc_mill_block`] of [`rare_chars`]) is known: only the few others are
    /// searched for.
    pub fn may_occur_given(&self, text: &str, block: bool) -> bool {
        block || self.has_other(text)
    }

    /// Number of doc-mill characters in `text` (what [`DocMillTable::apply`] counts).
    pub fn count(&self, text: &str) -> usize {
        // the usual case, a text without any table character, told from its bytes
        if !self.may_occur(text) {
            return 0;
        }
        text.chars().filter(|&c| self.contains(c)).count()
    }

    /// Counts doc-mill characters in `text` and, when `repair`, replaces them (1:1, so no
    /// offset moves).
    pub fn apply(&self, text: &str, repair: bool) -> (String, usize) {
        let mut found = 0;
        if !text.chars().any(|c| self.contains(c)) {
            return (text.to_string(), 0);
        }
        let out = text
            .chars()
            .map(|c| match self.map.get(&c) {
                Some(&m) => {
                    found += 1;
                    if repair {
                        m
                    } else {
                        c
                    }
                }
                None => c,
            })
            .collect();
        (out, found)
    }
}

/// The characters [`count_placeholders`] counts runs of (the byte-level code's oracle).
#[cfg(test)]
fn is_placeholder_char(c: char) -> bool {
    matches!(c, 'X' | '*' | '＊' | '×' | 'Ｘ')
}

/// `text.contains(is_placeholder_char)`, on the bytes: `X`, `*`, `×` (C3 97), `＊` (EF BC 8A),
/// `Ｘ` (EF BC B8). Tests every byte without stopping early, so the loop vectorises.
#[cfg(test)] // the oracle of `rare_chars`' placeholder test (the stage uses that)
pub fn has_placeholder_char(text: &str) -> bool {
    let bytes = text.as_bytes();
    let n = bytes.len().saturating_sub(2);
    let at = |i: usize| bytes.get(i..i + n).unwrap_or(&[]);
    let mut found = false;
    for ((&x, &y), &z) in at(0).iter().zip(at(1)).zip(at(2)) {
        found |= (x == b'X')
            | (x == b'*')
            | ((x == 0xC3) & (y == 0x97))
            | ((x == 0xEF) & (y == 0xBC) & ((z == 0x8A) | (z == 0xB8)));
    }
    // the last two bytes (the loop stops where `z` runs out): only an ASCII `X` or `*`, or
    // a `×`, can end there
    let tail = bytes.get(bytes.len().saturating_sub(2)..).unwrap_or(&[]);
    found || tail.iter().any(|&b| b == b'X' || b == b'*') || tail == [0xC3, 0x97]
}

/// Counts redaction placeholders: runs of X, *, ＊, × standing for a name or number
/// (`X高质量发展`, `“六个*”`, `回****`). An X touching a Latin letter is a word, not a placeholder
/// (`XML`, `Xi`); × between digits is multiplication.
///
/// Read from the UTF-8 bytes without decoding: blocks of 32 bytes without a placeholder
/// character are skipped by a test the compiler vectorises, and the only characters around a
/// run that matter (an ASCII letter or digit) are told by one byte each: a non-ASCII
/// character neither begins nor ends with an ASCII byte.
pub fn count_placeholders(text: &str) -> usize {
    const LANES: usize = 32;
    let bytes = text.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        // skip blocks without the first byte of a placeholder character
        let window = |from: usize| -> Option<&[u8; LANES]> {
            bytes.get(from..from + LANES)?.try_into().ok()
        };
        if let (Some(xs), Some(ys), Some(zs)) = (window(i), window(i + 1), window(i + 2)) {
            let mut any = false;
            for k in 0..LANES {
                any |= placeholder_width(xs[k], ys[k], zs[k]) != 0;
            }
            if !any {
                i += LANES;
                continue;
            }
        }
        let byte = |j: usize| bytes.get(j).copied().unwrap_or(0);
        let width_at = |j: usize| placeholder_width(byte(j), byte(j + 1), byte(j + 2));
        // a continuation byte never begins a placeholder, so `i` may step byte by byte
        let end = (i + LANES).min(bytes.len());
        while i < end && width_at(i) == 0 {
            i += 1;
        }
        if i >= end {
            continue;
        }
        // a run of placeholder characters from `start`
        let start = i;
        let mut all_times = true;
        loop {
            let w = width_at(i);
            if w == 0 {
                break;
            }
            all_times &= w == 2;
            i += w;
        }
        // the last byte of the character before the run and the first byte after it
        let before = start.checked_sub(1).and_then(|j| bytes.get(j)).copied();
        let after = bytes.get(i).copied();
        let letter = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphabetic());
        if letter(before) || letter(after) {
            continue;
        }
        if all_times && before.is_some_and(|b| b.is_ascii_digit()) {
            continue;
        }
        // A lone asterisk right after a word and before a space or line end is a footnote mark
        // only in Latin text; in Chinese text it is a placeholder, so it counts.
        count += 1;
    }
    count
}

/// The length in bytes of the placeholder character that begins with byte `x` (followed by
/// `y`, `z`), or 0: `X`, `*` (1), `×` (C3 97, 2), `＊` (EF BC 8A) and `Ｘ` (EF BC B8) (3).
fn placeholder_width(x: u8, y: u8, z: u8) -> usize {
    let ascii = (x == b'X') | (x == b'*');
    let times = (x == 0xC3) & (y == 0x97);
    let full = (x == 0xEF) & (y == 0xBC) & ((z == 0x8A) | (z == 0xB8));
    usize::from(ascii) | (usize::from(times) << 1) | (usize::from(full) * 3)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn whitespace_and_invisibles() {
        let s = "  同志们：\u{3000}\u{3000}今天\u{200B}开会\u{00A0}\u{00A0}了 \r\n\t第二行  ";
        assert_eq!(normalize_whitespace(s), "同志们： 今天开会 了\n第二行");
    }

    #[test]
    fn tags_and_entities() {
        let r = Repairs::new().expect("patterns compile");
        let s =
            r.strip_tags("<cite id=\"a1\"></cite>\n<p class=x>正文&nbsp;内容</p><!-- c -->a < b");
        assert_eq!(r.decode_entities(&s), "\n正文 内容a < b");
        assert_eq!(
            r.decode_entities("&ldquo;六稳&rdquo;&#20013;&#x6587;&bogus;"),
            "“六稳”中文&bogus;"
        );
    }

    #[test]
    fn width_folding_keeps_chinese_punctuation() {
        let (s, n) = fold_width("２０２３年，ＧＤＰ增长５％（初步）：好！");
        assert_eq!(s, "2023年，GDP增长5％（初步）：好！");
        assert_eq!(n, 8);
    }

    #[test]
    fn doc_mill_count_and_repair() {
        let mut t = DocMillTable::default();
        assert!(t.add_tsv("# c\n旳\t的\n坏行\n").len() == 1);
        assert_eq!(
            t.apply("会议旳任务旳", false),
            ("会议旳任务旳".to_string(), 2)
        );
        assert_eq!(t.apply("会议旳任务", true), ("会议的任务".to_string(), 1));
    }

    use proptest::prelude::*;

    /// The character-by-character original of [`normalize_whitespace`] (a test oracle).
    /// Invisible characters are removed, every kind of space (NBSP, ideographic space, tabs…)
    /// becomes one ASCII space, runs of spaces collapse to one, lines are trimmed, `\r` goes.
    fn normalize_whitespace_reference(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut pending_space = false;
        let mut line_has_text = false;
        for c in text.chars() {
            match c {
                // fast path: above U+3000 only U+FEFF and U+FFFC are dropped (no space, no control)
                c if (c as u32) > 0x3000 && c != '\u{FEFF}' && c != '\u{FFFC}' => {
                    if pending_space && line_has_text {
                        out.push(' ');
                    }
                    pending_space = false;
                    line_has_text = true;
                    out.push(c);
                }
                '\n' => {
                    out.push('\n');
                    pending_space = false;
                    line_has_text = false;
                }
                '\u{200B}'..='\u{200F}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
                | '\u{00AD}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{FFFC}' => {}
                c if c.is_whitespace() || c == '\u{00A0}' => pending_space = true,
                c if c.is_control() => {}
                c => {
                    if pending_space && line_has_text {
                        out.push(' ');
                    }
                    pending_space = false;
                    line_has_text = true;
                    out.push(c);
                }
            }
        }
        out
    }

    fn han_count_reference(s: &str) -> usize {
        s.chars().filter(|&c| is_han(c)).count()
    }

    fn fold_width_reference(text: &str) -> (String, usize) {
        let mut changed = 0;
        let out = text
            .chars()
            .map(|c| match c {
                '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                    changed += 1;
                    char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
                }
                c => c,
            })
            .collect();
        (out, changed)
    }

    /// Characters around every boundary the byte-level code tests.
    const EDGES: &str = "\u{2FFF}\u{3000}\u{3001}\u{3400}\u{33FF}\u{4DBF}\u{4DC0}\u{4DFF}\u{4E00}\u{9FFF}\u{A000}\u{EFFF}\u{F000}\u{F8FF}\u{F900}\u{FAFF}\u{FB00}\u{FEFF}\u{FEFE}\u{FF00}\u{FF0F}\u{FF10}\u{FF19}\u{FF1A}\u{FF20}\u{FF21}\u{FF3A}\u{FF3B}\u{FF40}\u{FF41}\u{FF5A}\u{FF5B}\u{FFFC}\u{FFFD}\u{FFFF}\u{10000}\u{1FFFF}\u{20000}\u{2EBEF}\u{2EBF0}\u{30000}\u{3134F}\u{31350}\u{200B}\u{2060}\u{205F}\u{2065}\u{00AD}\u{00A0}\u{0085}\u{1680}\u{2028}\u{2029}\u{202F}\u{200A}\u{2000}\u{205F}\u{201C}\u{201D}\u{2030}\u{001C}\u{007F} \t\r\n\u{000B}\u{000C}X*×＊Ｘa";

    /// Strings of up to `max_chars - 1` characters drawn from `alphabet`.
    pub(crate) fn text_from(alphabet: &str, max_chars: usize) -> impl Strategy<Value = String> {
        let chars: Vec<char> = alphabet.chars().collect();
        prop::collection::vec(prop::sample::select(chars), 0..max_chars)
            .prop_map(|v| v.into_iter().collect())
    }

    fn edgy_text() -> impl Strategy<Value = String> {
        let edges: Vec<char> = EDGES.chars().collect();
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(edges),
                any::<char>(),
                prop::char::range('\u{3000}', '\u{3100}'),
                prop::char::range('\u{FF00}', '\u{FF60}'),
            ],
            0..40,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    /// What [`rare_chars`] must answer, character by character.
    fn rare_chars_reference(text: &str) -> RareChars {
        RareChars {
            full_width_alnum: text
                .chars()
                .any(|c| matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ')),
            doc_mill_block: text.chars().any(in_doc_mill_blocks),
            placeholder: text.contains(is_placeholder_char),
        }
    }

    #[test]
    fn rare_characters_are_found_anywhere() {
        assert_eq!(rare_chars(""), rare_chars_reference(""));
        for c in [
            '９', 'Ａ', 'ｚ', '⺀', '⿿', '豈', '﫿', 'X', '*', '×', '＊', 'Ｘ',
        ] {
            for s in [
                c.to_string(),
                format!("{c}甲"),
                format!("甲乙{c}"),
                format!("{}{c}{}", "中文，".repeat(40), "文".repeat(33)),
            ] {
                assert_eq!(rare_chars(&s), rare_chars_reference(&s), "{s:?}");
                // the three tests the stage used before `rare_chars` read them off one pass
                let r = rare_chars(&s);
                assert_eq!(r.full_width_alnum, has_full_width_alnum(s.as_bytes()));
                assert_eq!(r.placeholder, has_placeholder_char(&s));
            }
        }
        assert_eq!(
            rare_chars("，：（）。、１"),
            RareChars {
                full_width_alnum: true,
                doc_mill_block: false,
                placeholder: false
            }
        );
        assert_eq!(rare_chars("，：（）。、"), rare_chars_reference(""));
    }

    /// The documented rule of [`plain_run_end`].
    fn is_plain_reference(c: char) -> bool {
        matches!(c, '!'..='~' | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{203F}')
            || ((c as u32) > 0x3000 && !matches!(c, '\u{FEFF}' | '\u{FFFC}'))
    }

    #[test]
    fn plain_characters_are_kept_as_they_are() {
        // what makes a run of them safe to copy whole: `normalize_whitespace` would push each
        // of them unchanged
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| is_plain_reference(c))
        {
            assert!(
                !c.is_whitespace() && !c.is_control() && !is_invisible(c) && c != '\u{00A0}',
                "{c:?}"
            );
        }
    }

    #[test]
    fn plain_blocks_hold_exactly_the_documented_characters() {
        // every BMP character at the start, the end and across the end of a first and a
        // second block, between plain characters of one and three bytes; a few 4-byte ones
        let tail = "中a文".repeat(16);
        let chars = (0..=0xFFFFu32)
            .chain([0x10000, 0x20000, 0x10FFFF])
            .filter_map(char::from_u32);
        let b = PLAIN_BLOCK;
        let pads = [0, 1, 2, b - 3, b - 2, b - 1, b, b + 1, 2 * b - 2, 2 * b - 1];
        for c in chars {
            for pad in pads {
                let s = format!("{}{c}{tail}", "a".repeat(pad));
                let expected = if is_plain_reference(c) { s.len() } else { pad };
                assert_eq!(
                    plain_run_end(s.as_bytes(), 0),
                    expected,
                    "{c:?} after {pad}"
                );
            }
        }
    }

    #[test]
    fn plain_runs_hold_exactly_the_documented_characters() {
        // printable ASCII, U+2010–U+2027, U+2030–U+203F and every character above U+3000 but
        // U+FEFF and U+FFFC, each alone and after a Han character
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let plain = is_plain_reference(c);
            let alone = c.to_string();
            assert_eq!(
                plain_run_end(alone.as_bytes(), 0),
                if plain { alone.len() } else { 0 },
                "{c:?}"
            );
            let after = format!("中{c}");
            assert_eq!(
                plain_run_end(after.as_bytes(), 0),
                if plain { after.len() } else { 3 },
                "{c:?}"
            );
        }
    }

    fn count_placeholders_reference(text: &str) -> usize {
        let chars: Vec<char> = text.chars().collect();
        let mut count = 0;
        let mut i = 0;
        while i < chars.len() {
            if !chars.get(i).copied().is_some_and(is_placeholder_char) {
                i += 1;
                continue;
            }
            let start = i;
            while chars.get(i).copied().is_some_and(is_placeholder_char) {
                i += 1;
            }
            let before = start.checked_sub(1).and_then(|j| chars.get(j)).copied();
            let after = chars.get(i).copied();
            let run = chars.get(start..i).unwrap_or(&[]);
            let letter = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphabetic());
            if letter(before) || letter(after) {
                continue;
            }
            if run.iter().all(|&c| c == '×') && before.is_some_and(|c| c.is_ascii_digit()) {
                continue;
            }
            count += 1;
        }
        count
    }

    #[test]
    fn doc_mill_presence_test_sees_every_character_of_the_table() {
        let t = builtin_doc_mill();
        for &c in t.map.keys() {
            let s = format!("甲{c}乙");
            assert!(t.may_occur(&s), "{c:?}");
            assert!(t.may_occur(&c.to_string()), "{c:?}");
        }
        assert!(!t.may_occur("这是一段普通的文字，时间。"));
    }

    #[test]
    fn doc_mill_others_are_found_anywhere_in_long_texts() {
        let t = builtin_doc_mill();
        let prose = "这是一段普通的文字，时间、地点和人物都很清楚。".repeat(20);
        assert!(!t.may_occur(&prose));
        for o in &t.others {
            // at the start, in the middle (around the searcher's block boundaries) and at
            // the end of a long text, and alone
            for at in [0, 1, 17, 31, 32, 33, 64, prose.len()] {
                let mut s = prose.clone();
                let at = (0..=at.min(s.len()))
                    .rev()
                    .find(|&i| s.is_char_boundary(i))
                    .unwrap_or(0);
                s.insert_str(at, o);
                assert!(t.has_other(&s), "{o:?} at {at}");
                assert!(t.may_occur(&s), "{o:?} at {at}");
            }
            assert!(t.has_other(o));
        }
        // without a searcher the answer is the same
        let plain = DocMillTable {
            others_searcher: None,
            ..builtin_doc_mill()
        };
        for s in [prose.as_str(), "旳", "甲昰乙"] {
            assert_eq!(plain.has_other(s), t.has_other(s), "{s:?}");
        }
    }

    #[test]
    fn doc_mill_counts_characters_of_every_added_table() {
        let mut t = DocMillTable::default();
        assert!(t.add_tsv("昰\t是\n").is_empty());
        assert_eq!(t.count("这昰旳"), 1);
        assert!(t.add_tsv("旳\t的\n").is_empty());
        assert_eq!(t.count("这昰旳"), 2);
    }

    fn builtin_doc_mill() -> DocMillTable {
        let mut t = DocMillTable::default();
        assert!(t.add_tsv(crate::rules::builtin::DOC_MILL).is_empty());
        t
    }

    /// The regex [`strip_comments`] stands for.
    fn comments_by_regex(text: &str) -> String {
        static COMMENT: std::sync::LazyLock<Regex> =
            std::sync::LazyLock::new(|| Regex::new(r"(?s)<!--.{0,2000}?-->").expect("compiles"));
        COMMENT.replace_all(text, "").into_owned()
    }

    #[test]
    fn comments_are_stripped_like_the_regex() {
        let long = "长".repeat(COMMENT_MAX_CHARS);
        for text in [
            "",
            "正文<!-- 注释 -->正文",
            "<!---->a<!-- x -->b<!--",
            "<!--->x-->",
            "<!--<!-- x -->-->",
            "a<!-- 不闭合",
            &format!("<!--{long}-->后"),
            &format!("<!--{long}长-->后"),
            &format!("<!--{long}长<!--短-->后"),
            &format!("<!--{long}长--><!--x-->后"),
        ] {
            assert_eq!(strip_comments(text), comments_by_regex(text), "{text:?}");
        }
        assert!(matches!(strip_comments("没有注释"), Cow::Borrowed(_)));
    }

    /// Where [`skip_outside`] must stop, found character by character: the first character
    /// from `from` that is in `set` or is not a 3-byte character.
    fn first_stop_reference(set: &BmpBits, text: &str, from: usize) -> usize {
        text.char_indices()
            .filter(|&(i, _)| i >= from)
            .find(|&(_, c)| {
                let code = c as usize;
                c.len_utf8() != 3
                    || set
                        .get(code / 64)
                        .is_some_and(|w| w & (1 << (code % 64)) != 0)
            })
            .map_or(text.len(), |(i, _)| i)
    }

    #[test]
    fn skip_outside_stops_where_the_reference_does() {
        let mut set = [0u64; 1024];
        for c in ['旳', '务', '，', '\u{FFFC}'] {
            set[c as usize / 64] |= 1 << (c as usize % 64);
        }
        let table = ScanTable::new(&set);
        for text in [
            "",
            "中",
            "中文字",
            "中文字a",
            "服务中心",
            "中文，中文",
            "甲乙丙丁戊己庚",
            "é中文中文中文",
            "中文中文中\u{FFFC}",
        ] {
            let stop = skip_outside(&table, text.as_bytes(), 0);
            let reference = first_stop_reference(&set, text, 0);
            // it may stop early only within the last six bytes, never after the reference
            assert!(stop <= reference, "{text:?}: {stop} > {reference}");
            assert!(
                stop == reference || text.len() - stop < 6,
                "{text:?}: {stop}"
            );
            assert!(text.is_char_boundary(stop), "{text:?}: {stop}");
        }
    }

    proptest! {
        #[test]
        fn skip_outside_never_passes_a_stop(
            s in text_from("中文旳务，a é\u{FFFC}𝟙丁", 40),
            from in 0usize..40,
        ) {
            let mut set = [0u64; 1024];
            for c in ['旳', '务', '，', '\u{FFFC}'] {
                set[c as usize / 64] |= 1 << (c as usize % 64);
            }
            let table = ScanTable::new(&set);
            // a char boundary at or before byte `from`
            let from = (0..=from.min(s.len())).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0);
            let stop = skip_outside(&table, s.as_bytes(), from);
            let reference = first_stop_reference(&set, &s, from);
            prop_assert!(stop >= from && stop <= reference);
            prop_assert!(stop == reference || s.len() - stop < 6);
            prop_assert!(s.is_char_boundary(stop));
        }

        #[test]
        fn comments_are_stripped_like_the_regex_on_generated_text(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "<!--", "-->", "<", "!", "-", ">", "x", "中", " ", "\n",
                    "L",
                ]),
                0..40,
            )
        ) {
            // "L" stands for a long run of Han characters: comments near the 2000-character limit
            let text: String = pieces
                .iter()
                .map(|&p| if p == "L" { "长".repeat(450) } else { p.to_string() })
                .collect();
            prop_assert_eq!(strip_comments(&text).into_owned(), comments_by_regex(&text));
        }

        #[test]
        fn placeholder_and_doc_mill_counts_match_the_originals(
            s in text_from("X*×＊Ｘa1 ，中旳昰⼀⼈⺟\u{F900}\u{FA0E}", 30)
        ) {
            prop_assert_eq!(count_placeholders(&s), count_placeholders_reference(&s));
            let t = builtin_doc_mill();
            prop_assert_eq!(t.count(&s), s.chars().filter(|&c| t.contains(c)).count());
        }

        #[test]
        fn placeholder_count_matches_the_original_on_long_texts(
            s in text_from("X*×＊Ｘa1 ，中文字的。、\n", 200)
        ) {
            // the placeholders fall anywhere in and across the 32-byte blocks
            prop_assert_eq!(count_placeholders(&s), count_placeholders_reference(&s));
        }

        #[test]
        fn whitespace_normalisation_matches_the_original_on_long_texts(
            parts in prop::collection::vec(edgy_text(), 1..8),
            plain in text_from("中文字，。、「」１Ａa1 \n“”—…‘’\u{3000}", 120),
        ) {
            // long stretches of ordinary text with edge characters between them
            let s = parts.join(&plain);
            prop_assert_eq!(normalize_whitespace(&s), normalize_whitespace_reference(&s));
            prop_assert_eq!(rare_chars(&s), rare_chars_reference(&s));
        }

        #[test]
        fn han_and_char_counts_match_counting_chars(s in edgy_text()) {
            prop_assert_eq!(
                han_and_char_count(&s),
                (han_count_reference(&s), s.chars().count())
            );
        }

        #[test]
        fn byte_level_scans_match_the_char_level_originals(s in edgy_text()) {
            prop_assert_eq!(normalize_whitespace(&s), normalize_whitespace_reference(&s));
            // what `Cleaner::clean` relies on when it tells extraction `ascii_spaces`
            prop_assert!(!has_other_space(&normalize_whitespace(&s)));
            prop_assert_eq!(has_other_space(&s), s.chars().any(|c| c != ' ' && c != '\n' && c.is_whitespace()));
            prop_assert_eq!(han_count(&s), han_count_reference(&s));
            prop_assert_eq!(space_count(&s), s.chars().filter(|c| c.is_whitespace()).count());
            let (folded, n) = fold_width(&s);
            prop_assert_eq!((folded.into_owned(), n), fold_width_reference(&s));
            prop_assert_eq!(has_placeholder_char(&s), s.contains(is_placeholder_char));
            prop_assert_eq!(count_placeholders(&s), count_placeholders_reference(&s));
            prop_assert_eq!(rare_chars(&s), rare_chars_reference(&s));
            let t = builtin_doc_mill();
            prop_assert_eq!(t.count(&s), s.chars().filter(|&c| t.contains(c)).count());
        }
    }

    #[test]
    fn byte_level_scans_on_every_edge_character() {
        for c in EDGES.chars() {
            for s in [c.to_string(), format!("甲 {c} 乙"), format!("{c}{c}\n{c}")] {
                assert_eq!(
                    normalize_whitespace(&s),
                    normalize_whitespace_reference(&s),
                    "{s:?}"
                );
                assert_eq!(han_count(&s), han_count_reference(&s), "{s:?}");
                let long = s.repeat(97);
                assert_eq!(
                    han_and_char_count(&long),
                    (han_count_reference(&long), long.chars().count()),
                    "{s:?}"
                );
                assert_eq!(
                    space_count(&s),
                    s.chars().filter(|c| c.is_whitespace()).count(),
                    "{s:?}"
                );
                let (folded, n) = fold_width(&s);
                assert_eq!((folded.into_owned(), n), fold_width_reference(&s), "{s:?}");
                assert_eq!(has_placeholder_char(&s), s.contains(is_placeholder_char));
                assert_eq!(rare_chars(&s), rare_chars_reference(&s), "{s:?}");
                let long = s.repeat(37);
                assert_eq!(rare_chars(&long), rare_chars_reference(&long), "{s:?}");
            }
        }
    }

    #[test]
    fn placeholders() {
        assert_eq!(count_placeholders("推动X事业发展，争取X亿元"), 2);
        assert_eq!(count_placeholders("“六个*”和“平安*”，上传人：回****"), 3);
        assert_eq!(count_placeholders("XML格式，3×4矩阵，Xi"), 0);
        assert_eq!(count_placeholders("XX县委书记××同志"), 2);
    }
}
