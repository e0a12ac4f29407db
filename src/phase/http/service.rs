//! The service under test: turns a `service` config into a running process
//! group (started, polled until ready, stopped with SIGTERM then SIGKILL),
//! and a process tree into memory and CPU samples (sysinfo).

use crate::config::CommandLine;
use crate::config::http::ServiceConfig;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// A started service: its process group and its output log.
pub struct Service {
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Starts the command in a process group of its own, output to a log.
    pub fn start(cfg: &ServiceConfig, base_dir: &Path) -> std::io::Result<Service> {
        let (program, args) = match &cfg.command {
            CommandLine::Argv(argv) => (argv[0].clone(), argv[1..].to_vec()),
            CommandLine::Shell(s) => ("sh".to_owned(), vec!["-c".to_owned(), s.clone()]),
        };
        static COUNT: AtomicU64 = AtomicU64::new(0);
        let log = std::env::temp_dir().join(format!(
            "perfguard-service-{}-{}.log",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let out = std::fs::File::create(&log)?;
        let mut cmd = Command::new(&program);
        cmd.args(&args)
            .envs(&cfg.env)
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        match &cfg.cwd {
            Some(c) => {
                cmd.current_dir(base_dir.join(c));
            }
            None if base_dir != Path::new(".") && !base_dir.as_os_str().is_empty() => {
                cmd.current_dir(base_dir);
            }
            None => {}
        }
        let child = cmd.spawn().map_err(|e| {
            let _ = std::fs::remove_file(&log);
            std::io::Error::new(e.kind(), format!("cannot start service `{program}`: {e}"))
        })?;
        Ok(Service { child, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The exit status, if the service has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// The last lines of the service's output.
    pub fn output_tail(&self) -> Option<String> {
        let mut f = std::fs::File::open(&self.log).ok()?;
        let len = f.metadata().ok()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(2048))).ok()?;
        let mut text = String::new();
        f.read_to_string(&mut text).ok()?;
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(10)..].join("\n");
        (!tail.trim().is_empty()).then_some(tail)
    }

    /// SIGTERM to the group, then SIGKILL after `grace`. Returns how it ended.
    pub fn stop(mut self, grace: Duration) -> StopOutcome {
        let pgid = self.child.id() as i32;
        if self.exited().is_some() {
            // The leader is gone; still clear anything it left in its group.
            signal_group(pgid, libc::SIGKILL);
            return StopOutcome::AlreadyExited;
        }
        signal_group(pgid, libc::SIGTERM);
        let until = Instant::now() + grace;
        while Instant::now() < until {
            if self.exited().is_some() {
                signal_group(pgid, libc::SIGKILL);
                return StopOutcome::Terminated;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        signal_group(pgid, libc::SIGKILL);
        let _ = self.child.wait();
        StopOutcome::Killed
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            signal_group(self.child.id() as i32, libc::SIGKILL);
            let _ = self.child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// How a stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    AlreadyExited,
    Terminated,
    Killed,
}

fn signal_group(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals a process group; no
        // memory is involved.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
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
    if pid == 0 || !Path::new(&format!("/proc/{pid}")).exists() {
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
