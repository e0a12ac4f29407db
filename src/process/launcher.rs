//! The launcher: turns the small C program built from `launcher.c` (see its
//! header) into a running spawner that vforks every timed run.
//!
//! perfguard carries the program in its own executable, writes it to an
//! anonymous in-memory file (`memfd_create`) and executes that, so nothing
//! is installed beside perfguard and nothing is left on disk. Where that
//! cannot work (not Linux, a C compiler missing at build time, a kernel that
//! refuses to execute in-memory files), `start` says so and perfguard forks
//! its runs from its own spawner instead, as before.

use super::spawner::Connection;

/// The launcher's executable, built by build.rs (empty where it was not).
#[cfg(target_os = "linux")]
static PROGRAM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/launcher"));

/// Set to `fork` (tests and comparisons only), perfguard forks its runs
/// from its own spawner even where the launcher could start.
pub const SPAWNER_VARIABLE: &str = "PERFGUARD_INTERNAL_SPAWNER";

/// Whether the launcher is wanted at all.
#[cfg(target_os = "linux")]
fn wanted() -> bool {
    std::env::var_os(SPAWNER_VARIABLE).is_none_or(|v| v != "fork")
}

/// Starts the launcher; `None` where it cannot run (see the module's
/// documentation). Its greeting is read later (`Connection::ready`): the
/// launcher loads while perfguard goes on.
#[cfg(target_os = "linux")]
pub fn start() -> Option<Connection> {
    use std::io::Write;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

    if PROGRAM.is_empty() || !wanted() {
        return None;
    }
    // Descriptors at 10 or above, so that placing /dev/null and the scratch
    // file at 3 and 4 in the child cannot overwrite one of them.
    let high = |fd: libc::c_int| -> Option<OwnedFd> {
        // SAFETY: fcntl on a descriptor we own; the result is a new one.
        let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
        // SAFETY: a fresh descriptor, owned by nobody else.
        (new >= 0).then(|| unsafe { OwnedFd::from_raw_fd(new) })
    };
    // SAFETY: memfd_create with a NUL-terminated name; checked below. The
    // raw system call, so that glibc older than 2.27 (no wrapper) also runs it.
    let memfd = unsafe {
        libc::syscall(
            libc::SYS_memfd_create,
            c"perfguard-launcher".as_ptr(),
            libc::MFD_CLOEXEC,
        )
    };
    let memfd = libc::c_int::try_from(memfd).ok().filter(|fd| *fd >= 0)?;
    // SAFETY: the descriptor memfd_create just returned.
    let mut program = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(memfd) });
    program.write_all(PROGRAM).ok()?;
    let program = high(program.as_raw_fd())?;
    let null = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .ok()?;
    let null = high(null.as_raw_fd())?;
    let scratch = super::scratch().ok()?;
    let scratch = high(scratch.as_raw_fd())?;
    let (null_fd, scratch_fd) = (null.as_raw_fd(), scratch.as_raw_fd());
    let mut command = Command::new(format!("/proc/self/fd/{}", program.as_raw_fd()));
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        // Out of the terminal's process group, as the spawner.
        .process_group(0);
    // SAFETY: dup2 is async-signal-safe; both sources are open in the child
    // (inherited up to exec) and above 4, so neither target clobbers them.
    unsafe {
        command.pre_exec(move || {
            for (from, to) in [(null_fd, 3), (scratch_fd, 4)] {
                if libc::dup2(from, to) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let mut child = command.spawn().ok()?;
    let pid = child.id() as i32;
    let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    };
    // The Child handle goes; the connection's `Drop` kills and reaps by pid.
    let input = std::fs::File::from(OwnedFd::from(input));
    let output = std::fs::File::from(OwnedFd::from(output));
    Some(Connection::launched(pid, input, output))
}

#[cfg(not(target_os = "linux"))]
pub fn start() -> Option<Connection> {
    None
}
