//! Throughput of number extraction next to jieba-rs `tag` (HMM on) on the same text: the
//! bundled samples, split into sentences and repeated to a few MB.
//!
//! Run with `cargo bench -p gongwen-numbers`.

use std::time::Instant;

use gongwen_numbers::NumberExtractor;

const TARGET_BYTES: usize = 4 << 20;

fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut cur = String::new();
        for c in line.chars() {
            cur.push(c);
            if matches!(c, '。' | '！' | '？' | '；' | '!' | '?' | ';') {
                out.push(std::mem::take(&mut cur));
            }
        }
        if !cur.trim().is_empty() {
            out.push(cur);
        }
    }
    out
}

fn main() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/samples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    let mut base = String::new();
    for p in paths
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
    {
        base.push_str(&std::fs::read_to_string(p).unwrap_or_default());
        base.push('\n');
    }
    if base.is_empty() {
        eprintln!("no samples in {}", dir.display());
        return;
    }
    let base_sentences = sentences(&base);
    let mut all: Vec<String> = Vec::new();
    let mut bytes = 0;
    while bytes < TARGET_BYTES {
        for s in &base_sentences {
            bytes += s.len();
            all.push(s.clone());
        }
    }
    let mb = bytes as f64 / 1e6;

    let extractor = match NumberExtractor::builtin() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    let t = Instant::now();
    let mut n_numbers = 0usize;
    for s in &all {
        n_numbers += extractor.extract(s).len();
    }
    let numbers_secs = t.elapsed().as_secs_f64();

    let jieba = jieba_rs::Jieba::new();
    let t = Instant::now();
    let mut n_tokens = 0usize;
    for s in &all {
        n_tokens += jieba.tag(s, true).len();
    }
    let jieba_secs = t.elapsed().as_secs_f64();

    println!("text: {mb:.2} MB in {} sentences", all.len());
    println!(
        "numbers extract: {:8.2} MB/s  ({n_numbers} mentions, {numbers_secs:.3} s)",
        mb / numbers_secs
    );
    println!(
        "jieba-rs tag:    {:8.2} MB/s  ({n_tokens} tokens, {jieba_secs:.3} s)",
        mb / jieba_secs
    );
    println!("numbers / jieba time: {:.3}", numbers_secs / jieba_secs);
}
