//! Progress: what a running phase tells whoever shows it (a terminal bar, a
//! CI log line, nothing). Phases call it; `cmd::progress` draws it.

use std::time::Duration;

/// Progress of a running phase.
pub trait Progress {
    /// A command phase finished its `done`-th timed run of `planned`.
    fn run_done(&mut self, _phase: &str, _done: u32, _planned: u32) {}
    /// A load phase's status, about once a second.
    fn load_status(&mut self, _phase: &str, _status: &LoadStatus) {}
}

/// No progress display.
pub struct Silent;
impl Progress for Silent {}

/// Where a running load phase stands, for progress displays.
#[derive(Debug, Clone, Default)]
pub struct LoadStatus {
    pub elapsed: Duration,
    /// How long load runs at most.
    pub planned: Duration,
    /// Iterations started so far, and the bound when `iterations` is set.
    pub iterations: (u64, Option<u64>),
    /// Requests completed in the seconds closed so far.
    pub requests: u64,
    /// Of those, failed ones.
    pub errors: u64,
    /// Requests in the last closed second.
    pub last_second_requests: u64,
    /// 99th percentile latency of the last closed second, in nanoseconds.
    pub last_second_p99_ns: f64,
    /// Resident memory of the watched service, in bytes.
    pub service_memory: Option<u64>,
}
