//! Zip archives of documents: every file inside is a document of its own (or a failure of
//! its own), named `<archive>!/<name inside>`; the limits hold inside archives too.

// `Result<RawDoc, Failure>` is the model's contract; Failure is large by design.
#![allow(clippy::result_large_err)]

use std::io::{Cursor, Write};

use gongwen_ingest::{Ingest, IngestConfig};
use gongwen_model::{Failure, FailureStatus, Format, RawDoc};

const SPEECH: &str = "同志们：今天我们召开全县经济工作会议，主要任务是总结工作、部署任务。\n";

/// A deflated zip of `(name, content)` entries; a name ending in `/` is a folder.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        if name.ends_with('/') {
            zip.add_directory(*name, options).expect("folder");
        } else {
            zip.start_file(*name, options).expect("start");
            zip.write_all(content).expect("write");
        }
    }
    zip.finish().expect("finish").into_inner()
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A stored (uncompressed) zip built byte by byte, for what the writer cannot make: names in
/// a Windows code page without the UTF-8 flag, and the "encrypted" flag.
fn raw_zip(entries: &[(&[u8], &[u8], bool)]) -> Vec<u8> {
    let u16le = |v: usize| u16::try_from(v).expect("fits").to_le_bytes();
    let u32le = |v: usize| u32::try_from(v).expect("fits").to_le_bytes();
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data, encrypted) in entries {
        let offset = out.len();
        let flags = u16le(usize::from(*encrypted));
        let crc = crc32(data).to_le_bytes();
        let common = [
            &u16le(20)[..],
            &flags,
            &u16le(0),
            &u16le(0),
            &u16le(0x21),
            &crc,
            &u32le(data.len()),
            &u32le(data.len()),
            &u16le(name.len()),
            &u16le(0),
        ]
        .concat();
        out.extend_from_slice(b"PK\x03\x04");
        out.extend_from_slice(&common);
        out.extend_from_slice(name);
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&u16le(20));
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0; 6]);
        central.extend_from_slice(&u32le(0));
        central.extend_from_slice(&u32le(offset));
        central.extend_from_slice(name);
    }
    let central_at = out.len();
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
    out.extend_from_slice(&u16le(entries.len()));
    out.extend_from_slice(&u16le(entries.len()));
    out.extend_from_slice(&u32le(central.len()));
    out.extend_from_slice(&u32le(central_at));
    out.extend_from_slice(&u16le(0));
    out
}

/// Reads the one file `name` (holding `bytes`) of a fresh folder.
fn read_one(name: &str, bytes: &[u8], config: IngestConfig) -> Vec<Result<RawDoc, Failure>> {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(name), bytes).expect("write");
    let ingest = Ingest::build(
        &IngestConfig {
            inputs: vec![dir.path().to_path_buf()],
            ..config
        },
        dir.path(),
    )
    .expect("valid config");
    let discovery = ingest.discover();
    assert!(discovery.failures.is_empty(), "{:?}", discovery.failures);
    let [file] = discovery.files.as_slice() else {
        panic!("one file expected: {:?}", discovery.files)
    };
    let folder = format!("{}/", dir.path().display());
    let inner = |path: &mut String| {
        if let Some(rest) = path.strip_prefix(&folder) {
            *path = rest.to_string();
        }
    };
    ingest
        .read(file)
        .into_iter()
        .map(|r| {
            r.map(|mut doc| {
                inner(&mut doc.source.source_path);
                doc
            })
            .map_err(|mut f| {
                inner(&mut f.source.source_path);
                f
            })
        })
        .collect()
}

fn docs(results: &[Result<RawDoc, Failure>]) -> Vec<&RawDoc> {
    results.iter().filter_map(|r| r.as_ref().ok()).collect()
}

fn failures(results: &[Result<RawDoc, Failure>]) -> Vec<&Failure> {
    results.iter().filter_map(|r| r.as_ref().err()).collect()
}

#[test]
fn every_file_of_a_zip_archive_is_a_document_of_its_own_format() {
    let page = format!(
        "<html><head><title>通知</title></head><body><nav>首页</nav><p>{}</p></body></html>",
        SPEECH.trim()
    );
    let word = zip_of(&[(
        "word/document.xml",
        b"<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>\xe8\xae\xb2\xe8\xaf\x9d</w:t></w:r></w:p></w:body></w:document>",
    )]);
    let export = "title,text\n一,第一篇正文。\n二,第二篇正文。\n";
    let bundle = zip_of(&[
        ("讲话/", b""),
        ("讲话/a.txt", SPEECH.as_bytes()),
        ("b.html", page.as_bytes()),
        ("c.docx", &word),
        ("__MACOSX/讲话/._a.txt", b"\0\x05\x16\x07"),
        ("讲话/.DS_Store", b"\0\0\0\x01Bud1"),
        ("empty.txt", b""),
        ("d.csv", export.as_bytes()),
        // Left out for its extension (ingest.skip_extensions).
        ("讲话_files/logo.gif", b"GIF89a\x01\0\x01\0"),
    ]);
    let results = read_one("bundle.zip", &bundle, IngestConfig::default());
    let docs = docs(&results);
    let shown: Vec<(&str, Option<Format>)> = docs
        .iter()
        .map(|d| (d.source.source_path.as_str(), d.source.format))
        .collect();
    assert_eq!(
        shown,
        [
            ("bundle.zip!/讲话/a.txt", Some(Format::Txt)),
            ("bundle.zip!/b.html", Some(Format::Html)),
            ("bundle.zip!/c.docx", Some(Format::Docx)),
            ("bundle.zip!/d.csv#0", Some(Format::Csv)),
            ("bundle.zip!/d.csv#1", Some(Format::Csv)),
        ]
    );
    assert_eq!(docs[0].text, SPEECH);
    assert!(docs[1].text.contains("今天我们召开") && !docs[1].text.contains("首页"));
    assert_eq!(docs[1].meta.title.as_deref(), Some("通知"));
    assert_eq!(docs[2].text.trim(), "讲话");
    assert_eq!(docs[4].text.trim(), "第二篇正文。");
    // Ids: the archive's id, then the entry's index (folders count), then the record's
    // (0-based, as in the path).
    let id = &docs[0].source.doc_id;
    let archive_id = id.split('-').next().expect("id");
    assert_eq!(archive_id.len(), 16);
    assert_eq!(id, &format!("{archive_id}-000001"));
    assert_eq!(docs[3].source.doc_id, format!("{archive_id}-000007-000000"));
    assert_eq!(docs[0].source.n_bytes, SPEECH.len() as u64);
    let failures = failures(&results);
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].source.source_path, "bundle.zip!/empty.txt");
    assert_eq!(failures[0].status, FailureStatus::Empty);

    // The same bytes give the same ids.
    let again = read_one("bundle.zip", &bundle, IngestConfig::default());
    let ids = |r: &[Result<RawDoc, Failure>]| -> Vec<String> {
        r.iter()
            .map(|x| match x {
                Ok(d) => d.source.doc_id.clone(),
                Err(f) => f.source.doc_id.clone(),
            })
            .collect()
    };
    assert_eq!(ids(&results), ids(&again));

    // Hidden files are read when asked for; macOS metadata never.
    let hidden = IngestConfig {
        hidden: true,
        ..IngestConfig::default()
    };
    let with_hidden = read_one("bundle.zip", &bundle, hidden);
    let paths: Vec<String> = with_hidden
        .iter()
        .map(|r| match r {
            Ok(d) => d.source.source_path.clone(),
            Err(f) => f.source.source_path.clone(),
        })
        .collect();
    assert!(paths.iter().any(|p| p.ends_with(".DS_Store")), "{paths:?}");
    assert!(!paths.iter().any(|p| p.contains("__MACOSX")), "{paths:?}");
}

#[test]
fn names_written_by_windows_are_decoded_and_encrypted_files_are_failures() {
    let (gbk_name, _, _) = encoding_rs::GBK.encode("讲话稿\\动员大会讲话.txt");
    let (gbk_text, _, _) = encoding_rs::GBK.encode(SPEECH);
    let bundle = raw_zip(&[
        (&gbk_name, &gbk_text, false),
        (
            b"secret.txt",
            b"\x12\x34\x56\x78\x9a\xbc\xde\xf0\x11\x22\x33\x44",
            true,
        ),
    ]);
    let results = read_one("bundle.zip", &bundle, IngestConfig::default());
    let docs = docs(&results);
    assert_eq!(docs.len(), 1, "{results:?}");
    assert_eq!(
        docs[0].source.source_path,
        "bundle.zip!/讲话稿/动员大会讲话.txt"
    );
    assert_eq!(docs[0].text, SPEECH);
    assert_eq!(docs[0].source.encoding.as_deref(), Some("GB18030"));
    let failures = failures(&results);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].source.source_path, "bundle.zip!/secret.txt");
    assert!(failures[0].message.contains("encrypted"), "{failures:?}");
}

#[test]
fn limits_hold_for_each_file_inside_and_for_the_archive_as_a_whole() {
    let small = IngestConfig {
        max_file_mb: 0.01,
        ..IngestConfig::default()
    };
    let part = SPEECH.repeat(40); // 4.2 KB
    let big = SPEECH.repeat(120); // 12.6 KB, over 0.01 MB
    let bundle = zip_of(&[
        ("a.txt", part.as_bytes()),
        ("big.txt", big.as_bytes()),
        ("b.txt", part.as_bytes()),
        ("c.txt", part.as_bytes()),
        ("d.txt", SPEECH.as_bytes()),
    ]);
    let results = read_one("bundle.zip", &bundle, small);
    let outcome: Vec<(String, Result<(), String>)> = results
        .iter()
        .map(|r| match r {
            Ok(d) => (d.source.source_path.clone(), Ok(())),
            Err(f) => (f.source.source_path.clone(), Err(f.message.clone())),
        })
        .collect();
    assert_eq!(outcome.len(), 5, "{outcome:?}");
    assert!(outcome[0].1.is_ok() && outcome[2].1.is_ok(), "{outcome:?}");
    let err = |i: usize| outcome[i].1.clone().err().unwrap_or_default();
    assert!(err(1).contains("over ingest.max_file_mb"), "{outcome:?}");
    // a (4.2) + b (4.2) fit in 10.24 KB, c (4.2) does not: it and every file after it fail.
    assert!(err(3).contains("together"), "{outcome:?}");
    assert!(err(4).contains("together"), "{outcome:?}");

    let spaces = vec![b' '; 3 * 1024 * 1024];
    let bomb = zip_of(&[("spaces.txt", &spaces), ("ok.txt", SPEECH.as_bytes())]);
    let results = read_one("bundle.zip", &bomb, IngestConfig::default());
    let failures = failures(&results);
    assert_eq!(failures.len(), 1, "{results:?}");
    assert!(
        failures[0].message.contains("ingest.max_docx_ratio"),
        "{failures:?}"
    );
    assert_eq!(docs(&results).len(), 1);
}

#[test]
fn broken_empty_and_deeply_nested_archives_are_failures_of_format_zip() {
    let mut truncated = zip_of(&[("a.txt", SPEECH.as_bytes())]);
    truncated.truncate(truncated.len() / 2);
    let results = read_one("bundle.zip", &truncated, IngestConfig::default());
    let [Err(f)] = results.as_slice() else {
        panic!("{results:?}")
    };
    assert!(f.message.starts_with("corrupt zip archive"), "{f:?}");
    assert_eq!(f.source.format, Some(Format::Zip));

    let folders = zip_of(&[("a/", b""), ("a/b/", b""), ("__MACOSX/a/._x", b"x")]);
    let results = read_one("bundle.zip", &folders, IngestConfig::default());
    let [Err(f)] = results.as_slice() else {
        panic!("{results:?}")
    };
    assert_eq!(f.status, FailureStatus::Empty);
    assert!(f.message.contains("without files"), "{f:?}");

    // Three levels of archives are read; a fourth is a failure.
    let level4 = zip_of(&[("deep.txt", SPEECH.as_bytes())]);
    let level3 = zip_of(&[("level4.zip", &level4), ("c.txt", SPEECH.as_bytes())]);
    let level2 = zip_of(&[("level3.zip", &level3)]);
    let outer = zip_of(&[("level2.zip", &level2)]);
    let results = read_one("outer.zip", &outer, IngestConfig::default());
    let docs = docs(&results);
    assert_eq!(docs.len(), 1, "{results:?}");
    assert_eq!(
        docs[0].source.source_path,
        "outer.zip!/level2.zip!/level3.zip!/c.txt"
    );
    let failures = failures(&results);
    assert_eq!(failures.len(), 1);
    assert_eq!(
        failures[0].source.source_path,
        "outer.zip!/level2.zip!/level3.zip!/level4.zip"
    );
    assert!(failures[0].message.contains("inside 3 other zip archives"));
}

#[test]
fn office_packages_stay_one_document_whatever_their_extension() {
    let word = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        (
            "word/document.xml",
            b"<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body><w:p><w:r><w:t>\xe8\xae\xb2\xe8\xaf\x9d</w:t></w:r></w:p></w:body></w:document>",
        ),
    ]);
    let results = read_one("bundle.zip", &word, IngestConfig::default());
    let docs = docs(&results);
    assert_eq!(docs.len(), 1, "{results:?}");
    assert_eq!(docs[0].source.format, Some(Format::Docx));
    assert_eq!(docs[0].text.trim(), "讲话");

    let workbook = zip_of(&[
        ("[Content_Types].xml", b"<Types/>"),
        ("xl/workbook.xml", b"<workbook/>"),
    ]);
    let results = read_one("bundle.xlsx", &workbook, IngestConfig::default());
    let [Err(f)] = results.as_slice() else {
        panic!("{results:?}")
    };
    assert!(f.message.contains("not a docx"), "{f:?}");
}
