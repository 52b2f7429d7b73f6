//! Writers of one table: column buffers flushed in fixed-size batches to a Parquet file, and
//! rows streamed to a CSV file.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use polars::io::parquet::write::BatchedWriter;
use polars::polars_utils::compression::ZstdLevel;
use polars::prelude::{
    BooleanChunkedBuilder, ChunkedBuilder, Column, DataFrame, Float64Type, Int64Type, IntoColumn,
    IntoSeries, ParquetCompression, ParquetWriter, PrimitiveChunkedBuilder, Schema,
    StringChunkedBuilder,
};

use crate::schema::{Kind, TableDef};
use crate::TabulateError;

/// The UTF-8 byte order mark written at the start of CSV files when `csv_bom` is on.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One value of a row, borrowed from the document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Int(i64),
    OptInt(Option<i64>),
    Str(&'a str),
    OptStr(Option<&'a str>),
    F64(f64),
    OptF64(Option<f64>),
    Bool(bool),
}

impl Cell<'_> {
    fn kind(&self) -> Kind {
        match self {
            Cell::Int(_) => Kind::Int,
            Cell::OptInt(_) => Kind::OptInt,
            Cell::Str(_) => Kind::Str,
            Cell::OptStr(_) => Kind::OptStr,
            Cell::F64(_) => Kind::F64,
            Cell::OptF64(_) => Kind::OptF64,
            Cell::Bool(_) => Kind::Bool,
        }
    }

    /// Appends the CSV text of the value to `out` (empty for null). Floats use Rust's
    /// shortest round-trip form without exponent (`42300000000`, `0.035`), which Python's
    /// `float()` and every CSV reader parse back exactly.
    fn write_csv(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match self {
            Cell::Int(v) | Cell::OptInt(Some(v)) => write!(out, "{v}"),
            Cell::F64(v) | Cell::OptF64(Some(v)) => write!(out, "{v}"),
            Cell::Str(s) | Cell::OptStr(Some(s)) => {
                out.push_str(s);
                Ok(())
            }
            Cell::Bool(b) => write!(out, "{b}"),
            Cell::OptInt(None) | Cell::OptStr(None) | Cell::OptF64(None) => Ok(()),
        };
    }
}

/// A typed column buffer.
enum ColumnBuilder {
    Int(PrimitiveChunkedBuilder<Int64Type>),
    Str(StringChunkedBuilder),
    F64(PrimitiveChunkedBuilder<Float64Type>),
    Bool(BooleanChunkedBuilder),
}

impl ColumnBuilder {
    fn new(name: &str, kind: Kind, capacity: usize) -> ColumnBuilder {
        match kind {
            Kind::Int | Kind::OptInt => {
                ColumnBuilder::Int(PrimitiveChunkedBuilder::new(name.into(), capacity))
            }
            Kind::Str | Kind::OptStr => {
                ColumnBuilder::Str(StringChunkedBuilder::new(name.into(), capacity))
            }
            Kind::F64 | Kind::OptF64 => {
                ColumnBuilder::F64(PrimitiveChunkedBuilder::new(name.into(), capacity))
            }
            Kind::Bool => ColumnBuilder::Bool(BooleanChunkedBuilder::new(name.into(), capacity)),
        }
    }

    /// Appends a value; false when its kind does not fit the column.
    fn push(&mut self, cell: Cell<'_>) -> bool {
        match (self, cell) {
            (ColumnBuilder::Int(b), Cell::Int(v)) => b.append_value(v),
            (ColumnBuilder::Int(b), Cell::OptInt(v)) => b.append_option(v),
            (ColumnBuilder::Str(b), Cell::Str(v)) => b.append_value(v),
            (ColumnBuilder::Str(b), Cell::OptStr(v)) => b.append_option(v),
            (ColumnBuilder::F64(b), Cell::F64(v)) => b.append_value(v),
            (ColumnBuilder::F64(b), Cell::OptF64(v)) => b.append_option(v),
            (ColumnBuilder::Bool(b), Cell::Bool(v)) => b.append_value(v),
            _ => return false,
        }
        true
    }

    fn finish(self) -> Column {
        match self {
            ColumnBuilder::Int(b) => b.finish().into_series().into_column(),
            ColumnBuilder::Str(b) => b.finish().into_series().into_column(),
            ColumnBuilder::F64(b) => b.finish().into_series().into_column(),
            ColumnBuilder::Bool(b) => b.finish().into_series().into_column(),
        }
    }
}

/// A buffered file shared between polars' Parquet writer (which owns its writer and never
/// gives it back) and us (to flush and sync it once the footer is written).
#[derive(Clone)]
struct SharedFile(Arc<Mutex<BufWriter<File>>>);

impl SharedFile {
    fn with<T>(
        &self,
        f: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let mut guard = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("parquet file lock poisoned"))?;
        f(&mut guard)
    }
}

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.with(|w| w.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.with(|w| w.write_all(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.with(|w| w.flush())
    }
}

/// Wraps an error with the path it concerns.
pub(crate) fn io_err(path: &Path, source: std::io::Error) -> TabulateError {
    TabulateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Wraps an error with the path it concerns.
pub(crate) fn polars_err(path: &Path, source: polars::prelude::PolarsError) -> TabulateError {
    TabulateError::Parquet {
        path: path.to_path_buf(),
        source,
    }
}

/// Wraps an error with the path it concerns.
pub(crate) fn csv_err(path: &Path, source: csv::Error) -> TabulateError {
    TabulateError::Csv {
        path: path.to_path_buf(),
        source,
    }
}

/// A Parquet file written one row group per batch.
pub(crate) struct ParquetOut {
    path: PathBuf,
    schema: Schema,
    file: SharedFile,
    writer: BatchedWriter<SharedFile>,
}

impl ParquetOut {
    /// Creates `path` for a table of `schema`, zstd-compressed at `zstd_level`.
    pub(crate) fn create(
        path: &Path,
        schema: Schema,
        zstd_level: i32,
    ) -> Result<ParquetOut, TabulateError> {
        let level = ZstdLevel::try_new(zstd_level).map_err(|e| polars_err(path, e))?;
        let file = File::create(path).map_err(|e| io_err(path, e))?;
        let shared = SharedFile(Arc::new(Mutex::new(BufWriter::with_capacity(
            1 << 20,
            file,
        ))));
        let writer = ParquetWriter::new(shared.clone())
            .with_compression(ParquetCompression::Zstd(Some(level)))
            .batched(&schema)
            .map_err(|e| polars_err(path, e))?;
        Ok(ParquetOut {
            path: path.to_path_buf(),
            schema,
            file: shared,
            writer,
        })
    }

    /// Writes `df` (which must have the table's schema) as one row group.
    pub(crate) fn write_row_group(&mut self, df: &mut DataFrame) -> Result<(), TabulateError> {
        if df.height() == 0 {
            return Ok(());
        }
        if df.schema().as_ref() != &self.schema {
            return Err(TabulateError::Mismatch {
                path: self.path.clone(),
                message: format!("columns {:?} do not match the table's columns", df.schema()),
            });
        }
        df.rechunk_mut();
        self.writer
            .write_batch(df)
            .map_err(|e| polars_err(&self.path, e))
    }

    /// Writes the footer, flushes and syncs the file.
    pub(crate) fn finish(self) -> Result<(), TabulateError> {
        self.writer
            .finish()
            .map_err(|e| polars_err(&self.path, e))?;
        let path = self.path;
        drop(self.writer);
        self.file
            .with(|w| {
                w.flush()?;
                w.get_ref().sync_all()
            })
            .map_err(|e| io_err(&path, e))
    }
}

/// A CSV file written row by row.
pub(crate) struct CsvOut {
    path: PathBuf,
    writer: csv::Writer<BufWriter<File>>,
}

impl CsvOut {
    /// Creates `path`, writes the BOM if asked and the header row.
    pub(crate) fn create(path: &Path, bom: bool, header: &[&str]) -> Result<CsvOut, TabulateError> {
        let file = File::create(path).map_err(|e| io_err(path, e))?;
        let mut buffered = BufWriter::with_capacity(1 << 20, file);
        if bom {
            buffered.write_all(BOM).map_err(|e| io_err(path, e))?;
        }
        let mut writer = csv::WriterBuilder::new().from_writer(buffered);
        writer.write_record(header).map_err(|e| csv_err(path, e))?;
        Ok(CsvOut {
            path: path.to_path_buf(),
            writer,
        })
    }

    /// Writes one field of the current row.
    fn write_field(&mut self, field: &str) -> Result<(), TabulateError> {
        self.writer
            .write_field(field)
            .map_err(|e| csv_err(&self.path, e))
    }

    /// Ends the current row.
    fn end_row(&mut self) -> Result<(), TabulateError> {
        self.writer
            .write_record(None::<&[u8]>)
            .map_err(|e| csv_err(&self.path, e))
    }

    /// Writes a whole record as read from another CSV file.
    pub(crate) fn write_byte_record(
        &mut self,
        record: &csv::ByteRecord,
    ) -> Result<(), TabulateError> {
        self.writer
            .write_byte_record(record)
            .map_err(|e| csv_err(&self.path, e))
    }

    /// Flushes and syncs the file.
    pub(crate) fn finish(self) -> Result<(), TabulateError> {
        let path = self.path;
        let buffered = self
            .writer
            .into_inner()
            .map_err(|e| io_err(&path, std::io::Error::other(e.to_string())))?;
        let file = buffered
            .into_inner()
            .map_err(|e| io_err(&path, e.into_error()))?;
        file.sync_all().map_err(|e| io_err(&path, e))
    }
}

/// File name of a table: `documents.parquet`, or `documents.part-0-of-4.parquet` for a part.
pub(crate) fn file_name(table: &str, part: Option<&str>, ext: &str) -> String {
    match part {
        Some(p) => format!("{table}.{p}.{ext}"),
        None => format!("{table}.{ext}"),
    }
}

/// Streams the rows of one table to its Parquet and/or CSV file.
pub(crate) struct TableSink {
    def: &'static TableDef,
    batch_rows: usize,
    rows: usize,
    pending: usize,
    builders: Vec<ColumnBuilder>,
    parquet: Option<ParquetOut>,
    csv: Option<CsvOut>,
    field: String,
}

/// What a sink writes.
pub(crate) struct SinkOptions {
    pub(crate) parquet: bool,
    pub(crate) csv: bool,
    pub(crate) csv_bom: bool,
    pub(crate) zstd_level: i32,
    pub(crate) batch_rows: usize,
}

impl TableSink {
    /// Creates the table's files in `dir`.
    pub(crate) fn create(
        def: &'static TableDef,
        dir: &Path,
        part: Option<&str>,
        options: &SinkOptions,
    ) -> Result<TableSink, TabulateError> {
        let batch_rows = options.batch_rows.max(1);
        let parquet = if options.parquet {
            let path = dir.join(file_name(def.name, part, "parquet"));
            Some(ParquetOut::create(
                &path,
                def.polars_schema(),
                options.zstd_level,
            )?)
        } else {
            None
        };
        let csv = if options.csv {
            let path = dir.join(file_name(def.name, part, "csv"));
            let header: Vec<&str> = def.columns.iter().map(|c| c.name).collect();
            Some(CsvOut::create(&path, options.csv_bom, &header)?)
        } else {
            None
        };
        let mut sink = TableSink {
            def,
            batch_rows,
            rows: 0,
            pending: 0,
            builders: Vec::new(),
            parquet,
            csv,
            field: String::new(),
        };
        sink.reset_builders();
        Ok(sink)
    }

    fn reset_builders(&mut self) {
        self.builders = if self.parquet.is_some() {
            let capacity = self.batch_rows.min(1 << 16);
            self.def
                .columns
                .iter()
                .map(|c| ColumnBuilder::new(c.name, c.kind, capacity))
                .collect()
        } else {
            Vec::new()
        };
    }

    /// Appends one row. Its cells must match the table's columns in number and kind.
    pub(crate) fn push(&mut self, cells: &[Cell<'_>]) -> Result<(), TabulateError> {
        if cells.len() != self.def.columns.len()
            || cells
                .iter()
                .zip(self.def.columns)
                .any(|(cell, col)| cell.kind() != col.kind)
        {
            return Err(TabulateError::Mismatch {
                path: PathBuf::from(self.def.name),
                message: format!(
                    "a row of {} cells does not fit the table's columns",
                    cells.len()
                ),
            });
        }
        if let Some(csv) = self.csv.as_mut() {
            for cell in cells {
                self.field.clear();
                cell.write_csv(&mut self.field);
                csv.write_field(&self.field)?;
            }
            csv.end_row()?;
        }
        if self.parquet.is_some() {
            for (builder, cell) in self.builders.iter_mut().zip(cells) {
                builder.push(*cell);
            }
            self.pending += 1;
            if self.pending >= self.batch_rows {
                self.flush()?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Writes the buffered rows as one row group.
    fn flush(&mut self) -> Result<(), TabulateError> {
        if self.pending == 0 {
            return Ok(());
        }
        let height = self.pending;
        let columns: Vec<Column> = std::mem::take(&mut self.builders)
            .into_iter()
            .map(ColumnBuilder::finish)
            .collect();
        self.reset_builders();
        self.pending = 0;
        if let Some(parquet) = self.parquet.as_mut() {
            let mut df =
                DataFrame::new(height, columns).map_err(|e| polars_err(&parquet.path, e))?;
            parquet.write_row_group(&mut df)?;
        }
        Ok(())
    }

    /// Flushes and closes the files; returns the rows written.
    pub(crate) fn finish(mut self) -> Result<usize, TabulateError> {
        self.flush()?;
        if let Some(parquet) = self.parquet.take() {
            parquet.finish()?;
        }
        if let Some(csv) = self.csv.take() {
            csv.finish()?;
        }
        Ok(self.rows)
    }
}
