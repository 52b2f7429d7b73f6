//! Parquet files written one row group at a time, and the typed column buffers that hold a
//! row group's values until then.
//!
//! The buffers become Arrow arrays without a detour through polars `Series`, and the arrays
//! are encoded with polars' own Parquet encoder (`polars-parquet`), choosing the encoding per
//! column instead of letting the encoder guess:
//!
//! - integers: `DELTA_BINARY_PACKED` (offsets and indexes grow slowly, so they pack to a few
//!   bits each, where plain encoding would give zstd 8 bytes per value to squeeze);
//! - `doc_id`: a dictionary built from runs of equal values as rows arrive (rows come sorted
//!   by `doc_id`), so no value is hashed;
//! - other strings: dictionary encoding when polars finds few distinct values, plain otherwise;
//! - floats and booleans: plain.
//!
//! The file's schema is the one polars writes for the table (`String` columns stored as
//! Arrow `Utf8View`, every column nullable), so readers see the same columns and types.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use polars::prelude::{DataFrame, PlHashMap, PolarsError, PolarsResult, Series};
use polars_arrow::array::{
    Array, BooleanArray, DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8ViewArray,
};
use polars_arrow::bitmap::Bitmap;
use polars_arrow::datatypes::{ArrowDataType, ArrowSchema, Field, IntegerType};
use polars_parquet::write::{
    array_to_columns, to_parquet_type, CompressionOptions, Compressor, DynIter,
    DynStreamingIterator, Encoding, FallibleStreamingIterator, FileWriter, StatisticsOptions,
    Version, WriteOptions, ZstdLevel,
};

use crate::schema::{Kind, TableDef};
use crate::sink::{io_err, polars_err, OpenFile};
use crate::TabulateError;

/// The values of one column of a row group.
enum Values {
    Int(Vec<i64>),
    F64(Vec<f64>),
    Bool(Vec<bool>),
    Str(MutableBinaryViewArray<str>),
    /// Strings that come in runs of equal values (`doc_id`): each distinct run's value once,
    /// and per row the index of its run.
    Runs {
        values: MutableBinaryViewArray<str>,
        last: String,
        keys: Vec<u32>,
    },
    /// Strings with few distinct values (a token's word or tag): each distinct value once, in
    /// order of first appearance, and per row its index.
    Dict {
        values: MutableBinaryViewArray<str>,
        index: PlHashMap<Box<str>, u32>,
        keys: Vec<u32>,
    },
}

/// How a string column is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StrLayout {
    /// Every value as it comes; polars decides whether a dictionary is worth it.
    Plain,
    /// Runs of equal values (rows sorted by this column).
    Runs,
    /// A dictionary of distinct values (a column that is never null and repeats a lot).
    Dict,
}

/// Never-null string columns with few distinct values, dictionary-encoded as rows arrive:
/// (table, column).
const DICTIONARY_COLUMNS: [(&str, &str); 5] = [
    ("tokens", "word"),
    ("tokens", "pos"),
    ("entities", "type"),
    ("entity_counts", "type"),
    ("numbers", "kind"),
];

/// How the string column `column` of `table` is buffered.
fn str_layout(table: &str, column: &str, kind: Kind) -> StrLayout {
    if kind != Kind::Str {
        StrLayout::Plain
    } else if column == "doc_id" {
        StrLayout::Runs
    } else if DICTIONARY_COLUMNS.contains(&(table, column)) {
        StrLayout::Dict
    } else {
        StrLayout::Plain
    }
}

/// A typed buffer of one column's values, with a validity flag per value when the column is
/// nullable.
pub(crate) struct ColumnBuf {
    values: Values,
    valid: Option<Vec<bool>>,
    capacity: usize,
}

impl ColumnBuf {
    /// An empty buffer for a column of `kind`, sized for `capacity` rows; `layout` says how
    /// strings are kept.
    pub(crate) fn new(kind: Kind, layout: StrLayout, capacity: usize) -> ColumnBuf {
        let values = match kind {
            Kind::Int | Kind::OptInt => Values::Int(Vec::with_capacity(capacity)),
            Kind::F64 | Kind::OptF64 => Values::F64(Vec::with_capacity(capacity)),
            Kind::Bool => Values::Bool(Vec::with_capacity(capacity)),
            Kind::Str if layout == StrLayout::Runs => Values::Runs {
                values: MutableBinaryViewArray::new(),
                last: String::new(),
                keys: Vec::with_capacity(capacity),
            },
            Kind::Str if layout == StrLayout::Dict => Values::Dict {
                values: MutableBinaryViewArray::new(),
                index: PlHashMap::default(),
                keys: Vec::with_capacity(capacity),
            },
            Kind::Str | Kind::OptStr => {
                Values::Str(MutableBinaryViewArray::with_capacity(capacity))
            }
        };
        let nullable = matches!(kind, Kind::OptInt | Kind::OptF64 | Kind::OptStr);
        ColumnBuf {
            values,
            valid: nullable.then(|| Vec::with_capacity(capacity)),
            capacity,
        }
    }

    #[inline]
    fn push_valid(&mut self, valid: bool) {
        if let Some(v) = self.valid.as_mut() {
            v.push(valid);
        }
    }

    /// Appends an integer (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_int(&mut self, v: Option<i64>) {
        if let Values::Int(values) = &mut self.values {
            values.push(v.unwrap_or(0));
        }
        self.push_valid(v.is_some());
    }

    /// Appends a float (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_f64(&mut self, v: Option<f64>) {
        if let Values::F64(values) = &mut self.values {
            values.push(v.unwrap_or(0.0));
        }
        self.push_valid(v.is_some());
    }

    /// Appends a boolean (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_bool(&mut self, v: bool) {
        if let Values::Bool(values) = &mut self.values {
            values.push(v);
        }
    }

    /// Appends a string (the caller checked the column's kind).
    #[inline]
    pub(crate) fn push_str(&mut self, v: Option<&str>) {
        match &mut self.values {
            Values::Str(values) => values.push(v),
            Values::Runs { values, last, keys } => {
                let s = v.unwrap_or_default();
                if keys.is_empty() || s != last.as_str() {
                    values.push_value(s);
                    last.clear();
                    last.push_str(s);
                }
                keys.push(u32::try_from(values.len().saturating_sub(1)).unwrap_or(u32::MAX));
            }
            Values::Dict {
                values,
                index,
                keys,
            } => {
                let s = v.unwrap_or_default();
                let key = match index.get(s) {
                    Some(&key) => key,
                    None => {
                        let key = u32::try_from(values.len()).unwrap_or(u32::MAX);
                        values.push_value(s);
                        index.insert(s.into(), key);
                        key
                    }
                };
                keys.push(key);
            }
            _ => {}
        }
        self.push_valid(v.is_some());
    }

    /// Appends the values of `series`, read back from a Parquet file of the same table (for
    /// merging part files). False when it holds a null the column does not allow; an error
    /// when its type does not fit.
    fn push_series(&mut self, series: &Series) -> PolarsResult<bool> {
        let nullable = self.valid.is_some();
        match &self.values {
            Values::Int(_) => {
                for v in series.i64()?.iter() {
                    if v.is_none() && !nullable {
                        return Ok(false);
                    }
                    self.push_int(v);
                }
            }
            Values::F64(_) => {
                for v in series.f64()?.iter() {
                    if v.is_none() && !nullable {
                        return Ok(false);
                    }
                    self.push_f64(v);
                }
            }
            Values::Bool(_) => {
                for v in series.bool()?.iter() {
                    let Some(v) = v else { return Ok(false) };
                    self.push_bool(v);
                }
            }
            Values::Str(_) | Values::Runs { .. } | Values::Dict { .. } => {
                for v in series.str()?.iter() {
                    if v.is_none() && !nullable {
                        return Ok(false);
                    }
                    self.push_str(v);
                }
            }
        }
        Ok(true)
    }

    /// The buffered values as an Arrow array and the encoding to write it with; the buffer is
    /// left empty.
    fn take_array(&mut self) -> PolarsResult<(Box<dyn Array>, Encoding)> {
        let validity: Option<Bitmap> = self
            .valid
            .as_mut()
            .map(|v| {
                let bitmap: Bitmap = v.iter().copied().collect();
                v.clear();
                bitmap
            })
            .filter(|b| b.unset_bits() > 0);
        let capacity = self.capacity;
        match &mut self.values {
            Values::Int(values) => {
                let values = std::mem::replace(values, Vec::with_capacity(capacity));
                let array = PrimitiveArray::from_vec(values).with_validity(validity);
                Ok((Box::new(array), Encoding::DeltaBinaryPacked))
            }
            Values::F64(values) => {
                let values = std::mem::replace(values, Vec::with_capacity(capacity));
                let array = PrimitiveArray::from_vec(values).with_validity(validity);
                Ok((Box::new(array), Encoding::Plain))
            }
            Values::Bool(values) => {
                let array = BooleanArray::from_slice(values.as_slice());
                values.clear();
                Ok((Box::new(array), Encoding::Plain))
            }
            Values::Str(values) => {
                let values =
                    std::mem::replace(values, MutableBinaryViewArray::with_capacity(capacity));
                let array: Utf8ViewArray = values.freeze().with_validity(validity);
                Ok((Box::new(array), Encoding::RleDictionary))
            }
            Values::Runs { values, last, keys } => {
                last.clear();
                dictionary_array(values, keys, capacity, validity)
            }
            Values::Dict {
                values,
                index,
                keys,
            } => {
                index.clear();
                dictionary_array(values, keys, capacity, validity)
            }
        }
    }
}

/// A dictionary array of the distinct `values` and the rows' `keys`, which are left empty.
fn dictionary_array(
    values: &mut MutableBinaryViewArray<str>,
    keys: &mut Vec<u32>,
    capacity: usize,
    validity: Option<Bitmap>,
) -> PolarsResult<(Box<dyn Array>, Encoding)> {
    let values: Utf8ViewArray = std::mem::take(values).freeze();
    let keys = std::mem::replace(keys, Vec::with_capacity(capacity));
    let keys = PrimitiveArray::from_vec(keys).with_validity(validity);
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    // Cannot fail (every key indexes a value); if it ever did, the row group is not written.
    let array = DictionaryArray::try_new(dtype, keys, Box::new(values))?;
    Ok((Box::new(array), Encoding::RleDictionary))
}

/// The Arrow type polars stores for a column kind.
fn arrow_type(kind: Kind) -> ArrowDataType {
    match kind {
        Kind::Int | Kind::OptInt => ArrowDataType::Int64,
        Kind::F64 | Kind::OptF64 => ArrowDataType::Float64,
        Kind::Bool => ArrowDataType::Boolean,
        Kind::Str | Kind::OptStr => ArrowDataType::Utf8View,
    }
}

/// A Parquet file of one table, written one row group at a time.
pub(crate) struct ParquetOut {
    path: PathBuf,
    def: &'static TableDef,
    writer: FileWriter<BufWriter<File>>,
    options: WriteOptions,
    /// One buffer per column, holding the rows of the next row group.
    pub(crate) columns: Vec<ColumnBuf>,
    /// Rows in the buffers.
    pub(crate) pending: usize,
}

impl ParquetOut {
    /// Creates `path` for the table `def`, zstd-compressed at `zstd_level`, with buffers for
    /// row groups of `batch_rows` rows.
    pub(crate) fn create(
        path: &Path,
        def: &'static TableDef,
        zstd_level: i32,
        batch_rows: usize,
    ) -> Result<ParquetOut, TabulateError> {
        let level = ZstdLevel::try_new(zstd_level).map_err(|e| polars_err(path, e))?;
        let options = WriteOptions {
            statistics: StatisticsOptions::default(),
            compression: CompressionOptions::Zstd(Some(level)),
            version: Version::V1,
            data_page_size: None,
        };
        let schema: ArrowSchema = def
            .columns
            .iter()
            .map(|c| {
                let field = Field::new(c.name.into(), arrow_type(c.kind), true);
                (field.name.clone(), field)
            })
            .collect();
        let file = File::create(path).map_err(|e| io_err(path, e))?;
        let writer = FileWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema, options)
            .map_err(|e| polars_err(path, e))?;
        let capacity = batch_rows.clamp(1, 1 << 16);
        let columns = def
            .columns
            .iter()
            .map(|c| ColumnBuf::new(c.kind, str_layout(def.name, c.name, c.kind), capacity))
            .collect();
        Ok(ParquetOut {
            path: path.to_path_buf(),
            def,
            writer,
            options,
            columns,
            pending: 0,
        })
    }

    /// Writes the buffered rows as one row group.
    pub(crate) fn flush(&mut self) -> Result<(), TabulateError> {
        if self.pending == 0 {
            return Ok(());
        }
        let rows = self.pending;
        self.pending = 0;
        let mut pages = Vec::with_capacity(self.columns.len());
        for (buf, def) in self.columns.iter_mut().zip(self.def.columns) {
            let (array, encoding) = buf.take_array().map_err(|e| polars_err(&self.path, e))?;
            let field = Field::new(def.name.into(), arrow_type(def.kind), true);
            let type_ = to_parquet_type(&field).map_err(|e| polars_err(&self.path, e))?;
            let columns = array_to_columns(array, type_, self.options, &[encoding])
                .map_err(|e| polars_err(&self.path, e))?;
            for column in columns {
                let compressed = Compressor::new_from_vec(
                    column.map(|page| {
                        page.map_err(|e| {
                            polars_parquet::read::ParquetError::FeatureNotSupported(e.to_string())
                        })
                    }),
                    self.options.compression,
                    Vec::new(),
                )
                .map_err(PolarsError::from);
                pages.push(Ok(DynStreamingIterator::new(compressed)));
            }
        }
        self.writer
            .write(rows as u64, DynIter::new(pages.into_iter()))
            .map_err(|e| polars_err(&self.path, e))
    }

    /// Appends the rows of `df` (read back from a part file of the same table) to the buffers,
    /// writing a row group whenever `batch_rows` rows are buffered, as the rows of a run are.
    pub(crate) fn push_frame(
        &mut self,
        df: &DataFrame,
        batch_rows: usize,
    ) -> Result<(), TabulateError> {
        if df.width() != self.columns.len() {
            return Err(TabulateError::Mismatch {
                path: self.path.clone(),
                message: format!(
                    "{} columns where the table has {}",
                    df.width(),
                    self.columns.len()
                ),
            });
        }
        let batch_rows = batch_rows.max(1);
        let mut offset = 0;
        while offset < df.height() {
            let n = (batch_rows.saturating_sub(self.pending))
                .max(1)
                .min(df.height() - offset);
            let part = df.slice(i64::try_from(offset).unwrap_or(i64::MAX), n);
            for ((buf, column), def) in self
                .columns
                .iter_mut()
                .zip(part.columns())
                .zip(self.def.columns)
            {
                let fits = buf
                    .push_series(column.as_materialized_series())
                    .map_err(|e| polars_err(&self.path, e))?;
                if !fits {
                    return Err(TabulateError::Mismatch {
                        path: self.path.clone(),
                        message: format!("null in column {:?}, which allows none", def.name),
                    });
                }
            }
            self.pending += n;
            offset += n;
            if self.pending >= batch_rows {
                self.flush()?;
            }
        }
        Ok(())
    }

    /// Writes the last row group and the footer and flushes the file; returns it, to be synced
    /// by the caller.
    pub(crate) fn finish(mut self) -> Result<OpenFile, TabulateError> {
        self.flush()?;
        self.writer
            .end(None)
            .map_err(|e| polars_err(&self.path, e))?;
        let file = self
            .writer
            .into_inner()
            .into_inner()
            .map_err(|e| io_err(&self.path, e.into_error()))?;
        Ok(OpenFile {
            path: self.path,
            file,
        })
    }
}
