//! The spawner: turns run requests on a pipe into measured runs, inside a
//! small copy of perfguard that forks every run.
//!
//! Why a separate process: Linux starts a child's `ru_maxrss` at the resident
//! size of the process that calls exec, and a vfork'd (or forked) child is
//! perfguard itself until then, so `memory.peak` never read below perfguard's
//! own ~13 MiB. The spawner is forked at the top of `main`, before perfguard
//! parses arguments or allocates much (or, for a caller that did not, is
//! perfguard re-executed with a marker `main` checks first); a run forked
//! from it copies only the spawner's small anonymous memory, so `true` reads
//! what `/usr/bin/time` reads.

use super::runner::{Measured, Runner};
use super::{Exit, Invocation, ProcessError};
use std::ffi::OsString;
use std::io::{BufReader, Read, Write};
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// The first argument that turns perfguard into a spawner.
pub const MARKER: &str = "--internal-spawner";

/// What a spawner says first, so perfguard knows it speaks this protocol
/// (and not some other program at `/proc/self/exe`, such as a test harness).
pub const HELLO: &[u8; 8] = b"pgspawn1";

/// The process group of the run in progress (0: none), for the signal
/// handler that kills it.
static RUNNING: AtomicI32 = AtomicI32::new(0);

/// A program, its complete environment and its directory, as sent to the
/// spawner: everything the child sees, so the spawner's own state does not
/// leak into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub program: OsString,
    pub args: Vec<OsString>,
    pub env: Vec<OsString>,
    pub cwd: Option<PathBuf>,
}

impl Request {
    /// The invocation on top of perfguard's environment and directory now.
    pub fn of(inv: &Invocation) -> Request {
        let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
            .filter(|(k, _)| !inv.env.iter().any(|(name, _)| k == name.as_str()))
            .collect();
        vars.extend(inv.env.iter().map(|(k, v)| (k.into(), v.into())));
        Request {
            program: inv.program.clone().into(),
            args: inv.args.iter().map(Into::into).collect(),
            env: vars
                .into_iter()
                .map(|(mut k, v)| {
                    k.push("=");
                    k.push(v);
                    k
                })
                .collect(),
            cwd: inv.cwd.clone().or_else(|| std::env::current_dir().ok()),
        }
    }

    /// Refuses a request that C cannot carry: a string with a NUL byte
    /// (the spawner finds this as it prepares; the launcher is told nothing
    /// it would have to refuse).
    pub fn check_nul(&self) -> Result<(), ProcessError> {
        let program = || self.program.to_string_lossy().into_owned();
        let has_nul = |s: &std::ffi::OsStr| s.as_encoded_bytes().contains(&0);
        let what = if has_nul(&self.program) {
            Some("program name")
        } else if self.args.iter().any(|a| has_nul(a)) {
            Some("arguments")
        } else if self.env.iter().any(|e| has_nul(e)) {
            Some("environment")
        } else if self.cwd.as_ref().is_some_and(|d| has_nul(d.as_os_str())) {
            Some("working directory")
        } else {
            None
        };
        match what {
            Some(what) => Err(ProcessError::Nul {
                program: program(),
                what,
            }),
            None => Ok(()),
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, self.program.as_encoded_bytes());
        put_list(out, &self.args);
        put_list(out, &self.env);
        match &self.cwd {
            Some(dir) => {
                out.push(1);
                put_bytes(out, dir.as_os_str().as_encoded_bytes());
            }
            None => out.push(0),
        }
    }

    pub fn decode(input: &mut impl Read) -> std::io::Result<Request> {
        Ok(Request {
            program: get_os(input)?,
            args: get_list(input)?,
            env: get_list(input)?,
            cwd: match get_u8(input)? {
                0 => None,
                _ => Some(get_os(input)?.into()),
            },
        })
    }
}

// The conversation. perfguard sends `P` + a request, answered by `K` + its
// number (or `E` + an error message), and `B` + rounds + the numbers of the
// steps of one round, answered by `M` + a measured run (or `E` + an error)
// for each run as it ends, then `D`. Rounds stop at the first run that
// fails or that perfguard had killed.

const PREPARE: u8 = b'P';
const ROUNDS: u8 = b'B';
const PREPARED: u8 = b'K';
const MEASURED: u8 = b'M';
const FAILED: u8 = b'E';
const DONE: u8 = b'D';
/// The launcher's answer for a run that could not start: its errno
/// (perfguard words it, as the spawner does in its `E` answer).
const EXEC_FAILED: u8 = b'X';

/// How often the spawner sends the answers of the runs it has made.
const ANSWER_PERIOD: std::time::Duration = std::time::Duration::from_millis(50);

/// Set by SIGUSR1: perfguard wants the rounds in progress stopped.
static STOP: AtomicBool = AtomicBool::new(false);

/// Serves requests on standard input and answers on standard output until
/// perfguard closes the pipe. Called from `main` when the first argument is
/// `MARKER`; returns the exit code.
pub fn serve() -> i32 {
    // SAFETY: installing a handler that only touches atomics and calls
    // kill(2), all async-signal-safe, before any child exists.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = kill_running as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
    }
    let mut input = BufReader::new(std::io::stdin().lock());
    // Standard output unbuffered: each answer is one write(2), sent at once.
    // SAFETY: fd 1 is the pipe to perfguard and nothing else here uses it;
    // ManuallyDrop leaves it open.
    let mut output = std::mem::ManuallyDrop::new(unsafe {
        <std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(1)
    });
    if output.write_all(HELLO).is_err() {
        return 1;
    }
    let mut runner = Runner::forking().map_err(|e| format!("cannot prepare to run commands: {e}"));
    let mut answer = Vec::with_capacity(256);
    let mut steps = Vec::new();
    loop {
        let Ok(tag) = get_u8(&mut input) else {
            // perfguard closed the pipe (or is gone): done.
            return 0;
        };
        answer.clear();
        match tag {
            PREPARE => {
                let Ok(request) = Request::decode(&mut input) else {
                    return 1;
                };
                match runner
                    .as_mut()
                    .map_err(|e| e.clone())
                    .and_then(|r| r.prepare(&request).map_err(|e| e.to_string()))
                {
                    Ok(id) => {
                        answer.push(PREPARED);
                        answer.extend(id.to_le_bytes());
                    }
                    Err(message) => {
                        answer.push(FAILED);
                        put_bytes(&mut answer, message.as_bytes());
                    }
                }
            }
            ROUNDS => {
                let Ok(rounds) = get_u32(&mut input) else {
                    return 1;
                };
                let Ok(n) = get_u32(&mut input) else {
                    return 1;
                };
                steps.clear();
                for _ in 0..n {
                    let Ok(id) = get_u32(&mut input) else {
                        return 1;
                    };
                    steps.push(id);
                }
                STOP.store(false, Ordering::Release);
                // Answers go out in batches, every 50 ms or so: perfguard
                // only needs them for progress, and waking it after every
                // run would cost each run a switch between processes.
                let mut sent = std::time::Instant::now();
                'rounds: for _ in 0..rounds {
                    for &id in &steps {
                        if STOP.load(Ordering::Acquire) {
                            break 'rounds;
                        }
                        let result = runner
                            .as_mut()
                            .map_err(|e| e.clone())
                            .and_then(|r| r.run(id, &RUNNING).map_err(|e| e.to_string()));
                        let go_on = match result {
                            Ok(m) => {
                                answer.push(MEASURED);
                                m.encode(&mut answer);
                                m.exit.success()
                            }
                            Err(message) => {
                                answer.push(FAILED);
                                put_bytes(&mut answer, message.as_bytes());
                                false
                            }
                        };
                        if !go_on {
                            break 'rounds;
                        }
                        if sent.elapsed() >= ANSWER_PERIOD || answer.len() >= 1 << 16 {
                            if output.write_all(&answer).is_err() {
                                return 1;
                            }
                            answer.clear();
                            sent = std::time::Instant::now();
                        }
                    }
                }
                answer.push(DONE);
            }
            _ => return 1,
        }
        if output.write_all(&answer).is_err() {
            return 1;
        }
    }
}

/// SIGUSR1: perfguard's watchdog asks for the running group to be killed
/// and the rounds stopped (deadline or interrupt). Sent again each watchdog
/// period until the rounds end, so a request that lands between spawn and
/// `RUNNING` is not lost.
extern "C" fn kill_running(_: libc::c_int) {
    STOP.store(true, Ordering::Release);
    let pgid = RUNNING.load(Ordering::Acquire);
    if pgid > 0 {
        // SAFETY: kill(2) is async-signal-safe; the group is our child's.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
    }
}

/// Forks the spawner now, at the top of `main`: perfguard has one thread
/// and little memory yet, so the fork is safe and the spawner small, and no
/// second exec (with its dynamic linking) is paid. The spawner waits idle
/// until a command phase asks for it, and ends when perfguard does.
pub fn prefork() {
    if let Some(connection) = super::launcher::start().or_else(Connection::fork) {
        super::timed::offer_idle(connection);
    }
}

/// A pipe whose ends close on exec.
fn pipe_cloexec(fds: &mut [libc::c_int; 2]) -> bool {
    // SAFETY: pipe2 fills the array it is given; on failure nothing leaks.
    #[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
    unsafe {
        libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) == 0
    }
    // SAFETY: as above; macOS has no pipe2, and `prefork` runs while
    // perfguard has one thread, so no other thread can exec between the two
    // calls.
    #[cfg(not(any(target_os = "linux", target_os = "android", target_os = "freebsd")))]
    unsafe {
        libc::pipe(fds.as_mut_ptr()) == 0
            && fds
                .iter()
                .all(|&fd| libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) == 0)
    }
}

/// perfguard's end of the conversation.
pub struct Connection {
    pid: i32,
    input: std::fs::File,
    output: BufReader<std::fs::File>,
    message: Vec<u8>,
    /// The launcher's prepared programs by number (to word a run that could
    /// not start); `None` for perfguard's own spawner.
    launched: Option<Vec<String>>,
    /// Its greeting is still to be read (see `ready`).
    unheard: bool,
}

impl Connection {
    /// A spawner forked from this process. Call only while it has one thread.
    fn fork() -> Option<Connection> {
        use std::os::fd::FromRawFd;
        let (mut to_child, mut from_child) = ([0; 2], [0; 2]);
        if !pipe_cloexec(&mut to_child) {
            return None;
        }
        if !pipe_cloexec(&mut from_child) {
            // SAFETY: the first pipe's descriptors are ours.
            unsafe {
                libc::close(to_child[0]);
                libc::close(to_child[1]);
            }
            return None;
        }
        // SAFETY: called while the process has a single thread (the top of
        // `main`), so the child may run ordinary code after fork.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: the child's own descriptors: the pipes become its
            // standard input and output, stderr goes to /dev/null, and the
            // parent's ends are closed so perfguard's exit reads as EOF.
            unsafe {
                libc::dup2(to_child[0], 0);
                libc::dup2(from_child[1], 1);
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_WRONLY);
                if null >= 0 {
                    libc::dup2(null, 2);
                    libc::close(null);
                }
                for fd in [to_child[0], to_child[1], from_child[0], from_child[1]] {
                    libc::close(fd);
                }
                // Out of the terminal's process group, as the exec'd spawner.
                libc::setpgid(0, 0);
                libc::_exit(serve());
            }
        }
        // SAFETY: the child's ends are the child's; ours become owned Files.
        let (input, output) = unsafe {
            libc::close(to_child[0]);
            libc::close(from_child[1]);
            if pid < 0 {
                libc::close(to_child[1]);
                libc::close(from_child[0]);
                return None;
            }
            (
                std::fs::File::from_raw_fd(to_child[1]),
                std::fs::File::from_raw_fd(from_child[0]),
            )
        };
        Connection::greeted(pid, input, output)
    }

    /// Reads the spawner's greeting; `None` (and the process reaped) when it
    /// does not speak this protocol.
    fn greeted(pid: i32, input: std::fs::File, output: std::fs::File) -> Option<Connection> {
        let mut connection = Connection {
            pid,
            input,
            output: BufReader::new(output),
            message: Vec::with_capacity(64),
            launched: None,
            unheard: false,
        };
        let mut hello = [0u8; 8];
        if connection.output.read_exact(&mut hello).is_err() || &hello != HELLO {
            return None; // Drop kills and reaps it.
        }
        Some(connection)
    }

    /// The launcher (see `launcher`), just started: its greeting is read by
    /// `ready`, so that perfguard goes on while the launcher loads.
    pub(super) fn launched(pid: i32, input: std::fs::File, output: std::fs::File) -> Connection {
        Connection {
            pid,
            input,
            output: BufReader::new(output),
            message: Vec::with_capacity(64),
            launched: Some(Vec::new()),
            unheard: true,
        }
    }

    /// The connection once its process has greeted; `None` (and the process
    /// ended) when it does not speak this protocol.
    pub fn ready(mut self) -> Option<Connection> {
        if self.unheard {
            let mut hello = [0u8; 8];
            if self.output.read_exact(&mut hello).is_err() || &hello != HELLO {
                return None; // Drop kills and reaps it.
            }
            self.unheard = false;
        }
        Some(self)
    }

    /// Starts the launcher, or else a spawner from perfguard's own
    /// executable, and waits for its greeting; `None` when neither runs (a
    /// library caller's or a test harness's executable is not perfguard).
    pub fn start() -> Option<Connection> {
        super::launcher::start()
            .and_then(Connection::ready)
            .or_else(Connection::start_spawner)
    }

    /// A spawner from perfguard's own executable; `None` when that is not a
    /// perfguard that speaks this protocol.
    fn start_spawner() -> Option<Connection> {
        // Linux names the running executable even if its file was replaced.
        #[cfg(target_os = "linux")]
        let exe = std::path::PathBuf::from("/proc/self/exe");
        #[cfg(not(target_os = "linux"))]
        let exe = std::env::current_exe().ok()?;
        let mut child = std::process::Command::new(exe)
            .arg(MARKER)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            // Out of the terminal's process group: Ctrl-C is perfguard's to
            // handle, and perfguard tells the spawner what to kill.
            .process_group(0)
            .spawn()
            .ok()?;
        let pid = child.id() as i32;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        };
        // The Child handle goes; `Drop` kills and reaps by pid.
        let input = std::fs::File::from(std::os::fd::OwnedFd::from(input));
        let output = std::fs::File::from(std::os::fd::OwnedFd::from(output));
        Connection::greeted(pid, input, output)
    }

    /// The spawner's process id, for the watchdog's SIGUSR1.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    pub fn prepare(&mut self, request: &Request) -> Result<u32, ProcessError> {
        if self.launched.is_some() {
            request.check_nul()?;
        }
        self.message.clear();
        self.message.push(PREPARE);
        request.encode(&mut self.message);
        self.send()?;
        self.answer()?;
        let id = get_u32(&mut self.output).map_err(ProcessError::Spawner)?;
        if let Some(programs) = &mut self.launched {
            programs.push(request.program.to_string_lossy().into_owned());
        }
        Ok(id)
    }

    /// Runs `steps` `rounds` times over, handing each run's outcome (and
    /// its step) to `seen` as it ends. An error means the conversation broke.
    pub fn rounds(
        &mut self,
        steps: &[u32],
        rounds: u32,
        seen: &mut dyn FnMut(usize, Result<Measured, ProcessError>),
    ) -> Result<(), ProcessError> {
        self.message.clear();
        self.message.push(ROUNDS);
        self.message.extend(rounds.to_le_bytes());
        self.message.extend((steps.len() as u32).to_le_bytes());
        for id in steps {
            self.message.extend(id.to_le_bytes());
        }
        self.send()?;
        let mut step = 0;
        loop {
            let outcome = match get_u8(&mut self.output).map_err(ProcessError::Spawner)? {
                DONE => return Ok(()),
                MEASURED => {
                    let mut m =
                        Measured::decode(&mut self.output).map_err(ProcessError::Spawner)?;
                    // The launcher sends the last bytes; keep the last lines.
                    if self.launched.is_some() {
                        m.stderr_tail = m.stderr_tail.map(|t| super::tail_lines(t.as_bytes()));
                    }
                    Ok(m)
                }
                EXEC_FAILED => {
                    let errno = get_u32(&mut self.output).map_err(ProcessError::Spawner)?;
                    let program = self
                        .launched
                        .as_ref()
                        .and_then(|p| p.get(steps[step] as usize))
                        .cloned()
                        .unwrap_or_default();
                    Err(ProcessError::Reported(
                        ProcessError::Start {
                            program,
                            error: std::io::Error::from_raw_os_error(errno as i32),
                        }
                        .to_string(),
                    ))
                }
                FAILED => Err(ProcessError::Reported(
                    get_os(&mut self.output)
                        .map_err(ProcessError::Spawner)?
                        .to_string_lossy()
                        .into_owned(),
                )),
                other => return Err(unexpected(other)),
            };
            seen(step, outcome);
            step = (step + 1) % steps.len().max(1);
        }
    }

    fn send(&mut self) -> Result<(), ProcessError> {
        self.input
            .write_all(&self.message)
            .map_err(ProcessError::Spawner)
    }

    /// Reads `K`; an `E` answer becomes the error it carries.
    fn answer(&mut self) -> Result<(), ProcessError> {
        match get_u8(&mut self.output).map_err(ProcessError::Spawner)? {
            PREPARED => Ok(()),
            FAILED => {
                let text = get_os(&mut self.output).map_err(ProcessError::Spawner)?;
                Err(ProcessError::Reported(text.to_string_lossy().into_owned()))
            }
            other => Err(unexpected(other)),
        }
    }
}

fn unexpected(tag: u8) -> ProcessError {
    ProcessError::Spawner(std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("unexpected answer {tag}"),
    ))
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Closing its input ends the spawner; kill it in case it is stuck.
        // SAFETY: the pid is our own child's, not yet reaped.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
    }
}

impl Measured {
    fn encode(&self, out: &mut Vec<u8>) {
        let (kind, value) = match self.exit {
            Exit::Code(c) => (0u8, c),
            Exit::Signal(s) => (1, s),
            Exit::TimedOut => (2, 0),
            Exit::Interrupted => (3, 0),
        };
        out.push(kind);
        out.extend(value.to_le_bytes());
        for n in [self.wall_ns, self.user_ns, self.sys_ns, self.max_rss_kib] {
            out.extend(n.to_le_bytes());
        }
        match &self.stderr_tail {
            Some(t) => {
                out.push(1);
                put_bytes(out, t.as_bytes());
            }
            None => out.push(0),
        }
    }

    fn decode(input: &mut impl Read) -> std::io::Result<Measured> {
        let kind = get_u8(input)?;
        let value = get_u32(input)? as i32;
        let exit = match kind {
            0 => Exit::Code(value),
            1 => Exit::Signal(value),
            2 => Exit::TimedOut,
            _ => Exit::Interrupted,
        };
        let wall_ns = get_u64(input)?;
        let user_ns = get_u64(input)?;
        let sys_ns = get_u64(input)?;
        let max_rss_kib = get_u64(input)?;
        let stderr_tail = match get_u8(input)? {
            0 => None,
            _ => Some(get_os(input)?.to_string_lossy().into_owned()),
        };
        Ok(Measured {
            exit,
            wall_ns,
            user_ns,
            sys_ns,
            max_rss_kib,
            stderr_tail,
        })
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend((bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

fn put_list(out: &mut Vec<u8>, items: &[OsString]) {
    out.extend((items.len() as u32).to_le_bytes());
    for i in items {
        put_bytes(out, i.as_encoded_bytes());
    }
}

fn get_u8(input: &mut impl Read) -> std::io::Result<u8> {
    let mut b = [0u8; 1];
    input.read_exact(&mut b)?;
    Ok(b[0])
}

fn get_u32(input: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn get_u64(input: &mut impl Read) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    input.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn get_os(input: &mut impl Read) -> std::io::Result<OsString> {
    let len = get_u32(input)? as usize;
    let mut bytes = vec![0u8; len];
    input.read_exact(&mut bytes)?;
    Ok(OsString::from_vec(bytes))
}

fn get_list(input: &mut impl Read) -> std::io::Result<Vec<OsString>> {
    let n = get_u32(input)?;
    (0..n).map(|_| get_os(input)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_measured_runs_survive_the_pipe() {
        let request = Request {
            program: "/bin/echo".into(),
            args: vec!["a b".into(), "".into()],
            env: vec!["K=v=w".into()],
            cwd: Some("/tmp".into()),
        };
        let mut bytes = Vec::new();
        request.encode(&mut bytes);
        assert_eq!(Request::decode(&mut bytes.as_slice()).unwrap(), request);
        for exit in [Exit::Code(-3), Exit::Signal(9), Exit::TimedOut] {
            let m = Measured {
                exit,
                wall_ns: u64::MAX,
                user_ns: 1,
                sys_ns: 2,
                max_rss_kib: 1100,
                stderr_tail: Some("boom\nbang".into()),
            };
            let mut bytes = Vec::new();
            m.encode(&mut bytes);
            assert_eq!(Measured::decode(&mut bytes.as_slice()).unwrap(), m);
        }
    }

    #[test]
    fn a_nul_byte_is_refused_before_any_spawn() {
        let mut runner = Runner::new().unwrap();
        let request = Request {
            program: "/bin/true".into(),
            args: vec!["a\0b".into()],
            env: Vec::new(),
            cwd: None,
        };
        let err = runner.prepare(&request).unwrap_err();
        assert!(err.to_string().contains("NUL"), "{err}");
    }
}
