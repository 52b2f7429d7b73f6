//! Sets `GONGWEN_BUILD_FINGERPRINT`: 16 hex digits of a hash of what this build's rows depend
//! on besides the config. That is every crate's sources (`crates/*/Cargo.toml`,
//! `crates/*/src`), the rules and dictionaries embedded from `data/` (the sample documents
//! excepted) and `Cargo.lock` (jieba-rs and OpenCC versions change tokens and text).
//!
//! The config hash includes it, so the first run of a rebuilt or upgraded gongwen is a full
//! run. Otherwise unchanged files would keep rows made by the old code next to rows made by
//! the new, and the tables would differ from a full run's. Outside the workspace layout
//! (no `crates/` folder beside this crate), the fingerprint is the package version.

use std::path::{Path, PathBuf};

/// FNV-1a, 64 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
struct Fnv(u64);

impl Fnv {
    fn update(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Every file under `dir`, recursively (none when it cannot be read).
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest_dir.join("../..");
    let crates = root.join("crates");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    if !crates.is_dir() {
        println!("cargo::rustc-env=GONGWEN_BUILD_FINGERPRINT={version}");
        return;
    }
    let data = root.join("data");
    let lock = root.join("Cargo.lock");
    for watched in [&crates, &data, &lock] {
        println!("cargo::rerun-if-changed={}", watched.display());
    }

    let mut files = vec![lock];
    files_under(&data, &mut files);
    if let Ok(entries) = std::fs::read_dir(&crates) {
        for krate in entries.flatten().map(|e| e.path()) {
            files.push(krate.join("Cargo.toml"));
            files_under(&krate.join("src"), &mut files);
        }
    }
    let samples = data.join("samples");
    files.retain(|f| !f.starts_with(&samples));
    // Relative paths with `/`, sorted: the same sources give the same fingerprint anywhere.
    let mut named: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&root).unwrap_or(&f);
            let name: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            (name.join("/"), f)
        })
        .collect();
    named.sort();

    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    hash.update(version.as_bytes());
    for (name, path) in &named {
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        hash.update(name.as_bytes());
        hash.update(&(bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
    }
    println!("cargo::rustc-env=GONGWEN_BUILD_FINGERPRINT={:016x}", hash.0);
}
