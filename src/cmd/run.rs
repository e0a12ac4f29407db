//! `perfguard run`: configuration → phases → results file and table.

use super::Outcome;
use super::progress::TerminalProgress;
use crate::cli::RunArgs;
use crate::config::Config;
use crate::error::Error;
use crate::interrupt::Interrupt;
use crate::results::{Run, ShardInfo};
use crate::shard::Shard;
use chrono::{DateTime, Utc};

pub(super) fn run(args: &RunArgs, color: bool) -> Result<Outcome, Error> {
    let config = Config::load(&args.config)?;
    let interrupt = super::interrupt()?;
    let run = match args.shard {
        Some(shard) => measure_shard(&config, shard, args.start_at, &interrupt)?,
        None => measure(&config, &args.phases, &interrupt)?,
    };
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
        if let crate::config::PhaseConfig::Http(h) = p
            && h.insecure
        {
            eprintln!(
                "perfguard: warning: phase {}: insecure = true: TLS certificates are not verified",
                p.name()
            );
        }
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

/// Runs shard `shard` of the suite (its HTTP phases with its share of the
/// load, then its command and ingest phases), after waiting for `start_at`.
/// The run records which shard it is, of which configuration.
pub(super) fn measure_shard(
    config: &Config,
    shard: Shard,
    start_at: Option<DateTime<Utc>>,
    interrupt: &Interrupt,
) -> Result<Run, Error> {
    let wait = start_at
        .map(|t| crate::shard::wait_for(t, Utc::now()))
        .transpose()
        .map_err(Error::Usage)?;
    let sharded = crate::shard::configure(config, shard)?;
    let names: Vec<&str> = sharded.phases.iter().map(|p| p.name()).collect();
    eprintln!(
        "perfguard: shard {shard}: {}",
        if names.is_empty() {
            "no phases (more shards than phases to deal out)".to_owned()
        } else {
            format!("phases {}", names.join(", "))
        }
    );
    if let (Some(wait), Some(at)) = (wait, start_at) {
        eprintln!(
            "perfguard: shard {shard}: waiting {:.1} s, until {}",
            wait.as_secs_f64(),
            at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        let until = std::time::Instant::now() + wait;
        // An interrupt ends the wait; `measure` then marks the run partial.
        while !interrupt.is_set() {
            let left = until.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(std::time::Duration::from_millis(50)));
        }
    }
    let mut run = measure(&sharded, &[], interrupt)?;
    run.shard = Some(ShardInfo {
        index: shard.index,
        count: shard.count,
        config_hash: config.hash(),
        phases: config.phases.iter().map(|p| p.name().to_owned()).collect(),
    });
    Ok(run)
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
