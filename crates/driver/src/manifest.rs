//! The run manifest (`manifest.json`): what a run saw, did, wrote and how long it took.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use gongwen_model::FailureStatus;
use serde::{Deserialize, Serialize};

/// Counts of input files.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    /// Files found by discovery (all shards).
    pub seen: usize,
    /// Files left out on purpose: hidden, `include`/`exclude` globs, `skip_extensions`,
    /// symlinks not followed (all shards).
    #[serde(default)]
    pub left_out: usize,
    /// Files of this run's shard (all of them without `--shard`).
    pub in_shard: usize,
    /// Files read and processed by this run.
    pub processed: usize,
    /// Files unchanged since the last run, taken from the cache.
    pub skipped: usize,
    /// Files with the same bytes as an earlier file (processed once, under that file).
    pub duplicates: usize,
    /// Files with at least one document of status `error` (including cached ones).
    pub failed: usize,
}

/// Counts of documents by status.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocCounts {
    /// Processed.
    pub ok: usize,
    /// Nothing left after decoding or cleaning.
    pub empty: usize,
    /// Failed.
    pub error: usize,
    /// Duplicates of an earlier file.
    pub duplicate: usize,
}

impl DocCounts {
    /// Counts one more document with `status` (`None`: processed).
    pub fn add(&mut self, status: Option<FailureStatus>) {
        match status {
            None => self.ok += 1,
            Some(FailureStatus::Error) => self.error += 1,
            Some(FailureStatus::Empty) => self.empty += 1,
            Some(FailureStatus::Duplicate) => self.duplicate += 1,
        }
    }

    /// Adds `other`'s counts (a shard's, when merging).
    pub fn add_all(&mut self, other: &DocCounts) {
        self.ok += other.ok;
        self.empty += other.empty;
        self.error += other.error;
        self.duplicate += other.duplicate;
    }
}

/// Seconds spent per stage, summed over documents (so with `--jobs 2` the sum can exceed
/// the wall time).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StageSeconds {
    /// Reading, sniffing and decoding files.
    pub ingest: f64,
    /// Cleaning.
    pub clean: f64,
    /// Segmenting (sentences, tokens, numbers, entities, keyword terms).
    pub segment: f64,
    /// Writing table rows (including the final flush).
    pub tabulate: f64,
    /// Reading and writing the incremental cache.
    pub cache: f64,
    /// Ranking keywords at the end of the run.
    pub keywords: f64,
}

/// What `manifest.json` holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Unique id of the run (UTC start time and pid).
    pub run_id: String,
    /// `run` or `merge`.
    pub command: String,
    /// Start (RFC 3339, UTC).
    pub started_at: String,
    /// End (RFC 3339, UTC).
    pub finished_at: String,
    /// Wall time in seconds.
    pub wall_seconds: f64,
    /// gongwen's version.
    pub gongwen_version: String,
    /// The config file.
    pub config_path: String,
    /// Hash of the config (see README: what forces a full run).
    pub config_hash: String,
    /// Input folders.
    pub inputs: Vec<String>,
    /// Output folder.
    pub output_dir: String,
    /// `I/N` when sharded.
    pub shard: Option<String>,
    /// Worker threads.
    pub jobs: usize,
    /// True when no file was taken from the cache.
    pub full_run: bool,
    /// Why the cache was not consulted or may not help (`--full`, `no previous state`,
    /// `config or gongwen build changed`), if so.
    pub full_run_reason: Option<String>,
    /// Input files.
    pub files: FileCounts,
    /// Documents (an export file yields several).
    pub documents: DocCounts,
    /// Documents by the format ingest recognised (`txt`, `html`, `pdf`…; `unknown` when
    /// neither the content nor the extension names one), each by status: what a monitor
    /// checks to see, say, that PDFs were read.
    #[serde(default)]
    pub formats: BTreeMap<String, DocCounts>,
    /// Bytes of input in this shard.
    pub input_bytes: u64,
    /// Bytes of input actually processed (not taken from the cache).
    pub processed_bytes: u64,
    /// Rows written per table.
    pub rows: BTreeMap<String, usize>,
    /// Time per stage.
    pub stage_seconds: StageSeconds,
    /// Peak resident memory of the process in KiB (VmHWM), when known.
    pub peak_rss_kib: Option<u64>,
    /// CPU time of the process (user + system, all threads) in seconds, when known.
    #[serde(default)]
    pub cpu_seconds: Option<f64>,
    /// The exit code: 0 ok, 1 some files failed, 2 configuration or output error.
    pub exit_code: i32,
}

impl Manifest {
    /// Stamps the end of a run or merge: end time, wall time, peak RSS and the exit code
    /// (failed files make it [`crate::EXIT_FAILED_FILES`]).
    pub fn finish(&mut self, elapsed: std::time::Duration) {
        self.finished_at = now_rfc3339();
        self.wall_seconds = elapsed.as_secs_f64();
        self.peak_rss_kib = peak_rss_kib();
        self.cpu_seconds = cpu_seconds();
        self.exit_code = if self.files.failed > 0 {
            crate::EXIT_FAILED_FILES
        } else {
            crate::EXIT_OK
        };
    }

    /// Writes the manifest as pretty JSON to `path` atomically (temp file + rename).
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("json.tmp");
        let body = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, body)?;
        std::fs::rename(&tmp, path)
    }

    /// Reads a manifest.
    pub fn read(path: &Path) -> std::io::Result<Manifest> {
        let bytes = std::fs::read(path)?;
        serde_json::from_slice(&bytes).map_err(std::io::Error::other)
    }
}

/// Peak resident set size of this process in KiB (`VmHWM` of `/proc/self/status`).
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time of this process, all threads, user + system, in seconds (`utime` + `stime` of
/// `/proc/self/stat`, in clock ticks of 1/100 s, Linux's USER_HZ on every common platform).
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start with the state, field 3.
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Now as RFC 3339 UTC with seconds (`2026-11-21T06:23:31Z`).
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// A time as RFC 3339 UTC with seconds.
pub fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// A compact UTC timestamp for ids (`20261121T062331Z`).
pub fn compact_timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d, hh, mm, ss) = civil(secs);
    format!("{y:04}{m:02}{d:02}T{hh:02}{mm:02}{ss:02}Z")
}

/// Seconds since the epoch → (year, month, day, hour, minute, second) in UTC
/// (Howard Hinnant's days-from-civil inverse).
fn civil(secs: u64) -> (i64, u32, u32, u64, u64, u64) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_counts_add_by_status_and_sum_across_shards() {
        let mut a = DocCounts::default();
        for status in [
            None,
            None,
            Some(FailureStatus::Error),
            Some(FailureStatus::Empty),
        ] {
            a.add(status);
        }
        a.add(Some(FailureStatus::Duplicate));
        let mut sum = a.clone();
        sum.add_all(&a);
        assert_eq!((a.ok, a.error, a.empty, a.duplicate), (2, 1, 1, 1));
        assert_eq!((sum.ok, sum.error, sum.empty, sum.duplicate), (4, 2, 2, 2));
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        // 2024-02-29T12:34:56Z
        assert_eq!(civil(1_709_210_096), (2024, 2, 29, 12, 34, 56));
    }

    #[test]
    fn peak_rss_is_known_on_linux() {
        if Path::new("/proc/self/status").exists() {
            assert!(peak_rss_kib().unwrap_or(0) > 0);
            assert!(cpu_seconds().is_some());
        }
    }
}
