//! `perfguard ingest`: other harnesses' outputs → one results file (or
//! standard output), one phase per format.

use super::Outcome;
use crate::cli::IngestArgs;
use crate::error::Error;
use crate::ingest;
use crate::results::Run;
use std::path::Path;

pub(super) fn ingest(args: &IngestArgs) -> Result<Outcome, Error> {
    let inputs = args
        .files
        .iter()
        .map(|path| ingest::read_path(path, args.format))
        .collect::<Result<Vec<_>, _>>()?;
    let started_at = chrono::Utc::now();
    let phases = ingest::into_phases(&inputs, args.phase.as_deref())?;
    for format in ingest::formats(&inputs) {
        for input in inputs.iter().filter(|i| i.format == format) {
            eprintln!(
                "perfguard: {} metrics from {} ({format})",
                input.metrics.len(),
                input.path.display()
            );
        }
    }
    let run = Run::new(
        args.suite.clone(),
        crate::environment::detect("auto"),
        crate::environment::git_info(Path::new(".")),
        started_at,
        false,
        phases,
    );
    match &args.output {
        Some(out) => super::write_results(&run, out)?,
        None => println!(
            "{}",
            serde_json::to_string_pretty(&run).expect("results serialize")
        ),
    }
    Ok(Outcome::Pass)
}
