//! Saved web archives (`.mht`, `.mhtml`: "Web page, single file" of Internet Explorer, Word
//! and WPS) → the page's HTML or text.
//!
//! An MHTML file is a MIME message ([`mailparse`]): the page is its first `text/html` part
//! (else its first `text/plain` part), in quoted-printable or base64, in the charset its
//! `Content-Type` names. Images, style sheets and scripts (the other parts) are not read.
//! Read as plain text instead, the page would come out as `=3D`, `=E4=B8=AD` and base64.

use encoding_rs::Encoding;
use mailparse::ParsedMail;

use crate::decode::decode;

/// Bytes at the start of a file searched for its MIME headers.
const HEADER_BYTES: usize = 4096;

/// Whether `bytes` is a MIME web archive: its first lines are MIME headers, with a
/// `MIME-Version` and a `Content-Type` of `multipart/related` or `text/html`; or, for a
/// `.mht`/`.mhtml` file, any `Content-Type` header.
pub fn looks_like_mhtml(bytes: &[u8], ext: &str) -> bool {
    let head = bytes
        .get(..HEADER_BYTES.min(bytes.len()))
        .unwrap_or_default();
    // Headers come first: only the lines before the first empty one are looked at.
    let mut mime_version = false;
    let mut page_type = false;
    let mut any_type = false;
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let starts = |prefix: &[u8]| {
            line.get(..prefix.len())
                .is_some_and(|l| l.eq_ignore_ascii_case(prefix))
        };
        if starts(b"mime-version:") {
            mime_version = true;
        } else if starts(b"content-type:") {
            any_type = true;
            let value = line.get(13..).unwrap_or_default();
            let value = String::from_utf8_lossy(value).trim().to_ascii_lowercase();
            page_type |= value.starts_with("multipart/related") || value.starts_with("text/html");
        }
    }
    (mime_version && page_type) || (matches!(ext, "mht" | "mhtml") && any_type)
}

/// What [`extract_mhtml`] found.
#[derive(Debug)]
pub struct Page {
    /// The decoded HTML (or plain text).
    pub text: String,
    /// Whether `text` is HTML.
    pub html: bool,
    /// The encoding it was decoded from.
    pub encoding: &'static str,
}

/// The first part of `mail` (depth first) whose type is `mimetype`.
fn first_part<'a>(mail: &'a ParsedMail<'a>, mimetype: &str) -> Option<&'a ParsedMail<'a>> {
    if mail.ctype.mimetype.eq_ignore_ascii_case(mimetype) {
        return Some(mail);
    }
    mail.subparts.iter().find_map(|p| first_part(p, mimetype))
}

/// The page of a web archive, decoded; an error names what is missing.
pub fn extract_mhtml(bytes: &[u8]) -> Result<Page, String> {
    let mail =
        mailparse::parse_mail(bytes).map_err(|e| format!("not a readable MIME file: {e}"))?;
    let (part, html) = match first_part(&mail, "text/html") {
        Some(part) => (part, true),
        None => (
            first_part(&mail, "text/plain").ok_or("no text/html or text/plain part")?,
            false,
        ),
    };
    let body = part
        .get_body_raw()
        .map_err(|e| format!("cannot decode the page part: {e}"))?;
    // mailparse reports `us-ascii` when no charset is given.
    let declared = Some(part.ctype.charset.as_str())
        .filter(|c| !c.eq_ignore_ascii_case("us-ascii") || body.is_ascii())
        .and_then(|c| Encoding::for_label(c.trim().as_bytes()));
    Ok(match declared {
        Some(encoding) => Page {
            text: encoding.decode_with_bom_removal(&body).0.into_owned(),
            html,
            encoding: encoding.name(),
        },
        None => {
            let decoded = decode(body);
            Page {
                text: decoded.text,
                html,
                encoding: decoded.encoding,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MHT: &str = "From: <Saved by Windows Internet Explorer 8>\r\nSubject: =?gb2312?B?zajWqg==?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n\ttype=\"text/html\";\r\n\tboundary=\"----=_NextPart_000_0000_01D1\"\r\n\r\nThis is a multi-part message in MIME format.\r\n\r\n------=_NextPart_000_0000_01D1\r\nContent-Type: text/html;\r\n\tcharset=\"gb2312\"\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Location: http://www.example.gov.cn/a.htm\r\n\r\n<HTML><HEAD><TITLE>=CD=A8=D6=AA</TITLE></HEAD><BODY><P class=3Dx>=CD=A8=D6=AA=\r\n=C4=DA=C8=DD</P></BODY></HTML>\r\n\r\n------=_NextPart_000_0000_01D1\r\nContent-Type: image/gif\r\nContent-Transfer-Encoding: base64\r\n\r\nR0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7\r\n\r\n------=_NextPart_000_0000_01D1--\r\n";

    #[test]
    fn the_html_part_is_found_and_decoded() {
        assert!(looks_like_mhtml(MHT.as_bytes(), "txt"));
        let page = extract_mhtml(MHT.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert!(page.html);
        assert_eq!(page.encoding, "GBK");
        assert!(page.text.contains("<TITLE>通知</TITLE>"), "{}", page.text);
        assert!(
            page.text.contains("<P class=x>通知内容</P>"),
            "{}",
            page.text
        );
    }

    #[test]
    fn only_mime_headers_at_the_start_count() {
        assert!(!looks_like_mhtml(
            b"<html>Content-Type: text/html</html>",
            "html"
        ));
        assert!(!looks_like_mhtml(
            b"hello\n\nMIME-Version: 1.0\nContent-Type: text/html\n",
            "txt"
        ));
        assert!(looks_like_mhtml(
            b"Content-Type: text/html; charset=utf-8\n\n<p>x</p>",
            "mht"
        ));
        assert!(!looks_like_mhtml(
            b"Content-Type: text/html; charset=utf-8\n\n<p>x</p>",
            "txt"
        ));
    }

    #[test]
    fn base64_utf8_page_and_missing_parts() {
        let mht = "MIME-Version: 1.0\nContent-Type: multipart/related; boundary=b\n\n--b\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\nPHA+5L2g5aW9PC9wPg==\n--b--\n";
        let page = extract_mhtml(mht.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(page.text, "<p>你好</p>");
        let no_page = "MIME-Version: 1.0\nContent-Type: multipart/related; boundary=b\n\n--b\nContent-Type: image/png\n\nxx\n--b--\n";
        assert!(extract_mhtml(no_page.as_bytes()).is_err());
    }
}
