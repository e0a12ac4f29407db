//! Processes: turns an invocation into one measured run (wall, user and
//! system time, peak RSS via wait4), with a watchdog that kills the run's
//! whole process group on a deadline or an interrupt.

use crate::interrupt::Interrupt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A program and its arguments, environment and working directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub cwd: Option<PathBuf>,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Killed by the watchdog at the deadline.
    TimedOut,
    /// Killed because perfguard was interrupted.
    Interrupted,
}

/// What one run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub exit: Exit,
    /// Wall time in nanoseconds, from just before spawn to just after wait.
    pub wall_ns: f64,
    pub user_ns: f64,
    pub sys_ns: f64,
    /// Peak resident set of the largest process in the run's tree, in bytes.
    pub max_rss_bytes: f64,
    /// The last lines of standard error (only read when the run failed).
    pub stderr_tail: Option<String>,
}

/// Runs one invocation to completion; behind a trait so tests can drive the
/// phase loop with scripted outcomes.
pub trait Executor {
    fn execute(
        &mut self,
        invocation: &Invocation,
        deadline: Option<Instant>,
    ) -> std::io::Result<RunOutcome>;
}

/// The real executor: child processes in their own process group.
pub struct ProcessExecutor {
    stderr: File,
    /// Opened once: `Stdio::null()` would open /dev/null twice inside every
    /// timed spawn.
    devnull: File,
    watchdog: Watchdog,
}

impl ProcessExecutor {
    pub fn new(interrupt: Interrupt) -> std::io::Result<Self> {
        Ok(ProcessExecutor {
            stderr: tempfile_in_tmp()?,
            devnull: std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")?,
            watchdog: Watchdog::start(interrupt),
        })
    }
}

fn tempfile_in_tmp() -> std::io::Result<File> {
    let path = std::env::temp_dir().join(format!(
        "perfguard-stderr-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    // Unlinked at once: the open handle is all we need, and nothing is left
    // behind if perfguard is killed.
    let _ = std::fs::remove_file(&path);
    Ok(file)
}

impl Executor for ProcessExecutor {
    fn execute(
        &mut self,
        inv: &Invocation,
        deadline: Option<Instant>,
    ) -> std::io::Result<RunOutcome> {
        self.stderr.set_len(0)?;
        self.stderr.seek(SeekFrom::Start(0))?;
        let mut cmd = Command::new(&inv.program);
        cmd.args(&inv.args)
            .envs(inv.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::from(self.devnull.try_clone()?))
            .stdout(Stdio::from(self.devnull.try_clone()?))
            .stderr(Stdio::from(self.stderr.try_clone()?))
            // Own process group, so a timeout kills grandchildren too, and
            // the terminal's Ctrl-C reaches perfguard rather than the run.
            .process_group(0);
        if let Some(cwd) = &inv.cwd {
            cmd.current_dir(cwd);
        }

        let start = Instant::now();
        let child = cmd.spawn().map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot start `{}`: {e}", inv.program))
        })?;
        let pid = child.id() as libc::pid_t;
        self.watchdog.arm(pid, deadline);
        let waited = wait4(pid);
        let wall = start.elapsed();
        let killed = self.watchdog.disarm();
        // The child was reaped by wait4; std must not wait for it again.
        std::mem::forget(child);
        let (status, usage) = waited?;

        let exit = match killed {
            Some(reason) => reason,
            None => {
                let status = std::process::ExitStatus::from_raw(status);
                match (status.code(), status.signal()) {
                    (Some(c), _) => Exit::Code(c),
                    (None, Some(s)) => Exit::Signal(s),
                    (None, None) => Exit::Code(-1),
                }
            }
        };
        let stderr_tail = if exit == Exit::Code(0) {
            None
        } else {
            Some(read_tail(&mut self.stderr)?)
        };
        Ok(RunOutcome {
            exit,
            wall_ns: wall.as_nanos() as f64,
            user_ns: timeval_ns(usage.ru_utime),
            sys_ns: timeval_ns(usage.ru_stime),
            // Linux reports ru_maxrss in KiB.
            max_rss_bytes: usage.ru_maxrss as f64 * 1024.0,
            stderr_tail,
        })
    }
}

/// wait4 for one child: its exit status and its own rusage (which covers the
/// descendants it reaped, but never another run's processes).
fn wait4(pid: libc::pid_t) -> std::io::Result<(i32, libc::rusage)> {
    let mut status = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our own child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn timeval_ns(tv: libc::timeval) -> f64 {
    tv.tv_sec as f64 * 1e9 + tv.tv_usec as f64 * 1e3
}

/// The last 20 lines (at most 4 KiB) of what the run wrote to stderr.
fn read_tail(file: &mut File) -> std::io::Result<String> {
    const MAX: u64 = 4096;
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(len.saturating_sub(MAX)))?;
    let mut buf = Vec::new();
    file.take(MAX).read_to_end(&mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let lines: Vec<&str> = text.lines().collect();
    Ok(lines[lines.len().saturating_sub(20)..].join("\n"))
}

/// A thread that kills the running process group at its deadline, or when
/// the interrupt flag is set. Arming and disarming are plain atomic stores:
/// nothing inside the timed window makes a system call or wakes a thread.
struct Watchdog {
    shared: Arc<WatchState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the watchdog reads; 0 means "nothing".
struct WatchState {
    /// Process group of the running command.
    pgid: AtomicI32,
    /// Deadline as nanoseconds after `epoch`, plus one (0: none).
    deadline: AtomicU64,
    /// Why the watchdog killed the run: 1 timed out, 2 interrupted.
    killed: AtomicU8,
    shutdown: AtomicBool,
    epoch: Instant,
}

/// How often the watchdog looks: the precision of timeouts and of Ctrl-C.
const WATCH_PERIOD: Duration = Duration::from_millis(20);

impl Watchdog {
    fn start(interrupt: Interrupt) -> Watchdog {
        let shared = Arc::new(WatchState {
            pgid: AtomicI32::new(0),
            deadline: AtomicU64::new(0),
            killed: AtomicU8::new(0),
            shutdown: AtomicBool::new(false),
            epoch: Instant::now(),
        });
        let state = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("perfguard-watchdog".into())
            .spawn(move || {
                while !state.shutdown.load(Ordering::Acquire) {
                    std::thread::park_timeout(WATCH_PERIOD);
                    let pgid = state.pgid.load(Ordering::Acquire);
                    if pgid == 0 {
                        continue;
                    }
                    let deadline = state.deadline.load(Ordering::Acquire);
                    let now = state.epoch.elapsed().as_nanos() as u64 + 1;
                    let reason = if interrupt.is_set() {
                        2
                    } else if deadline != 0 && now >= deadline {
                        1
                    } else {
                        continue;
                    };
                    // Claim the run first, so a run that just ended and was
                    // disarmed is never killed by mistake.
                    if state
                        .pgid
                        .compare_exchange(pgid, 0, Ordering::AcqRel, Ordering::Acquire)
                        .is_ok()
                    {
                        state.killed.store(reason, Ordering::Release);
                        // SAFETY: signalling a process group we created.
                        unsafe { libc::killpg(pgid, libc::SIGKILL) };
                    }
                }
            })
            .expect("spawn watchdog thread");
        Watchdog {
            shared,
            thread: Some(thread),
        }
    }

    fn arm(&self, pgid: libc::pid_t, deadline: Option<Instant>) {
        let s = &self.shared;
        let nanos = deadline.map_or(0, |d| {
            d.saturating_duration_since(s.epoch).as_nanos() as u64 + 1
        });
        s.killed.store(0, Ordering::Release);
        s.deadline.store(nanos, Ordering::Release);
        s.pgid.store(pgid, Ordering::Release);
    }

    /// Stops watching; says whether the watchdog killed the run.
    fn disarm(&self) -> Option<Exit> {
        let s = &self.shared;
        s.pgid.store(0, Ordering::Release);
        match s.killed.swap(0, Ordering::AcqRel) {
            1 => Some(Exit::TimedOut),
            2 => Some(Exit::Interrupted),
            _ => None,
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}
