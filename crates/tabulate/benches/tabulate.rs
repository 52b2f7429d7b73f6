//! Throughput of the table writers.
//!
//! Builds synthetic segmented documents from the sample texts in `data/samples` (sentences
//! split after 。！？；, tokens of two characters, an entity every 36 tokens, a number every
//! 90) in the proportions of the generated corpus (per MB of input: ~155 k tokens, 5.2 k
//! sentences, 4.3 k entities, 1.7 k numbers, 64 documents), then times writing them:
//! Parquet alone, CSV alone, both, and each table alone.
//!
//! `GONGWEN_BENCH_MB` sets the corpus size in MB-equivalents (default 10), `GONGWEN_BENCH_ZSTD`
//! the zstd level (default 3), `GONGWEN_BENCH_REPEAT` the runs per figure (best is kept, default
//! 2), `GONGWEN_BENCH_FORMAT` (`parquet`, `csv` or `parquet+csv`) runs one format only, and
//! `GONGWEN_BENCH_ALL_ONLY` skips the per-table runs. Figures are also given per 50 MB
//! of input, where jieba `tag` alone costs about 2.4 s on one core.
//! Run with `cargo bench -p gongwen-tabulate`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::manual_is_multiple_of
)]

use std::path::Path;
use std::time::Instant;

use gongwen_model::*;
use gongwen_tabulate::{schemas, OutputConfig, TableWriter};

/// Token rows per MB of input in the generated corpus.
const TOKENS_PER_MB: f64 = 155_000.0;

fn sample_texts() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples");
    let mut texts: Vec<String> = std::fs::read_dir(&dir)
        .map(|entries| {
            let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            paths
                .iter()
                .filter_map(|p| std::fs::read_to_string(p).ok())
                .collect()
        })
        .unwrap_or_default();
    if texts.is_empty() {
        eprintln!("no samples in {}; using generated text", dir.display());
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(&format!(
                "全县地区生产总值完成{i}.5亿元，增长6.2%，财政收入突破“十亿”元。\n"
            ));
        }
        texts.push(text);
    }
    texts
}

/// One synthetic document from `text` with id `doc_id`.
fn make_doc(doc_id: &str, text: &str) -> SegmentedDoc {
    let paragraphs: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    let clean = CleanDoc {
        source: SourceInfo {
            doc_id: doc_id.to_string(),
            source_path: format!("corpus/{doc_id}.txt"),
            format: Some(Format::Txt),
            encoding: Some("UTF-8".to_string()),
            bytes_replaced: false,
            n_bytes: text.len() as u64,
            duplicate_of: None,
        },
        script: Script::Simplified,
        title: paragraphs.first().cloned(),
        date: Some("2023-02-28".to_string()),
        publisher: Some("某市人民政府".to_string()),
        doc_type: DocType::Speech,
        speaker: None,
        paragraphs: paragraphs.clone(),
        original: String::new(),
        stats: CleanStats::default(),
    };
    let mut seg = SegmentedDoc {
        doc: clean,
        ..SegmentedDoc::default()
    };
    let types = [
        EntityType::Per,
        EntityType::Loc,
        EntityType::Org,
        EntityType::Term,
    ];
    let mut offset = 0;
    let mut n_tokens = 0usize;
    for (para_idx, para) in paragraphs.iter().enumerate() {
        let chars: Vec<char> = para.chars().collect();
        let section_id = if para_idx % 8 == 1 {
            let n = seg.sections.len() + 1;
            seg.sections.push(Section {
                section_id: n.to_string(),
                parent_id: None,
                level: 1,
                marker: "一、".to_string(),
                ordinal: Some(n as u32),
                heading: chars.iter().take(12).collect(),
                span: Span::new(offset, offset + chars.len()),
            });
            Some(n.to_string())
        } else {
            seg.sections.last().map(|s| s.section_id.clone())
        };
        seg.paragraphs.push(Paragraph {
            para_idx,
            section_id: section_id.clone(),
            span: Span::new(offset, offset + chars.len()),
            text: para.clone(),
        });
        let mut start = 0;
        for i in 0..chars.len() {
            if !(matches!(chars[i], '。' | '！' | '？' | '；') || i + 1 == chars.len()) {
                continue;
            }
            let sent_idx = seg.sentences.len();
            seg.sentences.push(Sentence {
                sent_idx,
                para_idx,
                section_id: section_id.clone(),
                span: Span::new(offset + start, offset + i + 1),
                text: chars[start..=i].iter().collect(),
            });
            let mut t = start;
            let mut tok_idx = 0;
            while t <= i {
                let one = !chars[t].is_alphanumeric();
                let e = if one { t + 1 } else { (t + 2).min(i + 1) };
                let word: String = chars[t..e].iter().collect();
                let span = Span::new(offset + t, offset + e);
                if n_tokens % 36 == 35 {
                    let entity_type = types[(n_tokens / 36) % 4];
                    seg.entities.push(Entity {
                        sent_idx,
                        section_id: section_id.clone(),
                        span,
                        text: word.clone(),
                        entity_type,
                        title: (entity_type == EntityType::Per).then(|| "市委书记".to_string()),
                        redacted: word.contains('X'),
                    });
                }
                if n_tokens % 90 == 89 {
                    let k = n_tokens / 90;
                    seg.numbers.push(NumberMention {
                        sent_idx,
                        section_id: section_id.clone(),
                        span,
                        text: word.clone(),
                        kind: if k % 2 == 0 {
                            NumberKind::Money
                        } else {
                            NumberKind::Percent
                        },
                        value: (k % 3 != 0).then_some((k as f64) * 1.0e8 + 0.035),
                        low: (k % 3 == 0).then_some(1.0),
                        high: (k % 3 == 0).then(|| k as f64 / 7.0),
                        unit: Some("元".to_string()),
                        iso: None,
                        qualifier: (k % 5 == 0).then(|| "多".to_string()),
                        redacted: false,
                        subject: (k % 4 == 0).then(|| "工业总产值".to_string()),
                    });
                }
                seg.tokens.push(Token {
                    sent_idx,
                    tok_idx,
                    word: word.into(),
                    pos: if one { "x" } else { "n" }.into(),
                    span,
                });
                n_tokens += 1;
                tok_idx += 1;
                t = e;
            }
            start = i + 1;
        }
        offset += chars.len() + 1;
    }
    seg
}

/// `mb` MB-equivalents of documents, sorted by doc_id, and 20 keywords each.
fn corpus(mb: f64) -> (Vec<DocOutcome>, Vec<Vec<Keyword>>) {
    let texts = sample_texts();
    let target = (mb * TOKENS_PER_MB) as usize;
    let mut docs = Vec::new();
    let mut tokens = 0usize;
    while tokens < target {
        let i = docs.len();
        let text = &texts[i % texts.len()];
        let doc = make_doc(&format!("{:016x}", i as u64 * 0x9e37_79b9), text);
        tokens += doc.tokens.len();
        docs.push(DocOutcome::Done(doc));
    }
    let keywords = (0..docs.len())
        .map(|d| {
            (1..=20)
                .map(|rank| Keyword {
                    rank,
                    word: "攻坚".to_string(),
                    weight: 1.0 / (rank as f64 + d as f64 * 0.37),
                })
                .collect()
        })
        .collect();
    (docs, keywords)
}

/// CPU time of this process so far (Linux: `/proc/self/schedstat`), or 0 when unknown.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}

/// Writes everything with `config`; returns seconds (wall, CPU), rows per table and bytes
/// written.
fn run(
    config: &OutputConfig,
    docs: &[DocOutcome],
    keywords: &[Vec<Keyword>],
) -> ((f64, f64), Vec<(&'static str, usize)>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let cpu = cpu_seconds();
    let mut writer = TableWriter::create(config, dir.path(), None).unwrap();
    for d in docs {
        writer.write_doc(d).unwrap();
    }
    for (d, k) in docs.iter().zip(keywords) {
        writer.write_keywords(&d.source().doc_id, k).unwrap();
    }
    let counts = writer.finish().unwrap();
    let secs = (start.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let bytes = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();
    (secs, counts, bytes)
}

fn main() {
    let mb: f64 = std::env::var("GONGWEN_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10.0);
    let t = Instant::now();
    let (docs, keywords) = corpus(mb);
    let rows: usize = docs
        .iter()
        .map(|d| match d {
            DocOutcome::Done(s) => {
                1 + s.paragraphs.len()
                    + s.sentences.len()
                    + s.sections.len()
                    + s.tokens.len()
                    + 2 * s.entities.len()
                    + s.numbers.len()
            }
            DocOutcome::Failed(_) => 1,
        })
        .sum::<usize>()
        + keywords.iter().map(Vec::len).sum::<usize>();
    let tokens: usize = docs
        .iter()
        .map(|d| match d {
            DocOutcome::Done(s) => s.tokens.len(),
            DocOutcome::Failed(_) => 0,
        })
        .sum();
    let mb_equiv = tokens as f64 / TOKENS_PER_MB;
    let per_50 = 50.0 / mb_equiv;
    println!(
        "corpus: {} docs, {tokens} tokens, ~{rows} rows (≈ {mb_equiv:.1} MB of input), built in {:.1} s",
        docs.len(),
        t.elapsed().as_secs_f64()
    );
    let repeat: usize = std::env::var("GONGWEN_BENCH_REPEAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let only_all = std::env::var("GONGWEN_BENCH_ALL_ONLY").is_ok();
    let zstd_level: i32 = std::env::var("GONGWEN_BENCH_ZSTD")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    println!("zstd level {zstd_level}");
    let only_format = std::env::var("GONGWEN_BENCH_FORMAT").ok();
    for formats in [vec!["parquet", "csv"], vec!["parquet"], vec!["csv"]] {
        if only_format
            .as_ref()
            .is_some_and(|f| *f != formats.join("+"))
        {
            continue;
        }
        let config = OutputConfig {
            formats: formats.iter().map(|s| s.to_string()).collect(),
            zstd_level,
            ..OutputConfig::default()
        };
        let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
        let mut bytes = 0;
        for _ in 0..repeat {
            let ((secs, cpu), _, b) = run(&config, &docs, &keywords);
            best = best.min(secs);
            best_cpu = best_cpu.min(cpu);
            bytes = b;
        }
        println!(
            "{:<12} all tables: {best:.3} s ({best_cpu:.3} s CPU), {:.2} M rows/s, {:.2} s per 50 MB ({:.2} s CPU, {:.2} × jieba 2.4 s), {:.1} MB written",
            formats.join("+"),
            rows as f64 / best / 1e6,
            best * per_50,
            best_cpu * per_50,
            best_cpu * per_50 / 2.4,
            bytes as f64 / 1e6
        );
        if only_all {
            continue;
        }
        for table in schemas() {
            let config = OutputConfig {
                tables: vec![table.name.to_string()],
                ..config.clone()
            };
            let (mut best, mut best_cpu) = (f64::INFINITY, f64::INFINITY);
            let mut n = 0;
            for _ in 0..repeat {
                let ((secs, cpu), counts, _) = run(&config, &docs, &keywords);
                best = best.min(secs);
                best_cpu = best_cpu.min(cpu);
                n = counts.first().map_or(0, |c| c.1);
            }
            println!(
                "    {:<14} {n:>9} rows {best:>7.3} s ({best_cpu:.3} s CPU) {:>7.2} M rows/s {:>7.3} s per 50 MB ({:.3} s CPU)",
                table.name,
                n as f64 / best / 1e6,
                best * per_50,
                best_cpu * per_50
            );
        }
    }
}
