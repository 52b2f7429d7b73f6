//! Properties on arbitrary input: segment never panics, sentences tile their paragraph and
//! tokens tile their sentence exactly, and every span slices back to its row's text.

use std::path::Path;
use std::sync::OnceLock;

use gongwen_entities::EntitiesConfig;
use gongwen_model::{slice_chars, CleanDoc, SegmentedDoc};
use gongwen_numbers::NumbersConfig;
use gongwen_segment::{SegmentConfig, Segmenter};
use proptest::prelude::*;

fn segmenter() -> &'static Segmenter {
    static SEGMENTER: OnceLock<Segmenter> = OnceLock::new();
    SEGMENTER.get_or_init(|| {
        Segmenter::build(
            &SegmentConfig::default(),
            &NumbersConfig::default(),
            &EntitiesConfig::default(),
            Path::new("."),
        )
        .expect("default segmenter builds")
    })
}

fn check(paragraphs: Vec<String>) -> Result<(), TestCaseError> {
    let doc = CleanDoc {
        paragraphs: paragraphs.clone(),
        ..Default::default()
    };
    let text = doc.text();
    let out: SegmentedDoc = segmenter().segment(doc);
    prop_assert_eq!(out.paragraphs.len(), paragraphs.len());
    for p in &out.paragraphs {
        prop_assert_eq!(slice_chars(&text, p.span), p.text.as_str());
        let joined: String = out
            .sentences
            .iter()
            .filter(|s| s.para_idx == p.para_idx)
            .map(|s| s.text.as_str())
            .collect();
        prop_assert_eq!(&joined, &p.text);
    }
    for (i, s) in out.sentences.iter().enumerate() {
        prop_assert_eq!(s.sent_idx, i);
        prop_assert!(!s.text.is_empty());
        prop_assert_eq!(slice_chars(&text, s.span), s.text.as_str());
        let tokens: Vec<_> = out.tokens.iter().filter(|t| t.sent_idx == i).collect();
        let joined: String = tokens.iter().map(|t| t.word.as_str()).collect();
        prop_assert_eq!(&joined, &s.text);
        let mut at = s.span.start;
        for (k, t) in tokens.iter().enumerate() {
            prop_assert_eq!(t.tok_idx, k);
            prop_assert_eq!(t.span.start, at);
            prop_assert!(t.span.end > t.span.start);
            prop_assert_eq!(slice_chars(&text, t.span), t.word.as_str());
            at = t.span.end;
        }
        prop_assert_eq!(at, s.span.end);
    }
    let n_chars = text.chars().count();
    for s in &out.sections {
        prop_assert!(s.span.start <= s.span.end && s.span.end <= n_chars);
        prop_assert!(s.level >= 1);
    }
    Ok(())
}

/// Paragraph text built from the characters that drive the rules (markers, punctuation,
/// quotes, brackets, whitespace) mixed with ordinary Han characters.
fn rule_heavy() -> impl Strategy<Value = String> {
    "[一二三四十是要第部分首先其次最后、，,。！？；;!?…：:“”‘’（）()《》\"1２.．①⑴ \t甲乙丙丁工业发展—]{0,60}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn sentences_and_tokens_tile_arbitrary_unicode(paragraphs in prop::collection::vec(any::<String>(), 0..5)) {
        check(paragraphs)?;
    }

    #[test]
    fn sentences_and_tokens_tile_rule_heavy_text(paragraphs in prop::collection::vec(rule_heavy(), 0..8)) {
        check(paragraphs)?;
    }
}

#[test]
fn empty_paragraphs_do_not_panic() {
    let out = segmenter().segment(CleanDoc {
        paragraphs: vec![String::new(), "好。".into(), String::new()],
        ..Default::default()
    });
    assert_eq!(out.paragraphs.len(), 3);
    assert_eq!(out.sentences.len(), 1);
    assert_eq!(out.sentences[0].span.start, 1);
}

#[test]
fn domain_terms_stay_whole() {
    let out = segmenter().segment(CleanDoc {
        paragraphs: vec![
            "要深化放管服改革，加快新旧动能转换，持续优化营商环境，培育专精特新企业。".into(),
        ],
        ..Default::default()
    });
    let words: Vec<&str> = out.tokens.iter().map(|t| t.word.as_str()).collect();
    for term in ["放管服改革", "新旧动能转换", "营商环境", "专精特新"] {
        assert!(words.contains(&term), "{term} cut: {words:?}");
    }
}
