//! Output-identity check for performance work: cleans `data/samples/*.txt`, windows of their
//! lines, every text file of the directories given as arguments (with and without page
//! metadata), and each result once more, and prints every outcome as one JSON line.
//! `cargo run --release -p gongwen-clean --example dump_clean [DIR…] > dump.jsonl`; compare
//! two dumps with `cmp`.

use std::path::Path;

use gongwen_clean::{CleanConfig, Cleaner};
use gongwen_model::{PageMeta, RawDoc};

fn read_dir_texts(dir: &Path) -> Vec<(String, String)> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .filter_map(|p| {
            let bytes = std::fs::read(&p).ok()?;
            Some((
                p.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ))
        })
        .collect()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let samples = read_dir_texts(&root.join("data/samples"));
    let mut inputs: Vec<(String, String)> = samples.clone();
    for (name, text) in &samples {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let end = (i + 15).min(lines.len());
            inputs.push((format!("{name}#{i}"), lines[i..end].join("\n")));
            i += 7;
        }
    }
    for dir in std::env::args().skip(1) {
        inputs.extend(read_dir_texts(Path::new(&dir)));
    }
    let meta = PageMeta {
        title: Some("关于做好春季农业生产工作的通知_范文网".into()),
        source: Some("某某市人民政府网".into()),
        published: Some("2024-03-05 10:00".into()),
        ..Default::default()
    };
    let cleaners: Vec<Cleaner> = [
        CleanConfig::default(),
        CleanConfig {
            doc_mill: gongwen_clean::DocMillMode::Repair,
            convert_script: gongwen_clean::ConvertScript::Auto,
            subheading_max_chars: 0,
            ..Default::default()
        },
    ]
    .iter()
    .map(|c| Cleaner::build(c, &root).expect("builds"))
    .collect();
    for (ci, cleaner) in cleaners.iter().enumerate() {
        for (name, text) in &inputs {
            for (mi, m) in [PageMeta::default(), meta.clone()].into_iter().enumerate() {
                if ci == 1 && mi == 1 {
                    continue;
                }
                let r = cleaner.clean(RawDoc {
                    text: text.clone(),
                    meta: m,
                    ..Default::default()
                });
                let again = r.as_ref().ok().map(|d| {
                    cleaner
                        .clean(RawDoc {
                            text: d.paragraphs.join("\n"),
                            ..Default::default()
                        })
                        .map(|d| d.paragraphs)
                        .map_err(|f| f.message)
                });
                let line = serde_json::json!({
                    "input": name, "cleaner": ci, "meta": mi,
                    "result": r.map_err(|f| serde_json::to_value(&f).ok()),
                    "again": again,
                });
                println!("{line}");
            }
        }
    }
}
