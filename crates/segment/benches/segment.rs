//! Cost of `Segmenter::segment` next to jieba-rs `tag` (HMM on) alone on the same text.
//!
//! Reads `/work/ref/corpus-8mb/**/*.txt` (or the folder in `GONGWEN_BENCH_CORPUS`; falls back
//! to `data/samples`), makes naive clean documents (paragraphs = trimmed non-empty lines) and
//! times, in one process, best of `GONGWEN_BENCH_ROUNDS` (3) rounds:
//! - jieba `tag(paragraph, true)` with a plain `Jieba::new()`, per paragraph and per sentence,
//!   and with segment's dictionary (domain terms and entity words added), per sentence;
//! - `Segmenter::segment` over all documents, and its parts (`segment_profiled`);
//! - `term_counts` (keyword candidates), and `segment_and_count` (both at once).
//!
//! Everything except jieba and entity recognition should cost at most 0.3 × jieba alone.
//! With `GONGWEN_BENCH_PERF=1` only `segment_and_count` runs (`=split`: `segment`, then
//! `term_counts`), with
//! `GONGWEN_BENCH_PERF=jieba` only plain jieba per paragraph (`=jieba-dict`: with segment's
//! dictionary), for `perf record`/`perf stat`.
//! With `GONGWEN_SEGMENT_DUMP=FILE` the outputs are written as JSON lines,
//! to check that a change leaves them byte-identical.
//!
//! Run with `cargo bench -p gongwen-segment`.

use std::io::Write;

/// The pipeline's allocator (the driver's), so allocation costs as much here as in a run.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gongwen_entities::{EntitiesConfig, EntityRecognizer};
use gongwen_model::{CleanDoc, SegmentedDoc};
use gongwen_numbers::NumbersConfig;
use gongwen_segment::{SegmentConfig, SegmentProfile, Segmenter};
use jieba_rs::Jieba;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn txt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            txt_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "txt") {
            out.push(p);
        }
    }
}

fn load_docs() -> (String, Vec<CleanDoc>) {
    let preferred = std::env::var("GONGWEN_BENCH_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("/work/ref/corpus-8mb"));
    for dir in [preferred, root().join("data/samples")] {
        let mut files = Vec::new();
        txt_files(&dir, &mut files);
        files.sort();
        let docs: Vec<CleanDoc> = files
            .iter()
            .filter_map(|p| std::fs::read_to_string(p).ok())
            .map(|text| CleanDoc {
                paragraphs: text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect(),
                ..Default::default()
            })
            .filter(|d| !d.paragraphs.is_empty())
            .collect();
        if !docs.is_empty() {
            return (dir.display().to_string(), docs);
        }
    }
    (String::new(), Vec::new())
}

/// CPU time of this thread so far (`/proc/thread-self/schedstat`, in ns), so that the other
/// processes of a shared machine do not count; `None` where it cannot be read.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Runs `f`, returning its CPU time (wall time where CPU time cannot be read), the wall
/// time, and its result.
fn timed<T>(f: impl FnOnce() -> T) -> (Duration, Duration, T) {
    let (c0, t0) = (cpu_time(), Instant::now());
    let out = f();
    let wall = t0.elapsed();
    let cpu = match (c0, cpu_time()) {
        (Some(a), Some(b)) => b.saturating_sub(a),
        _ => wall,
    };
    (cpu, wall, out)
}

/// Best (shortest) CPU time of `rounds` runs of `f`.
fn best<T>(rounds: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..rounds.max(1) {
        let (cpu, _, out) = timed(&mut f);
        best = best.min(cpu);
        last = Some(out);
    }
    (best, last.expect("at least one round"))
}

/// jieba with segment's dictionary: the bundled terms and the entity words, added as segment
/// adds them.
fn jieba_with_segment_dictionary() -> Jieba {
    let mut jieba = Jieba::new();
    let add = |jieba: &mut Jieba, word: &str, tag: Option<&str>| {
        let word = word.trim();
        if !word.is_empty() && !word.chars().any(char::is_whitespace) {
            jieba.add_word(
                word,
                None,
                Some(tag.filter(|t| !t.is_empty()).unwrap_or("nz")),
            );
        }
    };
    let terms = std::fs::read_to_string(root().join("data/segment/terms.txt")).unwrap_or_default();
    for line in terms.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let tag = fields
            .iter()
            .skip(1)
            .find(|f| !f.chars().all(|c| c.is_ascii_digit()));
        if let Some(w) = fields.first() {
            add(&mut jieba, w, Some(tag.copied().unwrap_or("nz")));
        }
    }
    if let Ok(rec) = EntityRecognizer::build(&EntitiesConfig::default(), &root()) {
        for w in rec.dictionary_words() {
            add(&mut jieba, &w.word, w.pos.as_deref());
        }
    }
    jieba
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn dump(path: &str, segmenter: &Segmenter, outs: &[SegmentedDoc]) -> std::io::Result<()> {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
    for d in outs {
        let row = serde_json::json!({
            "paragraphs": d.paragraphs,
            "sentences": d.sentences,
            "sections": d.sections,
            "tokens": d.tokens,
            "numbers": d.numbers,
            "entities": d.entities,
            "keywords": segmenter.term_counts(d),
        });
        writeln!(w, "{row}")?;
    }
    w.flush()
}

fn main() {
    let (dir, docs) = load_docs();
    if docs.is_empty() {
        eprintln!("no documents found; nothing to measure");
        return;
    }
    let rounds: usize = std::env::var("GONGWEN_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let segmenter = match Segmenter::build(
        &SegmentConfig::default(),
        &NumbersConfig::default(),
        &EntitiesConfig::default(),
        &root(),
    ) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot build the segmenter: {e}");
            return;
        }
    };
    let bytes: usize = docs
        .iter()
        .flat_map(|d| &d.paragraphs)
        .map(|p| p.len())
        .sum();
    let mb = bytes as f64 / 1e6;
    let n_paras: usize = docs.iter().map(|d| d.paragraphs.len()).sum();

    // Only segment and term_counts, for `perf record`.
    if let Some(dict) = std::env::var("GONGWEN_BENCH_PERF")
        .ok()
        .filter(|v| v.starts_with("jieba"))
    {
        let plain = if dict == "jieba-dict" {
            jieba_with_segment_dictionary()
        } else {
            Jieba::new()
        };
        let mut n = 0usize;
        for _ in 0..rounds.max(1) {
            for p in docs.iter().flat_map(|d| &d.paragraphs) {
                n += plain.tag(p, true).len();
            }
        }
        println!("{n} tokens");
        return;
    }
    if let Ok(mode) = std::env::var("GONGWEN_BENCH_PERF") {
        let mut n = 0usize;
        for _ in 0..rounds.max(1) {
            for d in &docs {
                n += if mode == "split" {
                    let out = segmenter.segment(d.clone());
                    segmenter.term_counts(&out).len()
                } else {
                    segmenter.segment_and_count(d.clone()).1.len()
                };
            }
        }
        println!("{n} keyword candidates");
        return;
    }

    // (b) segment, whole.
    let (t_segment, outs) = best(rounds, || {
        docs.iter()
            .map(|d| segmenter.segment(d.clone()))
            .collect::<Vec<_>>()
    });
    let sentences: Vec<&str> = outs
        .iter()
        .flat_map(|d| &d.sentences)
        .map(|s| s.text.as_str())
        .collect();
    println!(
        "text: {mb:.2} MB, {} docs, {n_paras} paragraphs, {} sentences ({dir})",
        docs.len(),
        sentences.len()
    );

    // (b') segment and keyword candidates: counted after segment, and on the way.
    let (t_split, split_terms) = best(rounds, || {
        docs.iter()
            .map(|d| segmenter.term_counts(&segmenter.segment(d.clone())))
            .collect::<Vec<_>>()
    });
    let (t_fused, fused_terms) = best(rounds, || {
        docs.iter()
            .map(|d| segmenter.segment_and_count(d.clone()).1)
            .collect::<Vec<_>>()
    });
    let differing = split_terms
        .iter()
        .zip(&fused_terms)
        .filter(|(a, b)| a != b)
        .count();

    // (a) jieba alone.
    let plain = Jieba::new();
    let (t_jieba_para, n_tok_para) = best(rounds, || {
        docs.iter()
            .flat_map(|d| &d.paragraphs)
            .map(|p| plain.tag(p, true).len())
            .sum::<usize>()
    });
    let (t_jieba_sent, n_tok_sent) = best(rounds, || {
        sentences
            .iter()
            .map(|s| plain.tag(s, true).len())
            .sum::<usize>()
    });
    let dict = jieba_with_segment_dictionary();
    let (t_dict_sent, n_tok_dict) = best(rounds, || {
        sentences
            .iter()
            .map(|s| dict.tag(s, true).len())
            .sum::<usize>()
    });
    let (t_dict_para, _) = best(rounds, || {
        docs.iter()
            .flat_map(|d| &d.paragraphs)
            .map(|p| dict.tag(p, true).len())
            .sum::<usize>()
    });

    // (c) the parts. They are timed by the wall clock inside segment, then scaled by the
    // CPU share of the whole run, so time lost to other processes is left out.
    // term_counts runs right after each document's segment, as the driver calls it.
    let mut profile = SegmentProfile::default();
    let mut t_keywords = Duration::ZERO;
    let mut n_terms = 0usize;
    let mut best_total = Duration::MAX;
    for _ in 0..rounds.max(1) {
        let (cpu, wall, (p, keywords)) = timed(|| {
            let mut p = SegmentProfile::default();
            let mut keywords = Duration::ZERO;
            n_terms = 0;
            for d in &docs {
                let out = segmenter.segment_profiled(d.clone(), &mut p);
                let t = Instant::now();
                n_terms += segmenter.term_counts(&out).len();
                keywords += t.elapsed();
            }
            (p, keywords)
        });
        if cpu < best_total {
            best_total = cpu;
            let share = cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9);
            let scale = |d: Duration| d.mul_f64(share.min(1.0));
            t_keywords = scale(keywords);
            profile = SegmentProfile {
                structure: scale(p.structure),
                jieba: scale(p.jieba),
                tokens: scale(p.tokens),
                numbers: scale(p.numbers),
                entities: scale(p.entities),
            };
        }
    }
    let (t_clone, _) = best(rounds, || docs.to_vec());

    let j = secs(t_jieba_para);
    let row = |name: &str, d: Duration| {
        println!("{name:<44} {:8.3} s  {:6.3} × jieba", secs(d), secs(d) / j);
    };
    println!("-- jieba-rs tag, HMM on (CPU time, best of {rounds})");
    row("(a) plain Jieba::new, per paragraph", t_jieba_para);
    row("    plain Jieba::new, per sentence", t_jieba_sent);
    row("    segment's dictionary, per paragraph", t_dict_para);
    row("    segment's dictionary, per sentence", t_dict_sent);
    println!(
        "    tokens: {n_tok_para} per paragraph, {n_tok_sent} per sentence, {n_tok_dict} with segment's dictionary"
    );
    println!("-- segment (CPU time, best of {rounds})");
    row("(b) Segmenter::segment, all documents", t_segment);
    row("    segment, then term_counts", t_split);
    row("    segment_and_count", t_fused);
    println!(
        "    segment_and_count - segment: {:.3} s; term_counts: {:.3} s; documents whose terms differ: {differing}",
        secs(t_fused.saturating_sub(t_segment)),
        secs(t_split.saturating_sub(t_segment))
    );
    println!("-- (c) parts (segment_profiled, scaled to CPU time; keywords: term_counts)");
    row("    jieba tag inside segment", profile.jieba);
    row("    tokens (tags -> token rows)", profile.tokens);
    row("    numbers", profile.numbers);
    row("    entities", profile.entities);
    row("    sentences + sections + rows", profile.structure);
    row("    keywords (term_counts)", t_keywords);
    row("    (cloning the input CleanDocs)", t_clone);
    let own = profile.tokens + profile.numbers + profile.structure + t_keywords;
    row("segment's own work (all but jieba, entities)", own);
    println!("    ({n_terms} keyword candidates; target: own work <= 0.300 × jieba)");

    if let Ok(path) = std::env::var("GONGWEN_SEGMENT_DUMP") {
        match dump(&path, &segmenter, &outs) {
            Ok(()) => println!("outputs written to {path}"),
            Err(e) => eprintln!("cannot write {path}: {e}"),
        }
    }
}
