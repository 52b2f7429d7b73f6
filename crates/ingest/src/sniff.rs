//! Format sniffing: by magic bytes first, then by the decoded text, then by extension.

use gongwen_model::Format;

use crate::scan::{self, starts_with_ignore_ascii_case};

/// What the first bytes of a file say about it, before any decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Magic {
    /// A zip archive (a `.docx` is one).
    Zip,
    /// An OLE2 compound file: a legacy `.doc` (or `.xls`, `.ppt`, `.msg`).
    Ole2,
    /// A Rich Text Format document.
    Rtf,
    /// A known binary format that is not supported, with its name.
    Binary(&'static str),
}

/// Signatures of binary formats, checked at offset 0.
const SIGNATURES: &[(&[u8], &str)] = &[
    (b"%PDF-", "PDF"),
    (b"\x89PNG\r\n\x1A\n", "PNG image"),
    (b"\xFF\xD8\xFF", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x1F\x8B", "gzip archive"),
    (b"7z\xBC\xAF\x27\x1C", "7z archive"),
    (b"Rar!\x1A\x07", "RAR archive"),
    (b"\x7FELF", "ELF executable"),
    (b"SQLite format 3\0", "SQLite database"),
    (b"OggS", "Ogg media"),
    (b"fLaC", "FLAC audio"),
    (b"\x1A\x45\xDF\xA3", "Matroska/WebM media"),
    (b"\x28\xB5\x2F\xFD", "zstd archive"),
    (b"\xFD7zXZ\0", "xz archive"),
];

/// Recognises zip archives, OLE2 files and common binary formats by their first bytes.
pub fn magic(bytes: &[u8]) -> Option<Magic> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        return Some(Magic::Zip);
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Some(Magic::Ole2);
    }
    if bytes.starts_with(b"{\\rtf") {
        return Some(Magic::Rtf);
    }
    if let Some((_, name)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return Some(Magic::Binary(name));
    }
    if bytes.starts_with(b"RIFF") && matches!(bytes.get(8..12), Some(b"WAVE" | b"AVI " | b"WEBP")) {
        return Some(Magic::Binary("RIFF media"));
    }
    if bytes.get(4..8) == Some(b"ftyp") {
        return Some(Magic::Binary("MP4/QuickTime media"));
    }
    None
}

/// Extensions of saved web pages.
const HTML_EXTENSIONS: &[&str] = &["html", "htm", "shtml", "xhtml", "aspx", "asp", "php", "jsp"];

/// The first `max_chars` characters of `text` (never splits a character).
pub fn prefix_chars(text: &str, max_chars: usize) -> &str {
    text.get(..scan::prefix_len(text, max_chars))
        .unwrap_or(text)
}

/// Tags whose presence near the start marks a whole HTML page (not a text with stray tags).
const PAGE_MARKERS: &[&str] = &[
    "<html",
    "<head",
    "<body",
    "<title",
    "<meta ",
    "<!doctype html",
    "<link ",
    "<script",
];

/// True when `text` is an HTML page: it starts with `<!doctype html` or `<html`, or at least
/// two page-level tags (`<html`, `<head`, `<body`, `<title`, `<meta`, …) occur in its first
/// 8000 characters. A text dump with a few stray inline tags (`<cite>`, `<b>`) is not a page.
/// Tags match in any ASCII case.
pub fn looks_like_html_page(text: &str) -> bool {
    let head = prefix_chars(text, 8000);
    let start = head.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if starts_with_ignore_ascii_case(start.as_bytes(), "<!doctype html")
        || starts_with_ignore_ascii_case(start.as_bytes(), "<html")
    {
        return true;
    }
    let mut found = [false; PAGE_MARKERS.len()];
    for tag in scan::after_each_lt(head) {
        for (seen, marker) in found.iter_mut().zip(PAGE_MARKERS) {
            *seen |= starts_with_ignore_ascii_case(tag, marker);
        }
        if found.iter().filter(|&&seen| seen).count() >= 2 {
            return true;
        }
    }
    false
}

/// True when `text` contains at least one HTML-like tag (`<p>`, `</div`, `<br/>`…) in its
/// first 8000 characters.
pub fn has_tags(text: &str) -> bool {
    scan::after_each_lt(prefix_chars(text, 8000)).any(|tag| {
        tag.get(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'/' || *c == b'!')
    })
}

/// True when `text` holds block-level HTML tags (`<p`, `<br`, `<div`), in any ASCII case:
/// used for the text cells of CSV/JSONL records, which crawlers often store as HTML.
pub fn has_block_tags(text: &str) -> bool {
    scan::after_each_lt(prefix_chars(text, 8000)).any(|tag| {
        ["<p>", "<p ", "<br", "<div", "</p>"]
            .iter()
            .any(|t| starts_with_ignore_ascii_case(tag, t))
    })
}

/// Lowercase extension of a path (`""` when none).
pub fn extension(path: &str) -> String {
    std::path::Path::new(path)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// The format of a decoded text file, by content first and extension second.
pub fn text_format(text: &str, ext: &str) -> Format {
    match ext {
        "csv" | "tsv" => return Format::Csv,
        "jsonl" | "ndjson" | "json" => return Format::Jsonl,
        _ => {}
    }
    let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}');
    if start.starts_with("<?xml") {
        return if looks_like_html_page(text) {
            Format::Html
        } else {
            Format::Xml
        };
    }
    if looks_like_html_page(text) {
        return Format::Html;
    }
    if HTML_EXTENSIONS.contains(&ext) && has_tags(text) {
        return Format::Html;
    }
    if ext == "xml" && start.starts_with('<') {
        return Format::Xml;
    }
    if ext == "md" || ext == "markdown" {
        return Format::Md;
    }
    Format::Txt
}

/// The format a file's extension names, for a file that failed before its content could be
/// sniffed (too large, unreadable, empty); `None` for an extension that names none.
pub fn format_of_extension(ext: &str) -> Option<Format> {
    Some(match ext {
        "txt" | "text" => Format::Txt,
        "md" | "markdown" => Format::Md,
        "csv" | "tsv" => Format::Csv,
        "jsonl" | "ndjson" | "json" => Format::Jsonl,
        "xml" => Format::Xml,
        "docx" => Format::Docx,
        "doc" | "wps" => Format::Doc,
        "rtf" => Format::Rtf,
        "odt" => Format::Odt,
        "mht" | "mhtml" => Format::Mht,
        "pdf" => Format::Pdf,
        "ofd" => Format::Ofd,
        "zip" => Format::Zip,
        e if HTML_EXTENSIONS.contains(&e) => Format::Html,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_name_formats_for_files_never_sniffed() {
        assert_eq!(format_of_extension("pdf"), Some(Format::Pdf));
        assert_eq!(format_of_extension("htm"), Some(Format::Html));
        assert_eq!(format_of_extension("wps"), Some(Format::Doc));
        assert_eq!(format_of_extension("exe"), None);
        assert_eq!(format_of_extension(""), None);
    }

    #[test]
    fn magic_bytes() {
        assert_eq!(magic(b"PK\x03\x04rest"), Some(Magic::Zip));
        assert_eq!(magic(b"%PDF-1.7\n"), Some(Magic::Binary("PDF")));
        assert_eq!(
            magic(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0"),
            Some(Magic::Ole2)
        );
        assert_eq!(magic(b"{\\rtf1\\ansi"), Some(Magic::Rtf));
        assert_eq!(magic("会议".as_bytes()), None);
        assert_eq!(magic(b""), None);
    }

    #[test]
    fn html_pages_are_told_from_text_with_stray_tags() {
        assert!(looks_like_html_page("  <!DOCTYPE html><p>x"));
        assert!(looks_like_html_page("<HTML><body>正文</body></HTML>"));
        assert!(looks_like_html_page(
            "<title>县政府</title>\n<meta name=\"x\" content=\"y\">正文"
        ));
        assert!(!looks_like_html_page(
            "<span id=\"q1\"></span>\n<i id=\"q1\"></i>\n市政府召开常务会议"
        ));
        assert!(!looks_like_html_page("会议强调，要把握好 a<b 的关系"));
    }

    #[test]
    fn formats_by_content_then_extension() {
        assert_eq!(text_format("<html><p>x</p></html>", "txt"), Format::Html);
        assert_eq!(text_format("<div>段落</div>", "htm"), Format::Html);
        assert_eq!(text_format("没有标签的网页", "html"), Format::Txt);
        assert_eq!(
            text_format("<?xml version=\"1.0\"?><doc/>", "txt"),
            Format::Xml
        );
        assert_eq!(text_format("<em id=\"a\"></em>\n正文", "txt"), Format::Txt);
        assert_eq!(text_format("# 标题", "md"), Format::Md);
        assert_eq!(
            text_format("a,b", "CSV".to_ascii_lowercase().as_str()),
            Format::Csv
        );
        assert_eq!(text_format("{}", "jsonl"), Format::Jsonl);
    }

    #[test]
    fn prefix_never_splits_characters() {
        assert_eq!(prefix_chars("政府工作", 2), "政府");
        assert_eq!(prefix_chars("ab", 5), "ab");
        assert!(has_tags("x <p>y"));
        assert!(!has_tags("3 < 4"));
        assert!(has_block_tags("<P>段</P>"));
        assert!(!has_block_tags("<pre>段</pre>"));
    }

    #[test]
    fn page_markers_match_in_any_case_and_count_once() {
        assert!(looks_like_html_page(
            "<TITLE>x</TITLE>\n<Meta name=\"a\">正文"
        ));
        assert!(!looks_like_html_page(
            "<title>一</title><title>二</title>正文"
        ));
        assert!(looks_like_html_page("\u{FEFF} \n<!DocType HTML>"));
        // Markers past the first 8000 characters do not count.
        let late = format!("{}<head><body>", "字".repeat(8000));
        assert!(!looks_like_html_page(&late));
        let early = format!("{}<head><body>", "字".repeat(7980));
        assert!(looks_like_html_page(&early));
    }
}
