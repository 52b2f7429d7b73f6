//! The `[numbers]` section of the repository's pipeline.toml parses, validates and builds.

use std::path::PathBuf;

use gongwen_numbers::{NumberExtractor, NumbersConfig};

#[test]
fn pipeline_toml_numbers_section_is_valid() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text =
        std::fs::read_to_string(root.join("pipeline.toml")).unwrap_or_else(|e| panic!("{e}"));
    let doc: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let section = doc
        .get("numbers")
        .cloned()
        .unwrap_or(toml::Value::Table(toml::Table::new()));
    let config: NumbersConfig = section.try_into().unwrap_or_else(|e| panic!("{e}"));
    assert!(config.validate(&root).is_empty());
    assert!(NumberExtractor::build(&config, &root).is_ok());
}

#[test]
fn unknown_keys_and_missing_files_are_reported() {
    let bad: Result<NumbersConfig, _> = toml::from_str("subject = true");
    assert!(bad.is_err());
    let config: NumbersConfig =
        toml::from_str("extra_units = [\"no/such.tsv\"]\nmax_subject_chars = 0")
            .unwrap_or_else(|e| panic!("{e}"));
    let problems = config.validate(std::path::Path::new("/nonexistent"));
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["numbers.extra_units[0]", "numbers.max_subject_chars"]
    );
}
