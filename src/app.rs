//! The pipeline, in order: configuration → phases → results → comparison →
//! report. The only module that knows the order, and the only one that prints.

use crate::cli::{Cli, ColorChoice, Command, CompareArgs, Format, PairedArgs, RunArgs};
use crate::compare::{self, Comparison, Policy, Verdict};
use crate::config::{Config, ThresholdsConfig};
use crate::error::Error;
use crate::interrupt::Interrupt;
use crate::phase;
use crate::report::{self, View};
use crate::results::{Run, SCHEMA_VERSION};
use std::io::IsTerminal;
use std::path::Path;

/// How a command ended, short of an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Pass,
    /// Exit 1: a regression at or above `fail_on`, or a failed criterion.
    Regression,
    /// Exit 3: a phase failed or the run was interrupted.
    PhaseFailed,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Pass => 0,
            Outcome::Regression => 1,
            Outcome::PhaseFailed => 3,
        }
    }
}

pub fn run(cli: Cli) -> Result<Outcome, Error> {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    match cli.command {
        Command::Run(args) => run_phases(&args, color),
        Command::Compare(args) => compare_files(&args, color),
        Command::Paired(args) => paired(&args, color),
        Command::Schema => {
            print!("{}", crate::config::json_schema());
            Ok(Outcome::Pass)
        }
    }
}

fn run_phases(args: &RunArgs, color: bool) -> Result<Outcome, Error> {
    let config = Config::load(&args.config)?;
    let interrupt = Interrupt::install().map_err(|source| Error::Io {
        context: "cannot install signal handlers".into(),
        source,
    })?;
    let run = measure(&config, &args.phases, &interrupt)?;
    if let Some(out) = &args.output {
        run.write(out)?;
        eprintln!("perfguard: results written to {}", out.display());
    }
    print!("{}", report::terminal::results(&run, color));
    Ok(if run.partial || run.has_errors() {
        Outcome::PhaseFailed
    } else {
        Outcome::Pass
    })
}

/// Runs the selected phases of `config` into a `Run`.
pub fn measure(config: &Config, selected: &[String], interrupt: &Interrupt) -> Result<Run, Error> {
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
    let environment = crate::environment::detect(&config.suite.environment);
    let git = crate::environment::git_info(&config.base_dir());
    let started_at = chrono::Utc::now();
    let mut phases = Vec::new();
    let mut progress = Progress::new();
    for p in config
        .phases
        .iter()
        .filter(|p| selected.is_empty() || selected.iter().any(|s| s == p.name()))
    {
        if interrupt.is_set() {
            break;
        }
        eprintln!("perfguard: phase {} ({})", p.name(), p.kind());
        let result = phase::run_phase(p, config, interrupt, &mut progress);
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
    Ok(Run {
        schema_version: SCHEMA_VERSION,
        suite: config.suite.name.clone(),
        environment,
        git,
        started_at,
        finished_at: chrono::Utc::now(),
        partial,
        phases,
    })
}

/// `perfguard paired`: merge-base worktree, build, interleaved rounds,
/// paired comparison, confirmation of a failing regression by more rounds.
fn paired(args: &PairedArgs, color: bool) -> Result<Outcome, Error> {
    use crate::paired::{self as pm, Worktree};
    let config = Config::load(&args.config)?;
    check_phase_names(&config, &args.phases)?;
    let repo = pm::repository_root(&config.base_dir())?;
    let sha = pm::merge_base(&repo, &args.base)?;
    eprintln!(
        "perfguard: base {} (merge-base of HEAD and {})",
        &sha[..sha.len().min(12)],
        args.base
    );
    let worktree = Worktree::add(&repo, &sha)?;
    let base_config = pm::rerooted(&config, &repo, &worktree.path);
    if let Some(build) = &config.compare.build {
        for (side, dir) in [
            ("base", base_config.base_dir()),
            ("head", config.base_dir()),
        ] {
            eprintln!("perfguard: building {side}: {build}");
            pm::build(build, &dir)?;
        }
    }
    let interrupt = Interrupt::install().map_err(|source| Error::Io {
        context: "cannot install signal handlers".into(),
        source,
    })?;
    let policy = Policy::of(&config);
    let environment = crate::environment::detect(&config.suite.environment);
    let head_git = crate::environment::git_info(&config.base_dir());
    let measure_pairs = |phases: &[String]| {
        let started_at = chrono::Utc::now();
        eprintln!(
            "perfguard: running base and head interleaved{}",
            if phases.is_empty() {
                String::new()
            } else {
                format!(" ({})", phases.join(", "))
            }
        );
        let pairs = pm::run_interleaved(&base_config, &config, phases, &interrupt);
        let finished_at = chrono::Utc::now();
        let run = |phases, git| Run {
            schema_version: SCHEMA_VERSION,
            suite: config.suite.name.clone(),
            environment: environment.clone(),
            git,
            started_at,
            finished_at,
            partial: interrupt.is_set(),
            phases,
        };
        (
            run(pairs.base, Some(pm::base_git(&sha, &args.base))),
            run(pairs.head, head_git.clone()),
        )
    };
    let (base, head) = measure_pairs(&args.phases);
    if let Some(dir) = &args.save {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            context: format!("cannot create {}", dir.display()),
            source,
        })?;
        base.write(&dir.join("base.json"))?;
        head.write(&dir.join("head.json"))?;
    }
    let first = compare::paired::compare_paired(&base, &head, &policy);
    let comparison = crate::confirm::confirm(first, policy.compare.confirm, |phases| {
        eprintln!("perfguard: confirming by rerunning {}", phases.join(", "));
        let (b, h) = measure_pairs(phases);
        Ok::<_, Error>(compare::paired::compare_paired(&b, &h, &policy))
    })?;
    drop(worktree);
    print!("{}", render(&comparison, args.format, color));
    Ok(if comparison.verdict == Verdict::Fail {
        Outcome::Regression
    } else if base.has_errors() || head.has_errors() || head.partial {
        Outcome::PhaseFailed
    } else {
        Outcome::Pass
    })
}

fn check_phase_names(config: &Config, selected: &[String]) -> Result<(), Error> {
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

fn compare_files(args: &CompareArgs, color: bool) -> Result<Outcome, Error> {
    let baseline = Run::read(&args.baseline)?;
    let current = Run::read(&args.current)?;
    let history = args
        .history
        .iter()
        .map(|p| Run::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let mut policy = policy_for(args.config.as_deref())?;
    if let Some(f) = args.fail_on {
        policy.thresholds.fail_on = f;
    }
    check_environment(&baseline, &current, &policy)?;
    let comparison = compare::compare_history(Some(&baseline), &current, &history, &policy);
    print!("{}", render(&comparison, args.format, color));
    Ok(outcome(&comparison, &current))
}

/// The policy of `-c`, else of `./perfguard.toml` if present, else defaults.
fn policy_for(config: Option<&Path>) -> Result<Policy, Error> {
    match config {
        Some(path) => Ok(Policy::of(&Config::load(path)?)),
        None if Path::new("perfguard.toml").is_file() => {
            Ok(Policy::of(&Config::load(Path::new("perfguard.toml"))?))
        }
        None => Ok(Policy::new(ThresholdsConfig::default())),
    }
}

/// Under `strict_environment`, refuses a baseline from another CPU model or
/// core count (exit 3: the runner, not the input, is wrong). `check` calls
/// this before comparing, as `compare` does.
pub fn check_environment(baseline: &Run, current: &Run, policy: &Policy) -> Result<(), Error> {
    match compare::advice::environment_mismatch(baseline, current) {
        Some(m) if policy.compare.strict_environment => Err(Error::Environment(format!(
            "strict_environment: refusing to compare: {m}. Run on a matching runner, or set [compare] strict_environment = false to compare with a warning"
        ))),
        _ => Ok(()),
    }
}

pub fn render(comparison: &Comparison, format: Format, color: bool) -> String {
    match format {
        Format::Terminal => report::terminal::render(&View::of(comparison), color),
        Format::Md => report::markdown::render(&View::of(comparison)),
        Format::Json => report::json(comparison),
    }
}

fn outcome(comparison: &Comparison, current: &Run) -> Outcome {
    if comparison.verdict == Verdict::Fail {
        Outcome::Regression
    } else if current.has_errors() || current.partial {
        Outcome::PhaseFailed
    } else {
        Outcome::Pass
    }
}

/// A progress bar on a terminal; silence elsewhere (the per-phase lines on
/// stderr are the CI log's status).
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    tty: bool,
}

impl Progress {
    fn new() -> Self {
        Progress {
            bar: None,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl phase::command::Progress for Progress {
    fn run_done(&mut self, phase: &str, done: u32, planned: u32) {
        if !self.tty {
            return;
        }
        let bar = self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new(u64::from(planned));
            bar.set_style(
                indicatif::ProgressStyle::with_template("  {msg} [{bar:30}] {pos}/{len} runs")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_message(phase.to_owned());
            bar
        });
        if u64::from(done) > bar.length().unwrap_or(0) {
            bar.set_length(u64::from(done));
        }
        bar.set_position(u64::from(done));
    }
}
