//! HTML → text lines plus [`PageMeta`], with html5ever (through scraper).
//!
//! Dropped with their content: `script`, `style`, `noscript`, `template`, `nav`, `aside`,
//! `footer`, `header` (except a `header` inside `article`/`main`, which holds the article's
//! own title), the whole `head` (its `<title>`/`<meta>` go to [`PageMeta`]), comments, and
//! elements a browser would not show (`hidden` attribute, inline `display:none` or
//! `visibility:hidden`). Block elements become line breaks; whitespace is collapsed as a
//! browser does (a line break between two CJK characters disappears); entities are decoded.

use std::sync::OnceLock;

use ego_tree::iter::Edge;
use gongwen_model::PageMeta;
use scraper::{ElementRef, Html, Node};

/// Elements dropped together with everything inside them.
const DROPPED: &[&str] = &["script", "style", "noscript", "template", "nav", "aside", "footer", "head"];

/// Elements whose start and end are line breaks.
const BLOCKS: &[&str] = &[
    "p", "div", "br", "li", "td", "th", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tbody", "thead",
    "tfoot", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "section", "article", "main", "form", "hr",
    "address", "figure", "figcaption", "center", "caption", "fieldset", "legend", "details", "summary",
    "header", "option", "body", "html", "title", "dialog", "menu", "hgroup",
];

/// The `<meta>` key table (see `data/ingest/html_meta.txt`).
const META_KEYS: &str = include_str!("../../../data/ingest/html_meta.txt");

/// Field of [`PageMeta`] a meta key fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MetaField {
    Title,
    Description,
    Keywords,
    Published,
    Source,
    Author,
}

/// `(normalised key, field, preference)` from `html_meta.txt`.
fn meta_keys() -> &'static [(String, MetaField, usize)] {
    static KEYS: OnceLock<Vec<(String, MetaField, usize)>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = Vec::new();
        for line in META_KEYS.lines().filter(|l| !l.starts_with('#')) {
            let Some((field, names)) = line.split_once(':') else { continue };
            let field = match field.trim() {
                "title" => MetaField::Title,
                "description" => MetaField::Description,
                "keywords" => MetaField::Keywords,
                "published" => MetaField::Published,
                "source" => MetaField::Source,
                "author" => MetaField::Author,
                _ => continue,
            };
            for (i, name) in names.split_whitespace().enumerate() {
                keys.push((name.to_string(), field, i));
            }
        }
        keys
    })
}

/// Lowercase ASCII letters and digits of a meta key, everything else removed.
fn normalise_key(key: &str) -> String {
    key.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Collapses whitespace runs to one space and trims.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_wide(ch: char) -> bool {
    let cp = ch as u32;
    (0x2E80..=0x9FFF).contains(&cp)
        || (0xF900..=0xFAFF).contains(&cp)
        || (0xFE30..=0xFE4F).contains(&cp)
        || (0xFF00..=0xFF60).contains(&cp)
        || (0x20000..=0x3FFFF).contains(&cp)
}

/// Builds text with browser-like whitespace handling (shared with the XML reader).
#[derive(Default)]
pub(crate) struct TextBuilder {
    out: String,
    /// Whitespace seen since the last character: `Some(contains a line break)`.
    pending_space: Option<bool>,
}

impl TextBuilder {
    pub(crate) fn push_text(&mut self, text: &str, preformatted: bool) {
        for ch in text.chars() {
            if preformatted {
                self.pending_space = None;
                self.out.push(if ch == '\r' { '\n' } else { ch });
                continue;
            }
            if ch.is_ascii_whitespace() || ch == '\u{A0}' {
                let newline = ch == '\n' || ch == '\r';
                self.pending_space = Some(self.pending_space.unwrap_or(false) || newline);
                continue;
            }
            if let Some(had_newline) = self.pending_space.take() {
                match self.out.chars().next_back() {
                    None | Some('\n') => {}
                    Some(last) if had_newline && is_wide(last) && is_wide(ch) => {}
                    Some(_) => self.out.push(' '),
                }
            }
            self.out.push(ch);
        }
    }

    pub(crate) fn line_break(&mut self) {
        self.pending_space = None;
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    /// Lines trimmed, empty lines dropped.
    pub(crate) fn finish(self) -> String {
        let mut text = String::with_capacity(self.out.len());
        for line in self.out.lines().map(|l| l.trim_matches(|c: char| c.is_ascii_whitespace())) {
            if !line.is_empty() {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(line);
            }
        }
        text
    }
}

/// True when a browser would not render the element.
fn is_hidden(element: &scraper::node::Element) -> bool {
    if element.attr("hidden").is_some() {
        return true;
    }
    match element.attr("style") {
        Some(style) => {
            let style: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
            style.contains("display:none") || style.contains("visibility:hidden")
        }
        None => false,
    }
}

/// Extracts the visible text (one block per line) and the metadata of an HTML page.
pub fn extract_html(source: &str) -> (String, PageMeta) {
    let document = Html::parse_document(source);
    let text = extract_text(&document);
    let meta = extract_meta(&document);
    (text, meta)
}

fn extract_text(document: &Html) -> String {
    let mut builder = TextBuilder::default();
    let mut skipping: Option<ego_tree::NodeId> = None;
    let mut pre_depth = 0usize;
    let mut article_depth = 0usize;
    for edge in document.tree.root().traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() {
                    continue;
                }
                match node.value() {
                    Node::Element(element) => {
                        let name = element.name();
                        let dropped = DROPPED.contains(&name)
                            || (name == "header" && article_depth == 0)
                            || is_hidden(element);
                        if dropped {
                            skipping = Some(node.id());
                            continue;
                        }
                        if name == "article" || name == "main" {
                            article_depth += 1;
                        }
                        if name == "pre" || name == "textarea" || name == "listing" {
                            pre_depth += 1;
                        }
                        if BLOCKS.contains(&name) {
                            builder.line_break();
                        }
                    }
                    Node::Text(text) => builder.push_text(text, pre_depth > 0),
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skipping {
                    if id == node.id() {
                        skipping = None;
                    }
                    continue;
                }
                if let Node::Element(element) = node.value() {
                    let name = element.name();
                    if name == "article" || name == "main" {
                        article_depth = article_depth.saturating_sub(1);
                    }
                    if name == "pre" || name == "textarea" || name == "listing" {
                        pre_depth = pre_depth.saturating_sub(1);
                    }
                    if BLOCKS.contains(&name) {
                        builder.line_break();
                    }
                }
            }
        }
    }
    builder.finish()
}

fn extract_meta(document: &Html) -> PageMeta {
    let mut meta = PageMeta::default();
    // Best (lowest preference index) value found per field.
    let mut found: Vec<(MetaField, usize, String)> = Vec::new();
    let mut title: Option<String> = None;
    for node in document.tree.nodes() {
        let Node::Element(element) = node.value() else { continue };
        match element.name() {
            "title" if title.is_none() => {
                if let Some(el) = ElementRef::wrap(node) {
                    let t = collapse(&el.text().collect::<String>());
                    if !t.is_empty() {
                        title = Some(t);
                    }
                }
            }
            "meta" => {
                let Some(content) = element.attr("content") else { continue };
                let content = collapse(content);
                if content.is_empty() {
                    continue;
                }
                for attr in ["name", "property", "itemprop", "http-equiv"] {
                    let Some(key) = element.attr(attr) else { continue };
                    let key = normalise_key(key);
                    for (k, field, pref) in meta_keys() {
                        if *k != key {
                            continue;
                        }
                        match found.iter_mut().find(|(f, _, _)| f == field) {
                            Some(slot) if slot.1 <= *pref => {}
                            Some(slot) => *slot = (*field, *pref, content.clone()),
                            None => found.push((*field, *pref, content.clone())),
                        }
                    }
                }
            }
            _ => {}
        }
    }
    for (field, _, value) in found {
        let slot = match field {
            MetaField::Title => &mut meta.title,
            MetaField::Description => &mut meta.description,
            MetaField::Keywords => &mut meta.keywords,
            MetaField::Published => &mut meta.published,
            MetaField::Source => &mut meta.source,
            MetaField::Author => &mut meta.author,
        };
        *slot = Some(value);
    }
    if title.is_some() {
        meta.title = title;
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_chrome_elements_and_keeps_blocks() {
        let page = r#"<!DOCTYPE html><html><head><title> 某县人民政府 - 新闻 </title>
            <meta name="PubDate" content="2024-05-06 09:30">
            <meta property="og:site_name" content="某县政府网">
            <meta name="ContentSource" content="某县融媒体中心">
            <meta name="author" content="王某">
            <meta name="description" content="县委召开会议">
            <meta name="keywords" content="会议,部署">
            <style>p{color:red}</style><script>var a = "<p>不是正文</p>";</script></head>
            <body><header>网站首页 | 政务公开</header><nav><a>首页</a></nav>
            <article><header><h1>县委召开全体会议</h1></header>
            <p>会议强调&nbsp;要抓好&#x4e2d;心工作。</p><p>一是抓项目，<br>二是抓招商。</p>
            <ul><li>第一条</li><li>第二条</li></ul>
            <table><tr><td>单元格一</td><td>单元格二</td></tr></table>
            <!-- 注释不要 --><div style="display: none">隐藏文字</div>
            <p>跨行的中文
               句子和 English
               words</p></article>
            <aside>猜你喜欢</aside><footer>版权所有</footer><noscript>请启用脚本</noscript></body></html>"#;
        let (text, meta) = extract_html(page);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "县委召开全体会议",
                "会议强调 要抓好中心工作。",
                "一是抓项目，",
                "二是抓招商。",
                "第一条",
                "第二条",
                "单元格一",
                "单元格二",
                "跨行的中文句子和 English words",
            ]
        );
        assert_eq!(meta.title.as_deref(), Some("某县人民政府 - 新闻"));
        assert_eq!(meta.published.as_deref(), Some("2024-05-06 09:30"));
        assert_eq!(meta.source.as_deref(), Some("某县融媒体中心"));
        assert_eq!(meta.author.as_deref(), Some("王某"));
        assert_eq!(meta.description.as_deref(), Some("县委召开会议"));
        assert_eq!(meta.keywords.as_deref(), Some("会议,部署"));
    }

    #[test]
    fn title_falls_back_to_meta_and_pre_keeps_lines() {
        let (text, meta) = extract_html(
            "<meta property=\"og:title\" content=\"标题\"><meta property=\"article:published_time\" content=\"2021-01-02\"><pre>一行\n二行</pre>",
        );
        assert_eq!(text, "一行\n二行");
        assert_eq!(meta.title.as_deref(), Some("标题"));
        assert_eq!(meta.published.as_deref(), Some("2021-01-02"));
    }

    #[test]
    fn hostile_html_does_not_panic() {
        let deep = "<div>".repeat(20_000) + "深" + &"</div>".repeat(20_000);
        let (text, _) = extract_html(&deep);
        assert_eq!(text, "深");
        let (text, meta) = extract_html("<<<>>>&&&;<p <p>\u{0}\u{FFFD}");
        assert!(meta.title.is_none());
        assert!(text.starts_with("<<<>>>&&&;"), "{text:?}");
    }
}
