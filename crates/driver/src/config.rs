//! Loading `pipeline.toml`: every section deserialised separately, every problem reported
//! with its TOML path, before any input file is read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use gongwen_clean::CleanConfig;
use gongwen_entities::EntitiesConfig;
use gongwen_ingest::IngestConfig;
use gongwen_model::ConfigProblem;
use gongwen_numbers::NumbersConfig;
use gongwen_segment::SegmentConfig;
use gongwen_tabulate::OutputConfig;
use serde::de::DeserializeOwned;

/// The sections of pipeline.toml, in the order they are documented.
pub const SECTIONS: [&str; 6] = [
    "ingest", "clean", "segment", "numbers", "entities", "output",
];

/// The whole pipeline configuration: one section per stage. Every section is optional and
/// defaults to the stage's defaults; unknown sections and keys are errors.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// `[ingest]`: which files to read.
    pub ingest: IngestConfig,
    /// `[clean]`: boilerplate removal and normalisation.
    pub clean: CleanConfig,
    /// `[segment]`: paragraphs, sections, sentences, tokens.
    pub segment: SegmentConfig,
    /// `[numbers]`: number grammar.
    pub numbers: NumbersConfig,
    /// `[entities]`: entity gazetteers and rules.
    pub entities: EntitiesConfig,
    /// `[output]`: output folder and table formats.
    pub output: OutputConfig,
}

/// A loaded, validated configuration and where it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The configuration.
    pub config: PipelineConfig,
    /// The config file.
    pub path: PathBuf,
    /// Folder relative paths resolve against: the config file's folder (absolute).
    pub base_dir: PathBuf,
    /// Hash of everything that changes how a document is processed (see [`config_hash`]).
    pub hash: String,
}

impl LoadedConfig {
    /// The output folder, resolved against the config's folder.
    pub fn output_dir(&self) -> PathBuf {
        self.base_dir.join(&self.config.output.dir)
    }
}

/// Command-line values that replace config values: config says what, flags may point the
/// same config at other folders.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--input DIR` (repeatable): replaces `ingest.inputs`.
    pub inputs: Vec<PathBuf>,
    /// `--output DIR`: replaces `output.dir`.
    pub output: Option<PathBuf>,
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {path:?}: {source}")]
    Read {
        /// The config file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file has problems (syntax, unknown keys, wrong types, invalid values).
    #[error("{} problem(s) in config {path:?}:\n{}", problems.len(), format_problems(problems))]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// Every problem, each with its TOML path.
        problems: Vec<ConfigProblem>,
    },
}

/// One problem per line, `  path: message`.
pub fn format_problems(problems: &[ConfigProblem]) -> String {
    let mut s = String::new();
    for p in problems {
        let _ = writeln!(s, "  {p}");
    }
    s
}

/// Reads, parses and validates the config at `path` with `overrides` applied. Returns every
/// problem at once ([`ConfigError::Invalid`]) rather than the first.
pub fn load(path: &Path, overrides: &Overrides) -> Result<LoadedConfig, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let abs_path = absolute(path);
    let base_dir = abs_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let config = parse(&text, &base_dir, overrides).map_err(|problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    })?;
    let hash = config_hash(&text, &base_dir);
    Ok(LoadedConfig {
        config: config.0,
        path: abs_path,
        base_dir,
        hash,
    })
}

/// `path` made absolute against the current folder (without touching the filesystem).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    }
}

struct Parsed(PipelineConfig);

/// Parses config text; relative paths in it resolve against `base_dir`.
fn parse(text: &str, base_dir: &Path, overrides: &Overrides) -> Result<Parsed, Vec<ConfigProblem>> {
    let mut root: toml::Table = match text.parse::<toml::Table>() {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string().trim().replace('\n', "\n    ");
            return Err(vec![ConfigProblem::new("(syntax)", msg)]);
        }
    };
    let mut problems = Vec::new();
    for key in root.keys() {
        if !SECTIONS.contains(&key.as_str()) {
            problems.push(ConfigProblem::new(
                key.clone(),
                format!(
                    "unknown section `{key}`, expected one of {}",
                    SECTIONS.join(", ")
                ),
            ));
        }
    }
    apply_overrides(&mut root, overrides);

    let ingest: Option<IngestConfig> = section(&root, "ingest", &mut problems);
    let clean: Option<CleanConfig> = section(&root, "clean", &mut problems);
    let segment: Option<SegmentConfig> = section(&root, "segment", &mut problems);
    let numbers: Option<NumbersConfig> = section(&root, "numbers", &mut problems);
    let entities: Option<EntitiesConfig> = section(&root, "entities", &mut problems);
    let output: Option<OutputConfig> = section(&root, "output", &mut problems);

    // Validate the sections that deserialised cleanly (a half-read section would report
    // problems with values the user never wrote).
    if let Some(c) = &ingest {
        problems.extend(c.validate(base_dir));
    }
    if let Some(c) = &clean {
        problems.extend(c.validate(base_dir));
    }
    if let Some(c) = &segment {
        problems.extend(c.validate(base_dir));
    }
    if let Some(c) = &numbers {
        problems.extend(c.validate(base_dir));
    }
    if let Some(c) = &entities {
        problems.extend(c.validate(base_dir));
    }
    if let Some(c) = &output {
        problems.extend(c.validate());
    }
    match (ingest, clean, segment, numbers, entities, output) {
        (Some(ingest), Some(clean), Some(segment), Some(numbers), Some(entities), Some(output))
            if problems.is_empty() =>
        {
            Ok(Parsed(PipelineConfig {
                ingest,
                clean,
                segment,
                numbers,
                entities,
                output,
            }))
        }
        _ => Err(problems),
    }
}

/// Writes `--input`/`--output` into the TOML tree (as absolute paths) so they are
/// deserialised and validated like config values.
fn apply_overrides(root: &mut toml::Table, overrides: &Overrides) {
    if !overrides.inputs.is_empty() {
        let list = overrides
            .inputs
            .iter()
            .map(|p| toml::Value::String(absolute(p).to_string_lossy().into_owned()))
            .collect();
        set_key(root, "ingest", "inputs", toml::Value::Array(list));
    }
    if let Some(out) = &overrides.output {
        set_key(
            root,
            "output",
            "dir",
            toml::Value::String(absolute(out).to_string_lossy().into_owned()),
        );
    }
}

/// Sets `section.key = value`, creating the section when needed.
fn set_key(root: &mut toml::Table, section: &str, key: &str, value: toml::Value) {
    if !matches!(root.get(section), Some(toml::Value::Table(_))) {
        root.insert(section.to_string(), toml::Value::Table(toml::Table::new()));
    }
    if let Some(toml::Value::Table(t)) = root.get_mut(section) {
        t.insert(key.to_string(), value);
    }
}

/// Deserialises one section, collecting every problem: after each error the offending key
/// is removed and deserialisation retried, so one run reports all unknown keys and bad
/// values of the section. Returns the value only when there was no problem.
fn section<T: DeserializeOwned>(
    root: &toml::Table,
    name: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<T> {
    let mut table = match root.get(name) {
        None => toml::Table::new(),
        Some(toml::Value::Table(t)) => t.clone(),
        Some(other) => {
            problems.push(ConfigProblem::new(
                name,
                format!("expected a table, found a {}", other.type_str()),
            ));
            return None;
        }
    };
    let mut clean = true;
    for _ in 0..256 {
        match serde_path_to_error::deserialize::<_, T>(toml::Value::Table(table.clone())) {
            Ok(value) => return clean.then_some(value),
            Err(err) => {
                clean = false;
                let message = err.inner().to_string();
                let mut segments: Vec<String> = Vec::new();
                let mut path = name.to_string();
                for seg in err.path().iter() {
                    match seg {
                        serde_path_to_error::Segment::Seq { index } => {
                            let _ = write!(path, "[{index}]");
                        }
                        serde_path_to_error::Segment::Map { key } => {
                            segments.push(key.clone());
                            let _ = write!(path, ".{key}");
                        }
                        serde_path_to_error::Segment::Enum { variant } => {
                            let _ = write!(path, ".{variant}");
                        }
                        serde_path_to_error::Segment::Unknown => {}
                    }
                }
                let unknown = unknown_field(&message);
                if let Some(field) = &unknown {
                    if segments.last() != Some(field) {
                        segments.push(field.clone());
                        let _ = write!(path, ".{field}");
                    }
                }
                problems.push(ConfigProblem::new(path, message));
                // Remove the offending top-level key of the section and try again.
                match segments.first() {
                    Some(key) if table.remove(key).is_some() => continue,
                    _ => return None,
                }
            }
        }
    }
    None
}

/// The field named by serde's "unknown field `x`, expected …" message.
fn unknown_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    rest.get(..end).map(str::to_string)
}

/// Hash of what decides how a document is processed: this build of gongwen (its sources,
/// embedded rules and locked dependencies, see `build.rs`), the config's stage sections (not
/// `ingest.inputs` nor `[output]`, which say where, not how) normalised (keys sorted), and
/// the bytes of every file the config names. A different hash makes the next run a full run.
pub fn config_hash(text: &str, base_dir: &Path) -> String {
    config_hash_of_build(env!("GONGWEN_BUILD_FINGERPRINT"), text, base_dir)
}

/// [`config_hash`] for the build with fingerprint `build`.
fn config_hash_of_build(build: &str, text: &str, base_dir: &Path) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"gongwen ");
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update(b" build ");
    hasher.update(build.as_bytes());
    hasher.update(b"\n");
    if let Ok(mut root) = text.parse::<toml::Table>() {
        root.remove("output");
        if let Some(toml::Value::Table(ingest)) = root.get_mut("ingest") {
            ingest.remove("inputs");
        }
        let mut canon = String::new();
        canonical(&toml::Value::Table(root), &mut canon, base_dir, &mut hasher);
        hasher.update(canon.as_bytes());
    } else {
        hasher.update(text.as_bytes());
    }
    hasher
        .finalize()
        .to_hex()
        .get(..16)
        .unwrap_or_default()
        .to_string()
}

/// Writes `value` with sorted keys; hashes the contents of strings naming existing files.
fn canonical(value: &toml::Value, out: &mut String, base_dir: &Path, hasher: &mut blake3::Hasher) {
    match value {
        toml::Value::Table(t) => {
            let mut keys: Vec<&String> = t.keys().collect();
            keys.sort();
            out.push('{');
            for k in keys {
                let _ = write!(out, "{k:?}=");
                if let Some(v) = t.get(k) {
                    canonical(v, out, base_dir, hasher);
                }
                out.push(',');
            }
            out.push('}');
        }
        toml::Value::Array(a) => {
            out.push('[');
            for v in a {
                canonical(v, out, base_dir, hasher);
                out.push(',');
            }
            out.push(']');
        }
        toml::Value::String(s) => {
            let _ = write!(out, "{s:?}");
            let p = base_dir.join(s);
            if !s.is_empty() && p.is_file() {
                if let Ok(bytes) = std::fs::read(&p) {
                    hasher.update(s.as_bytes());
                    hasher.update(blake3::hash(&bytes).as_bytes());
                }
            }
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_sections_are_all_reported_with_paths() {
        let dir = std::env::temp_dir();
        let text = "[ingest]\nbogus = 1\nother = 2\n[cleen]\n[output]\nnope = true\n";
        let problems = match parse(text, &dir, &Overrides::default()) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        };
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"cleen"), "{problems:?}");
        assert!(paths.contains(&"ingest.bogus"), "{problems:?}");
        assert!(paths.contains(&"ingest.other"), "{problems:?}");
        assert!(paths.contains(&"output.nope"), "{problems:?}");
    }

    #[test]
    fn wrong_type_is_reported_with_path() {
        let dir = std::env::temp_dir();
        let problems = match parse("[ingest]\ninputs = 3\n", &dir, &Overrides::default()) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        };
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].path.starts_with("ingest.inputs"),
            "{problems:?}"
        );
    }

    #[test]
    fn syntax_error_is_one_problem() {
        let problems = match parse("[ingest\n", Path::new("."), &Overrides::default()) {
            Ok(_) => Vec::new(),
            Err(p) => p,
        };
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn hash_ignores_key_order_inputs_and_output() {
        let dir = Path::new("/nonexistent-dir-gongwen");
        let a = config_hash(
            "[ingest]\ninputs=[\"a\"]\n[output]\ndir=\"x\"\n[clean]\n",
            dir,
        );
        let b = config_hash("[clean]\n[ingest]\ninputs=[\"b\"]\n", dir);
        assert_eq!(a, b);
        let c = config_hash("[clean]\nfoo = 1\n", dir);
        assert_ne!(a, c);
    }

    #[test]
    fn another_build_of_gongwen_changes_the_hash() {
        let dir = Path::new("/nonexistent-dir-gongwen");
        let text = "[clean]\n";
        let this = env!("GONGWEN_BUILD_FINGERPRINT");
        assert_eq!(
            config_hash(text, dir),
            config_hash_of_build(this, text, dir)
        );
        assert_ne!(
            config_hash(text, dir),
            config_hash_of_build("another build", text, dir)
        );
    }
}
