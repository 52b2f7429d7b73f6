//! Numbers and entities found by the library crates come back with document offsets, their
//! sentence and their section; tokens carry POS tags.

use std::path::Path;

use gongwen_entities::EntitiesConfig;
use gongwen_model::{slice_chars, CleanDoc};
use gongwen_numbers::NumbersConfig;
use gongwen_segment::{SegmentConfig, Segmenter};

#[test]
fn numbers_and_entities_get_document_offsets_sentences_and_sections() {
    let segmenter = Segmenter::build(
        &SegmentConfig::default(),
        &NumbersConfig::default(),
        &EntitiesConfig::default(),
        Path::new("."),
    )
    .expect("segmenter builds");
    let doc = CleanDoc {
        paragraphs: vec![
            "同志们：".into(),
            "一、经济运行稳中向好".into(),
            "全年地区生产总值增长5.2%，完成固定资产投资320亿元。".into(),
            "二、民生福祉持续增进".into(),
            "新增城镇就业1.2万人。市委书记王建国在江城市调研时强调，要办好民生实事。".into(),
        ],
        ..Default::default()
    };
    let out = segmenter.segment(doc);
    let text = out.doc.text();
    for n in &out.numbers {
        assert_eq!(slice_chars(&text, n.span), n.text, "{n:?}");
        let sentence = &out.sentences[n.sent_idx];
        assert!(
            sentence.span.contains(&n.span),
            "{n:?} outside {sentence:?}"
        );
        assert_eq!(n.section_id, sentence.section_id);
    }
    for e in &out.entities {
        assert_eq!(slice_chars(&text, e.span), e.text, "{e:?}");
        assert!(e.section_id.is_some());
    }
    assert!(out
        .numbers
        .windows(2)
        .all(|w| w[0].span.start <= w[1].span.start));
    assert!(out
        .entities
        .windows(2)
        .all(|w| w[0].span.start <= w[1].span.start));
    let sections: Vec<Option<&str>> = out
        .sentences
        .iter()
        .map(|s| s.section_id.as_deref())
        .collect();
    assert_eq!(
        sections,
        vec![None, Some("1"), Some("1"), Some("2"), Some("2"), Some("2")]
    );
    assert!(out.tokens.iter().all(|t| !t.pos.is_empty()));
    let keywords = segmenter.term_counts(&out);
    assert!(keywords.iter().all(|(w, _)| w.chars().count() >= 2));
    assert!(keywords.iter().any(|(w, _)| w == "民生"), "{keywords:?}");
}
