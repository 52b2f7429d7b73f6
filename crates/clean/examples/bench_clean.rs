//! Times the clean stage against jieba on the same text: the five samples of `data/samples`,
//! repeated until about `BENCH_MB` (default 5) MB, each copy a document.
//! `cargo run --release -p gongwen-clean --example bench_clean`.
//!
//! Prints the time of `Cleaner::clean` over all documents, of the script conversion alone
//! (`Converter::convert` over the same input, the share of clean it accounts for), and of
//! `jieba.cut(paragraph, hmm = true)` over the cleaned paragraphs (what segment spends most of
//! its time on). House rule: the whole pipeline minus jieba must cost less than jieba.

use std::path::Path;
use std::time::Instant;

use gongwen_clean::{CleanConfig, Cleaner, Converter, OpenccConfig};
use gongwen_model::{RawDoc, SourceInfo};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut samples: Vec<(String, String)> = Vec::new();
    if let Ok(dir) = std::fs::read_dir(root.join("data/samples")) {
        let mut paths: Vec<_> = dir.filter_map(Result::ok).map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            if let Ok(bytes) = std::fs::read(&p) {
                samples.push((
                    p.display().to_string(),
                    String::from_utf8_lossy(&bytes).into_owned(),
                ));
            }
        }
    }
    if samples.is_empty() {
        eprintln!("no samples under data/samples");
        return;
    }
    let target_mb: f64 = std::env::var("BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5.0);
    let set_bytes: usize = samples.iter().map(|(_, t)| t.len()).sum();
    let rounds = ((target_mb * 1e6) / set_bytes as f64).ceil().max(1.0) as usize;
    let docs: Vec<RawDoc> = (0..rounds)
        .flat_map(|_| samples.iter())
        .map(|(path, text)| RawDoc {
            source: SourceInfo {
                source_path: path.clone(),
                ..Default::default()
            },
            text: text.clone(),
            ..Default::default()
        })
        .collect();
    let total_bytes: usize = docs.iter().map(|d| d.text.len()).sum();

    let t = Instant::now();
    let cleaner = match Cleaner::build(&CleanConfig::default(), &root) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let build = t.elapsed();

    let t = Instant::now();
    let mut paragraphs: Vec<String> = Vec::new();
    for d in docs.iter().cloned() {
        if let Ok(c) = cleaner.clean(d) {
            paragraphs.extend(c.paragraphs);
        }
    }
    let clean = t.elapsed();

    let converter = match Converter::new(OpenccConfig::T2s) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let t = Instant::now();
    let mut changed = 0usize;
    for d in &docs {
        changed += converter.convert(&d.text).changed;
    }
    let convert = t.elapsed();

    let t = Instant::now();
    let jieba = jieba_rs::Jieba::new();
    let jieba_build = t.elapsed();
    let t = Instant::now();
    let mut tokens = 0usize;
    for p in &paragraphs {
        tokens += jieba.cut(p, true).len();
    }
    let cut = t.elapsed();

    let mb = total_bytes as f64 / 1e6;
    println!(
        "{} documents, {mb:.2} MB input ({rounds} rounds of {} samples)",
        docs.len(),
        samples.len()
    );
    println!(
        "Cleaner::build        {:>8.1} ms",
        build.as_secs_f64() * 1e3
    );
    println!(
        "Cleaner::clean        {:>8.1} ms  ({:.1} MB/s)",
        clean.as_secs_f64() * 1e3,
        mb / clean.as_secs_f64()
    );
    println!(
        "  of which t2s alone  {:>8.1} ms  ({:.0}% of clean; {changed} chars changed)",
        convert.as_secs_f64() * 1e3,
        convert.as_secs_f64() / clean.as_secs_f64() * 100.0
    );
    println!(
        "jieba cut (hmm)       {:>8.1} ms  over the cleaned text, {tokens} tokens (build {:.0} ms)",
        cut.as_secs_f64() * 1e3,
        jieba_build.as_secs_f64() * 1e3
    );
    println!(
        "clean / jieba         {:>8.2}",
        clean.as_secs_f64() / cut.as_secs_f64()
    );
}
