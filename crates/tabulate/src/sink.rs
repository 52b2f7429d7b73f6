//! Writers of one table: each row goes straight into typed column buffers (written as a
//! Parquet row group every `batch_rows` rows) and into the CSV file's byte buffer.
//!
//! Rows are written with a [`Row`]: `sink.row().str(id).int(i).opt_str(s).end()?`, one call
//! per column in table order. Each call checks the column's kind against the table's
//! definition, so a row that does not fit is an error, never a shifted column.

use std::path::{Path, PathBuf};

use polars::prelude::PolarsError;

use crate::csv_out::CsvOut;
use crate::parquet_out::{ColumnBuf, ParquetOut};
use crate::schema::{Kind, TableDef};
use crate::TabulateError;

/// Wraps an error with the path it concerns.
pub(crate) fn io_err(path: &Path, source: std::io::Error) -> TabulateError {
    TabulateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Wraps an error with the path it concerns.
pub(crate) fn polars_err(path: &Path, source: PolarsError) -> TabulateError {
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

/// File name of a table: `documents.parquet`, or `documents.part-0-of-4.parquet` for a part.
pub(crate) fn file_name(table: &str, part: Option<&str>, ext: &str) -> String {
    match part {
        Some(p) => format!("{table}.{p}.{ext}"),
        None => format!("{table}.{ext}"),
    }
}

/// A written file, still to be synced to disk.
pub(crate) struct OpenFile {
    pub(crate) path: PathBuf,
    pub(crate) file: std::fs::File,
}

impl OpenFile {
    /// Syncs the file's data and metadata to disk.
    pub(crate) fn sync(&self) -> Result<(), TabulateError> {
        self.file.sync_all().map_err(|e| io_err(&self.path, e))
    }
}

/// Syncs `files` to disk, each in its own thread: a sync mostly waits for the disk, so
/// syncing them together takes about as long as the slowest one.
pub(crate) fn sync_all(files: &[OpenFile]) -> Result<(), TabulateError> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = files.iter().map(|f| scope.spawn(|| f.sync())).collect();
        handles.into_iter().zip(files).try_for_each(|(handle, f)| {
            handle.join().unwrap_or_else(|_| {
                Err(io_err(
                    &f.path,
                    std::io::Error::other("sync thread panicked"),
                ))
            })
        })
    })
}

/// What a sink writes.
pub(crate) struct SinkOptions {
    pub(crate) parquet: bool,
    pub(crate) csv: bool,
    pub(crate) csv_bom: bool,
    pub(crate) zstd_level: i32,
    pub(crate) batch_rows: usize,
}

/// Streams the rows of one table to its Parquet and/or CSV file.
pub(crate) struct TableSink {
    def: &'static TableDef,
    batch_rows: usize,
    rows: usize,
    parquet: Option<ParquetOut>,
    csv: Option<CsvOut>,
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
                def,
                options.zstd_level,
                batch_rows,
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
        Ok(TableSink {
            def,
            batch_rows,
            rows: 0,
            parquet,
            csv,
        })
    }

    /// Starts a row; give its values in column order, then call [`Row::end`].
    #[inline]
    pub(crate) fn row(&mut self) -> Row<'_> {
        Row {
            sink: self,
            col: 0,
            fits: true,
        }
    }

    /// Writes out what is buffered; returns the rows written and the files, which the caller
    /// syncs.
    pub(crate) fn finish(mut self) -> Result<(usize, Vec<OpenFile>), TabulateError> {
        let mut files = Vec::new();
        if let Some(parquet) = self.parquet.take() {
            files.push(parquet.finish()?);
        }
        if let Some(csv) = self.csv.take() {
            files.push(csv.finish()?);
        }
        Ok((self.rows, files))
    }
}

/// One row being written; see [`TableSink::row`].
pub(crate) struct Row<'s> {
    sink: &'s mut TableSink,
    /// Index of the next column.
    col: usize,
    /// False once a value did not fit its column's kind.
    fits: bool,
}

impl Row<'_> {
    /// Checks that the next column is of `kind` and moves past it; returns the column's
    /// buffer when Parquet is written.
    #[inline]
    fn next(&mut self, kind: Kind) -> Option<&mut ColumnBuf> {
        let col = self.col;
        self.col += 1;
        if self.sink.def.columns.get(col).map(|c| c.kind) != Some(kind) {
            self.fits = false;
            return None;
        }
        self.sink
            .parquet
            .as_mut()
            .and_then(|p| p.columns.get_mut(col))
    }

    /// A string value of a `str` column.
    #[inline]
    pub(crate) fn str(&mut self, v: &str) -> &mut Self {
        if let Some(buf) = self.next(Kind::Str) {
            buf.push_str(Some(v));
        }
        if let Some(csv) = self.sink.csv.as_mut() {
            csv.str(v);
        }
        self
    }

    /// A value of a `str?` column.
    #[inline]
    pub(crate) fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        if let Some(buf) = self.next(Kind::OptStr) {
            buf.push_str(v);
        }
        if let Some(csv) = self.sink.csv.as_mut() {
            match v {
                Some(s) => csv.str(s),
                None => csv.null(),
            }
        }
        self
    }

    /// A value of an `i64` column.
    #[inline]
    pub(crate) fn int(&mut self, v: i64) -> &mut Self {
        if let Some(buf) = self.next(Kind::Int) {
            buf.push_int(Some(v));
        }
        if let Some(csv) = self.sink.csv.as_mut() {
            csv.int(v);
        }
        self
    }

    /// A count or index of an `i64` column (saturating at `i64::MAX`).
    #[inline]
    pub(crate) fn usize(&mut self, v: usize) -> &mut Self {
        self.int(i64::try_from(v).unwrap_or(i64::MAX))
    }

    /// A value of an `i64?` column.
    #[inline]
    pub(crate) fn opt_int(&mut self, v: Option<i64>) -> &mut Self {
        if let Some(buf) = self.next(Kind::OptInt) {
            buf.push_int(v);
        }
        if let Some(csv) = self.sink.csv.as_mut() {
            match v {
                Some(v) => csv.int(v),
                None => csv.null(),
            }
        }
        self
    }

    /// A value of an `f64` column.
    #[inline]
    pub(crate) fn f64(&mut self, v: f64) -> &mut Self {
        if let Some(buf) = self.next(Kind::F64) {
            buf.push_f64(Some(v));
        }
        if let Some(csv) = self.sink.csv.as_mut() {
            csv.f64(v);
        }
        self
    }

    /// A value of an `f64?` column.
    #[inline]
    pub(crate) fn opt_f64(&mut self, v: Option<f64>) -> &mut Self {
        if let Some(buf) = self.next(Kind::OptF64) {
            buf.push_f64(v);
        }
        if let Some(csv) = self.sink.csv.as_mut() {
            match v {
                Some(v) => csv.f64(v),
                None => csv.null(),
            }
        }
        self
    }

    /// A value of a `bool` column.
    #[inline]
    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        if let Some(buf) = self.next(Kind::Bool) {
            buf.push_bool(v);
        }
        if let Some(csv) = self.sink.csv.as_mut() {
            csv.bool(v);
        }
        self
    }

    /// Ends the row; fails when its values did not match the table's columns in number and
    /// kind (a bug: the row is then partly written).
    #[inline]
    pub(crate) fn end(&mut self) -> Result<(), TabulateError> {
        let sink = &mut *self.sink;
        if !self.fits || self.col != sink.def.columns.len() {
            return Err(TabulateError::Mismatch {
                path: PathBuf::from(sink.def.name),
                message: format!(
                    "a row of {} values does not fit the table's columns",
                    self.col
                ),
            });
        }
        if let Some(csv) = sink.csv.as_mut() {
            csv.end_row()?;
        }
        sink.rows += 1;
        if let Some(parquet) = sink.parquet.as_mut() {
            parquet.pending += 1;
            if parquet.pending >= sink.batch_rows {
                parquet.flush()?;
            }
        }
        Ok(())
    }
}
