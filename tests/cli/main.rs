//! CLI tests: the perfguard binary as users run it, exit codes asserted.
//! One integration binary; each area has its own module.

mod baseline;
mod browser;
mod common;
mod compare;
mod examples;
mod faults;
mod github;
mod history;
mod http;
mod import;
mod ingest;
mod init;
mod install;
mod nightly;
mod paired;
mod report;
mod run;
mod shards;
mod tls;
