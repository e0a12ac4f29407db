//! `perfguard run`: configuration → phases → results file and table.

use super::Outcome;
use super::progress::TerminalProgress;
use crate::cli::RunArgs;
use crate::config::Config;
use crate::error::Error;
use crate::interrupt::Interrupt;
use crate::results::Run;

pub(super) fn run(args: &RunArgs, color: bool) -> Result<Outcome, Error> {
    let config = Config::load(&args.config)?;
    let interrupt = super::interrupt()?;
    let run = measure(&config, &args.phases, &interrupt)?;
    if let Some(out) = &args.output {
        super::write_results(&run, out)?;
    }
    if let Some(path) = &args.prometheus {
        let text = crate::notify::prometheus::exposition(&run, None, false);
        crate::notify::prometheus::write_file(path, &text).map_err(|source| Error::Io {
            context: format!("cannot write {}", path.display()),
            source,
        })?;
    }
    print!("{}", crate::report::terminal::results(&run, color));
    Ok(Outcome::measured(&[&run]))
}

/// Runs the selected phases of `config` (all when `selected` is empty) into
/// a `Run`, saying on stderr which phase runs and what failed.
pub fn measure(config: &Config, selected: &[String], interrupt: &Interrupt) -> Result<Run, Error> {
    check_phase_names(config, selected)?;
    let environment = crate::environment::detect(&config.suite.environment);
    let git = crate::environment::git_info(&config.base_dir());
    let started_at = chrono::Utc::now();
    let mut phases = Vec::new();
    let mut progress = TerminalProgress::new();
    for p in config
        .phases
        .iter()
        .filter(|p| selected.is_empty() || selected.iter().any(|s| s == p.name()))
    {
        if interrupt.is_set() {
            break;
        }
        eprintln!("perfguard: phase {} ({})", p.name(), p.kind());
        let result = crate::phase::run_phase(p, config, interrupt, &mut progress);
        progress.finish();
        for e in &result.errors {
            eprintln!("perfguard: phase {} failed: {}", p.name(), e.message);
        }
        phases.push(result);
    }
    let partial = interrupt.is_set();
    if partial {
        eprintln!("perfguard: interrupted; keeping the results measured so far, marked partial");
    }
    Ok(Run::new(
        config.suite.name.clone(),
        environment,
        git,
        started_at,
        partial,
        phases,
    ))
}

/// Refuses a `--phase` the configuration does not have, naming those it has.
pub(super) fn check_phase_names(config: &Config, selected: &[String]) -> Result<(), Error> {
    for name in selected {
        if !config.phases.iter().any(|p| p.name() == name) {
            let names: Vec<&str> = config.phases.iter().map(|p| p.name()).collect();
            return Err(Error::Usage(format!(
                "no phase named `{name}` in {}; phases: {}",
                config.path.display(),
                names.join(", ")
            )));
        }
    }
    Ok(())
}
