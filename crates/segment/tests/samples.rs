//! Sections of the five bundled samples scored against the gold annotations in
//! `../shared/eval/gold` with the matching rule of `score.py` (`match_sections`), ported.
//! Skipped when `../shared` is absent.
//!
//! Paragraphs are made naively, standing in for clean: the lines of the sample, trimmed and
//! non-empty, a very long line (a one-line document) cut at its whitespace runs, cropped to the
//! main text with the gold `starts_with`/`ends_with`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use gongwen_entities::EntitiesConfig;
use gongwen_model::{CleanDoc, Section};
use gongwen_numbers::NumbersConfig;
use gongwen_segment::{SegmentConfig, Segmenter};
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `score.py`'s `norm`, close enough: width folding (what NFKC does to this text) and no
/// whitespace.
fn norm(s: &str) -> Vec<char> {
    s.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn bigrams(s: &str) -> Vec<(char, char)> {
    let n = norm(s);
    if n.len() == 1 {
        return vec![(n[0], '\0')];
    }
    n.windows(2).map(|w| (w[0], w[1])).collect()
}

fn dice(a: &str, b: &str) -> f64 {
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let mut pool: HashMap<(char, char), i32> = HashMap::new();
    for g in &x {
        *pool.entry(*g).or_default() += 1;
    }
    let mut hit = 0;
    for g in &y {
        if let Some(n) = pool.get_mut(g) {
            if *n > 0 {
                *n -= 1;
                hit += 1;
            }
        }
    }
    2.0 * hit as f64 / (x.len() + y.len()) as f64
}

/// Port of `match_sections`: (tp, fp, fn, level_ok).
fn match_sections(gold: &[Value], system: &[Section]) -> (usize, usize, usize, usize) {
    let mut used = vec![false; system.len()];
    let (mut tp, mut level_ok) = (0, 0);
    for g in gold {
        let gm = norm(g["marker"].as_str().unwrap_or(""));
        let gh_str = g["heading"].as_str().unwrap_or("");
        let gh = norm(gh_str);
        for (j, s) in system.iter().enumerate() {
            if used[j] || norm(&s.marker) != gm {
                continue;
            }
            let sh = norm(&s.heading);
            let head = |v: &Vec<char>| v.iter().take(8).collect::<String>();
            if head(&gh) == head(&sh) || dice(gh_str, &s.heading) >= 0.7 {
                used[j] = true;
                tp += 1;
                if g["level"].as_u64() == Some(u64::from(s.level)) {
                    level_ok += 1;
                }
                break;
            }
        }
    }
    (tp, system.len() - tp, gold.len() - tp, level_ok)
}

fn paragraphs(text: &str, gold: &Value) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.chars().count() > 1000 {
            lines.extend(
                line.split("  ")
                    .flat_map(|p| p.split(' '))
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty()),
            );
        } else {
            lines.push(line.to_string());
        }
    }
    let key = |s: &str, from_end: bool| -> String {
        let n = norm(s);
        let k = n.len().min(8);
        if from_end {
            n[n.len() - k..].iter().collect()
        } else {
            n[..k].iter().collect()
        }
    };
    let starts = key(gold["body"]["starts_with"].as_str().unwrap_or(""), false);
    let ends = key(gold["body"]["ends_with"].as_str().unwrap_or(""), true);
    let contains = |line: &str, k: &str| norm(line).iter().collect::<String>().contains(k);
    let first = lines.iter().position(|l| contains(l, &starts)).unwrap_or(0);
    let last = lines
        .iter()
        .rposition(|l| contains(l, &ends))
        .unwrap_or(lines.len().saturating_sub(1));
    lines
        .get(first..=last.max(first))
        .map(|s| s.to_vec())
        .unwrap_or_default()
}

#[test]
fn sections_of_the_samples_match_gold() {
    let gold_dir = root().join("../shared/eval/gold");
    if !gold_dir.is_dir() {
        eprintln!("skipped: {} absent", gold_dir.display());
        return;
    }
    let segmenter = Segmenter::build(
        &SegmentConfig::default(),
        &NumbersConfig::default(),
        &EntitiesConfig::default(),
        &root(),
    )
    .expect("segmenter builds");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&gold_dir)
        .expect("gold dir readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let (mut tp, mut fp, mut fn_, mut level_ok) = (0, 0, 0, 0);
    for path in files {
        let gold: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("gold readable"))
                .expect("json");
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let sample = root().join("data/samples").join(format!("{stem}.txt"));
        let Ok(text) = std::fs::read_to_string(&sample) else {
            continue;
        };
        let doc = CleanDoc {
            paragraphs: paragraphs(&text, &gold),
            ..Default::default()
        };
        let out = segmenter.segment(doc);
        let gold_sections = gold["sections"].as_array().cloned().unwrap_or_default();
        let (t, f, n, l) = match_sections(&gold_sections, &out.sections);
        println!("{stem}: tp {t} fp {f} fn {n} level_ok {l}");
        if f + n > 0 || l < t {
            for s in &out.sections {
                println!(
                    "   sys {} L{} {:?} {:?}",
                    s.section_id, s.level, s.marker, s.heading
                );
            }
            for g in &gold_sections {
                println!("   gold L{} {} {}", g["level"], g["marker"], g["heading"]);
            }
        }
        tp += t;
        fp += f;
        fn_ += n;
        level_ok += l;
    }
    let p = if tp + fp > 0 {
        tp as f64 / (tp + fp) as f64
    } else {
        1.0
    };
    let r = if tp + fn_ > 0 {
        tp as f64 / (tp + fn_) as f64
    } else {
        1.0
    };
    let f1 = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    let level_acc = if tp > 0 {
        level_ok as f64 / tp as f64
    } else {
        0.0
    };
    println!("sections: P {p:.3} R {r:.3} F1 {f1:.3} level accuracy {level_acc:.3} (tp {tp} fp {fp} fn {fn_})");
    assert!(f1 >= 0.97, "sections F1 {f1:.3} < 0.97");
    assert!(level_acc >= 0.97, "level accuracy {level_acc:.3} < 0.97");
}

/// Time of `segment` against jieba alone and against the number and entity recognisers it
/// calls, on the samples (run with `--ignored --nocapture`, best with `--release`). What is
/// left is segment's own work: sentence splitting, sections, rows.
#[test]
#[ignore]
fn segmentation_cost_is_dominated_by_jieba() {
    let segmenter = Segmenter::build(
        &SegmentConfig::default(),
        &NumbersConfig::default(),
        &EntitiesConfig::default(),
        &root(),
    )
    .expect("segmenter builds");
    let numbers = gongwen_numbers::NumberExtractor::build(&NumbersConfig::default(), &root())
        .expect("numbers");
    let entities = gongwen_entities::EntityRecognizer::build(&EntitiesConfig::default(), &root())
        .expect("entities");
    let jieba = jieba_rs::Jieba::new();
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(root().join("data/samples")).expect("samples") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("sample");
        let paragraphs: Vec<String> = text
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        docs.push(CleanDoc {
            paragraphs,
            ..Default::default()
        });
    }
    let rounds = 20;
    let t = std::time::Instant::now();
    let mut outs = Vec::new();
    for _ in 0..rounds {
        outs.clear();
        for d in &docs {
            outs.push(segmenter.segment(d.clone()));
        }
    }
    let total = t.elapsed();
    let t = std::time::Instant::now();
    let mut n = 0;
    for _ in 0..rounds {
        for out in &outs {
            for s in &out.sentences {
                n += jieba.tag(&s.text, true).len();
            }
        }
    }
    let jieba_only = t.elapsed();
    let t = std::time::Instant::now();
    for _ in 0..rounds {
        for out in &outs {
            for s in &out.sentences {
                n += numbers.extract(&s.text).len();
            }
        }
    }
    let numbers_only = t.elapsed();
    let t = std::time::Instant::now();
    for _ in 0..rounds {
        for out in &outs {
            let mut at = 0;
            let views: Vec<gongwen_entities::SentenceView<'_>> = out
                .sentences
                .iter()
                .map(|s| {
                    let from = at;
                    while at < out.tokens.len() && out.tokens[at].sent_idx == s.sent_idx {
                        at += 1;
                    }
                    gongwen_entities::SentenceView {
                        sent_idx: s.sent_idx,
                        start: s.span.start,
                        text: &s.text,
                        tokens: &out.tokens[from..at],
                        chars: None,
                    }
                })
                .collect();
            n += entities.recognize(&views).len();
        }
    }
    let entities_only = t.elapsed();
    let own = total.saturating_sub(jieba_only + numbers_only + entities_only);
    println!(
        "segment: {total:?} = jieba {jieba_only:?} + numbers {numbers_only:?} + entities {entities_only:?} + own work {own:?} ({n})"
    );
}
