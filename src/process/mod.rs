//! Processes: turns an invocation (program, arguments, environment, working
//! directory) into a child in a process group of its own — its output
//! captured by policy, bounded by a deadline and the interrupt flag, killed
//! as a whole group — and, for timed runs, into one measured run.
//!
//! Every spawn in perfguard goes through here: command phases (`timed`),
//! ingest commands, HTTP services, the paired build and its git calls.

pub mod launcher;
mod runner;
pub mod spawner;
pub mod timed;

use crate::interrupt::Interrupt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub use timed::{Executor, RunOutcome, TimedExecutor};

/// A program and its arguments, environment and working directory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
    /// Variables set on top of perfguard's own environment.
    pub env: Vec<(String, String)>,
    /// Where it runs; perfguard's own working directory when `None`.
    pub cwd: Option<PathBuf>,
}

impl Invocation {
    /// An argument vector run directly: the first word is the program.
    pub fn argv(words: &[String]) -> Invocation {
        let (program, args) = words.split_first().map_or_else(
            || (String::new(), Vec::new()),
            |(p, rest)| (p.clone(), rest.to_vec()),
        );
        Invocation {
            program,
            args,
            env: Vec::new(),
            cwd: None,
        }
    }

    /// A command string run by `sh -c`.
    pub fn shell(script: &str) -> Invocation {
        Invocation::argv(&["sh".into(), "-c".into(), script.into()])
    }

    pub fn env<'a>(mut self, vars: impl IntoIterator<Item = (&'a String, &'a String)>) -> Self {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.clone(), v.clone())));
        self
    }

    pub fn cwd(mut self, dir: Option<PathBuf>) -> Self {
        self.cwd = dir;
        self
    }
}

/// What spawning, waiting for or talking to a child can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("cannot start `{program}`: {error}")]
    Start {
        program: String,
        error: std::io::Error,
    },
    #[error("cannot start `{program}`: its {what} holds a NUL byte")]
    Nul { program: String, what: &'static str },
    #[error("cannot create a temporary file: {0}")]
    Scratch(std::io::Error),
    #[error("cannot wait for `{program}`: {error}")]
    Wait {
        program: String,
        error: std::io::Error,
    },
    #[error("cannot read the output of `{program}`: {error}")]
    Output {
        program: String,
        error: std::io::Error,
    },
    /// What the spawner process reported (already a whole message).
    #[error("{0}")]
    Reported(String),
    /// The spawner process (see `spawner`) broke off mid-conversation.
    #[error("the spawner process failed: {0}")]
    Spawner(std::io::Error),
}

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Killed at the deadline, with its whole process group.
    TimedOut,
    /// Killed because perfguard was interrupted, with its process group.
    Interrupted,
}

impl Exit {
    pub fn of(status: ExitStatus) -> Exit {
        match (status.code(), status.signal()) {
            (Some(c), _) => Exit::Code(c),
            (None, Some(s)) => Exit::Signal(s),
            (None, None) => Exit::Code(-1),
        }
    }

    pub fn success(self) -> bool {
        self == Exit::Code(0)
    }
}

/// Where a child's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capture {
    /// Standard output and error discarded.
    Null,
    /// Standard output discarded; standard error kept for its tail.
    Tail,
    /// Standard output kept whole for the caller; standard error for its tail.
    Output,
    /// Both streams into one log, read back by its tail.
    Log,
}

/// A child in a process group of its own. Dropping it kills the group.
pub struct Child {
    child: std::process::Child,
    program: String,
    stdout: Option<File>,
    /// Standard error, or the log of both streams.
    stderr: Option<File>,
    reaped: bool,
}

/// A child that ran to its end (or was killed).
#[derive(Debug)]
pub struct Finished {
    pub exit: Exit,
    /// Standard output, rewound, under `Capture::Output`.
    pub stdout: Option<File>,
    /// The last lines of standard error (or of the log), if it wrote any.
    pub stderr_tail: Option<String>,
}

/// How a `stop` went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    AlreadyExited,
    Terminated,
    Killed,
}

/// Starts `invocation` in a process group of its own, so a timeout or a stop
/// reaches its grandchildren too and the terminal's Ctrl-C reaches perfguard
/// rather than the child.
pub fn spawn(invocation: &Invocation, capture: Capture) -> Result<Child, ProcessError> {
    let scratch = || scratch().map_err(ProcessError::Scratch);
    let stdout = matches!(capture, Capture::Output | Capture::Log)
        .then(scratch)
        .transpose()?;
    let stderr = match capture {
        Capture::Null => None,
        Capture::Tail | Capture::Output => Some(scratch()?),
        Capture::Log => stdout
            .as_ref()
            .map(File::try_clone)
            .transpose()
            .map_err(ProcessError::Scratch)?,
    };
    let stdio = |file: &Option<File>| -> Result<Stdio, ProcessError> {
        Ok(match file {
            Some(f) => Stdio::from(f.try_clone().map_err(ProcessError::Scratch)?),
            None => Stdio::null(),
        })
    };
    let mut cmd = Command::new(&invocation.program);
    cmd.args(&invocation.args)
        .envs(invocation.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(stdio(&stdout)?)
        .stderr(stdio(&stderr)?)
        .process_group(0);
    if let Some(dir) = &invocation.cwd {
        cmd.current_dir(dir);
    }
    let child = cmd.spawn().map_err(|error| ProcessError::Start {
        program: invocation.program.clone(),
        error,
    })?;
    Ok(Child {
        child,
        program: invocation.program.clone(),
        // Under `Log` the one file is read as the tail, not as the output.
        stdout: if capture == Capture::Log {
            None
        } else {
            stdout
        },
        stderr,
        reaped: false,
    })
}

/// Runs `invocation` to its end, killing its group at `deadline` or on an
/// interrupt.
pub fn run(
    invocation: &Invocation,
    capture: Capture,
    deadline: Option<Instant>,
    interrupt: &Interrupt,
) -> Result<Finished, ProcessError> {
    spawn(invocation, capture)?.wait(deadline, interrupt)
}

impl Child {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How it ended, if it has.
    pub fn exited(&mut self) -> Option<ExitStatus> {
        let status = self.child.try_wait().ok().flatten()?;
        self.reaped = true;
        Some(status)
    }

    /// Waits for the end; at `deadline` or on an interrupt, kills the group.
    pub fn wait(
        mut self,
        deadline: Option<Instant>,
        interrupt: &Interrupt,
    ) -> Result<Finished, ProcessError> {
        // Short naps first, so a quick child is not kept waiting for a long
        // one; then the same 20 ms as the timed runs' watchdog.
        let mut nap = Duration::from_millis(1);
        let exit = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => {
                    self.reaped = true;
                    break Exit::of(status);
                }
                Ok(None) => {}
                Err(error) => {
                    return Err(ProcessError::Wait {
                        program: self.program.clone(),
                        error,
                    });
                }
            }
            let killed = if interrupt.is_set() {
                Some(Exit::Interrupted)
            } else if deadline.is_some_and(|d| Instant::now() >= d) {
                Some(Exit::TimedOut)
            } else {
                None
            };
            if let Some(exit) = killed {
                self.kill();
                break exit;
            }
            std::thread::sleep(nap);
            nap = (nap * 2).min(Duration::from_millis(20));
        };
        let stderr_tail = self.tail();
        let mut stdout = self.stdout.take();
        if let Some(out) = &mut stdout {
            out.seek(SeekFrom::Start(0))
                .map_err(|error| ProcessError::Output {
                    program: self.program.clone(),
                    error,
                })?;
        }
        Ok(Finished {
            exit,
            stdout,
            stderr_tail,
        })
    }

    /// The last lines of standard error (or of the log) so far.
    pub fn tail(&self) -> Option<String> {
        let mut file = self.stderr.as_ref()?.try_clone().ok()?;
        tail(&mut file, 0).ok().filter(|t| !t.trim().is_empty())
    }

    /// SIGTERM to the group, then SIGKILL after `grace`.
    pub fn stop(mut self, grace: Duration) -> StopOutcome {
        let pgid = self.pid() as i32;
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
        self.kill();
        StopOutcome::Killed
    }

    /// SIGKILL to the whole group, then reaps the leader.
    fn kill(&mut self) {
        signal_group(self.pid() as i32, libc::SIGKILL);
        if !self.reaped {
            let _ = self.child.wait();
            self.reaped = true;
        }
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if !self.reaped && self.exited().is_none() {
            self.kill();
        }
    }
}

/// Makes perfguard the reaper of its descendants' orphans (Linux's child
/// subreaper): a process that a phase's command leaves running in the
/// background (`server & echo started`) becomes perfguard's child when its
/// parent exits, so that [`end_orphans`] can end it. Call it first thing in
/// `main`, before any child exists. Elsewhere it does nothing.
pub fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
}

/// Ends every process still running under perfguard (its adopted orphans
/// and their own children, which it adopts as they are orphaned in turn),
/// and returns the names of those that were not perfguard's own, for a
/// warning. A pid read here is perfguard's unreaped child, so it cannot
/// have been reused by an unrelated process.
pub fn end_orphans() -> Vec<String> {
    timed::retire_idle();
    let mut ended = Vec::new();
    #[cfg(target_os = "linux")]
    for _ in 0..64 {
        let children = own_children();
        if children.is_empty() {
            break;
        }
        for pid in children {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|n| n.trim().to_owned())
                .unwrap_or_default();
            // SAFETY: signals and waitpid on our own unreaped child.
            unsafe {
                if libc::getpgid(pid) == pid {
                    libc::kill(-pid, libc::SIGKILL);
                }
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
            if name != "perfguard" && !name.is_empty() {
                ended.push(format!("{name} (pid {pid})"));
            }
        }
    }
    ended
}

/// The pids of perfguard's children, from every thread's
/// `/proc/self/task/TID/children`.
#[cfg(target_os = "linux")]
fn own_children() -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    let mut pids: Vec<i32> = tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect();
    pids.sort_unstable();
    pids.dedup();
    pids
}

/// Sends `signal` to a process group.
pub fn signal_group(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals a process group; no
        // memory is involved.
        unsafe { libc::kill(-pgid, signal) };
    }
}

/// A temporary file for a child's output: created with O_EXCL under an
/// unpredictable name (or with O_TMPFILE) and already unlinked, so nothing
/// planted in the temporary directory is followed and nothing is left
/// behind if perfguard is killed.
pub fn scratch() -> std::io::Result<File> {
    tempfile::tempfile()
}

/// How much of a captured stream the tail reads, and how many lines it keeps.
const TAIL_BYTES: u64 = 4096;
const TAIL_LINES: usize = 20;

/// The last 20 lines (at most 4 KiB) of what was written to `file` after
/// byte `from`.
pub fn tail(file: &mut File, from: u64) -> std::io::Result<String> {
    let len = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL_BYTES).max(from)))?;
    let mut bytes = Vec::new();
    file.take(TAIL_BYTES).read_to_end(&mut bytes)?;
    Ok(tail_lines(&bytes))
}

/// The last 20 lines of `bytes` (invalid UTF-8 replaced).
fn tail_lines(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod tests;
