//! Benchmark: recognize() time against jieba-rs tagging time on the same text. The goal
//! (issue #8) is at most 10% of jieba's time. Run with `cargo bench -p gongwen-entities`.
//!
//! It uses mimalloc, as the `gongwen` binary does. It prints two figures: the first tags the
//! whole text and then runs recognize() over it (the tokens have left the cache by then);
//! the second alternates, document by document, as segment does (tag a document, recognize
//! its entities).
//!
//! Environment variables:
//! - `ENTITIES_BENCH_SENTENCES=FILE`: the text is a pipeline run's sentences table (CSV,
//!   e.g. `out/sentences.csv` of the generated corpus), one document per `doc_id`; by
//!   default it is the bundled samples repeated to `ENTITIES_BENCH_MB` (3) MB.
//! - `ENTITIES_BENCH_QUICK=1`: only the first figure (for callgrind).
//! - `ENTITIES_BENCH_REPEAT=N`: recognize() N more times after the measured run (for
//!   `perf record`).
//! - `ENTITIES_BENCH_DUMP=FILE`: every mention found, written to FILE (to check that a
//!   change leaves the output identical).
//! - `ENTITIES_BENCH_DECODE=1`: the recogniser decodes each sentence's text itself; by
//!   default it is given the characters (`SentenceView::chars`), as segment gives them.

use std::path::Path;
use std::time::{Duration, Instant};

use gongwen_entities::{EntitiesConfig, EntityRecognizer, SentenceView};
use gongwen_model::{Span, Token};
use jieba_rs::Jieba;

/// The allocator of the `gongwen` binary, so allocation costs are those of a real run (for
/// jieba's side as for the recogniser's).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Time this thread has spent running on a CPU, from Linux's `/proc/thread-self/schedstat`
/// (`None` elsewhere). On a shared machine it leaves out the time spent waiting for a core,
/// which wall-clock time does not.
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Wall-clock and on-CPU time of a phase (`cpu` is `None` when unknown).
#[derive(Clone, Copy)]
struct Took {
    wall: Duration,
    cpu: Option<Duration>,
}

impl Default for Took {
    fn default() -> Self {
        Took {
            wall: Duration::ZERO,
            cpu: Some(Duration::ZERO),
        }
    }
}

/// A started measurement.
struct Clock(Instant, Option<Duration>);

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now(), cpu_time())
    }

    /// Adds the time since the start to `took`.
    fn add_to(self, took: &mut Took) {
        took.wall += self.0.elapsed();
        took.cpu = match (took.cpu, cpu_time(), self.1) {
            (Some(sum), Some(now), Some(then)) => Some(sum + now.saturating_sub(then)),
            _ => None,
        };
    }
}

/// "X s, recognize Y s = Z%" for wall-clock time and, when known, on-CPU time.
fn report(label: &str, seg: Took, ent: Took) {
    let pct = |e: Duration, s: Duration| 100.0 * e.as_secs_f64() / s.as_secs_f64();
    print!(
        "{label}: jieba tag {:.3} s, recognize {:.3} s = {:.1}% of segmentation",
        seg.wall.as_secs_f64(),
        ent.wall.as_secs_f64(),
        pct(ent.wall, seg.wall)
    );
    if let (Some(s), Some(e)) = (seg.cpu, ent.cpu) {
        print!(
            " (on-CPU: {:.3} s, {:.3} s = {:.1}%)",
            s.as_secs_f64(),
            e.as_secs_f64(),
            pct(e, s)
        );
    }
    println!();
}

/// The bench's text as documents of sentences (character offset in the document, text).
/// By default the bundled samples repeated to `ENTITIES_BENCH_MB` (3) MB, cut into
/// "documents" of 300 sentences (paragraphs split at 。！？；); with
/// `ENTITIES_BENCH_SENTENCES=FILE`, the sentences table (CSV) of a pipeline run, one
/// document per `doc_id`, as segment cut them.
fn documents(root: &Path) -> Vec<Vec<(usize, String)>> {
    if let Ok(path) = std::env::var("ENTITIES_BENCH_SENTENCES") {
        let mut reader = csv::Reader::from_path(&path).expect("sentences CSV is readable");
        let headers = reader.headers().expect("CSV has a header").clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == name)
                .unwrap_or_else(|| panic!("sentences CSV has no {name} column"))
        };
        let (doc, start, text) = (col("doc_id"), col("char_start"), col("text"));
        let mut docs: Vec<Vec<(usize, String)>> = Vec::new();
        let mut last_doc = String::new();
        for record in reader.records() {
            let record = record.expect("CSV record");
            let id = record.get(doc).unwrap_or("");
            if docs.is_empty() || id != last_doc {
                docs.push(Vec::new());
                last_doc = id.to_string();
            }
            let st: usize = record.get(start).and_then(|v| v.parse().ok()).unwrap_or(0);
            if let Some(d) = docs.last_mut() {
                d.push((st, record.get(text).unwrap_or("").to_string()));
            }
        }
        return docs;
    }
    let mut text = String::new();
    if let Ok(dir) = std::fs::read_dir(root.join("data/samples")) {
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            text.push_str(&std::fs::read_to_string(f).unwrap_or_default());
            text.push('\n');
        }
    }
    if text.trim().is_empty() {
        text = "市委书记王振华出席会议。潍坊市推进“三个一批”工程，华星集团董事长陈立新说。\n"
            .repeat(100);
    }
    let mb: f64 = std::env::var("ENTITIES_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3.0);
    let target = (mb * 1024.0 * 1024.0) as usize;
    let mut big = String::with_capacity(target + text.len());
    while big.len() < target {
        big.push_str(&text);
    }
    // Sentences as segment makes them (paragraphs split at 。！？；).
    let mut sentences: Vec<(usize, String)> = Vec::new();
    let mut start = 0;
    for para in big.split('\n') {
        for s in para.split_inclusive(['。', '！', '？', '；']) {
            sentences.push((start, s.to_string()));
            start += s.chars().count();
        }
        start += 1;
    }
    sentences.chunks(300).map(<[_]>::to_vec).collect()
}

/// Each sentence's characters, as segment passes them (`SentenceView::chars`); empty with
/// `ENTITIES_BENCH_DECODE=1` (the recogniser then decodes the text itself).
fn sentence_chars(doc: &[(usize, String)]) -> Vec<Vec<char>> {
    let decode = std::env::var_os("ENTITIES_BENCH_DECODE").is_some();
    doc.iter()
        .map(|(_, s)| {
            if decode {
                Vec::new()
            } else {
                s.chars().collect()
            }
        })
        .collect()
}

/// The recogniser's view of a document's sentences, their tokens and their characters
/// (`None` when `chars` has none for a sentence).
fn view<'a>(
    doc: &'a [(usize, String)],
    toks: &'a [Vec<Token>],
    chars: &'a [Vec<char>],
) -> Vec<SentenceView<'a>> {
    doc.iter()
        .zip(toks)
        .zip(chars)
        .enumerate()
        .map(|(i, (((st, s), t), c))| SentenceView {
            sent_idx: i,
            start: *st,
            text: s,
            tokens: t,
            chars: (!c.is_empty() || s.is_empty()).then_some(c.as_slice()),
        })
        .collect()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let docs = documents(&root);
    let rec =
        EntityRecognizer::build(&EntitiesConfig::default(), &root).expect("recogniser builds");
    let mut jieba = Jieba::new();
    for w in rec.dictionary_words() {
        jieba.add_word(&w.word, None, w.pos.as_deref());
    }
    // Segmentation: jieba tag (with HMM) of a sentence, building tokens.
    let tag = |i: usize, st: usize, s: &str| -> Vec<Token> {
        let mut pos = st;
        jieba
            .tag(s, true)
            .into_iter()
            .enumerate()
            .map(|(k, t)| {
                let n = t.word.chars().count();
                let tok = Token {
                    sent_idx: i,
                    tok_idx: k,
                    word: t.word.into(),
                    pos: t.tag.into(),
                    span: Span::new(pos, pos + n),
                };
                pos += n;
                tok
            })
            .collect()
    };
    let tag_doc = |doc: &[(usize, String)]| -> Vec<Vec<Token>> {
        doc.iter()
            .enumerate()
            .map(|(i, (st, s))| tag(i, *st, s))
            .collect()
    };
    // First every sentence is tagged, then recognize() runs over all of them.
    let mut seg = Took::default();
    let clock = Clock::start();
    let tokens: Vec<Vec<Vec<Token>>> = docs.iter().map(|d| tag_doc(d)).collect();
    clock.add_to(&mut seg);
    let chars: Vec<Vec<Vec<char>>> = docs.iter().map(|d| sentence_chars(d)).collect();
    let views: Vec<Vec<SentenceView<'_>>> = docs
        .iter()
        .zip(&tokens)
        .zip(&chars)
        .map(|((d, t), c)| view(d, t, c))
        .collect();
    // Entities: one call per document, as segment calls it.
    let mut ent = Took::default();
    let clock = Clock::start();
    let mut n_entities = 0;
    for doc in &views {
        n_entities += rec.recognize(doc).len();
    }
    clock.add_to(&mut ent);
    // The same work document by document, as segment does it: tag a document's sentences,
    // then recognize() on them while their tokens are still in the cache (skipped with
    // `ENTITIES_BENCH_QUICK=1`, e.g. under callgrind).
    let quick = std::env::var_os("ENTITIES_BENCH_QUICK").is_some();
    let (mut seg_doc, mut ent_doc) = (Took::default(), Took::default());
    for (doc, chars) in docs.iter().zip(&chars).filter(|_| !quick) {
        let clock = Clock::start();
        let toks = tag_doc(doc);
        clock.add_to(&mut seg_doc);
        let clock = Clock::start();
        std::hint::black_box(rec.recognize(&view(doc, &toks, chars)));
        clock.add_to(&mut ent_doc);
    }
    let repeat: usize = std::env::var("ENTITIES_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for _ in 0..repeat {
        for doc in &views {
            std::hint::black_box(rec.recognize(doc));
        }
    }
    if let Ok(path) = std::env::var("ENTITIES_BENCH_DUMP") {
        let mut dump = String::new();
        for (k, doc) in views.iter().enumerate() {
            for e in rec.recognize(doc) {
                dump.push_str(&format!("{k}\t{e:?}\n"));
            }
        }
        std::fs::write(&path, dump).expect("dump file is writable");
    }
    let bytes: usize = docs.iter().flatten().map(|(_, s)| s.len()).sum();
    println!(
        "text {:.1} MB, {} documents, {} sentences, {} mentions",
        bytes as f64 / 1e6,
        docs.len(),
        docs.iter().map(Vec::len).sum::<usize>(),
        n_entities
    );
    report("whole text, then recognize", seg, ent);
    if !quick {
        report("document by document", seg_doc, ent_doc);
    }
}
