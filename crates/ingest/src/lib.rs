//! Ingest: finds input files and turns each into decoded text ([`RawDoc`]).
//!
//! [`Ingest::discover`] walks the input folders (sorted, filtered by globs, hidden files and
//! symlink loops handled) and hashes every file with BLAKE3 (streaming): the hash is the
//! document id and marks exact duplicates. [`Ingest::read`] sniffs the format by content
//! (magic bytes, then the decoded text, then the extension), detects the encoding (never
//! assumed: BOM, UTF-8 validity, then scored candidates GB18030/Big5/UTF-16/chardetng), and
//! extracts text with block structure as lines: HTML (also from `.mht` web archives) through
//! a real parser (chrome *elements* dropped, metadata kept), the paragraphs and table cells
//! of docx, legacy doc, RTF and odt, the paragraphs of OFD pages rebuilt from their layout,
//! XML, one document per record of CSV/JSONL exports, and every file inside a zip archive.
//!
//! Ingest does NOT clean: plain text (`.txt`, `.md`) is delivered as decoded, with stray
//! tags, site chrome lines, traditional characters and full-width forms left for clean; only
//! line endings are normalised to `\n`. Every file ends as a [`RawDoc`] or a [`Failure`]
//! (stage `ingest`, status `error` or `empty`, a lowercase message quoting the value);
//! nothing panics and memory is bounded by the size limits. See `docs/ingest.md`.

// `Result<RawDoc, Failure>` is the contract of the model crate; Failure is large by design.
#![allow(clippy::result_large_err)]

mod archive;
mod decode;
mod doc;
mod docx;
mod html;
mod layout;
mod mht;
mod ofd;
mod pdf;
mod records;
mod rtf;
mod scan;
mod sniff;
mod walk;
mod xml;

use std::io::Read;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use gongwen_model::{
    ConfigProblem, Failure, FailureStatus, Format, InputFile, PageMeta, RawDoc, SourceInfo, Stage,
};
use serde::Deserialize;

pub use decode::{decode, score_text, Decoded, TextScore};
pub use html::extract_html;
pub use sniff::{looks_like_html_page, text_format};

/// `[ingest]` section of pipeline.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// Input folders (or single files), relative to the config file's folder, walked
    /// recursively. Default: `["data/samples"]`. The driver's `--input` replaces it.
    #[serde(default = "default_inputs")]
    pub inputs: Vec<PathBuf>,
    /// Globs a file's path relative to its input folder must match to be read (`*` also
    /// matches `/`); empty means every file. Default: `[]`.
    #[serde(default)]
    pub include: Vec<String>,
    /// Globs (relative to the input folder) of files and folders to skip. Default: `[]`.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Read hidden files and folders (name starting with `.`). Default: `false`.
    #[serde(default)]
    pub hidden: bool,
    /// Extensions of files that are never documents, left out of the walk (and of zip
    /// archives) like excluded files: a saved web page's `*_files/` folder of styles, scripts,
    /// images and fonts, media, programs. Matched without case; `[]` reads every file.
    /// Default: [`DEFAULT_SKIP_EXTENSIONS`].
    #[serde(default = "default_skip_extensions")]
    pub skip_extensions: Vec<String>,
    /// Follow symbolic links (loops are detected and reported). Default: `true`.
    #[serde(default = "default_follow_symlinks")]
    pub follow_symlinks: bool,
    /// Largest file read, in MB (MiB); larger files fail with status `error`. Also bounds
    /// each file inside a zip archive and all of one archive's files together. Default: `64`.
    #[serde(default = "default_max_file_mb")]
    pub max_file_mb: f64,
    /// Most bytes one docx part may decompress to, in MB; more is a zip bomb. Default: `64`.
    #[serde(default = "default_max_docx_uncompressed_mb")]
    pub max_docx_uncompressed_mb: f64,
    /// Highest uncompressed/compressed ratio of a docx part, or of a file inside a zip
    /// archive, over 1 MB; more is a zip bomb. Default: `100`.
    #[serde(default = "default_max_docx_ratio")]
    pub max_docx_ratio: u64,
    /// A command that prints a PDF's text on standard output, `{}` standing for the PDF's
    /// path, run in its own process: e.g. poppler's `["pdftotext", "-bbox-layout", "-enc",
    /// "UTF-8", "{}", "-"]` (its XHTML of line boxes is recognised and the lines of a
    /// paragraph joined again). Default: `[]`, PDFs are not read (each gets an error row
    /// saying so).
    #[serde(default)]
    pub pdf_command: Vec<String>,
    /// Seconds `pdf_command` may run on one file before it is stopped (the file gets an error
    /// row). Default: `60`.
    #[serde(default = "default_command_timeout_seconds")]
    pub command_timeout_seconds: f64,
    /// CSV column holding a record's text (exact name, else case-insensitive). Default: `"text"`.
    #[serde(default = "default_text_key")]
    pub csv_text_column: String,
    /// CSV column with the title (used when present; `""` = none). Default: `"title"`.
    #[serde(default = "default_title_key")]
    pub csv_title_column: String,
    /// CSV column with the publication date (used when present). Default: `"date"`.
    #[serde(default = "default_date_key")]
    pub csv_date_column: String,
    /// CSV column with the source/publisher (used when present). Default: `"source"`.
    #[serde(default = "default_source_key")]
    pub csv_source_column: String,
    /// CSV column with the author (used when present). Default: `"author"`.
    #[serde(default = "default_author_key")]
    pub csv_author_column: String,
    /// CSV field delimiter, one ASCII character (`.tsv` files always use tab). Default: `","`.
    #[serde(default = "default_csv_delimiter")]
    pub csv_delimiter: String,
    /// JSONL field holding a record's text; a dotted path reaches into objects
    /// (`data.content`). Default: `"text"`.
    #[serde(default = "default_text_key")]
    pub jsonl_text_field: String,
    /// JSONL field with the title (used when present; `""` = none). Default: `"title"`.
    #[serde(default = "default_title_key")]
    pub jsonl_title_field: String,
    /// JSONL field with the publication date (used when present). Default: `"date"`.
    #[serde(default = "default_date_key")]
    pub jsonl_date_field: String,
    /// JSONL field with the source/publisher (used when present). Default: `"source"`.
    #[serde(default = "default_source_key")]
    pub jsonl_source_field: String,
    /// JSONL field with the author (used when present). Default: `"author"`.
    #[serde(default = "default_author_key")]
    pub jsonl_author_field: String,
}

fn default_inputs() -> Vec<PathBuf> {
    vec![PathBuf::from("data/samples")]
}
fn default_follow_symlinks() -> bool {
    true
}
fn default_max_file_mb() -> f64 {
    64.0
}
fn default_max_docx_uncompressed_mb() -> f64 {
    64.0
}
fn default_max_docx_ratio() -> u64 {
    100
}
fn default_text_key() -> String {
    "text".into()
}
fn default_title_key() -> String {
    "title".into()
}
fn default_date_key() -> String {
    "date".into()
}
fn default_source_key() -> String {
    "source".into()
}
fn default_author_key() -> String {
    "author".into()
}
fn default_csv_delimiter() -> String {
    ",".into()
}
/// The `pdf_command` the messages suggest (poppler's `pdftotext`, with line boxes), as written
/// in `pipeline.toml`.
pub const PDF_COMMAND_EXAMPLE: &str =
    r#"["pdftotext", "-bbox-layout", "-enc", "UTF-8", "{}", "-"]"#;

fn default_command_timeout_seconds() -> f64 {
    60.0
}

/// Extensions of files that are never documents (see [`IngestConfig::skip_extensions`]).
pub const DEFAULT_SKIP_EXTENSIONS: &[&str] = &[
    "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "bmp", "webp", "svg", "ico", "tif",
    "tiff", "woff", "woff2", "ttf", "otf", "eot", "swf", "mp3", "mp4", "m4a", "wav", "wma", "avi",
    "flv", "wmv", "mov", "mkv", "exe", "dll", "so", "class", "pyc",
];

fn default_skip_extensions() -> Vec<String> {
    DEFAULT_SKIP_EXTENSIONS
        .iter()
        .map(|e| e.to_string())
        .collect()
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            inputs: default_inputs(),
            include: Vec::new(),
            exclude: Vec::new(),
            hidden: false,
            skip_extensions: default_skip_extensions(),
            follow_symlinks: default_follow_symlinks(),
            max_file_mb: default_max_file_mb(),
            max_docx_uncompressed_mb: default_max_docx_uncompressed_mb(),
            max_docx_ratio: default_max_docx_ratio(),
            pdf_command: Vec::new(),
            command_timeout_seconds: default_command_timeout_seconds(),
            csv_text_column: default_text_key(),
            csv_title_column: default_title_key(),
            csv_date_column: default_date_key(),
            csv_source_column: default_source_key(),
            csv_author_column: default_author_key(),
            csv_delimiter: default_csv_delimiter(),
            jsonl_text_field: default_text_key(),
            jsonl_title_field: default_title_key(),
            jsonl_date_field: default_date_key(),
            jsonl_source_field: default_source_key(),
            jsonl_author_field: default_author_key(),
        }
    }
}

/// Largest accepted value of the MB limits (1 TiB).
const MAX_MB: f64 = 1024.0 * 1024.0;

fn mb_to_bytes(mb: f64) -> u64 {
    (mb * 1024.0 * 1024.0) as u64
}

fn compile_globs(
    patterns: &[String],
    key: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for (i, pattern) in patterns.iter().enumerate() {
        match Glob::new(pattern) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(e) => problems.push(ConfigProblem::new(
                format!("ingest.{key}[{i}]"),
                format!("bad glob {pattern:?}: {e}"),
            )),
        }
    }
    match builder.build() {
        Ok(set) => Some(set),
        Err(e) => {
            problems.push(ConfigProblem::new(
                format!("ingest.{key}"),
                format!("cannot build glob set: {e}"),
            ));
            None
        }
    }
}

impl IngestConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, base_dir: &Path) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if self.inputs.is_empty() {
            problems.push(ConfigProblem::new("ingest.inputs", "no input folder given"));
        }
        for (i, p) in self.inputs.iter().enumerate() {
            if !base_dir.join(p).exists() {
                problems.push(ConfigProblem::new(
                    format!("ingest.inputs[{i}]"),
                    format!("input folder {p:?} does not exist"),
                ));
            }
        }
        compile_globs(&self.include, "include", &mut problems);
        compile_globs(&self.exclude, "exclude", &mut problems);
        for (key, value) in [
            ("max_file_mb", self.max_file_mb),
            ("max_docx_uncompressed_mb", self.max_docx_uncompressed_mb),
        ] {
            if !(value > 0.0 && value <= MAX_MB) {
                problems.push(ConfigProblem::new(
                    format!("ingest.{key}"),
                    format!("must be a number of MB above 0 and at most {MAX_MB}, not {value}"),
                ));
            }
        }
        if self.max_docx_ratio < 2 {
            problems.push(ConfigProblem::new(
                "ingest.max_docx_ratio",
                format!("must be at least 2, not {}", self.max_docx_ratio),
            ));
        }
        for (i, ext) in self.skip_extensions.iter().enumerate() {
            if ext.is_empty() || ext.contains(['.', '/', '\\', '*']) {
                problems.push(ConfigProblem::new(
                    format!("ingest.skip_extensions[{i}]"),
                    format!("must be an extension without dot or wildcard (\"css\"), not {ext:?}"),
                ));
            }
        }
        if !self.pdf_command.is_empty()
            && !self.pdf_command.iter().skip(1).any(|a| a.contains("{}"))
        {
            problems.push(ConfigProblem::new(
                "ingest.pdf_command",
                "must be a program and its arguments, one of them holding {} for the PDF's path",
            ));
        }
        if !(self.command_timeout_seconds > 0.0 && self.command_timeout_seconds <= 86_400.0) {
            problems.push(ConfigProblem::new(
                "ingest.command_timeout_seconds",
                format!(
                    "must be a number of seconds above 0 and at most 86400, not {}",
                    self.command_timeout_seconds
                ),
            ));
        }
        if self.csv_delimiter.len() != 1 || !self.csv_delimiter.is_ascii() {
            problems.push(ConfigProblem::new(
                "ingest.csv_delimiter",
                format!("must be one ascii character, not {:?}", self.csv_delimiter),
            ));
        }
        for (key, value) in [
            ("csv_text_column", &self.csv_text_column),
            ("jsonl_text_field", &self.jsonl_text_field),
        ] {
            if value.trim().is_empty() {
                problems.push(ConfigProblem::new(
                    format!("ingest.{key}"),
                    "must name a column/field, not \"\"",
                ));
            }
        }
        for (key, value) in [
            ("jsonl_text_field", &self.jsonl_text_field),
            ("jsonl_title_field", &self.jsonl_title_field),
            ("jsonl_date_field", &self.jsonl_date_field),
            ("jsonl_source_field", &self.jsonl_source_field),
            ("jsonl_author_field", &self.jsonl_author_field),
        ] {
            if !value.is_empty() && value.split('.').any(str::is_empty) {
                problems.push(ConfigProblem::new(
                    format!("ingest.{key}"),
                    format!("dotted path {value:?} has an empty part"),
                ));
            }
        }
        problems
    }
}

/// Errors building the ingest stage.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The config is invalid.
    #[error("invalid [ingest] config: {}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Config(Vec<ConfigProblem>),
}

/// Why one file (or record) could not become a [`RawDoc`]; its `Display` is the message of
/// the [`Failure`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("cannot read file: {0}")]
    Io(String),
    /// Not a regular file.
    #[error("not a regular file: {0}")]
    NotAFile(String),
    /// Larger than `ingest.max_file_mb`.
    #[error("file is {size} bytes ({mb:.1} MB), over ingest.max_file_mb = {limit}")]
    TooLarge {
        /// File size in bytes.
        size: u64,
        /// File size in MB.
        mb: f64,
        /// The configured limit.
        limit: f64,
    },
    /// 0 bytes.
    #[error("file is empty (0 bytes)")]
    ZeroBytes,
    /// Decoded and extracted, nothing but whitespace is left.
    #[error("no text after decoding ({format}, {encoding})")]
    NoText {
        /// Format recognised.
        format: &'static str,
        /// Encoding chosen.
        encoding: String,
    },
    /// A known binary format.
    #[error("binary file: {0} (not supported)")]
    BinaryFormat(&'static str),
    /// Bytes that decode to garbage in every candidate encoding.
    #[error("binary content: {garbage} of the first {chars} characters are control or undecodable in the best encoding ({encoding})")]
    BinaryContent {
        /// Garbage characters in the sample.
        garbage: usize,
        /// Characters in the sample.
        chars: usize,
        /// Best encoding found.
        encoding: &'static str,
    },
    /// A docx problem.
    #[error("{0}")]
    Docx(#[from] docx::DocxError),
    /// A legacy `.doc` problem.
    #[error("{0}")]
    Doc(#[from] doc::DocError),
    /// An OFD problem.
    #[error("{0}")]
    Ofd(#[from] ofd::OfdError),
    /// A PDF, and no `ingest.pdf_command` to read it with.
    #[error("pdf not read: set ingest.pdf_command to a converter such as {PDF_COMMAND_EXAMPLE}")]
    PdfWithoutCommand,
    /// `ingest.pdf_command` failed on a PDF.
    #[error("pdf: {0}")]
    Pdf(String),
    /// A web archive (`.mht`) without a readable page.
    #[error("web archive (mht): {0}")]
    Mht(String),
    /// An RTF document that cannot be read.
    #[error("corrupt rtf: {0}")]
    Rtf(String),
    /// A zip archive, or a file inside one, that cannot be read (the message says why).
    #[error("{0}")]
    Archive(String),
    /// A zip archive with nothing but folders and left-out files.
    #[error("zip archive without files to read (only folders, hidden files, macOS metadata or files of ingest.skip_extensions)")]
    EmptyArchive,
    /// A CSV/JSONL export that cannot be split into records.
    #[error("{0}")]
    Export(String),
}

impl ReadError {
    /// `empty` for files with no text, `error` otherwise.
    pub fn status(&self) -> FailureStatus {
        match self {
            ReadError::ZeroBytes | ReadError::NoText { .. } | ReadError::EmptyArchive => {
                FailureStatus::Empty
            }
            _ => FailureStatus::Error,
        }
    }
}

/// The files found by [`Ingest::discover`], in sorted order, and those that could not be
/// looked at.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Files to read, sorted by path.
    pub files: Vec<InputFile>,
    /// Files or folders that could not even be listed or hashed (permission denied, symlink
    /// loop, vanished, not a regular file): each gets a `documents` and an `errors` row.
    pub failures: Vec<Failure>,
    /// Files left out on purpose (include/exclude globs, hidden, `skip_extensions`, symlinks
    /// not followed).
    pub skipped: usize,
}

/// The built ingest stage: immutable and `Sync`, so `read` can run on many threads.
#[derive(Debug)]
pub struct Ingest {
    inputs: Vec<PathBuf>,
    include: Option<GlobSet>,
    exclude: GlobSet,
    hidden: bool,
    /// Lowercase extensions left out.
    skip_extensions: Vec<String>,
    follow_symlinks: bool,
    max_file_bytes: u64,
    max_file_mb: f64,
    docx_limits: docx::DocxLimits,
    pdf: Option<pdf::PdfCommand>,
    csv_delimiter: u8,
    csv_fields: records::RecordFields,
    jsonl_fields: records::RecordFields,
}

/// Document id of something whose bytes cannot be read: 16 hex digits of BLAKE3 of
/// `"path:" + path`.
pub fn path_doc_id(path: &str) -> String {
    let hash = blake3::hash(format!("path:{path}").as_bytes());
    hash.to_hex().chars().take(16).collect()
}

/// Document id of bytes: 16 hex digits of their BLAKE3 hash.
pub fn bytes_doc_id(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().chars().take(16).collect()
}

/// The failure of `source` for `error`; a file that failed before its content was sniffed
/// gets the format its extension names.
fn failure(mut source: SourceInfo, error: &ReadError) -> Failure {
    if source.format.is_none() {
        source.format = sniff::format_of_extension(&sniff::extension(&source.source_path));
    }
    Failure {
        source,
        stage: Stage::Ingest,
        status: error.status(),
        message: error.to_string(),
    }
}

impl Ingest {
    /// Whether a file named `name` is left out for its extension (`skip_extensions`).
    pub(crate) fn skips_extension(&self, name: &str) -> bool {
        let ext = sniff::extension(name);
        !ext.is_empty() && self.skip_extensions.contains(&ext)
    }

    /// Ingest with the default config reading the one folder (or file) `folder`; for
    /// examples, benches and tests.
    pub fn for_folder(folder: &Path) -> Result<Ingest, IngestError> {
        let config = IngestConfig {
            inputs: vec![folder.to_path_buf()],
            ..IngestConfig::default()
        };
        Ingest::build(&config, folder)
    }

    /// Validates the config and resolves paths against `base_dir`.
    pub fn build(config: &IngestConfig, base_dir: &Path) -> Result<Ingest, IngestError> {
        let mut problems = config.validate(base_dir);
        let include = compile_globs(&config.include, "include", &mut problems);
        let exclude = compile_globs(&config.exclude, "exclude", &mut problems);
        problems.dedup();
        if !problems.is_empty() {
            return Err(IngestError::Config(problems));
        }
        let fields = |text: &str, title: &str, date: &str, source: &str, author: &str| {
            records::RecordFields {
                text: text.to_string(),
                title: title.to_string(),
                date: date.to_string(),
                source: source.to_string(),
                author: author.to_string(),
            }
        };
        Ok(Ingest {
            inputs: config.inputs.iter().map(|p| base_dir.join(p)).collect(),
            include: include.filter(|_| !config.include.is_empty()),
            exclude: exclude.unwrap_or_else(GlobSet::empty),
            hidden: config.hidden,
            skip_extensions: config
                .skip_extensions
                .iter()
                .map(|e| e.to_ascii_lowercase())
                .collect(),
            follow_symlinks: config.follow_symlinks,
            max_file_bytes: mb_to_bytes(config.max_file_mb),
            max_file_mb: config.max_file_mb,
            docx_limits: docx::DocxLimits {
                max_uncompressed_bytes: mb_to_bytes(config.max_docx_uncompressed_mb),
                max_ratio: config.max_docx_ratio,
            },
            pdf: (!config.pdf_command.is_empty()).then(|| pdf::PdfCommand {
                argv: config.pdf_command.clone(),
                timeout: std::time::Duration::from_secs_f64(config.command_timeout_seconds),
                max_output: mb_to_bytes(config.max_file_mb),
            }),
            csv_delimiter: config.csv_delimiter.bytes().next().unwrap_or(b','),
            csv_fields: fields(
                &config.csv_text_column,
                &config.csv_title_column,
                &config.csv_date_column,
                &config.csv_source_column,
                &config.csv_author_column,
            ),
            jsonl_fields: fields(
                &config.jsonl_text_field,
                &config.jsonl_title_field,
                &config.jsonl_date_field,
                &config.jsonl_source_field,
                &config.jsonl_author_field,
            ),
        })
    }

    /// Walks the input folders recursively (sorted by path, globs and hidden filter applied,
    /// symlink loops reported), hashes each file (streaming BLAKE3) and marks files whose bytes
    /// equal an earlier file's as duplicates. A 0-byte file gets a path-derived id and is never
    /// a duplicate (it is reported `empty` by [`Ingest::read`]).
    pub fn discover(&self) -> Discovery {
        walk::discover(self)
    }

    /// Reads one file into zero or more documents: one for a normal file, one per record for
    /// a CSV/JSONL export. Never panics; failures are returned, not raised.
    pub fn read(&self, file: &InputFile) -> Vec<Result<RawDoc, Failure>> {
        let mut source = SourceInfo {
            doc_id: file.doc_id.clone(),
            source_path: file.path.clone(),
            n_bytes: file.size,
            duplicate_of: file.duplicate_of.clone(),
            ..Default::default()
        };
        match self.read_bytes(file.open_path(), &file.path) {
            Ok(bytes) => {
                source.n_bytes = bytes.len() as u64;
                if source.doc_id.is_empty() {
                    source.doc_id = if bytes.is_empty() {
                        path_doc_id(&file.path)
                    } else {
                        bytes_doc_id(&bytes)
                    };
                }
                self.read_content(bytes, source, 0)
            }
            Err(e) => {
                if source.doc_id.is_empty() {
                    source.doc_id = path_doc_id(&file.path);
                }
                vec![Err(failure(source, &e))]
            }
        }
    }

    /// The error of a file (or a file inside an archive) of `size` bytes, over `max_file_mb`.
    fn too_large(&self, size: u64) -> ReadError {
        ReadError::TooLarge {
            size,
            mb: size as f64 / (1024.0 * 1024.0),
            limit: self.max_file_mb,
        }
    }

    /// Reads a file's bytes (`path`, shown as `shown`), refusing files over the size limit
    /// before reading them.
    fn read_bytes(&self, path: &Path, shown: &str) -> Result<Vec<u8>, ReadError> {
        // Checked before opening: opening a fifo would block.
        let meta = std::fs::metadata(path).map_err(|e| ReadError::Io(e.to_string()))?;
        if !meta.is_file() {
            return Err(ReadError::NotAFile(shown.to_string()));
        }
        let file = std::fs::File::open(path).map_err(|e| ReadError::Io(e.to_string()))?;
        if meta.len() > self.max_file_bytes {
            return Err(self.too_large(meta.len()));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(self.max_file_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ReadError::Io(e.to_string()))?;
        if bytes.len() as u64 > self.max_file_bytes {
            return Err(self.too_large(bytes.len() as u64));
        }
        Ok(bytes)
    }

    /// Sniffs, decodes and extracts the bytes of one file: by its signature (zip, OLE2, RTF,
    /// PDF, other binary formats), as a web archive, else as text ([`Ingest::read_text`]);
    /// `depth` counts the zip archives it is inside.
    fn read_content(
        &self,
        bytes: Vec<u8>,
        mut source: SourceInfo,
        depth: usize,
    ) -> Vec<Result<RawDoc, Failure>> {
        if bytes.is_empty() {
            return vec![Err(failure(source, &ReadError::ZeroBytes))];
        }
        let ext = sniff::extension(&source.source_path);
        // Office packages and OFDs are read from UTF-8 XML.
        let utf8 = |(text, meta): (String, PageMeta)| (text, meta, "UTF-8");
        let (format, extracted) = match sniff::magic(&bytes) {
            // A zip is an archive of documents, unless it is an office document (a `.docx`
            // always is one: it fails as such).
            Some(sniff::Magic::Zip) => match archive::open(&bytes) {
                archive::Opened::Archive(zip) if ext != "docx" && ext != "ofd" => {
                    return self.read_archive(zip, source, depth)
                }
                archive::Opened::Archive(zip) | archive::Opened::Package(zip)
                    if ofd::is_ofd(&zip) || ext == "ofd" =>
                {
                    let extracted = ofd::extract_ofd(zip, &self.docx_limits);
                    (Format::Ofd, extracted.map(utf8).map_err(ReadError::from))
                }
                archive::Opened::Archive(zip) | archive::Opened::Package(zip) => {
                    let (format, extracted) = docx::extract_package(zip, &self.docx_limits);
                    (format, extracted.map(utf8).map_err(ReadError::from))
                }
                archive::Opened::Unreadable(e) if ext == "zip" => (
                    Format::Zip,
                    Err(ReadError::Archive(format!("corrupt zip archive: {e}"))),
                ),
                archive::Opened::Unreadable(e) if ext == "ofd" => {
                    let error = format!("not a readable zip archive: {e}");
                    (Format::Ofd, Err(ofd::OfdError::Corrupt(error).into()))
                }
                archive::Opened::Unreadable(e) => {
                    let error = format!("not a readable zip archive: {e}");
                    (Format::Docx, Err(docx::DocxError::Corrupt(error).into()))
                }
            },
            Some(sniff::Magic::Ole2) => match doc::extract_doc(&bytes, self.max_file_bytes) {
                Ok((text, meta)) => (Format::Doc, Ok((text, meta, "UTF-16LE"))),
                Err(doc::DocError::NotWord) => (Format::Binary, Err(doc::DocError::NotWord.into())),
                Err(e) => (Format::Doc, Err(e.into())),
            },
            Some(sniff::Magic::Rtf) => (
                Format::Rtf,
                rtf::extract_rtf(&bytes).map_err(ReadError::Rtf),
            ),
            Some(sniff::Magic::Binary("PDF")) => (Format::Pdf, self.read_pdf(&bytes)),
            Some(sniff::Magic::Binary(name)) => {
                (Format::Binary, Err(ReadError::BinaryFormat(name)))
            }
            None if mht::looks_like_mhtml(&bytes, &ext) => (Format::Mht, read_mht(&bytes)),
            None => return self.read_text(bytes, source, &ext),
        };
        source.format = Some(format);
        vec![match extracted {
            Ok((text, meta, encoding)) => {
                source.encoding = Some(encoding.into());
                finish_doc(source, text, meta)
            }
            Err(e) => Err(failure(source, &e)),
        }]
    }

    /// A PDF through `ingest.pdf_command`.
    fn read_pdf(&self, bytes: &[u8]) -> Result<Extracted, ReadError> {
        let command = self.pdf.as_ref().ok_or(ReadError::PdfWithoutCommand)?;
        let pdf = command.text_of(bytes).map_err(ReadError::Pdf)?;
        if pdf::is_bbox_layout(&pdf.text) {
            let (text, meta) = pdf::bbox_layout_text(&pdf.text)
                .map_err(|e| ReadError::Pdf(format!("pdftotext -bbox-layout output: {e}")))?;
            return Ok((text, meta, pdf.encoding));
        }
        Ok((pdf.text, PageMeta::default(), pdf.encoding))
    }

    /// Decodes and extracts a file that is text: plain text, HTML, XML or an export.
    fn read_text(
        &self,
        bytes: Vec<u8>,
        mut source: SourceInfo,
        ext: &str,
    ) -> Vec<Result<RawDoc, Failure>> {
        // Only needed for the message of a `.docx` that is not a zip.
        let first_bytes: String = if ext == "docx" {
            bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
        } else {
            String::new()
        };
        let decoded = decode::decode(bytes);
        source.encoding = Some(decoded.encoding.to_string());
        source.bytes_replaced = decoded.bytes_replaced;
        let sample = decode::count_garbage(sniff::prefix_chars(&decoded.text, 65_536));
        if sample.looks_binary() {
            source.format = Some(Format::Binary);
            let error = ReadError::BinaryContent {
                garbage: sample.garbage,
                chars: sample.chars,
                encoding: decoded.encoding,
            };
            return vec![Err(failure(source, &error))];
        }
        if ext == "docx" && !sniff::looks_like_html_page(&decoded.text) {
            source.format = Some(Format::Docx);
            let error =
                docx::DocxError::Corrupt(format!("not a zip archive (first bytes {first_bytes})"));
            return vec![Err(failure(source, &ReadError::Docx(error)))];
        }
        let format = sniff::text_format(&decoded.text, ext);
        source.format = Some(format);
        match format {
            Format::Html => {
                let (text, meta) = html::extract_html(&decoded.text);
                vec![finish_doc(source, text, meta)]
            }
            Format::Xml => {
                let (text, meta) = match xml::xml_text(&decoded.text) {
                    Ok(text) => (text, PageMeta::default()),
                    Err(_) => html::extract_html(&decoded.text),
                };
                vec![finish_doc(source, text, meta)]
            }
            Format::Csv | Format::Jsonl => self.read_records(&decoded.text, ext, source),
            _ => vec![finish_doc(
                source,
                normalise_line_endings(decoded.text),
                PageMeta::default(),
            )],
        }
    }

    /// Splits an export into one document per record.
    fn read_records(
        &self,
        text: &str,
        ext: &str,
        source: SourceInfo,
    ) -> Vec<Result<RawDoc, Failure>> {
        let result = if source.format == Some(Format::Csv) {
            let delimiter = if ext == "tsv" {
                b'\t'
            } else {
                self.csv_delimiter
            };
            records::csv_records(text, delimiter, &self.csv_fields)
        } else {
            records::json_records(text, &self.jsonl_fields)
        };
        let recs = match result {
            Ok(recs) => recs,
            Err(message) => return vec![Err(failure(source, &ReadError::Export(message)))],
        };
        if recs.is_empty() {
            let error = ReadError::NoText {
                format: source.format.map_or("txt", |f| f.as_str()),
                encoding: source.encoding.clone().unwrap_or_default(),
            };
            return vec![Err(failure(source, &error))];
        }
        recs.into_iter()
            .map(|record| {
                let index = match &record {
                    records::Record::Text { index, .. } | records::Record::Failed { index, .. } => {
                        *index
                    }
                };
                let mut record_source = source.clone();
                record_source.doc_id = format!("{}-{index:06}", source.doc_id);
                record_source.source_path = format!("{}#{index}", source.source_path);
                match record {
                    records::Record::Text { text, meta, .. } => {
                        record_source.n_bytes = text.len() as u64;
                        Ok(RawDoc {
                            source: record_source,
                            text,
                            meta,
                        })
                    }
                    records::Record::Failed { empty, message, .. } => Err(Failure {
                        source: record_source,
                        stage: Stage::Ingest,
                        status: if empty {
                            FailureStatus::Empty
                        } else {
                            FailureStatus::Error
                        },
                        message,
                    }),
                }
            })
            .collect()
    }
}

/// `\r\n` and lone `\r` become `\n`.
fn normalise_line_endings(text: String) -> String {
    if scan::contains_byte(text.as_bytes(), b'\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

/// What a reader of a binary or container format gives: text lines, metadata and the name of
/// the encoding the text was decoded from.
type Extracted = (String, PageMeta, &'static str);

/// The page of a saved web archive, read like an HTML page (or a text).
fn read_mht(bytes: &[u8]) -> Result<Extracted, ReadError> {
    let page = mht::extract_mhtml(bytes).map_err(ReadError::Mht)?;
    let (text, meta) = if page.html {
        html::extract_html(&page.text)
    } else {
        (normalise_line_endings(page.text), PageMeta::default())
    };
    Ok((text, meta, page.encoding))
}

/// A document, or an `empty` failure when its text is only whitespace.
fn finish_doc(source: SourceInfo, text: String, meta: PageMeta) -> Result<RawDoc, Failure> {
    if text.trim().is_empty() {
        let error = ReadError::NoText {
            format: source.format.map_or("txt", |f| f.as_str()),
            encoding: source.encoding.clone().unwrap_or_default(),
        };
        return Err(failure(source, &error));
    }
    Ok(RawDoc { source, text, meta })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ingest() -> Ingest {
        let config = IngestConfig {
            inputs: vec![PathBuf::from(".")],
            ..IngestConfig::default()
        };
        Ingest::build(&config, Path::new(env!("CARGO_MANIFEST_DIR"))).expect("valid config")
    }

    fn source(ext: &str) -> SourceInfo {
        SourceInfo {
            doc_id: "0123456789abcdef".into(),
            source_path: format!("input.{ext}"),
            ..SourceInfo::default()
        }
    }

    const EXTENSIONS: &[&str] = &[
        "txt", "html", "docx", "csv", "tsv", "jsonl", "json", "xml", "md", "zip", "",
    ];

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000), ext in proptest::sample::select(EXTENSIONS)) {
            let out = ingest().read_content(bytes, source(ext), 0);
            prop_assert!(!out.is_empty());
            for result in out {
                match result {
                    Ok(doc) => prop_assert!(!doc.text.trim().is_empty()),
                    Err(f) => prop_assert!(!f.message.is_empty() && f.stage == Stage::Ingest),
                }
            }
        }

        #[test]
        fn bytes_after_a_zip_signature_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000), ext in proptest::sample::select(EXTENSIONS)) {
            let mut zip = b"PK\x03\x04".to_vec();
            zip.extend(bytes);
            let out = ingest().read_content(zip, source(ext), 0);
            prop_assert!(!out.is_empty());
        }

        #[test]
        fn a_damaged_archive_never_panics(flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            use std::io::Write as _;
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default();
            for (name, text) in [("a/讲话.txt", "同志们：今天召开会议。"), ("b.html", "<p>通知</p>")] {
                prop_assert!(zip.start_file(name, options).is_ok());
                prop_assert!(zip.write_all(text.as_bytes()).is_ok());
            }
            let mut bytes = zip.finish().map(|c| c.into_inner()).unwrap_or_default();
            for (at, byte) in flips {
                let len = bytes.len();
                if let Some(b) = bytes.get_mut(at % len.max(1)) {
                    *b = byte;
                }
            }
            let out = ingest().read_content(bytes, source("zip"), 0);
            prop_assert!(!out.is_empty());
        }

        #[test]
        fn bytes_after_an_rtf_signature_never_panic(text in "(\\\\[a-z]{0,6}-?[0-9]{0,3} ?|\\\\'[0-9a-f]{0,2}|[{}]|[^\\\\{}]{0,4}|\\\\[*~_{}])*") {
            let mut rtf = b"{\\rtf1".to_vec();
            rtf.extend(text.into_bytes());
            let out = ingest().read_content(rtf, source("rtf"), 0);
            prop_assert!(!out.is_empty());
        }

        #[test]
        fn a_damaged_web_archive_never_panics(body in "(--b\n|Content-Type: (text/html|multipart/related; boundary=b|text/plain); charset=(gbk|utf-8|x)\n|Content-Transfer-Encoding: (base64|quoted-printable)\n|\n|=[0-9A-F]{0,2}|[A-Za-z0-9+/=<>]{0,8}|--b--\n)*") {
            let mut mht = b"MIME-Version: 1.0\nContent-Type: multipart/related; boundary=b\n\n".to_vec();
            mht.extend(body.into_bytes());
            let out = ingest().read_content(mht, source("mht"), 0);
            prop_assert!(!out.is_empty());
        }

        #[test]
        fn markup_soup_never_panics(text in "(<[a-zA-Z/!?]{0,4}[ a-z=\"'/]{0,5}>?|[^<&]{0,4}|&[a-z#x0-9]{0,5};?|\n)*", ext in proptest::sample::select(EXTENSIONS)) {
            let out = ingest().read_content(text.into_bytes(), source(ext), 0);
            prop_assert!(!out.is_empty());
        }

        #[test]
        fn utf8_text_is_kept_verbatim(text in "[^\r\u{FEFF}\u{0}-\u{8}\u{E}-\u{1F}<]{1,200}") {
            prop_assume!(!text.trim().is_empty());
            let out = ingest().read_content(text.clone().into_bytes(), source("txt"), 0);
            prop_assert_eq!(out.len(), 1);
            if let Some(Ok(doc)) = out.first() {
                prop_assert_eq!(&doc.text, &text);
                prop_assert_eq!(doc.source.encoding.as_deref(), Some("UTF-8"));
            }
        }
    }

    #[test]
    fn line_endings_are_normalised() {
        let out = ingest().read_content(b"a\r\nb\rc\n".to_vec(), source("txt"), 0);
        assert!(matches!(out.first(), Some(Ok(doc)) if doc.text == "a\nb\nc\n"));
    }

    #[test]
    fn stray_tags_in_text_files_are_left_alone() {
        let text = "<cite id=\"x1\"></cite>\n<b id=\"x1\"></b>\n县委召开常委会议\n";
        let out = ingest().read_content(text.as_bytes().to_vec(), source("txt"), 0);
        assert!(
            matches!(out.first(), Some(Ok(doc)) if doc.text == text && doc.source.format == Some(Format::Txt))
        );
    }
}
