//! Benchmark: recognize() time against jieba-rs tagging time on the same text (the bundled
//! samples repeated to a few MB). The entities stage must add no more than 30% to
//! segmentation time. Run with `cargo bench -p gongwen-entities`.

use std::path::Path;
use std::time::Instant;

use gongwen_entities::{EntitiesConfig, EntityRecognizer, SentenceView};
use gongwen_model::{Span, Token};
use jieba_rs::Jieba;

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
        text = "市委书记王振华出席会议。潍坊市推进“三个一批”工程，华星集团董事长陈立新说。\n".repeat(100);
    }
    let target = 3 * 1024 * 1024;
    let mut big = String::with_capacity(target + text.len());
    while big.len() < target {
        big.push_str(&text);
    }
    let rec = EntityRecognizer::build(&EntitiesConfig::default(), &root).expect("recogniser builds");
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
    // Segmentation: jieba tag (with HMM) of every sentence, building tokens.
    let t0 = Instant::now();
    let mut tokens: Vec<Vec<Token>> = Vec::with_capacity(sentences.len());
    for (i, (st, s)) in sentences.iter().enumerate() {
        let mut pos = *st;
        let toks = jieba
            .tag(s, true)
            .into_iter()
            .enumerate()
            .map(|(k, t)| {
                let n = t.word.chars().count();
                let tok = Token { sent_idx: i, tok_idx: k, word: t.word.into(), pos: t.tag.into(), span: Span::new(pos, pos + n) };
                pos += n;
                tok
            })
            .collect();
        tokens.push(toks);
    }
    let seg = t0.elapsed();
    let views: Vec<SentenceView<'_>> = sentences
        .iter()
        .zip(&tokens)
        .enumerate()
        .map(|(i, ((st, s), t))| SentenceView { sent_idx: i, start: *st, text: s, tokens: t })
        .collect();
    // Entities: one call per ~30 KB "document" of sentences, as segment would call it.
    let t1 = Instant::now();
    let mut n_entities = 0;
    for chunk in views.chunks(300) {
        n_entities += rec.recognize(chunk).len();
    }
    let ent = t1.elapsed();
    println!(
        "text {:.1} MB, {} sentences: jieba tag {:.3} s, recognize {:.3} s ({} mentions) = {:.1}% of segmentation",
        big.len() as f64 / 1e6,
        sentences.len(),
        seg.as_secs_f64(),
        ent.as_secs_f64(),
        n_entities,
        100.0 * ent.as_secs_f64() / seg.as_secs_f64()
    );
}
