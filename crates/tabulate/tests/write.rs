//! Writing tables and reading them back: columns, types, row counts, BOM, determinism,
//! offsets, failures, part files and merging.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::{failure, read_csv, read_parquet, sample};
use gongwen_model::{slice_chars, DocOutcome, FailureStatus, Keyword, Span};
use gongwen_tabulate::{
    merge_parts, merge_parts_into, read_row_counts, schemas, table_file_names, OutputConfig,
    TableWriter,
};
use polars::prelude::DataType;

const IDS: [&str; 3] = ["0a1b2c3d4e5f6071", "5d41402abc4b2a76", "c4ca4238a0b92382"];

/// A small batch, so row groups are cut many times.
fn config() -> OutputConfig {
    OutputConfig {
        batch_rows: 7,
        ..OutputConfig::default()
    }
}

fn outcomes() -> Vec<DocOutcome> {
    vec![
        DocOutcome::Done(sample(IDS[0])),
        failure("3f2a9b0c1d2e3f40", FailureStatus::Error),
        DocOutcome::Done(sample(IDS[1])),
        failure("9e107d9d372bb682", FailureStatus::Duplicate),
        DocOutcome::Done(sample(IDS[2])),
        failure("ffffffff00000000", FailureStatus::Empty),
    ]
}

fn keywords() -> Vec<Keyword> {
    vec![
        Keyword {
            rank: 1,
            word: "乡村振兴".to_string(),
            weight: 0.4125,
        },
        Keyword {
            rank: 2,
            word: "洛川县".to_string(),
            weight: 0.25,
        },
        Keyword {
            rank: 3,
            word: "财政".to_string(),
            weight: 3.0,
        },
    ]
}

/// Writes `docs` (sorted by doc_id) into `dir`.
fn write(
    config: &OutputConfig,
    dir: &Path,
    part: Option<&str>,
    docs: &[DocOutcome],
) -> gongwen_tabulate::RowCounts {
    let mut docs: Vec<&DocOutcome> = docs.iter().collect();
    docs.sort_by(|a, b| a.source().doc_id.cmp(&b.source().doc_id));
    let mut writer = TableWriter::create(config, dir, part).unwrap();
    for d in &docs {
        writer.write_doc(d).unwrap();
    }
    for d in &docs {
        if let DocOutcome::Done(_) = d {
            writer
                .write_keywords(&d.source().doc_id, &keywords())
                .unwrap();
        }
    }
    writer.finish().unwrap()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn every_table_is_written_with_its_columns_and_types_in_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let counts = write(&config(), dir.path(), None, &outcomes());
    let counts: HashMap<&str, usize> = counts.into_iter().collect();
    assert_eq!(counts["documents"], 6);
    assert_eq!(
        counts["errors"], 2,
        "error and empty give errors rows; duplicate does not"
    );
    assert_eq!(counts["keywords"], 9);
    assert_eq!(
        counts["entity_counts"],
        3 * 3,
        "洛川县 twice, 王XX, 乡村振兴 per document"
    );

    for table in schemas() {
        let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
        let (bom, header, rows) = read_csv(&dir.path().join(format!("{}.csv", table.name)));
        assert!(bom, "{}: BOM expected by default", table.name);
        assert_eq!(header, names, "{}: CSV header", table.name);
        let df = read_parquet(&dir.path().join(format!("{}.parquet", table.name)));
        let parquet_names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(parquet_names, names, "{}: Parquet columns", table.name);
        assert_eq!(
            df.height(),
            rows.len(),
            "{}: Parquet and CSV row counts",
            table.name
        );
        assert_eq!(
            df.height(),
            counts[table.name],
            "{}: reported row count",
            table.name
        );
        for (column, schema) in df.columns().iter().zip(&table.columns) {
            let expected = match schema.dtype.trim_end_matches('?') {
                "i64" => DataType::Int64,
                "f64" => DataType::Float64,
                "str" => DataType::String,
                "bool" => DataType::Boolean,
                other => panic!("unknown dtype {other}"),
            };
            assert_eq!(column.dtype(), &expected, "{}.{}", table.name, schema.name);
            if !schema.dtype.ends_with('?') {
                assert_eq!(
                    column.null_count(),
                    0,
                    "{}.{} must not hold nulls",
                    table.name,
                    schema.name
                );
            }
        }
    }
    let counted = read_row_counts(dir.path(), None).unwrap();
    assert_eq!(counted.len(), schemas().len());
    for c in counted {
        assert_eq!(c.parquet_rows, c.csv_rows, "{}", c.table);
    }
}

#[test]
fn csv_tables_leaves_out_the_csv_of_the_others_but_not_their_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config();
    config.csv_tables = Some(
        schemas()
            .iter()
            .map(|t| t.name.to_string())
            .filter(|t| t != "tokens")
            .collect(),
    );
    let counts = write(&config, dir.path(), None, &outcomes());
    let files = files_in(dir.path());
    assert!(files.contains(&"tokens.parquet".to_string()), "{files:?}");
    assert!(!files.contains(&"tokens.csv".to_string()), "{files:?}");
    assert_eq!(files.len(), 2 * schemas().len() - 1, "{files:?}");
    let tokens = counts.iter().find(|(t, _)| *t == "tokens").map(|(_, n)| *n);
    assert!(tokens.is_some_and(|n| n > 0), "{counts:?}");
}

#[test]
fn table_file_names_are_the_files_a_writer_of_every_table_and_format_writes() {
    for part in [None, Some("part-1-of-4")] {
        let dir = tempfile::tempdir().unwrap();
        write(&config(), dir.path(), part, &outcomes());
        let mut names = table_file_names(part);
        names.sort();
        assert_eq!(names, files_in(dir.path()), "{part:?}");
    }
}

#[test]
fn documents_rows_carry_fields_status_and_zero_counts_for_failures() {
    let dir = tempfile::tempdir().unwrap();
    write(&config(), dir.path(), None, &outcomes());
    let (_, header, rows) = read_csv(&dir.path().join("documents.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r[col("doc_id")].as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "rows sorted by doc_id");
    let by_id: HashMap<&str, &Vec<String>> = rows
        .iter()
        .map(|r| (r[col("doc_id")].as_str(), r))
        .collect();

    let ok = by_id[IDS[0]];
    assert_eq!(ok[col("status")], "ok");
    assert_eq!(ok[col("error")], "");
    assert_eq!(
        ok[col("title")],
        format!("关于“{}”的报告, 第一部分", IDS[0]),
        "comma and quotes survive"
    );
    assert_eq!(ok[col("date")], "2024-03-05");
    assert_eq!(ok[col("script")], "traditional");
    assert_eq!(ok[col("doc_type")], "speech");
    assert_eq!(ok[col("source")], "某县人民政府办公室");
    assert_eq!(ok[col("n_paragraphs")], "5");
    assert_eq!(ok[col("n_entities")], "4");
    assert_eq!(ok[col("n_numbers")], "3");
    assert_eq!(ok[col("bytes_replaced")], "false");
    let text = sample(IDS[0]).doc.text();
    assert_eq!(ok[col("n_chars")], text.chars().count().to_string());

    let error = by_id["3f2a9b0c1d2e3f40"];
    assert_eq!(error[col("status")], "error");
    assert!(error[col("error")].contains("binary file"));
    assert_eq!(error[col("source_path")], "input/3f2a9b0c1d2e3f40.bin");
    assert_eq!(error[col("format")], "binary");
    assert_eq!(error[col("n_chars")], "0");
    assert_eq!(error[col("n_paragraphs")], "0");
    assert_eq!(error[col("title")], "");
    assert_eq!(by_id["ffffffff00000000"][col("status")], "empty");
    let duplicate = by_id["9e107d9d372bb682"];
    assert_eq!(duplicate[col("status")], "duplicate");
    assert_eq!(duplicate[col("duplicate_of")], "input/original.txt");

    // Nulls are nulls in Parquet, not empty strings.
    let df = read_parquet(&dir.path().join("documents.parquet"));
    assert_eq!(df.column("title").unwrap().null_count(), 3);
    assert_eq!(df.column("speaker").unwrap().null_count(), 6);

    let (_, header, rows) = read_csv(&dir.path().join("errors.csv"));
    assert_eq!(&header[..3], ["source_path", "stage", "message"]);
    let paths: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        paths,
        ["input/3f2a9b0c1d2e3f40.bin", "input/ffffffff00000000.bin"]
    );
    assert!(rows.iter().all(|r| r[1] == "ingest"));
}

#[test]
fn slicing_the_clean_text_at_each_span_gives_the_row_text() {
    let dir = tempfile::tempdir().unwrap();
    write(&config(), dir.path(), None, &outcomes());
    let texts: HashMap<String, String> = IDS
        .iter()
        .map(|id| (id.to_string(), sample(id).doc.text()))
        .collect();
    // (table, text column): sections have no text column; their span starts with the marker.
    for (table, text_col) in [
        ("paragraphs", "text"),
        ("sentences", "text"),
        ("tokens", "word"),
        ("entities", "text"),
        ("numbers", "text"),
        ("sections", "marker"),
    ] {
        let (_, header, rows) = read_csv(&dir.path().join(format!("{table}.csv")));
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        assert!(!rows.is_empty(), "{table} has rows");
        for row in &rows {
            let span = Span::new(
                row[col("char_start")].parse().unwrap(),
                row[col("char_end")].parse().unwrap(),
            );
            let sliced = slice_chars(&texts[&row[col("doc_id")]], span);
            if table == "sections" {
                assert!(
                    sliced.starts_with(&row[col(text_col)]),
                    "{table}: {sliced:?}"
                );
            } else {
                assert_eq!(sliced, row[col(text_col)], "{table}");
            }
        }
        // The same spans in Parquet.
        let df = read_parquet(&dir.path().join(format!("{table}.parquet")));
        let starts = df.column("char_start").unwrap().i64().unwrap().clone();
        let csv_starts: Vec<i64> = rows
            .iter()
            .map(|r| r[col("char_start")].parse().unwrap())
            .collect();
        assert_eq!(
            starts.into_no_null_iter().collect::<Vec<_>>(),
            csv_starts,
            "{table}"
        );
    }
}

#[test]
fn numbers_are_written_so_python_float_reads_them_back() {
    let dir = tempfile::tempdir().unwrap();
    write(&config(), dir.path(), None, &outcomes());
    let (_, header, rows) = read_csv(&dir.path().join("numbers.csv"));
    let value = header.iter().position(|h| h == "value").unwrap();
    let low = header.iter().position(|h| h == "low").unwrap();
    let values: Vec<&str> = rows.iter().take(3).map(|r| r[value].as_str()).collect();
    assert_eq!(values, ["12850000000", "6.2", "1000000000"]);
    assert!(
        rows.iter().all(|r| r[low].is_empty()),
        "null is an empty field"
    );
    let (_, _, rows) = read_csv(&dir.path().join("keywords.csv"));
    let weights: Vec<&str> = rows.iter().take(3).map(|r| r[3].as_str()).collect();
    assert_eq!(weights, ["0.4125", "0.25", "3"]);
}

#[test]
fn entity_counts_are_per_document_sorted_by_type_then_text() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &config(),
        dir.path(),
        None,
        &[DocOutcome::Done(sample(IDS[0]))],
    );
    let (_, _, rows) = read_csv(&dir.path().join("entity_counts.csv"));
    let rows: Vec<(String, String, String)> = rows
        .into_iter()
        .map(|r| (r[1].clone(), r[2].clone(), r[3].clone()))
        .collect();
    assert_eq!(
        rows,
        [
            ("洛川县".to_string(), "LOC".to_string(), "2".to_string()),
            ("王XX".to_string(), "PER".to_string(), "1".to_string()),
            ("乡村振兴".to_string(), "TERM".to_string(), "1".to_string()),
        ]
    );
}

#[test]
fn writing_twice_gives_identical_bytes() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    write(&config(), a.path(), None, &outcomes());
    write(&config(), b.path(), None, &outcomes());
    assert_eq!(files_in(a.path()), files_in(b.path()));
    for name in files_in(a.path()) {
        assert_eq!(
            std::fs::read(a.path().join(&name)).unwrap(),
            std::fs::read(b.path().join(&name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn bom_formats_and_tables_follow_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = OutputConfig {
        csv_bom: false,
        formats: vec!["csv".to_string()],
        tables: vec!["documents".to_string(), "numbers".to_string()],
        ..OutputConfig::default()
    };
    let counts = write(&config, dir.path(), None, &outcomes());
    assert_eq!(counts, vec![("documents", 6), ("numbers", 9)]);
    assert_eq!(files_in(dir.path()), ["documents.csv", "numbers.csv"]);
    let (bom, _, rows) = read_csv(&dir.path().join("documents.csv"));
    assert!(!bom);
    assert_eq!(rows.len(), 6);

    let dir = tempfile::tempdir().unwrap();
    let config = OutputConfig {
        formats: vec!["parquet".to_string()],
        ..OutputConfig::default()
    };
    write(&config, dir.path(), None, &outcomes());
    assert!(files_in(dir.path()).iter().all(|n| n.ends_with(".parquet")));
}

#[test]
fn empty_run_writes_headers_and_empty_parquet_files() {
    let dir = tempfile::tempdir().unwrap();
    let counts = write(&config(), dir.path(), None, &[]);
    assert!(counts.iter().all(|(_, n)| *n == 0));
    let df = read_parquet(&dir.path().join("tokens.parquet"));
    assert_eq!(df.height(), 0);
    assert_eq!(df.width(), 7);
    let (_, header, rows) = read_csv(&dir.path().join("tokens.csv"));
    assert_eq!(header.len(), 7);
    assert!(rows.is_empty());
}

/// Many documents with distinct ids, as a corpus.
fn corpus(n: usize) -> Vec<DocOutcome> {
    (0..n)
        .map(|i| {
            let id = format!("{:016x}", (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            match i % 7 {
                3 => failure(&id, FailureStatus::Error),
                5 => failure(&id, FailureStatus::Duplicate),
                _ => DocOutcome::Done(sample(&id)),
            }
        })
        .collect()
}

#[test]
fn part_files_merged_equal_one_unsharded_write() {
    let docs = corpus(40);
    let whole = tempfile::tempdir().unwrap();
    let whole_counts = write(&config(), whole.path(), None, &docs);

    let sharded = tempfile::tempdir().unwrap();
    let shards = 3;
    for shard in 0..shards {
        // Shard by the doc_id's last hex digit, as a driver would by hash.
        let mine: Vec<DocOutcome> = docs
            .iter()
            .filter(|d| {
                u32::from_str_radix(d.source().doc_id.get(15..).unwrap(), 16).unwrap() % shards
                    == shard
            })
            .cloned()
            .collect();
        let part = format!("part-{shard}-of-{shards}");
        write(&config(), sharded.path(), Some(&part), &mine);
    }
    assert!(files_in(sharded.path()).contains(&"documents.part-0-of-3.parquet".to_string()));

    // Into another folder, keeping the parts.
    let merged = tempfile::tempdir().unwrap();
    let counts = merge_parts_into(&config(), sharded.path(), merged.path()).unwrap();
    assert_eq!(counts, whole_counts);
    assert_eq!(files_in(merged.path()), files_in(whole.path()));
    for name in files_in(whole.path()) {
        assert_eq!(
            std::fs::read(whole.path().join(&name)).unwrap(),
            std::fs::read(merged.path().join(&name)).unwrap(),
            "{name} differs from the unsharded run"
        );
    }

    // In place: the parts are replaced by the whole tables.
    let counts = merge_parts(&config(), sharded.path()).unwrap();
    assert_eq!(counts, whole_counts);
    assert_eq!(files_in(sharded.path()), files_in(whole.path()));
    for name in files_in(whole.path()) {
        assert_eq!(
            std::fs::read(whole.path().join(&name)).unwrap(),
            std::fs::read(sharded.path().join(&name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn merge_with_a_larger_batch_than_the_parts_still_matches() {
    let docs = corpus(25);
    let big = OutputConfig {
        batch_rows: 50,
        ..OutputConfig::default()
    };
    let whole = tempfile::tempdir().unwrap();
    write(&big, whole.path(), None, &docs);
    let sharded = tempfile::tempdir().unwrap();
    for shard in 0..2u32 {
        let mine: Vec<DocOutcome> = docs
            .iter()
            .filter(|d| {
                u32::from_str_radix(d.source().doc_id.get(15..).unwrap(), 16).unwrap() % 2 == shard
            })
            .cloned()
            .collect();
        // Parts written with small row groups; the merge re-cuts them at the merge's batch size.
        write(
            &config(),
            sharded.path(),
            Some(&format!("part-{shard}-of-2")),
            &mine,
        );
    }
    merge_parts(&big, sharded.path()).unwrap();
    for name in files_in(whole.path()) {
        assert_eq!(
            std::fs::read(whole.path().join(&name)).unwrap(),
            std::fs::read(sharded.path().join(&name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn merging_a_folder_without_parts_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    assert!(merge_parts(&config(), dir.path()).is_err());
}

#[test]
fn bad_part_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(TableWriter::create(&config(), dir.path(), Some("../x")).is_err());
    assert!(TableWriter::create(&config(), dir.path(), Some("")).is_err());
    assert!(TableWriter::create(&config(), dir.path(), Some("part-1-of-2")).is_ok());
}

/// The text a CSV field holds for a value read back from Parquet.
fn csv_text(value: polars::prelude::AnyValue<'_>) -> String {
    use polars::prelude::AnyValue;
    match value {
        AnyValue::Null => String::new(),
        AnyValue::Int64(v) => v.to_string(),
        AnyValue::Float64(v) => v.to_string(),
        AnyValue::Boolean(v) => v.to_string(),
        AnyValue::String(s) => s.to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        other => panic!("unexpected value {other:?}"),
    }
}

#[test]
fn parquet_holds_the_same_values_as_csv_in_every_table() {
    // Row groups of 7 rows cut through documents, dictionary runs and delta blocks.
    let docs = corpus(30);
    let dir = tempfile::tempdir().unwrap();
    write(&config(), dir.path(), None, &docs);
    for table in schemas() {
        let (_, header, rows) = read_csv(&dir.path().join(format!("{}.csv", table.name)));
        let df = read_parquet(&dir.path().join(format!("{}.parquet", table.name)));
        assert_eq!(df.height(), rows.len(), "{}", table.name);
        for (c, name) in header.iter().enumerate() {
            let column = df.column(name).unwrap().as_materialized_series().clone();
            for (r, row) in rows.iter().enumerate() {
                let value = column.get(r).unwrap();
                let is_null = matches!(value, polars::prelude::AnyValue::Null);
                assert_eq!(csv_text(value), row[c], "{}.{name} row {r}", table.name);
                // Only nullable columns hold nulls; an empty string stays a string.
                if is_null {
                    let def = table.columns.iter().find(|d| d.name == name).unwrap();
                    assert!(def.dtype.ends_with('?'), "{}.{name} row {r}", table.name);
                }
            }
        }
    }
}
