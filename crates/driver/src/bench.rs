//! `gongwen bench`: generated corpus, end-to-end throughput, stage times, peak RSS.

/// Flags of `gongwen bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Corpus size in MB.
    #[arg(long, default_value_t = 50)]
    pub size_mb: u64,
}

/// Runs the benchmark; returns the exit code.
pub fn bench(args: &BenchArgs) -> anyhow::Result<i32> {
    let _ = args;
    Ok(0)
}
