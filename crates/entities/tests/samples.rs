//! Scores the recogniser on the bundled samples against the gold annotations in
//! `../shared/eval/gold` with score.py's set logic (per document, the set of (text, type)
//! against the required gold entities; optional ones count neither way). Skips when
//! `../shared` is absent. Bodies are cut between the gold's `starts_with` and `ends_with`,
//! sample 002 is converted to simplified, sentences end at 。！？；!?; and tokens come from
//! jieba-rs with the recogniser's dictionary words added.
//!
//! `cargo test -p gongwen-entities --test samples -- --nocapture` prints the figures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use gongwen_entities::{EntitiesConfig, EntityRecognizer, SentenceView};
use gongwen_model::{Span, Token};
use jieba_rs::Jieba;

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The document's clean text as the pipeline would give it: the body lines, trimmed.
fn body(raw: &str, starts: &str, ends: &str) -> Option<String> {
    let first_line = starts.lines().next().unwrap_or(starts).trim();
    let last_line = ends.lines().last().unwrap_or(ends).trim();
    let b = raw.find(first_line).or_else(|| {
        // Tolerate line breaks inside starts_with: match its first four characters.
        let head: String = first_line.chars().take(4).collect();
        raw.find(&head)
    })?;
    let rest = raw.get(b..)?;
    let e = rest.find(last_line)? + last_line.len();
    let text = rest.get(..e)?;
    let paras: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    Some(paras.join("\n"))
}

fn tokens(jieba: &Jieba, text: &str, start: usize, sent_idx: usize) -> Vec<Token> {
    let mut pos = start;
    jieba
        .tag(text, true)
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let n = t.word.chars().count();
            let tok = Token {
                sent_idx,
                tok_idx: i,
                word: t.word.into(),
                pos: t.tag.into(),
                span: Span::new(pos, pos + n),
            };
            pos += n;
            tok
        })
        .collect()
}

/// Sentences of `text` (paragraphs split at 。！？；!?;), as (start, text).
pub fn sentences(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut start = 0;
    for para in text.split('\n') {
        for s in para.split_inclusive(['。', '！', '？', '；', '!', '?', ';']) {
            let n = s.chars().count();
            out.push((start, s.to_string()));
            start += n;
        }
        start += 1;
    }
    out
}

#[test]
fn samples_against_gold() {
    let gold_dir = root().join("../shared/eval/gold");
    if !gold_dir.is_dir() {
        eprintln!("skipped: {} absent", gold_dir.display());
        return;
    }
    let rec = EntityRecognizer::build(&EntitiesConfig::default(), &root()).expect("builds");
    let mut jieba = Jieba::new();
    for w in rec.dictionary_words() {
        jieba.add_word(&w.word, None, w.pos.as_deref());
    }
    let t2s = opencc_fmmseg::OpenCC::new();
    let mut tally: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(&gold_dir)
        .expect("gold dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for path in files {
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let gold: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("gold")).expect("json");
        let Ok(mut raw) =
            std::fs::read_to_string(root().join("data/samples").join(format!("{stem}.txt")))
        else {
            continue;
        };
        if gold["document"]["script"] == "traditional" {
            raw = t2s.convert(&raw, "t2s", false);
        }
        let Some(text) = body(
            &raw,
            gold["body"]["starts_with"].as_str().unwrap_or(""),
            gold["body"]["ends_with"].as_str().unwrap_or(""),
        ) else {
            eprintln!("{stem}: body not found");
            continue;
        };
        let sents = sentences(&text);
        let toks: Vec<Vec<Token>> = sents
            .iter()
            .enumerate()
            .map(|(i, (st, s))| tokens(&jieba, s, *st, i))
            .collect();
        let views: Vec<SentenceView<'_>> = sents
            .iter()
            .zip(&toks)
            .enumerate()
            .map(|(i, ((st, s), t))| SentenceView {
                sent_idx: i,
                start: *st,
                text: s,
                tokens: t,
                chars: None,
            })
            .collect();
        let ents = rec.recognize(&views);
        if std::env::var("DEBUG_TOKENS").is_ok_and(|v| stem.starts_with(&v)) {
            for t in toks.iter().flatten() {
                print!("{}/{} ", t.word, t.pos);
            }
            println!();
        }
        for e in &ents {
            assert_eq!(gongwen_model::slice_chars(&text, e.span), e.text);
        }
        let sys: BTreeSet<(String, String)> = ents
            .iter()
            .map(|e| (norm(&e.text), e.entity_type.as_str().to_string()))
            .collect();
        let mut req = BTreeSet::new();
        let mut opt = BTreeSet::new();
        for g in gold["entities"].as_array().into_iter().flatten() {
            let k = (
                norm(g["text"].as_str().unwrap_or("")),
                g["type"].as_str().unwrap_or("").to_string(),
            );
            if g["optional"].as_bool().unwrap_or(false) {
                opt.insert(k);
            } else {
                req.insert(k);
            }
        }
        for typ in ["PER", "LOC", "ORG", "TERM"] {
            let g: BTreeSet<_> = req.iter().filter(|x| x.1 == typ).cloned().collect();
            let s: BTreeSet<_> = sys
                .iter()
                .filter(|x| x.1 == typ && !opt.contains(*x))
                .cloned()
                .collect();
            let tp = g.intersection(&s).count();
            let fp: Vec<_> = s.difference(&g).map(|x| x.0.clone()).collect();
            let fn_: Vec<_> = g.difference(&s).map(|x| x.0.clone()).collect();
            println!("{stem} {typ}: tp {tp} fp {:?} fn {:?}", fp, fn_);
            let t = tally.entry(typ).or_default();
            t.0 += tp;
            t.1 += fp.len();
            t.2 += fn_.len();
        }
        for e in ents
            .iter()
            .filter(|e| e.entity_type == gongwen_model::EntityType::Per)
        {
            println!("{stem} PER {} title {:?}", e.text, e.title);
        }
    }
    for (typ, (tp, fp, fn_)) in &tally {
        let p = if tp + fp > 0 {
            *tp as f64 / (tp + fp) as f64
        } else {
            1.0
        };
        let r = if tp + fn_ > 0 {
            *tp as f64 / (tp + fn_) as f64
        } else {
            1.0
        };
        let f = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        println!("TOTAL {typ}: P {p:.3} R {r:.3} F1 {f:.3} (tp {tp} fp {fp} fn {fn_})");
    }
}
