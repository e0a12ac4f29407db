//! Phases: turn each configured phase into a `PhaseResult` of metrics.

pub mod command;
pub mod http;
pub mod ingest;
pub mod progress;

use crate::config::{Config, PhaseConfig};
use crate::interrupt::Interrupt;
use crate::results::{PhaseKind, PhaseResult};

/// Runs one phase. Failures land in the result's `errors`, never panic.
pub fn run_phase(
    phase: &PhaseConfig,
    config: &Config,
    interrupt: &Interrupt,
    progress: &mut dyn progress::Progress,
) -> PhaseResult {
    match phase {
        PhaseConfig::Command(p) => match crate::process::TimedExecutor::new(interrupt.clone()) {
            Ok(mut executor) => {
                command::run(p, &config.base_dir(), &mut executor, interrupt, progress)
            }
            Err(e) => PhaseResult {
                errors: vec![crate::results::PhaseError {
                    message: format!("cannot prepare to run commands: {e}"),
                    exit_code: None,
                    stderr_tail: None,
                }],
                ..PhaseResult::new(&p.name, PhaseKind::Command, phase.criteria_text())
            },
        },
        PhaseConfig::Http(p) => http::run(p, &config.base_dir(), interrupt, progress),
        PhaseConfig::Ingest(p) => ingest::run(p, &config.base_dir(), interrupt),
    }
}
