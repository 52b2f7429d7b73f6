//! Times the clean stage against jieba-rs `tag(line, hmm = true)` on the same text, in one
//! process, so the ratio holds however loaded the machine is.
//!
//! `cargo bench -p gongwen-clean --bench clean`
//!
//! Input: `CLEAN_BENCH_INPUT` if set, else `/work/ref/corpus-8mb` when it exists, else the
//! bundled `data/samples`. The files are read by the ingest stage (`Ingest::discover` +
//! `Ingest::read`), so `.html` pages reach clean exactly as in a pipeline run. Each round
//! cleans every document (`Cleaner::clean`) and tags every non-empty line of the raw texts
//! with jieba; the best of `CLEAN_BENCH_ROUNDS` (default 3) rounds is reported.
//! `CLEAN_BENCH_NO_JIEBA=1` times clean alone (for profiling).
//! Set `CLEAN_BENCH_DUMP=FILE` to also write every outcome as a JSON line (for comparing
//! outputs before and after a change with `cmp`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gongwen_clean::{CleanConfig, Cleaner};
use gongwen_ingest::{Ingest, IngestConfig};
use gongwen_model::RawDoc;

fn input_dir(root: &Path) -> PathBuf {
    if let Some(dir) = std::env::var_os("CLEAN_BENCH_INPUT") {
        return PathBuf::from(dir);
    }
    let reference = Path::new("/work/ref/corpus-8mb");
    if reference.is_dir() {
        reference.to_path_buf()
    } else {
        root.join("data/samples")
    }
}

fn read_docs(dir: &Path, root: &Path) -> Vec<RawDoc> {
    let config = IngestConfig {
        inputs: vec![dir.to_path_buf()],
        ..Default::default()
    };
    let ingest = match Ingest::build(&config, root) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("ingest does not build: {e}");
            return Vec::new();
        }
    };
    ingest
        .discover()
        .files
        .iter()
        .flat_map(|f| ingest.read(f))
        .filter_map(Result::ok)
        .collect()
}

/// CPU time of this thread so far (user + system, from `/proc/thread-self/stat`, in clock
/// ticks of 10 ms), if the system tells it: unlike wall time, it leaves out the time the
/// thread waited for a core on a loaded machine.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // fields after the command name (which is in parentheses and may contain spaces)
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// Runs `f`, adding its wall time to the best and its CPU time to the total.
fn timed<R>(best: &mut Duration, cpu: &mut Option<Duration>, f: impl FnOnce() -> R) -> R {
    let (t, c) = (Instant::now(), cpu_time());
    let r = f();
    *best = (*best).min(t.elapsed());
    *cpu = match (*cpu, c, cpu_time()) {
        (Some(total), Some(before), Some(after)) => Some(total + after.saturating_sub(before)),
        _ => None,
    };
    r
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = input_dir(&root);
    let docs = read_docs(&dir, &root);
    if docs.is_empty() {
        eprintln!("no documents under {}: nothing to time", dir.display());
        return;
    }
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let build_start = Instant::now();
    let cleaner = match Cleaner::build(&CleanConfig::default(), &root) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let build_time = build_start.elapsed();
    let skip_jieba = std::env::var_os("CLEAN_BENCH_NO_JIEBA").is_some();
    let jieba = if skip_jieba {
        jieba_rs::Jieba::empty()
    } else {
        jieba_rs::Jieba::new()
    };
    let lines: Vec<&str> = docs
        .iter()
        .flat_map(|d| d.text.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();

    if let Some(path) = std::env::var_os("CLEAN_BENCH_DUMP") {
        if let Err(e) = dump(&cleaner, &docs, Path::new(&path)) {
            eprintln!("cannot write {}: {e}", Path::new(&path).display());
        }
    }

    let rounds = env_usize("CLEAN_BENCH_ROUNDS", 3).max(1);
    let (mut best_clean, mut best_jieba) = (Duration::MAX, Duration::MAX);
    let (mut cpu_clean, mut cpu_jieba) = (Some(Duration::ZERO), Some(Duration::ZERO));
    let (mut kept, mut tags) = (0usize, 0usize);
    for _ in 0..rounds {
        let inputs = docs.clone();
        kept = timed(&mut best_clean, &mut cpu_clean, || {
            inputs
                .into_iter()
                .filter_map(|d| cleaner.clean(d).ok())
                .map(|c| c.paragraphs.len())
                .sum()
        });
        if skip_jieba {
            continue;
        }
        tags = timed(&mut best_jieba, &mut cpu_jieba, || {
            lines.iter().map(|l| jieba.tag(l, true).len()).sum()
        });
    }
    let mb = bytes as f64 / 1e6;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let per_round = |d: Option<Duration>| d.map_or(f64::NAN, |d| ms(d) / rounds as f64);
    println!(
        "{} documents, {mb:.2} MB, {} lines from {} ({rounds} rounds)",
        docs.len(),
        lines.len(),
        dir.display()
    );
    println!(
        "Cleaner::build   {:>9.1} ms (start-up, once)",
        ms(build_time)
    );
    println!("                  best wall   CPU/round");
    println!(
        "Cleaner::clean   {:>9.1} ms {:>8.1} ms  {:>6.1} MB/s  ({kept} paragraphs)",
        ms(best_clean),
        per_round(cpu_clean),
        mb / best_clean.as_secs_f64()
    );
    if skip_jieba {
        return;
    }
    println!(
        "jieba tag (hmm)  {:>9.1} ms {:>8.1} ms  {:>6.1} MB/s  ({tags} tokens)",
        ms(best_jieba),
        per_round(cpu_jieba),
        mb / best_jieba.as_secs_f64()
    );
    println!(
        "clean / jieba    {:>9.3}    {:>8.3}     (goal ≤ 0.2)",
        ms(best_clean) / ms(best_jieba),
        per_round(cpu_clean) / per_round(cpu_jieba)
    );
}

/// Writes every outcome (and the outcome of cleaning the result again) as JSON lines.
fn dump(cleaner: &Cleaner, docs: &[RawDoc], path: &Path) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for d in docs {
        let r = cleaner.clean(d.clone());
        let again = r.as_ref().ok().map(|c| {
            cleaner
                .clean(RawDoc {
                    text: c.paragraphs.join("\n"),
                    ..Default::default()
                })
                .map(|c| c.paragraphs)
                .map_err(|f| f.message)
        });
        let line = serde_json::json!({
            "input": d.source.source_path,
            "result": r.map_err(|f| serde_json::to_value(&f).ok()),
            "again": again,
        });
        writeln!(out, "{line}")?;
    }
    out.flush()
}
