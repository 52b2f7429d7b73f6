//! Entities: people with titles, places, organisations and quoted slogans.
//!
//! Input: one document's sentences as segment produced them (text, document offset, jieba
//! tokens with POS). Output: [`Entity`] mentions with document-relative character spans,
//! in order, `section_id` left `None` (segment fills it).
//!
//! - **PER**: names after a title chain from a data table (`市委副书记、市长某某`,
//!   `记者 甲乙 丙丁`), names jieba tags `nr` (checked against a surname list), with a title
//!   written right after them (`某某总书记`); a name seen once with a title keeps it at its
//!   other mentions in the document.
//! - **LOC**: the divisions gazetteer (full names and derived short forms), a list of
//!   countries, regions and rivers, and place suffixes (…流域, …经济区, …机场, …大道).
//! - **ORG**: a list of well-known organisations and generic bodies, department
//!   abbreviations after a level or place (`市发改委`), organisation suffixes (…集团,
//!   …有限公司, …日报, …学院), items of a `…等企业` list.
//! - **TERM**: quoted slogans and programmes of at most `max_term_chars` characters; not
//!   quoted speech.
//!
//! Overlapping candidates are resolved to the longest span, so an entity inside another is
//! reported only where it stands alone. Mentions with a redaction placeholder (`X集团`) are
//! dropped unless `keep_redacted` is set (then flagged `redacted`).
//!
//! It does NOT tokenize (segment runs jieba and passes the tokens), assign sections, count
//! mentions (tabulate does), or read `../shared/`. All rules and word lists are data files
//! under `data/entities/` and `data/divisions/`, embedded at compile time; config may add
//! files.

mod lexicon;
mod recognize;
mod trie;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use gongwen_model::{ConfigProblem, Entity, EntityType, Span, Token};
use serde::Deserialize;

use crate::lexicon::{builtin, list_lines, list_words, Kind, KindSet, Lexicon, LexiconBuilder};
use crate::recognize::{
    is_name_tag, is_odd_width, resolve, sent_flags, sentence_candidates, ByteMap, Cand,
    RuleSettings, SentBuffers, SentChars, SentCtx,
};
use crate::trie::{keep_standard_matches, CharTrie};
use rustc_hash::FxHashMap;

/// `[entities]` section of pipeline.toml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntitiesConfig {
    /// Extra place files (one name per line or space-separated, `#` comments), added to
    /// the built-in gazetteer and places list. Default: none.
    #[serde(default)]
    pub extra_places: Vec<PathBuf>,
    /// Extra organisation files (same format). Default: none.
    #[serde(default)]
    pub extra_organisations: Vec<PathBuf>,
    /// Extra title files (same format), added to `data/entities/titles.txt`. Default: none.
    #[serde(default)]
    pub extra_titles: Vec<PathBuf>,
    /// Extra surname files (same format). Default: none.
    #[serde(default)]
    pub extra_surnames: Vec<PathBuf>,
    /// Longest quoted term, in characters (longer quotes are speech). Default: 16.
    #[serde(default = "default_max_term_chars")]
    pub max_term_chars: usize,
    /// Shortest quoted term, in characters. Default: 2.
    #[serde(default = "default_min_term_chars")]
    pub min_term_chars: usize,
    /// Longest name built from a suffix and the words before it, in characters. Default: 20.
    #[serde(default = "default_max_name_chars")]
    pub max_name_chars: usize,
    /// Accept names jieba tags `nr` even without a title next to them. Default: true.
    #[serde(default = "default_true")]
    pub person_from_pos: bool,
    /// Give a name seen with a title that title at its other mentions. Default: true.
    #[serde(default = "default_true")]
    pub propagate_titles: bool,
    /// Emit mentions containing a redaction placeholder (flagged `redacted`) instead of
    /// dropping them. Default: false.
    #[serde(default)]
    pub keep_redacted: bool,
}

fn default_max_term_chars() -> usize {
    16
}

fn default_min_term_chars() -> usize {
    2
}

fn default_max_name_chars() -> usize {
    20
}

fn default_true() -> bool {
    true
}

impl Default for EntitiesConfig {
    fn default() -> Self {
        EntitiesConfig {
            extra_places: Vec::new(),
            extra_organisations: Vec::new(),
            extra_titles: Vec::new(),
            extra_surnames: Vec::new(),
            max_term_chars: default_max_term_chars(),
            min_term_chars: default_min_term_chars(),
            max_name_chars: default_max_name_chars(),
            person_from_pos: true,
            propagate_titles: true,
            keep_redacted: false,
        }
    }
}

impl EntitiesConfig {
    /// Every problem with this section, each with its TOML path.
    pub fn validate(&self, base_dir: &Path) -> Vec<ConfigProblem> {
        let mut problems = Vec::new();
        for (key, files) in [
            ("extra_places", &self.extra_places),
            ("extra_organisations", &self.extra_organisations),
            ("extra_titles", &self.extra_titles),
            ("extra_surnames", &self.extra_surnames),
        ] {
            for (i, file) in files.iter().enumerate() {
                let path = base_dir.join(file);
                if !path.is_file() {
                    problems.push(ConfigProblem::new(
                        format!("entities.{key}[{i}]"),
                        format!("file {:?} does not exist", path.display().to_string()),
                    ));
                }
            }
        }
        if !(1..=200).contains(&self.max_term_chars) {
            problems.push(ConfigProblem::new(
                "entities.max_term_chars",
                format!("must be between 1 and 200, got {}", self.max_term_chars),
            ));
        }
        if self.min_term_chars == 0 || self.min_term_chars > self.max_term_chars {
            problems.push(ConfigProblem::new(
                "entities.min_term_chars",
                format!(
                    "must be between 1 and max_term_chars ({}), got {}",
                    self.max_term_chars, self.min_term_chars
                ),
            ));
        }
        if !(2..=100).contains(&self.max_name_chars) {
            problems.push(ConfigProblem::new(
                "entities.max_name_chars",
                format!("must be between 2 and 100, got {}", self.max_name_chars),
            ));
        }
        problems
    }
}

/// Errors building the recogniser.
#[derive(Debug, thiserror::Error)]
pub enum EntitiesError {
    /// The config is invalid.
    #[error("invalid [entities] config: {0:?}")]
    Config(Vec<ConfigProblem>),
    /// An extra word-list file could not be read.
    #[error("cannot read entities file {path:?}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A data file is malformed.
    #[error("bad entities data {file:?}: {message}")]
    Data {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// One sentence as the recogniser sees it.
#[derive(Debug, Clone, Copy)]
pub struct SentenceView<'a> {
    /// The sentence's index in the document.
    pub sent_idx: usize,
    /// Character offset of the sentence in the document's clean text.
    pub start: usize,
    /// The sentence text.
    pub text: &'a str,
    /// Its tokens, with spans relative to the document (like `start`).
    pub tokens: &'a [Token],
    /// Its characters (`text.chars()`), when the caller has decoded them already (segment
    /// has): the recogniser then takes them instead of decoding `text` once more. `None`:
    /// the recogniser decodes `text`.
    pub chars: Option<&'a [char]>,
}

/// A word the tokenizer should keep whole (gazetteer names, titles), with an optional POS tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DictWord {
    /// The word.
    pub word: String,
    /// jieba POS tag to give it (`ns`, `nt`, `nr`…), if any.
    pub pos: Option<String>,
}

/// The built recogniser: immutable, `Sync`, shared by all worker threads.
#[derive(Debug)]
pub struct EntityRecognizer {
    lexicon: Lexicon,
    settings: RuleSettings,
    propagate_titles: bool,
    keep_redacted: bool,
}

fn read_extra(base_dir: &Path, file: &Path) -> Result<String, EntitiesError> {
    let path = base_dir.join(file);
    std::fs::read_to_string(&path).map_err(|source| EntitiesError::Io {
        path: path.display().to_string(),
        source,
    })
}

impl EntityRecognizer {
    /// Validates the config and loads gazetteers and title lists.
    pub fn build(
        config: &EntitiesConfig,
        base_dir: &Path,
    ) -> Result<EntityRecognizer, EntitiesError> {
        let problems = config.validate(base_dir);
        if !problems.is_empty() {
            return Err(EntitiesError::Config(problems));
        }
        let mut b = LexiconBuilder::default();
        b.ambiguous_short_forms = list_words(builtin::AMBIGUOUS_SHORT_FORMS)
            .map(str::to_string)
            .collect();
        for (words, kind) in list_lines(builtin::STOPWORDS) {
            let set = if kind == Some("generic") {
                &mut b.generic_modifiers
            } else {
                &mut b.stopwords
            };
            set.extend(words.iter().map(|w| w.to_string()));
        }
        b.person_cues = list_words(builtin::PERSON_CUES)
            .map(str::to_string)
            .collect();
        b.person_cues
            .sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
        b.person_stopwords = list_words(builtin::PERSON_STOPWORDS)
            .map(str::to_string)
            .collect();
        b.surnames = list_words(builtin::SURNAMES).map(str::to_string).collect();
        for (words, kind) in list_lines(builtin::TERM_RULES) {
            match kind {
                Some("speech") => b.speech_verbs.extend(words.iter().map(|w| w.to_string())),
                Some("figurative") => b.figurative.extend(words.iter().map(|w| w.to_string())),
                Some("role") => b.role_verbs.extend(words.iter().map(|w| w.to_string())),
                other => {
                    return Err(EntitiesError::Data {
                        file: "term_rules.txt".into(),
                        message: format!("unknown kind {other:?}"),
                    })
                }
            }
        }
        // Longest speech verbs first so 说道 is tried before 道.
        b.speech_verbs
            .sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
        b.role_verbs
            .sort_by_key(|v| std::cmp::Reverse(v.chars().count()));
        for (name, text) in [
            ("provinces.csv", builtin::PROVINCES),
            ("cities.csv", builtin::CITIES),
            ("areas.csv", builtin::AREAS),
        ] {
            b.add_divisions_csv(text).map_err(|e| EntitiesError::Data {
                file: name.into(),
                message: e.to_string(),
            })?;
        }
        b.add_list(builtin::PLACES, Kind::Place);
        b.add_list(builtin::ORGANISATIONS, Kind::Org);
        b.add_list(builtin::FIXED_PHRASES, Kind::FixedPhrase);
        b.add_list(builtin::GENERIC_BODIES, Kind::GenericBody);
        b.add_list(builtin::BODY_ABBREVIATIONS, Kind::BodyAbbrev);
        b.add_list(builtin::TITLES, Kind::Title);
        b.add_list(builtin::TITLE_PREFIXES, Kind::TitlePrefix);
        b.add_org_suffixes(builtin::ORG_SUFFIXES);
        b.add_loc_suffixes(builtin::LOC_SUFFIXES);
        for file in &config.extra_places {
            b.add_list(&read_extra(base_dir, file)?, Kind::Place);
        }
        for file in &config.extra_organisations {
            b.add_list(&read_extra(base_dir, file)?, Kind::Org);
        }
        for file in &config.extra_titles {
            b.add_list(&read_extra(base_dir, file)?, Kind::Title);
        }
        for file in &config.extra_surnames {
            let text = read_extra(base_dir, file)?;
            b.surnames.extend(list_words(&text).map(str::to_string));
        }
        let lexicon = b.build();
        Ok(EntityRecognizer {
            lexicon,
            settings: RuleSettings {
                max_term_chars: config.max_term_chars,
                min_term_chars: config.min_term_chars,
                max_name_chars: config.max_name_chars,
                person_from_pos: config.person_from_pos,
            },
            propagate_titles: config.propagate_titles,
            keep_redacted: config.keep_redacted,
        })
    }

    /// Words the tokenizer should add to its dictionary so names are not cut: places and
    /// their unambiguous short forms (`ns`), organisations and bodies (`nt`), titles (`n`)
    /// and multi-character organisation suffixes (no tag). Sorted, no duplicates.
    pub fn dictionary_words(&self) -> Vec<DictWord> {
        let mut words: Vec<DictWord> = Vec::new();
        for (pattern, info) in self.lexicon.patterns.iter().zip(&self.lexicon.info) {
            if pattern.chars().count() < 2 || pattern.chars().any(char::is_whitespace) {
                continue;
            }
            let kinds = info.kinds;
            let pos = if kinds.meets(KindSet::ANY_PLACE) {
                Some("ns")
            } else if kinds.meets(
                KindSet::ORG
                    .or(KindSet::GENERIC_BODY)
                    .or(KindSet::BODY_ABBREV),
            ) {
                Some("nt")
            } else if kinds.meets(
                KindSet::TITLE
                    .or(KindSet::ORG_SUFFIX)
                    .or(KindSet::LOC_SUFFIX),
            ) {
                Some("n")
            } else {
                continue;
            };
            words.push(DictWord {
                word: pattern.clone(),
                pos: pos.map(str::to_string),
            });
        }
        words
    }

    /// Every entity mention in a document's sentences, in order. Spans are relative to the
    /// document; `section_id` is `None` (segment fills it).
    pub fn recognize(&self, sentences: &[SentenceView<'_>]) -> Vec<Entity> {
        // The thread's buffers, taken for this document and given back after it (a fresh
        // set if the thread is shutting down).
        let mut scratch = SCRATCH.try_with(RefCell::take).unwrap_or_default();
        let out = self.recognize_with(sentences, &mut scratch);
        // A huge document's buffers are not kept (a thread would hold them for good).
        if scratch.doc.chars.capacity() <= MAX_KEPT_CHARS {
            let _ = SCRATCH.try_with(|s| s.replace(scratch));
        }
        out
    }

    /// [`EntityRecognizer::recognize`] with the buffers of `scratch`.
    fn recognize_with(&self, sentences: &[SentenceView<'_>], scratch: &mut Scratch) -> Vec<Entity> {
        let lex = &self.lexicon;
        let Scratch {
            doc,
            sent,
            cands,
            sent_cands,
            counts,
            taken,
        } = scratch;
        doc.fill(sentences);
        let doc = &*doc;
        cands.clear();
        sent_cands.clear();
        counts.clear();
        // One sentence context, reused for every sentence.
        let mut ctx = SentCtx::with_buffers(std::mem::take(sent));
        // Every sentence's candidates go into `cands`, one sentence after the other; for
        // each sentence, `counts` has how many it has and its length in characters.
        let mut names = PropagatedNames::default();
        for (i, s) in sentences.iter().enumerate() {
            let decoded = doc.sentence(i, s.chars);
            let (chars, flags) = (decoded.chars, decoded.flags);
            ctx.set_sentence(s.text, decoded);
            ctx.find_hits(lex);
            if ctx.hits.is_empty() && !self.may_find_without_hits(flags, chars, s.tokens) {
                // No rule can find anything: the tokens are not even read.
                counts.push((0, chars.len()));
                continue;
            }
            ctx.set_tokens(s.tokens, s.start);
            sentence_candidates(lex, &ctx, &self.settings, sent_cands);
            if self.propagate_titles {
                names.collect(&ctx, sent_cands);
            }
            counts.push((sent_cands.len(), ctx.len()));
            cands.append(sent_cands);
        }
        // Candidates at other mentions of the names, as (sentence index, candidate).
        let mut propagated: Vec<(usize, Cand)> = Vec::new();
        if self.propagate_titles {
            names.propagate(sentences, doc, &mut ctx, &mut propagated);
        }
        *sent = ctx.into_buffers();
        let mut propagated = propagated.into_iter().peekable();
        let mut cands = cands.drain(..);
        let mut out = Vec::new();
        for (i, (s, &(count, n))) in sentences.iter().zip(counts.iter()).enumerate() {
            sent_cands.clear();
            sent_cands.extend(cands.by_ref().take(count));
            while let Some((_, c)) = propagated.next_if(|(k, _)| *k == i) {
                sent_cands.push(c);
            }
            if sent_cands.is_empty() {
                continue;
            }
            resolve(sent_cands, n, taken);
            let SentChars { chars, bytes, .. } = doc.sentence(i, s.chars);
            // The byte offset of character `k` of the sentence (its length at the end).
            let byte = |k: usize| {
                if k < chars.len() {
                    bytes.at(k)
                } else {
                    s.text.len()
                }
            };
            for c in sent_cands.drain(..) {
                let Some(ty) = c.ty else { continue };
                if c.redacted && !self.keep_redacted {
                    continue;
                }
                out.push(Entity {
                    sent_idx: s.sent_idx,
                    section_id: None,
                    span: Span::new(s.start + c.start, s.start + c.end),
                    text: s
                        .text
                        .get(byte(c.start)..byte(c.end))
                        .unwrap_or("")
                        .to_string(),
                    entity_type: ty,
                    title: if ty == EntityType::Per { c.title } else { None },
                    redacted: c.redacted,
                });
            }
        }
        out
    }

    /// False when a sentence without lexicon hits surely has no candidate: no opening
    /// quote (terms), no 等 (company lists), and no token tagged as a name (`nr`) that a
    /// cue could follow — every other rule starts from a lexicon hit, and without one a
    /// name tagged `nr` needs a cue (说, 表示…) right after it, whose first character
    /// must then be in the sentence. `flags` are what the decoding noticed in `chars`.
    /// The characters are tested before the tokens are read: they are in the cache, the
    /// tokens (80 bytes each) are not.
    fn may_find_without_hits(&self, flags: u8, chars: &[char], tokens: &[Token]) -> bool {
        if flags & (sent_flags::QUOTE | sent_flags::DENG) != 0 {
            return true;
        }
        self.settings.person_from_pos
            && chars.iter().any(|&c| self.lexicon.cue_first.may_contain(c))
            && tokens.iter().any(|t| is_name_tag(&t.pos))
    }
}

/// Buffers for documents of up to this many characters are kept for the next document.
const MAX_KEPT_CHARS: usize = 1 << 20;

thread_local! {
    /// Each thread's buffers, reused from one document to the next.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The buffers of one [`EntityRecognizer::recognize`] call; none of them holds anything
/// from one document to the next, only their capacity.
#[derive(Default)]
struct Scratch {
    doc: DocChars,
    sent: SentBuffers,
    /// Candidates of all the sentences, one sentence after the other.
    cands: Vec<Cand>,
    /// One sentence's candidates.
    sent_cands: Vec<Cand>,
    /// For each sentence: how many candidates it has in `cands`, its length in characters.
    counts: Vec<(usize, usize)>,
    /// Resolution's scratch buffer.
    taken: Vec<bool>,
}

/// A document's characters, decoded once: the lexicon, the rules and the search for
/// propagated names all read them. The characters a caller gave (`SentenceView::chars`)
/// stay where they are; only the others are decoded into `chars`.
#[derive(Default)]
struct DocChars {
    /// The characters of the sentences that were not given, decoded.
    chars: Vec<char>,
    /// The characters that do not take three bytes, for the byte offsets ([`ByteMap`]):
    /// (index in the sentence, byte offset after it in the sentence's text).
    odd: Vec<(u32, u32)>,
    /// Sentence `i` has `chars[at[i]..at[i + 1]]`.
    at: Vec<usize>,
    /// Sentence `i` has `odd[odd_at[i]..odd_at[i + 1]]`.
    odd_at: Vec<usize>,
    /// For each sentence: what its decoding noticed ([`sent_flags`]).
    flags: Vec<u8>,
    /// The quote characters (“ ” ‘ ’ 「 」 『 』 "): their indices in their sentence.
    quotes: Vec<u32>,
    /// Sentence `i` has `quotes[quotes_at[i]..quotes_at[i + 1]]`.
    quotes_at: Vec<usize>,
}

impl DocChars {
    /// Decodes `sentences`, replacing what the buffers held.
    fn fill(&mut self, sentences: &[SentenceView<'_>]) {
        self.chars.clear();
        self.odd.clear();
        self.at.clear();
        self.odd_at.clear();
        self.flags.clear();
        self.quotes.clear();
        self.quotes_at.clear();
        for s in sentences {
            let base = self.chars.len();
            let odd_base = self.odd.len();
            self.at.push(base);
            self.odd_at.push(odd_base);
            self.quotes_at.push(self.quotes.len());
            let mut flags = 0u8;
            if let Some(given) = s.chars {
                // Decoded by the caller: not copied (`sentence` reads them where they
                // are), only the flags, the quotes and the characters that do not take
                // three bytes worked out, with no UTF-8 decoding. One range test passes
                // over plain Han characters (but 等), which are none of these.
                for (k, &ch) in given.iter().enumerate() {
                    if notes_nothing(ch) {
                        continue;
                    }
                    note_char(ch, k, &mut flags, &mut self.quotes);
                    if is_odd_width(ch) {
                        ByteMap::note(&mut self.odd, odd_base, k, ch);
                    }
                }
                self.flags.push(flags);
                continue;
            }
            // The decoding writes into a slice sized for the longest possible sentence
            // (one character per byte; no capacity check per character) and cuts it to
            // what it decoded: the text is not counted in a pass of its own.
            let room = s.text.len();
            self.chars.resize(base + room, '\0');
            let mut decoded = 0;
            if let Some(cs) = self.chars.get_mut(base..) {
                for (k, (c, ch)) in cs.iter_mut().zip(s.text.chars()).enumerate() {
                    *c = ch;
                    if !notes_nothing(ch) {
                        note_char(ch, k, &mut flags, &mut self.quotes);
                    }
                    if is_odd_width(ch) {
                        ByteMap::note(&mut self.odd, odd_base, k, ch);
                    }
                    decoded += 1;
                }
            }
            self.chars.truncate(base + decoded);
            self.flags.push(flags);
        }
        self.at.push(self.chars.len());
        self.odd_at.push(self.odd.len());
        self.quotes_at.push(self.quotes.len());
    }

    /// Sentence `i` as decoded: its characters, their byte offsets, what the decoding
    /// noticed and its quotes (all empty past the last sentence). `given` must be the
    /// characters its view gave ([`SentenceView::chars`]): those are not copied by
    /// [`DocChars::fill`], the others are decoded into `chars`.
    fn sentence<'s>(&'s self, i: usize, given: Option<&'s [char]>) -> SentChars<'s> {
        /// Part `i` of `items` as cut by the offsets `at`.
        fn part<'v, T>(items: &'v [T], at: &[usize], i: usize) -> &'v [T] {
            match (at.get(i), at.get(i + 1)) {
                (Some(&a), Some(&b)) => items.get(a..b).unwrap_or(&[]),
                _ => &[],
            }
        }
        SentChars {
            chars: given.unwrap_or_else(|| part(&self.chars, &self.at, i)),
            bytes: ByteMap::new(part(&self.odd, &self.odd_at, i)),
            flags: self.flags.get(i).copied().unwrap_or(0),
            quotes: part(&self.quotes, &self.quotes_at, i),
        }
    }
}

/// Whether the decoding has nothing to note for `ch`: a character of the BMP from U+3010 up
/// (plain Han, mostly) but 等 is no quote, sets no flag and takes three bytes in UTF-8. One
/// range test, so that most characters cost no more.
#[inline]
fn notes_nothing(ch: char) -> bool {
    matches!(ch as u32, 0x3010..=0xFFFF) && ch != '等'
}

/// Notes what character `ch` (index `k` of its sentence) tells the rules: an opening quote
/// or 等 in `flags` ([`sent_flags`]), any quote (“ ” ‘ ’ 「 」 『 』 ")
/// in `quotes`. One `match` for both; the callers pass over the characters
/// [`notes_nothing`] names before it.
#[inline]
fn note_char(ch: char, k: usize, flags: &mut u8, quotes: &mut Vec<u32>) {
    match ch {
        '“' | '‘' | '「' | '『' | '"' => {
            *flags |= sent_flags::QUOTE;
            quotes.push(k as u32);
        }
        '”' | '’' | '」' | '』' => quotes.push(k as u32),
        '等' => *flags |= sent_flags::DENG,
        _ => {}
    }
}

/// Up to this many names, the search for propagated names first tests each sentence's
/// [`char_sig`].
const MAX_SIG_NAMES: usize = 32;

/// A signature of a set of characters: for each, one bit in each of two 64-bit words,
/// chosen by hashing its code (Fibonacci hashing: two groups of 6 top bits of the code times
/// a large odd constant). A word can occur in a text only if its signature's bits are all
/// set in the text's. (With one word, a sentence of a few dozen characters set half of its
/// bits, and two in five sentences passed.)
fn char_sig(chars: impl Iterator<Item = char>) -> (u64, u64) {
    chars.fold((0, 0), |(a, b), c| {
        let h = u32::from(c).wrapping_mul(0x9E37_79B9);
        (a | 1 << (h >> 26), b | 1 << ((h >> 20) & 63))
    })
}

/// Whether every bit of signature `word` is set in signature `text`.
fn sig_within(word: (u64, u64), text: (u64, u64)) -> bool {
    word.0 & !text.0 == 0 && word.1 & !text.1 == 0
}

/// Names to propagate through a document: names seen with a title (PER with that title)
/// and organisation names a rule found (ORG), the first occurrence deciding.
#[derive(Default)]
struct PropagatedNames {
    names: FxHashMap<String, (EntityType, Option<String>)>,
}

impl PropagatedNames {
    /// Records the names among one sentence's candidates.
    fn collect(&mut self, ctx: &SentCtx<'_>, cands: &[Cand]) {
        for c in cands {
            if c.redacted {
                continue;
            }
            // Organisations found by a rule (rank below the lexicon's ORG of equal length is
            // fine: they are added with rank 2).
            let value = match (c.ty, &c.title) {
                (Some(EntityType::Per), Some(t)) => (EntityType::Per, Some(t)),
                (Some(EntityType::Org), _) if c.rank >= 4 && c.end - c.start >= 4 => {
                    (EntityType::Org, None)
                }
                _ => continue,
            };
            let name = ctx.slice(c.start, c.end);
            if !self.names.contains_key(name) {
                self.names
                    .insert(name.to_string(), (value.0, value.1.cloned()));
            }
        }
    }

    /// Adds a titled PER candidate at every other token-aligned mention of a name seen with
    /// a title, and an ORG candidate at every other mention of an organisation name a rule
    /// found, to `out` as (sentence index, candidate) in sentence order. Does nothing (no
    /// scan) when no name was recorded.
    fn propagate<'a>(
        &self,
        sentences: &[SentenceView<'a>],
        doc: &'a DocChars,
        ctx: &mut SentCtx<'a>,
        out: &mut Vec<(usize, Cand)>,
    ) {
        if self.names.is_empty() {
            return;
        }
        let mut names: Vec<&String> = self.names.keys().collect();
        names.sort();
        let trie = CharTrie::new(&names);
        // A sentence none of whose names' characters all occur in it is skipped without a
        // walk (most sentences): its signature costs a third of a walk of the small trie
        // per character. It is built here, not while decoding: only documents with names
        // pay for it. With many names the test would pass too often to pay.
        let sigs: Vec<(u64, u64)> = if names.len() <= MAX_SIG_NAMES {
            names.iter().map(|n| char_sig(n.chars())).collect()
        } else {
            Vec::new()
        };
        let mut found = Vec::new();
        for (i, s) in sentences.iter().enumerate() {
            let decoded = doc.sentence(i, s.chars);
            let chars = decoded.chars;
            if !sigs.is_empty() {
                let text = char_sig(chars.iter().copied());
                if !sigs.iter().any(|&sig| sig_within(sig, text)) {
                    continue;
                }
            }
            // Mentions that do not overlap, leftmost first (as a standard Aho-Corasick
            // search finds them).
            found.clear();
            trie.for_each_match(chars, |start, end, p| found.push((start, end, p)));
            if found.is_empty() {
                continue;
            }
            keep_standard_matches(&mut found);
            ctx.set_sentence(s.text, decoded);
            ctx.set_tokens(s.tokens, s.start);
            for &(start, end, p) in &found {
                if !ctx.is_bound(start) || !ctx.is_bound(end) {
                    continue;
                }
                let Some(name) = names.get(p) else { continue };
                let Some((ty, title)) = self.names.get(*name).cloned() else {
                    continue;
                };
                let rank = if ty == EntityType::Per { 3 } else { 2 };
                out.push((
                    i,
                    Cand {
                        start,
                        end,
                        ty: Some(ty),
                        title,
                        rank,
                        redacted: false,
                    },
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests;
