//! Runs: turns a prepared invocation into one timed run (wall, user and
//! system time, peak RSS via wait4), spawned by posix_spawn from perfguard
//! or by fork from the small spawner process (see `spawner`).

use super::spawner::Request;
use super::{Exit, ProcessError};
use std::ffi::{CString, OsString};
use std::fs::File;
use std::io::Seek;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Instant;

/// An invocation made ready for posix_spawn: its C strings and the file
/// actions built once, so a timed run allocates nothing.
pub struct Prepared {
    program: CString,
    /// Keeps the strings that `argv_ptrs` and `envp_ptrs` point into.
    _strings: Vec<CString>,
    argv_ptrs: Vec<*mut libc::c_char>,
    envp_ptrs: Vec<*mut libc::c_char>,
    /// A bare program name is searched on PATH (posix_spawnp, execvpe).
    search: bool,
    /// The working directory, for the fork path.
    cwd: Option<CString>,
    actions: libc::posix_spawn_file_actions_t,
    attr: libc::posix_spawnattr_t,
}

/// One timed run as the spawner measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct Measured {
    pub exit: Exit,
    pub wall_ns: u64,
    pub user_ns: u64,
    pub sys_ns: u64,
    pub max_rss_kib: u64,
    /// The tail of standard error, when the run failed.
    pub stderr_tail: Option<String>,
}

impl Prepared {
    /// Prepares `request` with standard input and output on `null` and
    /// standard error on `stderr` (file descriptors that outlive it).
    fn new(
        request: &Request,
        null: libc::c_int,
        stderr: libc::c_int,
        forking: bool,
    ) -> Result<Prepared, ProcessError> {
        let wrapped;
        let request = match &request.cwd {
            // posix_spawn cannot change directory in a C library older than
            // glibc 2.29: a shell changes it and execs the command instead.
            Some(dir) if !forking && addchdir().is_none() => {
                wrapped = in_directory(request, dir);
                &wrapped
            }
            _ => request,
        };
        let program = request.program.to_string_lossy().into_owned();
        let c = |s: &OsString, what: &'static str| {
            CString::new(s.as_encoded_bytes()).map_err(|_| ProcessError::Nul {
                program: program.clone(),
                what,
            })
        };
        let mut strings = vec![c(&request.program, "program name")?];
        for a in &request.args {
            strings.push(c(a, "arguments")?);
        }
        let argc = strings.len();
        for e in &request.env {
            strings.push(c(e, "environment")?);
        }
        let cwd = request
            .cwd
            .as_ref()
            .map(|d| c(&d.clone().into_os_string(), "working directory"))
            .transpose()?;
        let ptrs = |range: &[CString]| -> Vec<*mut libc::c_char> {
            range
                .iter()
                .map(|s| s.as_ptr().cast_mut())
                .chain(std::iter::once(std::ptr::null_mut()))
                .collect()
        };
        let argv_ptrs = ptrs(&strings[..argc]);
        let envp_ptrs = ptrs(&strings[argc..]);
        let search = !request.program.as_encoded_bytes().contains(&b'/');
        let start_error = |error| ProcessError::Start {
            program: program.clone(),
            error,
        };
        // SAFETY: zeroed storage is what the init calls expect and fill in;
        // `Prepared` owns both objects and destroys them once, on drop.
        let mut prepared = unsafe {
            Prepared {
                program: strings[0].clone(),
                _strings: Vec::new(),
                argv_ptrs,
                envp_ptrs,
                search,
                cwd: cwd.clone(),
                actions: std::mem::zeroed(),
                attr: std::mem::zeroed(),
            }
        };
        // SAFETY: initialised objects, valid pointers for each call.
        unsafe {
            check(libc::posix_spawn_file_actions_init(&mut prepared.actions))
                .map_err(start_error)?;
            check(libc::posix_spawnattr_init(&mut prepared.attr)).map_err(start_error)?;
            let actions = &mut prepared.actions;
            for (fd, target) in [(null, 0), (null, 1), (stderr, 2)] {
                check(libc::posix_spawn_file_actions_adddup2(actions, fd, target))
                    .map_err(start_error)?;
            }
            if let Some(dir) = &cwd
                && let Some(addchdir) = addchdir()
            {
                check(addchdir(actions, dir.as_ptr())).map_err(start_error)?;
            }
            let attr = &mut prepared.attr;
            // Own process group, so a timeout kills grandchildren too, and
            // the terminal's Ctrl-C reaches perfguard rather than the run.
            check(libc::posix_spawnattr_setpgroup(attr, 0)).map_err(start_error)?;
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            check(libc::posix_spawnattr_setsigmask(attr, &set)).map_err(start_error)?;
            // Rust ignores SIGPIPE in its own processes; the child must not
            // inherit that.
            libc::sigaddset(&mut set, libc::SIGPIPE);
            check(libc::posix_spawnattr_setsigdefault(attr, &set)).map_err(start_error)?;
            let flags = libc::POSIX_SPAWN_SETPGROUP
                | libc::POSIX_SPAWN_SETSIGMASK
                | libc::POSIX_SPAWN_SETSIGDEF;
            check(libc::posix_spawnattr_setflags(attr, flags as libc::c_short))
                .map_err(start_error)?;
        }
        prepared._strings = strings;
        Ok(prepared)
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: both were initialised in `new` (destroying a zeroed object
        // that init never reached is harmless in glibc and musl: they only
        // free a list that is still null).
        unsafe {
            libc::posix_spawn_file_actions_destroy(&mut self.actions);
            libc::posix_spawnattr_destroy(&mut self.attr);
        }
    }
}

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::from_raw_os_error(rc))
    }
}

/// Runs prepared invocations with standard input and output on /dev/null
/// and standard error in a scratch file.
pub struct Runner {
    prepared: Vec<Prepared>,
    devnull: File,
    stderr: File,
    /// Where a forked child that could not exec leaves its errno: a page
    /// shared with the child, so no pipe is read inside the timed window.
    /// `None`: spawn with posix_spawn (vfork), as a threaded process must.
    exec_error: Option<SharedErrno>,
}

/// What a forked child writes for the spawner, in a shared anonymous mapping.
#[repr(C)]
struct ChildPage {
    /// Why the child could not exec (0: it did).
    errno: libc::c_int,
    /// CLOCK_MONOTONIC as the child began, just after fork returned in it.
    started: libc::timespec,
}

/// A [`ChildPage`] shared with each forked child.
struct SharedErrno(*mut ChildPage);

impl SharedErrno {
    fn new() -> std::io::Result<SharedErrno> {
        // SAFETY: a fresh anonymous mapping; checked for failure below.
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                std::mem::size_of::<ChildPage>(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if page == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(SharedErrno(page.cast()))
    }

    fn get(&self) -> libc::c_int {
        // SAFETY: the mapping lives as long as `self`; volatile because the
        // child writes it behind the compiler's back.
        unsafe { (&raw mut (*self.0).errno).read_volatile() }
    }

    fn set(&self, value: libc::c_int) {
        // SAFETY: as in `get`.
        unsafe { (&raw mut (*self.0).errno).write_volatile(value) }
    }

    /// In the child: the run's clock starts now, after the fork. Copying the
    /// spawner's page tables is the harness's work, not the command's
    /// (posix_spawn's vfork, as hyperfine spawns, has none to copy).
    fn mark_start(&self) {
        // SAFETY: clock_gettime is async-signal-safe; the pointer is the
        // mapping's, valid in the child too.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &raw mut (*self.0).started) };
    }

    /// Time since the child marked its start, if it did.
    fn since_start(&self) -> Option<std::time::Duration> {
        // SAFETY: as in `get`.
        let started = unsafe { (&raw mut (*self.0).started).read_volatile() };
        if started.tv_sec == 0 && started.tv_nsec == 0 {
            return None;
        }
        let mut now: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: a valid out-pointer.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
        let ns = |t: libc::timespec| t.tv_sec as i128 * 1_000_000_000 + t.tv_nsec as i128;
        u64::try_from(ns(now) - ns(started))
            .ok()
            .map(std::time::Duration::from_nanos)
    }

    fn clear_start(&self) {
        // SAFETY: as in `get`.
        unsafe {
            (&raw mut (*self.0).started).write_volatile(std::mem::zeroed());
        }
    }
}

impl Drop for SharedErrno {
    fn drop(&mut self) {
        // SAFETY: unmapping the mapping made in `new`.
        unsafe { libc::munmap(self.0.cast(), std::mem::size_of::<ChildPage>()) };
    }
}

impl Runner {
    /// Spawns with posix_spawn: safe in a process with threads, but the
    /// child shares this process's memory until exec, and Linux starts its
    /// `ru_maxrss` there.
    pub fn new() -> std::io::Result<Runner> {
        Ok(Runner {
            exec_error: None,
            prepared: Vec::new(),
            // Opened once: opening /dev/null inside every timed spawn would
            // time perfguard's work, not the command's.
            devnull: std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/null")?,
            stderr: super::scratch()?,
        })
    }

    /// Spawns with fork: only for a process with one thread (the spawner),
    /// where the child may call anything before exec. The child starts as a
    /// copy of the spawner's own small anonymous memory, not of all its
    /// mappings, so `ru_maxrss` starts near zero.
    pub(super) fn forking() -> std::io::Result<Runner> {
        Ok(Runner {
            exec_error: Some(SharedErrno::new()?),
            ..Runner::new()?
        })
    }

    /// Prepares a request; its number is what `run` takes.
    pub fn prepare(&mut self, request: &Request) -> Result<u32, ProcessError> {
        let p = Prepared::new(
            request,
            self.devnull.as_raw_fd(),
            self.stderr.as_raw_fd(),
            self.exec_error.is_some(),
        )?;
        self.prepared.push(p);
        Ok(self.prepared.len() as u32 - 1)
    }

    /// One run, timed to just after wait4 from the child's first moment after
    /// fork (forking) or from just before posix_spawn: the window holds no
    /// system call of perfguard's own. `running` holds the
    /// child's process group while it runs (0 before and after), for
    /// whoever kills it.
    pub fn run(&mut self, id: u32, running: &AtomicI32) -> Result<Measured, ProcessError> {
        let Some(prepared) = self.prepared.get(id as usize) else {
            return Err(ProcessError::Spawner(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("no prepared invocation {id}"),
            )));
        };
        let program = || prepared.program.to_string_lossy().into_owned();
        let scratch = |error| ProcessError::Output {
            program: program(),
            error,
        };
        // The previous run's output is dropped only when there was some: in
        // the common quiet case this costs one lseek.
        let written = self.stderr.stream_position().map_err(scratch)?;
        if written > 0 {
            self.stderr.set_len(0).map_err(scratch)?;
            self.stderr.rewind().map_err(scratch)?;
        }
        let spawn = if prepared.search {
            libc::posix_spawnp
        } else {
            libc::posix_spawn
        };
        let streams = [
            self.devnull.as_raw_fd(),
            self.devnull.as_raw_fd(),
            self.stderr.as_raw_fd(),
        ];
        let mut pid: libc::pid_t = 0;
        if let Some(e) = &self.exec_error {
            e.set(0);
            e.clear_start();
        }
        let start = Instant::now();
        let rc = match &self.exec_error {
            // SAFETY: this process has one thread (see `forking`), so the
            // child may run `exec_child` until it execs or exits.
            Some(e) => match unsafe { libc::fork() } {
                0 => unsafe { exec_child(prepared, streams, e) },
                -1 => std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EAGAIN),
                child => {
                    pid = child;
                    0
                }
            },
            // SAFETY: every pointer is valid for the call: the program, the
            // NULL-terminated argv and envp arrays and the initialised file
            // actions and attributes all live in `prepared`.
            None => unsafe {
                spawn(
                    &mut pid,
                    prepared.program.as_ptr(),
                    &prepared.actions,
                    &prepared.attr,
                    prepared.argv_ptrs.as_ptr(),
                    prepared.envp_ptrs.as_ptr(),
                )
            },
        };
        if rc != 0 {
            return Err(ProcessError::Start {
                program: program(),
                error: std::io::Error::from_raw_os_error(rc),
            });
        }
        running.store(pid, Ordering::Release);
        let waited = wait4(pid);
        let wall = match self.exec_error.as_ref().and_then(SharedErrno::since_start) {
            Some(since_fork) => since_fork,
            None => start.elapsed(),
        };
        running.store(0, Ordering::Release);
        let (status, usage) = waited.map_err(|error| ProcessError::Wait {
            program: program(),
            error,
        })?;
        if let Some(errno) = self.exec_error.as_ref().map(SharedErrno::get)
            && errno != 0
        {
            return Err(ProcessError::Start {
                program: program(),
                error: std::io::Error::from_raw_os_error(errno),
            });
        }
        let exit = {
            use std::os::unix::process::ExitStatusExt;
            Exit::of(std::process::ExitStatus::from_raw(status))
        };
        let stderr_tail = if exit.success() {
            None
        } else {
            Some(super::tail(&mut self.stderr, 0).map_err(scratch)?)
        };
        Ok(Measured {
            exit,
            wall_ns: wall.as_nanos() as u64,
            user_ns: timeval_ns(usage.ru_utime),
            sys_ns: timeval_ns(usage.ru_stime),
            max_rss_kib: max_rss_kib(&usage),
            stderr_tail,
        })
    }
}

/// The forked child: its own process group, its streams, its directory and
/// default signal handling, then exec; an errno left in `error` if any of
/// that fails.
///
/// # Safety
/// Only in a child forked from a process with one thread.
unsafe fn exec_child(prepared: &Prepared, streams: [libc::c_int; 3], error: &SharedErrno) -> ! {
    error.mark_start();
    // SAFETY: plain system calls on valid pointers owned by `prepared`.
    unsafe {
        let fail = |error: &SharedErrno| -> ! {
            error.set(
                std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO),
            );
            libc::_exit(127)
        };
        // Own process group, so a timeout kills grandchildren too.
        if libc::setpgid(0, 0) != 0 {
            fail(error);
        }
        for (target, fd) in streams.into_iter().enumerate() {
            if libc::dup2(fd, target as libc::c_int) < 0 {
                fail(error);
            }
        }
        if let Some(dir) = &prepared.cwd
            && libc::chdir(dir.as_ptr()) != 0
        {
            fail(error);
        }
        // Rust ignores SIGPIPE, and the spawner handles SIGUSR1 and blocks
        // nothing: the command gets the defaults.
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        libc::signal(libc::SIGUSR1, libc::SIG_DFL);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
        let argv = prepared.argv_ptrs.as_ptr().cast::<*const libc::c_char>();
        let envp = prepared.envp_ptrs.as_ptr().cast::<*const libc::c_char>();
        if prepared.search {
            execvpe(prepared.program.as_ptr(), argv, envp);
        } else {
            libc::execve(prepared.program.as_ptr(), argv, envp);
        }
        fail(error)
    }
}

type AddChdir =
    unsafe extern "C" fn(*mut libc::posix_spawn_file_actions_t, *const libc::c_char) -> libc::c_int;

/// `posix_spawn_file_actions_addchdir_np`, where the C library has it: musl
/// since 1.1.24 (linked statically), glibc since 2.29, looked up at run time
/// so that one binary also starts on older glibc.
#[cfg(target_env = "musl")]
fn addchdir() -> Option<AddChdir> {
    Some(libc::posix_spawn_file_actions_addchdir_np)
}

#[cfg(not(target_env = "musl"))]
fn addchdir() -> Option<AddChdir> {
    static FOUND: std::sync::OnceLock<Option<AddChdir>> = std::sync::OnceLock::new();
    *FOUND.get_or_init(|| {
        // SAFETY: dlsym with a NUL-terminated name; a non-null result is the
        // C library's function of exactly this signature.
        unsafe {
            let symbol = libc::dlsym(
                libc::RTLD_DEFAULT,
                c"posix_spawn_file_actions_addchdir_np".as_ptr(),
            );
            (!symbol.is_null()).then(|| std::mem::transmute::<*mut libc::c_void, AddChdir>(symbol))
        }
    })
}

/// `request` run by `/bin/sh`, which enters `dir` and execs the command.
fn in_directory(request: &Request, dir: &std::path::Path) -> Request {
    let mut args: Vec<OsString> = vec![
        "-c".into(),
        r#"cd -- "$0" && exec "$@""#.into(),
        dir.as_os_str().to_owned(),
        request.program.clone(),
    ];
    args.extend(request.args.iter().cloned());
    Request {
        program: "/bin/sh".into(),
        args,
        env: request.env.clone(),
        cwd: None,
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
use libc::execvpe;

/// execvpe where the C library lacks it (macOS): the environment becomes the
/// forked child's own, then execvp searches PATH.
///
/// # Safety
/// Only in a forked child about to exec, with NULL-terminated arrays.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
unsafe fn execvpe(
    program: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
) -> libc::c_int {
    unsafe extern "C" {
        static mut environ: *const *const libc::c_char;
    }
    // SAFETY: the child has one thread; nothing else reads environ.
    unsafe {
        environ = envp;
        libc::execvp(program, argv)
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

/// Linux reports ru_maxrss in KiB, macOS in bytes.
fn max_rss_kib(usage: &libc::rusage) -> u64 {
    if cfg!(target_vendor = "apple") {
        usage.ru_maxrss as u64 / 1024
    } else {
        usage.ru_maxrss as u64
    }
}

fn timeval_ns(tv: libc::timeval) -> u64 {
    tv.tv_sec as u64 * 1_000_000_000 + tv.tv_usec as u64 * 1_000
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `sh -c 'pwd > out'` through `request` and reads where it ran.
    fn ran_in(wrap: bool) {
        let dir = std::env::temp_dir().join(format!("pg-runner-{}-{wrap}", std::process::id()));
        let place = dir.join("a dir with 'quotes' and $vars");
        std::fs::create_dir_all(&place).unwrap();
        let out = dir.join("out");
        let request = Request {
            program: "sh".into(),
            args: vec!["-c".into(), format!("pwd > '{}'", out.display()).into()],
            env: vec![format!("PATH={}", std::env::var("PATH").unwrap()).into()],
            cwd: Some(place.clone()),
        };
        let request = if wrap {
            in_directory(&request, &place)
        } else {
            request
        };
        let mut runner = Runner::new().unwrap();
        let id = runner.prepare(&request).unwrap();
        let measured = runner.run(id, &AtomicI32::new(0)).unwrap();
        assert!(measured.exit.success(), "{measured:?}");
        let seen = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(seen.trim_end(), place.to_str().unwrap());
    }

    #[test]
    fn posix_spawn_enters_the_working_directory() {
        ran_in(false);
    }

    #[test]
    fn the_shell_fallback_for_old_c_libraries_enters_it_too() {
        ran_in(true);
    }

    #[test]
    fn this_c_library_has_addchdir() {
        // glibc 2.29+ and musl: the fallback is for older systems only.
        assert!(addchdir().is_some());
    }
}
