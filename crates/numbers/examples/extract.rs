//! Prints the number mentions of each line of stdin as TSV (text, kind, value, low, high,
//! unit, iso, qualifier, redacted, subject): `cargo run -p gongwen-numbers --example extract < file.txt`.

use std::io::BufRead;

use gongwen_numbers::NumberExtractor;

fn main() {
    let extractor = match NumberExtractor::builtin() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for line in std::io::stdin().lock().lines().map_while(Result::ok) {
        for m in extractor.extract(&line) {
            println!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                m.text,
                m.kind.as_str(),
                opt(m.value),
                opt(m.low),
                opt(m.high),
                m.unit.unwrap_or_default(),
                m.iso.unwrap_or_default(),
                m.qualifier.unwrap_or_default(),
                m.redacted,
                m.subject.unwrap_or_default()
            );
        }
    }
}
