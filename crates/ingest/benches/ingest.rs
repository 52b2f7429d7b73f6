//! Benchmark: ingest (discovery + read of every file) against jieba-rs `tag(line, true)` over
//! the decoded text, in the same process. Reads `/work/ref/corpus-8mb` when it exists (or the
//! folder given as first argument or in `GONGWEN_BENCH_INPUT`), else the bundled
//! `data/samples`. Run with `cargo bench -p gongwen-ingest`. Goal: ingest ≤ 0.08 × jieba.
//! `GONGWEN_BENCH_ROUNDS=N` sets the ingest rounds (best kept); `GONGWEN_BENCH_NO_JIEBA=1`
//! times ingest alone (for profiling).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gongwen_ingest::Ingest;
use jieba_rs::Jieba;

/// The allocator of the `gongwen` binary, so the timings are the pipeline's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The input folder: argument, environment, the generated 8 MB corpus, or the samples.
fn input_folder() -> Option<PathBuf> {
    let given = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .or_else(|| std::env::var("GONGWEN_BENCH_INPUT").ok())
        .map(PathBuf::from);
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples");
    [
        given,
        Some(PathBuf::from("/work/ref/corpus-8mb")),
        Some(samples),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_dir())
}

/// Discovery + read of every file; returns the decoded texts, bytes read and the time.
fn run_ingest(ingest: &Ingest) -> (Vec<String>, u64, Duration) {
    let start = Instant::now();
    let discovery = ingest.discover();
    let bytes: u64 = discovery.files.iter().map(|f| f.size).sum();
    let mut texts = Vec::with_capacity(discovery.files.len());
    for file in discovery.files.iter().filter(|f| f.duplicate_of.is_none()) {
        for doc in ingest.read(file).into_iter().flatten() {
            texts.push(doc.text);
        }
    }
    (texts, bytes, start.elapsed())
}

fn main() {
    let Some(folder) = input_folder() else {
        println!("ingest bench: no input folder found, skipped");
        return;
    };
    let ingest = match Ingest::for_folder(&folder) {
        Ok(ingest) => ingest,
        Err(e) => {
            println!("ingest bench: {e}; skipped");
            return;
        }
    };
    // Warm the page cache and the lazily built tables, then keep the best of a few runs.
    let (_, bytes, _) = run_ingest(&ingest);
    let rounds: u32 = std::env::var("GONGWEN_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let best_ingest = (0..rounds.max(1))
        .map(|_| run_ingest(&ingest).2)
        .min()
        .unwrap_or_default();
    if std::env::var("GONGWEN_BENCH_NO_JIEBA").is_ok() {
        println!(
            "ingest (discover+read, best of {rounds}) {:.3} s",
            best_ingest.as_secs_f64()
        );
        return;
    }

    // As in the pipeline: each file is read, then its lines tagged, so the reads run with
    // caches cooled by jieba. Both are timed separately.
    let jieba = Jieba::new();
    let t = Instant::now();
    let discovery = ingest.discover();
    let mut read_time = t.elapsed();
    let mut jieba_time = Duration::ZERO;
    let (mut n_docs, mut n_tokens) = (0usize, 0usize);
    for file in discovery.files.iter().filter(|f| f.duplicate_of.is_none()) {
        let t = Instant::now();
        let docs: Vec<_> = ingest.read(file).into_iter().flatten().collect();
        read_time += t.elapsed();
        let t = Instant::now();
        for doc in &docs {
            n_docs += 1;
            for line in doc.text.lines() {
                n_tokens += jieba.tag(line, true).len();
            }
        }
        jieba_time += t.elapsed();
    }

    let mb = bytes as f64 / (1024.0 * 1024.0);
    let ratio = |d: Duration| d.as_secs_f64() / jieba_time.as_secs_f64().max(1e-9);
    println!(
        "{}: {n_docs} documents, {mb:.1} MB; jieba tag {:.3} s ({n_tokens} tokens)\n\
         ingest (discover+read, best of {rounds}) {:.3} s: ratio ingest/jieba = {:.3} (goal ≤ 0.08)\n\
         ingest interleaved with jieba, as in the pipeline {:.3} s: ratio {:.3}",
        folder.display(),
        jieba_time.as_secs_f64(),
        best_ingest.as_secs_f64(),
        ratio(best_ingest),
        read_time.as_secs_f64(),
        ratio(read_time),
    );
}
