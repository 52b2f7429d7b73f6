//! The types that flow between gongwen's stages.
//!
//! ```text
//! ingest:   InputFile ──► RawDoc        (or Failure)
//! clean:    RawDoc    ──► CleanDoc      (or Failure)
//! segment:  CleanDoc  ──► SegmentedDoc
//! tabulate: SegmentedDoc ──► tables (Parquet/CSV)
//! ```
//!
//! This crate holds data only: no I/O, no rules, no polars. Every stage crate depends on it
//! and on nothing else of gongwen's, so stages can be built, tested and replaced alone.
//!
//! **Offsets.** Every span ([`Span`]) is a pair of *character* offsets (Unicode scalar
//! values, like Python `str` indices) into the document's clean text, which is
//! [`CleanDoc::text`]: its paragraphs joined with `\n`. Slicing the clean text at a row's
//! span gives the row's `text`. Later stages never shift offsets.

/// A string stored inline when short (≤ 24 bytes), re-exported for stages that build tokens.
pub use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A half-open range `start..end` of character offsets into a document's clean text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Span {
    /// First character (inclusive).
    pub start: usize,
    /// One past the last character (exclusive).
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// Number of characters covered.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// True when the span covers no character.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The same span moved `by` characters to the right (used to turn offsets relative to a
    /// sentence or paragraph into offsets relative to the document).
    pub fn shifted(&self, by: usize) -> Span {
        Span {
            start: self.start + by,
            end: self.end + by,
        }
    }

    /// True when `other` lies inside this span.
    pub fn contains(&self, other: &Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }
}

/// Characters `span` of `text`, by character (not byte) offsets. Out-of-range ends are
/// clamped, so this never panics.
pub fn slice_chars(text: &str, span: Span) -> &str {
    let mut indices = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()));
    let start = indices.nth(span.start).unwrap_or(text.len());
    let end = if span.end > span.start {
        indices.nth(span.end - span.start - 1).unwrap_or(text.len())
    } else {
        start
    };
    text.get(start..end).unwrap_or("")
}

/// The file format ingest recognised (by content sniffing, then extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Plain text (also the fallback).
    Txt,
    /// A saved web page (`.html`, `.htm`, `.shtml`, `.aspx`, or HTML by content).
    Html,
    /// Markdown.
    Md,
    /// Word 2007+ document (a zip of XML parts).
    Docx,
    /// Other XML.
    Xml,
    /// One document per row of a CSV export, text in a configured column.
    Csv,
    /// One document per line of a JSON Lines export, text in a configured field.
    Jsonl,
    /// Not recognised as text (binary); such files become failures.
    Binary,
    /// A zip archive of other files, each read as documents of its own format; only a
    /// failure of the archive as a whole (corrupt, empty, nested too deep) has this format.
    Zip,
    /// Legacy Word 97–2003 document (an OLE2 compound file; WPS files saved in that format).
    Doc,
    /// Rich Text Format.
    Rtf,
    /// OpenDocument text (a zip of XML parts, from LibreOffice or WPS).
    Odt,
    /// A saved web archive (`.mht`: a MIME message holding the page and its images).
    Mht,
    /// PDF, read through `ingest.pdf_command` when one is configured.
    Pdf,
    /// OFD (GB/T 33190), the Chinese fixed-layout format for official documents.
    Ofd,
}

impl Format {
    /// The lowercase name written to the `format` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Txt => "txt",
            Format::Html => "html",
            Format::Md => "md",
            Format::Docx => "docx",
            Format::Xml => "xml",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::Binary => "binary",
            Format::Zip => "zip",
            Format::Doc => "doc",
            Format::Rtf => "rtf",
            Format::Odt => "odt",
            Format::Mht => "mht",
            Format::Pdf => "pdf",
            Format::Ofd => "ofd",
        }
    }
}

/// One input file found by ingest's directory walk and hashed, before it is parsed.
///
/// Hashing during discovery lets the driver order, deduplicate, shard and skip unchanged
/// files before any of them is processed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputFile {
    /// Path as found (input folder joined with the relative path), as text: the path of
    /// the file in the tables, the state file and the logs. A path that is not UTF-8 (a
    /// GBK or Big5 file name unpacked from a Windows zip) shows each byte that is not part
    /// of a UTF-8 character as `\xNN`, and [`InputFile::os_path`] holds the path to open.
    pub path: String,
    /// The path to open when `path` is not it (a path that is not UTF-8); see
    /// [`InputFile::open_path`].
    #[serde(skip)]
    pub os_path: Option<std::path::PathBuf>,
    /// Size in bytes when found.
    pub size: u64,
    /// 16 lowercase hex digits of the BLAKE3 hash of the file's bytes: the document id.
    pub doc_id: String,
    /// When an earlier file (in sorted path order) has the same bytes: its path.
    pub duplicate_of: Option<String>,
}

impl InputFile {
    /// The path to open: [`InputFile::os_path`] when set, else `path`.
    pub fn open_path(&self) -> &std::path::Path {
        match &self.os_path {
            Some(p) => p,
            None => std::path::Path::new(&self.path),
        }
    }
}

/// Facts about the source of one document, carried unchanged through every stage.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SourceInfo {
    /// Stable id derived from the file's bytes: 16 lowercase hex digits of its BLAKE3 hash.
    /// A record of a CSV/JSONL export gets `<file id>-<row index, 6 digits>`.
    pub doc_id: String,
    /// Path of the input file (for a record of an export: `path#row`).
    pub source_path: String,
    /// Format recognised, if the file could be read far enough to tell.
    pub format: Option<Format>,
    /// Encoding chosen by the decoder (`UTF-8`, `GB18030`, `Big5`, `UTF-16LE`, …).
    pub encoding: Option<String>,
    /// True when some bytes could not be decoded and were replaced by U+FFFD.
    pub bytes_replaced: bool,
    /// Size of the input in bytes.
    pub n_bytes: u64,
    /// When the file's bytes equal an earlier file's: that file's `source_path`.
    pub duplicate_of: Option<String>,
}

/// Metadata a page or file carries outside its text: HTML `<title>`/`<meta>`, docx core
/// properties, CSV/JSONL side columns. Clean uses it to fill the document's fields.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PageMeta {
    /// `<title>` or the docx title property.
    pub title: Option<String>,
    /// `<meta name=description>`.
    pub description: Option<String>,
    /// `<meta name=keywords>`.
    pub keywords: Option<String>,
    /// A publication date/time as written (`article:published_time`, `PubDate`, docx created…).
    pub published: Option<String>,
    /// The publisher or source (`<meta name=source>`, `og:site_name`…).
    pub source: Option<String>,
    /// The author (`<meta name=author>`, docx creator…).
    pub author: Option<String>,
}

/// What ingest produces for one document: decoded text with block structure as lines.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RawDoc {
    /// Where it came from.
    pub source: SourceInfo,
    /// Decoded text. HTML and docx blocks (p, div, br, li, td, h1–h6…) are separate lines.
    pub text: String,
    /// Metadata found outside the text.
    pub meta: PageMeta,
}

/// Script of the original input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Script {
    /// Simplified Chinese (or no Chinese at all).
    #[default]
    Simplified,
    /// Traditional Chinese: converted to simplified by clean.
    Traditional,
}

impl Script {
    /// The lowercase name written to the `script` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            Script::Simplified => "simplified",
            Script::Traditional => "traditional",
        }
    }
}

/// Kind of document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocType {
    /// A speech (讲话, 致辞, 同志们…).
    Speech,
    /// A news report (记者, 讯, 报道…).
    News,
    /// A work report (工作报告, 政府工作报告…).
    Report,
    /// Anything else.
    #[default]
    Other,
}

impl DocType {
    /// The lowercase name written to the `doc_type` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocType::Speech => "speech",
            DocType::News => "news",
            DocType::Report => "report",
            DocType::Other => "other",
        }
    }
}

/// Counts of what clean changed or dropped in one document (for audit columns and logs).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CleanStats {
    /// Lines dropped as site chrome (navigation, ads, upload metadata…).
    pub lines_dropped: usize,
    /// Characters changed by traditional → simplified conversion.
    pub chars_converted: usize,
    /// Characters changed by width folding (full-width digits/Latin → ASCII).
    pub chars_width_folded: usize,
    /// Doc-mill corruptions found (旳 for 的 and similar), repaired or only counted per config.
    pub doc_mill_chars: usize,
    /// Redaction placeholders found (X, ＊, *, × standing for a name or number).
    pub placeholders: usize,
}

/// What clean produces: the author's text as paragraphs, plus the document's fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CleanDoc {
    /// Where it came from.
    pub source: SourceInfo,
    /// Script of the original input.
    pub script: Script,
    /// The document's own title, without site junk.
    pub title: Option<String>,
    /// The document's date, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// Publisher or site (来源).
    pub publisher: Option<String>,
    /// Kind of document.
    pub doc_type: DocType,
    /// The speaker of a speech, when the document names one.
    pub speaker: Option<String>,
    /// The main text, one entry per paragraph, none containing `\n`, none empty.
    pub paragraphs: Vec<String>,
    /// The text as ingest delivered it, before any cleaning, kept for audit.
    pub original: String,
    /// What cleaning changed.
    pub stats: CleanStats,
}

impl CleanDoc {
    /// The clean text every offset refers to: paragraphs joined with `\n`.
    pub fn text(&self) -> String {
        self.paragraphs.join("\n")
    }
}

/// A paragraph of the clean text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Paragraph {
    /// 0-based position in the document.
    pub para_idx: usize,
    /// Innermost section containing the paragraph's start (`2.3.1`), if any.
    pub section_id: Option<String>,
    /// Where it is in the clean text.
    pub span: Span,
    /// Its text (equals the clean text sliced at `span`).
    pub text: String,
}

/// A sentence of the clean text; sentences tile their paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentence {
    /// 0-based position in the document.
    pub sent_idx: usize,
    /// Paragraph it belongs to.
    pub para_idx: usize,
    /// Innermost section containing the sentence's start, if any.
    pub section_id: Option<String>,
    /// Where it is in the clean text.
    pub span: Span,
    /// Its text.
    pub text: String,
}

/// A numbered heading or unnumbered subheading and the text it governs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// Path of ordinals by position among siblings, 1-based: `2`, `2.3`, `2.3.1`.
    pub section_id: String,
    /// The parent's `section_id`; `None` at level 1.
    pub parent_id: Option<String>,
    /// 1 for the outermost numbering style of the document, 2 for the next nested, …
    pub level: u32,
    /// The numbering as written, with its punctuation (`一、`, `（一）`, `第一，`, `一是`); empty
    /// for an unnumbered subheading.
    pub marker: String,
    /// The number the marker states (一 → 1, ③ → 3), if it states one.
    pub ordinal: Option<u32>,
    /// The heading text without marker and final punctuation (see GUIDELINES.md).
    pub heading: String,
    /// From the marker to just before the next sibling or ancestor-sibling heading.
    pub span: Span,
}

/// A word from jieba-rs, with part of speech.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    /// Sentence it belongs to.
    pub sent_idx: usize,
    /// 0-based position in the sentence.
    pub tok_idx: usize,
    /// The word (equals the clean text sliced at `span`); stored inline when short (most
    /// words), so millions of tokens cost no allocation each.
    pub word: CompactString,
    /// jieba POS tag (`n`, `v`, `nr`, `ns`, `nt`, `m`, `x`…), stored inline.
    pub pos: CompactString,
    /// Where it is in the clean text.
    pub span: Span,
}

/// Type of a named entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EntityType {
    /// A person.
    Per,
    /// A place: country, province, city, county, district, town, river, region, venue.
    Loc,
    /// An organisation: company, government body, party committee, media, school.
    Org,
    /// A quoted slogan, campaign, programme or policy name.
    Term,
}

impl EntityType {
    /// The name written to the `type` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            EntityType::Per => "PER",
            EntityType::Loc => "LOC",
            EntityType::Org => "ORG",
            EntityType::Term => "TERM",
        }
    }
}

/// One mention of a named entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Sentence it is in.
    pub sent_idx: usize,
    /// Innermost section it is in, if any.
    pub section_id: Option<String>,
    /// Where it is in the clean text.
    pub span: Span,
    /// The mention as written.
    pub text: String,
    /// PER, LOC, ORG or TERM.
    pub entity_type: EntityType,
    /// For PER: the title written next to the name (`市委书记`, `记者`, `市委副书记、市长`).
    pub title: Option<String>,
    /// True when the mention contains a redaction placeholder (X, ＊, *…).
    pub redacted: bool,
}

/// What a number measures (see GUIDELINES.md for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    /// 423亿元, 8000美元.
    Money,
    /// 3.5%, 百分之十五.
    Percent,
    /// 6个百分点.
    PercentPoint,
    /// 41家, 九个, 四批.
    Count,
    /// 2000吨, 一公里.
    Measure,
    /// 2023年 (a calendar year).
    Year,
    /// 2023年2月28日, 4月18日, 2月份.
    Date,
    /// 1-5月份 (a span of months or days).
    Period,
    /// 三年, 140多年, X个月.
    Duration,
    /// 第16位, 500强.
    Rank,
    /// 翻两番, 2倍.
    Multiple,
    /// A number inside a product or programme name (5G, “5+2+2”).
    Name,
    /// Anything else.
    Other,
}

impl NumberKind {
    /// The snake_case name written to the `kind` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            NumberKind::Money => "money",
            NumberKind::Percent => "percent",
            NumberKind::PercentPoint => "percent_point",
            NumberKind::Count => "count",
            NumberKind::Measure => "measure",
            NumberKind::Year => "year",
            NumberKind::Date => "date",
            NumberKind::Period => "period",
            NumberKind::Duration => "duration",
            NumberKind::Rank => "rank",
            NumberKind::Multiple => "multiple",
            NumberKind::Name => "name",
            NumberKind::Other => "other",
        }
    }
}

/// One mention of a number, normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NumberMention {
    /// Sentence it is in.
    pub sent_idx: usize,
    /// Innermost section it is in, if any.
    pub section_id: Option<String>,
    /// Where it is in the clean text.
    pub span: Span,
    /// The mention as written, with unit and qualifier (`140多年`, `X亿元`).
    pub text: String,
    /// What it measures.
    pub kind: NumberKind,
    /// Value in base units (423亿元 → 42300000000); `None` for ranges, dates and placeholders.
    pub value: Option<f64>,
    /// Lower end of a range (1-5月份 → 1).
    pub low: Option<f64>,
    /// Upper end of a range (1-5月份 → 5).
    pub high: Option<f64>,
    /// Base unit (`元`, `%`, `百分点`, `吨`, `年`, `倍`, `位`…).
    pub unit: Option<String>,
    /// For dates: ISO 8601 (`2023-02-28`, `--04-18`, `--05`).
    pub iso: Option<String>,
    /// 多, 余, 以上, 超, 近, 约, 左右, 不到, 过 when attached to the number.
    pub qualifier: Option<String>,
    /// True when the digits are a placeholder (X亿元).
    pub redacted: bool,
    /// The indicator measured, from the words before it in the clause (工业总产值).
    pub subject: Option<String>,
}

/// One keyword of a document, ranked by TF-IDF over the documents of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyword {
    /// 1 for the highest weight.
    pub rank: usize,
    /// The word.
    pub word: String,
    /// Its TF-IDF weight.
    pub weight: f64,
}

/// Everything segment found in one document. Tabulate turns it into table rows.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SegmentedDoc {
    /// The cleaned document (fields and paragraph strings).
    pub doc: CleanDoc,
    /// Paragraphs with offsets and sections.
    pub paragraphs: Vec<Paragraph>,
    /// Sentences, in order, tiling each paragraph.
    pub sentences: Vec<Sentence>,
    /// Sections in reading order.
    pub sections: Vec<Section>,
    /// Tokens in order, tiling each sentence.
    pub tokens: Vec<Token>,
    /// Entity mentions in order.
    pub entities: Vec<Entity>,
    /// Number mentions in order.
    pub numbers: Vec<NumberMention>,
}

/// The stage at which a document failed or was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Finding, reading, sniffing or decoding the file.
    Ingest,
    /// Cleaning the decoded text.
    Clean,
    /// Segmenting the clean text.
    Segment,
    /// Writing tables.
    Tabulate,
}

impl Stage {
    /// The lowercase name written to the `stage` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            Stage::Ingest => "ingest",
            Stage::Clean => "clean",
            Stage::Segment => "segment",
            Stage::Tabulate => "tabulate",
        }
    }
}

/// Outcome of a document that produced no content rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureStatus {
    /// Could not be processed (unreadable, binary, corrupt, too large…).
    Error,
    /// Nothing left (0 bytes, empty after decoding, or nothing but site chrome).
    Empty,
    /// Same bytes as an earlier file (`SourceInfo::duplicate_of`); processed once, under that
    /// file. Gets a `documents` row but no `errors` row.
    Duplicate,
}

impl FailureStatus {
    /// The lowercase name written to the `status` column.
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureStatus::Error => "error",
            FailureStatus::Empty => "empty",
            FailureStatus::Duplicate => "duplicate",
        }
    }
}

/// A document that did not make it through the pipeline: it still gets a `documents` row
/// (with this status) and an `errors` row (with this stage and message).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// What is known about the source (at least `doc_id` if the bytes could be read, and
    /// `source_path`).
    pub source: SourceInfo,
    /// Where it failed.
    pub stage: Stage,
    /// Error or empty.
    pub status: FailureStatus,
    /// Why, in plain words, quoting the offending value.
    pub message: String,
}

/// What the pipeline produced for one document: its content, or why there is none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant)]
pub enum DocOutcome {
    /// Processed.
    Done(SegmentedDoc),
    /// Failed or empty.
    Failed(Failure),
}

impl DocOutcome {
    /// The document's source facts, whichever the outcome.
    pub fn source(&self) -> &SourceInfo {
        match self {
            DocOutcome::Done(d) => &d.doc.source,
            DocOutcome::Failed(f) => &f.source,
        }
    }
}

/// One problem found while validating a config section, with its TOML path
/// (`ingest.max_file_mb`). `gongwen check` prints all of them at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigProblem {
    /// TOML path of the offending key.
    pub path: String,
    /// What is wrong, quoting the offending value.
    pub message: String,
}

impl ConfigProblem {
    /// A problem at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_chars_counts_characters_not_bytes() {
        let text = "同志们：今天";
        assert_eq!(slice_chars(text, Span::new(0, 3)), "同志们");
        assert_eq!(slice_chars(text, Span::new(4, 6)), "今天");
        assert_eq!(slice_chars(text, Span::new(4, 99)), "今天");
        assert_eq!(slice_chars(text, Span::new(99, 100)), "");
        assert_eq!(slice_chars(text, Span::new(3, 3)), "");
    }

    #[test]
    fn span_shift_and_contains() {
        let s = Span::new(2, 5);
        assert_eq!(s.shifted(10), Span::new(12, 15));
        assert!(Span::new(0, 10).contains(&s));
        assert_eq!(s.len(), 3);
    }
}
