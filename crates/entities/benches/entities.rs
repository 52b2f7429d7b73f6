//! Benchmark: recognize() time against jieba-rs tagging time on the same text (the bundled
//! samples repeated to a few MB). The entities stage must add no more than 30% to
//! segmentation time. Run with `cargo bench -p gongwen-entities`.
//!
//! It uses mimalloc, as the `gongwen` binary does. It prints two figures: the first tags the whole text and then runs recognize() over it
//! (the tokens have left the cache by then); the second alternates, document by document,
//! as segment does (tag a document, recognize its entities).
//!
//! Two environment variables help when working on the recogniser: `ENTITIES_BENCH_REPEAT=N`
//! runs recognize() N more times after the measured run (for `perf record`), and
//! `ENTITIES_BENCH_DUMP=FILE` writes every mention found to FILE (to check that a change
//! leaves the output identical).

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

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
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
    let target = 3 * 1024 * 1024;
    let mut big = String::with_capacity(target + text.len());
    while big.len() < target {
        big.push_str(&text);
    }
    let rec =
        EntityRecognizer::build(&EntitiesConfig::default(), &root).expect("recogniser builds");
    let mut jieba = Jieba::new();
    for w in rec.dictionary_words() {
        jieba.add_word(&w.word, None, w.pos.as_deref());
    }
    // Sentences as segment makes them (paragraphs split at 。！？；).
    let mut sentences: Vec<(usize, &str)> = Vec::new();
    let mut start = 0;
    for para in big.split('\n') {
        for s in para.split_inclusive(['。', '！', '？', '；']) {
            sentences.push((start, s));
            start += s.chars().count();
        }
        start += 1;
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
    // First every sentence is tagged, then recognize() runs over all of them.
    let mut seg = Took::default();
    let clock = Clock::start();
    let mut tokens: Vec<Vec<Token>> = Vec::with_capacity(sentences.len());
    for (i, (st, s)) in sentences.iter().enumerate() {
        tokens.push(tag(i, *st, s));
    }
    clock.add_to(&mut seg);
    let views: Vec<SentenceView<'_>> = sentences
        .iter()
        .zip(&tokens)
        .enumerate()
        .map(|(i, ((st, s), t))| SentenceView {
            sent_idx: i,
            start: *st,
            text: s,
            tokens: t,
        })
        .collect();
    // Entities: one call per ~30 KB "document" of sentences, as segment would call it.
    let mut ent = Took::default();
    let clock = Clock::start();
    let mut n_entities = 0;
    for chunk in views.chunks(300) {
        n_entities += rec.recognize(chunk).len();
    }
    clock.add_to(&mut ent);
    // The same work document by document, as segment does it: tag a document's sentences,
    // then recognize() on them while their tokens are still in the cache.
    let (mut seg_doc, mut ent_doc) = (Took::default(), Took::default());
    let mut first = 0;
    for chunk in sentences.chunks(300) {
        let clock = Clock::start();
        let toks: Vec<Vec<Token>> = chunk
            .iter()
            .enumerate()
            .map(|(k, (st, s))| tag(first + k, *st, s))
            .collect();
        clock.add_to(&mut seg_doc);
        let clock = Clock::start();
        let doc: Vec<SentenceView<'_>> = chunk
            .iter()
            .zip(&toks)
            .enumerate()
            .map(|(k, ((st, s), t))| SentenceView {
                sent_idx: first + k,
                start: *st,
                text: s,
                tokens: t,
            })
            .collect();
        std::hint::black_box(rec.recognize(&doc));
        clock.add_to(&mut ent_doc);
        first += chunk.len();
    }
    let repeat: usize = std::env::var("ENTITIES_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    for _ in 0..repeat {
        for chunk in views.chunks(300) {
            std::hint::black_box(rec.recognize(chunk));
        }
    }
    if let Ok(path) = std::env::var("ENTITIES_BENCH_DUMP") {
        let mut dump = String::new();
        for (k, chunk) in views.chunks(300).enumerate() {
            for e in rec.recognize(chunk) {
                dump.push_str(&format!("{k}\t{e:?}\n"));
            }
        }
        std::fs::write(&path, dump).expect("dump file is writable");
    }
    println!(
        "text {:.1} MB, {} sentences, {} mentions",
        big.len() as f64 / 1e6,
        sentences.len(),
        n_entities
    );
    report("whole text, then recognize", seg, ent);
    report("document by document", seg_doc, ent_doc);
}
