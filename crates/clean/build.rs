//! Writes the OpenCC dictionaries that traditional → simplified conversion reads to
//! `OUT_DIR/opencc_to_simplified.tsv`, for `script.rs` to embed.
//!
//! `opencc-fmmseg` embeds *all* its dictionaries in one compressed blob, and loading it
//! (decompressing, then deserialising every dictionary: 50 000 simplified → traditional
//! phrases, Japanese and seal-script tables…) cost two thirds of `Cleaner::build`, at every
//! start of the pipeline. Conversion to simplified reads only the nine small tables below
//! (about 8 000 entries), so they are taken out of the blob here, once per build.
//!
//! Format: `#NAME` starts a table, then one `KEY<TAB>VALUE` line per entry.

use std::fmt::Write as _;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        panic!("cargo sets OUT_DIR for build scripts");
    };
    let d = match opencc_fmmseg::DictionaryMaxlength::new() {
        Ok(d) => d,
        Err(e) => panic!("opencc-fmmseg dictionaries did not load: {e}"),
    };
    let tables = [
        ("ts_phrases", &d.ts_phrases),
        ("ts_characters", &d.ts_characters),
        ("ts_punctuations", &d.ts_punctuations),
        ("tw_phrases_rev", &d.tw_phrases_rev),
        ("tw_variants_rev", &d.tw_variants_rev),
        ("tw_variants_rev_phrases", &d.tw_variants_rev_phrases),
        ("hk_phrases_rev", &d.hk_phrases_rev),
        ("hk_variants_rev", &d.hk_variants_rev),
        ("hk_variants_rev_phrases", &d.hk_variants_rev_phrases),
    ];
    let mut text = String::new();
    for (name, table) in tables {
        let _ = writeln!(text, "#{name}");
        // sorted, so that the file is the same at every build
        let mut entries: Vec<(String, &str)> =
            table.iter().map(|(k, v)| (k.iter().collect(), v)).collect();
        entries.sort_unstable();
        for (key, value) in entries {
            let plain = |s: &str| !s.is_empty() && !s.contains(['\t', '\n', '\r', '#']);
            if !plain(&key) || !value.chars().all(|c| !matches!(c, '\t' | '\n' | '\r')) {
                panic!("{name}: entry {key:?} → {value:?} does not fit the TSV format");
            }
            let _ = writeln!(text, "{key}\t{value}");
        }
    }
    let path = std::path::Path::new(&out_dir).join("opencc_to_simplified.tsv");
    if let Err(e) = std::fs::write(&path, text) {
        panic!("cannot write {}: {e}", path.display());
    }
}
