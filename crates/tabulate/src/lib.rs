//! Tabulate: turns segmented documents into tables and writes them as Parquet and CSV.
//!
//! In: one [`DocOutcome`] at a time, in `doc_id` order (the driver guarantees it), then each
//! document's keywords. Out: one `<table>.parquet` (zstd) and/or `<table>.csv` (UTF-8, with a
//! BOM by default) per table, or part files `<table>.<part>.<ext>` for a shard, plus
//! [`merge_parts`] to combine part files into whole tables. The tables and their columns are
//! listed by [`schemas`] and documented in `docs/tables.md`.
//!
//! Rows are streamed: each row goes straight from the model structs into a CSV byte buffer
//! (`csv_out`, written out every megabyte) and into typed column buffers (`parquet_out`),
//! which become Arrow arrays and a Parquet row group every `batch_rows` rows, so memory does
//! not grow with the corpus. Output depends only on the rows and the config, so the same input
//! gives byte-identical files. Files are synced to disk together on `finish`.
//!
//! Tabulate does NOT sort (rows must arrive in order), decide what a document contains (the
//! earlier stages do), or move the files into place (the driver writes into a staging folder
//! and renames it). It is the only crate that uses polars.

use std::path::{Path, PathBuf};

use gongwen_model::{ConfigProblem, DocOutcome, Keyword};
use serde::Deserialize;

mod csv_out;
mod delta;
mod dict;
mod merge;
mod parquet_out;
mod plain;
mod rows;
mod schema;
mod sink;

pub use merge::{merge_parts, merge_parts_into, read_row_counts, TableFileCounts};

use schema::{Table, TABLES};
use sink::{SinkOptions, TableSink};

/// The output formats gongwen can write.
pub const FORMATS: [&str; 2] = ["parquet", "csv"];

/// `[output]` section of pipeline.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// Output folder, relative to the config file's folder. Default `out`.
    #[serde(default = "default_dir")]
    pub dir: PathBuf,
    /// File formats to write, any of `parquet`, `csv`. Default `["parquet", "csv"]`.
    #[serde(default = "default_formats")]
    pub formats: Vec<String>,
    /// Tables to write. Default: all of them (`documents`, `paragraphs`, `sentences`,
    /// `sections`, `tokens`, `entities`, `entity_counts`, `numbers`, `keywords`, `errors`).
    /// Leaving out `tokens` saves most of the output size and a tenth to a fifth of a run's
    /// time.
    #[serde(default = "default_tables")]
    pub tables: Vec<String>,
    /// Tables of `tables` that also get a CSV file when `formats` has `csv`. Default: all of
    /// them. Leaving out `tokens` keeps its Parquet file but not its CSV, which runs to about
    /// 150 k rows per MB of input (Excel shows at most 1,048,576) and takes about a tenth of a
    /// run to write.
    #[serde(default)]
    pub csv_tables: Option<Vec<String>>,
    /// Start CSV files with a UTF-8 byte order mark, so Excel shows Chinese correctly.
    /// Default `true`.
    #[serde(default = "default_csv_bom")]
    pub csv_bom: bool,
    /// zstd compression level of Parquet files, 1 (fastest) to 22 (smallest). Default `1`:
    /// level 3 gives files ~5 % smaller for ~25 % more time spent compressing (most of it on
    /// a token's word).
    #[serde(default = "default_zstd_level")]
    pub zstd_level: i32,
    /// Rows per Parquet row group: rows are buffered per table and written every
    /// `batch_rows` rows, so this bounds the writer's memory. Default `16384`: larger row groups
    /// made peak memory grow with the corpus (measured: 65536 gave 1.5× the peak RSS on a 200 MB
    /// corpus as on a 20 MB one, 16384 gives 1.27×).
    #[serde(default = "default_batch_rows")]
    pub batch_rows: usize,
}

fn default_dir() -> PathBuf {
    PathBuf::from("out")
}

fn default_formats() -> Vec<String> {
    FORMATS.iter().map(|s| s.to_string()).collect()
}

fn default_tables() -> Vec<String> {
    TABLES.iter().map(|t| t.name.to_string()).collect()
}

fn default_csv_bom() -> bool {
    true
}

fn default_zstd_level() -> i32 {
    1
}

fn default_batch_rows() -> usize {
    16_384
}

impl Default for OutputConfig {
    fn default() -> Self {
        OutputConfig {
            dir: default_dir(),
            formats: default_formats(),
            tables: default_tables(),
            csv_tables: None,
            csv_bom: default_csv_bom(),
            zstd_level: default_zstd_level(),
            batch_rows: default_batch_rows(),
        }
    }
}

impl OutputConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        if self.dir.as_os_str().is_empty() {
            problems.push(ConfigProblem::new("output.dir", "must not be empty"));
        }
        if self.formats.is_empty() {
            problems.push(ConfigProblem::new(
                "output.formats",
                "must name at least one of \"parquet\", \"csv\"",
            ));
        }
        for (i, format) in self.formats.iter().enumerate() {
            let path = format!("output.formats[{i}]");
            if !FORMATS.contains(&format.as_str()) {
                problems.push(ConfigProblem::new(
                    path,
                    format!("unknown format {format:?}; expected \"parquet\" or \"csv\""),
                ));
            } else if self
                .formats
                .get(..i)
                .is_some_and(|before| before.contains(format))
            {
                problems.push(ConfigProblem::new(
                    path,
                    format!("format {format:?} is listed twice"),
                ));
            }
        }
        if self.tables.is_empty() {
            problems.push(ConfigProblem::new(
                "output.tables",
                "must name at least one table",
            ));
        }
        check_table_names("output.tables", &self.tables, &mut problems);
        if let Some(csv_tables) = &self.csv_tables {
            check_table_names("output.csv_tables", csv_tables, &mut problems);
            if !self.writes_format("csv") {
                problems.push(ConfigProblem::new(
                    "output.csv_tables",
                    "is set, but output.formats has no \"csv\"",
                ));
            }
            for (i, table) in csv_tables.iter().enumerate() {
                let known = TABLES.iter().any(|t| t.name == table);
                if known && !self.writes_table(table) {
                    problems.push(ConfigProblem::new(
                        format!("output.csv_tables[{i}]"),
                        format!("table {table:?} is not in output.tables"),
                    ));
                }
            }
        }
        if !(1..=22).contains(&self.zstd_level) {
            problems.push(ConfigProblem::new(
                "output.zstd_level",
                format!("{} is out of range; expected 1 to 22", self.zstd_level),
            ));
        }
        if self.batch_rows == 0 {
            problems.push(ConfigProblem::new(
                "output.batch_rows",
                "0 is out of range; expected at least 1",
            ));
        }
        problems
    }

    /// True when `format` (`parquet` or `csv`) is written.
    pub fn writes_format(&self, format: &str) -> bool {
        self.formats.iter().any(|f| f == format)
    }

    /// True when `table` is written.
    pub fn writes_table(&self, table: &str) -> bool {
        self.tables.iter().any(|t| t == table)
    }

    /// True when `table` gets a CSV file: CSV is among the formats, and the table among the
    /// tables and `csv_tables` (when set).
    pub fn writes_csv_of(&self, table: &str) -> bool {
        self.writes_format("csv")
            && self.writes_table(table)
            && self
                .csv_tables
                .as_ref()
                .is_none_or(|tables| tables.iter().any(|t| t == table))
    }

    /// What the sink of `table` writes.
    fn sink_options(&self, table: &str) -> SinkOptions {
        SinkOptions {
            parquet: self.writes_format("parquet"),
            csv: self.writes_csv_of(table),
            csv_bom: self.csv_bom,
            zstd_level: self.zstd_level,
            batch_rows: self.batch_rows,
        }
    }
}

/// Errors writing tables.
#[derive(Debug, thiserror::Error)]
pub enum TabulateError {
    /// An I/O error, with the path involved.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// polars failed to write or read a Parquet file.
    #[error("parquet error on {path}: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: polars::prelude::PolarsError,
    },
    /// The csv writer or reader failed.
    #[error("csv error on {path}: {source}")]
    Csv {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: csv::Error,
    },
    /// The `[output]` config has problems (see [`OutputConfig::validate`]).
    #[error("invalid [output] config: {}", .0.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; "))]
    Config(Vec<ConfigProblem>),
    /// A part name that cannot be part of a file name.
    #[error("invalid part name {0:?}: use letters, digits, '-' and '_' only")]
    BadPartName(String),
    /// Files or rows that do not fit together (a part file with other columns, row counts of
    /// Parquet and CSV that differ…).
    #[error("{path}: {message}")]
    Mismatch {
        /// The file or table.
        path: PathBuf,
        /// What does not fit.
        message: String,
    },
    /// `merge_parts` found no part files.
    #[error("no part files to merge in {0}")]
    NoParts(PathBuf),
}

/// One column of a table: name, type and meaning (for `gongwen schema` and the README).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSchema {
    /// Column name.
    pub name: &'static str,
    /// Type as users see it (`str`, `i64`, `f64`, `bool`, `str?` for nullable…).
    pub dtype: &'static str,
    /// What it holds.
    pub doc: &'static str,
}

/// One table's name and columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSchema {
    /// Table name (file stem: `documents` → `documents.parquet`, `documents.csv`).
    pub name: &'static str,
    /// Its columns, in order.
    pub columns: Vec<ColumnSchema>,
}

/// The name of every file a [`TableWriter`] can write for `part` (see
/// [`TableWriter::create`]), in every format: `documents.parquet`, `documents.csv`, … or
/// `documents.part-0-of-4.parquet`, …; whichever tables and formats the config asks for.
pub fn table_file_names(part: Option<&str>) -> Vec<String> {
    TABLES
        .iter()
        .flat_map(|t| FORMATS.map(|ext| sink::file_name(t.name, part, ext)))
        .collect()
}

/// Every table gongwen writes, with its columns.
pub fn schemas() -> Vec<TableSchema> {
    TABLES
        .iter()
        .map(|t| TableSchema {
            name: t.name,
            columns: t
                .columns
                .iter()
                .map(|c| ColumnSchema {
                    name: c.name,
                    dtype: c.kind.user_name(),
                    doc: c.doc,
                })
                .collect(),
        })
        .collect()
}

/// Rows written per table.
pub type RowCounts = Vec<(&'static str, usize)>;

/// Problems with a list of table names at TOML path `path`: unknown names, names listed twice.
fn check_table_names(path: &str, tables: &[String], problems: &mut Vec<ConfigProblem>) {
    for (i, table) in tables.iter().enumerate() {
        let at = format!("{path}[{i}]");
        if !TABLES.iter().any(|t| t.name == table) {
            let known: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
            problems.push(ConfigProblem::new(
                at,
                format!(
                    "unknown table {table:?}; expected one of {}",
                    known.join(", ")
                ),
            ));
        } else if tables.get(..i).is_some_and(|before| before.contains(table)) {
            problems.push(ConfigProblem::new(
                at,
                format!("table {table:?} is listed twice"),
            ));
        }
    }
}

/// True when `part` can be used in a file name (`part-0-of-4`).
fn valid_part_name(part: &str) -> bool {
    !part.is_empty()
        && part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Appends rows of every table, one document at a time, and writes the files on `finish`.
pub struct TableWriter {
    dir: PathBuf,
    sinks: rows::Sinks,
    syncer: sink::Syncer,
}

impl std::fmt::Debug for TableWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableWriter")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl TableWriter {
    /// Starts writing every table into `dir` (a staging folder, created if missing). `part`
    /// names part files of a shard (`documents.part-0-of-4.parquet`); `None` writes
    /// `documents.parquet`. Fails on an invalid config or part name, or when a file cannot be
    /// created.
    pub fn create(
        config: &OutputConfig,
        dir: &Path,
        part: Option<&str>,
    ) -> Result<TableWriter, TabulateError> {
        let problems = config.validate();
        if !problems.is_empty() {
            return Err(TabulateError::Config(problems));
        }
        if let Some(p) = part {
            if !valid_part_name(p) {
                return Err(TabulateError::BadPartName(p.to_string()));
            }
        }
        std::fs::create_dir_all(dir).map_err(|source| TabulateError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let syncer = sink::Syncer::start();
        let mut sinks: [Option<TableSink>; schema::N_TABLES] = Default::default();
        for (slot, table) in sinks.iter_mut().zip(Table::ALL) {
            let def = table.def();
            if config.writes_table(def.name) {
                *slot = Some(TableSink::create(
                    def,
                    dir,
                    part,
                    &config.sink_options(def.name),
                    syncer.requests(),
                )?);
            }
        }
        Ok(TableWriter {
            dir: dir.to_path_buf(),
            sinks: rows::Sinks(sinks),
            syncer,
        })
    }

    /// Appends the rows of one document (a failure gives a `documents` row and, unless it is
    /// a duplicate, an `errors` row). Documents must arrive in `doc_id` order.
    pub fn write_doc(&mut self, outcome: &DocOutcome) -> Result<(), TabulateError> {
        self.sinks.write_outcome(outcome)
    }

    /// Appends one document's keywords (called after all documents, in `doc_id` order).
    pub fn write_keywords(
        &mut self,
        doc_id: &str,
        keywords: &[Keyword],
    ) -> Result<(), TabulateError> {
        self.sinks.write_keywords(doc_id, keywords)
    }

    /// Writes out, syncs to disk and closes every file; returns rows written per written table,
    /// in table order.
    pub fn finish(self) -> Result<RowCounts, TabulateError> {
        let mut counts = Vec::new();
        let mut files = Vec::new();
        for (slot, table) in self.sinks.0.into_iter().zip(Table::ALL) {
            if let Some(sink) = slot {
                let (rows, written) = sink.finish()?;
                counts.push((table.def().name, rows));
                files.extend(written);
            }
        }
        // The background syncs first (every file is closed for writing, so the thread ends),
        // then whatever they left.
        self.syncer.finish()?;
        sink::sync_all(&files)?;
        Ok(counts)
    }
}
