//! CLI tests: the perfguard binary as users run it, exit codes asserted.
//! One integration binary; each area has its own module.

mod common;
mod compare;
mod ingest;
mod run;
