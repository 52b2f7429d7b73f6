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

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::decode::decode;

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

#[cfg(all(test, unix))]
mod tests {
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
