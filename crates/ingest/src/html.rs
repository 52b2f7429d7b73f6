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

use crate::scan;

/// Elements dropped together with everything inside them.
const DROPPED: &[&str] = &[
    "script", "style", "noscript", "template", "nav", "aside", "footer", "head",
];

/// True for elements whose start and end are line breaks (lowercase name).
fn is_block(name: &str) -> bool {
    matches!(
        name,
        "p" | "div"
            | "br"
            | "li"
            | "td"
            | "th"
            | "tr"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "table"
            | "tbody"
            | "thead"
            | "tfoot"
            | "ul"
            | "ol"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "pre"
            | "section"
            | "article"
            | "main"
            | "form"
            | "hr"
            | "address"
            | "figure"
            | "figcaption"
            | "center"
            | "caption"
            | "fieldset"
            | "legend"
            | "details"
            | "summary"
            | "header"
            | "option"
            | "body"
            | "html"
            | "title"
            | "dialog"
            | "menu"
            | "hgroup"
    )
}

/// True for elements dropped together with everything inside them (lowercase name): the
/// names of [`DROPPED`].
fn is_dropped(name: &str) -> bool {
    matches!(
        name,
        "script" | "style" | "noscript" | "template" | "nav" | "aside" | "footer" | "head"
    )
}

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
            let Some((field, names)) = line.split_once(':') else {
                continue;
            };
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
    key.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
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

/// True for the bytes of a collapsible whitespace character at the start of `bytes`: ASCII
/// whitespace (space, `\t`, `\n`, form feed, `\r`) or U+00A0 (`C2 A0`); gives its length.
fn space_at(bytes: &[u8]) -> Option<usize> {
    match bytes {
        [b' ' | b'\t' | b'\n' | 0x0C | b'\r', ..] => Some(1),
        [0xC2, 0xA0, ..] => Some(2),
        _ => None,
    }
}

/// Byte length of the whitespace run at the start of `text`.
fn leading_space_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut len = 0;
    while let Some(n) = bytes.get(len..).and_then(space_at) {
        len += n;
    }
    len
}

/// Byte length of the run without whitespace at the start of `text` (ends on a character
/// boundary: whitespace bytes are never inside a multi-byte character).
fn leading_word_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut from = 0;
    loop {
        let candidate = bytes.get(from..).and_then(|rest| {
            scan::position(rest, |b| {
                (b == b' ') | (b == b'\t') | (b == b'\n') | (b == 0x0C) | (b == b'\r') | (b == 0xC2)
            })
        });
        let Some(i) = candidate else {
            return bytes.len();
        };
        let at = from + i;
        if bytes.get(at..).and_then(space_at).is_some() {
            return at;
        }
        from = at + 1;
    }
}

/// Builds text with browser-like whitespace handling (shared with the XML reader).
#[derive(Default)]
pub(crate) struct TextBuilder {
    out: String,
    /// Whitespace seen since the last character: `Some(contains a line break)`.
    pending_space: Option<bool>,
}

impl TextBuilder {
    /// Appends a text node: whitespace runs (ASCII whitespace and U+00A0) collapse to one
    /// space, dropped at a line start and between two wide characters when the run holds a
    /// line break. Preformatted text is kept as is (`\r` becomes `\n`). Works run by run:
    /// the text between two whitespace runs is copied at once.
    pub(crate) fn push_text(&mut self, text: &str, preformatted: bool) {
        if preformatted {
            if !text.is_empty() {
                self.pending_space = None;
                let mut parts = text.split('\r');
                self.out.push_str(parts.next().unwrap_or_default());
                for part in parts {
                    self.out.push('\n');
                    self.out.push_str(part);
                }
            }
            return;
        }
        let mut rest = text;
        while !rest.is_empty() {
            let space_len = leading_space_len(rest);
            if space_len > 0 {
                let space = rest.get(..space_len).unwrap_or_default();
                let newline = space.contains(['\n', '\r']);
                self.pending_space = Some(self.pending_space.unwrap_or(false) || newline);
                rest = rest.get(space_len..).unwrap_or_default();
                continue;
            }
            let word_len = leading_word_len(rest);
            let word = rest.get(..word_len).unwrap_or(rest);
            if let Some(had_newline) = self.pending_space.take() {
                match self.out.chars().next_back() {
                    None | Some('\n') => {}
                    Some(last)
                        if had_newline
                            && is_wide(last)
                            && word.chars().next().is_some_and(is_wide) => {}
                    Some(_) => self.out.push(' '),
                }
            }
            self.out.push_str(word);
            rest = rest.get(word_len..).unwrap_or_default();
        }
    }

    pub(crate) fn line_break(&mut self) {
        self.pending_space = None;
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
    }

    /// Lines trimmed, empty lines dropped.
    pub(crate) fn finish(mut self) -> String {
        // Usually already so (leading and trailing spaces of a line are never written, and
        // line breaks do not repeat; only preformatted text differs): then the buffer is
        // the result, without its final line break.
        let body = self.out.strip_suffix('\n').unwrap_or(&self.out);
        let tidy = body.split('\n').all(|line| {
            matches!(
                (line.as_bytes().first(), line.as_bytes().last()),
                (Some(first), Some(last)) if !first.is_ascii_whitespace() && !last.is_ascii_whitespace()
            )
        });
        if tidy {
            if self.out.ends_with('\n') {
                self.out.pop();
            }
            return self.out;
        }
        let mut text = String::with_capacity(self.out.len());
        for line in self
            .out
            .lines()
            .map(|l| l.trim_matches(|c: char| c.is_ascii_whitespace()))
        {
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
            let style: String = style
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            style.contains("display:none") || style.contains("visibility:hidden")
        }
        None => false,
    }
}

/// Nesting depth above which a page is flattened before parsing (html5ever's tree builder
/// is quadratic in nesting depth; real pages nest a few dozen levels).
const MAX_NESTING: usize = 1000;

/// Elements that have no end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// Elements whose end tag is often omitted: not counted when estimating the nesting depth.
const OPTIONAL_END: &[&str] = &[
    "p", "li", "td", "th", "tr", "dt", "dd", "option", "tbody", "thead", "colgroup",
];

/// One tag found by [`scan_tags`]: byte range, name (as written), closing or not.
struct TagAt<'a> {
    start: usize,
    end: usize,
    name: &'a str,
    closing: bool,
    self_closing: bool,
}

impl TagAt<'_> {
    /// True when the tag's name is one of `names` (lowercase), in any ASCII case.
    fn is_one_of(&self, names: &[&str]) -> bool {
        names.iter().any(|n| n.eq_ignore_ascii_case(self.name))
    }
}

/// Linear scan for `<name …>` and `</name …>` tags (quotes inside the tag are skipped);
/// allocates nothing.
fn scan_tags(source: &str) -> impl Iterator<Item = TagAt<'_>> {
    let bytes = source.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while let Some(offset) = bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b'<'))
        {
            let start = i + offset;
            let mut j = start + 1;
            let closing = bytes.get(j) == Some(&b'/');
            if closing {
                j += 1;
            }
            let name_start = j;
            while bytes.get(j).is_some_and(|b| b.is_ascii_alphanumeric()) {
                j += 1;
            }
            if j == name_start || !bytes.get(name_start).is_some_and(u8::is_ascii_alphabetic) {
                i = start + 1;
                continue;
            }
            let name = source.get(name_start..j).unwrap_or("");
            let mut quote: Option<u8> = None;
            while let Some(&b) = bytes.get(j) {
                match quote {
                    Some(q) if b == q => quote = None,
                    Some(_) => {}
                    None if b == b'"' || b == b'\'' => quote = Some(b),
                    None if b == b'>' => break,
                    None => {}
                }
                j += 1;
            }
            let end = (j + 1).min(bytes.len());
            let self_closing = j > 0 && bytes.get(j - 1) == Some(&b'/');
            i = end;
            return Some(TagAt {
                start,
                end,
                name,
                closing,
                self_closing,
            });
        }
        None
    })
}

/// When the page nests deeper than [`MAX_NESTING`], a copy where every block tag became
/// `<br>` and every other tag (except dropped elements and `head` content) was removed.
fn flatten_if_deep(source: &str) -> Option<String> {
    // Every level of nesting needs a `<`: a page with few of them cannot be deep.
    if source.bytes().filter(|&b| b == b'<').count() <= MAX_NESTING {
        return None;
    }
    // A first pass only measures the depth: most pages are not deep and need no copy.
    let mut depth = 0usize;
    let mut max_depth = 0usize;
    for tag in scan_tags(source) {
        if tag.closing {
            depth = depth.saturating_sub(1);
        } else if !tag.self_closing && !tag.is_one_of(VOID) && !tag.is_one_of(OPTIONAL_END) {
            depth += 1;
            max_depth = max_depth.max(depth);
        }
    }
    if max_depth <= MAX_NESTING {
        return None;
    }
    let mut out = String::with_capacity(source.len());
    let mut copied = 0;
    for tag in scan_tags(source) {
        if tag.is_one_of(DROPPED) || tag.is_one_of(&["title", "meta", "html", "body"]) {
            continue;
        }
        out.push_str(source.get(copied..tag.start).unwrap_or(""));
        if is_block(&tag.name.to_ascii_lowercase()) {
            out.push_str("<br>");
        }
        copied = tag.end;
    }
    out.push_str(source.get(copied..).unwrap_or(""));
    Some(out)
}

/// Extracts the visible text (one block per line) and the metadata of an HTML page.
pub fn extract_html(source: &str) -> (String, PageMeta) {
    let flattened = flatten_if_deep(source);
    let document = Html::parse_document(flattened.as_deref().unwrap_or(source));
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
                        let dropped = is_dropped(name)
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
                        if is_block(name) {
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
                    if is_block(name) {
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
        let Node::Element(element) = node.value() else {
            continue;
        };
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
                let Some(content) = element.attr("content") else {
                    continue;
                };
                let content = collapse(content);
                if content.is_empty() {
                    continue;
                }
                for attr in ["name", "property", "itemprop", "http-equiv"] {
                    let Some(key) = element.attr(attr) else {
                        continue;
                    };
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
    use proptest::prelude::*;

    /// The character-by-character definition `push_text` must match.
    fn push_text_per_char(builder: &mut TextBuilder, text: &str, preformatted: bool) {
        for ch in text.chars() {
            if preformatted {
                builder.pending_space = None;
                builder.out.push(if ch == '\r' { '\n' } else { ch });
                continue;
            }
            if ch.is_ascii_whitespace() || ch == '\u{A0}' {
                let newline = ch == '\n' || ch == '\r';
                builder.pending_space = Some(builder.pending_space.unwrap_or(false) || newline);
                continue;
            }
            if let Some(had_newline) = builder.pending_space.take() {
                match builder.out.chars().next_back() {
                    None | Some('\n') => {}
                    Some(last) if had_newline && is_wide(last) && is_wide(ch) => {}
                    Some(_) => builder.out.push(' '),
                }
            }
            builder.out.push(ch);
        }
    }

    proptest! {
        #[test]
        fn push_text_matches_the_per_char_definition(
            nodes in proptest::collection::vec(("[ \t\n\r\u{B}\u{C}\u{A0}\u{C2}\u{3000}a中，]{0,12}", any::<bool>(), any::<bool>()), 0..8)
        ) {
            let mut fast = TextBuilder::default();
            let mut slow = TextBuilder::default();
            for (text, preformatted, line_break) in &nodes {
                fast.push_text(text, *preformatted);
                push_text_per_char(&mut slow, text, *preformatted);
                if *line_break {
                    fast.line_break();
                    slow.line_break();
                }
                prop_assert_eq!(&fast.out, &slow.out);
                prop_assert_eq!(fast.pending_space, slow.pending_space);
            }
        }
    }

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
    fn element_tables_agree() {
        assert!(DROPPED.iter().all(|name| is_dropped(name)));
        assert!(!is_dropped("div") && !is_dropped("header") && !is_dropped("SCRIPT"));
        assert!(["p", "br", "h6", "td", "option", "hgroup"]
            .iter()
            .all(|n| is_block(n)));
        assert!(!is_block("span") && !is_block("a") && !is_block("P"));
    }

    #[test]
    fn hostile_html_does_not_panic() {
        let deep =
            "<div>".repeat(200_000) + "深<span>层</span>" + &"</div>".repeat(200_000) + "<p>尾</p>";
        let (text, _) = extract_html(&deep);
        assert_eq!(text, "深层\n尾");
        let names: Vec<(&str, bool)> = scan_tags("<a href='x>y'>t</a><3 </B >")
            .map(|t| (t.name, t.closing))
            .collect();
        assert_eq!(names, [("a", false), ("a", true), ("B", true)]);
        let (text, meta) = extract_html("<<<>>>&&&;<p <p>\u{0}\u{FFFD}");
        assert!(meta.title.is_none());
        assert!(text.starts_with("<<<>>>&&&;"), "{text:?}");
    }
}
