//! Clean: keeps the author's text and fills the document's fields ([`RawDoc`] → [`CleanDoc`]).
//!
//! An explicit, ordered list of small steps (see `docs/clean.md`):
//!
//! 1. **Repairs** (lossless): stray HTML tags and comments stripped, character references
//!    decoded, invisible characters removed, every kind of space made one ASCII space.
//! 2. **Script**: the share of Han characters that OpenCC's phrase-aware traditional →
//!    simplified conversion changes decides `script`; traditional text is converted.
//! 3. **Width folding**: full-width digits and Latin letters → ASCII (not NFKC: Chinese
//!    punctuation ，。：；！？（） stays as it is).
//! 4. **Main text**: long one-line documents split at their paragraph breaks; lines classified
//!    (body, salutation, neutral, meta, chrome, related-section barrier) by length, share of
//!    Han characters and prose punctuation, separators, URLs and the patterns of
//!    `data/clean/chrome.txt`; the main block is the run of lines with the largest weight.
//! 5. **Metadata**: title, date, publisher, type and speaker from the lines around the block
//!    (title line, dateline, 来源/日期 lines, copyright, brand) and the page's metadata.
//! 6. **Paragraphs**: lines broken mid-sentence rejoined, glued subheadings split off, repeated
//!    paragraphs (doc-mill preview + full text) dropped.
//! 7. **Doc-mill characters** (旳 for 的…, `data/clean/doc_mill.tsv`): counted, or repaired 1:1.
//! 8. **Placeholders** (X, ＊, *, × for a redacted name or number): counted, never changed.
//!
//! It does NOT split sentences, find sections, entities or numbers (segment does), read files
//! (ingest does), or decode bytes. Cleaning its own output again changes nothing.

mod extract;
mod gate;
mod rules;
mod script;
mod text;

use std::path::{Path, PathBuf};

use gongwen_model::{
    CleanDoc, CleanStats, ConfigProblem, Failure, FailureStatus, RawDoc, Script, Stage,
};
use serde::Deserialize;

pub use script::{Conversion, Converter, OpenccConfig};

use extract::{ExtractParams, Extractor};
use text::{DocMillTable, Repairs};

/// When to convert traditional characters to simplified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConvertScript {
    /// Convert only documents detected as traditional (share of changed Han characters at
    /// least `traditional_threshold`). Not idempotent on a mostly simplified page whose
    /// traditional passage is all that survives cleaning.
    Auto,
    /// Convert every document: a no-op on simplified text except for stray traditional
    /// characters, which are converted too. Idempotent.
    #[default]
    Always,
    /// Never convert (script is still detected and reported).
    Never,
}

/// What to do with doc-mill characters (旳 for 的…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocMillMode {
    /// Detect and count them (`stats.doc_mill_chars`), leave the text as the source has it.
    #[default]
    Count,
    /// Replace each by the character it stands for (1:1, offsets never move).
    Repair,
    /// Neither count nor repair.
    Off,
}

/// `[clean]` section of pipeline.toml. Every key is optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanConfig {
    /// Remove stray HTML tags and comments and decode character references. Default `true`.
    #[serde(default = "default_true")]
    pub strip_tags: bool,
    /// Traditional → simplified conversion: `"always"`, `"auto"` or `"never"`. Default
    /// `"always"` (script is detected and reported whatever this says).
    #[serde(default)]
    pub convert_script: ConvertScript,
    /// OpenCC configuration: `"t2s"`, `"tw2s"`, `"hk2s"` or `"tw2sp"`. Default `"t2s"`.
    #[serde(default)]
    pub opencc: OpenccConfig,
    /// Share of Han characters changed by conversion from which a document counts as
    /// traditional (0 < x ≤ 1). Default `0.05`.
    #[serde(default = "default_traditional_threshold")]
    pub traditional_threshold: f64,
    /// Full-width digits and Latin letters → ASCII. Default `true`.
    #[serde(default = "default_true")]
    pub fold_width: bool,
    /// Doc-mill characters: `"count"`, `"repair"` or `"off"`. Default `"count"` (the gold
    /// annotations and the audit keep the characters as the source has them).
    #[serde(default)]
    pub doc_mill: DocMillMode,
    /// Extra doc-mill tables (`FOUND<TAB>MEANT`), added to the built-in one. Default `[]`.
    #[serde(default)]
    pub doc_mill_files: Vec<String>,
    /// Extra chrome pattern files (`KIND<TAB>REGEX`, see data/clean/chrome.txt), added to the
    /// built-in patterns. Default `[]`.
    #[serde(default)]
    pub chrome_files: Vec<String>,
    /// Find the main block and drop site chrome; when false every non-empty line is kept.
    /// Default `true`.
    #[serde(default = "default_true")]
    pub extract_main_text: bool,
    /// Han characters a line with prose punctuation needs to count as body text. Default `16`.
    #[serde(default = "default_body_min_chars")]
    pub body_min_chars: usize,
    /// Lines up to this many characters are short (loose chrome patterns apply). Default `50`.
    #[serde(default = "default_short_line_max_chars")]
    pub short_line_max_chars: usize,
    /// Lines at least this long are split at internal paragraph breaks (a whole speech on one
    /// line). Default `200`.
    #[serde(default = "default_split_long_lines_min_chars")]
    pub split_long_lines_min_chars: usize,
    /// A line at least this long that stops mid-sentence is joined with the next. Default `20`.
    #[serde(default = "default_rejoin_min_chars")]
    pub rejoin_min_chars: usize,
    /// Longest unpunctuated run at the end of a paragraph that is split off as a subheading;
    /// `0` turns this off. Default `24`.
    #[serde(default = "default_subheading_max_chars")]
    pub subheading_max_chars: usize,
    /// Longest title, in characters. Default `80`.
    #[serde(default = "default_title_max_chars")]
    pub title_max_chars: usize,
    /// Drop repeated paragraphs (a doc-mill page's preview of the full text). Default `true`.
    #[serde(default = "default_true")]
    pub dedup_paragraphs: bool,
}

fn default_true() -> bool {
    true
}
fn default_traditional_threshold() -> f64 {
    0.05
}
fn default_body_min_chars() -> usize {
    16
}
fn default_short_line_max_chars() -> usize {
    50
}
fn default_split_long_lines_min_chars() -> usize {
    200
}
fn default_rejoin_min_chars() -> usize {
    20
}
fn default_subheading_max_chars() -> usize {
    24
}
fn default_title_max_chars() -> usize {
    80
}

impl Default for CleanConfig {
    fn default() -> Self {
        CleanConfig {
            strip_tags: true,
            convert_script: ConvertScript::default(),
            opencc: OpenccConfig::default(),
            traditional_threshold: default_traditional_threshold(),
            fold_width: true,
            doc_mill: DocMillMode::default(),
            doc_mill_files: Vec::new(),
            chrome_files: Vec::new(),
            extract_main_text: true,
            body_min_chars: default_body_min_chars(),
            short_line_max_chars: default_short_line_max_chars(),
            split_long_lines_min_chars: default_split_long_lines_min_chars(),
            rejoin_min_chars: default_rejoin_min_chars(),
            subheading_max_chars: default_subheading_max_chars(),
            title_max_chars: default_title_max_chars(),
            dedup_paragraphs: true,
        }
    }
}

impl CleanConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, base_dir: &Path) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let t = self.traditional_threshold;
        if !(t > 0.0 && t <= 1.0) {
            problems.push(ConfigProblem::new(
                "clean.traditional_threshold",
                format!("must be > 0 and ≤ 1, got {t}"),
            ));
        }
        let positive = [
            ("clean.body_min_chars", self.body_min_chars),
            ("clean.short_line_max_chars", self.short_line_max_chars),
            (
                "clean.split_long_lines_min_chars",
                self.split_long_lines_min_chars,
            ),
            ("clean.rejoin_min_chars", self.rejoin_min_chars),
            ("clean.title_max_chars", self.title_max_chars),
        ];
        for (path, v) in positive {
            if v == 0 {
                problems.push(ConfigProblem::new(path, "must be at least 1, got 0"));
            }
        }
        for (i, f) in self.chrome_files.iter().enumerate() {
            let path = format!("clean.chrome_files[{i}]");
            match std::fs::read_to_string(resolve(base_dir, f)) {
                Err(e) => {
                    problems.push(ConfigProblem::new(path, format!("cannot read {f:?}: {e}")))
                }
                Ok(text) => {
                    if let Err(errs) = rules::parse_chrome(&[&text]) {
                        for (_, (line, msg)) in errs {
                            problems.push(ConfigProblem::new(&path, format!("{f}:{line}: {msg}")));
                        }
                    }
                }
            }
        }
        for (i, f) in self.doc_mill_files.iter().enumerate() {
            let path = format!("clean.doc_mill_files[{i}]");
            match std::fs::read_to_string(resolve(base_dir, f)) {
                Err(e) => {
                    problems.push(ConfigProblem::new(path, format!("cannot read {f:?}: {e}")))
                }
                Ok(text) => {
                    for line in DocMillTable::default().add_tsv(&text) {
                        problems.push(ConfigProblem::new(
                            &path,
                            format!("{f}:{line}: expected one character, a tab, one character"),
                        ));
                    }
                }
            }
        }
        problems
    }
}

fn resolve(base_dir: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base_dir.join(p)
    }
}

/// Errors building the clean stage.
#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    /// The config is invalid.
    #[error("invalid [clean] config: {0:?}")]
    Config(Vec<ConfigProblem>),
    /// A built-in rule file or pattern does not compile (a defect of the build).
    #[error("built-in clean rules are broken: {0}")]
    Rules(String),
}

/// The built clean stage: compiled rules and dictionaries, immutable and `Sync`.
#[derive(Debug)]
pub struct Cleaner {
    config: CleanConfig,
    repairs: Repairs,
    converter: Converter,
    doc_mill: DocMillTable,
    extractor: Extractor,
    /// The change filter's characters and the `any` chrome gate's, for one scan of a text for
    /// both (`None`: the `any` set has no gate).
    gate_scan: Option<text::ScanTable>,
}

impl Cleaner {
    /// Validates the config and loads rules.
    pub fn build(config: &CleanConfig, base_dir: &Path) -> Result<Cleaner, CleanError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(CleanError::Config(problems));
        }
        let read = |f: &String| {
            std::fs::read_to_string(resolve(base_dir, f))
                .map_err(|e| CleanError::Rules(e.to_string()))
        };
        let extra_chrome = config
            .chrome_files
            .iter()
            .map(read)
            .collect::<Result<Vec<_>, _>>()?;
        let mut chrome_texts: Vec<&str> = vec![rules::builtin::CHROME];
        chrome_texts.extend(extra_chrome.iter().map(String::as_str));
        let chrome = rules::parse_chrome(&chrome_texts)
            .map_err(|e| CleanError::Rules(format!("chrome: {e:?}")))?;
        let doc_types = rules::parse_doc_type(rules::builtin::DOC_TYPE)
            .map_err(|e| CleanError::Rules(format!("doc_type.tsv: {e:?}")))?;
        let title_junk = rules::parse_title_junk(rules::builtin::TITLE_JUNK)
            .map_err(|e| CleanError::Rules(format!("title_junk.txt: {e:?}")))?;
        let titles = rules::parse_titles(rules::builtin::TITLES);
        let mut doc_mill = DocMillTable::default();
        let bad = doc_mill.add_tsv(rules::builtin::DOC_MILL);
        if !bad.is_empty() {
            return Err(CleanError::Rules(format!(
                "doc_mill.tsv: malformed lines {bad:?}"
            )));
        }
        for f in &config.doc_mill_files {
            doc_mill.add_tsv(&read(f)?);
        }
        let params = ExtractParams {
            body_min_chars: config.body_min_chars,
            short_line_max_chars: config.short_line_max_chars,
            split_long_lines_min_chars: config.split_long_lines_min_chars,
            rejoin_min_chars: config.rejoin_min_chars,
            subheading_max_chars: config.subheading_max_chars,
            title_max_chars: config.title_max_chars,
            dedup_paragraphs: config.dedup_paragraphs,
            extract_main_text: config.extract_main_text,
        };
        let extractor = Extractor::new(params, chrome, doc_types, titles, title_junk)
            .map_err(|e| CleanError::Rules(e.to_string()))?;
        let converter = Converter::new(config.opencc).map_err(CleanError::Rules)?;
        let gate_scan = extractor
            .any_gate()
            .map(|gate| converter.table_with_gate(gate));
        Ok(Cleaner {
            config: config.clone(),
            repairs: Repairs::new().map_err(|e| CleanError::Rules(e.to_string()))?,
            converter,
            doc_mill,
            extractor,
            gate_scan,
        })
    }

    /// Cleans one document; a document with nothing left is a [`Failure`] with status empty.
    #[allow(clippy::result_large_err)] // the stage contract: Failure is the model's type
    pub fn clean(&self, raw: RawDoc) -> Result<CleanDoc, Failure> {
        let RawDoc {
            source,
            text: original,
            meta,
        } = raw;
        let mut stats = CleanStats::default();

        // 1. lossless repairs (tag stripping and entity decoding borrow the text when they
        // find nothing: whitespace normalisation makes the stage's one copy of it)
        let mut text = if self.config.strip_tags {
            let stripped = self.repairs.strip_tags(&original);
            text::normalize_whitespace(&self.repairs.decode_entities(&stripped))
        } else {
            text::normalize_whitespace(&original)
        };

        // 2. script (`None`: the conversion changes nothing, the share is 0). The scan for
        // changing characters also finds where the `any` chrome set's gate literals are, for
        // extraction, as long as the text stays as it is.
        let scan = self
            .gate_scan
            .as_ref()
            .and_then(|table| Some((self.extractor.any_gate()?, table)))
            .map(|(gate, table)| self.converter.scan_with_gate(&text, gate, table));
        let conversion = match &scan {
            Some(scan) => self.converter.convert_if_changed_scanned(&text, scan),
            None => self.converter.convert_if_changed(&text),
        };
        let mut any_hits = scan
            .filter(|scan| scan.first_change.is_none())
            .map(|scan| scan.gate_hits);
        let changed_share = conversion.as_ref().map_or(0.0, Conversion::changed_share);
        let traditional = changed_share >= self.config.traditional_threshold;
        let script = if traditional {
            Script::Traditional
        } else {
            Script::Simplified
        };
        let convert = match self.config.convert_script {
            ConvertScript::Auto => traditional,
            ConvertScript::Always => true,
            ConvertScript::Never => false,
        };
        let mut meta = meta;
        // `normalize_whitespace` leaves ' ' and '\n' as the only white space and width folding
        // adds none; only a conversion that changed the text needs looking at again.
        let mut ascii_spaces = true;
        if convert {
            if let Some(conversion) = conversion {
                any_hits = None;
                stats.chars_converted = conversion.changed;
                ascii_spaces = !text::has_other_space(&conversion.text);
                text = conversion.text;
            }
            for field in [
                &mut meta.title,
                &mut meta.source,
                &mut meta.author,
                &mut meta.description,
            ] {
                if let Some(v) = field.as_mut() {
                    *v = self.converter.convert(v).text;
                }
            }
        }

        // 3. width folding. One pass over the text tells whether it has anything to fold,
        // doc-mill characters of the usual blocks or placeholders (7., 8.); a folded text is
        // looked at again.
        let mut rare = text::rare_chars(&text);
        if self.config.fold_width {
            if rare.full_width_alnum {
                if let (std::borrow::Cow::Owned(folded), n) = text::fold_width(&text) {
                    any_hits = None;
                    text = folded;
                    stats.chars_width_folded = n;
                    rare = text::rare_chars(&text);
                }
            }
            for field in [&mut meta.title, &mut meta.source, &mut meta.published] {
                if let Some(v) = field.as_mut() {
                    if let (std::borrow::Cow::Owned(folded), _) = text::fold_width(v) {
                        *v = folded;
                    }
                }
            }
        }
        for field in [&mut meta.title, &mut meta.source] {
            if let Some(v) = field.as_mut() {
                *v = text::normalize_whitespace(v).replace('\n', " ");
            }
        }

        // 4–6. main text, metadata, paragraphs
        let extracted = self
            .extractor
            .extract(&text, &meta, ascii_spaces, any_hits.as_deref());
        stats.lines_dropped = extracted.lines_dropped;
        let mut paragraphs = extracted.paragraphs;
        let mut title = extracted.title;

        // 7. doc-mill characters. The paragraphs hold no character the text did not (extraction
        // only drops, splits and joins lines, with ' '): one test of the whole text decides
        // for most documents that there is nothing to count.
        if self.config.doc_mill != DocMillMode::Off {
            let repair = self.config.doc_mill == DocMillMode::Repair;
            if self.doc_mill.may_occur_given(&text, rare.doc_mill_block) {
                for p in paragraphs.iter_mut() {
                    if !repair {
                        // counting leaves the text as it is
                        stats.doc_mill_chars += self.doc_mill.count(p);
                        continue;
                    }
                    let (fixed, n) = self.doc_mill.apply(p, repair);
                    stats.doc_mill_chars += n;
                    *p = fixed;
                }
            }
            // the title may come from the page's metadata, outside the text
            if repair {
                if let Some(t) = title.as_mut() {
                    *t = self.doc_mill.apply(t, true).0;
                }
            }
        }

        // 8. placeholders
        if rare.placeholder {
            stats.placeholders = paragraphs.iter().map(|p| text::count_placeholders(p)).sum();
        }

        paragraphs.retain(|p| !p.trim().is_empty());
        if paragraphs.is_empty() {
            let message = if original.trim().is_empty() {
                "no text left after cleaning: the document is empty".to_string()
            } else {
                format!(
                    "no text left after cleaning: all {} non-empty lines were site chrome",
                    stats.lines_dropped
                )
            };
            return Err(Failure {
                source,
                stage: Stage::Clean,
                status: FailureStatus::Empty,
                message,
            });
        }
        Ok(CleanDoc {
            source,
            script,
            title,
            date: extracted.date,
            publisher: extracted.publisher,
            doc_type: extracted.doc_type,
            speaker: extracted.speaker,
            paragraphs,
            original,
            stats,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaner() -> Cleaner {
        Cleaner::build(&CleanConfig::default(), Path::new(".")).expect("default config builds")
    }

    #[test]
    fn empty_document_is_a_failure() {
        let f = cleaner()
            .clean(RawDoc {
                text: " \n\u{3000}\n".into(),
                ..Default::default()
            })
            .expect_err("empty");
        assert_eq!(f.stage, Stage::Clean);
        assert_eq!(f.status, FailureStatus::Empty);
    }

    #[test]
    fn config_problems_have_paths() {
        let c = CleanConfig {
            traditional_threshold: 2.0,
            body_min_chars: 0,
            chrome_files: vec!["no/such/file.txt".into()],
            ..Default::default()
        };
        let p = c.validate(Path::new("/nonexistent"));
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "clean.traditional_threshold",
                "clean.body_min_chars",
                "clean.chrome_files[0]"
            ]
        );
    }

    #[test]
    fn config_parses_from_toml_with_defaults() {
        let c: CleanConfig =
            toml::from_str("doc_mill = \"repair\"\nopencc = \"hk2s\"\n").expect("parses");
        assert_eq!(c.doc_mill, DocMillMode::Repair);
        assert_eq!(c.opencc, OpenccConfig::Hk2s);
        assert_eq!(c.body_min_chars, 16);
        assert!(toml::from_str::<CleanConfig>("bogus = 1").is_err());
    }

    #[test]
    fn cleaner_is_sync() {
        fn assert_sync<T: Sync + Send>() {}
        assert_sync::<Cleaner>();
    }
}
