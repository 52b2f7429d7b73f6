//! A tiny stderr logger for the `log` facade: `LEVEL message`, one line each.
//!
//! At `debug` and `trace` only gongwen's own messages are shown in full; other libraries
//! (html5ever logs every HTML token at debug) are shown from `warn` up.

use std::io::Write as _;

use log::{LevelFilter, Log, Metadata, Record};

struct StderrLogger;

static LOGGER: StderrLogger = StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        shown(metadata.target(), metadata.level(), log::max_level())
    }

    fn log(&self, record: &Record<'_>) {
        if self.enabled(record.metadata()) {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "[{}] {}",
                record.level().as_str().to_lowercase(),
                record.args()
            );
        }
    }

    fn flush(&self) {
        let _ = std::io::stderr().flush();
    }
}

/// True when a message of `level` from `target` is shown at the chosen `max` level.
fn shown(target: &str, level: log::Level, max: LevelFilter) -> bool {
    level <= max && (level <= log::Level::Warn || target.starts_with("gongwen"))
}

/// Installs the logger at `level` (`off`, `error`, `warn`, `info`, `debug`, `trace`).
/// A second call only changes the level.
pub fn init(level: LevelFilter) {
    let _ = log::set_logger(&LOGGER);
    log::set_max_level(level);
}

#[cfg(test)]
mod tests {
    use super::*;
    use log::Level;

    #[test]
    fn other_libraries_are_quiet_below_warn() {
        assert!(shown("gongwen::run", Level::Debug, LevelFilter::Debug));
        assert!(shown(
            "gongwen_clean::extract",
            Level::Trace,
            LevelFilter::Trace
        ));
        assert!(!shown(
            "html5ever::tree_builder",
            Level::Debug,
            LevelFilter::Debug
        ));
        assert!(shown(
            "html5ever::tree_builder",
            Level::Warn,
            LevelFilter::Debug
        ));
        assert!(!shown("gongwen::run", Level::Debug, LevelFilter::Info));
        assert!(!shown("polars", Level::Warn, LevelFilter::Error));
    }
}
