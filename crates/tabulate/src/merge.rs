//! Combining the part files of sharded runs into whole tables, and counting rows of written
//! files.
//!
//! Every part file is sorted by `doc_id` (then position) and shards hold disjoint documents,
//! so a k-way merge on `doc_id` gives the rows in the order one unsharded run writes them.
//! The merge streams: it holds one chunk of `batch_rows` rows per part file plus one output
//! batch, whatever the size of the tables. Output batches are cut at exactly `batch_rows`
//! rows, as the writer cuts them, so merged files are byte-identical to an unsharded run's.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use polars::prelude::{DataFrame, FileMetadataRef, ParquetReader, SerReader};

use crate::csv_out::{CsvOut, BOM};
use crate::parquet_out::ParquetOut;
use crate::schema::{TableDef, TABLES};
use crate::sink::{csv_err, file_name, io_err, polars_err};
use crate::{valid_part_name, OutputConfig, RowCounts, TabulateError};

/// Part files found in a folder: (table index, extension) → part paths sorted by part name.
type PartFiles = BTreeMap<(usize, &'static str), Vec<PathBuf>>;

/// Finds `<table>.<part>.<ext>` files of known tables and formats in `dir`.
fn find_parts(dir: &Path) -> Result<PartFiles, TabulateError> {
    let mut found: BTreeMap<(usize, &'static str), Vec<(String, PathBuf)>> = BTreeMap::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io_err(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_err(dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        for ext in crate::FORMATS {
            let Some(stem) = name.strip_suffix(ext).and_then(|s| s.strip_suffix('.')) else {
                continue;
            };
            let Some((table, part)) = stem.split_once('.') else {
                continue;
            };
            let Some(index) = TABLES.iter().position(|t| t.name == table) else {
                continue;
            };
            if valid_part_name(part) {
                found
                    .entry((index, ext))
                    .or_default()
                    .push((part.to_string(), entry.path()));
            }
        }
    }
    Ok(found
        .into_iter()
        .map(|(key, mut parts)| {
            parts.sort();
            (key, parts.into_iter().map(|(_, path)| path).collect())
        })
        .collect())
}

/// Merges the part files in `dir` into whole tables in the same folder (`documents.parquet`,
/// `documents.csv`, …), then deletes the part files, so the folder reads as one dataset.
/// Merges the formats `config.formats` names; returns rows per merged table.
pub fn merge_parts(config: &OutputConfig, dir: &Path) -> Result<RowCounts, TabulateError> {
    let parts = find_parts(dir)?;
    let counts = merge_found(config, &parts, dir)?;
    for paths in parts.values() {
        for path in paths {
            std::fs::remove_file(path).map_err(|e| io_err(path, e))?;
        }
    }
    Ok(counts)
}

/// Merges the part files in `parts_dir` into whole tables written to `out_dir` (created if
/// missing), leaving the part files in place. Returns rows per merged table.
pub fn merge_parts_into(
    config: &OutputConfig,
    parts_dir: &Path,
    out_dir: &Path,
) -> Result<RowCounts, TabulateError> {
    let parts = find_parts(parts_dir)?;
    merge_found(config, &parts, out_dir)
}

fn merge_found(
    config: &OutputConfig,
    parts: &PartFiles,
    out_dir: &Path,
) -> Result<RowCounts, TabulateError> {
    let problems = config.validate();
    if !problems.is_empty() {
        return Err(TabulateError::Config(problems));
    }
    if parts.is_empty() {
        return Err(TabulateError::NoParts(out_dir.to_path_buf()));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| io_err(out_dir, e))?;
    let mut counts: RowCounts = Vec::new();
    for (index, def) in TABLES.iter().enumerate() {
        let mut table_rows: Option<usize> = None;
        for ext in crate::FORMATS {
            if !config.writes_format(ext) {
                continue;
            }
            let Some(paths) = parts.get(&(index, ext)) else {
                continue;
            };
            let target = out_dir.join(file_name(def.name, None, ext));
            let staging = out_dir.join(format!(".{}.merging", file_name(def.name, None, ext)));
            let rows = if ext == "parquet" {
                merge_parquet(def, paths, &staging, config)?
            } else {
                merge_csv(def, paths, &staging, config.csv_bom)?
            };
            std::fs::rename(&staging, &target).map_err(|e| io_err(&target, e))?;
            match table_rows {
                Some(other) if other != rows => {
                    return Err(TabulateError::Mismatch {
                        path: target,
                        message: format!(
                            "{rows} rows, but {other} rows in the table's other format"
                        ),
                    });
                }
                _ => table_rows = Some(rows),
            }
        }
        if let Some(rows) = table_rows {
            counts.push((def.name, rows));
        }
    }
    Ok(counts)
}

/// Opens a CSV file, skipping a leading BOM.
fn open_csv(path: &Path) -> Result<csv::Reader<BufReader<File>>, TabulateError> {
    let file = File::open(path).map_err(|e| io_err(path, e))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let has_bom = reader
        .fill_buf()
        .map_err(|e| io_err(path, e))?
        .starts_with(BOM);
    if has_bom {
        reader.consume(BOM.len());
    }
    Ok(csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(reader))
}

/// One part's CSV reader and its current record.
struct CsvCursor {
    path: PathBuf,
    reader: csv::Reader<BufReader<File>>,
    record: csv::ByteRecord,
}

impl CsvCursor {
    /// Reads the next record; false at the end.
    fn advance(&mut self) -> Result<bool, TabulateError> {
        self.reader
            .read_byte_record(&mut self.record)
            .map_err(|e| csv_err(&self.path, e))
    }
}

fn merge_csv(
    def: &TableDef,
    paths: &[PathBuf],
    out: &Path,
    bom: bool,
) -> Result<usize, TabulateError> {
    let header: Vec<&str> = def.columns.iter().map(|c| c.name).collect();
    let key_col = def.column_index("doc_id").unwrap_or(0);
    let mut cursors = Vec::with_capacity(paths.len());
    let mut heap = BinaryHeap::new();
    for (i, path) in paths.iter().enumerate() {
        let mut cursor = CsvCursor {
            path: path.clone(),
            reader: open_csv(path)?,
            record: csv::ByteRecord::new(),
        };
        let has_header = cursor.advance()?;
        let matches = has_header && cursor.record.iter().eq(header.iter().map(|h| h.as_bytes()));
        if !matches {
            return Err(TabulateError::Mismatch {
                path: path.clone(),
                message: format!("header does not match the {} table's columns", def.name),
            });
        }
        if cursor.advance()? {
            heap.push(Reverse((
                cursor.record.get(key_col).unwrap_or_default().to_vec(),
                i,
            )));
        }
        cursors.push(cursor);
    }
    let mut output = CsvOut::create(out, bom, &header, None)?;
    let mut rows = 0usize;
    while let Some(Reverse((_, i))) = heap.pop() {
        let Some(cursor) = cursors.get_mut(i) else {
            break;
        };
        output.write_byte_record(&cursor.record)?;
        rows += 1;
        if cursor.advance()? {
            heap.push(Reverse((
                cursor.record.get(key_col).unwrap_or_default().to_vec(),
                i,
            )));
        }
    }
    output.finish()?.sync()?;
    Ok(rows)
}

/// One part's Parquet file, read a chunk at a time.
struct ParquetCursor {
    path: PathBuf,
    metadata: FileMetadataRef,
    total: usize,
    next_offset: usize,
    chunk: DataFrame,
    pos: usize,
    key_col: usize,
}

impl ParquetCursor {
    fn open(path: &Path, key_col: usize) -> Result<ParquetCursor, TabulateError> {
        let file = File::open(path).map_err(|e| io_err(path, e))?;
        let mut reader = ParquetReader::new(file);
        let metadata = Arc::clone(reader.get_metadata().map_err(|e| polars_err(path, e))?);
        let total = metadata.num_rows;
        Ok(ParquetCursor {
            path: path.to_path_buf(),
            metadata,
            total,
            next_offset: 0,
            chunk: DataFrame::empty(),
            pos: 0,
            key_col,
        })
    }

    /// Makes sure a current row is loaded; false at the end of the file.
    fn ensure_row(&mut self, chunk_rows: usize) -> Result<bool, TabulateError> {
        while self.pos >= self.chunk.height() {
            if self.next_offset >= self.total {
                return Ok(false);
            }
            let file = File::open(&self.path).map_err(|e| io_err(&self.path, e))?;
            let mut reader = ParquetReader::new(file);
            reader.set_metadata(Arc::clone(&self.metadata));
            self.chunk = reader
                .with_slice(Some((self.next_offset, chunk_rows)))
                .finish()
                .map_err(|e| polars_err(&self.path, e))?;
            if self.chunk.height() == 0 {
                return Err(TabulateError::Mismatch {
                    path: self.path.clone(),
                    message: format!("no rows at offset {} of {}", self.next_offset, self.total),
                });
            }
            self.next_offset += self.chunk.height();
            self.pos = 0;
        }
        Ok(true)
    }

    /// The key of row `pos` of the current chunk.
    fn key_at(&self, pos: usize) -> Result<String, TabulateError> {
        let column =
            self.chunk
                .columns()
                .get(self.key_col)
                .ok_or_else(|| TabulateError::Mismatch {
                    path: self.path.clone(),
                    message: "no doc_id column".to_string(),
                })?;
        let strings = column.str().map_err(|e| polars_err(&self.path, e))?;
        Ok(strings.get(pos).unwrap_or_default().to_string())
    }
}

fn merge_parquet(
    def: &'static TableDef,
    paths: &[PathBuf],
    out: &Path,
    config: &OutputConfig,
) -> Result<usize, TabulateError> {
    let key_col = def.column_index("doc_id").unwrap_or(0);
    let chunk_rows = config.batch_rows.max(1);
    let mut cursors = Vec::with_capacity(paths.len());
    let mut heap = BinaryHeap::new();
    for (i, path) in paths.iter().enumerate() {
        let mut cursor = ParquetCursor::open(path, key_col)?;
        if cursor.ensure_row(chunk_rows)? {
            heap.push(Reverse((cursor.key_at(0)?, i)));
        }
        cursors.push(cursor);
    }
    let mut output = ParquetOut::create(out, def, config.zstd_level, chunk_rows)?;
    let mut rows = 0usize;
    while let Some(Reverse((_, i))) = heap.pop() {
        let next = heap.peek().map(|Reverse(top)| top.clone());
        let Some(cursor) = cursors.get_mut(i) else {
            break;
        };
        // Take the longest run of rows of this part that sort before every other part's head.
        let start = cursor.pos;
        let mut end = start + 1;
        while end < cursor.chunk.height() {
            let sorts_first = match &next {
                None => true,
                Some((key, j)) => {
                    let k = cursor.key_at(end)?;
                    k < *key || (k == *key && i < *j)
                }
            };
            if !sorts_first {
                break;
            }
            end += 1;
        }
        let run = cursor
            .chunk
            .slice(i64::try_from(start).unwrap_or(i64::MAX), end - start);
        rows += run.height();
        output.push_frame(&run)?;
        cursor.pos = end;
        if cursor.ensure_row(chunk_rows)? {
            heap.push(Reverse((cursor.key_at(cursor.pos)?, i)));
        }
    }
    output.finish()?.sync()?;
    Ok(rows)
}

/// Rows in one table's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableFileCounts {
    /// Table name.
    pub table: &'static str,
    /// Rows in `<table>.parquet` (from its footer), if the file exists.
    pub parquet_rows: Option<usize>,
    /// Data rows in `<table>.csv` (header not counted), if the file exists.
    pub csv_rows: Option<usize>,
}

/// Counts the rows of every table's files in `dir` (`part` selects part files
/// `<table>.<part>.<ext>`). Tables with neither file are left out.
pub fn read_row_counts(
    dir: &Path,
    part: Option<&str>,
) -> Result<Vec<TableFileCounts>, TabulateError> {
    let mut counts = Vec::new();
    for def in TABLES.iter() {
        let parquet_path = dir.join(file_name(def.name, part, "parquet"));
        let parquet_rows = if parquet_path.exists() {
            let file = File::open(&parquet_path).map_err(|e| io_err(&parquet_path, e))?;
            Some(
                ParquetReader::new(file)
                    .num_rows()
                    .map_err(|e| polars_err(&parquet_path, e))?,
            )
        } else {
            None
        };
        let csv_path = dir.join(file_name(def.name, part, "csv"));
        let csv_rows = if csv_path.exists() {
            let mut reader = open_csv(&csv_path)?;
            let mut record = csv::ByteRecord::new();
            let mut n = 0usize;
            while reader
                .read_byte_record(&mut record)
                .map_err(|e| csv_err(&csv_path, e))?
            {
                n += 1;
            }
            Some(n.saturating_sub(1))
        } else {
            None
        };
        if parquet_rows.is_some() || csv_rows.is_some() {
            counts.push(TableFileCounts {
                table: def.name,
                parquet_rows,
                csv_rows,
            });
        }
    }
    Ok(counts)
}
