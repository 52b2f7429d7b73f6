//! XML → text lines with quick-xml (a pull parser: no recursion, bounded by the input).
//!
//! Two readers: [`word_text`] for WordprocessingML (`word/document.xml` of a docx, or a Word
//! XML file), which keeps paragraphs in order, table cells included; and [`xml_text`] for
//! any other XML, where block-like elements and leaf elements end a line.

use gongwen_model::PageMeta;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use crate::html::TextBuilder;

/// Namespace URI that marks WordprocessingML.
pub const WORDML_NAMESPACE: &str = "schemas.openxmlformats.org/wordprocessingml/2006/main";

pub(crate) fn reader(xml: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(xml);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    reader
}

/// The next event of `reader`, or an error saying where the XML is not well-formed.
pub(crate) fn next_event<'a>(reader: &mut Reader<&'a [u8]>) -> Result<Event<'a>, String> {
    reader.read_event().map_err(|e| {
        format!(
            "not well-formed xml at byte {}: {e}",
            reader.error_position()
        )
    })
}

/// Resolves an entity reference (`&amp;`, `&#x4e2d;`); unknown ones are kept as written.
pub(crate) fn resolve_reference(name: &str, out: &mut String) {
    if let Some(rest) = name.strip_prefix('#') {
        let number = match rest.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok(),
            None => rest.parse::<u32>().ok(),
        };
        if let Some(ch) = number.and_then(char::from_u32).filter(|c| *c != '\0') {
            out.push(ch);
            return;
        }
    } else if let Some(value) = quick_xml::escape::resolve_xml_entity(name) {
        out.push_str(value);
        return;
    }
    out.push('&');
    out.push_str(name);
    out.push(';');
}

/// Appends the text `event` carries (character data, CDATA, an entity reference) to `out`;
/// any other event adds nothing.
pub(crate) fn push_text(event: &Event<'_>, out: &mut String) {
    match event {
        Event::Text(e) => out.push_str(&e.xml_content(XmlVersion::Implicit1_0)),
        Event::CData(e) => out.push_str(&e.xml_content(XmlVersion::Implicit1_0)),
        Event::GeneralRef(e) => resolve_reference(e, out),
        _ => {}
    }
}

/// An attribute's value by local name, normalised (entities resolved).
pub(crate) fn attribute(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// Lines with trailing whitespace removed, empty lines dropped.
fn tidy_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
    {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// The text of a WordprocessingML body: one line per paragraph (`w:p`), each table cell
/// (`w:tc`) ending a line, `w:tab` as a tab, `w:br`/`w:cr` as a line break. Deleted text,
/// field codes and the fallback copies of `mc:AlternateContent` are skipped.
pub fn word_text(xml: &str) -> Result<String, String> {
    let mut reader = reader(xml);
    let mut out = String::new();
    let mut in_text = false;
    let mut run_depth = 0usize;
    let mut fallback_depth = 0usize;
    loop {
        let event = next_event(&mut reader)?;
        match event {
            Event::Eof => break,
            Event::Start(e) => match e.local_name().as_ref() {
                "Fallback" => fallback_depth += 1,
                "t" if fallback_depth == 0 => in_text = true,
                "r" => run_depth += 1,
                _ => {}
            },
            Event::Empty(e) if fallback_depth == 0 => match e.local_name().as_ref() {
                "tab" if run_depth > 0 => out.push('\t'),
                "br" | "cr" if run_depth > 0 => out.push('\n'),
                "p" => out.push('\n'),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "Fallback" => fallback_depth = fallback_depth.saturating_sub(1),
                "t" => in_text = false,
                "r" => run_depth = run_depth.saturating_sub(1),
                "p" | "tc" if fallback_depth == 0 => out.push('\n'),
                _ => {}
            },
            event if in_text => push_text(&event, &mut out),
            _ => {}
        }
    }
    Ok(tidy_lines(&out))
}

/// Elements that end a line in generic XML even when they contain other elements.
const XML_BLOCKS: &[&str] = &[
    "p", "para", "div", "title", "head", "heading", "li", "item", "entry", "td", "th", "tr", "row",
    "record", "section", "chapter", "article", "h1", "h2", "h3", "h4", "h5", "h6", "table", "list",
    "br", "lb",
];

/// Inline elements that never end a line, even without child elements.
const XML_INLINES: &[&str] = &[
    "b", "i", "u", "em", "strong", "span", "a", "sub", "sup", "font", "small", "big", "emphasis",
    "hi",
];

/// The text of a generic XML document: text nodes in order; a block element
/// (`p`, `para`, `title`, `item`, …) or a leaf element that is not inline ends a line.
/// Whitespace is collapsed as in HTML.
pub fn xml_text(xml: &str) -> Result<String, String> {
    let start = crate::sniff::prefix_chars(xml, 8000);
    if start.contains(WORDML_NAMESPACE) {
        return word_text(xml);
    }
    let mut reader = reader(xml);
    let mut builder = TextBuilder::default();
    // For each open element: whether it has a child element.
    let mut has_child: Vec<bool> = Vec::new();
    loop {
        let event = next_event(&mut reader)?;
        match event {
            Event::Eof => break,
            Event::Start(_) => {
                if let Some(parent) = has_child.last_mut() {
                    *parent = true;
                }
                has_child.push(false);
            }
            Event::Empty(e) => {
                if let Some(parent) = has_child.last_mut() {
                    *parent = true;
                }
                if matches!(e.local_name().as_ref(), "br" | "lb") {
                    builder.line_break();
                }
            }
            Event::End(e) => {
                let had_child = has_child.pop().unwrap_or(false);
                let name = e.local_name();
                let name = name.as_ref();
                if XML_BLOCKS.contains(&name) || (!had_child && !XML_INLINES.contains(&name)) {
                    builder.line_break();
                }
            }
            Event::Text(e) => builder.push_text(&e.xml_content(XmlVersion::Implicit1_0), false),
            Event::CData(e) => builder.push_text(&e.xml_content(XmlVersion::Implicit1_0), false),
            Event::GeneralRef(e) => {
                let mut resolved = String::new();
                resolve_reference(&e, &mut resolved);
                builder.push_text(&resolved, false);
            }
            _ => {}
        }
    }
    Ok(builder.finish())
}

/// Elements of an OpenDocument body whose text is not the document's: notes, comments,
/// tracked deletions, the list of sequence variables.
const ODF_SKIPPED: &[&str] = &[
    "note",
    "annotation",
    "tracked-changes",
    "sequence-decls",
    "variable-decls",
    "user-field-decls",
    "forms",
];

/// The text of an OpenDocument `content.xml` (`.odt`): one line per paragraph or heading
/// (`text:p`, `text:h`, table cells included), `text:s` as spaces, `text:tab` as a tab,
/// `text:line-break` as a line break; notes, comments and tracked changes skipped.
pub fn odf_text(xml: &str) -> Result<String, String> {
    let mut reader = reader(xml);
    let mut out = String::new();
    let mut in_body = false;
    // Depth inside a skipped element (0: not in one).
    let mut skipping = 0usize;
    loop {
        let event = next_event(&mut reader)?;
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if skipping > 0 || (in_body && ODF_SKIPPED.contains(&name)) {
                    skipping += 1;
                } else if name == "body" {
                    in_body = true;
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if skipping > 0 {
                    skipping -= 1;
                } else if name == "body" {
                    in_body = false;
                } else if in_body && matches!(name, "p" | "h") {
                    out.push('\n');
                }
            }
            Event::Empty(e) if in_body && skipping == 0 => match e.local_name().as_ref() {
                "s" => {
                    let count = e
                        .try_get_attribute("text:c")
                        .ok()
                        .flatten()
                        .and_then(|a| a.value.parse::<usize>().ok())
                        .unwrap_or(1);
                    out.extend(std::iter::repeat_n(' ', count.min(100)));
                }
                "tab" => out.push('\t'),
                "line-break" => out.push('\n'),
                "p" | "h" => out.push('\n'),
                _ => {}
            },
            event if in_body && skipping == 0 => push_text(&event, &mut out),
            _ => {}
        }
    }
    Ok(tidy_lines(&out))
}

/// Metadata from a docx `docProps/core.xml` or an OpenDocument `meta.xml`: title, creator
/// (author), created (published), description and keywords. Malformed XML yields what was read before the error.
pub fn core_properties(xml: &str) -> PageMeta {
    let mut meta = PageMeta::default();
    let mut reader = reader(xml);
    let mut current: Option<String> = None;
    let mut value = String::new();
    while let Ok(event) = reader.read_event() {
        match event {
            Event::Eof => break,
            Event::Start(e) => {
                current = Some(e.local_name().as_ref().to_string());
                value.clear();
            }
            Event::Text(e) if current.is_some() => {
                value.push_str(&e.xml_content(XmlVersion::Implicit1_0))
            }
            Event::GeneralRef(e) if current.is_some() => resolve_reference(&e, &mut value),
            Event::End(_) => {
                let v = value.trim();
                if let Some(name) = current.take() {
                    if !v.is_empty() {
                        let slot = match name.as_str() {
                            // docx (`dc:title`, `dc:creator`, `dcterms:created`), OpenDocument
                            // (`meta:initial-creator`, `meta:creation-date`) and OFD
                            // (`DocInfo`: `Title`, `Author`, `CreationDate`, `Abstract`,
                            // `Keywords/Keyword`; its `Creator` is the writing program).
                            "title" | "Title" => &mut meta.title,
                            "creator" | "initial-creator" | "Author" => &mut meta.author,
                            "created" | "creation-date" | "CreationDate" => &mut meta.published,
                            "description" | "Abstract" => &mut meta.description,
                            "keywords" | "Keyword" => &mut meta.keywords,
                            _ => continue,
                        };
                        if slot.is_none() {
                            *slot = Some(v.to_string());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opendocument_spaces_tabs_breaks_and_skipped_notes() {
        let xml = r#"<office:document-content xmlns:office="o" xmlns:text="t"><office:meta>不是正文</office:meta><office:body><office:text><text:p>甲<text:s text:c="3"/>乙<text:tab/>丙<text:line-break/>丁<office:annotation><text:p>批注</text:p></office:annotation></text:p><text:p/><text:h>标题 &amp; 小节</text:h></office:text></office:body></office:document-content>"#;
        assert_eq!(odf_text(xml).as_deref(), Ok("甲   乙\t丙\n丁\n标题 & 小节"));
    }

    #[test]
    fn word_paragraphs_tables_and_alternate_content() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="m">
<w:body>
<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="100"/></w:tabs></w:pPr><w:r><w:t>区政府</w:t></w:r><w:r><w:t xml:space="preserve">工作报告 &amp; 附表</w:t></w:r></w:p>
<w:p/>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>指标</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>增长&#x4e2d;</w:t></w:r></w:p></w:tc></w:tr></w:tbl>
<w:p><w:r><w:t>第一行</w:t><w:br/><w:t>第二行</w:t><w:delText>删掉的</w:delText></w:r></w:p>
<w:p><mc:AlternateContent><mc:Choice><w:r><w:t>文本框</w:t></w:r></mc:Choice><mc:Fallback><w:r><w:t>文本框</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>
</w:body></w:document>"#;
        assert_eq!(
            word_text(xml).as_deref(),
            Ok("区政府工作报告 & 附表\n指标\n增长中\n第一行\n第二行\n文本框")
        );
        assert_eq!(xml_text(xml), word_text(xml));
    }

    #[test]
    fn generic_xml_leaves_and_blocks() {
        let xml = "<?xml version=\"1.0\"?><doc><title>市政府常务会议</title><meta><date>2023-01-02</date></meta>\
                   <body><p>会议研究了<b>重点</b>工作。</p><p>一是&lt;稳增长&gt;</p></body></doc>";
        assert_eq!(
            xml_text(xml).as_deref(),
            Ok("市政府常务会议\n2023-01-02\n会议研究了重点工作。\n一是<稳增长>")
        );
    }

    #[test]
    fn core_properties_fill_meta() {
        let xml = r#"<cp:coreProperties xmlns:cp="c" xmlns:dc="d" xmlns:dcterms="t"><dc:title>年度报告</dc:title><dc:creator>办公室</dc:creator><dcterms:created>2022-03-01T08:00:00Z</dcterms:created></cp:coreProperties>"#;
        let meta = core_properties(xml);
        assert_eq!(meta.title.as_deref(), Some("年度报告"));
        assert_eq!(meta.author.as_deref(), Some("办公室"));
        assert_eq!(meta.published.as_deref(), Some("2022-03-01T08:00:00Z"));
    }

    #[test]
    fn malformed_xml_is_an_error_not_a_panic() {
        let _ = xml_text("<a><b></a>&");
        assert!(word_text("<w:p><w:t>未闭合").is_ok());
        assert!(xml_text("<a attr=\"x>").is_err());
    }
}
