#![allow(clippy::unwrap_used)]
mod common;
use gongwen_model::DocOutcome;
use gongwen_tabulate::{OutputConfig, TableWriter};
#[test]
fn perf() {
    let dir = tempfile::tempdir().unwrap();
    let para = "全县地区生产总值完成128.5亿元，增长6.2%！财政收入突破10亿元。王XX同志在洛川县调研时强调，要抓好“乡村振兴”工作。";
    let paras: Vec<&str> = std::iter::repeat(para).take(200).collect();
    let seg = common::doc("0000000000000000", &paras, &[], &[]);
    let docs: Vec<DocOutcome> = (0..50).map(|i| { let mut s = seg.clone(); s.doc.source.doc_id = format!("{i:016x}"); DocOutcome::Done(s) }).collect();
    let t = std::time::Instant::now();
    let mut w = TableWriter::create(&OutputConfig::default(), dir.path(), None).unwrap();
    for d in &docs { w.write_doc(d).unwrap(); }
    let c = w.finish().unwrap();
    let el = t.elapsed();
    let mb = 50.0 * paras.join("\n").len() as f64 / 1e6;
    eprintln!("{c:?} {el:?} {mb:.1} MB text -> {:.1} MB/s", mb / el.as_secs_f64());
}
