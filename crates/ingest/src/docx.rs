//! Office packages → text lines plus [`PageMeta`]. In a `.docx` (a zip, opened in memory by
//! [`crate::archive::open`]) the main document part (found through `_rels/.rels`, else
//! `word/document.xml`) is decompressed under a byte cap and a ratio cap (zip bombs), decoded
//! and read with [`crate::xml::word_text`]. An OpenDocument text (`.odt`, the same kind of
//! zip) is read the same way from its `content.xml` with [`crate::xml::odf_text`].

use std::io::Read;

use gongwen_model::{Format, PageMeta};
use zip::result::ZipError;

use crate::archive::Zip;
use crate::decode::decode;
use crate::xml::{core_properties, odf_text, word_text};

/// Limits against zip bombs.
#[derive(Debug, Clone, Copy)]
pub struct DocxLimits {
    /// Most bytes one part may decompress to.
    pub max_uncompressed_bytes: u64,
    /// Highest uncompressed/compressed ratio allowed for a part above [`Self::RATIO_FLOOR`].
    pub max_ratio: u64,
}

impl DocxLimits {
    /// Parts smaller than this are never judged by their ratio (small XML compresses well).
    pub const RATIO_FLOOR: u64 = 1024 * 1024;
}

/// Why a docx could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocxError {
    /// Not a readable zip, or a part is corrupt.
    #[error("corrupt docx: {0}")]
    Corrupt(String),
    /// A zip without a Word main document part.
    #[error("zip archive without a word document part (not a docx): entries {0}")]
    NotDocx(String),
    /// A part decompresses beyond the limits.
    #[error("zip bomb: {0}")]
    Bomb(String),
}

/// Most entries a docx may have.
const MAX_ENTRIES: usize = 10_000;
/// Cap for small parts (relationships, core properties).
const SMALL_PART_BYTES: u64 = 1024 * 1024;

/// The part `name` decompressed, `None` when there is none; fails beyond `limits`.
pub(crate) fn read_part(
    archive: &mut Zip<'_>,
    name: &str,
    limits: &DocxLimits,
) -> Result<Option<Vec<u8>>, DocxError> {
    let part = match archive.by_name(name) {
        Ok(part) => part,
        Err(ZipError::FileNotFound) => return Ok(None),
        Err(e) => {
            return Err(DocxError::Corrupt(format!(
                "cannot open part {name:?}: {e}"
            )))
        }
    };
    let declared = part.size();
    let compressed = part.compressed_size().max(1);
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    if declared > limits.max_uncompressed_bytes {
        return Err(DocxError::Bomb(format!(
            "part {name:?} declares {:.1} MB uncompressed, over ingest.max_docx_uncompressed_mb = {:.1}",
            mb(declared),
            mb(limits.max_uncompressed_bytes)
        )));
    }
    if declared > DocxLimits::RATIO_FLOOR && declared / compressed > limits.max_ratio {
        return Err(DocxError::Bomb(format!(
            "part {name:?} expands {}x ({compressed} → {declared} bytes), over ingest.max_docx_ratio = {}",
            declared / compressed,
            limits.max_ratio
        )));
    }
    let mut bytes = Vec::with_capacity(declared.min(limits.max_uncompressed_bytes) as usize);
    part.take(limits.max_uncompressed_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| DocxError::Corrupt(format!("cannot decompress part {name:?}: {e}")))?;
    let actual = bytes.len() as u64;
    if actual > limits.max_uncompressed_bytes
        || (actual > DocxLimits::RATIO_FLOOR && actual / compressed > limits.max_ratio)
    {
        return Err(DocxError::Bomb(format!(
            "part {name:?} decompresses to more than its declared {declared} bytes ({actual} read from {compressed})"
        )));
    }
    Ok(Some(bytes))
}

/// Target of the `officeDocument` relationship in `_rels/.rels`, if any.
fn main_part_name(rels: &str) -> Option<String> {
    let mut reader = quick_xml::Reader::from_str(rels);
    while let Ok(event) = reader.read_event() {
        match event {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Empty(e) | quick_xml::events::Event::Start(e) => {
                let mut target = None;
                let mut is_main = false;
                for attr in e.attributes().flatten() {
                    let value = attr.value.to_string();
                    match attr.key.local_name().as_ref() {
                        "Type" => is_main = value.ends_with("/officeDocument"),
                        "Target" => target = Some(value),
                        _ => {}
                    }
                }
                if is_main {
                    return target.map(|t| t.trim_start_matches('/').to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// Extracts the text and metadata of an office package opened by
/// [`crate::archive::open`]: a Word document, else an OpenDocument text. The format says
/// which it was read as (a package that is neither fails as a docx, naming its entries).
pub fn extract_package(
    mut archive: Zip<'_>,
    limits: &DocxLimits,
) -> (Format, Result<(String, PageMeta), DocxError>) {
    if archive.len() > MAX_ENTRIES {
        let error = DocxError::Bomb(format!(
            "{} entries, more than {MAX_ENTRIES}",
            archive.len()
        ));
        return (Format::Docx, Err(error));
    }
    let small = DocxLimits {
        max_uncompressed_bytes: SMALL_PART_BYTES.min(limits.max_uncompressed_bytes),
        ..*limits
    };
    match word_document(&mut archive, limits, &small) {
        Err(DocxError::NotDocx(entries)) => {
            match open_document_text(&mut archive, limits, &small) {
                Ok(Some(odt)) => (Format::Odt, Ok(odt)),
                Ok(None) => (Format::Docx, Err(DocxError::NotDocx(entries))),
                Err(e) => (Format::Odt, Err(e)),
            }
        }
        other => (Format::Docx, other),
    }
}

/// The paragraphs (table cells included) and core properties of a Word document; `small`
/// bounds the small parts (relationships, properties).
fn word_document(
    archive: &mut Zip<'_>,
    limits: &DocxLimits,
    small: &DocxLimits,
) -> Result<(String, PageMeta), DocxError> {
    let main_name = match read_part(archive, "_rels/.rels", small)? {
        Some(rels) => main_part_name(&decode(rels).text),
        None => None,
    };
    let mut document = None;
    for name in main_name
        .iter()
        .map(String::as_str)
        .chain(["word/document.xml"])
    {
        if let Some(bytes) = read_part(archive, name, limits)? {
            document = Some(bytes);
            break;
        }
    }
    let Some(document) = document else {
        let names: Vec<String> = archive
            .file_names()
            .filter_map(Result::ok)
            .take(5)
            .map(|n| format!("{n:?}"))
            .collect();
        return Err(DocxError::NotDocx(names.join(", ")));
    };
    let text = word_text(&decode(document).text)
        .map_err(|e| DocxError::Corrupt(format!("main document part: {e}")))?;
    let meta = match read_part(archive, "docProps/core.xml", small) {
        Ok(Some(core)) => core_properties(&decode(core).text),
        _ => PageMeta::default(),
    };
    Ok((text, meta))
}

/// `mimetype` of an OpenDocument text (a template's ends in `-template`).
const ODT_MIMETYPE: &str = "application/vnd.oasis.opendocument.text";

/// The paragraphs (table cells included) and metadata of an OpenDocument text; `None` when
/// the package is not one (no `mimetype` naming it).
fn open_document_text(
    archive: &mut Zip<'_>,
    limits: &DocxLimits,
    small: &DocxLimits,
) -> Result<Option<(String, PageMeta)>, DocxError> {
    let is_odt = read_part(archive, "mimetype", small)?
        .is_some_and(|m| m.starts_with(ODT_MIMETYPE.as_bytes()));
    if !is_odt {
        return Ok(None);
    }
    let content = read_part(archive, "content.xml", limits)?
        .ok_or_else(|| DocxError::Corrupt("opendocument text without content.xml".into()))?;
    let text = odf_text(&decode(content).text)
        .map_err(|e| DocxError::Corrupt(format!("content.xml: {e}")))?;
    let meta = match read_part(archive, "meta.xml", small) {
        Ok(Some(meta)) => core_properties(&decode(meta).text),
        _ => PageMeta::default(),
    };
    Ok(Some((text, meta)))
}
