//! The sample corpus in other forms, built at test time from `data/samples/*.txt`: every
//! encoding and container must give back the UTF-8 original's text.

use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use encoding_rs::{Encoding, BIG5, GB18030};
use gongwen_ingest::{Discovery, Ingest, IngestConfig};
use gongwen_model::{Format, RawDoc};

fn samples() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("data/samples exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no samples in {dir:?}");
    paths
        .into_iter()
        .map(|p| {
            let stem = p.file_stem().expect("name").to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(&p).expect("utf-8 sample"))
        })
        .collect()
}

fn ingest_for(dir: &Path, config: IngestConfig) -> Ingest {
    Ingest::build(
        &IngestConfig {
            inputs: vec![dir.to_path_buf()],
            ..config
        },
        dir,
    )
    .expect("valid config")
}

/// Discovers and reads everything in `dir`; every file must give exactly one document.
fn read_all(dir: &Path) -> Vec<RawDoc> {
    let ingest = ingest_for(dir, IngestConfig::default());
    let discovery = ingest.discover();
    assert!(discovery.failures.is_empty(), "{:?}", discovery.failures);
    discovery
        .files
        .iter()
        .flat_map(|f| ingest.read(f))
        .map(|r| r.unwrap_or_else(|f| panic!("{}: {}", f.source.source_path, f.message)))
        .collect()
}

/// Writes every sample as `<stem>.<ext>`, made from its text by `make`, reads the folder,
/// and checks that each document has `format` and the sample's lines; returns the
/// documents for the checks of their format.
fn samples_read_as(ext: &str, format: Format, make: impl Fn(&str) -> Vec<u8>) -> Vec<RawDoc> {
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = samples();
    for (stem, text) in &samples {
        std::fs::write(dir.path().join(format!("{stem}.{ext}")), make(text)).expect("write");
    }
    let docs = read_all(dir.path());
    assert_eq!(docs.len(), samples.len());
    for (stem, text) in &samples {
        let name = format!("{stem}.{ext}");
        let doc = docs
            .iter()
            .find(|d| name_of(d) == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(doc.source.format, Some(format), "{name}");
        assert_eq!(
            normalised_lines(&doc.text),
            normalised_lines(text),
            "{name}"
        );
    }
    docs
}

fn name_of(doc: &RawDoc) -> String {
    name_of_path(&doc.source.source_path)
}

/// Non-empty lines with whitespace runs collapsed: what HTML and docx must preserve.
fn normalised_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect()
}

fn encode(encoding: &'static Encoding, text: &str) -> Vec<u8> {
    encoding.encode(text).0.into_owned()
}

fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if little_endian {
            &[0xFF, 0xFE]
        } else {
            &[0xFE, 0xFF]
        });
    }
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

/// The text as Big5 can carry it: characters Big5 lacks become the numeric character
/// references encoding_rs writes for them.
fn big5_representable(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        let mut buf = [0u8; 4];
        let (_, _, unmappable) = BIG5.encode(ch.encode_utf8(&mut buf));
        if unmappable {
            out.push_str(&format!("&#{};", ch as u32));
        } else {
            out.push(ch);
        }
    }
    out
}

#[test]
fn every_encoding_decodes_to_the_utf8_original() {
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = samples();
    let mut expected: Vec<(String, String, &str)> = Vec::new();
    for (stem, text) in &samples {
        let forms: Vec<(&str, Vec<u8>, &str)> = vec![
            ("utf8", text.as_bytes().to_vec(), "UTF-8"),
            ("gb18030", encode(GB18030, text), "GB18030"),
            ("utf16le-bom", utf16(text, true, true), "UTF-16LE"),
            ("utf16be-bom", utf16(text, false, true), "UTF-16BE"),
            ("utf16le", utf16(text, true, false), "UTF-16LE"),
            ("utf16be", utf16(text, false, false), "UTF-16BE"),
        ];
        for (form, bytes, encoding) in forms {
            let name = format!("{stem}.{form}.txt");
            std::fs::write(dir.path().join(&name), bytes).expect("write");
            expected.push((name, text.clone(), encoding));
        }
    }
    // The traditional sample in Big5 (it is the one whose script Big5 carries).
    let (stem, text) = samples
        .iter()
        .find(|(s, _)| s.starts_with("002"))
        .expect("sample 002");
    let representable = big5_representable(text);
    let name = format!("{stem}.big5.txt");
    std::fs::write(dir.path().join(&name), encode(BIG5, text)).expect("write");
    expected.push((name, representable, "Big5"));

    let docs = read_all(dir.path());
    assert_eq!(docs.len(), expected.len());
    for (name, text, encoding) in expected {
        let doc = docs
            .iter()
            .find(|d| name_of(d) == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(doc.source.encoding.as_deref(), Some(encoding), "{name}");
        assert!(!doc.source.bytes_replaced, "{name}");
        assert_eq!(doc.source.format, Some(Format::Txt), "{name}");
        assert!(
            doc.text == text,
            "{name}: decoded text differs from the original"
        );
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A page with site chrome in elements ingest drops and a `<meta charset>` that lies.
fn html_page(text: &str, declared_charset: &str) -> String {
    let mut page = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"{declared_charset}\">\n<title>某市人民政府门户网站</title>\n\
         <meta name=\"PubDate\" content=\"2024-03-05 10:00\">\n<style>body {{ font: 14px }}</style>\n\
         <script>var nav = \"<p>不是正文</p>\";</script>\n</head>\n<body>\n\
         <header><div class=\"logo\">某市政府网</div></header>\n\
         <nav><ul><li><a href=\"/\">首页</a></li><li><a href=\"/zw\">政务公开</a></li></ul></nav>\n<div class=\"content\">\n"
    );
    for line in text.lines() {
        page.push_str("<p>");
        page.push_str(&escape(line));
        page.push_str("</p>\n");
    }
    page.push_str(
        "</div>\n<aside>热点推荐</aside>\n<footer><p>主办单位：某市人民政府办公室</p></footer>\n\
         <script src=\"/stat.js\"></script>\n<noscript>统计</noscript>\n</body>\n</html>\n",
    );
    page
}

#[test]
fn html_with_chrome_and_wrong_charset_gives_the_same_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = samples();
    let mut expected = Vec::new();
    for (stem, text) in &samples {
        // GB18030 bytes that claim to be Big5, and UTF-8 bytes that claim to be GB2312.
        std::fs::write(
            dir.path().join(format!("{stem}.gb.html")),
            encode(GB18030, &html_page(text, "big5")),
        )
        .expect("write");
        std::fs::write(
            dir.path().join(format!("{stem}.u8.htm")),
            html_page(text, "gb2312"),
        )
        .expect("write");
        // A saved page named .txt is still a page.
        std::fs::write(
            dir.path().join(format!("{stem}.page.txt")),
            html_page(text, "utf-8"),
        )
        .expect("write");
        for name in [
            format!("{stem}.gb.html"),
            format!("{stem}.u8.htm"),
            format!("{stem}.page.txt"),
        ] {
            expected.push((name, normalised_lines(text)));
        }
    }
    let docs = read_all(dir.path());
    assert_eq!(docs.len(), expected.len());
    for (name, lines) in expected {
        let doc = docs
            .iter()
            .find(|d| name_of(d) == name)
            .unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(doc.source.format, Some(Format::Html), "{name}");
        let got = normalised_lines(&doc.text);
        assert_eq!(got.len(), lines.len(), "{name}: line count");
        for (i, (g, e)) in got.iter().zip(&lines).enumerate() {
            assert_eq!(g, e, "{name}: line {i}");
        }
        assert_eq!(doc.meta.title.as_deref(), Some("某市人民政府门户网站"));
        assert_eq!(doc.meta.published.as_deref(), Some("2024-03-05 10:00"));
    }
}

/// `bytes` in quoted-printable, lines of at most 76 characters with soft breaks.
fn quoted_printable(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut line = 0;
    for &b in bytes {
        let piece = if b == b'\n' {
            out.push_str("\r\n");
            line = 0;
            continue;
        } else if b == b'=' || !(0x20..0x80).contains(&b) {
            format!("={b:02X}")
        } else {
            char::from(b).to_string()
        };
        if line + piece.len() > 75 {
            out.push_str("=\r\n");
            line = 0;
        }
        line += piece.len();
        out.push_str(&piece);
    }
    out
}

/// A page saved by Internet Explorer as "Web archive, single file": the page in GB2312,
/// quoted-printable, and an image part.
fn mht_bytes(page: &str) -> Vec<u8> {
    let body = quoted_printable(&encode(GB18030, page));
    format!(
        "From: <Saved by Windows Internet Explorer 8>\r\nSubject: =?gb2312?B?zajWqg==?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype=\"text/html\";\r\n\tboundary=\"----=_NextPart_000_0000_01D1\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n------=_NextPart_000_0000_01D1\r\nContent-Type: text/html;\r\n\tcharset=\"gb2312\"\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Location: http://www.example.gov.cn/a.htm\r\n\r\n{body}\r\n\r\n------=_NextPart_000_0000_01D1\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\nContent-Location: http://www.example.gov.cn/logo.gif\r\n\r\nR0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\r\n\r\n------=_NextPart_000_0000_01D1--\r\n"
    )
    .into_bytes()
}

#[test]
fn web_archives_give_the_lines_of_their_page() {
    let archive = |text: &str| mht_bytes(&html_page(text, "gb2312"));
    for doc in samples_read_as("mht", Format::Mht, archive) {
        assert_eq!(doc.source.encoding.as_deref(), Some("GBK"));
        assert_eq!(doc.meta.title.as_deref(), Some("某市人民政府门户网站"));
    }
}

fn xml_escape(text: &str) -> String {
    escape(text).replace('"', "&quot;")
}

fn run(text: &str) -> String {
    format!(
        "<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{}</w:t></w:r>",
        xml_escape(text)
    )
}

/// A minimal docx: each line a paragraph, except lines 3 and 4 which go into a table row
/// (one cell each), and the first line split over two runs.
fn docx_bytes(text: &str) -> Vec<u8> {
    let lines: Vec<&str> = text.lines().collect();
    let mut body = String::new();
    for (i, line) in lines.iter().enumerate() {
        match i {
            0 => {
                let split = line
                    .char_indices()
                    .nth(line.chars().count() / 2)
                    .map_or(line.len(), |(b, _)| b);
                let (a, b) = line.split_at(split);
                body.push_str(&format!("<w:p>{}{}</w:p>", run(a), run(b)));
            }
            3 => body.push_str(&format!(
                "<w:tbl><w:tr><w:tc><w:p>{}</w:p></w:tc><w:tc><w:p>{}</w:p></w:tc></w:tr></w:tbl>",
                run(line),
                run(lines.get(4).copied().unwrap_or(""))
            )),
            4 => {}
            _ => body.push_str(&format!(
                "<w:p><w:pPr><w:jc w:val=\"both\"/></w:pPr>{}</w:p>",
                run(line)
            )),
        }
    }
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}<w:sectPr/></w:body></w:document>"
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/></Types>".to_string()),
        ("_rels/.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/></Relationships>".to_string()),
        ("docProps/core.xml", "<?xml version=\"1.0\"?><cp:coreProperties xmlns:cp=\"x\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>讲话稿</dc:title><dc:creator>办公室</dc:creator></cp:coreProperties>".to_string()),
        ("word/document.xml", document),
    ];
    for (name, content) in parts {
        zip.start_file(name, options).expect("start file");
        zip.write_all(content.as_bytes()).expect("write part");
    }
    zip.finish().expect("finish zip").into_inner()
}

#[test]
fn docx_gives_the_same_lines() {
    for doc in samples_read_as("docx", Format::Docx, docx_bytes) {
        assert_eq!(doc.meta.title.as_deref(), Some("讲话稿"));
        assert_eq!(doc.meta.author.as_deref(), Some("办公室"));
    }
}

/// A Word 97 `.doc` as Word writes one: an OLE2 file whose `WordDocument` stream holds the
/// FIB and the text, and whose `1Table` stream holds the piece table. `text`'s lines are
/// paragraphs in a UTF-16 piece, then `ascii` in a compressed piece (one byte a character);
/// `after` is text past the main text (a footnote) that must not be read;
/// `SummaryInformation` gives a GBK title, a UTF-16 author and the creation time.
fn doc_bytes(text: &str, ascii: &str, after: &str) -> Vec<u8> {
    use std::io::Write as _;
    let main: String = text.lines().map(|l| format!("{l}\r")).collect();
    let mut pieces: Vec<(String, bool)> = vec![(main, false)];
    if !ascii.is_empty() {
        pieces.push((ascii.to_string(), true));
    }
    let ccp_text: usize = pieces.iter().map(|(p, _)| p.encode_utf16().count()).sum();
    if !after.is_empty() {
        pieces.push((after.to_string(), false));
    }
    // WordDocument: the FIB (898 bytes for Word 97), then each piece's bytes.
    let mut word = vec![0u8; 1024];
    let put16 =
        |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut word, 0, 0xA5EC);
    put16(&mut word, 2, 0x00C1);
    put16(&mut word, 0x0A, 0x0200);
    put16(&mut word, 32, 14);
    put16(&mut word, 62, 22);
    put32(&mut word, 64 + 12, ccp_text as u32);
    put16(&mut word, 152, 93);
    let mut cps = vec![0u32];
    let mut pcds = Vec::new();
    for (piece, compressed) in &pieces {
        let fc = word.len() as u32;
        if *compressed {
            // One byte a character: the test passes Windows-1252 bytes as chars U+0000–U+00FF.
            word.extend(
                piece
                    .chars()
                    .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')),
            );
            pcds.push((fc * 2) | 0x4000_0000);
        } else {
            word.extend(piece.encode_utf16().flat_map(u16::to_le_bytes));
            pcds.push(fc);
        }
        cps.push(cps.last().copied().unwrap_or(0) + piece.encode_utf16().count() as u32);
    }
    let mut plc: Vec<u8> = cps.iter().flat_map(|c| c.to_le_bytes()).collect();
    for fc in pcds {
        plc.extend([0, 0]);
        plc.extend(fc.to_le_bytes());
        plc.extend([0, 0]);
    }
    // 1Table: a Prc (formatting, skipped) then the piece table.
    let mut table = vec![0x01, 0x02, 0x00, 0xAA, 0xBB, 0x02];
    table.extend((plc.len() as u32).to_le_bytes());
    table.extend(plc);
    put32(&mut word, 154 + 33 * 8, 0);
    put32(&mut word, 154 + 33 * 8 + 4, table.len() as u32);

    // SummaryInformation: code page 936, title (GBK), author (UTF-16), created.
    let (title, _, _) = encoding_rs::GBK.encode("动员大会讲话\0");
    let mut props: Vec<(u32, Vec<u8>)> =
        vec![(1, [2u32.to_le_bytes(), 936u32.to_le_bytes()].concat())];
    let mut lpstr = 0x1Eu32.to_le_bytes().to_vec();
    lpstr.extend((title.len() as u32).to_le_bytes());
    lpstr.extend(title.iter());
    while !lpstr.len().is_multiple_of(4) {
        lpstr.push(0);
    }
    props.push((2, lpstr));
    let author: Vec<u16> = "区政府办公室\0".encode_utf16().collect();
    let mut lpwstr = 0x1Fu32.to_le_bytes().to_vec();
    lpwstr.extend((author.len() as u32).to_le_bytes());
    lpwstr.extend(author.iter().flat_map(|u| u.to_le_bytes()));
    while !lpwstr.len().is_multiple_of(4) {
        lpwstr.push(0);
    }
    props.push((4, lpwstr));
    let ticks: u64 = (1_677_657_600 + 11_644_473_600) * 10_000_000;
    let mut time = 0x40u32.to_le_bytes().to_vec();
    time.extend(ticks.to_le_bytes());
    props.push((12, time));
    let mut section = Vec::new();
    let header_len = 8 + 8 * props.len();
    let mut offset = header_len;
    let mut values: Vec<u8> = Vec::new();
    for (id, value) in &props {
        section.extend(id.to_le_bytes());
        section.extend((offset as u32).to_le_bytes());
        offset += value.len();
        values.extend(value);
    }
    let mut set = Vec::new();
    set.extend(((header_len + values.len()) as u32).to_le_bytes());
    set.extend((props.len() as u32).to_le_bytes());
    set.extend(section);
    set.extend(values);
    let mut summary = vec![0xFE, 0xFF, 0, 0, 0, 0, 0, 0];
    summary.extend([0u8; 16]);
    summary.extend(1u32.to_le_bytes());
    summary.extend([0u8; 16]);
    summary.extend(48u32.to_le_bytes());
    summary.extend(set);

    let mut file = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
    for (name, bytes) in [
        ("WordDocument", &word),
        ("1Table", &table),
        ("\u{5}SummaryInformation", &summary),
    ] {
        let mut stream = file.create_stream(name).expect("stream");
        stream.write_all(bytes).expect("write stream");
    }
    file.flush().expect("flush");
    file.into_inner().into_inner()
}

#[test]
fn legacy_doc_gives_the_same_lines_and_its_summary() {
    let with_footnote = |text: &str| doc_bytes(text, "", "脚注：这段文字在正文之后，不读。\r");
    for doc in samples_read_as("doc", Format::Doc, with_footnote) {
        assert!(!doc.text.contains("脚注"));
        assert_eq!(doc.meta.title.as_deref(), Some("动员大会讲话"));
        assert_eq!(doc.meta.author.as_deref(), Some("区政府办公室"));
        assert_eq!(doc.meta.published.as_deref(), Some("2023-03-01T08:00:00Z"));
    }
}

#[test]
fn legacy_doc_fields_tables_and_one_byte_pieces() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "见\u{13} HYPERLINK \"http://x\" \u{14}通知\u{15}。\n甲\u{7}乙\u{7}\u{7}";
    let ascii = "Café “quoted”\u{b}end\r";
    let bytes = doc_bytes(
        text,
        &encoding_rs::WINDOWS_1252
            .encode(ascii)
            .0
            .iter()
            .map(|&b| char::from(b))
            .collect::<String>(),
        "",
    );
    std::fs::write(dir.path().join("a.doc"), bytes).expect("write");
    let docs = read_all(dir.path());
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].text, "见通知。\n甲\n乙\n\n\nCafé “quoted”\nend\n");
}

#[test]
fn encrypted_docs_and_other_ole2_files_are_failures() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut encrypted = doc_bytes("机密文件。", "", "");
    let fib = encrypted
        .windows(4)
        .position(|w| w == [0xEC, 0xA5, 0xC1, 0x00])
        .expect("the FIB is in the file");
    encrypted[fib + 0x0B] |= 0x01; // fEncrypted: bit 8 of the flags at 0x0A
    std::fs::write(dir.path().join("secret.doc"), encrypted).expect("write");
    let mut book = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
    book.create_stream("Workbook")
        .and_then(|mut s| s.write_all(&[0x09, 0x08, 0, 0]))
        .expect("stream");
    book.flush().expect("flush");
    std::fs::write(dir.path().join("book.xls"), book.into_inner().into_inner()).expect("write");

    let ingest = ingest_for(dir.path(), IngestConfig::default());
    let discovery = ingest.discover();
    let mut messages: Vec<(String, Option<Format>, String)> = discovery
        .files
        .iter()
        .flat_map(|f| ingest.read(f))
        .map(|r| {
            let f = r.expect_err("a failure");
            (
                name_of_path(&f.source.source_path),
                f.source.format,
                f.message,
            )
        })
        .collect();
    messages.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0].0, "book.xls");
    assert_eq!(messages[0].1, Some(Format::Binary));
    assert!(messages[0].2.contains("not supported"), "{messages:?}");
    assert_eq!(messages[1].0, "secret.doc");
    assert_eq!(messages[1].1, Some(Format::Doc));
    assert!(messages[1].2.contains("encrypted"), "{messages:?}");
}

/// How an RTF writes Chinese.
#[derive(Clone, Copy, PartialEq)]
enum RtfChinese {
    /// `\uN?`.
    Unicode,
    /// GBK `\'hh` bytes in a run of a `\fcharset134` font (Word, WordPad).
    CjkFont,
    /// GBK `\'hh` bytes in the Western font of a `\ansicpg936` document (other writers).
    CodePage,
}

/// An RTF of `text`: every non-ASCII character escaped as `chinese` says, a Western font
/// (`\f0`) around the ASCII; a `\pard` paragraph per line.
fn rtf_bytes(text: &str, chinese: RtfChinese) -> Vec<u8> {
    let unicode = chinese == RtfChinese::Unicode;
    let code_page = if chinese == RtfChinese::CodePage {
        936
    } else {
        1252
    };
    let mut rtf = format!("{{\\rtf1\\ansi\\ansicpg{code_page}\\deff0");
    rtf.push_str("{\\fonttbl{\\f0\\froman\\fcharset0 Times New Roman;}{\\f1\\fnil\\fcharset134 \\'cb\\'ce\\'cc\\'e5;}}\n{\\colortbl ;\\red0\\green0\\blue0;}\n{\\*\\generator Riched20 10.0.19041}\\viewkind4\\uc1\n");
    for line in text.lines() {
        rtf.push_str("\\pard\\sa200\\sl276\\slmult1\\f0\\fs24 ");
        let mut in_cjk = false;
        for c in line.chars() {
            if c.is_ascii() {
                if in_cjk {
                    rtf.push_str("\\f0 ");
                    in_cjk = false;
                }
                match c {
                    '\\' | '{' | '}' => {
                        rtf.push('\\');
                        rtf.push(c);
                    }
                    _ => rtf.push(c),
                }
            } else if unicode {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    rtf.push_str(&format!("\\u{}?", *unit as i16));
                }
            } else {
                if !in_cjk && chinese == RtfChinese::CjkFont {
                    rtf.push_str("\\f1 ");
                    in_cjk = true;
                }
                let one = c.to_string();
                let (bytes, _, unmappable) = GB18030.encode(&one);
                assert!(!unmappable);
                for b in bytes.iter() {
                    rtf.push_str(&format!("\\'{b:02x}"));
                }
            }
        }
        rtf.push_str("\\par\n");
    }
    rtf.push_str("}\n");
    rtf.into_bytes()
}

#[test]
fn rtf_gives_the_same_lines_in_both_chinese_escapes() {
    for chinese in [
        RtfChinese::Unicode,
        RtfChinese::CjkFont,
        RtfChinese::CodePage,
    ] {
        samples_read_as("rtf", Format::Rtf, |text| rtf_bytes(text, chinese));
    }
}

/// An OpenDocument text as LibreOffice writes one: each line a `text:p` (the first split
/// over spans, the third and fourth in a table's cells), a footnote that must not be read,
/// and `meta.xml`.
fn odt_bytes(text: &str) -> Vec<u8> {
    let mut body = String::new();
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let line = xml_escape(line);
        match i {
            0 => {
                let split = line
                    .char_indices()
                    .nth(line.chars().count() / 2)
                    .map_or(line.len(), |(b, _)| b);
                let (a, b) = line.split_at(split);
                body.push_str(&format!(
                    "<text:h text:outline-level=\"1\"><text:span text:style-name=\"T1\">{a}</text:span>{b}<text:note text:note-class=\"footnote\"><text:note-body><text:p>脚注不读</text:p></text:note-body></text:note></text:h>"
                ));
            }
            2 => body.push_str(&format!(
                "<table:table><table:table-row><table:table-cell><text:p>{line}</text:p></table:table-cell><table:table-cell><text:p>{}</text:p></table:table-cell></table:table-row></table:table>",
                xml_escape(lines.get(3).copied().unwrap_or(""))
            )),
            3 => {}
            _ => body.push_str(&format!("<text:p text:style-name=\"P1\">{line}</text:p>")),
        }
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\"><office:automatic-styles/><office:body><office:text><text:sequence-decls><text:sequence-decl text:name=\"Table\"/></text:sequence-decls>{body}</office:text></office:body></office:document-content>"
    );
    let meta = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-meta xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><office:meta><dc:title>讲话稿</dc:title><meta:initial-creator>办公室</meta:initial-creator><meta:creation-date>2023-03-01T08:00:00</meta:creation-date></office:meta></office:document-meta>";
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).expect("start");
    zip.write_all(b"application/vnd.oasis.opendocument.text")
        .expect("write");
    for (name, part) in [("content.xml", content.as_str()), ("meta.xml", meta)] {
        zip.start_file(name, deflated).expect("start");
        zip.write_all(part.as_bytes()).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

#[test]
fn odt_gives_the_same_lines() {
    for doc in samples_read_as("odt", Format::Odt, odt_bytes) {
        assert!(!doc.text.contains("脚注不读"));
        assert_eq!(doc.meta.title.as_deref(), Some("讲话稿"));
        assert_eq!(doc.meta.author.as_deref(), Some("办公室"));
        assert_eq!(doc.meta.published.as_deref(), Some("2023-03-01T08:00:00"));
    }
}

/// Page geometry of [`typeset`], in millimetres: a character's size (16 pt), and the text
/// block's left and right edges.
const EM: f64 = 5.6;
const LEFT: f64 = 25.0;
const RIGHT: f64 = LEFT + 28.0 * EM;

/// How far a character advances: a full em for Chinese, half of one for ASCII.
fn advance(c: char) -> f64 {
    if c.is_ascii() {
        EM / 2.0
    } else {
        EM
    }
}

/// `text` typeset like an official document: each paragraph's lines justified to 28
/// characters' width (a word or number is not cut), its first line indented by two; every
/// visual line's characters and where each starts.
fn typeset(text: &str) -> Vec<Vec<(f64, char)>> {
    let mut visual: Vec<Vec<(f64, char)>> = Vec::new();
    let mut place = |line: Vec<char>, start: f64, justify: bool| {
        let natural: f64 = line.iter().map(|&c| advance(c)).sum();
        let gaps = line.len().saturating_sub(1).max(1) as f64;
        let extra = if justify {
            (RIGHT - start - natural).max(0.0) / gaps
        } else {
            0.0
        };
        let mut x = start;
        let mut placed = Vec::new();
        for c in line {
            placed.push((x, c));
            x += advance(c) + extra;
        }
        visual.push(placed);
    };
    for paragraph in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut start = LEFT + 2.0 * EM;
        let mut line: Vec<char> = Vec::new();
        let mut width = 0.0;
        for c in paragraph.chars() {
            if start + width + advance(c) > RIGHT && !line.is_empty() {
                // Spaces at the end of a full line start the next one (a writer draws none
                // at a line's end), and so do the letters and digits of a word or number the
                // break would cut.
                let mut next = Vec::new();
                while line.last() == Some(&' ') {
                    next.extend(line.pop());
                }
                if next.is_empty() && c.is_ascii_alphanumeric() {
                    let word = line
                        .iter()
                        .rev()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .count();
                    if word < line.len() {
                        next = line.split_off(line.len() - word);
                    }
                }
                place(std::mem::replace(&mut line, next), start, true);
                start = LEFT;
                width = line.iter().map(|&c| advance(c)).sum();
            }
            line.push(c);
            width += advance(c);
        }
        place(line, start, false);
    }
    visual
}

/// An OFD as a converter writes one: `OFD.xml` with the document's metadata, a document root
/// listing a template (a running head that must not be read) and pages of `text`
/// [`typeset`], twenty lines and a page number a page. The first line of a page is two text
/// objects on (nearly) the same baseline, the second one text code per character, the rest
/// one text object each.
fn ofd_bytes(text: &str) -> Vec<u8> {
    const NS: &str = "xmlns:ofd=\"http://www.ofdspec.org/2016\"";
    let visual = typeset(text);
    let mut pages = Vec::new();
    let mut id = 10;
    for (n, chunk) in visual.chunks(20).enumerate() {
        let mut objects = String::new();
        for (k, placed) in chunk.iter().enumerate() {
            let y = 30.0 + 12.0 * k as f64;
            let Some(&(x0, _)) = placed.first() else {
                continue;
            };
            let mut object = |x: f64, boundary_y: f64, codes: &str| {
                id += 1;
                objects.push_str(&format!(
                    "<ofd:TextObject ID=\"{id}\" Boundary=\"{x:.3} {boundary_y} 160 7\" Font=\"3\" Size=\"5.6\"><ofd:FillColor Value=\"0 0 0\"/>{codes}</ofd:TextObject>"
                ));
            };
            let code = |run: &[(f64, char)], y: &str| {
                let deltas: Vec<String> = run
                    .windows(2)
                    .map(|w| format!("{:.3}", w[1].0 - w[0].0))
                    .collect();
                let text: String = run.iter().map(|&(_, c)| c).collect();
                format!(
                    "<ofd:TextCode X=\"0\"{y} DeltaX=\"{}\">{}</ofd:TextCode>",
                    deltas.join(" "),
                    xml_escape(&text)
                )
            };
            match k {
                0 => {
                    let (a, b) = placed.split_at(placed.len() / 2);
                    object(x0, y, &code(a, " Y=\"5\""));
                    if let Some(&(x1, _)) = b.first() {
                        object(x1, y + 0.3, &code(b, " Y=\"4.7\""));
                    }
                }
                1 => {
                    let codes: String = placed
                        .iter()
                        .enumerate()
                        .map(|(i, &(x, c))| {
                            let y = if i == 0 { " Y=\"5\"" } else { "" };
                            format!(
                                "<ofd:TextCode X=\"{:.3}\"{y}>{}</ofd:TextCode>",
                                x - x0,
                                xml_escape(&c.to_string())
                            )
                        })
                        .collect();
                    object(x0, y, &codes);
                }
                _ => object(x0, y, &code(placed, " Y=\"5\"")),
            }
        }
        pages.push(format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Page {NS}><ofd:Template TemplateID=\"2\"/><ofd:Content><ofd:Layer ID=\"{id}\">{objects}<ofd:TextObject ID=\"8\" Boundary=\"98 280 20 7\" Size=\"4.9\"><ofd:TextCode X=\"0\" Y=\"5\">- {} -</ofd:TextCode></ofd:TextObject><ofd:PathObject ID=\"9\" Boundary=\"0 0 1 1\"/></ofd:Layer></ofd:Content></ofd:Page>",
            n + 1
        ));
    }
    let template = format!("<ofd:Page {NS}><ofd:Content><ofd:Layer ID=\"5\"><ofd:TextObject ID=\"6\" Boundary=\"25 10 160 7\" Size=\"5.6\"><ofd:TextCode X=\"0\" Y=\"5\">模板页眉不读</ofd:TextCode></ofd:TextObject></ofd:Layer></ofd:Content></ofd:Page>");
    // The first page's location is relative to the document root, the others' absolute.
    let page_list: String = (0..pages.len())
        .map(|i| {
            let root = if i == 0 { "" } else { "/Doc_0/" };
            format!(
                "<ofd:Page ID=\"{}\" BaseLoc=\"{root}Pages/Page_{i}/Content.xml\"/>",
                100 + i
            )
        })
        .collect();
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Document {NS}><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:TemplatePage ID=\"2\" BaseLoc=\"Tpls/Tpl_0/Content.xml\"/></ofd:CommonData><ofd:Pages>{page_list}</ofd:Pages></ofd:Document>"
    );
    let root = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD {NS} Version=\"1.1\" DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo><ofd:DocID>6a1f</ofd:DocID><ofd:Title>关于召开会议的通知</ofd:Title><ofd:Author>区政府办公室</ofd:Author><ofd:CreationDate>2023-03-01</ofd:CreationDate><ofd:Creator>WPS Office</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    );
    let public_res = format!("<ofd:Res {NS} BaseLoc=\"Res\"><ofd:Fonts><ofd:Font ID=\"3\" FontName=\"仿宋\" FamilyName=\"仿宋\"/></ofd:Fonts></ofd:Res>");
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let mut parts = vec![
        ("OFD.xml".to_string(), root),
        ("Doc_0/Document.xml".to_string(), document),
        ("Doc_0/PublicRes.xml".to_string(), public_res),
        ("Doc_0/Tpls/Tpl_0/Content.xml".to_string(), template),
    ];
    for (i, page) in pages.into_iter().enumerate() {
        parts.push((format!("Doc_0/Pages/Page_{i}/Content.xml"), page));
    }
    for (name, part) in parts {
        zip.start_file(name, options).expect("start");
        zip.write_all(part.as_bytes()).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

#[test]
fn ofd_gives_the_same_lines_and_its_doc_info() {
    for doc in samples_read_as("ofd", Format::Ofd, ofd_bytes) {
        assert!(!doc.text.contains("模板页眉不读"));
        assert_eq!(doc.source.encoding.as_deref(), Some("UTF-8"));
        assert_eq!(doc.meta.title.as_deref(), Some("关于召开会议的通知"));
        assert_eq!(doc.meta.author.as_deref(), Some("区政府办公室"));
        assert_eq!(doc.meta.published.as_deref(), Some("2023-03-01"));
    }
}

/// An encrypted OFD, one without pages it names, and a `.ofd` that is no zip each get an
/// error row naming the problem.
#[test]
fn broken_ofds_are_failures() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = ofd_bytes("第一行。\n第二行。");
    let rewrite = |keep: &dyn Fn(&str) -> bool, extra: Option<(&str, &str)>| {
        let mut source = zip::ZipArchive::new(Cursor::new(good.clone())).expect("zip");
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..source.len() {
            let entry = source.by_index_raw(i).expect("entry");
            if keep(&entry.name().expect("name")) {
                zip.raw_copy_file(entry).expect("copy");
            }
        }
        if let Some((name, part)) = extra {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .expect("start");
            zip.write_all(part.as_bytes()).expect("write");
        }
        zip.finish().expect("finish").into_inner()
    };
    let cases: [(&str, Vec<u8>, &str); 3] = [
        (
            "a.ofd",
            rewrite(&|_| true, Some(("Encryptions.xml", "<ofd:Encryptions/>"))),
            "encrypted ofd",
        ),
        (
            "b.ofd",
            rewrite(&|n| !n.contains("Page_0"), None),
            "corrupt ofd: no page content \"Doc_0/Pages/Page_0/Content.xml\"",
        ),
        (
            "c.ofd",
            b"PK\x03\x04 not a zip".to_vec(),
            "corrupt ofd: not a readable zip archive",
        ),
    ];
    for (name, bytes, _) in &cases {
        std::fs::write(dir.path().join(name), bytes).expect("write");
    }
    let ingest = ingest_for(dir.path(), IngestConfig::default());
    let discovery = ingest.discover();
    for (file, (name, _, message)) in discovery.files.iter().zip(&cases) {
        let out = ingest.read(file);
        let failure = match out.as_slice() {
            [Err(failure)] => failure,
            other => panic!("{name}: {other:?}"),
        };
        assert!(
            failure.message.starts_with(message),
            "{name}: {}",
            failure.message
        );
        assert_eq!(failure.source.format, Some(Format::Ofd), "{name}");
    }
}

/// What `pdftotext -bbox-layout` prints for a PDF of `text` [`typeset`] (in points, 25
/// lines a page, a page number at the foot of each), with a title and a placeholder author.
fn bbox_layout_xhtml(text: &str) -> String {
    let pt = |mm: f64| mm * 72.0 / 25.4;
    let mut pages = String::new();
    for (n, chunk) in typeset(text).chunks(25).enumerate() {
        pages.push_str("  <page width=\"595.276\" height=\"841.890\">\n    <flow>\n");
        for (k, placed) in chunk.iter().enumerate() {
            let (Some(&(x0, _)), Some(&(x1, last))) = (placed.first(), placed.last()) else {
                continue;
            };
            let y0 = pt(37.0 + 10.0 * k as f64);
            let y1 = y0 + pt(EM);
            let (x0, x1) = (pt(x0), pt(x1 + advance(last)));
            // pdftotext splits a line into words at its spaces.
            let line: String = placed.iter().map(|&(_, c)| c).collect();
            let words: String = line
                .split(' ')
                .filter(|w| !w.is_empty())
                .map(|w| format!("<word xMin=\"{x0:.3}\" yMin=\"{y0:.3}\" xMax=\"{x1:.3}\" yMax=\"{y1:.3}\">{}</word>", xml_escape(w)))
                .collect();
            pages.push_str(&format!(
                "      <block xMin=\"{x0:.3}\" yMin=\"{y0:.3}\" xMax=\"{x1:.3}\" yMax=\"{y1:.3}\">\n        <line xMin=\"{x0:.3}\" yMin=\"{y0:.3}\" xMax=\"{x1:.3}\" yMax=\"{y1:.3}\">{words}</line>\n      </block>\n"
            ));
        }
        pages.push_str(&format!(
            "      <block xMin=\"290\" yMin=\"790\" xMax=\"305\" yMax=\"802\"><line xMin=\"290\" yMin=\"790\" xMax=\"305\" yMax=\"802\"><word xMin=\"290\" yMin=\"790\" xMax=\"305\" yMax=\"802\">{}</word></line></block>\n    </flow>\n  </page>\n",
            n + 1
        ));
    }
    format!(
        "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\"><html xmlns=\"http://www.w3.org/1999/xhtml\">\n<head>\n<title>关于召开会议的通知</title>\n<meta name=\"Author\" content=\"(anonymous)\"/>\n<meta name=\"CreationDate\" content=\"2023-03-01T08:00:00+08:00\"/>\n</head>\n<body>\n<doc>\n{pages}</doc>\n</body>\n</html>\n"
    )
}

/// `pdftotext -bbox-layout` output (here printed by a shell line from the fake PDF) gives
/// every sample's paragraphs back, each one line, and the PDF's title (not its placeholder
/// author, nor its creation date: when the file was made).
#[cfg(unix)]
#[test]
fn pdf_line_boxes_give_the_paragraphs_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = samples();
    for (stem, text) in &samples {
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend(bbox_layout_xhtml(text).as_bytes());
        std::fs::write(dir.path().join(format!("{stem}.pdf")), &pdf).expect("write");
    }
    let script = ["sh", "-c", "tail -n +2 \"$1\"", "sh", "{}"];
    let ingest = ingest_for(
        dir.path(),
        IngestConfig {
            pdf_command: script.map(String::from).to_vec(),
            ..IngestConfig::default()
        },
    );
    let discovery = ingest.discover();
    assert_eq!(discovery.files.len(), samples.len());
    for (file, (stem, text)) in discovery.files.iter().zip(&samples) {
        let doc = match ingest.read(file).as_slice() {
            [Ok(doc)] => doc.clone(),
            other => panic!("{stem}: {other:?}"),
        };
        assert_eq!(doc.source.format, Some(Format::Pdf));
        // A space a line broke at is not drawn, and comes back only between ASCII letters
        // and digits: lines are compared without their spaces.
        let unspaced = |text: &str| -> Vec<String> {
            normalised_lines(text)
                .iter()
                .map(|l| l.replace(' ', ""))
                .collect()
        };
        assert_eq!(unspaced(&doc.text), unspaced(text), "{stem}");
        assert_eq!(doc.meta.title.as_deref(), Some("关于召开会议的通知"));
        assert_eq!(doc.meta.author, None);
        assert_eq!(doc.meta.published, None);
    }
}

/// PDFs are read through `pdf_command` (here a shell line printing what follows the
/// first line of the fake PDF), and without one each gets an error row that says how.
#[cfg(unix)]
#[test]
fn pdfs_are_read_through_the_configured_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stem, text) = samples().into_iter().next().expect("a sample");
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.extend(text.replace('\n', "\u{c}\n").as_bytes());
    std::fs::write(dir.path().join(format!("{stem}.pdf")), &pdf).expect("write");
    let read = |pdf_command: Vec<String>| {
        let ingest = ingest_for(
            dir.path(),
            IngestConfig {
                pdf_command,
                ..IngestConfig::default()
            },
        );
        let discovery = ingest.discover();
        discovery
            .files
            .iter()
            .flat_map(|f| ingest.read(f))
            .collect::<Vec<_>>()
    };
    let script = ["sh", "-c", "tail -n +2 \"$1\"", "sh", "{}"]
        .map(String::from)
        .to_vec();
    let docs = read(script);
    let [Ok(doc)] = docs.as_slice() else {
        panic!("{docs:?}")
    };
    assert_eq!(doc.source.format, Some(Format::Pdf));
    assert_eq!(normalised_lines(&doc.text), normalised_lines(&text));
    let unread = read(Vec::new());
    let [Err(failure)] = unread.as_slice() else {
        panic!("{unread:?}")
    };
    assert_eq!(failure.source.format, Some(Format::Pdf));
    assert!(
        failure.message.contains("ingest.pdf_command"),
        "{failure:?}"
    );
}

#[test]
fn csv_and_jsonl_exports_give_one_document_per_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let samples = samples();
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["id", "标题", "正文", "发布时间"])
        .expect("header");
    let mut jsonl = String::new();
    for (i, (stem, text)) in samples.iter().enumerate() {
        csv.write_record([i.to_string().as_str(), stem, text, "2023-05-01"])
            .expect("row");
        let line = serde_json::json!({"meta": {"title": stem}, "data": {"content": text}, "pub": "2023-05-01"});
        jsonl.push_str(&line.to_string());
        jsonl.push('\n');
    }
    // GB18030 bytes: the export is decoded like any other file.
    std::fs::write(
        dir.path().join("export.csv"),
        encode(
            GB18030,
            &String::from_utf8(csv.into_inner().expect("csv")).expect("utf-8"),
        ),
    )
    .expect("write");
    std::fs::write(dir.path().join("export.jsonl"), &jsonl).expect("write");
    let config = IngestConfig {
        csv_text_column: "正文".into(),
        csv_title_column: "标题".into(),
        csv_date_column: "发布时间".into(),
        jsonl_text_field: "data.content".into(),
        jsonl_title_field: "meta.title".into(),
        jsonl_date_field: "pub".into(),
        ..IngestConfig::default()
    };
    let ingest = ingest_for(dir.path(), config);
    let discovery = ingest.discover();
    let results: Vec<_> = discovery
        .files
        .iter()
        .flat_map(|f| ingest.read(f))
        .collect();
    assert_eq!(results.len(), 2 * samples.len());
    for (file, format) in [("export.csv", Format::Csv), ("export.jsonl", Format::Jsonl)] {
        let file_id = &discovery
            .files
            .iter()
            .find(|f| f.path.ends_with(file))
            .expect("found")
            .doc_id;
        for (i, (stem, text)) in samples.iter().enumerate() {
            let path_suffix = format!("{file}#{i}");
            let doc = results
                .iter()
                .filter_map(|r| r.as_ref().ok())
                .find(|d| d.source.source_path.ends_with(&path_suffix))
                .unwrap_or_else(|| panic!("{path_suffix} missing"));
            assert_eq!(doc.source.doc_id, format!("{file_id}-{i:06}"));
            assert_eq!(doc.source.format, Some(format));
            assert!(doc.text == *text, "{path_suffix}: text differs");
            assert_eq!(doc.meta.title.as_deref(), Some(stem.as_str()));
            assert_eq!(doc.meta.published.as_deref(), Some("2023-05-01"));
        }
    }
}

#[test]
fn duplicates_are_marked_in_path_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, text) = samples().into_iter().next().expect("a sample");
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("b.txt"), &text).expect("write");
    std::fs::write(dir.path().join("a.txt"), &text).expect("write");
    std::fs::write(dir.path().join("sub/c.txt"), &text).expect("write");
    let discovery = ingest_for(dir.path(), IngestConfig::default()).discover();
    let paths = found_names(&discovery);
    assert_eq!(paths, ["a.txt", "b.txt", "c.txt"]);
    let first = &discovery.files[0];
    assert_eq!(first.duplicate_of, None);
    for dup in &discovery.files[1..] {
        assert_eq!(dup.duplicate_of.as_deref(), Some(first.path.as_str()));
        assert_eq!(dup.doc_id, first.doc_id);
    }
    assert_eq!(first.doc_id.len(), 16);
}

fn name_of_path(path: &str) -> String {
    Path::new(path)
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned()
}

/// The file names of what the walk found, in its order.
fn found_names(discovery: &Discovery) -> Vec<String> {
    discovery
        .files
        .iter()
        .map(|f| name_of_path(&f.path))
        .collect()
}

/// Writes a file at every relative path of `names` (its folders made), holding `内容 <name>`.
fn write_named_files(dir: &Path, names: &[&str]) {
    for name in names {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, format!("内容 {name}")).expect("write");
    }
}

#[test]
fn globs_and_hidden_files_filter_the_walk() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_named_files(
        dir.path(),
        &[
            "keep.txt",
            "skip.log",
            ".hidden.txt",
            "old/keep2.txt",
            ".git/config.txt",
        ],
    );
    let config = IngestConfig {
        include: vec!["*.txt".into()],
        exclude: vec!["old".into()],
        ..IngestConfig::default()
    };
    let discovery = ingest_for(dir.path(), config).discover();
    let names = found_names(&discovery);
    assert_eq!(names, ["keep.txt"]);
    assert!(discovery.skipped >= 3, "{}", discovery.skipped);
    let config = IngestConfig {
        hidden: true,
        ..IngestConfig::default()
    };
    assert_eq!(ingest_for(dir.path(), config).discover().files.len(), 5);
}

/// A page saved "complete" comes with a folder of styles, scripts and images: they are left
/// out (counted as such), the page is read; `skip_extensions = []` reads everything, and a
/// file named as an input is read whatever its extension.
#[test]
fn resources_of_saved_pages_are_left_out_by_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_named_files(
        dir.path(),
        &[
            "page.htm",
            "page_files/style.CSS",
            "page_files/jquery.js",
            "page_files/logo.gif",
        ],
    );
    let discovery = ingest_for(dir.path(), IngestConfig::default()).discover();
    let names = found_names(&discovery);
    assert_eq!(names, ["page.htm"]);
    assert_eq!(discovery.skipped, 3);
    let everything = IngestConfig {
        skip_extensions: Vec::new(),
        ..IngestConfig::default()
    };
    assert_eq!(ingest_for(dir.path(), everything).discover().files.len(), 4);
    let one = dir.path().join("page_files/jquery.js");
    let named = Ingest::build(
        &IngestConfig {
            inputs: vec![one.clone()],
            ..IngestConfig::default()
        },
        dir.path(),
    )
    .expect("valid config");
    assert_eq!(named.discover().files.len(), 1);
    let bad = IngestConfig {
        inputs: vec![dir.path().to_path_buf()],
        skip_extensions: vec![".css".into(), "*.js".into()],
        ..IngestConfig::default()
    };
    let problems: Vec<String> = bad
        .validate(dir.path())
        .into_iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(
        problems,
        ["ingest.skip_extensions[0]", "ingest.skip_extensions[1]"]
    );
}

/// File names that are not UTF-8 (GBK bytes, as unpacked from a Windows zip) are read, and
/// two of them keep two texts: 啊 and 阿 in GBK would both be `��` as lossy text.
#[cfg(unix)]
#[test]
fn file_names_that_are_not_utf8_are_read_and_kept_apart() {
    use std::os::unix::ffi::OsStrExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let names: [&[u8]; 2] = [b"\xb0\xa1.txt", b"\xb0\xa2.txt"];
    for (k, name) in names.iter().enumerate() {
        let path = dir.path().join(std::ffi::OsStr::from_bytes(name));
        std::fs::write(&path, format!("第{k}份讲话稿的正文。")).expect("write");
    }
    let ingest = ingest_for(dir.path(), IngestConfig::default());
    let discovery = ingest.discover();
    assert!(discovery.failures.is_empty(), "{:?}", discovery.failures);
    let shown = found_names(&discovery);
    assert_eq!(shown, ["\\xB0\\xA1.txt", "\\xB0\\xA2.txt"]);
    for (k, file) in discovery.files.iter().enumerate() {
        let docs = ingest.read(file);
        let [Ok(doc)] = &docs[..] else {
            panic!("{docs:?}");
        };
        assert_eq!(doc.text.trim(), format!("第{k}份讲话稿的正文。"));
        assert_eq!(doc.source.source_path, file.path);
    }
}

#[test]
fn config_problems_name_their_toml_path() {
    let config = IngestConfig {
        inputs: vec!["no/such/folder".into()],
        include: vec!["[unclosed".into()],
        max_file_mb: 0.0,
        csv_delimiter: ";;".into(),
        jsonl_text_field: "a..b".into(),
        pdf_command: vec!["pdftotext".into(), "-".into()],
        command_timeout_seconds: 0.0,
        ..IngestConfig::default()
    };
    let problems = config.validate(Path::new(env!("CARGO_MANIFEST_DIR")));
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    for expected in [
        "ingest.inputs[0]",
        "ingest.include[0]",
        "ingest.max_file_mb",
        "ingest.csv_delimiter",
        "ingest.jsonl_text_field",
        "ingest.pdf_command",
        "ingest.command_timeout_seconds",
    ] {
        assert!(paths.contains(&expected), "{expected} not in {paths:?}");
    }
    assert!(Ingest::build(&config, Path::new(".")).is_err());
    let parsed: IngestConfig = toml::from_str("inputs = [\"x\"]\nmax_file_mb = 8\n").expect("toml");
    assert_eq!(parsed.max_file_mb, 8.0);
    assert!(toml::from_str::<IngestConfig>("no_such_key = 1\n").is_err());
}

#[test]
fn pipeline_toml_ingest_section_is_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("pipeline.toml")).expect("pipeline.toml");
    let table: toml::Table = toml::from_str(&text).expect("pipeline.toml parses");
    let section = table
        .get("ingest")
        .cloned()
        .unwrap_or(toml::Value::Table(toml::Table::new()));
    let config: IngestConfig = section.try_into().expect("[ingest] deserialises");
    assert_eq!(config.validate(&root), vec![]);
}

/// Writes `bytes` as `name` alone in a folder and reads it: whether every file found gave a
/// document or a failure (reading it did not panic either, or the test fails).
fn every_file_gives_a_result(name: &str, bytes: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), bytes).expect("write");
    let ingest = ingest_for(dir.path(), IngestConfig::default());
    let discovery = ingest.discover();
    discovery
        .files
        .iter()
        .all(|file| !ingest.read(file).is_empty())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]
    /// An OFD with bytes overwritten anywhere (zip directory, entries, XML) is a document or a
    /// failure, never a panic.
    #[test]
    fn a_damaged_ofd_never_panics(flips in proptest::collection::vec((0usize..1 << 20, 0u8..=255), 1..24)) {
        let mut bytes = ofd_bytes("第一段。\n第二段，words 2023 placed apart。");
        let len = bytes.len();
        for (at, byte) in flips {
            if let Some(b) = bytes.get_mut(at % len) {
                *b = byte;
            }
        }
        proptest::prop_assert!(every_file_gives_a_result("a.ofd", &bytes));
    }

    /// A `.doc` with bytes overwritten anywhere (container, FIB, piece table, text) is a
    /// document or a failure, never a panic.
    #[test]
    fn a_damaged_doc_never_panics(flips in proptest::collection::vec((0usize..1 << 20, 0u8..=255), 1..24)) {
        let mut bytes = doc_bytes("第一段。\n第二段。", "tail", "脚注");
        let len = bytes.len();
        for (at, byte) in flips {
            // Half the flips land in the first 4 KB: the header, directory and FIB.
            let at = if at % 2 == 0 { at % 4096.min(len) } else { at % len };
            if let Some(b) = bytes.get_mut(at) {
                *b = byte;
            }
        }
        proptest::prop_assert!(every_file_gives_a_result("a.doc", &bytes));
    }
}

/// A long mutation run over every format this file builds (run it in release):
///
/// ```sh
/// GONGWEN_FUZZ_CASES=200000 cargo test --release -p gongwen-ingest --test forms -- --ignored mutated
/// ```
///
/// Each case takes a built file, damages it (bytes overwritten, a span cut out, duplicated
/// or moved elsewhere, the end cut off) and reads it: it must give a document or a failure
/// without panicking, and within a few seconds (a loop or a quadratic walk would show here).
#[test]
#[ignore = "long; run in release with GONGWEN_FUZZ_CASES"]
fn mutated_files_of_every_format_are_read_or_fail_quickly() {
    let cases: usize = std::env::var("GONGWEN_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let text = samples()
        .into_iter()
        .next()
        .map(|(_, text)| text.lines().take(12).collect::<Vec<_>>().join("\n"))
        .expect("a sample");
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("docx", docx_bytes(&text)),
        ("doc", doc_bytes(&text, "tail", "脚注")),
        ("rtf", rtf_bytes(&text, RtfChinese::Unicode)),
        ("rtf", rtf_bytes(&text, RtfChinese::CjkFont)),
        ("rtf", rtf_bytes(&text, RtfChinese::CodePage)),
        ("odt", odt_bytes(&text)),
        ("mht", mht_bytes(&html_page(&text, "gb2312"))),
        ("ofd", ofd_bytes(&text)),
        ("html", html_page(&text, "utf-8").into_bytes()),
        ("txt", encode(GB18030, &text)),
        ("txt", utf16(&text, true, true)),
        ("zip", {
            let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default();
            for (name, bytes) in [
                ("讲话/a.rtf", rtf_bytes(&text, RtfChinese::CjkFont)),
                ("b.docx", docx_bytes(&text)),
                ("c.txt", encode(GB18030, &text)),
            ] {
                zip.start_file(name, options).expect("zip entry");
                zip.write_all(&bytes).expect("zip write");
            }
            zip.finish().expect("zip").into_inner()
        }),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let ingest = ingest_for(dir.path(), IngestConfig::default());
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        usize::try_from(state % (n.max(1) as u64)).unwrap_or(0)
    };
    let mut slowest = (std::time::Duration::ZERO, String::new());
    for case in 0..cases {
        let (ext, seed) = &seeds[next(seeds.len())];
        let mut bytes = seed.clone();
        for _ in 0..1 + next(6) {
            let len = bytes.len().max(1);
            let at = next(len);
            let span = 1 + next(64.min(len));
            match next(5) {
                0 => {
                    for _ in 0..1 + next(8) {
                        let i = next(len);
                        if let Some(b) = bytes.get_mut(i) {
                            *b = u8::try_from(next(256)).unwrap_or(0);
                        }
                    }
                }
                1 => {
                    let end = (at + span).min(bytes.len());
                    bytes.drain(at.min(end)..end);
                }
                2 => {
                    let end = (at + span).min(bytes.len());
                    let copy: Vec<u8> = bytes.get(at.min(end)..end).unwrap_or_default().to_vec();
                    let to = next(bytes.len() + 1);
                    for _ in 0..1 + next(4) {
                        bytes.splice(to..to, copy.iter().copied());
                    }
                }
                3 => bytes.truncate(at),
                _ => {
                    let noise: &[u8] = match next(6) {
                        0 => b"{\\*\\x{{{",
                        1 => b"\\u-1\\uc9\\'",
                        2 => b"<w:p><w:r><w:t>",
                        3 => b"PK\x03\x04",
                        4 => b"\r\n--",
                        _ => b"]]><!--",
                    };
                    let to = next(bytes.len() + 1);
                    bytes.splice(to..to, noise.iter().copied());
                }
            }
        }
        let path = dir.path().join(format!("case.{ext}"));
        std::fs::write(&path, &bytes).expect("write case");
        let discovery = ingest.discover();
        let started = std::time::Instant::now();
        for file in &discovery.files {
            assert!(!ingest.read(file).is_empty(), "case {case}: nothing read");
        }
        let took = started.elapsed();
        if took > slowest.0 {
            slowest = (took, format!("case {case} ({ext}, {} bytes)", bytes.len()));
        }
        assert!(
            took < std::time::Duration::from_secs(5),
            "case {case} ({ext}) took {took:?}"
        );
        std::fs::remove_file(&path).expect("remove case");
    }
    eprintln!("{cases} cases; slowest {:?}: {}", slowest.0, slowest.1);
}
