//! Writers of one table: each row goes straight into typed column buffers (written as a
//! Parquet row group every `batch_rows` rows) and into the CSV file's byte buffer.
//!
//! Rows are written with a [`Row`]: `sink.row().str(id).int(i).opt_str(s).end()?`, one call
//! per column in table order. Each call checks the column's kind against the table's
//! definition, so a row that does not fit is an error, never a shifted column.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

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

/// Bytes written to a CSV file between two background syncs of it.
pub(crate) const SYNC_EVERY: usize = 32 << 20;

/// Where a file asks for its data written so far to be synced in the background.
pub(crate) type SyncRequests = mpsc::Sender<OpenFile>;

/// Writes files' data to disk in a background thread while the run goes on.
///
/// The kernel starts writing dirty pages back only once gigabytes are dirty or after 30 s,
/// so a run's output (hundreds of MB, most of it `tokens.csv`) would otherwise all go to disk
/// during the final sync, the disk idle until then and the run waiting for it at the end.
/// Files send a handle to their open file every [`SYNC_EVERY`] bytes; the thread syncs them
/// in turn, and the final sync has little left to wait for.
pub(crate) struct Syncer {
    requests: Option<SyncRequests>,
    thread: Option<std::thread::JoinHandle<Result<(), TabulateError>>>,
}

impl Syncer {
    /// Starts the thread; without one (it could not be started), files are synced at the end
    /// only.
    pub(crate) fn start() -> Syncer {
        let (requests, received) = mpsc::channel::<OpenFile>();
        let thread = std::thread::Builder::new()
            .name("gongwen-sync".to_string())
            .spawn(move || {
                // The first error is kept: the file shares its error state with this handle,
                // so the final sync might not report it again.
                let mut result = Ok(());
                for file in received {
                    if result.is_ok() {
                        result = file.file.sync_data().map_err(|e| io_err(&file.path, e));
                    }
                }
                result
            });
        match thread {
            Ok(thread) => Syncer {
                requests: Some(requests),
                thread: Some(thread),
            },
            Err(_) => Syncer {
                requests: None,
                thread: None,
            },
        }
    }

    /// Where files send their sync requests.
    pub(crate) fn requests(&self) -> Option<SyncRequests> {
        self.requests.clone()
    }

    /// Waits for the requested syncs (every file must have dropped its [`SyncRequests`]);
    /// returns the first error.
    pub(crate) fn finish(mut self) -> Result<(), TabulateError> {
        self.requests = None;
        match self.thread.take() {
            Some(thread) => thread.join().unwrap_or_else(|_| {
                Err(io_err(
                    Path::new("."),
                    std::io::Error::other("sync thread panicked"),
                ))
            }),
            None => Ok(()),
        }
    }
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
        sync: Option<SyncRequests>,
    ) -> Result<TableSink, TabulateError> {
        let parquet = if options.parquet {
            let path = dir.join(file_name(def.name, part, "parquet"));
            Some(ParquetOut::create(
                &path,
                def,
                options.zstd_level,
                options.batch_rows,
            )?)
        } else {
            None
        };
        let csv = if options.csv {
            let path = dir.join(file_name(def.name, part, "csv"));
            let header: Vec<&str> = def.columns.iter().map(|c| c.name).collect();
            Some(CsvOut::create(&path, options.csv_bom, &header, sync)?)
        } else {
            None
        };
        Ok(TableSink {
            def,
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

    /// Appends `n` rows a column at a time, for a table with many rows per document (tokens),
    /// where a call per value through [`Row`] would cost more than the values themselves.
    ///
    /// `kinds` are the table's column kinds, checked once. `parquet(columns, rows)` pushes the
    /// values of `rows` (a range of `0..n`) to every column buffer; it is called once per row
    /// group the rows fall into, so row groups keep their size. `csv(buf)` appends the `n` rows'
    /// CSV lines (see [`CsvOut::append_rows`]).
    pub(crate) fn write_columns(
        &mut self,
        kinds: &[Kind],
        n: usize,
        mut parquet: impl FnMut(&mut [ColumnBuf], Range<usize>),
        csv: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), TabulateError> {
        if !self
            .def
            .columns
            .iter()
            .map(|c| c.kind)
            .eq(kinds.iter().copied())
        {
            return Err(TabulateError::Mismatch {
                path: PathBuf::from(self.def.name),
                message: format!("columns of kinds {kinds:?} do not fit the table's columns"),
            });
        }
        if let Some(out) = self.parquet.as_mut() {
            let mut start = 0;
            while start < n {
                let end = n.min(start + out.room());
                parquet(&mut out.columns, start..end);
                out.rows_pushed(end - start)?;
                start = end;
            }
        }
        if let Some(out) = self.csv.as_mut() {
            out.append_rows(csv)?;
        }
        self.rows += n;
        Ok(())
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
            parquet.rows_pushed(1)?;
        }
        Ok(())
    }
}
