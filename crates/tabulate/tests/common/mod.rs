//! Hand-built documents for the tabulate tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use gongwen_model::*;
use polars::prelude::{DataFrame, ParquetReader, SerReader};

/// Character offset of the first occurrence of `needle` in `text` at or after char `from`.
fn find_chars(text: &str, needle: &str, from: usize) -> Option<usize> {
    let chars: Vec<char> = text.chars().collect();
    let needle: Vec<char> = needle.chars().collect();
    (from..=chars.len().saturating_sub(needle.len()))
        .find(|&i| chars.get(i..i + needle.len()) == Some(&needle[..]))
}

/// A segmented document of `paragraphs`, with sentences split after 。！？, tokens of two
/// characters, a section per paragraph starting with a `一、`-style marker, and entities and
/// numbers at the first occurrences of the given strings.
pub fn doc(
    doc_id: &str,
    paragraphs: &[&str],
    entities: &[(&str, EntityType)],
    numbers: &[(&str, NumberKind, Option<f64>)],
) -> SegmentedDoc {
    let clean = CleanDoc {
        source: SourceInfo {
            doc_id: doc_id.to_string(),
            source_path: format!("input/{doc_id}.txt"),
            format: Some(Format::Txt),
            encoding: Some("GB18030".to_string()),
            bytes_replaced: false,
            n_bytes: 1234,
            duplicate_of: None,
        },
        script: Script::Traditional,
        title: Some(format!("关于“{doc_id}”的报告, 第一部分")),
        date: Some("2024-03-05".to_string()),
        publisher: Some("某县人民政府办公室".to_string()),
        doc_type: DocType::Speech,
        speaker: None,
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
        original: paragraphs.join("\n"),
        stats: CleanStats {
            doc_mill_chars: 2,
            placeholders: 1,
            ..CleanStats::default()
        },
    };
    let text = clean.text();
    let mut seg = SegmentedDoc {
        doc: clean.clone(),
        ..SegmentedDoc::default()
    };
    let mut offset = 0;
    let mut sent_idx = 0;
    for (para_idx, para) in paragraphs.iter().enumerate() {
        let len = para.chars().count();
        let section_id = if para.starts_with(['一', '二', '三', '四', '五'])
            && para.chars().nth(1) == Some('、')
        {
            let n = seg.sections.len() + 1;
            let heading: String = para.chars().skip(2).take_while(|c| *c != '。').collect();
            seg.sections.push(Section {
                section_id: n.to_string(),
                parent_id: None,
                level: 1,
                marker: para.chars().take(2).collect(),
                ordinal: Some(n as u32),
                heading,
                span: Span::new(offset, offset + len),
            });
            Some(n.to_string())
        } else {
            seg.sections.last().map(|s| s.section_id.clone())
        };
        seg.paragraphs.push(Paragraph {
            para_idx,
            section_id: section_id.clone(),
            span: Span::new(offset, offset + len),
            text: para.to_string(),
        });
        // Sentences: split after 。！？.
        let chars: Vec<char> = para.chars().collect();
        let mut start = 0;
        for i in 0..chars.len() {
            if matches!(chars[i], '。' | '！' | '？') || i + 1 == chars.len() {
                let span = Span::new(offset + start, offset + i + 1);
                let sent_text: String = chars[start..=i].iter().collect();
                seg.sentences.push(Sentence {
                    sent_idx,
                    para_idx,
                    section_id: section_id.clone(),
                    span,
                    text: sent_text,
                });
                // Tokens: two characters each.
                let mut t = start;
                let mut tok_idx = 0;
                while t <= i {
                    let e = (t + 2).min(i + 1);
                    let word: String = chars[t..e].iter().collect();
                    let pos = if word.chars().any(|c| c.is_ascii_digit()) {
                        "m"
                    } else {
                        "n"
                    };
                    seg.tokens.push(Token {
                        sent_idx,
                        tok_idx,
                        word: word.into(),
                        pos: pos.into(),
                        span: Span::new(offset + t, offset + e),
                    });
                    tok_idx += 1;
                    t = e;
                }
                sent_idx += 1;
                start = i + 1;
            }
        }
        offset += len + 1;
    }
    let sentence_of = |pos: usize, seg: &SegmentedDoc| {
        seg.sentences
            .iter()
            .find(|s| s.span.start <= pos && pos < s.span.end)
            .map(|s| (s.sent_idx, s.section_id.clone()))
            .unwrap()
    };
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (needle, entity_type) in entities {
        let from = seen.get(needle).copied().unwrap_or(0);
        let start = find_chars(&text, needle, from).unwrap();
        seen.insert(needle, start + 1);
        let (sent_idx, section_id) = sentence_of(start, &seg);
        seg.entities.push(Entity {
            sent_idx,
            section_id,
            span: Span::new(start, start + needle.chars().count()),
            text: needle.to_string(),
            entity_type: *entity_type,
            title: (*entity_type == EntityType::Per).then(|| "县委书记".to_string()),
            redacted: needle.contains('X'),
        });
    }
    seg.entities.sort_by_key(|e| e.span);
    for (needle, kind, value) in numbers {
        let start = find_chars(&text, needle, 0).unwrap();
        let (sent_idx, section_id) = sentence_of(start, &seg);
        seg.numbers.push(NumberMention {
            sent_idx,
            section_id,
            span: Span::new(start, start + needle.chars().count()),
            text: needle.to_string(),
            kind: *kind,
            value: *value,
            low: None,
            high: None,
            unit: Some("元".to_string()),
            iso: None,
            qualifier: needle.contains('多').then(|| "多".to_string()),
            redacted: needle.contains('X'),
            subject: None,
        });
    }
    seg.numbers.sort_by_key(|n| n.span);
    seg
}

/// A typical document with id `doc_id`.
pub fn sample(doc_id: &str) -> SegmentedDoc {
    doc(
        doc_id,
        &[
            "同志们：今天我们召开全县经济工作会议。",
            "一、过去一年的工作回顾。",
            "全县地区生产总值完成128.5亿元，增长6.2%！财政收入突破10亿元。",
            "二、今年的主要任务",
            "王XX同志在洛川县调研时强调，要抓好“乡村振兴”工作。洛川县要走在前列？",
        ],
        &[
            ("洛川县", EntityType::Loc),
            ("王XX", EntityType::Per),
            ("乡村振兴", EntityType::Term),
            ("洛川县", EntityType::Loc),
        ],
        &[
            ("128.5亿元", NumberKind::Money, Some(12_850_000_000.0)),
            ("6.2%", NumberKind::Percent, Some(6.2)),
            ("10亿元", NumberKind::Money, Some(1e9)),
        ],
    )
}

/// A failure of the given status.
pub fn failure(doc_id: &str, status: FailureStatus) -> DocOutcome {
    DocOutcome::Failed(Failure {
        source: SourceInfo {
            doc_id: doc_id.to_string(),
            source_path: format!("input/{doc_id}.bin"),
            format: Some(Format::Binary),
            encoding: None,
            bytes_replaced: false,
            n_bytes: 99,
            duplicate_of: (status == FailureStatus::Duplicate)
                .then(|| "input/original.txt".to_string()),
        },
        stage: Stage::Ingest,
        status,
        message: "binary file: 12 NUL bytes in the first 4096 bytes".to_string(),
    })
}

/// Reads a CSV file: (had BOM, header, rows).
pub fn read_csv(path: &Path) -> (bool, Vec<String>, Vec<Vec<String>>) {
    let bytes = std::fs::read(path).unwrap();
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let body = if bom { &bytes[3..] } else { &bytes[..] };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    (bom, header, rows)
}

/// Reads a Parquet file with polars.
pub fn read_parquet(path: &Path) -> DataFrame {
    ParquetReader::new(File::open(path).unwrap())
        .finish()
        .unwrap()
}
