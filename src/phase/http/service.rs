//! The service under test: turns a `service` config into a running process
//! group (started, polled until ready, stopped with SIGTERM then SIGKILL),
//! and a process tree into memory and CPU samples (sysinfo).

use crate::config::http::ServiceConfig;
use crate::phase::command::split;
pub use crate::process::StopOutcome;
use crate::process::{self, Capture, ProcessError};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// A started service: its process group, output to a log.
pub struct Service {
    child: process::Child,
}

impl Service {
    /// Starts the command in a process group of its own, output to a log.
    pub fn start(cfg: &ServiceConfig, base_dir: &Path) -> std::io::Result<Service> {
        let cwd = match &cfg.cwd {
            Some(c) => Some(base_dir.join(c)),
            None if base_dir != Path::new(".") && !base_dir.as_os_str().is_empty() => {
                Some(base_dir.to_owned())
            }
            None => None,
        };
        let invocation = split(&cfg.command).env(&cfg.env).cwd(cwd);
        let child = process::spawn(&invocation, Capture::Log).map_err(|e| match e {
            ProcessError::Start { program, error } => std::io::Error::new(
                error.kind(),
                format!("cannot start service `{program}`: {error}"),
            ),
            other => std::io::Error::other(other.to_string()),
        })?;
        Ok(Service { child })
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// How the service ended, if it has.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.exited()
    }

    /// The last lines of the service's output.
    pub fn output_tail(&self) -> Option<String> {
        self.child.tail()
    }

    /// SIGTERM to the group, then SIGKILL after `grace`. Returns how it ended.
    pub fn stop(self, grace: Duration) -> StopOutcome {
        self.child.stop(grace)
    }
}

/// Whether process `pid` exists (a zombie counts, as on Linux's /proc).
fn running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists and may be
    // signalled; EPERM means it exists under another user.
    (unsafe { libc::kill(pid, 0) } == 0)
        || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Reads a process id from a pid file.
pub fn read_pid_file(path: &Path) -> Result<u32, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read pid file {}: {e}", path.display()))?;
    let pid: u32 = text.trim().parse().map_err(|_| {
        format!(
            "pid file {} does not hold a process id (found `{}`)",
            path.display(),
            text.trim().chars().take(40).collect::<String>()
        )
    })?;
    if pid == 0 || !running(pid) {
        return Err(format!(
            "pid file {} names process {pid}, which is not running",
            path.display()
        ));
    }
    Ok(pid)
}

/// One reading of a process tree.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    /// Resident memory of every process in the tree, in bytes.
    pub memory: u64,
    /// CPU time the live processes of the tree have used, in milliseconds.
    pub cpu_ms: u64,
}

/// Reads process trees with sysinfo.
pub struct Probe {
    system: System,
    root: Pid,
}

impl Probe {
    pub fn new(root: u32) -> Result<Probe, String> {
        let system = System::new().map_err(|e| format!("cannot read processes: {e}"))?;
        Ok(Probe {
            system,
            root: Pid::from_u32(root),
        })
    }

    /// The tree's memory and CPU time now; `None` once the root is gone.
    pub fn read(&mut self) -> Option<Reading> {
        self.system.refresh_processes_specifics(
            ProcessesToUpdate::All,
            true,
            ProcessRefreshKind::nothing().with_memory().with_cpu(),
        );
        let procs = self.system.processes();
        procs.get(&self.root)?;
        let mut tree = vec![self.root];
        let mut i = 0;
        while i < tree.len() {
            let parent = tree[i];
            tree.extend(
                procs
                    .iter()
                    .filter(|(_, p)| p.parent() == Some(parent) && p.thread_kind().is_none())
                    .map(|(pid, _)| *pid),
            );
            i += 1;
        }
        let mut r = Reading::default();
        for pid in tree {
            if let Some(p) = procs.get(&pid) {
                r.memory += p.memory();
                r.cpu_ms += p.accumulated_cpu_time();
            }
        }
        Some(r)
    }
}

/// Samples a process tree on a thread until stopped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    latest: Arc<AtomicU64>,
    peak: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<Probe>>,
    start_cpu: u64,
    started: Instant,
}

/// What sampling during load found.
#[derive(Debug, Clone, Copy)]
pub struct Sampled {
    pub peak: u64,
    /// CPU used per wall second, in cores (1.0 = one core busy).
    pub cpu_mean: f64,
}

impl Sampler {
    pub fn start(mut probe: Probe, interval: Duration) -> Sampler {
        let first = probe.read().unwrap_or_default();
        let stop = Arc::new(AtomicBool::new(false));
        let latest = Arc::new(AtomicU64::new(first.memory));
        let peak = Arc::new(AtomicU64::new(first.memory));
        let (s, l, p) = (Arc::clone(&stop), Arc::clone(&latest), Arc::clone(&peak));
        let handle = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                std::thread::sleep(interval);
                if let Some(r) = probe.read() {
                    l.store(r.memory, Ordering::Relaxed);
                    p.fetch_max(r.memory, Ordering::Relaxed);
                }
            }
            probe
        });
        Sampler {
            stop,
            latest,
            peak,
            handle: Some(handle),
            start_cpu: first.cpu_ms,
            started: Instant::now(),
        }
    }

    /// The latest memory reading, in bytes.
    pub fn latest(&self) -> u64 {
        self.latest.load(Ordering::Relaxed)
    }

    /// Stops sampling; returns the probe for later readings and the summary.
    pub fn finish(mut self) -> (Option<Probe>, Sampled) {
        self.stop.store(true, Ordering::Relaxed);
        let mut probe = self.handle.take().and_then(|h| h.join().ok());
        let wall = self.started.elapsed().as_secs_f64();
        let last = probe.as_mut().and_then(Probe::read);
        if let Some(r) = last {
            self.peak.fetch_max(r.memory, Ordering::Relaxed);
        }
        let cpu_ms = last.map_or(self.start_cpu, |r| r.cpu_ms);
        let cpu_mean = if wall > 0.0 {
            cpu_ms.saturating_sub(self.start_cpu) as f64 / 1000.0 / wall
        } else {
            0.0
        };
        (
            probe,
            Sampled {
                peak: self.peak.load(Ordering::Relaxed),
                cpu_mean,
            },
        )
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
