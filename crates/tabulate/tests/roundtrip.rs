//! Property: any Unicode text survives the round trip through Parquet and CSV, and every span
//! still slices the clean text to the row's text.
#![allow(clippy::unwrap_used)]

mod common;

use gongwen_model::{slice_chars, DocOutcome, Span};
use gongwen_tabulate::{OutputConfig, TableWriter};
use proptest::prelude::*;

fn paragraph() -> impl Strategy<Value = String> {
    // Any characters but line breaks, mixed with Chinese text and CSV-special characters.
    prop::collection::vec(
        prop_oneof![
            any::<char>().prop_filter("no \\n", |c| *c != '\n'),
            prop::sample::select(vec!['同', '志', '。', ',', '"', '\r', '！', 'X', '＊'])
        ],
        1..40,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn any_text_round_trips_with_valid_spans(paragraphs in prop::collection::vec(paragraph(), 1..6), bom in any::<bool>()) {
        let refs: Vec<&str> = paragraphs.iter().map(String::as_str).collect();
        let seg = common::doc("00000000deadbeef", &refs, &[], &[]);
        let text = seg.doc.text();
        let dir = tempfile::tempdir().unwrap();
        let config = OutputConfig { csv_bom: bom, batch_rows: 3, ..OutputConfig::default() };
        let mut writer = TableWriter::create(&config, dir.path(), None).unwrap();
        writer.write_doc(&DocOutcome::Done(seg.clone())).unwrap();
        writer.finish().unwrap();

        for (table, text_col, n) in [("paragraphs", "text", seg.paragraphs.len()), ("sentences", "text", seg.sentences.len()), ("tokens", "word", seg.tokens.len())] {
            let (had_bom, header, rows) = common::read_csv(&dir.path().join(format!("{table}.csv")));
            prop_assert_eq!(had_bom, bom);
            prop_assert_eq!(rows.len(), n);
            let col = |name: &str| header.iter().position(|h| h == name).unwrap();
            let df = common::read_parquet(&dir.path().join(format!("{table}.parquet")));
            let parquet_texts: Vec<String> = df.column(text_col).unwrap().str().unwrap().iter().map(|s| s.unwrap().to_string()).collect();
            for (row, parquet_text) in rows.iter().zip(&parquet_texts) {
                let span = Span::new(row[col("char_start")].parse().unwrap(), row[col("char_end")].parse().unwrap());
                prop_assert_eq!(slice_chars(&text, span), row[col(text_col)].as_str());
                prop_assert_eq!(parquet_text, &row[col(text_col)]);
            }
        }
        let (_, _, rows) = common::read_csv(&dir.path().join("paragraphs.csv"));
        let texts: Vec<&str> = rows.iter().map(|r| r[5].as_str()).collect();
        prop_assert_eq!(texts, refs);
    }
}
