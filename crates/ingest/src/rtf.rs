//! RTF → text lines plus [`PageMeta`].
//!
//! A byte-level reader of the RTF syntax (groups, control words, control symbols), not a
//! layout engine: the document's text comes out with one line per paragraph (`\par`), line
//! break, table cell or row; formatting is ignored. Chinese RTF writes its characters as
//! `\uN` (with fallback bytes, skipped per `\ucN`) or as `\'hh` byte pairs in the code page of
//! the run's font (`\fcharset134` → GBK, `136` → Big5) or of the document (`\ansicpg936`);
//! both are decoded. Destinations that are not text (font, colour and style tables,
//! pictures, objects, field instructions, headers, footers, footnotes, comments, `{\*…}`)
//! are skipped, field results kept. Title, author and creation time come from `\info`.
//!
//! Every input gives a text or an error; nesting is bounded, nothing panics.

use encoding_rs::Encoding;
use gongwen_model::PageMeta;

/// Deepest group nesting read; deeper input is an error (no real document comes close).
const MAX_DEPTH: usize = 1000;

/// Destinations whose content is not the document's text.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "listtable",
    "listoverridetable",
    "revtbl",
    "rsidtbl",
    "generator",
    "pict",
    "object",
    "fldinst",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "footnote",
    "annotation",
    "atnid",
    "atnauthor",
    "xmlnstbl",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "filetbl",
    "pgdsctbl",
    "operator",
    "company",
    "subject",
    "keywords",
    "doccomm",
    "comment",
    "hlinkbase",
    "nonshppict",
    "shppict",
];

/// The encoding of a Windows code page number (`\ansicpg`).
fn code_page(cp: i32) -> &'static Encoding {
    let label = match cp {
        936 => "gbk",
        54936 => "gb18030",
        950 => "big5",
        932 => "shift_jis",
        949 => "euc-kr",
        874 => "windows-874",
        1250..=1258 => return windows(cp),
        10000 => "macintosh",
        65001 => "utf-8",
        _ => "windows-1252",
    };
    Encoding::for_label(label.as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252)
}

fn windows(cp: i32) -> &'static Encoding {
    Encoding::for_label(format!("windows-{cp}").as_bytes()).unwrap_or(encoding_rs::WINDOWS_1252)
}

/// Whether an encoding writes characters in more than one byte (the CJK code pages).
fn is_multibyte(encoding: &Encoding) -> bool {
    [
        encoding_rs::GBK,
        encoding_rs::GB18030,
        encoding_rs::BIG5,
        encoding_rs::SHIFT_JIS,
        encoding_rs::EUC_KR,
    ]
    .contains(&encoding)
}

/// The encoding of a font character set (`\fcharsetN`), when it names one.
fn font_charset(charset: i32) -> Option<&'static Encoding> {
    Some(match charset {
        134 => encoding_rs::GBK,
        136 => encoding_rs::BIG5,
        128 => encoding_rs::SHIFT_JIS,
        129 => encoding_rs::EUC_KR,
        0 => encoding_rs::WINDOWS_1252,
        _ => return None,
    })
}

/// Where a group's text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sink {
    Body,
    Skip,
    /// `\info`: its text is dropped, but for the title and author subgroups.
    Info,
    Title,
    Author,
    FontTable,
}

/// State that a group inherits from its parent and loses at its end.
#[derive(Debug, Clone, Copy)]
struct Group {
    sink: Sink,
    /// Fallback characters after `\uN`.
    uc: usize,
    /// Encoding of `\'hh` bytes (the run's font, else the document's code page).
    encoding: Option<&'static Encoding>,
    /// The first control word of the group has not been seen yet (destinations are named
    /// by it).
    fresh: bool,
    /// The group began with `\*`: skip it unless it is a known text destination.
    starred: bool,
}

#[derive(Default)]
struct Reader {
    body: String,
    title: String,
    author: String,
    /// Bytes of `\'hh` escapes (and raw 8-bit bytes) not yet decoded: a GBK character is two
    /// of them.
    pending: Vec<u8>,
    /// A high surrogate from `\uN` waiting for its low half.
    high_surrogate: Option<u16>,
    document_encoding: Option<&'static Encoding>,
    fonts: Vec<(i32, &'static Encoding)>,
    /// The font being defined in the font table.
    font_being_defined: Option<i32>,
    created: [Option<i32>; 5],
    in_creatim: bool,
}

impl Reader {
    fn out(&mut self, sink: Sink) -> Option<&mut String> {
        match sink {
            Sink::Body => Some(&mut self.body),
            Sink::Title => Some(&mut self.title),
            Sink::Author => Some(&mut self.author),
            Sink::Skip | Sink::Info | Sink::FontTable => None,
        }
    }

    /// Decodes the pending bytes into `group`'s sink.
    fn flush(&mut self, group: &Group) {
        if self.pending.is_empty() {
            return;
        }
        let bytes = std::mem::take(&mut self.pending);
        // A CJK font wins, then a CJK document code page: writers other than Word leave
        // Chinese runs in a Western font (`\fcharset0`) of a `\ansicpg936` document.
        let multibyte = group
            .encoding
            .filter(|e| is_multibyte(e))
            .or(self.document_encoding.filter(|e| is_multibyte(e)));
        let single = group
            .encoding
            .or(self.document_encoding)
            .unwrap_or(encoding_rs::WINDOWS_1252);
        let text = match multibyte {
            Some(e) => e.decode_without_bom_handling(&bytes).0.into_owned(),
            // Text written as raw UTF-8 (some converters do) is valid UTF-8, which
            // Windows-1252 text with accents almost never is; then bytes that read as
            // Chinese in the document's CJK font.
            None => std::str::from_utf8(&bytes)
                .ok()
                .filter(|t| !t.is_ascii())
                .map(str::to_string)
                .or_else(|| self.cjk_reading(&bytes, single))
                .unwrap_or_else(|| single.decode_without_bom_handling(&bytes).0.into_owned()),
        };
        if let Some(out) = self.out(group.sink) {
            out.push_str(&text);
        }
    }

    /// `bytes` read pair by pair in the document's CJK font wherever two bytes make a
    /// character of it, else byte by byte in `single`; `None` when no pair does.
    fn cjk_reading(&self, bytes: &[u8], single: &'static Encoding) -> Option<String> {
        if bytes.iter().filter(|b| **b >= 0x81).count() < 2 {
            return None;
        }
        let cjk = self
            .fonts
            .iter()
            .map(|(_, e)| *e)
            .find(|e| is_multibyte(e))?;
        let mut out = String::new();
        let mut found = false;
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            let pair = bytes.get(i..i + 2).filter(|_| b >= 0x81);
            // A pair of high bytes (GB2312's and Big5's characters all are), or a pair
            // that makes a Han character.
            let han = pair
                .and_then(|p| {
                    Some((
                        p,
                        cjk.decode_without_bom_handling_and_without_replacement(p)?,
                    ))
                })
                .filter(|(p, t)| {
                    p.iter().all(|b| *b >= 0x81)
                        || t.chars().all(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))
                })
                .map(|(_, t)| t);
            match han {
                Some(text) => {
                    out.push_str(&text);
                    found = true;
                    i += 2;
                }
                None => {
                    out.push_str(&single.decode_without_bom_handling(&[b]).0);
                    i += 1;
                }
            }
        }
        found.then_some(out)
    }

    fn push_char(&mut self, group: &Group, c: char) {
        self.flush(group);
        if let Some(out) = self.out(group.sink) {
            out.push(c);
        }
    }

    /// A `\uN` character (N a signed 16-bit UTF-16 unit).
    fn unicode(&mut self, group: &Group, n: i32) {
        let unit = u16::try_from(n.rem_euclid(0x1_0000)).unwrap_or(0xFFFD);
        if (0xD800..0xDC00).contains(&unit) {
            self.high_surrogate = Some(unit);
            return;
        }
        let units: Vec<u16> = self
            .high_surrogate
            .take()
            .into_iter()
            .chain([unit])
            .collect();
        for c in char::decode_utf16(units) {
            self.push_char(group, c.unwrap_or('\u{FFFD}'));
        }
    }
}

/// A control word and its parameter.
fn control_word(bytes: &[u8], mut at: usize) -> (String, Option<i32>, usize) {
    let start = at;
    while bytes.get(at).is_some_and(u8::is_ascii_alphabetic) {
        at += 1;
    }
    let word = String::from_utf8_lossy(bytes.get(start..at).unwrap_or_default()).into_owned();
    let digits_at = at;
    if bytes.get(at) == Some(&b'-') {
        at += 1;
    }
    while bytes.get(at).is_some_and(u8::is_ascii_digit) && at - digits_at < 11 {
        at += 1;
    }
    let param = std::str::from_utf8(bytes.get(digits_at..at).unwrap_or_default())
        .ok()
        .and_then(|p| p.parse::<i64>().ok())
        .map(|p| p.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32);
    if bytes.get(at) == Some(&b' ') {
        at += 1;
    }
    (word, param, at)
}

/// Extracts the text and `\info` metadata of an RTF document, and the name of its declared
/// code page (`windows-1252` when it declares none).
pub fn extract_rtf(bytes: &[u8]) -> Result<(String, PageMeta, &'static str), String> {
    let mut reader = Reader::default();
    let mut stack: Vec<Group> = Vec::new();
    let mut group = Group {
        sink: Sink::Body,
        uc: 1,
        encoding: None,
        fresh: false,
        starred: false,
    };
    // Fallback characters still to skip after a `\uN`.
    let mut skip_fallback = 0usize;
    let mut at = 0usize;
    while let Some(&b) = bytes.get(at) {
        match b {
            b'{' => {
                reader.flush(&group);
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("groups nested more than {MAX_DEPTH} deep"));
                }
                stack.push(group);
                group.fresh = true;
                group.starred = false;
                skip_fallback = 0;
                at += 1;
            }
            b'}' => {
                reader.flush(&group);
                group = stack.pop().unwrap_or(group);
                skip_fallback = 0;
                at += 1;
            }
            b'\\' => {
                let Some(&next) = bytes.get(at + 1) else {
                    break;
                };
                if next.is_ascii_alphabetic() {
                    let (word, param, end) = control_word(bytes, at + 1);
                    at = end;
                    let was_fresh = std::mem::replace(&mut group.fresh, false);
                    if word == "bin" {
                        at = at.saturating_add(usize::try_from(param.unwrap_or(0)).unwrap_or(0));
                        continue;
                    }
                    if skip_fallback > 0 && word != "u" {
                        skip_fallback = 0;
                    }
                    handle_word(
                        &mut reader,
                        &mut group,
                        &word,
                        param,
                        was_fresh,
                        &mut skip_fallback,
                    );
                    continue;
                }
                at += 2;
                match next {
                    b'\'' => {
                        let hex = bytes
                            .get(at..at + 2)
                            .and_then(|h| std::str::from_utf8(h).ok());
                        if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                            at += 2;
                            if skip_fallback > 0 {
                                skip_fallback -= 1;
                            } else if group.sink != Sink::Skip {
                                reader.pending.push(byte);
                            }
                        }
                    }
                    b'*' => {
                        group.starred = true;
                    }
                    b'\\' | b'{' | b'}' => {
                        if skip_fallback > 0 {
                            skip_fallback -= 1;
                        } else {
                            reader.push_char(&group, char::from(next));
                        }
                    }
                    b'~' => reader.push_char(&group, '\u{A0}'),
                    b'_' => reader.push_char(&group, '-'),
                    b'\n' | b'\r' => reader.push_char(&group, '\n'),
                    b'\t' => reader.push_char(&group, '\t'),
                    _ => {}
                }
            }
            b'\r' | b'\n' => at += 1,
            _ => {
                at += 1;
                if skip_fallback > 0 {
                    skip_fallback -= 1;
                } else if group.sink == Sink::FontTable {
                    if b == b';' {
                        reader.font_being_defined = None;
                    }
                } else if group.sink != Sink::Skip {
                    reader.pending.push(b);
                }
            }
        }
    }
    reader.flush(&group);
    let mut meta = PageMeta::default();
    let clean = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    meta.title = clean(&reader.title);
    meta.author = clean(&reader.author);
    if let [Some(y), Some(mo), Some(d), h, mi] = reader.created {
        if (1980..=2100).contains(&y) && (1..=12).contains(&mo) && (1..=31).contains(&d) {
            meta.published = Some(format!(
                "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:00",
                h.unwrap_or(0).clamp(0, 23),
                mi.unwrap_or(0).clamp(0, 59)
            ));
        }
    }
    let encoding = reader
        .document_encoding
        .unwrap_or(encoding_rs::WINDOWS_1252)
        .name();
    Ok((reader.body, meta, encoding))
}

/// What one control word does.
fn handle_word(
    reader: &mut Reader,
    group: &mut Group,
    word: &str,
    param: Option<i32>,
    first_in_group: bool,
    skip_fallback: &mut usize,
) {
    // Destinations are named by the first control word of their group.
    if first_in_group && group.sink != Sink::Skip {
        let sink = match word {
            "fonttbl" => Some(Sink::FontTable),
            "info" => Some(Sink::Info),
            "title" if group.sink == Sink::Info => Some(Sink::Title),
            "author" if group.sink == Sink::Info => Some(Sink::Author),
            _ if group.sink == Sink::Info => None,
            w if SKIPPED.contains(&w) => Some(Sink::Skip),
            // `{\*\name …}`: an optional destination this reader does not know.
            "fldrslt" | "field" => None,
            _ if group.starred => Some(Sink::Skip),
            _ => None,
        };
        if let Some(sink) = sink {
            reader.flush(group);
            group.sink = sink;
        }
        if word == "creatim" {
            reader.in_creatim = true;
        } else if matches!(word, "revtim" | "printim" | "buptim") {
            reader.in_creatim = false;
        }
    }
    match word {
        "par" | "sect" | "page" | "line" | "row" | "cell" | "nestcell" | "nestrow" => {
            reader.push_char(group, '\n')
        }
        "tab" => reader.push_char(group, '\t'),
        "emdash" => reader.push_char(group, '—'),
        "endash" => reader.push_char(group, '–'),
        "bullet" => reader.push_char(group, '•'),
        "lquote" => reader.push_char(group, '‘'),
        "rquote" => reader.push_char(group, '’'),
        "ldblquote" => reader.push_char(group, '“'),
        "rdblquote" => reader.push_char(group, '”'),
        "u" => {
            if let Some(n) = param {
                reader.unicode(group, n);
                *skip_fallback = group.uc;
            }
        }
        "uc" => group.uc = usize::try_from(param.unwrap_or(1)).unwrap_or(1).min(8),
        "ansicpg" => {
            reader.document_encoding = param.map(code_page);
        }
        "f" => match group.sink {
            Sink::FontTable => reader.font_being_defined = param,
            _ => {
                reader.flush(group);
                let font = reader.fonts.iter().find(|(id, _)| Some(*id) == param);
                group.encoding = font.map(|(_, e)| *e);
            }
        },
        "fcharset" if group.sink == Sink::FontTable => {
            if let (Some(font), Some(encoding)) =
                (reader.font_being_defined, param.and_then(font_charset))
            {
                reader.fonts.push((font, encoding));
            }
        }
        "yr" | "mo" | "dy" | "hr" | "min" if reader.in_creatim => {
            let slot = ["yr", "mo", "dy", "hr", "min"]
                .iter()
                .position(|w| *w == word);
            if let Some(slot) = slot.and_then(|i| reader.created.get_mut(i)) {
                *slot = param;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rtf: &str) -> String {
        extract_rtf(rtf.as_bytes())
            .map(|(t, _, _)| t)
            .unwrap_or_else(|e| e)
    }

    #[test]
    fn gbk_bytes_follow_the_font_charset_or_the_code_page() {
        // 你好 in GBK: c4 e3 ba c3.
        let by_font = r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fnil\fcharset0 Arial;}{\f1\fnil\fcharset134 \'cb\'ce\'cc\'e5;}}\f1 \'c4\'e3\'ba\'c3\f0 ok\par}";
        assert_eq!(text(by_font), "你好ok\n");
        let by_page = r"{\rtf1\ansi\ansicpg936 \'c4\'e3\'ba\'c3\par}";
        assert_eq!(text(by_page), "你好\n");
        // Bytes in a Western font's run that read as Chinese in the document's CJK font.
        let in_latin_run = r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0\fcharset0 Times;}{\f1\fcharset134 SimSun;}}\f0 \'c4\'e3\'ba\'c3 caf\'e9}";
        assert_eq!(text(in_latin_run), "你好 café");
    }

    #[test]
    fn unicode_escapes_skip_their_fallback() {
        let rtf = r"{\rtf1\ansi\uc1\u20320?\u22909?{\uc2\u19990\'ca\'c0}\u-10179?\u-8704?\par}";
        assert_eq!(text(rtf), "你好世😀\n");
    }

    #[test]
    fn fields_tables_and_skipped_destinations() {
        let rtf = r#"{\rtf1\ansi{\*\generator Msftedit;}{\header 页眉}{\info{\title 动员大会讲话}{\author 办公室}{\creatim\yr2023\mo3\dy1\hr8\min5}}见{\field{\*\fldinst HYPERLINK "http://x"}{\fldrslt 通知}}。\par 甲\cell 乙\cell\row{\pict 89504e47}{\footnote 脚注}完\line 毕}"#;
        let (body, meta, _) =
            extract_rtf(rtf.as_bytes()).unwrap_or((String::new(), PageMeta::default(), ""));
        assert_eq!(body, "见通知。\n甲\n乙\n\n完\n毕");
        assert_eq!(meta.title.as_deref(), Some("动员大会讲话"));
        assert_eq!(meta.author.as_deref(), Some("办公室"));
        assert_eq!(meta.published.as_deref(), Some("2023-03-01T08:05:00"));
    }

    #[test]
    fn binary_data_and_escapes() {
        let rtf = "{\\rtf1 a\\bin3 {}}b\\{\\}\\\\c\\~d\\_e}";
        assert_eq!(text(rtf), "ab{}\\c\u{A0}d-e");
        assert!(extract_rtf("{".repeat(2000).as_bytes()).is_err());
        assert!(extract_rtf(b"{\\rtf1 \\u").is_ok());
        assert!(extract_rtf(b"{\\rtf1 \\'c").is_ok());
    }
}
