//! Throughput of number extraction next to jieba-rs `tag` (HMM on) on the same text: the
//! bundled samples, split into sentences and repeated to a few MB.
//!
//! Times are CPU times (best of three), so other processes on a shared machine do not count.
//!
//! Run with `cargo bench -p gongwen-numbers`.

use std::time::{Duration, Instant};

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

/// CPU time of this thread so far (`/proc/thread-self/schedstat`), so that other processes
/// of a shared machine do not count; `None` where it cannot be read.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Seconds of CPU time (wall time where CPU time cannot be read) of `f`, best of three.
fn best_secs<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut out = None;
    for _ in 0..3 {
        let (c0, t0) = (cpu_time(), Instant::now());
        let r = f();
        let secs = match (c0, cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64(),
            _ => t0.elapsed().as_secs_f64(),
        };
        best = best.min(secs);
        out = Some(r);
    }
    (best, out.expect("three rounds"))
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
    let (numbers_secs, n_numbers) = best_secs(|| {
        all.iter()
            .map(|s| extractor.extract(s).len())
            .sum::<usize>()
    });

    let jieba = jieba_rs::Jieba::new();
    let (jieba_secs, n_tokens) =
        best_secs(|| all.iter().map(|s| jieba.tag(s, true).len()).sum::<usize>());

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
