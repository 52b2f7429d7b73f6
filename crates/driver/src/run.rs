//! The run: build every stage once, plan, stream documents through the stages in parallel
//! chunks, write tables into a staging folder, move them into place, write the manifest.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Instant, SystemTime};

use gongwen_clean::Cleaner;
use gongwen_ingest::Ingest;
use gongwen_model::{CleanDoc, DocOutcome, Failure, FailureStatus, InputFile, SourceInfo, Stage};
use gongwen_segment::{Segmenter, Tagged};
use gongwen_tabulate::{TableWriter, TabulateError};
use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::config::LoadedConfig;
use crate::lock::{LockError, OutputLock};
use crate::manifest::{self, Manifest, StageSeconds};
use crate::state::{
    Cache, CacheEntry, CacheRef, CachedDoc, PackWriter, RunState, TermCounts, TermsReader,
    TermsRecord, TermsWriter, CACHE_FORMAT, TERMS_EXT,
};

/// Documents processed per parallel chunk: memory holds at most this many documents'
/// results at once.
pub const DEFAULT_CHUNK_SIZE: usize = 64;

/// Name of gongwen's private folder inside the output folder.
pub const PRIVATE_DIR: &str = ".gongwen";

/// Exit code: every document ok (or empty/duplicate).
pub const EXIT_OK: i32 = 0;
/// Exit code: the run finished but some files failed (status `error`).
pub const EXIT_FAILED_FILES: i32 = 1;
/// Exit code: configuration or output error; nothing (new) was written.
pub const EXIT_CONFIG: i32 = 2;

/// Shard `index` of `count` (`--shard I/N`): the files whose doc_id's first 16 hex digits,
/// read as a u64, are `index` modulo `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based shard index, `< count`.
    pub index: u64,
    /// Number of shards, ≥ 1.
    pub count: u64,
}

impl Shard {
    /// Part name for file names: `part-I-of-N`.
    pub fn part_name(&self) -> String {
        format!("part-{}-of-{}", self.index, self.count)
    }

    /// True when the document with this id belongs to the shard. Ids that are not hex (a
    /// file that could not be read) belong to shard 0.
    pub fn contains(&self, doc_id: &str) -> bool {
        let hex = doc_id.get(..16).unwrap_or(doc_id);
        match u64::from_str_radix(hex, 16) {
            Ok(v) => v % self.count == self.index,
            Err(_) => self.index == 0,
        }
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| format!("shard {s:?} is not I/N (e.g. 0/4)"))?;
        let index: u64 = i
            .trim()
            .parse()
            .map_err(|_| format!("shard index {i:?} is not a number"))?;
        let count: u64 = n
            .trim()
            .parse()
            .map_err(|_| format!("shard count {n:?} is not a number"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {s:?}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
    }
}

/// How to run (the CLI flags).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads; `None` = all cores.
    pub jobs: Option<usize>,
    /// Process every file, ignoring the incremental state.
    pub full: bool,
    /// Process only this shard and write part files.
    pub shard: Option<Shard>,
    /// Show a progress bar when stderr is a terminal.
    pub progress: bool,
    /// Documents per parallel chunk.
    pub chunk_size: usize,
    /// Keywords per document; `None` = the config's `segment.keyword_top_k`.
    pub keywords_top_k: Option<usize>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: None,
            full: false,
            shard: None,
            progress: true,
            chunk_size: DEFAULT_CHUNK_SIZE,
            keywords_top_k: None,
        }
    }
}

/// Why a run could not complete (exit code 2): nothing new was moved into place.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Another run holds the output folder.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A stage could not be built (bad dictionary, bad rule…).
    #[error("cannot build the {stage} stage: {message}")]
    Build {
        /// The stage.
        stage: &'static str,
        /// Why.
        message: String,
    },
    /// A file or folder of the output could not be written.
    #[error("cannot write {path:?}: {source}")]
    Output {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The part files in the output folder cannot be merged (no shard manifest, a shard
    /// missing, shards of different counts or configs, an unreadable manifest).
    #[error("cannot merge: {0}")]
    Merge(String),
    /// Writing tables failed.
    #[error("cannot write tables: {0}")]
    Tabulate(#[from] TabulateError),
    /// The worker thread pool could not be started.
    #[error("cannot start {jobs} worker threads: {message}")]
    Threads {
        /// Threads asked for.
        jobs: usize,
        /// Why.
        message: String,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Output {
        path: path.to_path_buf(),
        source,
    }
}

/// Every stage, built once from a config.
#[derive(Debug)]
pub struct Stages {
    /// Files → RawDoc.
    pub ingest: Ingest,
    /// RawDoc → CleanDoc.
    pub cleaner: Cleaner,
    /// CleanDoc → SegmentedDoc.
    pub segmenter: Segmenter,
}

/// Turns a stage's build error into [`RunError::Build`] naming the stage.
fn build_error<E: std::fmt::Display>(stage: &'static str) -> impl FnOnce(E) -> RunError {
    move |e| RunError::Build {
        stage,
        message: e.to_string(),
    }
}

impl Stages {
    /// Builds every stage.
    pub fn build(loaded: &LoadedConfig) -> Result<Stages, RunError> {
        Self::build_then(loaded, |_| ()).map(|(stages, ())| stages)
    }

    /// Builds every stage and, once ingest is built, runs `then` on it while segment (jieba's
    /// dictionary, the slowest to build) is still being built, on another thread of the
    /// current rayon pool when it has one free.
    pub fn build_then<T: Send>(
        loaded: &LoadedConfig,
        then: impl FnOnce(&Ingest) -> T + Send,
    ) -> Result<(Stages, T), RunError> {
        let c = &loaded.config;
        let base = &loaded.base_dir;
        let (first, segmenter) = rayon::join(
            || -> Result<_, RunError> {
                let ingest = Ingest::build(&c.ingest, base).map_err(build_error("ingest"))?;
                let cleaner = Cleaner::build(&c.clean, base).map_err(build_error("clean"))?;
                let result = then(&ingest);
                Ok((ingest, cleaner, result))
            },
            || {
                Segmenter::build(&c.segment, &c.numbers, &c.entities, base)
                    .map_err(build_error("segment"))
            },
        );
        let (ingest, cleaner, result) = first?;
        let stages = Stages {
            ingest,
            cleaner,
            segmenter: segmenter?,
        };
        Ok((stages, result))
    }

    /// Ingest and clean of one input file: its documents, clean or failed. Never panics:
    /// a stage failure or panic becomes a failure naming the stage (so do the methods
    /// below).
    #[allow(clippy::result_large_err)]
    pub fn read_and_clean(
        &self,
        file: &InputFile,
        times: &mut StageSeconds,
    ) -> Vec<Result<CleanDoc, Failure>> {
        let file_source = SourceInfo {
            doc_id: file.doc_id.clone(),
            source_path: file.path.clone(),
            n_bytes: file.size,
            ..Default::default()
        };
        let t = Instant::now();
        let raws = guarded(Stage::Ingest, &file_source, || self.ingest.read(file));
        times.ingest += t.elapsed().as_secs_f64();
        let raws = match raws {
            Ok(r) => r,
            Err(f) => return vec![Err(f)],
        };
        let t = Instant::now();
        let docs = raws
            .into_iter()
            .map(|raw| {
                let raw = raw?;
                let source = raw.source.clone();
                guarded(Stage::Clean, &source, || self.cleaner.clean(raw)).and_then(|r| r)
            })
            .collect();
        times.clean += t.elapsed().as_secs_f64();
        docs
    }

    /// jieba's words of each clean document ([`Segmenter::tag`]), paired with it.
    #[allow(clippy::result_large_err)]
    pub fn tag_docs(
        &self,
        docs: Vec<Result<CleanDoc, Failure>>,
        times: &mut StageSeconds,
    ) -> Vec<Result<(CleanDoc, Tagged), Failure>> {
        let t = Instant::now();
        let tagged = docs
            .into_iter()
            .map(|doc| {
                let clean = doc?;
                let tagged = guarded(Stage::Segment, &clean.source, || self.segmenter.tag(&clean))?;
                Ok((clean, tagged))
            })
            .collect();
        times.segment += t.elapsed().as_secs_f64();
        tagged
    }

    /// Segments each tagged document ([`Segmenter::segment_tagged_and_count`]).
    #[allow(clippy::result_large_err)]
    pub fn segment_docs(
        &self,
        docs: Vec<Result<(CleanDoc, Tagged), Failure>>,
        times: &mut StageSeconds,
    ) -> Vec<CachedDoc> {
        let mut out = Vec::with_capacity(docs.len());
        for doc in docs {
            let (clean, tagged) = match doc {
                Ok(d) => d,
                Err(f) => {
                    out.push(CachedDoc {
                        outcome: DocOutcome::Failed(f),
                        terms: Vec::new(),
                    });
                    continue;
                }
            };
            let source = clean.source.clone();
            let t = Instant::now();
            let segmented = guarded(Stage::Segment, &source, || {
                self.segmenter.segment_tagged_and_count(clean, tagged)
            });
            times.segment += t.elapsed().as_secs_f64();
            out.push(match segmented {
                Ok((seg, terms)) => CachedDoc {
                    outcome: DocOutcome::Done(seg),
                    terms,
                },
                Err(f) => CachedDoc {
                    outcome: DocOutcome::Failed(f),
                    terms: Vec::new(),
                },
            });
        }
        out
    }
}

/// Runs `f`, turning a panic into a failure of `stage`.
#[allow(clippy::result_large_err)]
fn guarded<T>(stage: Stage, source: &SourceInfo, f: impl FnOnce() -> T) -> Result<T, Failure> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        log::error!(
            "{} stage panicked on {}: {what}",
            stage.as_str(),
            source.source_path
        );
        Failure {
            source: source.clone(),
            stage,
            status: FailureStatus::Error,
            message: format!("internal error: {} stage panicked: {what}", stage.as_str()),
        }
    })
}

/// What to do with one input file.
#[derive(Debug, Clone)]
enum Work {
    /// Read and process it.
    Process,
    /// Unchanged since the last run: take it from the cache, here.
    Cached(CacheRef),
    /// Same bytes as an earlier file.
    Duplicate(String),
    /// Discovery could not even look at it.
    Failed(Failure),
}

#[derive(Debug, Clone)]
struct PlanItem {
    file: InputFile,
    work: Work,
}

/// Result of one plan item.
struct ItemResult {
    docs: Vec<CachedDoc>,
    times: StageSeconds,
    processed: bool,
    from_cache: bool,
    bytes: u64,
    /// The file's cache entry, encoded, to append to this run's pack (`None` when it could
    /// not be encoded; the file is then processed again next time).
    cache_entry: Option<Vec<u8>>,
}

/// Receives processed chunks in order: writes rows, counts, spills keyword terms.
struct Sink {
    writer: TableWriter,
    manifest: Manifest,
    /// Documents each keyword candidate occurs in (hashed with Fx: one lookup per candidate
    /// of every document, twice).
    doc_freq: FxHashMap<String, u32>,
    n_ranked_docs: usize,
    /// The keyword spill: every ranked document's term counts.
    terms_out: TermsWriter,
    terms_path: PathBuf,
    state: RunState,
    pack: PackWriter,
    files_done: usize,
    files_total: usize,
    bar: Option<indicatif::ProgressBar>,
}

impl Sink {
    fn consume(&mut self, items: &[PlanItem], results: Vec<ItemResult>) -> Result<(), RunError> {
        let m = &mut self.manifest;
        for (item, result) in items.iter().zip(results) {
            add_times(&mut m.stage_seconds, &result.times);
            if result.processed {
                m.files.processed += 1;
                m.processed_bytes += result.bytes;
            }
            if result.from_cache {
                m.files.skipped += 1;
            }
            if matches!(item.work, Work::Duplicate(_)) {
                m.files.duplicates += 1;
            }
            if matches!(item.work, Work::Process | Work::Cached(_)) {
                self.state
                    .files
                    .insert(item.file.path.clone(), item.file.doc_id.clone());
                if let Some(blob) = &result.cache_entry {
                    let t = Instant::now();
                    match self.pack.append(blob) {
                        Ok(at) => {
                            self.state.cache.insert(item.file.path.clone(), at);
                        }
                        Err(e) => log::warn!("cannot cache {}: {e}", item.file.path),
                    }
                    m.stage_seconds.cache += t.elapsed().as_secs_f64();
                }
            }
            let mut file_failed = false;
            for doc in &result.docs {
                let t = Instant::now();
                self.writer.write_doc(&doc.outcome)?;
                m.stage_seconds.tabulate += t.elapsed().as_secs_f64();
                let status = match &doc.outcome {
                    DocOutcome::Done(_) => None,
                    DocOutcome::Failed(f) => Some(f.status),
                };
                let format = doc
                    .outcome
                    .source()
                    .format
                    .map_or("unknown", |f| f.as_str());
                m.documents.add(status);
                m.formats.entry(format.to_string()).or_default().add(status);
                file_failed |= status == Some(FailureStatus::Error);
                if let DocOutcome::Done(seg) = &doc.outcome {
                    for (term, _) in &doc.terms {
                        match self.doc_freq.get_mut(term.as_str()) {
                            Some(n) => *n += 1,
                            None => {
                                self.doc_freq.insert(term.clone(), 1);
                            }
                        }
                    }
                    self.n_ranked_docs += 1;
                    self.terms_out
                        .write(&seg.doc.source.doc_id, &doc.terms)
                        .map_err(io_err(&self.terms_path))?;
                }
            }
            if file_failed {
                m.files.failed += 1;
            }
            self.files_done += 1;
            if let Some(bar) = &self.bar {
                bar.inc(item.file.size);
                bar.set_message(format!("{}/{} files", self.files_done, self.files_total));
            }
        }
        Ok(())
    }
}

/// The result of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// The manifest written to the output folder.
    pub manifest: Manifest,
    /// Where it was written.
    pub output_dir: PathBuf,
}

/// Paths of a run's private files.
struct Layout {
    out: PathBuf,
    private: PathBuf,
    part: Option<String>,
}

impl Layout {
    fn new(out: PathBuf, shard: Option<Shard>) -> Layout {
        let private = out.join(PRIVATE_DIR);
        Layout {
            out,
            private,
            part: shard.map(|s| s.part_name()),
        }
    }
    fn suffix(&self) -> String {
        self.part
            .as_ref()
            .map(|p| format!(".{p}"))
            .unwrap_or_default()
    }
    fn lock(&self) -> PathBuf {
        self.private.join(format!("lock{}", self.suffix()))
    }
    fn state(&self) -> PathBuf {
        self.private.join(format!("state{}.json", self.suffix()))
    }
    fn manifest(&self) -> PathBuf {
        match &self.part {
            Some(p) => self.out.join(format!("manifest.{p}.json")),
            None => self.out.join("manifest.json"),
        }
    }
    fn staging_prefix(&self) -> String {
        format!("staging-{}-", self.part.as_deref().unwrap_or("all"))
    }
    fn terms_dir(&self) -> PathBuf {
        self.private.join("terms")
    }
}

/// Runs the pipeline. Returns the manifest (exit code inside) or an error meaning exit 2.
pub fn run(loaded: &LoadedConfig, opts: &RunOptions) -> Result<RunReport, RunError> {
    let started = SystemTime::now();
    let clock = Instant::now();
    let run_id = format!(
        "{}-{}",
        manifest::compact_timestamp(started),
        std::process::id()
    );
    let layout = Layout::new(loaded.output_dir(), opts.shard);
    std::fs::create_dir_all(&layout.private).map_err(io_err(&layout.private))?;
    let _lock = OutputLock::acquire(&layout.lock(), &run_id)?;

    let jobs = opts
        .jobs
        .filter(|&j| j > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| RunError::Threads {
            jobs,
            message: e.to_string(),
        })?;

    // Build the stages and discover the input files (while jieba's dictionary loads).
    let (stages, discovery) = pool.install(|| Stages::build_then(loaded, Ingest::discover))?;

    // Plan.
    let files_seen = discovery.files.len() + discovery.failures.len();
    let files_left_out = discovery.skipped;
    let previous = if opts.full {
        None
    } else {
        RunState::read(&layout.state())
    };
    let full_run_reason = if opts.full {
        Some("--full".to_string())
    } else {
        match &previous {
            None => Some("no previous state".to_string()),
            Some(s) if s.config_hash != loaded.hash => {
                Some("config or gongwen build changed".to_string())
            }
            Some(s) if s.cache_format != CACHE_FORMAT => Some("cache format changed".to_string()),
            Some(_) => None,
        }
    };
    // The previous run's cache, when its config and its cache format were the same.
    let reusable = previous
        .as_ref()
        .filter(|s| !opts.full && s.config_hash == loaded.hash && s.cache_format == CACHE_FORMAT);
    let cache = Cache::new(
        layout.private.join("cache"),
        reusable.map(|s| s.cache_pack.clone()),
    );
    let plan = make_plan(discovery, opts.shard, reusable);
    drop(previous);
    let total_bytes: u64 = plan.iter().map(|p| p.file.size).sum();
    log::info!(
        "{} file(s) found ({} left out), {} in this run{}; output {:?}",
        files_seen,
        files_left_out,
        plan.len(),
        opts.shard
            .map(|s| format!(" (shard {}/{})", s.index, s.count))
            .unwrap_or_default(),
        layout.out
    );

    // Staging.
    remove_stale_staging(&layout.private, &layout.staging_prefix());
    let staging = layout
        .private
        .join(format!("{}{run_id}", layout.staging_prefix()));
    let staging_tables = staging.join("tables");
    let mut leftovers = RemovedOnError(vec![staging.clone()]);
    std::fs::create_dir_all(&staging_tables).map_err(io_err(&staging_tables))?;
    let writer = TableWriter::create(
        &loaded.config.output,
        &staging_tables,
        layout.part.as_deref(),
    )?;
    let terms_path = staging.join(format!("terms.{TERMS_EXT}"));
    let terms_out = TermsWriter::create(&terms_path).map_err(io_err(&terms_path))?;

    let bar = progress_bar(opts.progress, total_bytes, plan.len());
    let mut m = Manifest {
        run_id: run_id.clone(),
        command: "run".into(),
        started_at: manifest::rfc3339(started),
        gongwen_version: env!("CARGO_PKG_VERSION").into(),
        config_path: loaded.path.to_string_lossy().into_owned(),
        config_hash: loaded.hash.clone(),
        inputs: loaded
            .config
            .ingest
            .inputs
            .iter()
            .map(|p| loaded.base_dir.join(p).to_string_lossy().into_owned())
            .collect(),
        output_dir: layout.out.to_string_lossy().into_owned(),
        shard: opts.shard.map(|s| format!("{}/{}", s.index, s.count)),
        jobs,
        full_run: full_run_reason.is_some(),
        full_run_reason,
        input_bytes: total_bytes,
        ..Default::default()
    };
    m.files.seen = files_seen;
    m.files.left_out = files_left_out;
    m.files.in_shard = plan.len();

    let mut new_state = RunState {
        version: env!("CARGO_PKG_VERSION").into(),
        config_hash: loaded.hash.clone(),
        run_id: run_id.clone(),
        files: Default::default(),
        cache_format: CACHE_FORMAT,
        cache_pack: String::new(),
        cache: Default::default(),
    };
    // Unique even for two runs in one second in one process (tests): a new pack never
    // overwrites the one the previous state points into.
    let nanos = started
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let pack_name = Cache::pack_name(layout.part.as_deref(), &format!("{run_id}-{nanos:09}"));
    let pack_path = layout.private.join("cache").join(&pack_name);
    leftovers.0.push(pack_path.clone());
    let pack = cache.create_pack(&pack_name).map_err(io_err(&pack_path))?;
    new_state.cache_pack = pack_name.clone();
    let mut sink = Sink {
        writer,
        manifest: m,
        doc_freq: FxHashMap::default(),
        n_ranked_docs: 0,
        terms_out,
        terms_path: terms_path.clone(),
        state: new_state,
        pack,
        files_done: 0,
        files_total: plan.len(),
        bar,
    };

    // Stream: process chunk k+1 in parallel while chunk k is written, in order. Both run in
    // the pool, so at most `jobs` threads work; memory holds two chunks' results.
    let chunk_size = opts.chunk_size.max(1);
    let mut pending: Option<(&[PlanItem], Vec<ItemResult>)> = None;
    for chunk in plan.chunks(chunk_size) {
        let previous_chunk = pending.take();
        let (written, results) = pool.install(|| {
            rayon::join(
                || match previous_chunk {
                    Some((items, results)) => sink.consume(items, results),
                    None => Ok(()),
                },
                || process_chunk(&stages, &cache, &loaded.hash, chunk),
            )
        });
        written?;
        pending = Some((chunk, results));
    }
    if let Some((items, results)) = pending.take() {
        sink.consume(items, results)?;
    }
    let Sink {
        mut writer,
        manifest: mut m,
        doc_freq,
        n_ranked_docs,
        terms_out,
        state: new_state,
        pack,
        bar,
        ..
    } = sink;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    terms_out.finish().map_err(io_err(&terms_path))?;

    // Keywords: corpus-wide document frequencies are known only now.
    let t = Instant::now();
    let top_k = opts
        .keywords_top_k
        .unwrap_or_else(|| stages.segmenter.keyword_top_k());
    write_keywords(
        &stages.segmenter,
        &terms_path,
        &doc_freq,
        n_ranked_docs,
        top_k,
        &mut writer,
    )?;
    log::debug!(
        "{} distinct keyword terms over {n_ranked_docs} documents",
        doc_freq.len()
    );
    drop(doc_freq);
    m.stage_seconds.keywords = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let rows = writer.finish()?;
    m.stage_seconds.tabulate += t.elapsed().as_secs_f64();
    m.rows = rows
        .iter()
        .map(|(name, n)| (name.to_string(), *n))
        .collect();

    // Move into place: every table file, then (for a shard) its term counts for `merge`.
    let moved = move_files(&staging_tables, &layout.out)?;
    remove_unwritten_tables(&layout.out, layout.part.as_deref(), &moved);
    if let Some(part) = &layout.part {
        let dir = layout.terms_dir();
        std::fs::create_dir_all(&dir).map_err(io_err(&dir))?;
        let dest = dir.join(format!("{part}.{TERMS_EXT}"));
        std::fs::rename(&terms_path, &dest).map_err(io_err(&dest))?;
    }
    let _ = std::fs::remove_dir_all(&staging);
    pack.finish().map_err(io_err(&pack_path))?;
    new_state
        .write(&layout.state())
        .map_err(io_err(&layout.state()))?;
    // The state now points into the new pack.
    leftovers.0.clear();
    let removed = cache.collect_garbage(&pack_name);
    if removed > 0 {
        log::debug!("removed {removed} cache pack(s) of earlier or interrupted runs");
    }

    m.full_run = m.files.skipped == 0;
    m.finish(clock.elapsed());
    m.write(&layout.manifest())
        .map_err(io_err(&layout.manifest()))?;
    log::info!("{}", summary_line(&m));
    if let Some(hint) = unread_pdf_hint(&m, &loaded.config.ingest.pdf_command) {
        log::warn!("{hint}");
    }
    Ok(RunReport {
        manifest: m,
        output_dir: layout.out,
    })
}

/// A warning for a run that met PDFs without `ingest.pdf_command` to read them (their error
/// rows say so one by one; this says it once, where a scheduler's log shows it).
fn unread_pdf_hint(m: &Manifest, pdf_command: &[String]) -> Option<String> {
    let failed = m.formats.get("pdf").map_or(0, |c| c.error);
    (failed > 0 && pdf_command.is_empty()).then(|| {
        format!(
            "{failed} PDF file(s) not read: set [ingest] pdf_command to a converter, e.g. {} (docs/ingest.md)",
            gongwen_ingest::PDF_COMMAND_EXAMPLE
        )
    })
}

/// One line saying what a run did (printed at the end of every run).
pub fn summary_line(m: &Manifest) -> String {
    let mb = m.input_bytes as f64 / 1e6;
    let rate = if m.wall_seconds > 0.0 {
        m.processed_bytes as f64 / 1e6 / m.wall_seconds
    } else {
        0.0
    };
    // Rows of the two largest tables, when they are written (a table left out of
    // `[output] tables` has no row count, not 0 rows).
    let rows: Vec<String> = ["sentences", "tokens"]
        .iter()
        .filter_map(|t| m.rows.get(*t).map(|n| format!("{n} {t}")))
        .collect();
    let rows = if rows.is_empty() {
        String::new()
    } else {
        format!("{}; ", rows.join(", "))
    };
    format!(
        "gongwen {}: {} file(s) ({:.1} MB): {} processed, {} unchanged, {} duplicate, {} failed; documents {} ok, {} empty, {} error; {rows}{:.1}s ({:.2} MB/s) → {}",
        m.command,
        m.files.in_shard,
        mb,
        m.files.processed,
        m.files.skipped,
        m.files.duplicates,
        m.files.failed,
        m.documents.ok,
        m.documents.empty,
        m.documents.error,
        m.wall_seconds,
        rate,
        m.output_dir
    )
}

fn add_times(total: &mut StageSeconds, t: &StageSeconds) {
    total.ingest += t.ingest;
    total.clean += t.clean;
    total.segment += t.segment;
    total.cache += t.cache;
}

/// Orders by doc_id (then path), marks duplicates, applies the shard and the cache.
fn make_plan(
    discovery: gongwen_ingest::Discovery,
    shard: Option<Shard>,
    previous: Option<&RunState>,
) -> Vec<PlanItem> {
    let mut files = discovery.files;
    files.sort_by(|a, b| a.doc_id.cmp(&b.doc_id).then_with(|| a.path.cmp(&b.path)));
    let mut plan: Vec<PlanItem> = Vec::with_capacity(files.len() + discovery.failures.len());
    for f in discovery.failures {
        let file = InputFile {
            path: f.source.source_path.clone(),
            size: f.source.n_bytes,
            doc_id: f.source.doc_id.clone(),
            duplicate_of: None,
            os_path: None,
        };
        plan.push(PlanItem {
            file,
            work: Work::Failed(f),
        });
    }
    let mut first_of_id: Option<(String, String)> = None;
    for mut file in files {
        let work = match &first_of_id {
            Some((id, path)) if *id == file.doc_id && !file.doc_id.is_empty() => {
                Work::Duplicate(path.clone())
            }
            _ => {
                first_of_id = Some((file.doc_id.clone(), file.path.clone()));
                let cached = previous.and_then(|prev| {
                    let same_bytes = prev.files.get(&file.path) == Some(&file.doc_id);
                    same_bytes.then(|| prev.cache.get(&file.path)).flatten()
                });
                match cached {
                    Some(&at) => Work::Cached(at),
                    None => Work::Process,
                }
            }
        };
        if let Work::Duplicate(of) = &work {
            file.duplicate_of = Some(of.clone());
        }
        plan.push(PlanItem { file, work });
    }
    if let Some(s) = shard {
        plan.retain(|p| s.contains(&p.file.doc_id));
    }
    // Stable: failures without an id first, then by id.
    plan.sort_by(|a, b| {
        a.file
            .doc_id
            .cmp(&b.file.doc_id)
            .then_with(|| a.file.path.cmp(&b.file.path))
    });
    plan
}

/// The first step of a plan item: a failure, a duplicate or a cached file is done; a file to
/// process is read and cleaned.
fn start_item(
    stages: &Stages,
    cache: &Cache,
    config_hash: &str,
    item: &PlanItem,
) -> Step<CleanDoc> {
    let mut times = StageSeconds::default();
    let file = &item.file;
    let result = |docs, processed, from_cache, times, cache_entry| ItemResult {
        docs,
        times,
        processed,
        from_cache,
        bytes: file.size,
        cache_entry,
    };
    let failed = |failure: Failure, times| {
        let doc = CachedDoc {
            outcome: DocOutcome::Failed(failure),
            terms: Vec::new(),
        };
        result(vec![doc], false, false, times, None)
    };
    match &item.work {
        Work::Failed(f) => Step::Done(failed(f.clone(), times)),
        Work::Duplicate(of) => {
            let failure = Failure {
                source: SourceInfo {
                    doc_id: file.doc_id.clone(),
                    source_path: file.path.clone(),
                    n_bytes: file.size,
                    duplicate_of: Some(of.clone()),
                    ..Default::default()
                },
                stage: Stage::Ingest,
                status: FailureStatus::Duplicate,
                message: format!("same bytes as {of}"),
            };
            Step::Done(failed(failure, times))
        }
        Work::Cached(_) | Work::Process => {
            if let Work::Cached(at) = &item.work {
                let t = Instant::now();
                let cached = cache.read(*at).and_then(|blob| {
                    let docs = Cache::decode(&blob, &file.doc_id, &file.path, config_hash)?;
                    Some((docs, blob))
                });
                times.cache += t.elapsed().as_secs_f64();
                if let Some((docs, blob)) = cached {
                    return Step::Done(result(docs, false, true, times, Some(blob)));
                }
                log::debug!(
                    "cache entry of {} unusable (other config, or unreadable): processing it",
                    file.path
                );
            }
            let docs = stages.read_and_clean(file, &mut times);
            Step::Docs(docs, times)
        }
    }
}

/// A plan item between two steps of [`process_chunk`]: finished, or its documents (`D`) so
/// far.
enum Step<D> {
    /// Finished (failed, duplicate, or taken from the cache).
    Done(ItemResult),
    /// Its documents (or their failures) and the time spent on them so far.
    Docs(Vec<Result<D, Failure>>, StageSeconds),
}

/// Processes a chunk of plan items one step at a time: every file read and cleaned, then
/// every clean document tagged by jieba, then the rest of segmenting and the cache entries.
/// jieba's dictionary tables then stay in the processor's caches while it tags the whole
/// chunk; when each document went through every step in turn, the other steps evicted them
/// and a `--jobs 1` run took 13–24 % longer (clean gained as well).
fn process_chunk(
    stages: &Stages,
    cache: &Cache,
    config_hash: &str,
    chunk: &[PlanItem],
) -> Vec<ItemResult> {
    let cleaned: Vec<Step<CleanDoc>> = chunk
        .par_iter()
        .map(|item| start_item(stages, cache, config_hash, item))
        .collect();
    let tagged: Vec<Step<(CleanDoc, Tagged)>> = cleaned
        .into_par_iter()
        .map(|step| match step {
            Step::Done(result) => Step::Done(result),
            Step::Docs(docs, mut times) => {
                let docs = stages.tag_docs(docs, &mut times);
                Step::Docs(docs, times)
            }
        })
        .collect();
    tagged
        .into_par_iter()
        .zip(chunk)
        .map(|(step, item)| match step {
            Step::Done(result) => result,
            Step::Docs(docs, times) => finish_item(stages, config_hash, item, docs, times),
        })
        .collect()
}

/// Segments a tagged item's documents and encodes its cache entry.
#[allow(clippy::result_large_err)]
fn finish_item(
    stages: &Stages,
    config_hash: &str,
    item: &PlanItem,
    docs: Vec<Result<(CleanDoc, Tagged), Failure>>,
    mut times: StageSeconds,
) -> ItemResult {
    let file = &item.file;
    let docs = stages.segment_docs(docs, &mut times);
    let t = Instant::now();
    let entry = CacheEntry {
        config_hash: config_hash.to_string(),
        path: file.path.clone(),
        doc_id: file.doc_id.clone(),
        docs,
    };
    let blob = Cache::encode(&entry)
        .map_err(|e| log::warn!("cannot cache {}: {e}", file.path))
        .ok();
    times.cache += t.elapsed().as_secs_f64();
    ItemResult {
        docs: entry.docs,
        times,
        processed: true,
        from_cache: false,
        bytes: file.size,
        cache_entry: blob,
    }
}

/// Ranks every document's keywords from the spilled term counts and writes them.
fn write_keywords(
    segmenter: &Segmenter,
    terms_path: &Path,
    doc_freq: &FxHashMap<String, u32>,
    n_docs: usize,
    top_k: usize,
    writer: &mut TableWriter,
) -> Result<(), RunError> {
    let mut reader = TermsReader::open(terms_path).map_err(io_err(terms_path))?;
    let mut record = TermsRecord::default();
    while reader.next_into(&mut record).map_err(io_err(terms_path))? {
        let keywords = segmenter.rank_keywords(record.terms(), doc_freq, n_docs, top_k);
        writer.write_keywords(&record.doc_id, &keywords)?;
    }
    Ok(())
}

/// Renames every file of `from` into `to` (same filesystem: each rename is atomic).
pub(crate) fn move_files(from: &Path, to: &Path) -> Result<Vec<String>, RunError> {
    let entries = std::fs::read_dir(from).map_err(io_err(from))?;
    let mut names: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    let mut moved = Vec::with_capacity(names.len());
    for src in names {
        if let Some(name) = src.file_name() {
            let dest = to.join(name);
            std::fs::rename(&src, &dest).map_err(io_err(&dest))?;
            moved.push(name.to_string_lossy().into_owned());
        }
    }
    Ok(moved)
}

/// Removes the table files of `out` that a run of this kind (`part`: a shard's part files,
/// `None`: whole tables) can write but this one did not (`written`: the names it moved into
/// place): a table or format the config no longer asks for. Left there, they would be read
/// with the new tables as one dataset, though an older run wrote them. A file that cannot
/// be removed is reported and left.
pub(crate) fn remove_unwritten_tables(out: &Path, part: Option<&str>, written: &[String]) {
    for name in gongwen_tabulate::table_file_names(part) {
        let path = out.join(&name);
        if written.contains(&name) || !path.is_file() {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => log::info!(
                "removed {path:?}: an earlier run wrote it, the config no longer asks for it"
            ),
            Err(e) => log::warn!(
                "cannot remove {path:?}, written by an earlier run with other [output] tables or formats: {e}"
            ),
        }
    }
}

/// What a run has written and not yet put in place (its staging folder, its cache pack),
/// removed when the run stops with an error or a panic: a run that failed on a full disk
/// gives the space back at once instead of at the next run. A killed run leaves them; the
/// next run removes them ([`remove_stale_staging`], [`Cache::collect_garbage`]).
pub(crate) struct RemovedOnError(pub(crate) Vec<PathBuf>);

impl Drop for RemovedOnError {
    fn drop(&mut self) {
        for path in &self.0 {
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(path)
            } else {
                std::fs::remove_file(path)
            };
            if let Err(e) = removed {
                if e.kind() != std::io::ErrorKind::NotFound {
                    log::warn!("cannot remove {path:?} of the failed run: {e}");
                }
            }
        }
    }
}

/// Removes the staging folders in `private` whose names start with `prefix` (one run kind:
/// `staging-all-`, a shard's, or merge's), left by killed runs (we hold the lock, so nobody
/// else is writing them).
pub(crate) fn remove_stale_staging(private: &Path, prefix: &str) {
    if let Ok(entries) = std::fs::read_dir(private) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(prefix) {
                log::info!(
                    "removing staging folder of an interrupted run: {:?}",
                    e.path()
                );
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

fn progress_bar(enabled: bool, total_bytes: u64, n_files: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if !enabled || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total_bytes);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {msg} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} ETA {eta}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_message(format!("0/{n_files} files"));
    Some(bar)
}

/// Reads the per-document term counts written by shard runs (`OUT/.gongwen/terms/*.terms`).
pub(crate) fn read_terms_file(path: &Path) -> Result<Vec<(String, TermCounts)>, RunError> {
    TermsReader::read_all(path).map_err(io_err(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_failed_run_wrote_is_removed_and_a_finished_run_keeps_it() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let staging = dir.path().join("staging");
        let pack = dir.path().join("run.pack");
        let make = || {
            std::fs::create_dir_all(staging.join("tables")).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(staging.join("tables/tokens.csv"), "x")
                .unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(&pack, "x").unwrap_or_else(|e| panic!("{e}"));
        };
        make();
        drop(RemovedOnError(vec![staging.clone(), pack.clone()]));
        assert!(!staging.exists() && !pack.exists());

        make();
        let mut finished = RemovedOnError(vec![staging.clone(), pack.clone()]);
        finished.0.clear();
        drop(finished);
        assert!(staging.exists() && pack.exists());
        // Already gone: nothing to do, no error.
        drop(RemovedOnError(vec![dir.path().join("never-made")]));
    }

    #[test]
    fn pdfs_without_a_command_are_named_once() {
        let mut m = Manifest::default();
        assert_eq!(unread_pdf_hint(&m, &[]), None);
        m.formats.entry("pdf".into()).or_default().error = 3;
        let hint = unread_pdf_hint(&m, &[]).unwrap_or_default();
        assert!(
            hint.starts_with("3 PDF file(s) not read: set [ingest] pdf_command"),
            "{hint}"
        );
        assert_eq!(
            unread_pdf_hint(&m, &["pdftotext".into(), "{}".into()]),
            None
        );
    }

    #[test]
    fn the_summary_counts_rows_of_the_tables_written_only() {
        let mut m = Manifest::default();
        m.rows.insert("sentences".into(), 492);
        m.rows.insert("tokens".into(), 14306);
        assert!(summary_line(&m).contains("; 492 sentences, 14306 tokens; "));
        m.rows.remove("tokens");
        assert!(summary_line(&m).contains("; 492 sentences; "));
        assert!(!summary_line(&m).contains("tokens"));
        m.rows.clear();
        assert!(summary_line(&m).contains(" error; 0.0s"));
    }

    #[test]
    fn shard_parsing_and_membership() {
        assert_eq!("1/4".parse::<Shard>(), Ok(Shard { index: 1, count: 4 }));
        assert!("4/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        assert!("0/0".parse::<Shard>().is_err());
        let ids = [
            "0000000000000004",
            "0000000000000005",
            "ffffffffffffffff",
            "bad",
        ];
        for id in ids {
            let owners: Vec<u64> = (0..4)
                .filter(|&i| Shard { index: i, count: 4 }.contains(id))
                .collect();
            assert_eq!(owners.len(), 1, "{id}");
        }
        assert!(Shard { index: 1, count: 4 }.contains("0000000000000005"));
    }
}
