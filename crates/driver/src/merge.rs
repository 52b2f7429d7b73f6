//! `gongwen merge`: combines the part files of shard runs into whole tables; `gongwen
//! schema`: the tables' columns.
//!
//! Merge checks that every shard `0..N` of one `N` has a manifest with the same config
//! hash, merges the part files (tabulate's k-way merge on doc_id) into a staging folder,
//! re-ranks keywords with corpus-wide document frequencies from the shards' term files (so
//! keywords equal an unsharded run's), moves the tables into place and deletes the parts.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Instant, SystemTime};

use gongwen_tabulate::TableWriter;

use crate::config::LoadedConfig;
use crate::lock::OutputLock;
use crate::manifest::{self, Manifest};
use crate::run::{read_terms_file, RemovedOnError, RunError, Stages, PRIVATE_DIR};
use crate::state::TermCounts;

/// Every table's columns and types, as printed by `gongwen schema`.
pub fn schema_text() -> String {
    let mut s = String::new();
    for table in gongwen_tabulate::schemas() {
        let _ = writeln!(s, "{}", table.name);
        for c in &table.columns {
            let _ = writeln!(s, "  {:<14} {:<6} {}", c.name, c.dtype, c.doc);
        }
        s.push('\n');
    }
    s
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Merges the shard part files in the config's output folder (`--output` / `output.dir`).
pub fn merge(loaded: &LoadedConfig) -> Result<Manifest, RunError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let run_id = format!(
        "{}-{}",
        manifest::compact_timestamp(started),
        std::process::id()
    );
    let out = loaded.output_dir();
    let private = out.join(PRIVATE_DIR);
    std::fs::create_dir_all(&private).map_err(io_err(&private))?;
    let _lock = OutputLock::acquire(&private.join("lock"), &run_id)?;

    // The shards' manifests: one N, every index, one config.
    let parts = part_manifests(&out)?;
    let (count, first) = check_shards(&parts).map_err(RunError::Merge)?;

    crate::run::remove_stale_staging(&private, "staging-merge-");
    let staging = private.join(format!("staging-merge-{run_id}"));
    let _leftovers = RemovedOnError(vec![staging.clone()]);
    let tables = staging.join("tables");
    let counts = gongwen_tabulate::merge_parts_into(&loaded.config.output, &out, &tables)?;
    let mut m = Manifest {
        run_id: run_id.clone(),
        command: "merge".into(),
        started_at: manifest::rfc3339(started),
        gongwen_version: env!("CARGO_PKG_VERSION").into(),
        config_path: loaded.path.to_string_lossy().into_owned(),
        config_hash: first.config_hash.clone(),
        inputs: first.inputs.clone(),
        output_dir: out.to_string_lossy().into_owned(),
        full_run: parts.iter().any(|(_, p)| p.full_run),
        ..Default::default()
    };
    m.rows = counts.iter().map(|(t, n)| (t.to_string(), *n)).collect();
    for (_, p) in &parts {
        m.files.seen = m.files.seen.max(p.files.seen);
        m.files.left_out = m.files.left_out.max(p.files.left_out);
        m.files.in_shard += p.files.in_shard;
        m.files.processed += p.files.processed;
        m.files.skipped += p.files.skipped;
        m.files.duplicates += p.files.duplicates;
        m.files.failed += p.files.failed;
        m.documents.add_all(&p.documents);
        for (format, counts) in &p.formats {
            m.formats.entry(format.clone()).or_default().add_all(counts);
        }
        m.input_bytes += p.input_bytes;
        m.processed_bytes += p.processed_bytes;
        m.jobs = m.jobs.max(p.jobs);
    }

    // Exact keywords: corpus-wide document frequencies over every shard's term counts.
    if loaded.config.output.writes_table("keywords") {
        let t = Instant::now();
        let stages = Stages::build(loaded)?;
        let mut docs: Vec<(String, TermCounts)> = Vec::new();
        for i in 0..count {
            let path = private
                .join("terms")
                .join(format!("part-{i}-of-{count}.{}", crate::state::TERMS_EXT));
            docs.extend(read_terms_file(&path)?);
        }
        docs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut doc_freq: HashMap<String, u32> = HashMap::new();
        for (_, terms) in &docs {
            for (term, _) in terms {
                *doc_freq.entry(term.clone()).or_default() += 1;
            }
        }
        let top_k = stages.segmenter.keyword_top_k();
        let kw_dir = staging.join("keywords");
        std::fs::create_dir_all(&kw_dir).map_err(io_err(&kw_dir))?;
        let mut writer = TableWriter::create(&loaded.config.output, &kw_dir, None)?;
        for (doc_id, terms) in &docs {
            let keywords = stages
                .segmenter
                .rank_keywords(terms, &doc_freq, docs.len(), top_k);
            writer.write_keywords(doc_id, &keywords)?;
        }
        let kw_counts = writer.finish()?;
        if let Some((_, n)) = kw_counts.iter().find(|(t, _)| *t == "keywords") {
            m.rows.insert("keywords".into(), *n);
        }
        for entry in std::fs::read_dir(&kw_dir)
            .map_err(io_err(&kw_dir))?
            .flatten()
        {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with("keywords.") {
                let dest = tables.join(&name);
                std::fs::rename(entry.path(), &dest).map_err(io_err(&dest))?;
            }
        }
        m.stage_seconds.keywords = t.elapsed().as_secs_f64();
    }

    // Into place, then the parts go (the folder reads as one dataset).
    let moved = crate::run::move_files(&tables, &out)?;
    crate::run::remove_unwritten_tables(&out, None, &moved);
    let _ = std::fs::remove_dir_all(&staging);
    remove_part_tables(&out, count);

    m.finish(clock.elapsed());
    let path = out.join("manifest.json");
    m.write(&path).map_err(io_err(&path))?;
    log::info!("{}", crate::run::summary_line(&m));
    Ok(m)
}

/// `manifest.part-I-of-N.json` files of `out` by file name, sorted by name.
fn part_manifests(out: &Path) -> Result<Vec<(String, Manifest)>, RunError> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(out).map_err(io_err(out))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("manifest.part-") && name.ends_with(".json") {
            let m = Manifest::read(&entry.path())
                .map_err(|e| RunError::Merge(format!("cannot read {name}: {e}")))?;
            found.push((name, m));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(found)
}

/// The shard count N and the first manifest when `parts` (shard manifests by file name,
/// sorted) are shards `0..N` of one N, run with one config; otherwise what is wrong and what
/// to do about it.
fn check_shards(parts: &[(String, Manifest)]) -> Result<(u64, &Manifest), String> {
    let Some((first_name, first)) = parts.first() else {
        return Err(
            "no shard manifest (manifest.part-I-of-N.json) in the folder: \
                    run `gongwen run --shard I/N` for every I first"
                .into(),
        );
    };
    let no_shard = |name: &str| format!("{name} names no shard");
    let count = shard_count(first).ok_or_else(|| no_shard(first_name))?;
    let mut present = vec![false; usize::try_from(count).unwrap_or(0)];
    for (name, m) in parts {
        let n = shard_count(m).ok_or_else(|| no_shard(name))?;
        if n != count {
            return Err(format!(
                "part files of {count} shards ({first_name}) and of {n} shards ({name}) are \
                 both in the folder: delete the set of part files you do not want"
            ));
        }
        if m.config_hash != first.config_hash {
            return Err(format!(
                "{name} and {first_name} were written with different configs or gongwen \
                 builds: run every shard again with one config and one build"
            ));
        }
        if let Some(slot) =
            shard_index(m).and_then(|i| present.get_mut(usize::try_from(i).unwrap_or(usize::MAX)))
        {
            *slot = true;
        }
    }
    let missing: Vec<String> = present
        .iter()
        .enumerate()
        .filter(|(_, p)| !**p)
        .map(|(i, _)| format!("{i}/{count}"))
        .collect();
    if missing.is_empty() {
        Ok((count, first))
    } else {
        Err(format!("shard(s) not run yet: {}", missing.join(", ")))
    }
}

fn shard_count(m: &Manifest) -> Option<u64> {
    m.shard.as_deref()?.split_once('/')?.1.parse().ok()
}

fn shard_index(m: &Manifest) -> Option<u64> {
    m.shard.as_deref()?.split_once('/')?.0.parse().ok()
}

/// Deletes `<table>.part-I-of-N.<ext>` files (the shard manifests, states and term files
/// stay: the next shard runs are incremental).
fn remove_part_tables(out: &Path, count: u64) {
    let Ok(entries) = std::fs::read_dir(out) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_part = (0..count).any(|i| name.contains(&format!(".part-{i}-of-{count}.")));
        let is_table = name.ends_with(".parquet") || name.ends_with(".csv");
        if is_part && is_table {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A shard manifest named as a shard run names it.
    fn part(index: u64, count: u64, config_hash: &str) -> (String, Manifest) {
        let m = Manifest {
            shard: Some(format!("{index}/{count}")),
            config_hash: config_hash.into(),
            ..Default::default()
        };
        (format!("manifest.part-{index}-of-{count}.json"), m)
    }

    fn sorted(mut parts: Vec<(String, Manifest)>) -> Vec<(String, Manifest)> {
        parts.sort_by(|a, b| a.0.cmp(&b.0));
        parts
    }

    #[test]
    fn every_shard_of_one_count_and_config_merges() {
        let parts = sorted((0..3).map(|i| part(i, 3, "c")).collect());
        assert_eq!(check_shards(&parts).map(|(n, _)| n), Ok(3));
    }

    #[test]
    fn what_stops_a_merge_is_named_with_its_files() {
        let problem = |parts: Vec<(String, Manifest)>| {
            check_shards(&sorted(parts)).expect_err("should not merge")
        };
        assert!(problem(vec![]).starts_with("no shard manifest"));
        assert_eq!(
            problem(vec![part(0, 3, "c"), part(2, 3, "c")]),
            "shard(s) not run yet: 1/3"
        );
        assert_eq!(
            problem(vec![
                part(0, 3, "c"),
                part(1, 3, "c"),
                part(2, 3, "c"),
                part(0, 4, "c")
            ]),
            "part files of 3 shards (manifest.part-0-of-3.json) and of 4 shards \
             (manifest.part-0-of-4.json) are both in the folder: delete the set of part files \
             you do not want"
        );
        assert_eq!(
            problem(vec![part(0, 2, "c"), part(1, 2, "d")]),
            "manifest.part-1-of-2.json and manifest.part-0-of-2.json were written with \
             different configs or gongwen builds: run every shard again with one config and \
             one build"
        );
        let mut unsharded = part(0, 2, "c");
        unsharded.1.shard = None;
        assert_eq!(
            problem(vec![unsharded]),
            "manifest.part-0-of-2.json names no shard"
        );
    }
}
