//! Scores `extract` on the bundled samples against the gold numbers, with a port of
//! `match_numbers` / `number_value_ok` from `../shared/eval/score.py`. Skipped when
//! `../shared` is absent. Site chrome is cut off with the gold body's starts_with/ends_with
//! (clean removes it in the pipeline).

use std::path::PathBuf;

use gongwen_model::NumberMention;
use gongwen_numbers::NumberExtractor;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Whitespace dropped, full-width ASCII folded (the part of NFKC that matters here), and the
/// few traditional numerals of the raw samples folded (clean converts them in the pipeline).
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '兩' => '两',
            '萬' => '万',
            '億' => '亿',
            _ => c,
        })
        .collect()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * 1f64.max(a.abs()).max(b.abs()),
        (None, None) => true,
        _ => false,
    }
}

fn value_ok(g: &Value, s: &NumberMention) -> bool {
    let gu = g.get("unit").and_then(Value::as_str);
    let unit_ok = match gu {
        Some(u) => norm(u) == norm(s.unit.as_deref().unwrap_or("")),
        None => true,
    };
    if let Some(iso) = g.get("iso") {
        return iso.as_str().map(norm) == s.iso.as_deref().map(norm) && unit_ok;
    }
    if g.get("low").is_some() || g.get("high").is_some() {
        return close(g.get("low").and_then(Value::as_f64), s.low)
            && close(g.get("high").and_then(Value::as_f64), s.high)
            && unit_ok;
    }
    close(g.get("value").and_then(Value::as_f64), s.value) && unit_ok
}

struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
    value_ok: usize,
}

fn match_numbers(gold: &[Value], system: &[NumberMention], report: &mut Vec<String>) -> Score {
    let mut used = vec![false; system.len()];
    let required: Vec<&Value> = gold
        .iter()
        .filter(|g| !g.get("optional").and_then(Value::as_bool).unwrap_or(false))
        .collect();
    let optional: Vec<&Value> = gold
        .iter()
        .filter(|g| g.get("optional").and_then(Value::as_bool).unwrap_or(false))
        .collect();
    let (mut tp, mut vok) = (0, 0);
    for (is_opt, g) in required
        .iter()
        .map(|g| (false, *g))
        .chain(optional.iter().map(|g| (true, *g)))
    {
        let gt = norm(g.get("text").and_then(Value::as_str).unwrap_or(""));
        let mut found = false;
        for (j, s) in system.iter().enumerate() {
            if used[j] {
                continue;
            }
            let st = norm(&s.text);
            if !st.is_empty()
                && (gt.contains(&st) || st.contains(&gt))
                && st.chars().any(|c| {
                    c.is_ascii_digit() || "X〇零一二两三四五六七八九十百千万亿".contains(c)
                })
            {
                used[j] = true;
                found = true;
                if !is_opt {
                    tp += 1;
                    if value_ok(g, s) {
                        vok += 1;
                    } else {
                        report.push(format!(
                            "  VALUE {g} vs {:?} {:?} v={:?} lo={:?} hi={:?} u={:?} iso={:?}",
                            s.text, s.kind, s.value, s.low, s.high, s.unit, s.iso
                        ));
                    }
                }
                break;
            }
        }
        if !found && !is_opt {
            report.push(format!("  MISS  {g}"));
        }
    }
    for (j, s) in system.iter().enumerate() {
        if !used[j] {
            report.push(format!("  FP    {:?} {:?} {:?}", s.text, s.kind, s.value));
        }
    }
    let fp = used.iter().filter(|u| !**u).count();
    Score {
        tp,
        fp,
        fn_: required.len() - tp,
        value_ok: vok,
    }
}

/// Sentences split naively after 。！？； and at line ends.
fn sentences(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in body.lines() {
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

/// The body between the gold's starts_with and ends_with (shortened until found).
fn body<'a>(raw: &'a str, starts: &str, ends: &str) -> &'a str {
    let starts: Vec<char> = starts.chars().filter(|c| !c.is_whitespace()).collect();
    let ends: Vec<char> = ends.trim().chars().collect();
    let mut from = 0;
    for n in (4..=starts.len()).rev() {
        let probe: String = starts.iter().take(n).collect();
        if let Some(p) = raw.find(&probe) {
            from = p;
            break;
        }
    }
    let mut to = raw.len();
    for n in (3..=ends.len()).rev() {
        let probe: String = ends.iter().skip(ends.len() - n).collect();
        if let Some(p) = raw.rfind(&probe) {
            to = p + probe.len();
            break;
        }
    }
    raw.get(from..to.max(from)).unwrap_or(raw)
}

#[test]
fn samples_score_against_gold() {
    let gold_dir = root().join("../shared/eval/gold");
    if !gold_dir.is_dir() {
        eprintln!("skipped: {} is absent", gold_dir.display());
        return;
    }
    let ex = NumberExtractor::builtin().unwrap_or_else(|e| panic!("{e}"));
    let mut total = Score {
        tp: 0,
        fp: 0,
        fn_: 0,
        value_ok: 0,
    };
    let mut names: Vec<_> = std::fs::read_dir(&gold_dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .collect();
    names.sort();
    for path in names
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let gold: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
            .unwrap_or(Value::Null);
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("")
            .to_string();
        let sample = root().join("data/samples").join(format!("{stem}.txt"));
        let Ok(raw) = std::fs::read_to_string(&sample) else {
            continue;
        };
        let b = &gold["body"];
        let text = body(
            &raw,
            b["starts_with"].as_str().unwrap_or(""),
            b["ends_with"].as_str().unwrap_or(""),
        );
        let system: Vec<NumberMention> =
            sentences(text).iter().flat_map(|s| ex.extract(s)).collect();
        let empty = Vec::new();
        let gnums = gold["numbers"].as_array().unwrap_or(&empty);
        let mut report = Vec::new();
        let sc = match_numbers(gnums, &system, &mut report);
        eprintln!(
            "{stem}: tp {} fp {} fn {} value_ok {}",
            sc.tp, sc.fp, sc.fn_, sc.value_ok
        );
        for r in &report {
            eprintln!("{r}");
        }
        total.tp += sc.tp;
        total.fp += sc.fp;
        total.fn_ += sc.fn_;
        total.value_ok += sc.value_ok;
    }
    let p = total.tp as f64 / (total.tp + total.fp).max(1) as f64;
    let r = total.tp as f64 / (total.tp + total.fn_).max(1) as f64;
    let f1 = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    let vacc = total.value_ok as f64 / total.tp.max(1) as f64;
    eprintln!(
        "TOTAL tp {} fp {} fn {}  P {p:.3} R {r:.3} F1 {f1:.3} value_acc {vacc:.3}",
        total.tp, total.fp, total.fn_
    );
    assert!(f1 >= 0.95, "numbers F1 {f1:.3} < 0.95");
    assert!(vacc >= 0.97, "value accuracy {vacc:.3} < 0.97");
}
