//! Tests that start the `gongwen` binary: config checks, exit codes, the lock, a killed run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn gongwen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gongwen"))
}

/// The repository root (two levels above this crate).
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"))
}

fn write(path: &Path, text: &[u8]) {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).unwrap_or_else(|e| panic!("mkdir {p:?}: {e}"));
    }
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {path:?}: {e}"));
}

fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot start gongwen: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A config in `dir` that uses the bundled stage data (absolute paths are not needed: the
/// stages embed their default dictionaries) and reads `inputs`.
fn config_in(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("pipeline.toml");
    write(
        &path,
        format!("[ingest]\ninputs = [\"in\"]\n\n[output]\ndir = \"out\"\n{extra}").as_bytes(),
    );
    path
}

fn samples() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo().join("data/samples"))
        .unwrap_or_else(|e| panic!("data/samples: {e}"))
        .flatten()
        .map(|e| e.path())
        .collect();
    v.sort();
    v
}

#[test]
fn check_reports_every_problem_with_its_path_and_exits_2() {
    let dir = tempdir();
    let cfg = dir.path().join("bad.toml");
    write(
        &cfg,
        b"[ingest]\ninputs = [\"no/such/folder\"]\n\n[clean]\nno_such_key = 1\n\n[output]\ndir = 42\n\n[typo_section]\n",
    );
    let o = output(gongwen().arg("check").arg("--config").arg(&cfg));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("ingest.inputs[0]"),
        "missing input folder not reported: {err}"
    );
    assert!(
        err.contains("clean.no_such_key"),
        "unknown key not reported: {err}"
    );
    assert!(err.contains("output.dir"), "bad value not reported: {err}");
    assert!(
        err.contains("typo_section"),
        "unknown section not reported: {err}"
    );
}

#[test]
fn check_accepts_the_bundled_config() {
    let o = output(gongwen().current_dir(repo()).arg("check"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn run_with_a_bad_config_exits_2_before_reading_files() {
    let dir = tempdir();
    let cfg = config_in(dir.path(), "bogus = true\n");
    let o = output(gongwen().args(["run", "--config"]).arg(&cfg));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("output.bogus"));
    assert!(
        !dir.path().join("out").exists(),
        "a bad config must not create outputs"
    );
}

#[test]
fn exit_codes_0_for_a_clean_batch_and_1_with_a_failed_file() {
    let dir = tempdir();
    let cfg = config_in(dir.path(), "");
    let Some(sample) = samples().into_iter().next() else {
        return;
    };
    write(
        &dir.path().join("in/a.txt"),
        &std::fs::read(&sample).unwrap_or_default(),
    );
    let o = output(gongwen().args(["run", "--config"]).arg(&cfg));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(dir.path().join("out/documents.csv").is_file());
    assert!(dir.path().join("out/manifest.json").is_file());

    // A binary file fails; the rest of the batch still succeeds.
    let mut binary = vec![0u8, 159, 146, 150, 0, 0, 255, 254];
    binary.extend((0..4000u32).map(|i| (i * 7919 % 256) as u8));
    write(&dir.path().join("in/broken.bin"), &binary);
    let o = output(gongwen().args(["run", "--config"]).arg(&cfg));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let errors = std::fs::read_to_string(dir.path().join("out/errors.csv")).unwrap_or_default();
    assert!(errors.contains("broken.bin"), "{errors}");
}

#[test]
fn every_command_has_help() {
    for cmd in [
        &["--help"][..],
        &["run", "--help"],
        &["check", "--help"],
        &["schema", "--help"],
        &["merge", "--help"],
        &["bench", "--help"],
    ] {
        let o = output(gongwen().args(cmd));
        assert_eq!(o.status.code(), Some(0), "{cmd:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{cmd:?}"
        );
    }
}

#[test]
fn schema_lists_the_tables() {
    let o = output(gongwen().arg("schema"));
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for table in ["documents", "paragraphs", "sentences", "tokens", "errors"] {
        assert!(text.contains(table), "{table} missing from:\n{text}");
    }
}

#[test]
fn a_live_lock_stops_a_second_run_and_a_stale_one_is_taken_over() {
    let dir = tempdir();
    let cfg = config_in(dir.path(), "");
    let Some(sample) = samples().into_iter().next() else {
        return;
    };
    write(
        &dir.path().join("in/a.txt"),
        &std::fs::read(&sample).unwrap_or_default(),
    );
    let lock = dir.path().join("out/.gongwen/lock");

    // Held by a live process (a sleeping child of this test).
    let mut holder = Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap_or_else(|e| panic!("sleep: {e}"));
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", holder.id())).unwrap_or_default();
    let ticks: Option<u64> = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|s| s.parse().ok());
    let host = gongwen::lock::host_name();
    let body = serde_json::json!({"pid": holder.id(), "host": host, "start_ticks": ticks, "run_id": "other-run", "since": "2026-01-01T00:00:00Z"});
    write(&lock, body.to_string().as_bytes());
    let o = output(gongwen().args(["run", "--config"]).arg(&cfg));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("locked") && stderr(&o).contains(&holder.id().to_string()),
        "{}",
        stderr(&o)
    );
    let _ = holder.kill();
    let _ = holder.wait();

    // The holder is gone: the lock is stale and the run proceeds.
    let o = output(gongwen().args(["run", "--config"]).arg(&cfg));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!lock.exists(), "the lock must be released at the end");
}

#[test]
fn a_killed_run_leaves_previous_outputs_readable_and_the_next_run_completes() {
    let dir = tempdir();
    let cfg = config_in(dir.path(), "");
    let all = samples();
    let Some(first) = all.first() else { return };
    write(
        &dir.path().join("in/first.txt"),
        &std::fs::read(first).unwrap_or_default(),
    );
    let o = output(gongwen().args(["run", "--config"]).arg(&cfg));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = std::fs::read(dir.path().join("out/documents.csv")).unwrap_or_default();

    // A corpus big enough that the run is still busy when killed.
    let (n_files, _) = gongwen::bench::generate_corpus(
        &repo().join("data/samples"),
        &dir.path().join("in/gen"),
        1_500_000,
        1,
    )
    .unwrap_or_else(|e| panic!("generate: {e}"));
    let mut child = gongwen()
        .args(["--log-level", "warn", "run", "--jobs", "1", "--config"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    // Kill once it is writing into its staging folder.
    let private = dir.path().join("out/.gongwen");
    let start = Instant::now();
    loop {
        let staging = std::fs::read_dir(&private)
            .map(|rd| {
                rd.flatten()
                    .any(|e| e.file_name().to_string_lossy().starts_with("staging-"))
            })
            .unwrap_or(false);
        if (staging && start.elapsed() > Duration::from_millis(300))
            || start.elapsed() > Duration::from_secs(20)
        {
            break;
        }
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let finished_early = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill();
    let _ = child.wait();
    eprintln!("killed part-way: {}", !finished_early);
    if !finished_early {
        // The previous tables are intact and readable.
        assert_eq!(
            std::fs::read(dir.path().join("out/documents.csv")).unwrap_or_default(),
            before
        );
        let mut reader = csv::Reader::from_path(dir.path().join("out/documents.csv"))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(reader.records().count(), 1);
    }
    // The next run takes over the stale lock, cleans the staging folder and completes.
    let o = output(gongwen().args(["run", "--config"]).arg(&cfg));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut reader = csv::Reader::from_path(dir.path().join("out/documents.csv"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.records().count(), n_files + 1);
    let leftovers: Vec<String> = std::fs::read_dir(&private)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("staging-"))
                .collect()
        })
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
