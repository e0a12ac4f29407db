//! Timed runs: turns an invocation into one measured run (wall, user and
//! system time, peak RSS), through the spawner process where it starts, with
//! a watchdog that kills the run's whole process group at its deadline or
//! on an interrupt.

use super::runner::{Measured, Runner};
use super::spawner::{Connection, Request};
use super::{Exit, Invocation, ProcessError};
use crate::interrupt::Interrupt;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    ) -> Result<RunOutcome, ProcessError>;

    /// Runs `steps` in order, `rounds` times over, handing each outcome and
    /// its step to `seen` as the run ends. Stops after the first error or
    /// run that does not exit 0; `seen` returning false stops the rounds as
    /// soon as the executor can, and nothing more is handed over.
    fn execute_rounds(
        &mut self,
        steps: &[&Invocation],
        rounds: u32,
        deadline: Option<Instant>,
        seen: &mut dyn FnMut(usize, Result<RunOutcome, ProcessError>) -> bool,
    ) {
        one_by_one(self, steps, rounds, deadline, seen);
    }
}

/// `execute_rounds` as single runs.
fn one_by_one<E: Executor + ?Sized>(
    executor: &mut E,
    steps: &[&Invocation],
    rounds: u32,
    deadline: Option<Instant>,
    seen: &mut dyn FnMut(usize, Result<RunOutcome, ProcessError>) -> bool,
) {
    for _ in 0..rounds {
        for (step, invocation) in steps.iter().enumerate() {
            let outcome = executor.execute(invocation, deadline);
            let ok = matches!(&outcome, Ok(o) if o.exit.success());
            if !seen(step, outcome) || !ok {
                return;
            }
        }
    }
}

/// The real executor: child processes in their own process group, spawned
/// by the spawner process (or, where that cannot start, by perfguard).
pub struct TimedExecutor {
    backend: Backend,
    /// Invocations already prepared, by their number.
    prepared: HashMap<Invocation, u32>,
    watchdog: Watchdog,
}

enum Backend {
    Spawner(Option<Connection>),
    InProcess(Runner, Arc<AtomicI32>),
}

/// The spawner outlives the executors that use it: one per perfguard
/// process, handed from phase to phase, so its start is paid once.
static IDLE_SPAWNER: Mutex<Option<Connection>> = Mutex::new(None);

/// Hands a started spawner to the next executor.
pub(super) fn offer_idle(connection: Connection) {
    if let Ok(mut idle) = IDLE_SPAWNER.lock() {
        *idle = Some(connection);
    }
}

/// Ends the spawner no executor took (a `run` without command phases), so
/// that it is not mistaken for a process a phase left running.
pub(super) fn retire_idle() {
    let idle = IDLE_SPAWNER.lock().ok().and_then(|mut s| s.take());
    drop(idle);
}

impl TimedExecutor {
    /// Runs through the spawner process, or in perfguard itself when the
    /// spawner cannot start (perfguard's executable gone, or a library
    /// caller whose executable is not perfguard).
    pub fn new(interrupt: Interrupt) -> Result<TimedExecutor, ProcessError> {
        let idle = IDLE_SPAWNER.lock().ok().and_then(|mut s| s.take());
        match idle.and_then(Connection::ready).or_else(Connection::start) {
            Some(connection) => Ok(TimedExecutor {
                watchdog: Watchdog::start(interrupt, Target::Spawner(connection.pid())),
                backend: Backend::Spawner(Some(connection)),
                prepared: HashMap::new(),
            }),
            None => TimedExecutor::in_process(interrupt),
        }
    }

    /// Runs through the launcher only (tests of that backend); `None` where
    /// it cannot start.
    #[cfg(test)]
    pub fn launched(interrupt: Interrupt) -> Option<TimedExecutor> {
        let connection = super::launcher::start()?.ready()?;
        Some(TimedExecutor {
            watchdog: Watchdog::start(interrupt, Target::Spawner(connection.pid())),
            backend: Backend::Spawner(Some(connection)),
            prepared: HashMap::new(),
        })
    }

    /// Runs in perfguard itself: `memory.peak` then reads at least
    /// perfguard's own resident size (see `spawner`).
    pub fn in_process(interrupt: Interrupt) -> Result<TimedExecutor, ProcessError> {
        let running = Arc::new(AtomicI32::new(0));
        Ok(TimedExecutor {
            watchdog: Watchdog::start(interrupt, Target::Group(Arc::clone(&running))),
            backend: Backend::InProcess(Runner::new().map_err(ProcessError::Scratch)?, running),
            prepared: HashMap::new(),
        })
    }

    /// The invocation's number on the backend, preparing it the first time.
    fn prepared(&mut self, invocation: &Invocation) -> Result<u32, ProcessError> {
        if let Some(id) = self.prepared.get(invocation) {
            return Ok(*id);
        }
        let request = Request::of(invocation);
        let id = match &mut self.backend {
            Backend::Spawner(c) => with_spawner(c, |c| c.prepare(&request))?,
            Backend::InProcess(runner, _) => runner.prepare(&request)?,
        };
        self.prepared.insert(invocation.clone(), id);
        Ok(id)
    }

    fn run(&mut self, invocation: &Invocation) -> Result<Measured, ProcessError> {
        let id = self.prepared(invocation)?;
        match &mut self.backend {
            Backend::Spawner(c) => {
                let mut measured = None;
                with_spawner(c, |c| c.rounds(&[id], 1, &mut |_, m| measured = Some(m)))?;
                measured.unwrap_or_else(|| {
                    Err(ProcessError::Spawner(std::io::Error::from(
                        std::io::ErrorKind::UnexpectedEof,
                    )))
                })
            }
            Backend::InProcess(runner, running) => runner.run(id, running),
        }
    }
}

/// A measured run as an outcome; a run the watchdog killed ends the way the
/// watchdog says.
fn outcome(m: Measured, killed: Option<Exit>) -> RunOutcome {
    let exit = match (killed, m.exit) {
        (Some(why), Exit::Signal(libc::SIGKILL)) => why,
        _ => m.exit,
    };
    RunOutcome {
        exit,
        wall_ns: m.wall_ns as f64,
        user_ns: m.user_ns as f64,
        sys_ns: m.sys_ns as f64,
        max_rss_bytes: m.max_rss_kib as f64 * 1024.0,
        stderr_tail: m.stderr_tail,
    }
}

/// Talks to the spawner; one that broke off is dropped, not reused.
fn with_spawner<T>(
    connection: &mut Option<Connection>,
    talk: impl FnOnce(&mut Connection) -> Result<T, ProcessError>,
) -> Result<T, ProcessError> {
    let Some(c) = connection else {
        return Err(ProcessError::Spawner(std::io::Error::from(
            std::io::ErrorKind::BrokenPipe,
        )));
    };
    let result = talk(c);
    if let Err(ProcessError::Spawner(_)) = result {
        *connection = None;
    }
    result
}

impl Drop for TimedExecutor {
    fn drop(&mut self) {
        if let Backend::Spawner(c) = &mut self.backend
            && let Some(c) = c.take()
            && let Ok(mut idle) = IDLE_SPAWNER.lock()
        {
            *idle = Some(c);
        }
    }
}

impl Executor for TimedExecutor {
    fn execute(
        &mut self,
        invocation: &Invocation,
        deadline: Option<Instant>,
    ) -> Result<RunOutcome, ProcessError> {
        self.watchdog.arm(deadline);
        let measured = self.run(invocation);
        let killed = self.watchdog.disarm();
        let mut run = outcome(measured?, None);
        if let Some(why) = killed {
            run.exit = why;
        }
        Ok(run)
    }

    /// Through the spawner, all rounds go in one request and the spawner
    /// runs them back to back, answering as each run ends: perfguard's own
    /// work between runs overlaps the next run instead of delaying it.
    fn execute_rounds(
        &mut self,
        steps: &[&Invocation],
        rounds: u32,
        deadline: Option<Instant>,
        seen: &mut dyn FnMut(usize, Result<RunOutcome, ProcessError>) -> bool,
    ) {
        if matches!(self.backend, Backend::InProcess(..)) {
            return one_by_one(self, steps, rounds, deadline, seen);
        }
        let mut ids = Vec::with_capacity(steps.len());
        for (step, invocation) in steps.iter().enumerate() {
            match self.prepared(invocation) {
                Ok(id) => ids.push(id),
                Err(e) => {
                    seen(step, Err(e));
                    return;
                }
            }
        }
        let Backend::Spawner(connection) = &mut self.backend else {
            return;
        };
        let watchdog = &self.watchdog;
        let (mut wanted, mut handed, mut last_ok) = (true, 0usize, true);
        watchdog.arm(deadline);
        let talked = with_spawner(connection, |c| {
            c.rounds(&ids, rounds, &mut |step, measured| {
                if wanted {
                    let run = measured.map(|m| outcome(m, watchdog.killed()));
                    last_ok = matches!(&run, Ok(o) if o.exit.success());
                    handed += 1;
                    wanted = seen(step, run);
                }
            })
        });
        let killed = watchdog.disarm();
        let planned = rounds as usize * steps.len();
        match talked {
            Err(e) if wanted => {
                seen(handed % steps.len().max(1), Err(e));
            }
            // Stopped between two runs: the run that was next is the one
            // the deadline or the interrupt cut off.
            Ok(()) if wanted && last_ok && handed < planned => {
                if let Some(why) = killed {
                    seen(
                        handed % steps.len().max(1),
                        Ok(RunOutcome {
                            exit: why,
                            wall_ns: 0.0,
                            user_ns: 0.0,
                            sys_ns: 0.0,
                            max_rss_bytes: 0.0,
                            stderr_tail: None,
                        }),
                    );
                }
            }
            _ => {}
        }
    }
}

/// What the watchdog kills.
enum Target {
    /// The process group the in-process runner reports (0: none running).
    Group(Arc<AtomicI32>),
    /// The spawner process, asked by SIGUSR1 to kill its running group.
    Spawner(i32),
}

/// A thread that kills the running process group at its deadline, or when
/// the interrupt flag is set. Arming and disarming are plain atomic stores:
/// nothing inside the timed window makes a system call or wakes a thread.
struct Watchdog {
    shared: Arc<WatchState>,
    thread: Option<std::thread::JoinHandle<()>>,
}

struct WatchState {
    armed: AtomicBool,
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
    fn start(interrupt: Interrupt, target: Target) -> Watchdog {
        let shared = Arc::new(WatchState {
            armed: AtomicBool::new(false),
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
                    if !state.armed.load(Ordering::Acquire) {
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
                    state.killed.store(reason, Ordering::Release);
                    // Again every period until the run is disarmed: a kill
                    // that lands just before the child exists is not lost.
                    match &target {
                        Target::Group(group) => {
                            super::signal_group(group.load(Ordering::Acquire), libc::SIGKILL);
                        }
                        // SAFETY: kill(2) on the spawner, our own child.
                        Target::Spawner(pid) => unsafe {
                            libc::kill(*pid, libc::SIGUSR1);
                        },
                    }
                }
            })
            .expect("spawn watchdog thread");
        Watchdog {
            shared,
            thread: Some(thread),
        }
    }

    fn arm(&self, deadline: Option<Instant>) {
        let s = &self.shared;
        let nanos = deadline.map_or(0, |d| {
            d.saturating_duration_since(s.epoch).as_nanos() as u64 + 1
        });
        s.killed.store(0, Ordering::Release);
        s.deadline.store(nanos, Ordering::Release);
        s.armed.store(true, Ordering::Release);
    }

    /// Whether the watchdog has killed (or is killing) the run, so far.
    fn killed(&self) -> Option<Exit> {
        match self.shared.killed.load(Ordering::Acquire) {
            1 => Some(Exit::TimedOut),
            2 => Some(Exit::Interrupted),
            _ => None,
        }
    }

    /// Stops watching; says whether the watchdog killed the run.
    fn disarm(&self) -> Option<Exit> {
        let s = &self.shared;
        s.armed.store(false, Ordering::Release);
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
