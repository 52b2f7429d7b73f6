//! Times discovery and reading of a folder: `cargo run -p gongwen-ingest --example
//! ingest_throughput -- FOLDER`. Prints files, documents, failures, MB and MB/s.

use std::path::PathBuf;
use std::time::Instant;

use gongwen_ingest::Ingest;

fn main() {
    let Some(folder) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: ingest_throughput FOLDER");
        std::process::exit(2);
    };
    let ingest = match Ingest::for_folder(&folder) {
        Ok(ingest) => ingest,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let discovery = ingest.discover();
    let discovered = start.elapsed();
    let bytes: u64 = discovery.files.iter().map(|f| f.size).sum();
    let (mut docs, mut failures, mut chars) = (0usize, discovery.failures.len(), 0usize);
    for file in discovery.files.iter().filter(|f| f.duplicate_of.is_none()) {
        for result in ingest.read(file) {
            match result {
                Ok(doc) => {
                    docs += 1;
                    chars += doc.text.chars().count();
                }
                Err(_) => failures += 1,
            }
        }
    }
    let total = start.elapsed();
    let mb = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "{} files, {mb:.1} MB: discover+hash {:.2}s, total {:.2}s ({:.1} MB/s); {docs} documents, {chars} chars, {failures} failures",
        discovery.files.len(),
        discovered.as_secs_f64(),
        total.as_secs_f64(),
        mb / total.as_secs_f64()
    );
}
