//! Network timeouts for the baseline store's remote (libgit2's own http and
//! git transports): a remote that accepts a connection and never answers
//! must not hold a check forever.

use std::time::Duration;

/// The connect timeout's setting, in milliseconds.
pub const CONNECT_VAR: &str = "PERFGUARD_GIT_CONNECT_TIMEOUT_MS";
/// The setting for how long one read or write on the connection may wait.
pub const IO_VAR: &str = "PERFGUARD_GIT_TIMEOUT_MS";

pub const DEFAULT_CONNECT: Duration = Duration::from_secs(10);
pub const DEFAULT_IO: Duration = Duration::from_secs(60);

/// The timeouts from the environment: `(connect, io)`, or what is wrong
/// with a setting.
pub fn from_env() -> Result<(Duration, Duration), String> {
    let read = |name: &str, default: Duration| match std::env::var(name) {
        Err(_) => Ok(default),
        Ok(v) => match v.trim().parse::<u32>() {
            // libgit2 takes an int; 0 there means "no timeout".
            Ok(ms) if ms > 0 && ms <= i32::MAX as u32 => Ok(Duration::from_millis(ms.into())),
            _ => Err(format!(
                "{name}={v:?} is not a positive whole number of milliseconds"
            )),
        },
    };
    Ok((
        read(CONNECT_VAR, DEFAULT_CONNECT)?,
        read(IO_VAR, DEFAULT_IO)?,
    ))
}

/// Sets libgit2's process-wide timeouts. libgit2 keeps them in
/// unsynchronized globals: [`super::git::prepare_libgit2`] sets them once,
/// before perfguard's first libgit2 call.
pub fn install(connect: Duration, io: Duration) {
    let ms = |d: Duration| i32::try_from(d.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: called once, before any libgit2 call that could read them.
    unsafe {
        let _ = git2::opts::set_server_connect_timeout_in_milliseconds(ms(connect));
        let _ = git2::opts::set_server_timeout_in_milliseconds(ms(io));
    }
}
