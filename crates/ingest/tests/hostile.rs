//! A folder of hostile inputs, built at test time: every file must be accounted for (a
//! document or a failure), nothing may panic or hang, and memory must stay bounded.
//! Alone in its test binary so the peak RSS it reports is its own.

use std::collections::BTreeMap;
use std::io::{Cursor, Write};
use std::path::Path;

use gongwen_ingest::Ingest;
use gongwen_model::{FailureStatus, Stage};

/// Pseudo-random bytes (no dependency, reproducible).
fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (state >> 24) as u8
        })
        .collect()
}

fn zip_with(name: &str, content: &[u8]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(name, options).expect("start");
    zip.write_all(content).expect("write");
    zip.finish().expect("finish").into_inner()
}

fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Doc,
    Failed(FailureStatus, String),
}

#[test]
fn hostile_folder_runs_to_completion_and_accounts_for_every_file() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    };
    let speech =
        "同志们：今天我们召开全县经济工作会议，主要任务是总结工作、部署任务。\n".repeat(20);

    write("binary.bin", &noise(200_000, 7));
    // A PNG under another extension (a `.png` is left out by skip_extensions).
    write("photo.dat", b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR");
    write(
        "report.pdf",
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n",
    );
    write("legacy.doc", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0\0\0");
    let mut truncated = speech.as_bytes().to_vec();
    truncated.truncate(truncated.len() - 2);
    write("truncated.txt", &truncated);
    write("empty.txt", b"");
    write("blank.txt", b" \n\t\r\n  \n");
    write(
        "empty_page.html",
        b"<html><head><title>t</title></head><body><script>x()</script></body></html>",
    );
    // 50 MB on one line.
    let unit = "全市上下要坚定信心，真抓实干，奋力推动高质量发展。";
    let line = unit.repeat(50 * 1024 * 1024 / unit.len());
    write("huge_line.txt", line.as_bytes());
    drop(line);
    write(
        "not_a_zip.docx",
        "这不是压缩包，只是被改名的文本。".as_bytes(),
    );
    write("noise.docx", &noise(5000, 11));
    let mut truncated_zip = zip_with("word/document.xml", b"<w:document/>");
    truncated_zip.truncate(truncated_zip.len() / 2);
    write("truncated_zip.docx", &truncated_zip);
    write("other.zip", &zip_with("readme.txt", b"hello"));
    write(
        "bomb_entry.zip",
        &zip_with("inside.txt", &vec![0u8; 65 * 1024 * 1024]),
    );
    write(
        "bomb_ratio.zip",
        &zip_with("inside.txt", &vec![b' '; 20 * 1024 * 1024]),
    );
    let mut truncated_archive = zip_with("inside.txt", speech.as_bytes());
    truncated_archive.truncate(truncated_archive.len() / 2);
    write("truncated.zip", &truncated_archive);
    let mut nested = zip_with("inside.txt", speech.as_bytes());
    for level in 0..5 {
        nested = zip_with(&format!("level{level}.zip"), &nested);
    }
    write("nested.zip", &nested);
    write("fonts_only.rtf", b"{\\rtf1\\ansi{\\fonttbl{\\f0 Arial;}}");
    write(
        "unbalanced.rtf",
        format!("{{\\rtf1\\ansi\\ansicpg936 {}\\'c4", "{".repeat(5000)).as_bytes(),
    );
    // Over the size cap (65 MB of zeros, a few KB compressed) and over the ratio cap.
    write(
        "bomb_size.docx",
        &zip_with("word/document.xml", &vec![0u8; 65 * 1024 * 1024]),
    );
    write(
        "bomb_ratio.docx",
        &zip_with("word/document.xml", &vec![b' '; 20 * 1024 * 1024]),
    );
    write(
        "bad_xml.docx",
        &zip_with(
            "word/document.xml",
            b"<w:document><w:body><w:p attr=\"x></w:body>",
        ),
    );
    write("sub/dup1.txt", speech.as_bytes());
    write("sub/dup2.txt", speech.as_bytes());
    write(
        "bad.jsonl",
        b"{\"text\": \"\xe6\x96\x87\"}\n{broken\n\n{\"title\": \"no text\"}\n",
    );
    write("no_column.csv", b"a,b\n1,2\n");
    write(
        "deep.html",
        format!(
            "<html><body>{}深{}</body></html>",
            "<div>".repeat(100_000),
            "</div>".repeat(100_000)
        )
        .as_bytes(),
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::{symlink, PermissionsExt};
        std::fs::create_dir_all(dir.join("loop/inner")).expect("mkdir");
        symlink("..", dir.join("loop/inner/back")).expect("symlink");
        symlink("no/such/target", dir.join("dangling.txt")).expect("symlink");
        write("locked.txt", "锁定文件：区政府办公室通知。".as_bytes());
        std::fs::set_permissions(
            dir.join("locked.txt"),
            std::fs::Permissions::from_mode(0o000),
        )
        .expect("chmod");
        write("locked_dir/inside.txt", "锁定目录里的文件。".as_bytes());
        std::fs::set_permissions(
            dir.join("locked_dir"),
            std::fs::Permissions::from_mode(0o000),
        )
        .expect("chmod");
        let _ = std::process::Command::new("mkfifo")
            .arg(dir.join("pipe.txt"))
            .status();
    }

    let before_kb = peak_rss_kb();
    let ingest = Ingest::for_folder(dir).expect("config");
    let discovery = ingest.discover();
    let mut outcomes: BTreeMap<String, Vec<Outcome>> = BTreeMap::new();
    let rel = |path: &str| {
        Path::new(path)
            .strip_prefix(dir)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or(path.to_string())
    };
    for failure in &discovery.failures {
        assert_eq!(failure.stage, Stage::Ingest);
        assert_eq!(failure.source.doc_id.len(), 16, "{failure:?}");
        outcomes
            .entry(rel(&failure.source.source_path))
            .or_default()
            .push(Outcome::Failed(failure.status, failure.message.clone()));
    }
    for file in &discovery.files {
        if file.duplicate_of.is_some() {
            outcomes
                .entry(rel(&file.path))
                .or_default()
                .push(Outcome::Failed(FailureStatus::Duplicate, String::new()));
            continue;
        }
        for result in ingest.read(file) {
            let outcome = match result {
                Ok(doc) => {
                    assert!(!doc.text.trim().is_empty());
                    Outcome::Doc
                }
                Err(f) => {
                    assert_eq!(f.stage, Stage::Ingest);
                    assert!(!f.message.is_empty());
                    Outcome::Failed(f.status, f.message)
                }
            };
            outcomes.entry(rel(&file.path)).or_default().push(outcome);
        }
    }
    let peak_kb = peak_rss_kb();
    for (path, outcome) in &outcomes {
        println!("{path}: {outcome:?}");
    }
    println!("peak RSS (VmHWM): before ingest {before_kb:?} kB, after {peak_kb:?} kB");

    let failed = |path: &str, status: FailureStatus, needle: &str| {
        let got = outcomes
            .get(path)
            .unwrap_or_else(|| panic!("{path} not accounted for"));
        assert!(
            got.iter()
                .any(|o| matches!(o, Outcome::Failed(s, m) if *s == status && m.contains(needle))),
            "{path}: expected {status:?} with {needle:?}, got {got:?}"
        );
    };
    let done = |path: &str| {
        let got = outcomes
            .get(path)
            .unwrap_or_else(|| panic!("{path} not accounted for"));
        assert_eq!(got, &[Outcome::Doc], "{path}");
    };
    failed("binary.bin", FailureStatus::Error, "binary content");
    failed("photo.dat", FailureStatus::Error, "PNG");
    failed("report.pdf", FailureStatus::Error, "ingest.pdf_command");
    failed("legacy.doc", FailureStatus::Error, "OLE2");
    done("truncated.txt");
    failed("empty.txt", FailureStatus::Empty, "0 bytes");
    failed("blank.txt", FailureStatus::Empty, "no text");
    failed("empty_page.html", FailureStatus::Empty, "no text");
    done("huge_line.txt");
    failed("not_a_zip.docx", FailureStatus::Error, "not a zip archive");
    failed("noise.docx", FailureStatus::Error, "binary");
    failed("truncated_zip.docx", FailureStatus::Error, "corrupt docx");
    done("other.zip");
    failed(
        "bomb_entry.zip",
        FailureStatus::Error,
        "over ingest.max_file_mb",
    );
    failed(
        "bomb_ratio.zip",
        FailureStatus::Error,
        "ingest.max_docx_ratio",
    );
    failed("truncated.zip", FailureStatus::Error, "corrupt zip archive");
    failed("nested.zip", FailureStatus::Error, "unzip it first");
    failed("fonts_only.rtf", FailureStatus::Empty, "no text");
    failed("unbalanced.rtf", FailureStatus::Error, "corrupt rtf");
    failed(
        "bomb_size.docx",
        FailureStatus::Error,
        "ingest.max_docx_uncompressed_mb",
    );
    failed(
        "bomb_ratio.docx",
        FailureStatus::Error,
        "ingest.max_docx_ratio",
    );
    failed("bad_xml.docx", FailureStatus::Error, "corrupt docx");
    done("sub/dup1.txt");
    failed("sub/dup2.txt", FailureStatus::Duplicate, "");
    failed("no_column.csv", FailureStatus::Error, "\"text\"");
    done("deep.html");
    let jsonl = outcomes.get("bad.jsonl").expect("bad.jsonl");
    assert_eq!(jsonl.len(), 3, "{jsonl:?}");
    assert_eq!(jsonl[0], Outcome::Doc);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let loops: Vec<_> = outcomes
            .iter()
            .filter(|(p, _)| p.starts_with("loop/"))
            .collect();
        assert!(
            loops.iter().any(|(_, o)| o
                .iter()
                .any(|o| matches!(o, Outcome::Failed(_, m) if m.contains("symlink loop")))),
            "{loops:?}"
        );
        failed("dangling.txt", FailureStatus::Error, "cannot list");
        // Running as root, chmod 000 does not stop reading: then the file reads normally.
        let root_can_read = std::fs::read(dir.join("locked.txt")).is_ok();
        if root_can_read {
            println!("running as root: permission checks skipped");
            done("locked.txt");
            done("locked_dir/inside.txt");
        } else {
            failed("locked.txt", FailureStatus::Error, "ermission denied");
            failed("locked_dir", FailureStatus::Error, "ermission denied");
        }
        if dir.join("pipe.txt").exists() {
            failed("pipe.txt", FailureStatus::Error, "not a regular file");
        }
        for name in ["locked.txt", "locked_dir"] {
            let _ =
                std::fs::set_permissions(dir.join(name), std::fs::Permissions::from_mode(0o755));
        }
    }
    if let Some(peak) = peak_kb {
        assert!(peak < 1024 * 1024, "peak RSS {peak} kB is over 1 GB");
    }
}
