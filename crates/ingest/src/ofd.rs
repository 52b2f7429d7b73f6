//! OFD (GB/T 33190-2016, the Chinese fixed-layout format many government offices publish
//! their documents in) → text lines plus [`PageMeta`].
//!
//! An OFD is a zip, opened in memory by [`crate::archive::open`]. `OFD.xml` names each
//! document's root (`DocBody/DocRoot`) and its metadata (`DocBody/DocInfo`). The root
//! (`Document.xml`) lists the pages (`Pages/Page/@BaseLoc`). A page's content holds text
//! objects (`TextObject`, placed by its `Boundary`), whose `TextCode`s give the characters
//! and their position (`X`, `Y`: the baseline, in millimetres inside the object).
//!
//! The pages are read in order and their text objects in the order the writer stored them.
//! Text on the same baseline is one line. The lines of a paragraph are joined again by their
//! layout: a line that runs to the right margin goes on into the next one unless that one is
//! indented (a Chinese paragraph's first line is indented by two characters), also over a
//! page break; lines holding only a page number are dropped. Templates (a page's
//! background: running heads), annotations, signatures and seals are not read. Every part is
//! bounded like a docx part, and all the parts of one file together by the same limit.

use gongwen_model::PageMeta;
use quick_xml::events::Event;

use crate::archive::Zip;
use crate::decode::decode;
use crate::docx::{read_part, DocxError, DocxLimits};
use crate::layout::{paragraphs, Line};
use crate::xml::{attribute, core_properties, next_event, push_text, reader};

/// The entry that makes a zip an OFD.
pub(crate) const OFD_ROOT: &str = "OFD.xml";

/// The entry that marks an encrypted OFD (GB/T 33190 §7.4: the encryption list).
const ENCRYPTIONS: &str = "Encryptions.xml";

/// Font size (mm) assumed for text whose object gives none: 五号, about 3.7 mm.
const DEFAULT_SIZE_MM: f64 = 3.7;

/// Why an OFD could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfdError {
    /// A part is missing, not a readable zip entry, or not well-formed.
    #[error("corrupt ofd: {0}")]
    Corrupt(String),
    /// The document's parts are encrypted.
    #[error("encrypted ofd: the text cannot be read without its key")]
    Encrypted,
    /// A part, or all of them together, decompress beyond the limits.
    #[error("zip bomb: {0}")]
    Bomb(String),
}

impl From<DocxError> for OfdError {
    fn from(e: DocxError) -> OfdError {
        match e {
            DocxError::Bomb(m) => OfdError::Bomb(m),
            DocxError::Corrupt(m) | DocxError::NotDocx(m) => OfdError::Corrupt(m),
        }
    }
}

/// Whether a package is an OFD.
pub(crate) fn is_ofd(archive: &Zip<'_>) -> bool {
    archive.index_for_name(OFD_ROOT).is_some()
}

/// The text (one line per paragraph, see [`paragraphs`]; pages in order, the documents of
/// one file one after the other) and metadata (of the first document) of an OFD.
pub(crate) fn extract_ofd(
    mut archive: Zip<'_>,
    limits: &DocxLimits,
) -> Result<(String, PageMeta), OfdError> {
    if archive.index_for_name(ENCRYPTIONS).is_some() {
        return Err(OfdError::Encrypted);
    }
    let mut budget = Budget {
        left: limits.max_uncompressed_bytes,
        limits,
    };
    let root = budget
        .read(&mut archive, OFD_ROOT)?
        .ok_or_else(|| OfdError::Corrupt(format!("no {OFD_ROOT}")))?;
    let meta = core_properties(&root);
    let doc_roots = element_texts(&root, "DocRoot").map_err(|e| part_error(OFD_ROOT, e))?;
    if doc_roots.is_empty() {
        return Err(OfdError::Corrupt(format!("{OFD_ROOT} names no DocRoot")));
    }
    let mut text = String::new();
    for doc_root in doc_roots {
        let doc_root = resolve("", &doc_root);
        let document = budget
            .read(&mut archive, &doc_root)?
            .ok_or_else(|| OfdError::Corrupt(format!("no document root {doc_root:?}")))?;
        let folder = doc_root.rsplit_once('/').map_or("", |(folder, _)| folder);
        let locations = page_locations(&document).map_err(|e| part_error(&doc_root, e))?;
        let mut pages = Vec::with_capacity(locations.len());
        for location in locations {
            let page = resolve(folder, &location);
            let content = budget
                .read(&mut archive, &page)?
                .ok_or_else(|| OfdError::Corrupt(format!("no page content {page:?}")))?;
            pages.push(page_lines(&content).map_err(|e| part_error(&page, e))?);
        }
        let document = paragraphs(&pages);
        if !document.is_empty() {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&document);
        }
    }
    Ok((text, meta))
}

/// What the parts of one file may still decompress to.
struct Budget<'l> {
    left: u64,
    limits: &'l DocxLimits,
}

impl Budget<'_> {
    /// The part `name` decoded to text, `None` when there is no such part; fails when it or
    /// the parts read so far together exceed the limits.
    fn read(&mut self, archive: &mut Zip<'_>, name: &str) -> Result<Option<String>, OfdError> {
        let limits = DocxLimits {
            max_uncompressed_bytes: self.left,
            ..*self.limits
        };
        let bytes = match read_part(archive, name, &limits) {
            Ok(bytes) => bytes,
            Err(DocxError::Bomb(_)) if self.left < self.limits.max_uncompressed_bytes => {
                return Err(OfdError::Bomb(format!(
                    "its parts decompress to more than ingest.max_docx_uncompressed_mb together (at {name:?})"
                )))
            }
            Err(e) => return Err(e.into()),
        };
        Ok(bytes.map(|bytes| {
            self.left = self.left.saturating_sub(bytes.len() as u64);
            decode(bytes).text
        }))
    }
}

fn part_error(name: &str, error: String) -> OfdError {
    OfdError::Corrupt(format!("{name}: {error}"))
}

/// The entry a location names: from the archive's root when it starts with `/`, else from
/// `folder`; `.` and `..` steps resolved, `\` taken for `/`.
fn resolve(folder: &str, location: &str) -> String {
    let location = location.trim().replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    let start = if location.starts_with('/') {
        ""
    } else {
        folder
    };
    for part in start.split('/').chain(location.split('/')) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// The text of every element named `name` (by local name), in order.
fn element_texts(xml: &str, name: &str) -> Result<Vec<String>, String> {
    let mut reader = reader(xml);
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    loop {
        match next_event(&mut reader)? {
            Event::Eof => break,
            Event::Start(e) if e.local_name().as_ref() == name => {
                current = Some(String::new());
            }
            Event::End(e) if e.local_name().as_ref() == name => {
                if let Some(value) = current.take() {
                    if !value.trim().is_empty() {
                        out.push(value.trim().to_string());
                    }
                }
            }
            event => {
                if let Some(value) = current.as_mut() {
                    push_text(&event, value);
                }
            }
        }
    }
    Ok(out)
}

/// `BaseLoc` of every `Page` of a document root, in order (template pages are left out).
fn page_locations(xml: &str) -> Result<Vec<String>, String> {
    let mut reader = reader(xml);
    let mut out = Vec::new();
    loop {
        match next_event(&mut reader)? {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Page" => {
                if let Some(location) = attribute(&e, "BaseLoc") {
                    out.push(location);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Numbers of an attribute such as `Boundary="10 20 150 6"`.
fn numbers(value: Option<String>) -> Vec<f64> {
    value
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|n| n.parse::<f64>().ok())
        .filter(|n| n.is_finite())
        .collect()
}

/// The text object being read: where its box is and its font size.
#[derive(Clone, Copy)]
struct TextObject {
    x: f64,
    y: f64,
    size: f64,
}

/// A `TextCode` being read: its start on the page and the advances of its characters
/// (`DeltaX`, when given).
struct Code {
    x: f64,
    y: f64,
    deltas: Vec<f64>,
}

/// `DeltaX`/`DeltaY` values, with the `g N V` shorthand (`V` N times) expanded; at most
/// `limit` of them.
fn deltas(value: Option<String>, limit: usize) -> Vec<f64> {
    let value = value.unwrap_or_default();
    let mut words = value.split_whitespace();
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(word) = words.next() else { break };
        let (n, v) = if word == "g" {
            let n = words
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            (n, words.next().and_then(|v| v.parse::<f64>().ok()))
        } else {
            (1, word.parse::<f64>().ok())
        };
        let Some(v) = v.filter(|v| v.is_finite()) else {
            continue;
        };
        out.extend(std::iter::repeat_n(v, n.min(limit - out.len())));
    }
    out
}

/// How far a character advances: a full em for Han and other wide characters, half of one
/// for the rest.
fn advance(c: char, size: f64) -> f64 {
    if c.is_ascii() {
        0.5 * size
    } else {
        size
    }
}

/// The lines of one page's content: text codes on one baseline (within half a character's
/// height) make one line, in the order they are stored. Two codes of a line whose facing
/// characters are ASCII letters or digits, set apart by more than a quarter of a character,
/// get a space between them (words placed one by one); Chinese text never does.
fn page_lines(xml: &str) -> Result<Vec<Line>, String> {
    let mut reader = reader(xml);
    let mut lines: Vec<Line> = Vec::new();
    let mut object: Option<TextObject> = None;
    let mut code: Option<Code> = None;
    let mut pending = String::new();
    loop {
        match next_event(&mut reader)? {
            Event::Eof => break,
            Event::Start(e) => match e.local_name().as_ref() {
                "TextObject" => {
                    let boundary = numbers(attribute(&e, "Boundary"));
                    let size = numbers(attribute(&e, "Size"))
                        .first()
                        .copied()
                        .filter(|s| *s > 0.0)
                        .unwrap_or(DEFAULT_SIZE_MM);
                    object = Some(TextObject {
                        x: boundary.first().copied().unwrap_or(0.0),
                        y: boundary.get(1).copied().unwrap_or(0.0),
                        size,
                    });
                }
                "TextCode" => {
                    if let Some(o) = object {
                        // A code without `X` or `Y` goes on where the line before it ends.
                        let last = lines.last();
                        let x = numbers(attribute(&e, "X")).first().map(|x| o.x + x);
                        let y = numbers(attribute(&e, "Y")).first().map(|y| o.y + y);
                        code = Some(Code {
                            x: x.or(last.map(|l| l.end_x)).unwrap_or(o.x),
                            y: y.or(last.map(|l| l.y)).unwrap_or(o.y),
                            deltas: deltas(attribute(&e, "DeltaX"), 4096),
                        });
                        pending.clear();
                    }
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "TextCode" => {
                    if let (Some(c), Some(o)) = (code.take(), object) {
                        let piece = pending.replace(['\r', '\n'], "");
                        if !piece.is_empty() {
                            push_piece(&mut lines, &c, o.size, &piece);
                        }
                    }
                }
                "TextObject" => object = None,
                _ => {}
            },
            event if code.is_some() => push_text(&event, &mut pending),
            _ => {}
        }
    }
    lines.retain(|l| !l.text.trim().is_empty());
    Ok(lines)
}

/// Adds one code's text to the last line when it is on the same baseline, else as a new
/// line.
fn push_piece(lines: &mut Vec<Line>, code: &Code, size: f64, piece: &str) {
    // Where the text ends: the last character's start (by `DeltaX`, else by estimated
    // advances) plus its own advance.
    let mut end_x = code.x;
    let mut chars = piece.chars().peekable();
    let mut k = 0;
    while let Some(c) = chars.next() {
        end_x += match chars.peek() {
            Some(_) => code
                .deltas
                .get(k)
                .copied()
                .unwrap_or_else(|| advance(c, size)),
            None => advance(c, size),
        };
        k += 1;
    }
    match lines.last_mut() {
        Some(line) if (code.y - line.y).abs() <= 0.5 * line.size.max(size) => {
            let facing = line.text.chars().next_back().zip(piece.chars().next());
            let words =
                facing.is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric());
            if words && code.x - line.end_x > 0.25 * size {
                line.text.push(' ');
            }
            line.text.push_str(piece);
            line.start_x = line.start_x.min(code.x);
            line.end_x = line.end_x.max(end_x);
        }
        _ => lines.push(Line {
            text: piece.to_string(),
            y: code.y,
            size,
            start_x: code.x,
            end_x,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_from_the_folder_or_the_root() {
        assert_eq!(resolve("", "Doc_0/Document.xml"), "Doc_0/Document.xml");
        assert_eq!(resolve("", "/Doc_0/Document.xml"), "Doc_0/Document.xml");
        assert_eq!(
            resolve("Doc_0", "Pages/Page_0/Content.xml"),
            "Doc_0/Pages/Page_0/Content.xml"
        );
        assert_eq!(
            resolve("Doc_0", "/Doc_0/Pages/Page_1/Content.xml"),
            "Doc_0/Pages/Page_1/Content.xml"
        );
        assert_eq!(resolve("Doc_0/Pages", "../Res/a.xml"), "Doc_0/Res/a.xml");
        assert_eq!(
            resolve("Doc_0", "Pages\\Page_0\\Content.xml"),
            "Doc_0/Pages/Page_0/Content.xml"
        );
    }

    #[test]
    fn text_on_one_baseline_is_one_line() {
        let xml = r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1">
<ofd:TextObject ID="2" Boundary="25 30 160 8" Font="3" Size="5.6"><ofd:TextCode X="0" Y="5" DeltaX="g 3 5.6">同志们：</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="4" Boundary="36 40 40 8" Font="3" Size="5.6"><ofd:TextCode X="0" Y="5">这次会议</ofd:TextCode></ofd:TextObject>
<ofd:TextObject ID="5" Boundary="58 40.2 40 8" Font="3" Size="5.6"><ofd:TextCode X="0" Y="5">很重要&amp;</ofd:TextCode><ofd:TextCode X="22" Y="5">。</ofd:TextCode></ofd:TextObject>
<ofd:PathObject ID="6" Boundary="0 0 1 1"/>
<ofd:TextObject ID="7" Boundary="25 50 160 8" Size="5.6"><ofd:TextCode X="0" Y="5">二、</ofd:TextCode><ofd:TextCode X="11.2">重点</ofd:TextCode></ofd:TextObject>
</ofd:Layer></ofd:Content></ofd:Page>"#;
        let text = |lines: Vec<Line>| lines.into_iter().map(|l| l.text).collect::<Vec<_>>();
        assert_eq!(
            page_lines(xml).map(text),
            Ok(vec![
                "同志们：".to_string(),
                "这次会议很重要&。".to_string(),
                "二、重点".to_string()
            ])
        );
    }

    #[test]
    fn words_placed_apart_keep_a_space_and_chinese_never_gets_one() {
        let xml = r#"<Page><Content><Layer>
<TextObject Boundary="20 30 170 8" Size="4"><TextCode X="0" Y="5">Made</TextCode><TextCode X="10" Y="5">in</TextCode><TextCode X="16" Y="5">2023</TextCode><TextCode X="24">年</TextCode><TextCode X="40" Y="5" DeltaX="g 2 4">工作报</TextCode><TextCode X="60" Y="5">告</TextCode></TextObject>
</Layer></Content></Page>"#;
        let lines = page_lines(xml).expect("well-formed");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "Made in 2023年工作报告");
        assert_eq!(
            deltas(Some("1 g 3 2.5 x 4".into()), 100),
            vec![1.0, 2.5, 2.5, 2.5, 4.0]
        );
        assert_eq!(deltas(Some("g 1000000000 1".into()), 5).len(), 5);
    }

    #[test]
    fn document_roots_and_pages_are_listed_in_order() {
        let ofd = r#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:Title>关于印发方案的通知</ofd:Title><ofd:Author>市政府办公室</ofd:Author><ofd:CreationDate>2021-04-02</ofd:CreationDate><ofd:Creator>WPS</ofd:Creator></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
        assert_eq!(
            element_texts(ofd, "DocRoot").as_deref(),
            Ok(&["Doc_0/Document.xml".to_string()][..])
        );
        let meta = core_properties(ofd);
        assert_eq!(meta.title.as_deref(), Some("关于印发方案的通知"));
        assert_eq!(meta.author.as_deref(), Some("市政府办公室"));
        assert_eq!(meta.published.as_deref(), Some("2021-04-02"));
        let document = r#"<ofd:Document xmlns:ofd="o"><ofd:CommonData><ofd:TemplatePage ID="2" BaseLoc="Tpls/Tpl_0/Content.xml"/></ofd:CommonData><ofd:Pages><ofd:Page ID="3" BaseLoc="Pages/Page_0/Content.xml"/><ofd:Page ID="9" BaseLoc="Pages/Page_1/Content.xml"></ofd:Page></ofd:Pages></ofd:Document>"#;
        assert_eq!(
            page_locations(document),
            Ok(vec![
                "Pages/Page_0/Content.xml".to_string(),
                "Pages/Page_1/Content.xml".to_string()
            ])
        );
    }
}
