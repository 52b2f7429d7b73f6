//! Cleans the text files named on the command line (default: data/samples/*.txt) and prints
//! each document's fields and paragraphs: `cargo run -p gongwen-clean --example clean_files`.

use std::path::{Path, PathBuf};

use gongwen_clean::{CleanConfig, Cleaner};
use gongwen_model::{RawDoc, SourceInfo};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        if let Ok(dir) = std::fs::read_dir(root.join("data/samples")) {
            files = dir.filter_map(Result::ok).map(|e| e.path()).collect();
            files.sort();
        }
    }
    let cleaner = match Cleaner::build(&CleanConfig::default(), &root) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("cannot read {}", path.display());
            continue;
        };
        let raw = RawDoc {
            source: SourceInfo {
                source_path: path.display().to_string(),
                ..Default::default()
            },
            text,
            ..Default::default()
        };
        println!("=== {}", path.display());
        match cleaner.clean(raw) {
            Err(f) => println!("FAILED {}: {}", f.status.as_str(), f.message),
            Ok(doc) => {
                println!(
                    "title={:?} date={:?} publisher={:?} type={} script={} speaker={:?}",
                    doc.title,
                    doc.date,
                    doc.publisher,
                    doc.doc_type.as_str(),
                    doc.script.as_str(),
                    doc.speaker
                );
                println!("stats={:?}", doc.stats);
                for (i, p) in doc.paragraphs.iter().enumerate() {
                    let head: String = p.chars().take(60).collect();
                    let tail: String = {
                        let c: Vec<char> = p.chars().collect();
                        c[c.len().saturating_sub(20)..].iter().collect()
                    };
                    println!("[{i}] ({}) {head} … {tail}", p.chars().count());
                }
            }
        }
    }
}
