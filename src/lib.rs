//! perfguard: run performance phases, compare them with baselines, report,
//! and gate CI on regressions.

pub mod baseline;
pub mod cli;
pub mod cmd;
pub mod compare;
pub mod config;
pub mod confirm;
pub mod environment;
pub mod error;
pub mod github;
pub mod ingest;
pub mod init;
pub mod input;
pub mod interrupt;
pub mod merge;
pub mod metrics;
pub mod notify;
pub mod paired;
pub mod phase;
pub mod process;
pub mod report;
pub mod results;
pub mod shard;
pub mod stats;
pub mod tls;

pub use error::Error;
