//! Prints every document and failure ingest makes of a folder, one JSON object a line
//! (discovery failures first): `cargo run -p gongwen-ingest --example ingest_dump -- FOLDER`.
//! Used to check that a change leaves ingest's output byte-identical.

use std::path::PathBuf;

use gongwen_ingest::Ingest;

fn main() {
    let Some(folder) = std::env::args().nth(1).map(PathBuf::from) else {
        eprintln!("usage: ingest_dump FOLDER");
        std::process::exit(2);
    };
    let ingest = match Ingest::for_folder(&folder) {
        Ok(ingest) => ingest,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let discovery = ingest.discover();
    let line = |value: serde_json::Result<String>| match value {
        Ok(json) => println!("{json}"),
        Err(e) => eprintln!("cannot serialise: {e}"),
    };
    for failure in &discovery.failures {
        line(serde_json::to_string(failure));
    }
    for file in &discovery.files {
        line(serde_json::to_string(file));
        for result in ingest.read(file) {
            match result {
                Ok(doc) => line(serde_json::to_string(&doc)),
                Err(failure) => line(serde_json::to_string(&failure)),
            }
        }
    }
}
