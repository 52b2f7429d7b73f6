//! PDF → text through a command the user configures (`ingest.pdf_command`, e.g. poppler's
//! `pdftotext`), run in its own process.
//!
//! gongwen does not parse PDF itself: the pure-Rust readers recurse through a file's
//! structure, and a malformed PDF that overflows the stack would stop the whole batch run.
//! A separate process can crash, hang or print garbage without harming the run: its file
//! gets an error row. The PDF's bytes go to a temporary file whose path replaces `{}` in the
//! command; the command prints the text on standard output (any encoding; it is decoded
//! like a file) within `ingest.command_timeout_seconds`, else it is stopped. Form feeds
//! (page breaks) end a line.
//!
//! Plain text from a converter has one line per printed line, so a paragraph comes out cut
//! into lines. Poppler's `pdftotext -bbox-layout` prints XHTML with every line's box
//! instead: that output is recognised ([`is_bbox_layout`]) and its lines are joined into
//! paragraphs by their layout like an OFD's ([`crate::layout::paragraphs`]), with the
//! document's title, author and creation date from its `<head>`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gongwen_model::PageMeta;
use quick_xml::events::{BytesStart, Event};

use crate::decode::decode;
use crate::layout::{paragraphs, Line};
use crate::xml::{attribute, next_event, push_text, reader};

/// Bytes of a command's standard error kept for the error message.
const STDERR_BYTES: u64 = 64 * 1024;

/// A configured PDF-to-text command.
#[derive(Debug, Clone)]
pub struct PdfCommand {
    /// Program and arguments; `{}` stands for the PDF's path.
    pub argv: Vec<String>,
    /// Longest a run may take.
    pub timeout: Duration,
    /// Most bytes of text accepted.
    pub max_output: u64,
}

/// Text of a PDF and the encoding its output was decoded from.
#[derive(Debug)]
pub struct PdfText {
    /// The text, one line per line of the command's output.
    pub text: String,
    /// The output's encoding.
    pub encoding: &'static str,
}

/// Reads all of `from` (at most `limit` + 1 bytes) on a thread of its own, so that a child
/// writing a full pipe never waits for the parent.
fn drain<R: Read + Send + 'static>(
    from: Option<R>,
    limit: u64,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(from) = from {
            let _ = from.take(limit + 1).read_to_end(&mut out);
        }
        out
    })
}

impl PdfCommand {
    /// Runs the command on `bytes`; an error says what went wrong in words for the errors
    /// table.
    pub fn text_of(&self, bytes: &[u8]) -> Result<PdfText, String> {
        let program = self.argv.first().ok_or("ingest.pdf_command is empty")?;
        let mut file = tempfile::Builder::new()
            .prefix("gongwen-")
            .suffix(".pdf")
            .tempfile()
            .map_err(|e| format!("cannot write a temporary copy for pdf_command: {e}"))?;
        file.write_all(bytes)
            .and_then(|()| file.flush())
            .map_err(|e| format!("cannot write a temporary copy for pdf_command: {e}"))?;
        let path = file.path().to_string_lossy().into_owned();
        let args = self.argv.iter().skip(1).map(|a| a.replace("{}", &path));
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run pdf_command {program:?}: {e}"))?;
        let stdout = drain(child.stdout.take(), self.max_output);
        let stderr = drain(child.stderr.take(), STDERR_BYTES);
        let started = Instant::now();
        let mut pause = Duration::from_millis(1);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() >= self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "pdf_command {program:?} ran longer than ingest.command_timeout_seconds = {} and was stopped",
                        self.timeout.as_secs_f64()
                    ));
                }
                Ok(None) => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(format!("cannot wait for pdf_command {program:?}: {e}")),
            }
        };
        let out = stdout.join().unwrap_or_default();
        let err = stderr.join().unwrap_or_default();
        // Checked first: a command cut off after the limit dies of a broken pipe.
        if out.len() as u64 > self.max_output {
            return Err(format!(
                "pdf_command {program:?} printed more than ingest.max_file_mb of text"
            ));
        }
        if !status.success() {
            let err = String::from_utf8_lossy(&err);
            let first = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            return Err(format!(
                "pdf_command {program:?} failed ({status}): {first}"
            ));
        }
        let decoded = decode(out);
        let text = decoded
            .text
            .replace("\r\n", "\n")
            .replace(['\r', '\u{c}'], "\n");
        Ok(PdfText {
            text,
            encoding: decoded.encoding,
        })
    }
}

/// Whether a converter's output is `pdftotext -bbox-layout` XHTML: a `<doc>` of `<page>`s
/// near the start.
pub(crate) fn is_bbox_layout(output: &str) -> bool {
    let head: String = output.chars().take(4096).collect();
    head.contains("<doc>") && head.contains("<page ")
}

/// What `pdftotext` writes for a document property the PDF does not have.
fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.is_empty() || matches!(v, "(anonymous)" | "(unspecified)")
}

/// A title property that names the file or the program that made the PDF, not the
/// document (`Microsoft Word - 讲话.docx`, `untitled`).
fn is_file_title(title: &str) -> bool {
    let t = title.trim().to_lowercase();
    let file = [".doc", ".docx", ".wps", ".pdf", ".txt", ".rtf", ".ofd"]
        .iter()
        .any(|ext| t.ends_with(ext));
    file || t.starts_with("microsoft word") || matches!(t.as_str(), "untitled" | "无标题" | "文档")
}

/// A numeric attribute of a `line` or `word` box.
fn coordinate(e: &BytesStart<'_>, name: &str) -> Option<f64> {
    attribute(e, name)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// The paragraphs and metadata of `pdftotext -bbox-layout` output: every `<line>` a
/// [`Line`] (its `<word>`s joined by spaces, as `pdftotext` writes plain text; its height the
/// font size), pages in order, joined by [`paragraphs`]; the `<title>` (unless it names a
/// file or program) and the `Author`, `Subject` and `Keywords` `<meta>`s, unless
/// `pdftotext`'s placeholders.
pub(crate) fn bbox_layout_text(xhtml: &str) -> Result<(String, PageMeta), String> {
    let mut reader = reader(xhtml);
    let mut meta = PageMeta::default();
    let mut pages: Vec<Vec<Line>> = Vec::new();
    let mut line: Option<Line> = None;
    // The text of the `<word>` or `<title>` being read.
    let mut text: Option<String> = None;
    loop {
        match next_event(&mut reader)? {
            Event::Eof => break,
            Event::Start(e) => match e.local_name().as_ref() {
                "page" => pages.push(Vec::new()),
                "line" => {
                    let (x0, y0, x1, y1) = (
                        coordinate(&e, "xMin").unwrap_or(0.0),
                        coordinate(&e, "yMin").unwrap_or(0.0),
                        coordinate(&e, "xMax").unwrap_or(0.0),
                        coordinate(&e, "yMax").unwrap_or(0.0),
                    );
                    line = Some(Line {
                        text: String::new(),
                        y: y1,
                        size: (y1 - y0).max(1.0),
                        start_x: x0,
                        end_x: x1.max(x0),
                    });
                }
                "word" | "title" => text = Some(String::new()),
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == "meta" => {
                let value = attribute(&e, "content").filter(|v| !is_placeholder(v));
                // `CreationDate` is left out: it is when the PDF was made, often a conversion
                // years after the document; the date written in the text is the document's.
                let slot = match attribute(&e, "name").as_deref() {
                    Some("Author") => &mut meta.author,
                    Some("Subject") => &mut meta.description,
                    Some("Keywords") => &mut meta.keywords,
                    _ => continue,
                };
                *slot = value.map(|v| v.trim().to_string());
            }
            Event::End(e) => match e.local_name().as_ref() {
                "word" => {
                    if let (Some(word), Some(l)) = (text.take(), line.as_mut()) {
                        if !l.text.is_empty() {
                            l.text.push(' ');
                        }
                        l.text.push_str(word.trim());
                    }
                }
                "title" => {
                    meta.title = text
                        .take()
                        .filter(|t| !is_placeholder(t) && !is_file_title(t))
                        .map(|t| t.trim().to_string());
                }
                "line" => {
                    if let (Some(l), Some(page)) = (line.take(), pages.last_mut()) {
                        if !l.text.trim().is_empty() {
                            page.push(l);
                        }
                    }
                }
                _ => {}
            },
            event => {
                if let Some(t) = text.as_mut() {
                    push_text(&event, t);
                }
            }
        }
    }
    Ok((paragraphs(&pages), meta))
}

#[cfg(all(test, unix))]
mod tests {
    #[test]
    fn bbox_layout_lines_become_paragraphs_with_the_head_as_metadata() {
        let xhtml = r#"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "x"><html xmlns="http://www.w3.org/1999/xhtml">
<head>
<title>关于做好工作的通知</title>
<meta name="Author" content="(anonymous)"/>
<meta name="CreationDate" content="2023-03-01T08:00:00+08:00"/>
</head>
<body>
<doc>
  <page width="595.3" height="841.9">
    <flow><block xMin="1" yMin="1" xMax="1" yMax="1">
      <line xMin="117.4" yMin="100" xMax="521.4" yMax="116"><word xMin="117.4" yMin="100" xMax="521.4" yMax="116">为了做好今年的工作，现将</word><word xMin="1" yMin="1" xMax="1" yMax="1">A&amp;B</word></line>
      <line xMin="85.4" yMin="128" xMax="300" yMax="144"><word xMin="85.4" yMin="128" xMax="300" yMax="144">有关事项通知如下。</word></line>
      <line xMin="117.4" yMin="156" xMax="521" yMax="172"><word xMin="117.4" yMin="156" xMax="521" yMax="172">一、总体要求</word></line>
    </block></flow>
  </page>
  <page width="595.3" height="841.9">
    <flow><block xMin="1" yMin="1" xMax="1" yMax="1">
      <line xMin="290" yMin="800" xMax="305" yMax="812"><word xMin="290" yMin="800" xMax="305" yMax="812">2</word></line>
    </block></flow>
  </page>
</doc>
</body>
</html>"#;
        assert!(is_bbox_layout(xhtml));
        assert!(!is_bbox_layout("第一页\n<doc> 不是版面\n"));
        let (text, meta) = bbox_layout_text(xhtml).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            text,
            "为了做好今年的工作，现将 A&B有关事项通知如下。\n一、总体要求"
        );
        assert_eq!(meta.title.as_deref(), Some("关于做好工作的通知"));
        assert_eq!(meta.author, None);
        assert_eq!(meta.published, None);
        assert!(is_file_title("Microsoft Word - 讲话稿.docx") && is_file_title("无标题"));
        assert!(!is_file_title("关于印发方案的通知"));
    }

    use super::*;

    fn command(script: &str, timeout_ms: u64) -> PdfCommand {
        PdfCommand {
            argv: ["sh", "-c", script, "sh", "{}"].map(String::from).to_vec(),
            timeout: Duration::from_millis(timeout_ms),
            max_output: 1 << 20,
        }
    }

    #[test]
    fn the_command_reads_the_copy_and_its_output_is_the_text() {
        // The "PDF" holds its text after the first line; form feeds are page breaks.
        let pdf = "%PDF-1.4\n第一页\u{c}第二页\n".as_bytes();
        let text = command("tail -n +2 \"$1\"", 10_000).text_of(pdf);
        let text = text.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text.text, "第一页\n第二页\n");
        assert_eq!(text.encoding, "UTF-8");
    }

    #[test]
    fn failures_timeouts_and_missing_programs_are_errors() {
        let failed =
            command("echo 'Syntax Error: broken xref' >&2; exit 3", 10_000).text_of(b"%PDF");
        let failed = failed.err().unwrap_or_default();
        assert!(
            failed.contains("broken xref") && failed.contains('3'),
            "{failed}"
        );
        let slow = command("sleep 5", 200)
            .text_of(b"%PDF")
            .err()
            .unwrap_or_default();
        assert!(slow.contains("command_timeout_seconds"), "{slow}");
        let missing = PdfCommand {
            argv: vec!["/no/such/pdftotext".into(), "{}".into()],
            timeout: Duration::from_secs(1),
            max_output: 1 << 20,
        };
        let missing = missing.text_of(b"%PDF").err().unwrap_or_default();
        assert!(missing.contains("cannot run"), "{missing}");
        let chatty = PdfCommand {
            max_output: 10,
            ..command("yes 很长的文字 | head -c 100000", 10_000)
        };
        let chatty = chatty.text_of(b"%PDF").err().unwrap_or_default();
        assert!(chatty.contains("more than"), "{chatty}");
    }
}

#[cfg(test)]
mod bbox_tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any soup of `pdftotext -bbox-layout` tags and numbers is read without a panic.
        #[test]
        fn bbox_layout_soup_never_panics(body in "(<doc>|</doc>|<page width=\"1\">|</page>|<line xMin=\"-?[0-9.e]{0,6}\" yMin=\"[0-9.]{0,4}\" xMax=\"[0-9.NaIinf]{0,4}\" yMax=\"[0-9.]{0,4}\">|</line>|<word>|</word>|<title>|</title>|<meta name=\"(Author|CreationDate)\" content=\"[^\"<&]{0,6}\"/>|&amp;|[^<&]{0,5})*") {
            let _ = bbox_layout_text(&body);
        }
    }
}
