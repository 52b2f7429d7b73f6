//! Properties: cleaning never panics on arbitrary Unicode, its paragraphs hold no `\n` and are
//! never empty, and cleaning its own output changes nothing.

use std::path::Path;
use std::sync::OnceLock;

use gongwen_clean::{CleanConfig, Cleaner};
use gongwen_model::RawDoc;
use proptest::prelude::*;

fn cleaner() -> &'static Cleaner {
    static C: OnceLock<Cleaner> = OnceLock::new();
    C.get_or_init(|| Cleaner::build(&CleanConfig::default(), Path::new(".")).expect("builds"))
}

fn run(text: &str) -> Option<Vec<String>> {
    cleaner()
        .clean(RawDoc {
            text: text.to_string(),
            ..Default::default()
        })
        .ok()
        .map(|d| d.paragraphs)
}

/// Lines that look like Chinese documents and their chrome: Han text, punctuation, headings,
/// placeholders, digits, spaces, chrome words.
fn doc_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[的是在了和有大中人上为们发展工作建设会议全市推进经济企业项目旳]{1,12}",
        Just("，".to_string()),
        Just("。".to_string()),
        Just("；".to_string()),
        Just("：".to_string()),
        Just("！".to_string()),
        Just("、".to_string()),
        Just("“".to_string()),
        Just("”".to_string()),
        Just(" ".to_string()),
        Just("\u{3000}".to_string()),
        Just("X".to_string()),
        Just("**".to_string()),
        Just("一、".to_string()),
        Just("（二）".to_string()),
        Just("第三，".to_string()),
        Just("同志们：".to_string()),
        Just("2023年2月28日".to_string()),
        Just("来源：".to_string()),
        Just("版权所有".to_string()),
        Just("猜你喜欢".to_string()),
        Just(" | ".to_string()),
        Just("<b>".to_string()),
        Just("１２ＡＢ".to_string()),
        Just("會議".to_string()),
        "[0-9]{1,4}",
    ];
    let line = prop::collection::vec(piece, 0..40).prop_map(|v| v.concat());
    prop::collection::vec(line, 0..25).prop_map(|v| v.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_unicode(s in any::<String>()) {
        if let Some(paras) = run(&s) {
            prop_assert!(paras.iter().all(|p| !p.is_empty() && !p.contains('\n')));
        }
    }

    #[test]
    fn paragraphs_are_well_formed_and_cleaning_is_idempotent(s in doc_like()) {
        if let Some(once) = run(&s) {
            prop_assert!(once.iter().all(|p| !p.trim().is_empty() && !p.contains('\n')));
            let twice = run(&once.join("\n"));
            prop_assert_eq!(Some(once), twice);
        }
    }
}
