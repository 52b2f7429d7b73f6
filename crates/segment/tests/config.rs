//! The `[segment]` section of the project's pipeline.toml parses and validates, and spells out
//! the defaults.

use std::path::Path;

use gongwen_segment::SegmentConfig;

#[test]
fn pipeline_toml_segment_section_is_valid_and_equals_the_defaults() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("pipeline.toml")).expect("pipeline.toml readable");
    let table: toml::Table = toml::from_str(&text).expect("pipeline.toml is TOML");
    let section = table.get("segment").cloned().expect("[segment] present");
    let config: SegmentConfig = section.try_into().expect("[segment] parses");
    assert_eq!(config.validate(&root), vec![]);
    assert_eq!(config, SegmentConfig::default());
}

#[test]
fn unknown_keys_are_rejected() {
    let parsed: Result<SegmentConfig, _> = toml::from_str("hmm = true\nhmmm = false\n");
    assert!(parsed.is_err());
}
