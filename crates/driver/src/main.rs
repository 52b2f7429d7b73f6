//! `gongwen`: the command line. Parses flags and hands over to the `gongwen` library.
//!
//! Exit codes: 0 all ok, 1 finished with failed files, 2 configuration or output error.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use gongwen::config::{self, ConfigError, Overrides};
use gongwen::run::{RunOptions, Shard, EXIT_CONFIG};

/// mimalloc instead of the system allocator: the pipeline makes many small allocations on
/// several threads, where glibc's malloc is slower and fragments more (higher peak RSS).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns raw Chinese official documents into clean tables (Parquet and CSV).
#[derive(Debug, Parser)]
#[command(
    name = "gongwen",
    version = concat!(env!("CARGO_PKG_VERSION"), " (build ", env!("GONGWEN_BUILD_FINGERPRINT"), ")"),
    about,
    long_about = None
)]
struct Cli {
    /// Log level on stderr: off, error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL", value_parser = parse_level)]
    log_level: log::LevelFilter,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Process every input file and write the tables (incremental unless --full).
    Run(RunArgs),
    /// Validate a config and print every problem with its TOML path (exit 2 if any).
    Check {
        /// The pipeline config.
        #[arg(long, short, default_value = "pipeline.toml")]
        config: PathBuf,
    },
    /// Print each table's columns and types.
    Schema,
    /// Combine the part files of shard runs (`--shard I/N`) in DIR into whole tables.
    Merge {
        /// The output folder the shards wrote to.
        dir: PathBuf,
        /// The pipeline config (for table formats and keyword ranking).
        #[arg(long, short, default_value = "pipeline.toml")]
        config: PathBuf,
    },
    /// Benchmark: generate a corpus, run the pipeline with --jobs 1 and 2, compare with jieba.
    Bench(gongwen::bench::BenchArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The pipeline config.
    #[arg(long, short, default_value = "pipeline.toml")]
    config: PathBuf,
    /// Input folder (repeatable); replaces `ingest.inputs`.
    #[arg(long, short, value_name = "DIR")]
    input: Vec<PathBuf>,
    /// Output folder; replaces `output.dir`.
    #[arg(long, short, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, short, value_name = "N")]
    jobs: Option<usize>,
    /// Process every file, ignoring what the last run already did.
    #[arg(long)]
    full: bool,
    /// Process only shard I of N and write part files (`gongwen merge` combines them).
    #[arg(long, value_name = "I/N")]
    shard: Option<Shard>,
    /// Never show a progress bar.
    #[arg(long)]
    no_progress: bool,
}

fn parse_level(s: &str) -> Result<log::LevelFilter, String> {
    s.parse()
        .map_err(|_| format!("unknown log level {s:?}: use off, error, warn, info, debug or trace"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    gongwen::logger::init(cli.log_level);
    let code = match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            log::error!("{}", error_chain(&e));
            EXIT_CONFIG
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// The error and its causes, `: `-separated, skipping a cause whose text the message
/// already contains (library errors often print their source in their own message).
fn error_chain(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

fn dispatch(command: Command) -> anyhow::Result<i32> {
    match command {
        Command::Run(args) => run(args),
        Command::Check { config } => Ok(check(&config)),
        Command::Schema => {
            print!("{}", gongwen::merge::schema_text());
            Ok(0)
        }
        Command::Merge { dir, config } => {
            let loaded = load_config(
                &config,
                &Overrides {
                    inputs: Vec::new(),
                    output: Some(dir.clone()),
                },
            )?;
            let Some(loaded) = loaded else {
                return Ok(EXIT_CONFIG);
            };
            let m = gongwen::merge::merge(&loaded)
                .with_context(|| format!("merging part files in {dir:?}"))?;
            Ok(m.exit_code)
        }
        Command::Bench(args) => gongwen::bench::bench(&args).context("benchmark failed"),
    }
}

fn run(args: RunArgs) -> anyhow::Result<i32> {
    let overrides = Overrides {
        inputs: args.input,
        output: args.output,
    };
    let Some(loaded) = load_config(&args.config, &overrides)? else {
        return Ok(EXIT_CONFIG);
    };
    let opts = RunOptions {
        jobs: args.jobs,
        full: args.full,
        shard: args.shard,
        progress: !args.no_progress,
        ..Default::default()
    };
    let report =
        gongwen::run(&loaded, &opts).with_context(|| format!("run of {:?} failed", loaded.path))?;
    Ok(report.manifest.exit_code)
}

/// Loads a config; prints its problems and returns `None` when it has any.
fn load_config(
    path: &std::path::Path,
    overrides: &Overrides,
) -> anyhow::Result<Option<config::LoadedConfig>> {
    match config::load(path, overrides) {
        Ok(c) => Ok(Some(c)),
        Err(ConfigError::Invalid { path, problems }) => {
            eprintln!(
                "error: {} problem(s) in config {}:",
                problems.len(),
                path.display()
            );
            eprint!("{}", config::format_problems(&problems));
            Ok(None)
        }
        Err(e @ ConfigError::Read { .. }) => Err(e).context("cannot load the config"),
    }
}

fn check(path: &std::path::Path) -> i32 {
    match config::load(path, &Overrides::default()) {
        Ok(c) => {
            println!("{}: ok (config hash {})", path.display(), c.hash);
            0
        }
        Err(ConfigError::Invalid { path, problems }) => {
            eprintln!(
                "error: {} problem(s) in config {}:",
                problems.len(),
                path.display()
            );
            eprint!("{}", config::format_problems(&problems));
            EXIT_CONFIG
        }
        Err(e) => {
            eprintln!("error: {e}");
            EXIT_CONFIG
        }
    }
}

#[cfg(test)]
mod tests {
    use super::error_chain;

    #[test]
    fn error_chain_names_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let read = gongwen::config::ConfigError::Read {
            path: "pipeline.toml".into(),
            source: io,
        };
        let e = anyhow::Error::new(read).context("cannot load the config");
        assert_eq!(
            error_chain(&e),
            "cannot load the config: cannot read config \"pipeline.toml\": no such file"
        );
    }
}
