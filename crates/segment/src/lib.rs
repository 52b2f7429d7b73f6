//! Segment: the structure and words of a clean document ([`CleanDoc`] → [`SegmentedDoc`]).
//!
//! What goes in: a [`CleanDoc`], whose clean text is its paragraphs joined with `\n`. What
//! comes out, all sorted by position and with character offsets into that clean text:
//! - paragraphs, each with the innermost section containing its start;
//! - the section tree: numbered headings (`一、` `（一）` `1.` `第一，` `第一部分` `①`…),
//!   in-paragraph enumerations (`一是…二是`, `一要…二要`, `首先/其次`) and unnumbered news
//!   subheadings, with levels from nesting (see [`sections`](crate) rules in
//!   `data/segment/markers.txt`);
//! - sentences tiling each paragraph (split on `。！？；…`, never inside quotes or brackets);
//! - jieba tokens with POS tags tiling each sentence, with a bundled domain dictionary,
//!   the entity recogniser's gazetteer words and user dictionaries;
//! - numbers (from `gongwen-numbers`, per sentence) and entities (from `gongwen-entities`,
//!   per document), with their sentence and section;
//! - keyword candidates per document and their TF-IDF ranking over a run.
//!
//! What it does NOT do: change the text (offsets are never shifted), read input files, decide
//! what is boilerplate (clean's job), recognise numbers or entities itself, or write tables.

mod keywords;
mod sections;
mod sentences;
mod tokens;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gongwen_entities::{EntitiesConfig, EntityRecognizer, SentenceView};
use gongwen_model::{
    CleanDoc, ConfigProblem, Keyword, Paragraph, SegmentedDoc, Sentence, Span, Token,
};
use gongwen_numbers::{NumberExtractor, NumbersConfig};
use serde::Deserialize;

use crate::keywords::{KeywordRules, TermCounter};
use crate::sections::{ParaView, SectionIndex, SectionRules};
use crate::tokens::Tokenizer;

/// Bundled marker styles.
const BUILTIN_MARKERS: &str = include_str!("../../../data/segment/markers.txt");
/// Bundled ordinal words (首先 1 …).
const BUILTIN_ORDINAL_WORDS: &str = include_str!("../../../data/segment/ordinal_words.txt");
/// Bundled words that keep a short line from being a subheading.
const BUILTIN_NOT_HEADINGS: &str = include_str!("../../../data/segment/not_headings.txt");
/// Bundled domain dictionary.
const BUILTIN_TERMS: &str = include_str!("../../../data/segment/terms.txt");
/// Bundled stop words.
const BUILTIN_STOPWORDS: &str = include_str!("../../../data/segment/stopwords.txt");

/// `[segment]` section of pipeline.toml. Every key is optional.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SegmentConfig {
    /// Use jieba's HMM to find words missing from the dictionaries. Default: `true`.
    pub hmm: bool,
    /// Load the bundled domain dictionary `data/segment/terms.txt` (policy terms and slogans
    /// such as 新旧动能转换, 高质量发展, 放管服). Default: `true`.
    pub builtin_terms: bool,
    /// Extra jieba user dictionaries, one entry per line: `word [freq] [tag]`. Relative paths
    /// are resolved against the config file's folder. Default: `[]`.
    pub user_dicts: Vec<String>,
    /// A marker rules file replacing the bundled `data/segment/markers.txt` (same format).
    /// Default: none (bundled rules).
    pub marker_rules: Option<String>,
    /// Largest number a section marker may state; larger ones (`2020.`) are not markers.
    /// Default: `50`.
    pub max_ordinal: u32,
    /// Longest unnumbered subheading, in characters. Default: `30`.
    pub subheading_max_chars: usize,
    /// Fewest unnumbered subheadings a document needs for any of them to count. Default: `2`.
    pub subheading_min_count: usize,
    /// Longest quotation or bracket, in characters, inside which sentences are never split
    /// (longer ones are split as if unquoted). Default: `200`.
    pub quote_max_chars: usize,
    /// Extra stop-word files (one word per line) added to the bundled
    /// `data/segment/stopwords.txt`. Default: `[]`.
    pub stopword_files: Vec<String>,
    /// Shortest keyword, in characters. Default: `2`.
    pub keyword_min_chars: usize,
    /// Keyword candidates kept per document (the most frequent), so memory stays bounded.
    /// Default: `200`.
    pub keyword_max_candidates: usize,
    /// Keywords written per document. Default: `20`.
    pub keyword_top_k: usize,
    /// POS tags whose tokens are never keywords (prefix match: `u` covers `uj`, `ul`).
    /// Default: `["x", "m", "q", "p", "c", "u", "d", "r", "f", "e", "y", "o", "w", "mq"]`.
    pub keyword_excluded_pos: Vec<String>,
}

fn default_hmm() -> bool {
    true
}
fn default_builtin_terms() -> bool {
    true
}
fn default_max_ordinal() -> u32 {
    50
}
fn default_subheading_max_chars() -> usize {
    30
}
fn default_subheading_min_count() -> usize {
    2
}
fn default_quote_max_chars() -> usize {
    200
}
fn default_keyword_min_chars() -> usize {
    2
}
fn default_keyword_max_candidates() -> usize {
    200
}
fn default_keyword_top_k() -> usize {
    20
}
fn default_keyword_excluded_pos() -> Vec<String> {
    [
        "x", "m", "q", "p", "c", "u", "d", "r", "f", "e", "y", "o", "w", "mq",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

impl Default for SegmentConfig {
    fn default() -> Self {
        SegmentConfig {
            hmm: default_hmm(),
            builtin_terms: default_builtin_terms(),
            user_dicts: Vec::new(),
            marker_rules: None,
            max_ordinal: default_max_ordinal(),
            subheading_max_chars: default_subheading_max_chars(),
            subheading_min_count: default_subheading_min_count(),
            quote_max_chars: default_quote_max_chars(),
            stopword_files: Vec::new(),
            keyword_min_chars: default_keyword_min_chars(),
            keyword_max_candidates: default_keyword_max_candidates(),
            keyword_top_k: default_keyword_top_k(),
            keyword_excluded_pos: default_keyword_excluded_pos(),
        }
    }
}

fn resolve(base_dir: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base_dir.join(p)
    }
}

impl SegmentConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, base_dir: &Path) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        let mut check_file = |key: String, path: &str| {
            let full = resolve(base_dir, path);
            if !full.is_file() {
                problems.push(ConfigProblem::new(
                    key,
                    format!("file `{}` does not exist", full.display()),
                ));
            }
        };
        for (i, p) in self.user_dicts.iter().enumerate() {
            check_file(format!("segment.user_dicts[{i}]"), p);
        }
        for (i, p) in self.stopword_files.iter().enumerate() {
            check_file(format!("segment.stopword_files[{i}]"), p);
        }
        if let Some(p) = &self.marker_rules {
            check_file("segment.marker_rules".into(), p);
        }
        let mut at_least = |key: &str, value: usize, min: usize| {
            if value < min {
                problems.push(ConfigProblem::new(
                    format!("segment.{key}"),
                    format!("must be at least {min}, not {value}"),
                ));
            }
        };
        at_least("max_ordinal", self.max_ordinal as usize, 1);
        at_least("subheading_max_chars", self.subheading_max_chars, 4);
        at_least("subheading_min_count", self.subheading_min_count, 1);
        at_least("quote_max_chars", self.quote_max_chars, 2);
        at_least("keyword_min_chars", self.keyword_min_chars, 1);
        at_least("keyword_max_candidates", self.keyword_max_candidates, 1);
        for (i, pos) in self.keyword_excluded_pos.iter().enumerate() {
            if pos.is_empty() || !pos.chars().all(|c| c.is_ascii_alphabetic()) {
                problems.push(ConfigProblem::new(
                    format!("segment.keyword_excluded_pos[{i}]"),
                    format!("`{pos}` is not a jieba POS tag"),
                ));
            }
        }
        problems
    }
}

/// Errors building the segment stage.
#[derive(Debug, thiserror::Error)]
pub enum SegmentError {
    /// The config is invalid.
    #[error("invalid [segment] config: {0:?}")]
    Config(Vec<ConfigProblem>),
    /// A file named in the config could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A rules or dictionary file has a bad line.
    #[error("{path}:{line}: {message}")]
    BadLine {
        /// The file (`<bundled …>` for a bundled one).
        path: String,
        /// 1-based line number (0 when the whole file is at fault).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The number extractor could not be built.
    #[error(transparent)]
    Numbers(#[from] gongwen_numbers::NumbersError),
    /// The entity recogniser could not be built.
    #[error(transparent)]
    Entities(#[from] gongwen_entities::EntitiesError),
}

fn read_file(base_dir: &Path, path: &str) -> Result<String, SegmentError> {
    let full = resolve(base_dir, path);
    std::fs::read_to_string(&full).map_err(|source| SegmentError::Io {
        path: full.display().to_string(),
        source,
    })
}

/// The built segment stage: dictionaries, rules and jieba loaded once; immutable and `Sync`.
#[derive(Debug)]
pub struct Segmenter {
    numbers: NumberExtractor,
    entities: EntityRecognizer,
    tokenizer: Tokenizer,
    sections: SectionRules,
    keywords: KeywordRules,
    quote_max_chars: usize,
    keyword_top_k: usize,
}

impl Segmenter {
    /// Validates the configs, loads rules and dictionaries and builds jieba (slow: do it once).
    pub fn build(
        config: &SegmentConfig,
        numbers: &NumbersConfig,
        entities: &EntitiesConfig,
        base_dir: &Path,
    ) -> Result<Segmenter, SegmentError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(SegmentError::Config(problems));
        }
        let numbers = NumberExtractor::build(numbers, base_dir)?;
        let entities = EntityRecognizer::build(entities, base_dir)?;

        let (markers_name, markers_text) = match &config.marker_rules {
            Some(p) => (p.clone(), read_file(base_dir, p)?),
            None => (
                "<bundled markers.txt>".to_string(),
                BUILTIN_MARKERS.to_string(),
            ),
        };
        let bad = |path: &str, p: sections::RuleProblem| SegmentError::BadLine {
            path: path.to_string(),
            line: p.line,
            message: p.message,
        };
        let styles =
            sections::parse_marker_rules(&markers_text).map_err(|p| bad(&markers_name, p))?;
        let ordinal_words = sections::parse_ordinal_words(BUILTIN_ORDINAL_WORDS)
            .map_err(|p| bad("<bundled ordinal_words.txt>", p))?;
        let any_marker =
            regex::RegexSet::new(styles.iter().map(|s| s.regex.as_str())).map_err(|e| {
                SegmentError::BadLine {
                    path: markers_name.clone(),
                    line: 0,
                    message: format!("patterns do not combine: {e}"),
                }
            })?;
        let marker_starts = sections::MarkerStarts::of(styles.iter().map(|s| s.regex.as_str()));
        let section_rules = SectionRules {
            styles,
            any_marker,
            marker_starts,
            ordinal_words,
            not_heading_words: word_list(BUILTIN_NOT_HEADINGS),
            max_ordinal: config.max_ordinal,
            subheading_max_chars: config.subheading_max_chars,
            subheading_min_count: config.subheading_min_count,
        };

        let mut tokenizer = Tokenizer::new(config.hmm);
        let dict_bad = |path: &str, p: tokens::DictProblem| SegmentError::BadLine {
            path: path.to_string(),
            line: p.line,
            message: p.message,
        };
        if config.builtin_terms {
            tokenizer
                .add_dictionary(BUILTIN_TERMS, Some("nz"))
                .map_err(|p| dict_bad("<bundled terms.txt>", p))?;
        }
        for w in entities.dictionary_words() {
            tokenizer.add_word(&w.word, None, w.pos.as_deref());
        }
        for path in &config.user_dicts {
            let text = read_file(base_dir, path)?;
            tokenizer
                .add_dictionary(&text, None)
                .map_err(|p| dict_bad(path, p))?;
        }

        let mut stopwords = word_list(BUILTIN_STOPWORDS);
        for path in &config.stopword_files {
            stopwords.extend(word_list(&read_file(base_dir, path)?));
        }
        let keywords = KeywordRules::new(
            stopwords,
            config.keyword_min_chars,
            config.keyword_max_candidates,
            config.keyword_excluded_pos.clone(),
        );
        Ok(Segmenter {
            numbers,
            entities,
            tokenizer,
            sections: section_rules,
            keywords,
            quote_max_chars: config.quote_max_chars,
            keyword_top_k: config.keyword_top_k,
        })
    }

    /// How many keywords per document the config asks for (`segment.keyword_top_k`), to pass
    /// to [`Segmenter::rank_keywords`].
    pub fn keyword_top_k(&self) -> usize {
        self.keyword_top_k
    }

    /// Segments one document. Never panics; any text gives tiling sentences and tokens.
    pub fn segment(&self, doc: CleanDoc) -> SegmentedDoc {
        self.segment_with(doc, None, false, &mut Clock::off()).0
    }

    /// [`Segmenter::segment`] and [`Segmenter::term_counts`] of the result in one go (the
    /// same output, cheaper): the keyword candidates are counted while the token rows are
    /// built, where each row's tag and length are at hand, instead of in a second pass over
    /// the rows.
    pub fn segment_and_count(&self, doc: CleanDoc) -> (SegmentedDoc, Vec<(String, u32)>) {
        self.segment_counting(doc, None, &mut Clock::off())
    }

    /// [`Segmenter::segment`], adding the time spent in each part of the work to `profile`
    /// (for benchmarks; the output is the same).
    pub fn segment_profiled(&self, doc: CleanDoc, profile: &mut SegmentProfile) -> SegmentedDoc {
        self.segment_with(doc, None, false, &mut Clock::on(profile))
            .0
    }

    /// [`Segmenter::segment_and_count`], adding the time spent in each part of the work to
    /// `profile` (keyword counting goes to `tokens`, the final choice of candidates to
    /// `structure`).
    pub fn segment_and_count_profiled(
        &self,
        doc: CleanDoc,
        profile: &mut SegmentProfile,
    ) -> (SegmentedDoc, Vec<(String, u32)>) {
        let mut clock = Clock::on(profile);
        let out = self.segment_counting(doc, None, &mut clock);
        clock.lap(|p| &mut p.structure);
        out
    }

    /// jieba's words of every paragraph of `doc`: the first and largest part of segmenting
    /// it, split off so that a batch of documents can be tagged in a row (jieba's dictionary
    /// tables then stay in the processor's caches) before the rest of the work is done
    /// ([`Segmenter::segment_tagged_and_count`]).
    pub fn tag(&self, doc: &CleanDoc) -> Tagged {
        Tagged {
            paragraphs: doc
                .paragraphs
                .iter()
                .map(|p| self.tokenizer.tag(p))
                .collect(),
        }
    }

    /// [`Segmenter::segment_and_count`] of a document tagged by [`Segmenter::tag`] (the same
    /// output; a paragraph whose words are missing from `tagged`, or that `tagged` does not
    /// fit, is tagged again).
    pub fn segment_tagged_and_count(
        &self,
        doc: CleanDoc,
        tagged: Tagged,
    ) -> (SegmentedDoc, Vec<(String, u32)>) {
        self.segment_counting(doc, Some(tagged), &mut Clock::off())
    }

    /// The work of [`Segmenter::segment_and_count`] and
    /// [`Segmenter::segment_tagged_and_count`]: candidates counted on the way, or over the
    /// rows when they could not be.
    fn segment_counting(
        &self,
        doc: CleanDoc,
        tagged: Option<Tagged>,
        clock: &mut Clock<'_>,
    ) -> (SegmentedDoc, Vec<(String, u32)>) {
        let (out, terms) = self.segment_with(doc, tagged, true, clock);
        let terms = terms.unwrap_or_else(|| self.term_counts(&out));
        (out, terms)
    }

    /// The work of [`Segmenter::segment`], given the document's words when it has been
    /// tagged already; with `count_terms`, also the document's keyword candidates (`None`
    /// when they could not be counted on the way: the caller then counts them over the rows).
    fn segment_with(
        &self,
        doc: CleanDoc,
        tagged: Option<Tagged>,
        count_terms: bool,
        clock: &mut Clock<'_>,
    ) -> (SegmentedDoc, Option<Vec<(String, u32)>>) {
        // Every paragraph's characters, decoded once into one buffer. Paragraph `k` starts
        // at character `first + k` of the clean text (one `\n` before each but the first).
        // The same pass notes the positions (relative to the paragraph) of the characters
        // that are not plain Han, the only ones sentence splitting needs to look at.
        let n_bytes: usize = doc.paragraphs.iter().map(String::len).sum();
        let mut all_chars: Vec<char> = Vec::with_capacity(n_bytes / 2);
        let mut marked: Vec<usize> = Vec::with_capacity(n_bytes / 16);
        let mut ranges: Vec<(usize, usize, usize, usize)> =
            Vec::with_capacity(doc.paragraphs.len());
        for p in &doc.paragraphs {
            let (first, first_marked) = (all_chars.len(), marked.len());
            all_chars.reserve(p.len());
            for c in p.chars() {
                if !sentences::is_plain_han(c) {
                    marked.push(all_chars.len() - first);
                }
                all_chars.push(c);
            }
            ranges.push((first, all_chars.len(), first_marked, marked.len()));
        }
        let para_chars: Vec<&[char]> = ranges
            .iter()
            .map(|&(a, b, _, _)| all_chars.get(a..b).unwrap_or(&[]))
            .collect();
        let starts: Vec<usize> = ranges
            .iter()
            .enumerate()
            .map(|(k, &(a, _, _, _))| a + k)
            .collect();
        let splits: Vec<sentences::Split> = para_chars
            .iter()
            .zip(&ranges)
            .map(|(chars, &(_, _, m, n))| {
                let para_marked = marked.get(m..n).unwrap_or(&[]);
                sentences::split_marked(chars, para_marked, self.quote_max_chars)
            })
            .collect();

        // Sections.
        let views: Vec<ParaView<'_>> = doc
            .paragraphs
            .iter()
            .zip(&para_chars)
            .zip(starts.iter().zip(&splits))
            .zip(&ranges)
            .map(
                |(((text, chars), (&start, split)), &(_, _, m, n))| ParaView {
                    text,
                    chars,
                    marked: marked.get(m..n).unwrap_or(&[]),
                    start,
                    split,
                },
            )
            .collect();
        let sections = self.sections.detect(&views);
        drop(views);
        let index = SectionIndex::new(&sections);
        clock.lap(|p| &mut p.structure);

        // Paragraphs, sentences, tokens, numbers.
        let n_sentences: usize = splits.iter().map(|s| s.sentences.len()).sum();
        let mut paragraphs = Vec::with_capacity(doc.paragraphs.len());
        let mut sentence_rows = Vec::with_capacity(n_sentences);
        let mut token_rows: Vec<Token> = Vec::with_capacity(n_bytes / 4);
        let mut token_ranges: Vec<(usize, usize)> = Vec::with_capacity(n_sentences);
        let mut numbers = Vec::new();
        // Keyword candidates, counted as the rows are built (dropped if a paragraph has to be
        // tagged again, whose rows were counted already).
        let mut terms = count_terms.then(|| TermCounter::new(&self.keywords, n_bytes / 4));
        // jieba first, once per paragraph and all paragraphs in a row (its tables stay in
        // cache), building the token rows straight away; then, in the same pass, the tokens
        // are dealt out to the sentences (`token_ranges`: each sentence's range of rows, with
        // `sent_idx`, `tok_idx` and document offsets set). jieba's blocks never cross a
        // sentence end, so these are the tokens of the sentences; a paragraph where a token
        // does cross is tagged again sentence by sentence.
        let mut n_sentences_seen = 0usize;
        let mut tagged_paragraphs = tagged.map(|t| t.paragraphs.into_iter());
        for (((text, chars), split), &start) in doc
            .paragraphs
            .iter()
            .zip(&para_chars)
            .zip(&splits)
            .zip(&starts)
        {
            let first = token_rows.len();
            let first_sentence = token_ranges.len();
            match tagged_paragraphs.as_mut().and_then(Iterator::next) {
                Some(words) if words.fits(text) => {
                    self.tokenizer
                        .rows_from_tags(text, &words, &mut token_rows, terms.as_mut())
                }
                _ => self
                    .tokenizer
                    .tokenize_into(text, &mut token_rows, terms.as_mut(), clock),
            }
            let para_tokens = token_rows.get_mut(first..).unwrap_or(&mut []);
            let fits = !para_tokens.is_empty() || chars.is_empty();
            let fits = fits
                && deal(
                    para_tokens,
                    first,
                    &split.sentences,
                    start,
                    n_sentences_seen,
                    &mut token_ranges,
                );
            if !fits {
                terms = None;
                token_rows.truncate(first);
                token_ranges.truncate(first_sentence);
                self.tag_sentences(
                    text,
                    &split.sentences,
                    (start, n_sentences_seen),
                    &mut token_rows,
                    &mut token_ranges,
                    clock,
                );
            }
            n_sentences_seen += split.sentences.len();
        }
        clock.lap(|p| &mut p.tokens);
        // Each sentence's characters, handed to the entity recogniser (no second decoding).
        let mut sentence_chars: Vec<&[char]> = Vec::with_capacity(n_sentences);
        for (para_idx, (((text, chars), (&start, split)), &(_, _, m, n))) in doc
            .paragraphs
            .iter()
            .zip(&para_chars)
            .zip(starts.iter().zip(&splits))
            .zip(&ranges)
            .enumerate()
        {
            paragraphs.push(Paragraph {
                para_idx,
                section_id: index.section_at(start),
                span: Span::new(start, start + chars.len()),
                text: text.clone(),
            });
            // Sentence ends as byte offsets, from the positions of the characters that are
            // not plain Han (the others take three bytes each).
            let mut bytes = sentences::ByteOffsets::new(chars, marked.get(m..n).unwrap_or(&[]));
            let mut byte_end = 0usize;
            for &(s, e) in &split.sentences {
                let sent_idx = sentence_rows.len();
                let sent_chars = chars.get(s..e).unwrap_or(&[]);
                sentence_chars.push(sent_chars);
                let byte_start = byte_end;
                byte_end = bytes.at(e);
                let sent_text = text.get(byte_start..byte_end).unwrap_or("");
                let sent_start = start + s;
                let section_id = index.section_at(sent_start);
                clock.lap(|p| &mut p.structure);
                for mut m in self.numbers.extract_chars(sent_chars) {
                    m.span = m.span.shifted(sent_start);
                    m.sent_idx = sent_idx;
                    m.section_id = index.section_at(m.span.start);
                    numbers.push(m);
                }
                clock.lap(|p| &mut p.numbers);
                sentence_rows.push(Sentence {
                    sent_idx,
                    para_idx,
                    section_id,
                    span: Span::new(sent_start, start + e),
                    text: sent_text.to_string(),
                });
            }
        }
        clock.lap(|p| &mut p.structure);
        numbers.sort_by_key(|m| (m.span.start, m.span.end));
        clock.lap(|p| &mut p.numbers);

        // Entities, once per document.
        let views: Vec<SentenceView<'_>> = sentence_rows
            .iter()
            .zip(&token_ranges)
            .zip(&sentence_chars)
            .map(|((s, &(a, b)), &chars)| SentenceView {
                sent_idx: s.sent_idx,
                start: s.span.start,
                text: &s.text,
                tokens: token_rows.get(a..b).unwrap_or(&[]),
                chars: Some(chars),
            })
            .collect();
        let mut entities = self.entities.recognize(&views);
        drop(views);
        drop(sentence_chars);
        for e in &mut entities {
            e.section_id = index.section_at(e.span.start);
        }
        entities.sort_by_key(|e| (e.span.start, e.span.end));
        clock.lap(|p| &mut p.entities);

        let terms = terms.map(|t| t.finish(&token_rows));
        let out = SegmentedDoc {
            doc,
            paragraphs,
            sentences: sentence_rows,
            sections,
            tokens: token_rows,
            entities,
            numbers,
        };
        (out, terms)
    }

    /// Tags each of `sentences` of one paragraph alone, appending their token rows to
    /// `tokens` (with `sent_idx`, `tok_idx` and document offsets set, the paragraph starting
    /// at document offset `para_start` and its first sentence being `first_sent_idx`) and
    /// each sentence's range of rows to `ranges`: the fallback for a paragraph where a token
    /// of paragraph tagging crosses a sentence end.
    fn tag_sentences(
        &self,
        text: &str,
        sentences: &[(usize, usize)],
        (para_start, first_sent_idx): (usize, usize),
        tokens: &mut Vec<Token>,
        ranges: &mut Vec<(usize, usize)>,
        clock: &mut Clock<'_>,
    ) {
        for (k, &(s, e)) in sentences.iter().enumerate() {
            let sent_text = gongwen_model::slice_chars(text, Span::new(s, e));
            let sent_first = tokens.len();
            self.tokenizer.tokenize_into(sent_text, tokens, None, clock);
            let sent_tokens = tokens.get_mut(sent_first..).unwrap_or(&mut []);
            for (tok_idx, t) in sent_tokens.iter_mut().enumerate() {
                t.sent_idx = first_sent_idx + k;
                t.tok_idx = tok_idx;
                t.span = t.span.shifted(para_start + s);
            }
            ranges.push((sent_first, tokens.len()));
        }
    }

    /// Keyword candidates of one document with their counts (stop words, single characters,
    /// numbers, punctuation and excluded POS left out), the `keyword_max_candidates` most
    /// frequent, sorted by count (descending) then word. The driver sums document frequencies
    /// over the run and calls [`Segmenter::rank_keywords`] at the end.
    pub fn term_counts(&self, doc: &SegmentedDoc) -> Vec<(String, u32)> {
        self.keywords.term_counts(&doc.tokens)
    }

    /// The top `top_k` keywords of a document by TF-IDF, given its term counts, each term's
    /// document frequency over the run, and the number of documents in the run. Weight =
    /// (count / total count of the document's candidates) × (ln((1 + n_docs) / (1 + df)) + 1);
    /// ties are broken by word, so the result is deterministic. `doc_freq` may use any
    /// hasher.
    pub fn rank_keywords<S: std::hash::BuildHasher>(
        &self,
        terms: &[(String, u32)],
        doc_freq: &HashMap<String, u32, S>,
        n_docs: usize,
        top_k: usize,
    ) -> Vec<Keyword> {
        keywords::rank(terms, doc_freq, n_docs, top_k)
    }
}

/// Deals the token rows of one paragraph (`tokens`, spans relative to the paragraph, the
/// first being row `first` of the document) out to its `sentences` (which tile the paragraph
/// in order): appends each sentence's range of rows to `ranges` and sets each row's
/// `sent_idx` (the paragraph's first sentence being `first_sent_idx`), `tok_idx` and document
/// span (the paragraph starting at `para_start`). Returns whether every token lies inside one
/// sentence; when not, the rows and `ranges` are half done and must be thrown away.
fn deal(
    tokens: &mut [Token],
    first: usize,
    sentences: &[(usize, usize)],
    para_start: usize,
    first_sent_idx: usize,
    ranges: &mut Vec<(usize, usize)>,
) -> bool {
    let mut k = 0usize;
    for (sent, &(s, e)) in sentences.iter().enumerate() {
        let a = k;
        while let Some(t) = tokens.get_mut(k).filter(|t| t.span.end <= e) {
            if t.span.start < s {
                return false;
            }
            t.sent_idx = first_sent_idx + sent;
            t.tok_idx = k - a;
            t.span = t.span.shifted(para_start);
            k += 1;
        }
        ranges.push((first + a, first + k));
    }
    // A token left over crosses the last sentence end.
    k == tokens.len()
}

/// Non-empty, non-comment lines of a word list, trimmed.
fn word_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gongwen_model::CompactString;

    /// The segmenter of the default config with the bundled rules.
    fn default_segmenter() -> Segmenter {
        let built = Segmenter::build(
            &SegmentConfig::default(),
            &NumbersConfig::default(),
            &EntitiesConfig::default(),
            Path::new("."),
        );
        let Ok(segmenter) = built else {
            panic!("segmenter builds");
        };
        segmenter
    }

    fn raw(start: usize, end: usize) -> Token {
        Token {
            sent_idx: 0,
            tok_idx: 0,
            word: CompactString::default(),
            pos: CompactString::from("x"),
            span: Span::new(start, end),
        }
    }

    #[test]
    fn tokens_are_dealt_out_only_when_no_token_crosses_a_sentence_end() {
        let sentences = [(0, 3), (3, 5)];
        let deal_all = |tokens: &[Token]| {
            let mut tokens = tokens.to_vec();
            let mut ranges = Vec::new();
            deal(&mut tokens, 0, &sentences, 0, 0, &mut ranges).then_some(ranges)
        };
        assert_eq!(
            deal_all(&[raw(0, 2), raw(2, 3), raw(3, 5)]),
            Some(vec![(0, 2), (2, 3)])
        );
        assert_eq!(deal_all(&[raw(0, 2), raw(2, 4), raw(4, 5)]), None);
        assert_eq!(deal_all(&[raw(0, 3), raw(3, 6)]), None);
        assert_eq!(deal_all(&[raw(0, 5)]), None);
        assert_eq!(deal_all(&[]), Some(vec![(0, 0), (0, 0)]));
        // Rows are numbered from `first`; sentences, positions and offsets are set.
        let mut ranges = Vec::new();
        let mut tokens = [raw(0, 3), raw(3, 4), raw(4, 5)];
        assert!(deal(&mut tokens, 7, &sentences, 100, 20, &mut ranges));
        assert_eq!(ranges, vec![(7, 8), (8, 10)]);
        let got: Vec<(usize, usize, Span)> = tokens
            .iter()
            .map(|t| (t.sent_idx, t.tok_idx, t.span))
            .collect();
        assert_eq!(
            got,
            vec![
                (20, 0, Span::new(100, 103)),
                (21, 0, Span::new(103, 104)),
                (21, 1, Span::new(104, 105))
            ]
        );
    }

    /// Tagging a paragraph at once must give exactly the tokens of tagging each sentence.
    #[test]
    fn paragraph_tagging_gives_the_tokens_of_sentence_tagging() {
        let segmenter = default_segmenter();
        let doc = CleanDoc {
            paragraphs: vec![
                "他说：“要干！”。然后走了 好吗?是的;a;b 3.5%的增长……结束".into(),
                "版本v1.2;v2.0!OK?“引号。”　全角空格。  两个空格。X亿元；ab-cd".into(),
                "（注：数据未审计。）合计三项。\"ASCII引号。\"完".into(),
            ],
            ..Default::default()
        };
        let out = segmenter.segment(doc);
        let mut clock = Clock::off();
        for sentence in &out.sentences {
            let mut expected = Vec::new();
            segmenter
                .tokenizer
                .tokenize_into(&sentence.text, &mut expected, None, &mut clock);
            let got: Vec<(usize, usize, &str, &str)> = out
                .tokens
                .iter()
                .filter(|t| t.sent_idx == sentence.sent_idx)
                .map(|t| (t.span.start, t.span.end, t.word.as_str(), t.pos.as_str()))
                .collect();
            let expected: Vec<(usize, usize, &str, &str)> = expected
                .iter()
                .map(|t| {
                    let start = sentence.span.start;
                    let span = t.span.shifted(start);
                    (span.start, span.end, t.word.as_str(), t.pos.as_str())
                })
                .collect();
            assert_eq!(got, expected, "{:?}", sentence.text);
        }
    }

    /// The fallback (tagging sentence by sentence) gives the tokens of paragraph tagging.
    #[test]
    fn sentence_fallback_gives_the_tokens_of_paragraph_tagging() {
        let segmenter = default_segmenter();
        let mut clock = Clock::off();
        for text in [
            "他说：“要干！”。然后走了 好吗?是的;a;b 3.5%的增长……结束",
            "版本v1.2;v2.0!OK?“引号。”　全角空格。  两个空格。X亿元；ab-cd",
            "（注：数据未审计。）合计三项。\"ASCII引号。\"完",
        ] {
            let chars: Vec<char> = text.chars().collect();
            let split = sentences::split(&chars, 200);
            let (mut whole, mut whole_ranges) = (Vec::new(), Vec::new());
            segmenter
                .tokenizer
                .tokenize_into(text, &mut whole, None, &mut clock);
            assert!(
                deal(&mut whole, 0, &split.sentences, 10, 3, &mut whole_ranges),
                "{text:?}"
            );
            let (mut alone, mut alone_ranges) = (Vec::new(), Vec::new());
            segmenter.tag_sentences(
                text,
                &split.sentences,
                (10, 3),
                &mut alone,
                &mut alone_ranges,
                &mut clock,
            );
            assert_eq!(alone, whole, "{text:?}");
            assert_eq!(alone_ranges, whole_ranges, "{text:?}");
        }
    }

    /// Counting keyword candidates while the rows are built gives the counts of the rows.
    #[test]
    fn counting_on_the_way_gives_the_term_counts_of_the_rows() {
        let segmenter = default_segmenter();
        let doc = CleanDoc {
            paragraphs: vec![
                "中华人民共和国全国人民代表大会常务委员会在北京召开会议。我们要推动高质量发展！".into(),
                "一、营商环境持续优化".into(),
                "他说：“要干！”。然后走了 好吗?是的;a;b 3.5%的增长……结束 GDP增长5G网络".into(),
                "版本v1.2;v2.0!OK?“引号。”　全角空格。  两个空格。X亿元；ab-cd 三万 一二三".into(),
                "营商环境、高质量发展、新旧动能转换，营商环境。Internationalization与中华人民共和国".into(),
            ],
            ..Default::default()
        };
        let (out, terms) = segmenter.segment_and_count(doc.clone());
        assert_eq!(out, segmenter.segment(doc));
        assert_eq!(terms, segmenter.term_counts(&out));
        assert!(terms.iter().any(|(w, _)| w == "营商环境"), "{terms:?}");
        assert!(terms.iter().any(|(w, _)| w.len() > 15), "{terms:?}");
        let empty = segmenter.segment_and_count(CleanDoc::default());
        assert_eq!(empty.1, Vec::new());
    }

    /// Tagging first and segmenting later gives what segmenting at once gives; words tagged
    /// from another document are not used.
    #[test]
    fn tagging_first_gives_the_same_output() {
        let segmenter = default_segmenter();
        let doc = CleanDoc {
            paragraphs: vec![
                "一、营商环境持续优化。我们要推动高质量发展！".into(),
                "他说：“要干！”。然后走了 好吗?是的;a;b 3.5%的增长……结束 GDP增长5G网络".into(),
                "版本v1.2;v2.0!OK?“引号。”　全角空格。Internationalization与中华人民共和国".into(),
                String::new(),
            ],
            ..Default::default()
        };
        let at_once = segmenter.segment_and_count(doc.clone());
        let tagged = segmenter.tag(&doc);
        assert_eq!(
            segmenter.segment_tagged_and_count(doc.clone(), tagged),
            at_once
        );
        let other = CleanDoc {
            paragraphs: vec!["另一篇文章。".into()],
            ..Default::default()
        };
        let wrong = segmenter.tag(&other);
        assert_eq!(
            segmenter.segment_tagged_and_count(doc.clone(), wrong),
            at_once
        );
        let none = segmenter.tag(&CleanDoc::default());
        assert_eq!(segmenter.segment_tagged_and_count(doc, none), at_once);
    }

    #[test]
    fn segmenter_is_shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Segmenter>();
    }

    #[test]
    fn default_config_is_valid_and_matches_serde_defaults() {
        let from_empty: SegmentConfig =
            serde_json::from_str("{}").unwrap_or_else(|_| SegmentConfig {
                hmm: false,
                ..SegmentConfig::default()
            });
        assert_eq!(from_empty, SegmentConfig::default());
        assert!(SegmentConfig::default().validate(Path::new(".")).is_empty());
    }

    #[test]
    fn validate_reports_every_problem_with_its_path() {
        let config = SegmentConfig {
            user_dicts: vec!["no/such/dict.txt".into()],
            stopword_files: vec!["no/such/stop.txt".into()],
            keyword_min_chars: 0,
            keyword_excluded_pos: vec!["n v".into()],
            ..SegmentConfig::default()
        };
        let paths: Vec<String> = config
            .validate(Path::new("/nonexistent"))
            .into_iter()
            .map(|p| p.path)
            .collect();
        assert_eq!(
            paths,
            vec![
                "segment.user_dicts[0]",
                "segment.stopword_files[0]",
                "segment.keyword_min_chars",
                "segment.keyword_excluded_pos[0]"
            ]
        );
    }
}

/// Where the time of [`Segmenter::segment_profiled`] calls went, summed over calls.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SegmentProfile {
    /// Sentence splitting, section detection, paragraph and sentence rows.
    pub structure: Duration,
    /// jieba's `tag` calls.
    pub jieba: Duration,
    /// Turning jieba's tags into token rows.
    pub tokens: Duration,
    /// Number extraction, with offsets and sections set.
    pub numbers: Duration,
    /// Entity recognition, with sections set.
    pub entities: Duration,
}

impl SegmentProfile {
    /// Sum of the parts.
    pub fn total(&self) -> Duration {
        self.structure + self.jieba + self.tokens + self.numbers + self.entities
    }
}

/// jieba's words of each paragraph of one document (see [`Segmenter::tag`]).
#[derive(Debug, Default)]
pub struct Tagged {
    paragraphs: Vec<tokens::TaggedText>,
}

/// Charges elapsed time to the parts of a [`SegmentProfile`]; does nothing when off.
pub(crate) struct Clock<'a> {
    profile: Option<&'a mut SegmentProfile>,
    last: Option<Instant>,
}

impl<'a> Clock<'a> {
    /// A clock that measures nothing (the normal path).
    pub(crate) fn off() -> Self {
        Clock {
            profile: None,
            last: None,
        }
    }

    /// A clock adding to `profile`, started now.
    fn on(profile: &'a mut SegmentProfile) -> Self {
        Clock {
            profile: Some(profile),
            last: Some(Instant::now()),
        }
    }

    /// Charges the time since the previous lap to `part`.
    pub(crate) fn lap(&mut self, part: fn(&mut SegmentProfile) -> &mut Duration) {
        if let Some(profile) = self.profile.as_deref_mut() {
            let now = Instant::now();
            if let Some(last) = self.last {
                *part(profile) += now.saturating_duration_since(last);
            }
            self.last = Some(now);
        }
    }
}
