//! Interrupts: turns SIGINT and SIGTERM into a flag that running phases poll,
//! so a stopped run still writes what it measured.
//!
//! Outside the phases there is nothing to poll: a wait on the network (the
//! baseline store's fetch or push, GitHub's API) blocks. A signal that
//! arrives while such a wait is under way ([`Interrupt::blocking`]) ends the
//! process at once, as if perfguard had no handler, so that a cancelled job or
//! `timeout` is obeyed promptly instead of when the wait gives up.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Set once SIGINT or SIGTERM arrives.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    flag: Arc<AtomicBool>,
    /// How many blocking waits are under way: while any is, a signal ends
    /// the process rather than setting the flag.
    blocking: Arc<AtomicUsize>,
}

impl Interrupt {
    /// Registers the handlers. A second signal after the first still only
    /// sets the flag while phases run; the run ends at its next check.
    pub fn install() -> std::io::Result<Interrupt> {
        let interrupt = Interrupt::default();
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let flag = Arc::clone(&interrupt.flag);
            let blocking = Arc::clone(&interrupt.blocking);
            let action = move || {
                flag.store(true, Ordering::SeqCst);
                if blocking.load(Ordering::SeqCst) > 0 {
                    // Async-signal-safe: the default action (termination).
                    let _ = signal_hook::low_level::emulate_default_handler(signal);
                }
            };
            // SAFETY: the action only touches atomics and calls
            // `emulate_default_handler`, which is async-signal-safe.
            unsafe { signal_hook::low_level::register(signal, action) }?;
        }
        Ok(interrupt)
    }

    /// A flag no signal sets, for tests and library callers.
    pub fn never() -> Interrupt {
        Interrupt::default()
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    pub fn set(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// Marks a wait that polls nothing (network, a lock): until the guard is
    /// dropped, SIGINT or SIGTERM ends the process with the signal's default
    /// action.
    pub fn blocking(&self) -> Blocking {
        self.blocking.fetch_add(1, Ordering::SeqCst);
        Blocking(Arc::clone(&self.blocking))
    }
}

/// While alive, a signal ends the process; see [`Interrupt::blocking`].
#[must_use = "the wait is marked only while the guard lives"]
pub struct Blocking(Arc<AtomicUsize>);

impl Drop for Blocking {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
