//! Main-text extraction and metadata: line structure, line classes, the main block, title,
//! date, source, document type and speaker.

use std::borrow::Cow;

use regex::Regex;

use gongwen_model::{DocType, PageMeta};

use crate::rules::{ChromeRules, CueScope, DocTypeRule, GatedRegex};
use crate::text::{
    han_and_char_count, han_count, is_clause_punct, is_closing, is_han, is_terminal, space_count,
    FastMap,
};

/// Numeric knobs of extraction (from the config).
#[derive(Debug, Clone)]
pub struct ExtractParams {
    /// Han characters a line needs to count as body text.
    pub body_min_chars: usize,
    /// Lines up to this many characters are "short" (loose chrome patterns apply).
    pub short_line_max_chars: usize,
    /// Lines at least this long are split at their internal paragraph breaks.
    pub split_long_lines_min_chars: usize,
    /// A line at least this long that stops mid-sentence is joined with the next.
    pub rejoin_min_chars: usize,
    /// Longest unpunctuated run at the end of a paragraph split off as a subheading (0 = off).
    pub subheading_max_chars: usize,
    /// Longest title.
    pub title_max_chars: usize,
    /// Drop repeated paragraphs (doc-mill preview + full text).
    pub dedup_paragraphs: bool,
    /// Find the main block; when false every non-empty line is kept.
    pub extract_main_text: bool,
}

/// Class of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Author's prose.
    Body,
    /// `同志们：` and the like: the first line of a speech's body.
    Salutation,
    /// Short line without prose punctuation: heading, title, name, link text.
    Neutral,
    /// Dateline, labelled line (来源/日期/作者…): dropped, feeds metadata.
    Meta,
    /// A reporter's byline (`□XX日报记者 张三`, `（记者 李四）`): kept when it touches the main
    /// text, as the article's own first or last paragraph.
    Byline,
    /// Site chrome.
    Chrome,
    /// Heading of a related-articles section: the main text never crosses it.
    Barrier,
}

/// What extraction found in one document.
#[derive(Debug, Default)]
pub struct Extracted {
    /// Paragraphs of the main text (before character-changing end steps).
    pub paragraphs: Vec<String>,
    /// Title.
    pub title: Option<String>,
    /// Date, YYYY-MM-DD.
    pub date: Option<String>,
    /// Publisher.
    pub publisher: Option<String>,
    /// Kind of document.
    pub doc_type: DocType,
    /// Speaker.
    pub speaker: Option<String>,
    /// Non-empty lines not kept.
    pub lines_dropped: usize,
    /// Set when extracting again from the paragraphs is known to give them back unchanged:
    /// the main block was found, no preview copy or title repeat was dropped, finishing
    /// changed no line, no line would be split again, and the block found in the kept lines
    /// alone is all of them (see `Extractor::kept_lines_are_their_own_block`). The
    /// paragraphs are then the block's content lines, and a pass over them keeps every line
    /// and finishes them the same way.
    pub settled: bool,
}

/// Compiled extraction rules.
#[derive(Debug)]
pub struct Extractor {
    params: ExtractParams,
    chrome: ChromeRules,
    doc_type_rules: Vec<DocTypeRule>,
    titles: Vec<String>,
    title_junk: Vec<(bool, Regex)>,
    re: Patterns,
}

#[derive(Debug)]
struct Patterns {
    heading_marker: Regex,
    salutation: Regex,
    dateline: Regex,
    date_num: Regex,
    date_han: Regex,
    meta_label: Regex,
    upload_label: Regex,
    source_label: GatedRegex,
    byline: Regex,
    url: Regex,
    copyright_before: Regex,
    copyright_after: Regex,
    breadcrumb_site: GatedRegex,
    title_speaker: Regex,
    title_cue: Regex,
}

/// Literal pre-checks: each pattern below can only match a line holding certain characters
/// (read off the pattern), so a byte search for them comes first and the regex runs only on
/// the few lines that pass. The answer is the regex's answer; only the cost changes.
impl Patterns {
    /// `salutation`, which ends in `[：:]$`.
    fn is_salutation(&self, s: &str) -> bool {
        s.ends_with(['：', ':']) && self.salutation.is_match(s)
    }

    /// `dateline`: every date form has `年` or one of `-/.`.
    fn is_dateline(&self, s: &str) -> bool {
        (s.contains('年') || s.bytes().any(|b| matches!(b, b'-' | b'/' | b'.')))
            && self.dateline.is_match(s)
    }

    /// `meta_label`, whose label ends in `[:：]`.
    fn is_meta_label(&self, s: &str) -> bool {
        (s.contains(':') || s.contains('：')) && self.meta_label.is_match(s)
    }

    /// `byline`, which names a 记者 or 通讯员.
    fn is_byline(&self, s: &str) -> bool {
        (s.contains("记者") || s.contains("通讯员")) && self.byline.is_match(s)
    }

    /// Whether `url` can match: every form has a `.` or `://`.
    fn may_have_url(s: &str) -> bool {
        s.contains('.') || s.contains(':')
    }

    /// Whether `copyright_before` or `copyright_after` can match: both need `版权所有` or
    /// (the latter, case-insensitive) `copyright`.
    fn may_have_copyright(s: &str) -> bool {
        let bytes = s.as_bytes();
        memchr::memmem::find(bytes, "版权所有".as_bytes()).is_some()
            || memchr::memchr2_iter(b'c', b'C', bytes).any(|i| {
                bytes
                    .get(i..i + 9)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"copyright"))
            })
    }

    fn new() -> Result<Self, regex::Error> {
        let date = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零一二三四五六七八九○Ｏ]{4}\s*年\s*[一二三四五六七八九十]{1,3}\s*月\s*[一二三四五六七八九十]{1,3}\s*日|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}";
        Ok(Patterns {
            heading_marker: Regex::new(
                r"^(?:[一二三四五六七八九十百]+[、．.]|[（(][一二三四五六七八九十百]+[)）]|第[一二三四五六七八九十百]+[，,、：:]|[0-9]{1,2}[、．]|[0-9]{1,2}\.[^0-9]|[（(][0-9]{1,2}[)）]|[一二三四五六七八九十][是要]|[①-⑳]|(?:首先|其次|再次|最后)[，,])",
            )?,
            salutation: Regex::new(
                r"^(?:同志们|各位代表|各位委员|各位领导|各位来宾|各位嘉宾|各位同仁|女士们|先生们|尊敬的[^。！？!?]{0,40}|亲爱的[^。！？!?]{0,20}|老师们|同学们|朋友们|乡亲们)[^。！？!?]{0,30}[：:]$",
            )?,
            dateline: Regex::new(&format!(
                r"^[（(〔\[【]?\s*(?:{date})\s*(?:[，,、\s][^（()）\[\]]{{0,20}})?[)）〕\]】]?$"
            ))?,
            date_num: Regex::new(r"(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*[月\-/.]\s*(\d{1,2})")?,
            date_han: Regex::new(
                r"([〇零一二三四五六七八九○Ｏ]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日",
            )?,
            meta_label: Regex::new(
                r"(?:^|[\s|｜【\[])(?:日期|时间|发布时间|发布日期|发表时间|发表日期|更新时间|更新日期|上传时间|上传日期|发文日期|成文日期|印发日期|来源|稿源|出处|信息来源|文章来源|作者|编辑|责任编辑|浏览|点击|阅读|浏览次数|发布人|发布单位|发布机构|索引号|文号|字号)\s*[:：]",
            )?,
            upload_label: Regex::new(r"上传|下载")?,
            source_label: GatedRegex::new(
                r"(?:来源|稿源|信息来源|文章来源|出处)\s*[:：]\s*([^\s|｜:：]+)",
            )?,
            byline: Regex::new(
                r"^[□■●◆\s(（【\[]*[^，。,；;！？!?]{0,16}(?:记者|通讯员)[^，。,；;！？!?]{0,30}[)）】\]]?$",
            )?,
            url: Regex::new(
                r"(?i)https?://\S+|www\.\S+|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|gov|edu|cc|info)(?:\.cn)?(?:/\S*)?",
            )?,
            copyright_before: Regex::new(r"([\p{Han}A-Za-z0-9]{2,20})\s*版权所有")?,
            copyright_after: Regex::new(
                r"(?i)(?:版权所有|copyright)\s*[:：]?\s*(?:©|\(c\)|（c）)?\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*([\p{Han}][\p{Han}A-Za-z0-9]{1,19})",
            )?,
            breadcrumb_site: GatedRegex::new(
                r"(?:当前位置|您的位置|你的位置|您现在的位置|所在位置)\s*[:：]\s*([^>›»/\s|｜]+)",
            )?,
            title_speaker: Regex::new(
                r"^([\p{Han}]{2,3}?)(?:同志)?在[^。！？]{2,60}(?:上|时)的?(?:讲话|致辞|发言|演讲)",
            )?,
            title_cue: Regex::new(
                r"(?:讲话|致辞|发言|讲稿|演讲|报告|讲话稿|发言稿|致辞稿|主持词|贺词|通知|意见|决定|方案|办法|规定|纪要|公报|讲话提纲)$",
            )?,
        })
    }
}

/// What extraction computes from a line's text alone: class, characters, Han characters.
type LineFeatures = (Class, usize, usize);

/// A line with its class; its text borrows the document's unless a long line was split.
#[derive(Debug)]
struct Line<'a> {
    text: Cow<'a, str>,
    class: Class,
    /// Number of characters of `text`.
    chars: usize,
    /// Number of Han characters of `text`.
    han: usize,
}

impl Line<'_> {
    /// The same line, its text borrowed from this one.
    fn view(&self) -> Line<'_> {
        Line {
            text: Cow::Borrowed(self.text.as_ref()),
            class: self.class,
            chars: self.chars,
            han: self.han,
        }
    }
}

impl Extractor {
    /// Builds the extractor from parsed rules.
    pub fn new(
        params: ExtractParams,
        chrome: ChromeRules,
        doc_type_rules: Vec<DocTypeRule>,
        titles: Vec<String>,
        title_junk: Vec<(bool, Regex)>,
    ) -> Result<Self, regex::Error> {
        Ok(Extractor {
            params,
            chrome,
            doc_type_rules,
            titles,
            title_junk,
            re: Patterns::new()?,
        })
    }

    /// True when `s` begins with a heading marker (一、 （一） 第一， 1. 一是 …).
    pub fn starts_with_marker(&self, s: &str) -> bool {
        self.re.heading_marker.is_match(s)
    }

    // (a character takes at most 4 bytes: a longer string has too many characters, uncounted)
    fn is_salutation(&self, s: &str) -> bool {
        s.len() <= 4 * 60 && s.chars().count() <= 60 && self.re.is_salutation(s)
    }

    fn is_dateline(&self, s: &str) -> bool {
        s.len() <= 4 * 40 && s.chars().count() <= 40 && self.re.is_dateline(s)
    }

    // ---------------------------------------------------------------- line structure

    /// Whether [`Extractor::split_long_line`] may split `line`: it is long and has a space.
    fn may_split(&self, line: &str) -> bool {
        at_least_chars(line, self.params.split_long_lines_min_chars) && has_ascii_space(line)
    }

    /// Splits a long line (a whole document on one line, paragraphs separated by spaces) at
    /// its paragraph breaks: after sentence ends, before heading markers, around datelines,
    /// after a heading that runs up to a space, and at every space of its unpunctuated head
    /// (title, subtitle, dateline before the first sentence).
    /// Only for a line that [`Extractor::may_split`] accepted (the callers test it first).
    fn split_long_line(&self, line: &str, header_mode: bool) -> Vec<String> {
        let tokens: Vec<&str> = line.split(' ').filter(|t| !t.is_empty()).collect();
        let mut pieces = Vec::new();
        let mut cur = String::new();
        let mut in_head = header_mode;
        for (i, tok) in tokens.iter().enumerate() {
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(tok);
            if tok.chars().any(ends_head) {
                in_head = false;
            }
            let Some(next) = tokens.get(i + 1) else { break };
            let ends_sentence = {
                let trimmed = tok.trim_end_matches(is_closing);
                trimmed
                    .chars()
                    .last()
                    .is_some_and(|c| is_terminal(c) || c == '：' || c == ':')
                    && (trimmed.len() == tok.len()
                        || trimmed.chars().last().is_some_and(is_terminal))
            };
            let heading_run = self.starts_with_marker(&cur) && !cur.chars().any(is_terminal);
            let brk = in_head
                || ends_sentence
                || self.starts_with_marker(next)
                || self.is_dateline(tok)
                || self.is_dateline(next)
                || heading_run;
            if brk {
                pieces.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            pieces.push(cur);
        }
        pieces
    }

    /// Whether a pass over `kept` — the lines a pass kept, in order, which finishing gave back
    /// unchanged, with no preview copy and no title repeat dropped — would give them back, so
    /// that [`Extractor::extract`] can skip it (see [`Extracted::settled`]). Such a pass:
    /// - splits a line only in header mode's unpunctuated head: finishing has already split
    ///   every long line without header mode and got it back whole, and the two modes differ
    ///   only while no token holding head-ending punctuation has been seen (header mode breaks
    ///   after every token before it). A line whose first token holds that punctuation has no
    ///   head; any other long line with a space is split;
    /// - classifies every line as before (a line's features depend on its text alone);
    /// - finds its block in them — tested here by running [`Extractor::main_block`] on them:
    ///   dropping the chrome and meta lines from inside a block only raises its running sums,
    ///   but a block that began at a salutation in the middle of a run may not hold once the
    ///   run's earlier lines are gone;
    /// - then has no lines above the block and a first line that is not neutral, so no title
    ///   (none from the page either: a re-run has no page metadata), and drops no preview copy
    ///   (the content lines of the block are `kept` again, whose keys the first pass compared);
    /// - and finishes `kept` into `kept`, as the pass did.
    fn kept_lines_are_their_own_block(&self, kept: &[Line]) -> bool {
        let Some(last) = kept.len().checked_sub(1) else {
            return false;
        };
        let resplit = |l: &Line| self.may_split(&l.text) && !head_is_punctuated(&l.text);
        !kept.iter().any(resplit)
            && kept.first().is_some_and(|l| l.class != Class::Neutral)
            && self.main_block(kept) == Some((0, last))
    }

    // ---------------------------------------------------------------- classification

    /// `ascii_spaces`: the line's only white space is ' ' (see [`Extractor::extract`]), so
    /// counting its spaces is counting one byte. `any_gate`: whether the `any` set's literal
    /// gate lets the line through, when known from a scan of the whole text; `None`: the set
    /// runs its gate on the line.
    fn classify(
        &self,
        line: &str,
        n: usize,
        han: usize,
        ascii_spaces: bool,
        any_gate: Option<bool>,
    ) -> Class {
        let any_chrome = || match any_gate {
            Some(passes) => passes && self.chrome.any.is_match_past_gate(line),
            None => self.chrome.any.is_match(line),
        };
        let short = self.params.short_line_max_chars;
        if n <= 2 * short && self.chrome.tail.is_match(line) {
            return Class::Barrier;
        }
        // a sentence that ends like prose is not a short chrome line, whatever words it uses
        let prose_sentence = han >= self.params.body_min_chars
            && line
                .trim_end_matches(is_closing)
                .chars()
                .last()
                .is_some_and(|c| matches!(c, '。' | '！' | '？' | '!' | '?'));
        if any_chrome() || (n <= short && !prose_sentence && self.chrome.short.is_match(line)) {
            return Class::Chrome;
        }
        if n <= 60 && self.re.is_salutation(line) {
            return Class::Salutation;
        }
        if (n <= 40 && self.re.is_dateline(line)) || (n <= 120 && self.re.is_meta_label(line)) {
            return Class::Meta;
        }
        if n <= 50 && self.re.is_byline(line) {
            return Class::Byline;
        }
        if self.url_dominant(line, han) || nav_separated(line) || menu_of_short_tokens(line) {
            return Class::Chrome;
        }
        if han == 0 {
            return if line.chars().all(|c| !c.is_alphanumeric()) {
                Class::Neutral
            } else {
                Class::Chrome
            };
        }
        if han >= self.params.body_min_chars
            && line.chars().any(is_clause_punct)
            && han * 2
                >= n.saturating_sub(if ascii_spaces {
                    ascii_space_count(line)
                } else {
                    space_count(line)
                })
        {
            return Class::Body;
        }
        Class::Neutral
    }

    fn url_dominant(&self, line: &str, han: usize) -> bool {
        // a line with 20 Han characters is never URL-dominated: skip the URL search
        if han >= 20 || !Patterns::may_have_url(line) {
            return false;
        }
        let url_chars: usize = self
            .re
            .url
            .find_iter(line)
            .map(|m| m.as_str().chars().count())
            .sum();
        let non_space = line.chars().filter(|&c| !is_space(c)).count();
        url_chars > 0 && url_chars * 2 >= non_space.saturating_sub(han / 2).max(1)
    }

    fn weight(&self, line: &Line) -> i64 {
        let n = line.chars as i64;
        match line.class {
            Class::Body => line.han as i64,
            Class::Salutation => self.params.body_min_chars as i64,
            Class::Neutral | Class::Byline => -(1 + n / 4),
            Class::Meta => -10,
            Class::Chrome => -n.max(10),
            Class::Barrier => -1_000_000_000_000,
        }
    }

    // ---------------------------------------------------------------- the document

    /// Extracts the main text and the metadata from normalised text. The paragraphs are
    /// cleaned again until they no longer change (splits can expose a line that, standing
    /// alone, reads as chrome), so cleaning the output again changes nothing.
    ///
    /// `ascii_spaces`: the caller knows that the text's only white space is ' ' and '\n'
    /// (what [`crate::text::normalize_whitespace`] leaves); then so is every line's and
    /// paragraph's (extraction adds nothing else), and a byte search finds their spaces.
    ///
    /// `any_hits`: where the `any` chrome set's gate literals end in `text`, when a scan of the
    /// whole text found them ([`crate::script::ScanWithGate`]); a line of the text passes that
    /// gate when one lies in it. (A literal that begins on the line before, through the line
    /// break, passes a line its own scan would not: the gate only ever says "may match", so
    /// that costs one needless run of the set's DFA, never a different answer.)
    pub fn extract(
        &self,
        text: &str,
        meta: &PageMeta,
        ascii_spaces: bool,
        any_hits: Option<&[usize]>,
    ) -> Extracted {
        self.extract_with(text, meta, ascii_spaces, any_hits, true)
    }

    /// [`Extractor::extract`]; `skip_settled = false` re-runs a settled pass too (for the
    /// tests that check the skip).
    fn extract_with<'t>(
        &self,
        text: &'t str,
        meta: &PageMeta,
        ascii_spaces: bool,
        any_hits: Option<&[usize]>,
        skip_settled: bool,
    ) -> Extracted {
        // A line's features depend on its text alone: a line seen before (a repeat, or a line
        // of the first pass met again in a re-run) is looked up instead of classified again.
        // The first pass keys its lines by the document's own text (no copy); the re-runs add
        // the pieces of split lines and joined paragraphs they meet, copied.
        // the `any` gate's answer for a line of `text` (borrowed from it), from `any_hits`
        let any_gate = |l: &str| {
            let hits = any_hits?;
            let start = (l.as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
            if start > text.len() || l.len() > text.len() - start {
                return None;
            }
            let from = hits.partition_point(|&at| at < start);
            Some(hits.get(from).is_some_and(|&at| at < start + l.len()))
        };
        let mut doc_seen: FastMap<&'t str, LineFeatures> = FastMap::default();
        let mut first_pass = |line: &Cow<'t, str>| match line {
            Cow::Borrowed(l) => *doc_seen
                .entry(l)
                .or_insert_with(|| self.line_features(l, ascii_spaces, any_gate(l))),
            Cow::Owned(l) => self.line_features(l, ascii_spaces, None),
        };
        let mut out = self.extract_once(lines(text), meta, true, &mut first_pass, ascii_spaces);
        // A pass that settled would be its own re-run (see `Extracted::settled`).
        if out.settled && skip_settled {
            return out;
        }
        let mut seen: FastMap<String, LineFeatures> = FastMap::default();
        let mut rerun = |line: &Cow<'_, str>| {
            let l = line.as_ref();
            if let Some(&features) = doc_seen.get(l).or_else(|| seen.get(l)) {
                return features;
            }
            let features = self.line_features(l, ascii_spaces, None);
            seen.insert(l.to_string(), features);
            features
        };
        for _ in 0..4 {
            // Only the paragraphs of a re-run are used: its metadata is not computed. The
            // paragraphs are its lines (none is empty, none holds a line break, all are
            // trimmed: what `text.lines()` of their join would give).
            let again = self
                .extract_once(
                    out.paragraphs.iter().map(String::as_str),
                    &PageMeta::default(),
                    false,
                    &mut rerun,
                    ascii_spaces,
                )
                .paragraphs;
            if again == out.paragraphs {
                break;
            }
            // An empty re-run means what was left reads as chrome once split: the document
            // has no main text (keeping the first result would make cleaning non-idempotent).
            let empty = again.is_empty();
            out.paragraphs = again;
            if empty {
                break;
            }
        }
        out
    }

    /// The features of one line, computed (`any_gate`: see [`Extractor::classify`]).
    fn line_features(
        &self,
        piece: &str,
        ascii_spaces: bool,
        any_gate: Option<bool>,
    ) -> LineFeatures {
        let (han, chars) = han_and_char_count(piece);
        (
            self.classify(piece, chars, han, ascii_spaces, any_gate),
            chars,
            han,
        )
    }

    /// The `any` chrome set's literal gate, for a scan of a whole text (see
    /// [`Extractor::extract`]).
    pub fn any_gate(&self) -> Option<&crate::gate::LiteralGate> {
        self.chrome.any.gate()
    }

    /// One pass of extraction over the document's lines; `metadata = false` leaves date,
    /// publisher, speaker and type unset (the title is still found: the paragraphs drop a
    /// repeat of it). `features` gives a line's features (from a cache of the lines seen, or
    /// [`Extractor::line_features`]).
    fn extract_once<'t>(
        &self,
        text_lines: impl Iterator<Item = &'t str>,
        meta: &PageMeta,
        metadata: bool,
        features: &mut dyn FnMut(&Cow<'t, str>) -> LineFeatures,
        ascii_spaces: bool,
    ) -> Extracted {
        let mut lines: Vec<Line<'t>> = Vec::new();
        let mut push = |text: Cow<'t, str>| {
            let (class, chars, han) = features(&text);
            lines.push(Line {
                text,
                class,
                chars,
                han,
            });
        };
        for raw in text_lines {
            let raw = raw.trim();
            if raw.is_empty() {
                continue;
            }
            if self.may_split(raw) {
                for piece in self.split_long_line(raw, true) {
                    push(Cow::Owned(piece));
                }
            } else {
                push(Cow::Borrowed(raw));
            }
        }
        let total = lines.len();
        // Without a single Han character the Chinese line features mean nothing: keep the text.
        if !self.params.extract_main_text || !lines.iter().any(|l| l.han > 0) {
            let paragraphs: Vec<String> = lines.into_iter().map(|l| l.text.into_owned()).collect();
            let mut out = Extracted {
                paragraphs,
                ..Default::default()
            };
            out.title = meta
                .title
                .as_deref()
                .and_then(|t| self.clean_title(t, true));
            out.date = meta.published.as_deref().and_then(|d| self.find_date(d));
            out.publisher = meta.source.clone();
            out.doc_type = self.doc_type(&out, &[]);
            return out;
        }

        let mut block = self.main_block(&lines);
        let mut preview_dropped = false;
        if let (Some((start, end)), true) = (block, self.params.dedup_paragraphs) {
            let content: Vec<usize> = (start..=end)
                .filter(|&i| {
                    lines.get(i).is_some_and(|l| {
                        matches!(
                            l.class,
                            Class::Body | Class::Neutral | Class::Salutation | Class::Byline
                        )
                    })
                })
                .collect();
            let keys: Vec<Cow<'_, str>> = content
                .iter()
                .map(|&i| {
                    lines
                        .get(i)
                        .map(|l| dedup_key(&l.text, ascii_spaces))
                        .unwrap_or_default()
                })
                .collect();
            let drop = preview_copies(&keys);
            if drop.iter().any(|&d| d) {
                preview_dropped = true;
                for (&i, d) in content.iter().zip(drop) {
                    if let (true, Some(l)) = (d, lines.get_mut(i)) {
                        l.class = Class::Chrome;
                    }
                }
                block = self.main_block(&lines);
            }
        }
        let mut out = Extracted::default();
        let (start, end) = match block {
            Some(b) => b,
            None => {
                // No prose anywhere: keep what is not chrome, take fields from the page only.
                let kept: Vec<String> = lines
                    .iter()
                    .filter(|l| {
                        matches!(
                            l.class,
                            Class::Body | Class::Neutral | Class::Salutation | Class::Byline
                        )
                    })
                    .map(|l| l.text.to_string())
                    .collect();
                out.lines_dropped = total - kept.len();
                out.paragraphs = self.finish_paragraphs(kept, ascii_spaces).0;
                if !metadata {
                    return out;
                }
                out.title = meta
                    .title
                    .as_deref()
                    .and_then(|t| self.clean_title(t, true));
                out.date = self.date(&lines, 0, 0, meta);
                out.publisher = self.source(&lines, 0, 0, None, meta);
                out.doc_type = self.doc_type(&out, &[]);
                return out;
            }
        };

        let title_idx = self.title_line(&lines, start);
        out.title = title_idx
            .and_then(|i| lines.get(i))
            .and_then(|l| self.clean_title(&l.text, false))
            .or_else(|| {
                meta.title
                    .as_deref()
                    .and_then(|t| self.clean_title(t, true))
            })
            .or_else(|| {
                lines
                    .first()
                    .filter(|l| l.class == Class::Neutral)
                    .and_then(|l| self.clean_title(&l.text, true))
            });
        let title_key = out.title.as_deref().map(squash);

        let mut kept_lines: Vec<Line<'_>> = Vec::new();
        let mut title_dropped = false;
        for line in lines.get(start..=end).unwrap_or(&[]) {
            if !matches!(
                line.class,
                Class::Body | Class::Neutral | Class::Salutation | Class::Byline
            ) {
                continue;
            }
            if line.class == Class::Neutral
                && title_key
                    .as_deref()
                    .is_some_and(|t| squash(&line.text) == t)
            {
                title_dropped = true;
                continue;
            }
            kept_lines.push(line.view());
        }
        let kept: Vec<String> = kept_lines.iter().map(|l| l.text.to_string()).collect();
        out.lines_dropped = total - kept.len();
        let (paragraphs, unchanged) = self.finish_paragraphs(kept, ascii_spaces);
        out.paragraphs = paragraphs;
        // cheapest tests first: most documents settle or fail on the flags
        out.settled = unchanged
            && !preview_dropped
            && !title_dropped
            && self.kept_lines_are_their_own_block(&kept_lines);
        if !metadata {
            return out;
        }

        out.date = self.date(&lines, start, end, meta);
        out.publisher = self.source(&lines, start, end, title_idx, meta);
        out.speaker = self.speaker(&lines, title_idx, start, out.title.as_deref());
        let header: Vec<&str> = lines
            .get(..start)
            .unwrap_or(&[])
            .iter()
            .map(|l| l.text.as_ref())
            .collect();
        out.doc_type = self.doc_type(&out, &header);
        out
    }

    /// The main block: the run of lines with the largest sum of weights (body text counts for,
    /// chrome against, a related-articles heading is a wall), starting at the salutation when a
    /// speech's salutation comes early in it.
    fn main_block(&self, lines: &[Line]) -> Option<(usize, usize)> {
        let mut best: Option<(i64, usize, usize)> = None;
        let mut run_sum = 0i64;
        let mut run_start = 0usize;
        for (i, line) in lines.iter().enumerate() {
            if run_sum <= 0 {
                run_sum = 0;
                run_start = i;
            }
            run_sum += self.weight(line);
            if run_sum > 0 && best.is_none_or(|(b, _, _)| run_sum > b) {
                best = Some((run_sum, run_start, i));
            }
        }
        let (_, mut start, end) = best?;
        // Trim leading/trailing lines that are not body (the running sum keeps none, but be safe).
        while start < end
            && !matches!(
                lines.get(start).map(|l| l.class),
                Some(Class::Body | Class::Salutation)
            )
        {
            start += 1;
        }
        let block = lines.get(start..=end)?;
        if !block.iter().any(|l| l.class == Class::Body) {
            return None;
        }
        let body_total: usize = block
            .iter()
            .filter(|l| l.class == Class::Body)
            .map(|l| l.han)
            .sum();
        let mut before = 0usize;
        for (k, line) in block.iter().enumerate() {
            if line.class == Class::Salutation {
                if before * 5 < body_total && k > 0 {
                    start += k;
                }
                break;
            }
            if line.class == Class::Body {
                before += line.han;
            }
        }
        // a byline right above or below the text belongs to it
        let mut end = end;
        if start > 0
            && lines
                .get(start - 1)
                .is_some_and(|l| l.class == Class::Byline)
        {
            start -= 1;
        }
        if lines.get(end + 1).is_some_and(|l| l.class == Class::Byline) {
            end += 1;
        }
        Some((start, end))
    }

    /// Rejoins lines broken mid-sentence, splits unpunctuated subheadings glued to the end of
    /// a paragraph, drops repeated paragraphs.
    /// `ascii_spaces`: the lines' only white space is ' ' (see [`dedup_key`]).
    /// Also returns whether the paragraphs are the lines unchanged (nothing joined, split,
    /// trimmed or dropped).
    fn finish_paragraphs(&self, lines: Vec<String>, ascii_spaces: bool) -> (Vec<String>, bool) {
        let n_lines = lines.len();
        let mut reshaped = false;
        let mut joined: Vec<String> = Vec::with_capacity(lines.len());
        for line in lines {
            if let Some(prev) = joined.last_mut() {
                if self.should_join(prev, &line) {
                    let ascii_gap = prev
                        .chars()
                        .last()
                        .is_some_and(|c| c.is_ascii_alphanumeric())
                        && line
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_alphanumeric());
                    if ascii_gap {
                        prev.push(' ');
                    }
                    prev.push_str(&line);
                    reshaped = true;
                    continue;
                }
            }
            joined.push(line);
        }
        let mut split = Vec::with_capacity(joined.len());
        for p in joined {
            let pieces = if self.may_split(&p) {
                self.split_long_line(&p, false)
            } else {
                vec![p]
            };
            reshaped |= pieces.len() != 1;
            for piece in pieces {
                match self.split_trailing_subheading(&piece) {
                    Some((head, sub)) => {
                        split.push(head);
                        split.push(sub);
                        reshaped = true;
                    }
                    None => split.push(piece),
                }
            }
        }
        let split: Vec<String> = split
            .into_iter()
            .map(|p| {
                // most pieces are already trimmed: keep their buffer
                if p.trim().len() == p.len() {
                    p
                } else {
                    reshaped = true;
                    p.trim().to_string()
                }
            })
            .filter(|p| !p.is_empty())
            .collect();
        let out = if self.params.dedup_paragraphs {
            dedup_paragraphs(split, ascii_spaces)
        } else {
            split
        };
        let unchanged = !reshaped && out.len() == n_lines;
        (out, unchanged)
    }

    fn should_join(&self, a: &str, b: &str) -> bool {
        let heading_line = |s: &str| self.starts_with_marker(s) && !s.chars().any(is_terminal);
        if heading_line(a)
            || self.starts_with_marker(b)
            || self.is_salutation(a)
            || self.is_salutation(b)
        {
            return false;
        }
        if self.split_trailing_subheading(a).is_some() {
            return false;
        }
        let Some(last) = a.chars().last() else {
            return false;
        };
        let Some(first) = b.chars().next() else {
            return false;
        };
        if matches!(last, '，' | ',' | '、') {
            return true;
        }
        if matches!(last, '；' | ';') {
            return !self.starts_with_marker(b);
        }
        let continues =
            is_han(first) || first.is_alphanumeric() || matches!(first, '“' | '《' | '（' | '(');
        at_least_chars(a, self.params.rejoin_min_chars)
            && (is_han(last) || last.is_alphanumeric())
            && continues
            && a.chars().any(is_clause_punct)
    }

    /// `…跨越发展。”强化作风 啃下攻坚“硬骨头”` → the paragraph and its glued subheading.
    fn split_trailing_subheading(&self, p: &str) -> Option<(String, String)> {
        let max = self.params.subheading_max_chars;
        if max == 0 {
            return None;
        }
        let (last_end, terminal) = p.char_indices().rev().find(|&(_, c)| is_terminal(c))?;
        let after = p.get(last_end + terminal.len_utf8()..)?;
        let rest = after.trim_start_matches(is_closing);
        let cut = p.len() - rest.len();
        let tail = rest.trim();
        let n = tail.chars().count();
        if n < 4 || n > max || tail.chars().any(is_clause_punct) {
            return None;
        }
        let first = tail.chars().next()?;
        if !is_han(first) && !matches!(first, '“' | '《') {
            return None;
        }
        if han_count(tail) * 10 < n * 6 || self.starts_with_marker(tail) {
            return None;
        }
        let head = p.get(..cut)?;
        Some((head.trim_end().to_string(), tail.to_string()))
    }

    // ---------------------------------------------------------------- metadata

    /// The title line: the nearest title-like line above the main block (skipping datelines,
    /// bylines, subtitles and chrome), preferring one that ends like a title (…的讲话).
    fn title_line(&self, lines: &[Line], start: usize) -> Option<usize> {
        let mut candidates = Vec::new();
        let mut seen = 0;
        for i in (0..start).rev() {
            let line = lines.get(i)?;
            seen += 1;
            if seen > 12 || candidates.len() >= 3 {
                break;
            }
            if line.class == Class::Barrier {
                break;
            }
            if !matches!(line.class, Class::Neutral | Class::Body) {
                continue;
            }
            let t = line.text.as_ref();
            if line.chars > self.params.title_max_chars
                || line.han < 4
                || t.starts_with("——")
                || t.starts_with("--")
                || t.chars()
                    .last()
                    .is_some_and(|c| matches!(c, '。' | '！' | '？' | '；' | '，' | ','))
                || self.speaker_in_line(t).is_some()
            {
                continue;
            }
            candidates.push(i);
        }
        candidates
            .iter()
            .copied()
            .find(|&i| {
                lines
                    .get(i)
                    .and_then(|l| self.clean_title(&l.text, false))
                    .is_some_and(|t| self.re.title_cue.is_match(&t))
            })
            .or_else(|| candidates.first().copied())
    }

    /// Removes site junk from a title: (范文推荐), trailing `_`, `__第1页`, and for page titles
    /// ` - 站名`.
    pub fn clean_title(&self, title: &str, page: bool) -> Option<String> {
        let mut t = title.trim().to_string();
        for _ in 0..6 {
            let before = t.clone();
            for (page_only, re) in &self.title_junk {
                if *page_only && !page {
                    continue;
                }
                if let Some(m) = re.find(&t) {
                    if m.start() > 0 {
                        t = t.get(..m.start()).unwrap_or("").trim().to_string();
                    }
                }
            }
            if t == before {
                break;
            }
        }
        (han_count(&t) >= 2).then_some(t)
    }

    fn find_date(&self, s: &str) -> Option<String> {
        let num = self.re.date_num.captures(s).and_then(|c| {
            let y: u32 = c.get(1)?.as_str().parse().ok()?;
            let m: u32 = c.get(2)?.as_str().parse().ok()?;
            let d: u32 = c.get(3)?.as_str().parse().ok()?;
            Some((c.get(0)?.start(), y, m, d))
        });
        let han = self.re.date_han.captures(s).and_then(|c| {
            let y = han_digits(c.get(1)?.as_str())?;
            let m = han_small_number(c.get(2)?.as_str())?;
            let d = han_small_number(c.get(3)?.as_str())?;
            Some((c.get(0)?.start(), y, m, d))
        });
        let (_, y, m, d) = match (num, han) {
            (Some(a), Some(b)) => {
                if a.0 <= b.0 {
                    a
                } else {
                    b
                }
            }
            (a, b) => a.or(b)?,
        };
        ((1900..=2100).contains(&y) && (1..=12).contains(&m) && (1..=31).contains(&d))
            .then(|| format!("{y:04}-{m:02}-{d:02}"))
    }

    /// The document's date: its own dateline first, then labelled lines (日期/时间/来源…), then
    /// the page's publication time, then an upload time.
    fn date(&self, lines: &[Line], start: usize, end: usize, meta: &PageMeta) -> Option<String> {
        let outside = |i: usize| i < start || i > end;
        // 1. datelines above the block (nearest first) or dropped inside it
        let mut datelines = (0..start)
            .rev()
            .chain(start..=end)
            .filter_map(|i| lines.get(i))
            .filter(|l| l.class == Class::Meta && self.is_dateline(&l.text));
        if let Some(d) = datelines.find_map(|l| self.find_date(&l.text)) {
            return Some(d);
        }
        let labelled = |upload: bool| {
            lines.iter().enumerate().filter(move |(i, l)| {
                (outside(*i) || l.class == Class::Meta)
                    && l.chars <= 160
                    && self.re.is_meta_label(&l.text)
                    && self.re.upload_label.is_match(&l.text) == upload
            })
        };
        if let Some(d) = labelled(false).find_map(|(_, l)| self.find_date(&l.text)) {
            return Some(d);
        }
        if let Some(d) = meta.published.as_deref().and_then(|p| self.find_date(p)) {
            return Some(d);
        }
        labelled(true).find_map(|(_, l)| self.find_date(&l.text))
    }

    /// The publisher: 来源 label, page metadata, copyright line, breadcrumb site, a brand line at
    /// the top of the page, the site part of the page title.
    fn source(
        &self,
        lines: &[Line],
        start: usize,
        end: usize,
        title_idx: Option<usize>,
        meta: &PageMeta,
    ) -> Option<String> {
        let outside: Vec<&Line> = lines
            .iter()
            .enumerate()
            .filter(|(i, l)| *i < start || *i > end || l.class != Class::Body)
            .map(|(_, l)| l)
            .collect();
        let from_label = outside.iter().find_map(|l| {
            if l.chars > 160 {
                return None;
            }
            let c = self.re.source_label.captures(&l.text)?;
            let v = c.get(1)?.as_str();
            let v = trim_source(v);
            (han_count(&v) >= 2 || v.chars().count() >= 3).then_some(v)
        });
        if from_label.is_some() {
            return from_label;
        }
        if let Some(s) = meta
            .source
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            return Some(s.to_string());
        }
        let copyright = outside.iter().rev().find_map(|l| {
            if !Patterns::may_have_copyright(&l.text) {
                return None;
            }
            [&self.re.copyright_before, &self.re.copyright_after]
                .iter()
                .find_map(|re| {
                    let c = re.captures(&l.text)?;
                    let v = c
                        .get(1)?
                        .as_str()
                        .trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '-');
                    (han_count(v) >= 2).then(|| v.to_string())
                })
        });
        if copyright.is_some() {
            return copyright;
        }
        let crumb = outside.iter().find_map(|l| {
            let v = self.re.breadcrumb_site.captures(&l.text)?.get(1)?.as_str();
            (han_count(v) >= 2 && !matches!(v, "首页" | "主页" | "网站首页")).then(|| v.to_string())
        });
        if crumb.is_some() {
            return crumb;
        }
        let limit = title_idx.unwrap_or(start).min(start);
        let brand = lines
            .get(..limit)
            .unwrap_or(&[])
            .iter()
            .take(10)
            .find_map(|l| {
                let n = l.chars;
                (l.class == Class::Neutral && (2..=8).contains(&n) && l.text.chars().all(is_han))
                    .then(|| l.text.to_string())
            });
        if brand.is_some() {
            return brand;
        }
        let page_title = meta.title.as_deref()?;
        let (_, site) = page_title.rsplit_once([' ', '_', '|', '｜', '-', '—'])?;
        let site = site.trim();
        (han_count(site) >= 2 && site.chars().count() <= 20).then(|| site.to_string())
    }

    fn speaker_in_line(&self, t: &str) -> Option<String> {
        let n = t.chars().count();
        if n > 30 || t.chars().any(is_clause_punct) {
            return None;
        }
        let (before, name) = t.trim().rsplit_once(' ')?;
        let name = name.trim();
        let before = before.trim();
        let name_len = name.chars().count();
        if !(2..=4).contains(&name_len) || !name.chars().all(is_han) {
            return None;
        }
        self.titles
            .iter()
            .any(|title| before.ends_with(title.as_str()))
            .then(|| name.to_string())
    }

    /// The speaker: a byline line between the title and the text (`市委书记 张某`), or a name
    /// heading the title (`张某在…会议上的讲话`).
    fn speaker(
        &self,
        lines: &[Line],
        title_idx: Option<usize>,
        start: usize,
        title: Option<&str>,
    ) -> Option<String> {
        if let Some(t) = title_idx {
            for line in lines.get(t + 1..start).unwrap_or(&[]) {
                if let Some(name) = self.speaker_in_line(&line.text) {
                    return Some(name);
                }
                let n = line.chars;
                if line.class == Class::Neutral
                    && (2..=3).contains(&n)
                    && line.text.chars().all(is_han)
                    && !self.titles.iter().any(|x| line.text.ends_with(x.as_str()))
                {
                    return Some(line.text.to_string());
                }
            }
        }
        let c = self.re.title_speaker.captures(title?)?;
        let name = c.get(1)?.as_str();
        let bad_end = name
            .chars()
            .last()
            .is_some_and(|c| "市县区省委长府局厅部办会镇乡村".contains(c));
        let bad_start = name.starts_with(['在', '全', '我', '本']);
        (!bad_end && !bad_start && !self.titles.iter().any(|x| name.ends_with(x.as_str())))
            .then(|| name.to_string())
    }

    fn doc_type(&self, out: &Extracted, header: &[&str]) -> DocType {
        let paras = &out.paragraphs;
        for rule in &self.doc_type_rules {
            let hit = match rule.scope {
                CueScope::Title => out
                    .title
                    .as_deref()
                    .is_some_and(|t| rule.pattern.is_match(t)),
                CueScope::Opening => paras.first().is_some_and(|p| rule.pattern.is_match(p)),
                CueScope::Header => header
                    .iter()
                    .any(|l| l.chars().count() <= 80 && rule.pattern.is_match(l)),
                CueScope::Edges => {
                    let n = paras.len();
                    paras
                        .iter()
                        .enumerate()
                        .any(|(i, p)| (i < 2 || i + 2 >= n) && rule.pattern.is_match(p))
                }
                CueScope::Source => out
                    .publisher
                    .as_deref()
                    .is_some_and(|s| rule.pattern.is_match(s)),
            };
            if hit {
                return rule.doc_type;
            }
        }
        DocType::Other
    }
}

/// The lines of `text`, exactly as `str::lines` gives them (split at `\n`, a `\r` before it
/// dropped, no empty line after a final `\n`), with the line breaks found by `memchr`'s
/// vectorised search instead of the standard library's word-at-a-time one.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let breaks = memchr::memchr_iter(b'\n', text.as_bytes()).map(Some);
    breaks.chain(std::iter::once(None)).filter_map(move |at| {
        let from = start;
        match at {
            Some(at) => {
                start = at + 1;
                let line = text.get(from..at)?;
                Some(line.strip_suffix('\r').unwrap_or(line))
            }
            // the rest after the last line break, unless it is empty
            None => text.get(from..).filter(|rest| !rest.is_empty()),
        }
    })
}

/// Punctuation that ends the unpunctuated head of a long line (title, subtitle, dateline)
/// in [`Extractor::split_long_line`]'s header mode.
fn ends_head(c: char) -> bool {
    matches!(c, '，' | ',' | '。' | '！' | '？' | '!' | '?' | '；' | ';')
}

/// Whether the first space-separated token of `line` holds punctuation that ends a head: then
/// header mode splits `line` as the normal mode does.
fn head_is_punctuated(line: &str) -> bool {
    line.split(' ')
        .find(|t| !t.is_empty())
        .is_some_and(|t| t.chars().any(ends_head))
}

/// `char::is_whitespace`, answering the many characters above U+3000 (Han, full-width
/// punctuation) without a table lookup: no white space character lies above U+3000.
fn is_space(c: char) -> bool {
    (c as u32) <= 0x3000 && c.is_whitespace()
}

/// `s.contains(char::is_whitespace)`, scanning bytes: every white space character is ASCII or
/// begins with byte C2 (U+0085, U+00A0), E1 (U+1680), E2 (U+2000–U+205F) or E3 (U+3000); only
/// there is a character decoded.
fn has_space(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        0..=0x20 => (b as char).is_whitespace(),
        0xC2 | 0xE1 | 0xE2 | 0xE3 => s
            .get(i..)
            .and_then(|t| t.chars().next())
            .is_some_and(char::is_whitespace),
        _ => false,
    })
}

/// Number of ' ' in `s`: [`space_count`] for a text whose only white space is ' ' (and
/// '\n'), counted in chunks of 224 bytes in a `u8` so that the loop vectorises with 32 lanes.
fn ascii_space_count(s: &str) -> usize {
    s.as_bytes()
        .chunks(224)
        .map(|chunk| {
            let in_chunk: u8 = chunk
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b' ')));
            usize::from(in_chunk)
        })
        .sum()
}

/// `s.contains(' ')`, with `memchr`'s vectorised byte search (32 bytes per step with AVX2).
fn has_ascii_space(s: &str) -> bool {
    memchr::memchr(b' ', s.as_bytes()).is_some()
}

/// `s.chars().count() >= n`, without counting when the byte length decides it (a character
/// takes one to four bytes).
fn at_least_chars(s: &str, n: usize) -> bool {
    s.len() >= n.saturating_mul(4) || (s.len() >= n && s.chars().count() >= n)
}

/// Removes whitespace: the key under which two lines count as the same.
fn squash(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for part in s.split(is_space) {
        out.push_str(part);
    }
    out
}

fn trim_source(v: &str) -> String {
    // "新华网2023-01-01" → "新华网"
    let cut = v
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i);
    let v = match cut {
        Some(i) if i > 0 => v.get(..i).unwrap_or(v),
        _ => v,
    };
    v.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '【' | '】' | '[' | ']' | '(' | ')' | '（' | '）')
    })
    .to_string()
}

/// `|`, `>`, `›`, `»` separated navigation: at least two separators, short segments.
fn nav_separated(line: &str) -> bool {
    if line.contains('。') {
        return false;
    }
    let seps = line
        .chars()
        .filter(|c| matches!(c, '|' | '｜' | '>' | '›' | '»'))
        .count();
    if seps < 2 {
        return false;
    }
    let (mut segments, mut total) = (0usize, 0usize);
    for s in line
        .split(['|', '｜', '>', '›', '»', '》'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        segments += 1;
        total += s.chars().count();
    }
    segments >= 2 && total / segments <= 14
}

/// A menu: five or more short space-separated tokens without prose punctuation.
fn menu_of_short_tokens(line: &str) -> bool {
    // cheapest test first: prose has clause punctuation (usually early in the line)
    if line.chars().any(is_clause_punct) {
        return false;
    }
    let mut tokens = 0;
    for t in line.split(' ').filter(|t| !t.is_empty()) {
        if !(t.len() <= 8 || t.chars().count() <= 8) {
            return false;
        }
        tokens += 1;
    }
    tokens >= 5
}

fn han_digit(c: char) -> Option<u32> {
    Some(match c {
        '〇' | '零' | '○' | 'Ｏ' => 0,
        '一' => 1,
        '二' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// 二〇二三 → 2023.
fn han_digits(s: &str) -> Option<u32> {
    s.chars()
        .try_fold(0u32, |acc, c| Some(acc * 10 + han_digit(c)?))
}

/// 十 → 10, 二十八 → 28, 三十一 → 31, 五 → 5.
fn han_small_number(s: &str) -> Option<u32> {
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => han_digit(*c),
        ['十', u] => Some(10 + han_digit(*u)?),
        [t, '十'] => Some(han_digit(*t)? * 10),
        [t, '十', u] => Some(han_digit(*t)? * 10 + han_digit(*u)?),
        _ => None,
    }
}

/// Comparison key of a line or paragraph: no whitespace, no trailing ellipsis.
/// `ascii_spaces`: the caller knows that `s` has no white space but ' '.
fn dedup_key(s: &str, ascii_spaces: bool) -> Cow<'_, str> {
    let spaced = if ascii_spaces {
        has_ascii_space(s)
    } else {
        has_space(s)
    };
    if !spaced {
        return Cow::Borrowed(s.trim_end_matches(['…', '.', '。']));
    }
    // (with only ' ' for white space, squashing is removing it: a byte search)
    let mut key = if ascii_spaces {
        s.replace(' ', "")
    } else {
        squash(s)
    };
    let kept = key.trim_end_matches(['…', '.', '。']).len();
    key.truncate(kept);
    Cow::Owned(key)
}

/// Marks the earlier copy of text shown twice (a doc-mill page's preview, then the full text):
/// a run of lines equal to a later run, or truncated versions of it, short lines included when
/// they sit in the run (the preview's 同志们：).
fn preview_copies(keys: &[Cow<'_, str>]) -> Vec<bool> {
    const MIN_KEY: usize = 10;
    let mut drop = vec![false; keys.len()];
    // `next_copy[i]`: the first line after line i with the same (long) key. Read backwards,
    // `last_at` holds the nearest later line of every key: one map entry per key, no list.
    let mut next_copy: Vec<Option<usize>> = vec![None; keys.len()];
    let mut last_at: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(keys.len(), Default::default());
    for (i, k) in keys.iter().enumerate().rev() {
        if at_least_chars(k, MIN_KEY) {
            if let (Some(j), Some(next)) = (last_at.insert(k.as_ref(), i), next_copy.get_mut(i)) {
                *next = Some(j);
            }
        }
    }
    let same_or_truncated = |a: &str, b: &str| a == b || (at_least_chars(a, 4) && b.starts_with(a));
    let mut i = 0;
    while i < keys.len() {
        let later = next_copy.get(i).copied().flatten();
        let Some(j) = later else {
            i += 1;
            continue;
        };
        // backwards: short lines just before both copies
        let (mut a, mut b) = (i, j);
        while a > 0 && b > a + 1 {
            let (pa, pb) = (a - 1, b - 1);
            if drop.get(pa).copied().unwrap_or(true) || keys.get(pa) != keys.get(pb) {
                break;
            }
            if let Some(d) = drop.get_mut(pa) {
                *d = true;
            }
            a = pa;
            b = pb;
        }
        // forwards: the run of equal or truncated lines
        let mut k = 0;
        while i + k < j {
            let (Some(x), Some(y)) = (keys.get(i + k), keys.get(j + k)) else {
                break;
            };
            if !same_or_truncated(x, y) {
                break;
            }
            if let Some(d) = drop.get_mut(i + k) {
                *d = true;
            }
            k += 1;
        }
        i += k.max(1);
    }
    drop
}

/// Drops a paragraph equal to an earlier one, or a truncated preview of a later one (its text,
/// without a trailing ellipsis, begins the later paragraph): a doc-mill page shows the text
/// twice and the main text keeps one copy.
fn dedup_paragraphs(paragraphs: Vec<String>, ascii_spaces: bool) -> Vec<String> {
    let drop = {
        let keys: Vec<Cow<'_, str>> = paragraphs
            .iter()
            .map(|p| dedup_key(p, ascii_spaces))
            .collect();
        repeated_or_truncated(&keys)
    };
    paragraphs
        .into_iter()
        .zip(drop)
        .filter(|(_, d)| !d)
        .map(|(p, _)| p)
        .collect()
}

/// The first `n` characters of `s` (all of it when shorter).
fn char_prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => s.get(..i).unwrap_or(s),
        None => s,
    }
}

/// Which keys repeat an earlier key, or are a truncated copy of a later, longer one.
fn repeated_or_truncated(keys: &[Cow<'_, str>]) -> Vec<bool> {
    const MIN_KEY: usize = 10;
    const PREFIX: usize = 16;
    // `next_same_prefix[i]`: the next paragraph after i whose key begins with the same
    // PREFIX chars (a chain per prefix, read backwards: no list per prefix)
    let mut next_same_prefix: Vec<Option<usize>> = vec![None; keys.len()];
    let mut last_at: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(keys.len(), Default::default());
    for (i, k) in keys.iter().enumerate().rev() {
        if at_least_chars(k, MIN_KEY) {
            if let (Some(j), Some(next)) = (
                last_at.insert(char_prefix(k, PREFIX), i),
                next_same_prefix.get_mut(i),
            ) {
                *next = Some(j);
            }
        }
    }
    let mut drop = vec![false; keys.len()];
    let mut seen: FastMap<&str, usize> =
        FastMap::with_capacity_and_hasher(keys.len(), Default::default());
    for (i, k) in keys.iter().enumerate() {
        if !at_least_chars(k, MIN_KEY) {
            continue;
        }
        if seen.contains_key(k.as_ref()) {
            if let Some(d) = drop.get_mut(i) {
                *d = true;
            }
            continue;
        }
        seen.insert(k.as_ref(), i);
        // a truncated preview: a LATER, longer paragraph begins with this one
        if at_least_chars(k, 20) {
            let mut later = next_same_prefix.get(i).copied().flatten();
            let mut truncated = false;
            while let Some(j) = later {
                if keys
                    .get(j)
                    .is_some_and(|o| o.len() > k.len() && o.starts_with(k.as_ref()))
                {
                    truncated = true;
                    break;
                }
                later = next_same_prefix.get(j).copied().flatten();
            }
            if truncated {
                if let Some(d) = drop.get_mut(i) {
                    *d = true;
                }
            }
        }
    }
    drop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_dates() {
        assert_eq!(han_digits("二〇二三"), Some(2023));
        assert_eq!(han_small_number("二十八"), Some(28));
        assert_eq!(han_small_number("十二"), Some(12));
        assert_eq!(han_small_number("十"), Some(10));
    }

    #[test]
    fn literal_pre_checks_answer_like_the_regexes() {
        let re = Patterns::new().expect("patterns compile");
        let lines = [
            "同志们：",
            "各位代表、同志们:",
            "同志们，大家好。",
            "尊敬的各位领导：",
            "（2023年2月28日）",
            "二〇二三年二月二十八日",
            "2023-02-28",
            "2023/2/8 市政府办公室",
            "2023.02.28",
            "２０２３年２月２８日",
            "日期：2023-01-05",
            "来源:县融媒体中心",
            "发布时间 2023年1月5日",
            "本报记者 张三 通讯员 李四",
            "（记者 王五）",
            "□新华社记者",
            "www.example.gov.cn",
            "某某网 版权所有",
            "版权所有：某某市人民政府",
            "Copyright © 2024 某某日报社",
            "COPYRIGHT(C)2020-2024 某某网",
            "https://a.b/c",
            "网址 example.com",
            "这是一段正文，讲述了全县农业发展的总体情况。",
            "",
            ":",
            "：",
        ];
        for l in lines {
            assert_eq!(re.is_salutation(l), re.salutation.is_match(l), "{l:?}");
            assert_eq!(re.is_dateline(l), re.dateline.is_match(l), "{l:?}");
            assert_eq!(re.is_meta_label(l), re.meta_label.is_match(l), "{l:?}");
            assert_eq!(re.is_byline(l), re.byline.is_match(l), "{l:?}");
            if re.url.is_match(l) {
                assert!(Patterns::may_have_url(l), "{l:?}");
            }
            if re.copyright_before.is_match(l) || re.copyright_after.is_match(l) {
                assert!(Patterns::may_have_copyright(l), "{l:?}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn literal_pre_checks_agree_on_generated_lines(
            l in "[同志们各位代表尊敬的大家好记者通讯员本报年月日〇二十0-9２０：:，。（）() /.a-z-]{0,24}"
        ) {
            let re = Patterns::new().expect("patterns compile");
            proptest::prop_assert_eq!(re.is_salutation(&l), re.salutation.is_match(&l));
            proptest::prop_assert_eq!(re.is_dateline(&l), re.dateline.is_match(&l));
            proptest::prop_assert_eq!(re.is_meta_label(&l), re.meta_label.is_match(&l));
            proptest::prop_assert_eq!(re.is_byline(&l), re.byline.is_match(&l));
            proptest::prop_assert!(!re.url.is_match(&l) || Patterns::may_have_url(&l));
            proptest::prop_assert!(
                !(re.copyright_before.is_match(&l) || re.copyright_after.is_match(&l))
                    || Patterns::may_have_copyright(&l)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn copyright_pre_check_agrees_on_generated_lines(
            l in "(版权所有|copyright|COPYRIGHT|CopyRight|版权|所有|[某市网报社©():：0-9 cCoOpPyYrRiIgGhHtT-]){0,8}"
        ) {
            let re = Patterns::new().expect("patterns compile");
            proptest::prop_assert!(
                !(re.copyright_before.is_match(&l) || re.copyright_after.is_match(&l))
                    || Patterns::may_have_copyright(&l)
            );
        }
    }

    fn default_extractor() -> Extractor {
        use crate::rules;
        let params = ExtractParams {
            body_min_chars: 16,
            short_line_max_chars: 50,
            split_long_lines_min_chars: 200,
            rejoin_min_chars: 20,
            subheading_max_chars: 24,
            title_max_chars: 80,
            dedup_paragraphs: true,
            extract_main_text: true,
        };
        Extractor::new(
            params,
            rules::parse_chrome(&[rules::builtin::CHROME]).expect("chrome parses"),
            rules::parse_doc_type(rules::builtin::DOC_TYPE).expect("doc types parse"),
            rules::parse_titles(rules::builtin::TITLES),
            rules::parse_title_junk(rules::builtin::TITLE_JUNK).expect("title junk parses"),
        )
        .expect("patterns compile")
    }

    /// What `Extractor::extract` relies on to skip the re-run: a settled pass's paragraphs
    /// come back unchanged from a pass over them.
    #[test]
    fn a_settled_pass_is_its_own_re_run() {
        let ex = default_extractor();
        let body = "今年以来，全县上下认真贯彻落实上级决策部署，经济社会发展取得了新的成绩。";
        let more = "下一步，我们要坚持稳中求进工作总基调，推动各项工作再上新台阶。";
        let docs = [
            format!("首页 > 新闻中心 > 正文\n关于加强基层治理的通知\n来源：县政府办公室\n{body}\n责任编辑：张三\n{more}\n版权所有 © 2024 某某网"),
            format!("在全县工作会议上的讲话\n（2023年2月28日）\n同志们：\n{body}\n一、主要成绩\n{more}\n上一篇：某某"),
            format!("本报记者 李四\n{body}\n点击排行\n{more}"),
            format!("{body}\n{more}\n（记者 王五）"),
        ];
        let mut settled = 0;
        for doc in &docs {
            let mut features = |l: &Cow<'_, str>| ex.line_features(l, true, None);
            let first =
                ex.extract_once(doc.lines(), &PageMeta::default(), true, &mut features, true);
            if !first.settled {
                continue;
            }
            settled += 1;
            let again = ex.extract_once(
                first.paragraphs.iter().map(String::as_str),
                &PageMeta::default(),
                false,
                &mut features,
                true,
            );
            assert_eq!(again.paragraphs, first.paragraphs, "{doc}");
        }
        assert!(settled >= 3, "only {settled} documents settled");
    }

    /// Extraction skipping settled passes and extraction re-running them give the same
    /// paragraphs (the skip never skips a re-run that would have changed something); returns
    /// whether the first pass settled.
    fn assert_skip_changes_nothing(ex: &Extractor, text: &str, meta: &PageMeta) -> bool {
        let skipped = ex.extract_with(text, meta, true, None, true);
        let rerun = ex.extract_with(text, meta, true, None, false);
        assert_eq!(skipped.paragraphs, rerun.paragraphs, "{text}");
        let mut features = |l: &Cow<'_, str>| ex.line_features(l, true, None);
        ex.extract_once(lines(text), meta, true, &mut features, true)
            .settled
    }

    /// What the cleaner hands extraction: tags stripped, references decoded, white space
    /// normalised (so `ascii_spaces` holds).
    fn prepared(raw: &str) -> String {
        let repairs = crate::text::Repairs::new().expect("repairs build");
        let stripped = repairs.strip_tags(raw);
        crate::text::normalize_whitespace(&repairs.decode_entities(&stripped))
    }

    /// A speech whose block starts at its salutation in the middle of a run: the salutation
    /// and the headings after it weigh less than nothing once the prose above is gone, so a
    /// pass over the kept lines finds a smaller block. The first pass must not count as
    /// settled (it did before speed round 10, and cleaning was not idempotent here).
    #[test]
    fn a_block_that_starts_at_a_mid_run_salutation_is_not_settled() {
        let ex = default_extractor();
        let text = "在全县经济工作会议上的讲话\n\
            今年以来全县经济运行总体平稳，主要指标好于预期。\n\
            同志们：\n\
            一、过去一年的工作回顾和总结情况说明\n\
            （一）经济发展方面的主要情况和基本数据\n\
            （二）社会事业方面的主要情况和基本做法\n\
            （三）生态环境方面的主要情况和基本做法\n\
            全县上下认真贯彻落实上级决策部署，统筹推进稳增长、促改革、调结构、惠民生、防风险各项工作，经济社会发展取得了新的成绩。\n\
            全年地区生产总值增长百分之六点五，一般公共预算收入增长百分之八，城乡居民人均可支配收入分别增长百分之五和百分之七。\n\
            下一步，我们要坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，推动各项工作再上新台阶，奋力谱写高质量发展新篇章。";
        assert!(!assert_skip_changes_nothing(
            &ex,
            text,
            &PageMeta::default()
        ));
        let out = ex.extract(text, &PageMeta::default(), true, None);
        let again = ex.extract(&out.paragraphs.join("\n"), &PageMeta::default(), true, None);
        assert_eq!(again.paragraphs, out.paragraphs);
    }

    /// A long line split in the first pass settles when its pieces come back whole from a
    /// pass over them; a piece with an unpunctuated head does not (header mode would split
    /// it at its first space).
    #[test]
    fn split_lines_settle_unless_a_piece_has_a_head() {
        let ex = default_extractor();
        // distinct paragraphs (a repeat would be dropped, which is a change of its own)
        let long = |n: usize| {
            (0..8)
                .map(|k| {
                    format!(
                        "第{}段第{k}句，全县上下认真贯彻落实上级决策部署，取得了新成绩。",
                        n * 10 + k
                    )
                })
                .collect::<String>()
        };
        let (a, b, c) = (long(1), long(2), long(3));
        // a title and a dateline on the speech's one line: split off in header mode
        let one_line = format!("在全县工作会议上的讲话 （2023年2月28日） {a} {b}");
        assert!(assert_skip_changes_nothing(
            &ex,
            &one_line,
            &PageMeta::default()
        ));
        // a piece that begins with an unpunctuated token would be split again
        let headed = format!("{a}\n{b} 关于 {c}");
        assert!(!head_is_punctuated(&format!("关于 {c}")));
        assert!(!assert_skip_changes_nothing(
            &ex,
            &headed,
            &PageMeta::default()
        ));
        // and the re-run does split it: skipping it would have been wrong
        let mut features = |l: &Cow<'_, str>| ex.line_features(l, true, None);
        let first = ex.extract_once(
            headed.lines(),
            &PageMeta::default(),
            true,
            &mut features,
            true,
        );
        let out = ex.extract(&headed, &PageMeta::default(), true, None);
        assert!(
            out.paragraphs.contains(&"关于".to_string()),
            "{:?}",
            out.paragraphs
        );
        assert_ne!(first.paragraphs, out.paragraphs);
    }

    /// The skip, over the documents of `dir` as ingest reads them.
    fn skip_changes_nothing_on(dir: &std::path::Path) -> (usize, usize) {
        use gongwen_ingest::{Ingest, IngestConfig};
        let config = IngestConfig {
            inputs: vec![dir.to_path_buf()],
            ..Default::default()
        };
        let ingest = Ingest::build(&config, dir).expect("ingest builds");
        let ex = default_extractor();
        let (mut docs, mut settled) = (0, 0);
        for raw in ingest
            .discover()
            .files
            .iter()
            .flat_map(|f| ingest.read(f))
            .filter_map(Result::ok)
        {
            docs += 1;
            let text = prepared(&raw.text);
            settled += usize::from(assert_skip_changes_nothing(&ex, &text, &raw.meta));
        }
        (docs, settled)
    }

    #[test]
    fn the_skip_changes_nothing_on_the_samples() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples");
        let (docs, _) = skip_changes_nothing_on(&root);
        assert!(docs >= 5, "only {docs} samples");
    }

    /// Generated corpora outside the repository (`gongwen bench` writes one), named by
    /// `CLEAN_SKIP_CORPORA` (folders separated by `:`). Slow in a debug build, so run on
    /// demand: `CLEAN_SKIP_CORPORA=DIR cargo test -p gongwen-clean -- --ignored`.
    #[test]
    #[ignore = "needs CLEAN_SKIP_CORPORA; slow in debug builds"]
    fn the_skip_changes_nothing_on_the_generated_corpora() {
        let dirs = std::env::var("CLEAN_SKIP_CORPORA").unwrap_or_default();
        for dir in dirs.split(':').filter(|d| !d.is_empty()) {
            let dir = std::path::Path::new(dir);
            if dir.is_dir() {
                let (docs, settled) = skip_changes_nothing_on(dir);
                eprintln!("{}: {docs} documents, {settled} settled", dir.display());
            }
        }
    }

    /// Documents with long lines of pieces (sentences, headings, datelines, spaces), chrome
    /// and short lines, for the skip.
    fn long_line_doc() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            "[的是在了和有大中人上为们发展工作建设会议全市推进经济企业项目]{1,30}",
            Just("，".to_string()),
            Just("。".to_string()),
            Just("：".to_string()),
            Just(" ".to_string()),
            Just("一、".to_string()),
            Just("（二）".to_string()),
            Just("同志们：".to_string()),
            Just("2023年2月28日".to_string()),
            Just("来源：".to_string()),
            Just("版权所有".to_string()),
            Just("上一篇".to_string()),
        ];
        let line = prop::collection::vec(piece, 0..60).prop_map(|v| v.concat());
        prop::collection::vec(line, 0..14).prop_map(|v| v.join("\n"))
    }

    proptest::proptest! {
        #[test]
        fn the_skip_changes_nothing_on_generated_documents(text in long_line_doc()) {
            assert_skip_changes_nothing(&default_extractor(), &prepared(&text), &PageMeta::default());
        }

        /// [`head_is_punctuated`] tells header mode's split from the normal one for a line
        /// the normal split gives back whole.
        #[test]
        fn header_mode_differs_only_in_an_unpunctuated_head(
            line in crate::text::tests::text_from("发展工作会议 ，。；一、（二）2023年2月28日：", 80)
        ) {
            let ex = default_extractor();
            let line = line.trim();
            if has_ascii_space(line) && ex.split_long_line(line, false) == [line] {
                let whole = ex.split_long_line(line, true) == [line];
                proptest::prop_assert_eq!(whole, head_is_punctuated(line), "{}", line);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn ascii_space_count_is_space_count_without_other_white_space(
            s in crate::text::tests::text_from("中文 ，a1。“”", 600)
        ) {
            proptest::prop_assert_eq!(ascii_space_count(&s), space_count(&s));
        }
    }

    #[test]
    fn has_ascii_space_agrees_with_contains() {
        for s in [
            "",
            " ",
            "中文",
            "中 文",
            "a\u{3000}b",
            "x\ty",
            "长长长长长长长长长长长长长长长长长 ",
        ] {
            assert_eq!(has_ascii_space(s), s.contains(' '), "{s:?}");
        }
    }

    #[test]
    fn at_least_chars_agrees_with_counting() {
        for s in [
            "",
            "a",
            "中",
            "中文",
            "abcd",
            "中文ab",
            "𠀀𠀀",
            "1234567890中文",
        ] {
            for n in 0..12 {
                assert_eq!(at_least_chars(s, n), s.chars().count() >= n, "{s:?} {n}");
            }
        }
    }

    #[test]
    fn nav_and_menus() {
        assert!(nav_separated("网站首页 > 新闻中心 > 本地要闻 > 正文"));
        assert!(nav_separated("人民网 | 新华网 | 央视网 | 返回首页"));
        assert!(!nav_separated("营收增长>10%，利润|成本比例下降。"));
        assert!(menu_of_short_tokens("要闻 政务 经济 文化 教育 体育 图片"));
        assert!(!menu_of_short_tokens("锚定目标 奋勇争先"));
    }

    /// `preview_copies` as it was written first (a list of the lines of every key), the
    /// reference for the version with a next-copy chain.
    fn preview_copies_reference(keys: &[Cow<'_, str>]) -> Vec<bool> {
        const MIN_KEY: usize = 10;
        let mut drop = vec![false; keys.len()];
        let mut first_at: FastMap<&str, Vec<usize>> = FastMap::default();
        for (i, k) in keys.iter().enumerate() {
            if at_least_chars(k, MIN_KEY) {
                first_at.entry(k.as_ref()).or_default().push(i);
            }
        }
        let same_or_truncated =
            |a: &str, b: &str| a == b || (at_least_chars(a, 4) && b.starts_with(a));
        let mut i = 0;
        while i < keys.len() {
            let later = keys
                .get(i)
                .filter(|k| at_least_chars(k, MIN_KEY))
                .and_then(|k| first_at.get(k.as_ref()))
                .and_then(|v| v.iter().copied().find(|&j| j > i));
            let Some(j) = later else {
                i += 1;
                continue;
            };
            let (mut a, mut b) = (i, j);
            while a > 0 && b > a + 1 {
                let (pa, pb) = (a - 1, b - 1);
                if drop[pa] || keys[pa] != keys[pb] {
                    break;
                }
                drop[pa] = true;
                a = pa;
                b = pb;
            }
            let mut k = 0;
            while i + k < j && j + k < keys.len() {
                if !same_or_truncated(&keys[i + k], &keys[j + k]) {
                    break;
                }
                drop[i + k] = true;
                k += 1;
            }
            i += k.max(1);
        }
        drop
    }

    /// `repeated_or_truncated` as it was written first (a list of the paragraphs of every
    /// prefix), the reference for the version with a chain per prefix.
    /// The lines of `pool` at the indexes `picks`, as the line keys the functions take.
    fn picked<'a>(pool: &[&'a str], picks: &[usize]) -> Vec<Cow<'a, str>> {
        picks
            .iter()
            .map(|&i| Cow::Borrowed(pool.get(i).copied().unwrap_or("")))
            .collect()
    }

    fn repeated_or_truncated_reference(keys: &[Cow<'_, str>]) -> Vec<bool> {
        const MIN_KEY: usize = 10;
        const PREFIX: usize = 16;
        let mut by_prefix: FastMap<&str, Vec<usize>> = FastMap::default();
        for (i, k) in keys.iter().enumerate() {
            if at_least_chars(k, MIN_KEY) {
                by_prefix.entry(char_prefix(k, PREFIX)).or_default().push(i);
            }
        }
        let mut drop = vec![false; keys.len()];
        let mut seen: FastMap<&str, usize> = FastMap::default();
        for (i, k) in keys.iter().enumerate() {
            if !at_least_chars(k, MIN_KEY) {
                continue;
            }
            if seen.contains_key(k.as_ref()) {
                drop[i] = true;
                continue;
            }
            seen.insert(k.as_ref(), i);
            if at_least_chars(k, 20) {
                if let Some(others) = by_prefix.get(char_prefix(k, PREFIX)) {
                    drop[i] = others.iter().any(|&j| {
                        j > i && keys[j].len() > k.len() && keys[j].starts_with(k.as_ref())
                    });
                }
            }
        }
        drop
    }

    #[test]
    fn lines_are_the_standard_librarys_lines() {
        for text in [
            "",
            "\n",
            "a",
            "a\n",
            "a\r\n",
            "a\r",
            "\r\n\r\n",
            "a\n\nb\r",
            "甲\r\n乙\n\n",
        ] {
            assert_eq!(
                lines(text).collect::<Vec<_>>(),
                text.lines().collect::<Vec<_>>(),
                "{text:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn dedup_keys_of_ascii_spaced_lines_are_the_squashed_keys(
            text in "[甲乙a 。.…\u{3000}]{0,30}"
        ) {
            // what `normalize_whitespace` leaves: ' ' for every white space
            let line = text.replace('\u{3000}', " ");
            proptest::prop_assert_eq!(dedup_key(&line, true), dedup_key(&line, false));
        }

        #[test]
        fn lines_agree_with_the_standard_library(text in "[甲a \r\n]{0,80}") {
            proptest::prop_assert_eq!(lines(&text).collect::<Vec<_>>(), text.lines().collect::<Vec<_>>());
        }

        #[test]
        fn repeated_or_truncated_agrees_with_the_reference(
            picks in proptest::collection::vec(0usize..8, 0..40)
        ) {
            // keys sharing their first 16 characters, some a truncated copy of another
            let pool = [
                "这是第一段正文内容讲述了全县农业发展的总体情况",
                "这是第一段正文内容讲述了全县农业发展的总体情况和下一步打算",
                "这是第一段正文内容讲述了全县农业发展",
                "这是第一段正文内容讲述了全县工业发展的总体情况",
                "第二段正文内容讲述了工业发展的具体措施和成效",
                "短句",
                "这是第一段正文内容讲述了全县",
                "第二段正文内容讲述了工业发展的具体措施和成效以及问题",
            ];
            let keys = picked(&pool, &picks);
            proptest::prop_assert_eq!(
                repeated_or_truncated(&keys),
                repeated_or_truncated_reference(&keys)
            );
        }

        #[test]
        fn preview_copies_agree_with_the_reference(
            picks in proptest::collection::vec(0usize..8, 0..40)
        ) {
            // long lines, one of them a truncated copy of another, and short lines
            let pool = [
                "这是第一段正文内容，讲述了全县农业发展的总体情况。",
                "第二段正文内容，讲述了工业发展的具体措施和成效。",
                "第二段正文内容，讲述了工业发展的具体措施",
                "第三段正文内容，讲述了社会事业发展的情况。",
                "短句",
                "一、总体要求",
                "第四段正文内容，安排部署了下一步的重点工作任务。",
                "第三段正文内容",
            ];
            let keys = picked(&pool, &picks);
            proptest::prop_assert_eq!(preview_copies(&keys), preview_copies_reference(&keys));
        }
    }

    #[test]
    fn dedup_keeps_one_copy_of_a_preview() {
        let p = |s: &str| s.to_string();
        let out = dedup_paragraphs(
            vec![
                p("这是第一段正文内容，讲述了全县农业发展的总体情况。"),
                p("第二段正文内容，讲述了工业发展的具体措施和成…"),
                p("这是第一段正文内容，讲述了全县农业发展的总体情况。"),
                p("第二段正文内容，讲述了工业发展的具体措施和成效。"),
                p("短句"),
                p("短句"),
            ],
            false,
        );
        assert_eq!(out.len(), 4);
        assert!(out[1].ends_with("成效。"));
    }
}
