//! A lock file in the output folder so two runs never write the same outputs at once.
//!
//! The lock is a file created with `create_new` (atomic on local and NFS v3+ filesystems)
//! holding the holder's pid, host, process start time and run id. A lock whose holder is
//! gone (same host, no such pid, or a pid reused by another process) is stale: it is
//! removed and taken over, with a warning.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockHolder {
    /// Process id.
    pub pid: u32,
    /// Host name (`/etc/hostname` or `HOSTNAME`), to tell whether the pid can be checked.
    pub host: String,
    /// The process's start time in clock ticks since boot (`/proc/PID/stat` field 22), to
    /// tell a reused pid apart.
    pub start_ticks: Option<u64>,
    /// The run id of the holder.
    pub run_id: String,
    /// When it was taken (RFC 3339, UTC).
    pub since: String,
}

/// Why a lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another live run holds it.
    #[error("output folder is locked by another run: pid {} on {} (run {}, since {}); lock file {path:?}", holder.pid, holder.host, holder.run_id, holder.since)]
    Held {
        /// The lock file.
        path: PathBuf,
        /// Who holds it.
        holder: LockHolder,
    },
    /// The lock file could not be created or read.
    #[error("cannot create lock file {path:?}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// A held lock; dropping it removes the lock file.
#[derive(Debug)]
pub struct OutputLock {
    path: PathBuf,
}

impl OutputLock {
    /// Takes the lock at `path`, replacing a stale one.
    pub fn acquire(path: &Path, run_id: &str) -> Result<OutputLock, LockError> {
        let me = LockHolder {
            pid: std::process::id(),
            host: host_name(),
            start_ticks: process_start_ticks(std::process::id()),
            run_id: run_id.to_string(),
            since: crate::manifest::now_rfc3339(),
        };
        let body = serde_json::to_vec_pretty(&me).unwrap_or_default();
        for _attempt in 0..3 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
            {
                Ok(mut f) => {
                    f.write_all(&body).map_err(|source| LockError::Io {
                        path: path.to_path_buf(),
                        source,
                    })?;
                    return Ok(OutputLock {
                        path: path.to_path_buf(),
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read(path)
                        .ok()
                        .and_then(|b| serde_json::from_slice::<LockHolder>(&b).ok());
                    match holder {
                        Some(h) if is_alive(&h) => {
                            return Err(LockError::Held {
                                path: path.to_path_buf(),
                                holder: h,
                            });
                        }
                        Some(h) => {
                            log::warn!("removing stale lock {:?} of pid {} (run {}, since {}): the process is gone", path, h.pid, h.run_id, h.since);
                        }
                        None => {
                            // Unreadable: maybe being written right now. Give it a moment.
                            std::thread::sleep(std::time::Duration::from_millis(200));
                            let again = std::fs::read(path)
                                .ok()
                                .and_then(|b| serde_json::from_slice::<LockHolder>(&b).ok());
                            if let Some(h) = again {
                                if is_alive(&h) {
                                    return Err(LockError::Held {
                                        path: path.to_path_buf(),
                                        holder: h,
                                    });
                                }
                            }
                            log::warn!("removing unreadable lock file {:?}", path);
                        }
                    }
                    let _ = std::fs::remove_file(path);
                }
                Err(source) => {
                    return Err(LockError::Io {
                        path: path.to_path_buf(),
                        source,
                    })
                }
            }
        }
        Err(LockError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other("lock file keeps reappearing"),
        })
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// True unless the holder is certainly gone. A lock taken on another host is assumed alive
/// (its pid cannot be checked from here): remove it by hand if that host is down.
pub fn is_alive(holder: &LockHolder) -> bool {
    if holder.host != host_name() {
        return true;
    }
    if !Path::new("/proc").join(holder.pid.to_string()).exists() {
        // No /proc at all (not Linux): cannot tell, assume alive.
        return !Path::new("/proc/self").exists();
    }
    match (holder.start_ticks, process_start_ticks(holder.pid)) {
        (Some(then), Some(now)) => then == now,
        _ => true,
    }
}

/// This machine's name.
pub fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// Start time of process `pid` in clock ticks since boot, from `/proc/PID/stat`.
fn process_start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: skip past it.
    let after = stat.rsplit_once(')')?.1;
    // Fields after the name start at field 3; start time is field 22.
    after.split_whitespace().nth(22 - 3)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_fails_and_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("lock");
        let first = OutputLock::acquire(&path, "a");
        assert!(first.is_ok());
        assert!(matches!(
            OutputLock::acquire(&path, "b"),
            Err(LockError::Held { .. })
        ));
        drop(first);
        // A stale lock: a pid that cannot exist.
        let stale = LockHolder {
            pid: u32::MAX - 1,
            host: host_name(),
            start_ticks: None,
            run_id: "old".into(),
            since: "x".into(),
        };
        std::fs::write(&path, serde_json::to_vec(&stale).unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(OutputLock::acquire(&path, "c").is_ok());
    }

    #[test]
    fn own_process_is_alive() {
        let me = LockHolder {
            pid: std::process::id(),
            host: host_name(),
            start_ticks: process_start_ticks(std::process::id()),
            run_id: String::new(),
            since: String::new(),
        };
        assert!(is_alive(&me));
    }
}
