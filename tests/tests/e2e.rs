//! End-to-end tests of the whole pipeline on the bundled data/ (through the driver's library
//! API): the offset property on every table, Parquet/CSV row counts, determinism, bad
//! files, zip archives, incremental runs, shards + merge, and the scorer's floors.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use gongwen::{LoadedConfig, Overrides, RunOptions, RunReport, Shard};
use gongwen_model::{slice_chars, Span};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("data/samples"))
        .unwrap_or_else(|e| panic!("data/samples: {e}"))
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

fn copy(from: &Path, to: &Path) {
    if let Some(p) = to.parent() {
        std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("mkdir {p:?}: {e}"));
    }
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {from:?}: {e}"));
}

/// The bundled pipeline.toml, reading `inputs` and writing `out`.
fn load(inputs: &[&Path], out: &Path) -> LoadedConfig {
    let overrides = Overrides {
        inputs: inputs.iter().map(|p| p.to_path_buf()).collect(),
        output: Some(out.to_path_buf()),
    };
    gongwen::load(&repo().join("pipeline.toml"), &overrides)
        .unwrap_or_else(|e| panic!("config: {e}"))
}

/// Runs the bundled pipeline.toml on `inputs`, writing `out`.
fn run(inputs: &[&Path], out: &Path, full: bool, shard: Option<Shard>) -> RunReport {
    run_loaded(&load(inputs, out), full, shard)
}

/// Runs `loaded` with two jobs and no progress bar.
fn run_loaded(loaded: &LoadedConfig, full: bool, shard: Option<Shard>) -> RunReport {
    let opts = RunOptions {
        jobs: Some(2),
        full,
        shard,
        progress: false,
        ..Default::default()
    };
    gongwen::run(loaded, &opts).unwrap_or_else(|e| panic!("run: {e}"))
}

type Row = HashMap<String, String>;

/// A CSV table as rows of column → value (BOM stripped).
fn table(dir: &Path, name: &str) -> Vec<Row> {
    let bytes = std::fs::read(dir.join(format!("{name}.csv")))
        .unwrap_or_else(|e| panic!("{name}.csv: {e}"));
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let mut reader = csv::Reader::from_reader(body);
    let headers = reader
        .headers()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap_or_else(|e| panic!("{name}: {e}"));
            headers
                .iter()
                .map(str::to_string)
                .zip(r.iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn num(row: &Row, col: &str) -> usize {
    row.get(col)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("bad {col} in {row:?}"))
}

/// Every CSV file of a folder, name → bytes.
fn csv_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".csv"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .collect()
}

fn assert_same_tables(a: &Path, b: &Path) {
    let (x, y) = (csv_files(a), csv_files(b));
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
    for (name, bytes) in &x {
        assert!(
            y.get(name) == Some(bytes),
            "{name} differs between {a:?} and {b:?}"
        );
    }
}

/// The clean text of every document: its paragraphs joined with "\n".
fn clean_texts(dir: &Path) -> HashMap<String, String> {
    let mut paras: HashMap<String, Vec<(usize, String)>> = HashMap::new();
    for row in table(dir, "paragraphs") {
        paras
            .entry(row["doc_id"].clone())
            .or_default()
            .push((num(&row, "para_idx"), row["text"].clone()));
    }
    paras
        .into_iter()
        .map(|(id, mut ps)| {
            ps.sort();
            (
                id,
                ps.into_iter()
                    .map(|(_, t)| t)
                    .collect::<Vec<_>>()
                    .join("\n"),
            )
        })
        .collect()
}

fn check_offsets(dir: &Path) {
    let texts = clean_texts(dir);
    assert!(!texts.is_empty());
    for (name, text_col) in [
        ("paragraphs", "text"),
        ("sentences", "text"),
        ("tokens", "word"),
        ("entities", "text"),
        ("numbers", "text"),
    ] {
        let rows = table(dir, name);
        for row in &rows {
            let text = texts
                .get(&row["doc_id"])
                .unwrap_or_else(|| panic!("{name}: unknown doc {}", row["doc_id"]));
            let span = Span::new(num(row, "char_start"), num(row, "char_end"));
            assert!(
                span.end <= text.chars().count(),
                "{name}: span {span:?} past the end: {row:?}"
            );
            assert_eq!(
                slice_chars(text, span),
                row[text_col],
                "{name}: slice ≠ {text_col}: {row:?}"
            );
        }
    }
    for row in table(dir, "sections") {
        let text = &texts[&row["doc_id"]];
        let span = Span::new(num(&row, "char_start"), num(&row, "char_end"));
        assert!(
            span.start < span.end && span.end <= text.chars().count(),
            "sections: {row:?}"
        );
        assert!(
            slice_chars(text, span).starts_with(row["marker"].as_str()),
            "section span must start at its marker: {row:?}"
        );
    }
}

#[test]
fn bundled_data_offsets_row_counts_and_determinism() {
    let tmp = tempdir();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let input = repo().join("data/samples");
    let report = run(&[&input], &a, true, None);
    assert_eq!(report.manifest.exit_code, 0);
    assert_eq!(report.manifest.documents.ok, samples().len());
    check_offsets(&a);

    // Parquet and CSV hold the same rows.
    let counts = gongwen_tabulate::read_row_counts(&a, None).unwrap_or_else(|e| panic!("{e}"));
    assert!(counts.iter().any(|c| c.table == "tokens"));
    for c in &counts {
        assert_eq!(c.parquet_rows, c.csv_rows, "{}", c.table);
        assert_eq!(
            report.manifest.rows.get(c.table).copied(),
            c.csv_rows,
            "manifest rows of {}",
            c.table
        );
    }

    // Same input, same config: byte-identical CSV.
    run(&[&input], &b, true, None);
    assert_same_tables(&a, &b);
}

#[test]
fn bad_files_get_error_rows_while_the_rest_succeeds() {
    let tmp = tempdir();
    let input = tmp.path().join("in");
    let s = samples();
    for p in s.iter().take(2) {
        copy(p, &input.join(p.file_name().unwrap_or_default()));
    }
    let mut binary = vec![0u8, 0, 0, 1, 0x7f, b'E', b'L', b'F'];
    binary.extend((0..5000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(input.join("program.bin"), &binary).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(input.join("empty.txt"), b"").unwrap_or_else(|e| panic!("{e}"));
    let out = tmp.path().join("out");
    let report = run(&[&input], &out, true, None);
    assert_eq!(
        report.manifest.documents.ok, 2,
        "{:?}",
        report.manifest.documents
    );
    assert_eq!(
        report.manifest.exit_code, 1,
        "a binary file is a failed file"
    );
    let errors = table(&out, "errors");
    assert!(
        errors
            .iter()
            .any(|r| r["source_path"].ends_with("program.bin")),
        "{errors:?}"
    );
    let docs = table(&out, "documents");
    assert_eq!(docs.len(), 4);
    let status = |suffix: &str| {
        docs.iter()
            .find(|r| r["source_path"].ends_with(suffix))
            .map(|r| r["status"].clone())
    };
    assert_eq!(status("program.bin").as_deref(), Some("error"));
    assert_eq!(status("empty.txt").as_deref(), Some("empty"));
    // The manifest counts documents per format too.
    let formats = &report.manifest.formats;
    assert_eq!(formats.get("txt").map(|c| c.ok), Some(2), "{formats:?}");
    assert_eq!(
        formats.get("binary").map(|c| c.error),
        Some(1),
        "{formats:?}"
    );
    assert_eq!(
        formats.values().map(|c| c.empty).sum::<usize>(),
        1,
        "{formats:?}"
    );
    assert_eq!(docs.iter().filter(|r| r["status"] == "ok").count(), 2);
    check_offsets(&out);
}

#[test]
fn incremental_run_after_add_change_delete_equals_a_full_run() {
    let tmp = tempdir();
    let input = tmp.path().join("in");
    let s = samples();
    assert!(s.len() >= 4);
    for p in &s[..3] {
        copy(p, &input.join(p.file_name().unwrap_or_default()));
    }
    let inc = tmp.path().join("inc");
    let first = run(&[&input], &inc, false, None);
    assert!(first.manifest.full_run);

    // Add one, change one, delete one; also a duplicate of an unchanged file.
    copy(&s[3], &input.join(s[3].file_name().unwrap_or_default()));
    let changed = input.join(s[0].file_name().unwrap_or_default());
    let mut text = std::fs::read(&changed).unwrap_or_default();
    text.extend_from_slice("\n会议强调，要把各项工作抓实抓细，确保取得实效。\n".as_bytes());
    std::fs::write(&changed, text).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(input.join(s[1].file_name().unwrap_or_default()))
        .unwrap_or_else(|e| panic!("{e}"));
    copy(&s[2], &input.join("zz_copy_of_third.txt"));

    let second = run(&[&input], &inc, false, None);
    assert!(
        !second.manifest.full_run,
        "{:?}",
        second.manifest.full_run_reason
    );
    assert_eq!(
        second.manifest.files.processed, 2,
        "{:?}",
        second.manifest.files
    );
    assert_eq!(second.manifest.files.skipped, 1);
    assert_eq!(second.manifest.files.duplicates, 1);

    let full = tmp.path().join("full");
    run(&[&input], &full, true, None);
    assert_same_tables(&inc, &full);

    // Nothing changed: nothing processed, same tables.
    let third = run(&[&input], &inc, false, None);
    assert_eq!(third.manifest.files.processed, 0);
    assert_same_tables(&inc, &full);
}

/// Sample files renamed to GBK bytes (as unpacked from a zip made on Chinese Windows):
/// every one is read, keeps its own path, and the next run finds them all unchanged.
#[cfg(unix)]
#[test]
fn files_named_in_gbk_are_read_and_runs_stay_incremental() {
    use std::os::unix::ffi::OsStrExt as _;
    let tmp = tempdir();
    let input = tmp.path().join("in");
    // 讲话.txt, 报告.txt and 纪要.txt in GBK.
    let names: [&[u8]; 3] = [
        b"\xbd\xb2\xbb\xb0.txt",
        b"\xb1\xa8\xb8\xe6.txt",
        b"\xbc\xcd\xd2\xaa.txt",
    ];
    for (sample, name) in samples().iter().zip(names) {
        copy(sample, &input.join(std::ffi::OsStr::from_bytes(name)));
    }
    let out = tmp.path().join("out");
    let first = run(&[&input], &out, false, None);
    assert_eq!(
        first.manifest.files.processed, 3,
        "{:?}",
        first.manifest.files
    );
    assert_eq!(
        first.manifest.documents.ok, 3,
        "{:?}",
        first.manifest.documents
    );
    let mut paths: Vec<String> = table(&out, "documents")
        .iter()
        .filter_map(|row| row.get("source_path").cloned())
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 3, "{paths:?}");
    assert!(paths.iter().all(|p| p.contains("\\x")), "{paths:?}");

    let second = run(&[&input], &out, false, None);
    assert_eq!(
        second.manifest.files.processed, 0,
        "{:?}",
        second.manifest.files
    );
    assert_eq!(
        second.manifest.files.skipped, 3,
        "{:?}",
        second.manifest.files
    );
}

#[test]
fn samples_in_a_zip_archive_give_the_rows_of_the_loose_files() {
    use std::io::Write as _;
    let tmp = tempdir();
    let zipped = tmp.path().join("zipped");
    std::fs::create_dir_all(&zipped).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    for sample in samples() {
        let name = sample.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = format!("讲话/{}", name.unwrap_or_default());
        let bytes = std::fs::read(&sample).unwrap_or_else(|e| panic!("{sample:?}: {e}"));
        zip.start_file(name, options)
            .and_then(|()| Ok(zip.write_all(&bytes)?))
            .unwrap_or_else(|e| panic!("zip: {e}"));
    }
    let bytes = zip
        .finish()
        .unwrap_or_else(|e| panic!("zip: {e}"))
        .into_inner();
    std::fs::write(zipped.join("bundle.zip"), bytes).unwrap_or_else(|e| panic!("write: {e}"));

    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let report = run(&[&zipped], &a, false, None);
    assert_eq!(report.manifest.documents.ok, samples().len());
    run(&[&repo().join("data/samples")], &b, false, None);
    check_offsets(&a);
    // Each document of the archive is the loose file of the same name, row for row.
    let by_name = |dir: &Path| -> BTreeMap<String, Vec<String>> {
        table(dir, "documents")
            .into_iter()
            .map(|row| {
                let path = &row["source_path"];
                let name = path.rsplit('/').next().unwrap_or_default().to_string();
                let fields = [
                    "format",
                    "title",
                    "date",
                    "source",
                    "n_chars",
                    "n_sentences",
                    "n_entities",
                    "n_numbers",
                ];
                (name, fields.iter().map(|f| row[*f].clone()).collect())
            })
            .collect()
    };
    assert_eq!(by_name(&a), by_name(&b));
    let mut texts_a: Vec<String> = clean_texts(&a).into_values().collect();
    let mut texts_b: Vec<String> = clean_texts(&b).into_values().collect();
    texts_a.sort();
    texts_b.sort();
    assert_eq!(texts_a, texts_b);
    assert!(table(&a, "documents")
        .iter()
        .all(|row| row["source_path"].contains("bundle.zip!/讲话/")));

    let again = run(&[&zipped], &a, false, None);
    assert_eq!(
        again.manifest.files.skipped, 1,
        "{:?}",
        again.manifest.files
    );
}

#[test]
fn a_table_or_format_no_longer_asked_for_leaves_the_output_folder() {
    let tmp = tempdir();
    let input = repo().join("data/samples");
    let out = tmp.path().join("out");
    run(&[&input], &out, false, None);
    assert!(out.join("tokens.parquet").is_file() && out.join("tokens.csv").is_file());
    let user_file = out.join("notes.csv");
    std::fs::write(&user_file, "mine").unwrap_or_else(|e| panic!("{e}"));

    // Tokens dropped from the tables, CSV from the formats: the next run (incremental, all
    // files unchanged) writes the rest and removes what an earlier run left of those.
    let mut loaded = load(&[&input], &out);
    loaded.config.output.tables.retain(|t| t != "tokens");
    loaded.config.output.formats = vec!["parquet".to_string()];
    let second = run_loaded(&loaded, false, None);
    assert_eq!(
        second.manifest.files.processed, 0,
        "{:?}",
        second.manifest.files
    );
    let mut left: Vec<String> = std::fs::read_dir(&out)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut expected: Vec<String> = loaded
        .config
        .output
        .tables
        .iter()
        .map(|t| format!("{t}.parquet"))
        .chain(["manifest.json".to_string(), "notes.csv".to_string()])
        .collect();
    expected.sort();
    assert_eq!(left, expected);
}

#[test]
fn shards_merged_equal_one_run() {
    let tmp = tempdir();
    let input = repo().join("data/samples");
    let one = tmp.path().join("one");
    let whole = run(&[&input], &one, true, None);
    let sharded = tmp.path().join("sharded");
    for index in 0..4 {
        run(&[&input], &sharded, true, Some(Shard { index, count: 4 }));
    }
    let merged =
        gongwen::merge::merge(&load(&[], &sharded)).unwrap_or_else(|e| panic!("merge: {e}"));
    assert_eq!(merged.documents.ok, samples().len());
    assert_eq!(merged.formats, whole.manifest.formats);
    // Keywords included: merge re-ranks them with corpus-wide document frequencies.
    assert_same_tables(&one, &sharded);
}

#[test]
fn scorer_floors_of_issue_2() {
    let eval = repo().join("../shared/eval");
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !eval.join("score.py").is_file() || !python {
        eprintln!("skipped: ../shared/eval or python3 absent");
        return;
    }
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run(&[&repo().join("data/samples")], &out, true, None);
    let o = std::process::Command::new("python3")
        .arg(eval.join("score.py"))
        .arg(&out)
        .arg(eval.join("gold"))
        .arg("--json")
        .output()
        .unwrap_or_else(|e| panic!("score.py: {e}"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("score.py output: {e}"));
    let s = &v["summary"];
    let get = |a: &str, b: &str| {
        s[a][b]
            .as_f64()
            .unwrap_or_else(|| panic!("summary.{a}.{b} missing: {s}"))
    };
    let (recall, sections, numbers, entities) = (
        get("body", "content_recall"),
        get("sections", "f1"),
        get("numbers", "f1"),
        get("entities", "f1"),
    );
    eprintln!("content recall {recall}, sections F1 {sections}, numbers F1 {numbers}, entities F1 {entities}");
    assert!(recall >= 0.9, "content recall {recall} < 0.9");
    assert!(sections >= 0.7, "sections F1 {sections} < 0.7");
    assert!(numbers >= 0.7, "numbers F1 {numbers} < 0.7");
    assert!(entities >= 0.5, "entities F1 {entities} < 0.5");
}
