//! Cleans data/samples/*.txt and checks the gold body and field criteria of
//! ../shared/eval/gold (skipped when ../shared is absent). Also checks idempotency on them.

use std::path::{Path, PathBuf};

use gongwen_clean::{CleanConfig, Cleaner};
use gongwen_model::{CleanDoc, RawDoc, SourceInfo};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The scorer's comparison key, close enough to NFKC for these texts: full-width ASCII folded,
/// whitespace dropped.
fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(|c| {
            let c = match c as u32 {
                0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            if c == '…' {
                vec!['.', '.', '.']
            } else {
                vec![c]
            }
        })
        .collect()
}

fn dice(a: &str, b: &str) -> f64 {
    let bi = |s: &str| -> Vec<String> {
        let c: Vec<char> = norm(s).chars().collect();
        if c.len() < 2 {
            return if c.is_empty() {
                vec![]
            } else {
                vec![c.iter().collect()]
            };
        }
        c.windows(2).map(|w| w.iter().collect()).collect()
    };
    let (x, y) = (bi(a), bi(b));
    if x.is_empty() && y.is_empty() {
        return 1.0;
    }
    let mut pool = std::collections::HashMap::new();
    for g in &x {
        *pool.entry(g.clone()).or_insert(0) += 1;
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

fn samples() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(root().join("data/samples"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "txt"))
                .filter_map(|p| {
                    let stem = p.file_stem()?.to_str()?.to_string();
                    Some((stem, std::fs::read_to_string(&p).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn clean(cleaner: &Cleaner, stem: &str, text: &str) -> CleanDoc {
    let raw = RawDoc {
        source: SourceInfo {
            source_path: format!("{stem}.txt"),
            ..Default::default()
        },
        text: text.to_string(),
        ..Default::default()
    };
    cleaner.clean(raw).expect("sample cleans to something")
}

#[test]
fn samples_meet_gold_body_and_field_criteria() {
    let gold_dir = root().join("../shared/eval/gold");
    if !gold_dir.exists() {
        eprintln!("skipped: {} absent", gold_dir.display());
        return;
    }
    let cleaner = Cleaner::build(&CleanConfig::default(), &root()).expect("builds");
    let (mut inc_hit, mut inc_all, mut leaks, mut edges, mut n) = (0, 0, 0, 0, 0);
    let mut fields = std::collections::BTreeMap::<&str, usize>::new();
    let mut failures = Vec::new();
    for (stem, text) in samples() {
        let Ok(gold) = std::fs::read_to_string(gold_dir.join(format!("{stem}.json"))) else {
            continue;
        };
        let gold: serde_json::Value = serde_json::from_str(&gold).expect("gold json");
        let doc = clean(&cleaner, &stem, &text);
        n += 1;
        let body = norm(&doc.paragraphs.join(""));
        let b = &gold["body"];
        let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
        for inc in b["must_include"].as_array().into_iter().flatten() {
            inc_all += 1;
            if body.contains(&norm(&s(inc))) {
                inc_hit += 1;
            } else {
                failures.push(format!("{stem}: missing {}", s(inc)));
            }
        }
        for exc in b["must_exclude"].as_array().into_iter().flatten() {
            if !norm(&s(exc)).is_empty() && body.contains(&norm(&s(exc))) {
                leaks += 1;
                failures.push(format!("{stem}: leaked {}", s(exc)));
            }
        }
        let st = norm(&s(&b["starts_with"]));
        let en = norm(&s(&b["ends_with"]));
        let chars: Vec<char> = body.chars().collect();
        let head: String = chars.iter().take(st.chars().count() + 40).collect();
        let tail: String = chars
            .iter()
            .skip(chars.len().saturating_sub(en.chars().count() + 40))
            .collect();
        if head.contains(&st) {
            edges += 1
        } else {
            failures.push(format!("{stem}: starts with {head:?}"))
        }
        if tail.contains(&en) {
            edges += 1
        } else {
            failures.push(format!("{stem}: ends with {tail:?}"))
        }

        let d = &gold["document"];
        let title_ok = dice(&s(&d["title"]), doc.title.as_deref().unwrap_or("")) >= 0.8;
        let date_ok = d["date"].as_str().map(str::to_string) == doc.date;
        let source_ok = match d["source"].as_str() {
            Some(g) => dice(g, doc.publisher.as_deref().unwrap_or("")) >= 0.6,
            None => doc.publisher.is_none(),
        };
        let type_ok = s(&d["doc_type"]) == doc.doc_type.as_str();
        let script_ok = s(&d["script"]) == doc.script.as_str();
        let speaker_ok = d["speaker"].as_str().map(str::to_string) == doc.speaker;
        for (k, ok, got) in [
            ("title", title_ok, format!("{:?}", doc.title)),
            ("date", date_ok, format!("{:?}", doc.date)),
            ("source", source_ok, format!("{:?}", doc.publisher)),
            ("doc_type", type_ok, doc.doc_type.as_str().to_string()),
            ("script", script_ok, doc.script.as_str().to_string()),
            ("speaker", speaker_ok, format!("{:?}", doc.speaker)),
        ] {
            *fields.entry(k).or_default() += usize::from(ok);
            if !ok {
                failures.push(format!("{stem}: {k} = {got}"));
            }
        }
        eprintln!(
            "{stem}: {} paragraphs, stats {:?}",
            doc.paragraphs.len(),
            doc.stats
        );
    }
    let recall = inc_hit as f64 / inc_all.max(1) as f64;
    eprintln!("recall {recall:.3} ({inc_hit}/{inc_all}), leaks {leaks}, edges {edges}/{}, fields {fields:?}", 2 * n);
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(recall >= 0.99, "content recall {recall}");
    assert_eq!(leaks, 0, "boilerplate leaked");
    assert_eq!(edges, 2 * n, "edges");
    for k in ["title", "date", "doc_type", "script"] {
        assert_eq!(fields.get(k).copied().unwrap_or(0), n, "field {k}");
    }
    assert!(
        fields.get("source").copied().unwrap_or(0) + 1 >= n,
        "source"
    );
}

#[test]
fn cleaning_the_samples_is_idempotent() {
    let cleaner = Cleaner::build(&CleanConfig::default(), &root()).expect("builds");
    for (stem, text) in samples() {
        let once = clean(&cleaner, &stem, &text);
        let twice = clean(&cleaner, &stem, &once.paragraphs.join("\n"));
        assert_eq!(
            once.paragraphs, twice.paragraphs,
            "{stem}: second pass changed the paragraphs"
        );
    }
}

#[test]
fn bundled_pipeline_toml_clean_section_builds() {
    let text = std::fs::read_to_string(root().join("pipeline.toml")).expect("pipeline.toml");
    let value: toml::Table = toml::from_str(&text).expect("pipeline.toml is TOML");
    let section = value
        .get("clean")
        .cloned()
        .unwrap_or(toml::Value::Table(Default::default()));
    let config: CleanConfig = section.try_into().expect("[clean] deserialises");
    assert_eq!(
        config.doc_mill,
        gongwen_clean::DocMillMode::Count,
        "the bundled config counts doc-mill characters"
    );
    assert!(config.validate(&root()).is_empty());
    Cleaner::build(&config, &root()).expect("[clean] builds");
}
