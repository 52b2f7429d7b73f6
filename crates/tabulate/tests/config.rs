//! The `[output]` config: defaults, unknown keys, validation with TOML paths.
#![allow(clippy::unwrap_used)]

use gongwen_tabulate::{schemas, OutputConfig};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    output: OutputConfig,
}

fn parse(toml_text: &str) -> Result<OutputConfig, toml::de::Error> {
    toml::from_str::<File>(toml_text).map(|f| f.output)
}

#[test]
fn an_empty_section_gets_the_documented_defaults() {
    let config = parse("[output]\n").unwrap();
    assert_eq!(config.dir, std::path::PathBuf::from("out"));
    assert_eq!(config.formats, ["parquet", "csv"]);
    let all: Vec<&str> = schemas().iter().map(|t| t.name).collect();
    assert_eq!(config.tables, all);
    assert_eq!(config.csv_tables, None);
    assert!(config.csv_bom);
    assert_eq!(config.zstd_level, 1);
    assert_eq!(config.batch_rows, 16_384);
    assert!(config.validate().is_empty());
}

#[test]
fn unknown_keys_are_refused() {
    let err = parse("[output]\nformat = [\"csv\"]\n").err().unwrap();
    assert!(err.to_string().contains("format"), "{err}");
}

#[test]
fn every_problem_is_reported_with_its_toml_path() {
    let config = parse(
        r#"[output]
formats = ["parquet", "xlsx", "parquet"]
tables = ["documents", "tokenz"]
zstd_level = 0
batch_rows = 0
"#,
    )
    .unwrap();
    let problems = config.validate();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "output.formats[1]",
            "output.formats[2]",
            "output.tables[1]",
            "output.zstd_level",
            "output.batch_rows"
        ]
    );
    assert!(problems[0].message.contains("\"xlsx\""));
    assert!(problems[2].message.contains("\"tokenz\""));
}

#[test]
fn csv_tables_must_be_known_tables_written_in_csv() {
    let config = parse(
        r#"[output]
tables = ["documents", "entities"]
csv_tables = ["documents", "tokenz", "documents", "numbers"]
"#,
    )
    .unwrap();
    let problems = config.validate();
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "output.csv_tables[1]",
            "output.csv_tables[2]",
            "output.csv_tables[3]"
        ]
    );
    assert!(problems[2].message.contains("not in output.tables"));

    let config =
        parse("[output]\nformats = [\"parquet\"]\ncsv_tables = [\"documents\"]\n").unwrap();
    let paths: Vec<String> = config.validate().into_iter().map(|p| p.path).collect();
    assert_eq!(paths, ["output.csv_tables"]);

    let config = parse("[output]\ncsv_tables = [\"documents\"]\n").unwrap();
    assert!(config.validate().is_empty());
    assert!(config.writes_csv_of("documents"));
    assert!(!config.writes_csv_of("tokens"));
    assert!(parse("[output]\n").unwrap().writes_csv_of("tokens"));
}

#[test]
fn empty_lists_are_problems() {
    let config = parse("[output]\nformats = []\ntables = []\n").unwrap();
    let paths: Vec<String> = config.validate().into_iter().map(|p| p.path).collect();
    assert_eq!(paths, ["output.formats", "output.tables"]);
}

#[test]
fn the_bundled_pipeline_toml_output_section_is_valid() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../pipeline.toml");
    let text = std::fs::read_to_string(path).unwrap();
    let value: toml::Table = toml::from_str(&text).unwrap();
    let section = value
        .get("output")
        .cloned()
        .unwrap_or(toml::Value::Table(toml::Table::new()));
    let config: OutputConfig = section.try_into().unwrap();
    assert!(config.validate().is_empty(), "{:?}", config.validate());
}
