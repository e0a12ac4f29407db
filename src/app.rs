//! The pipeline, in order: configuration → phases → results → comparison →
//! report. The only module that knows the order, and the only one that prints.

use crate::cli::{Cli, ColorChoice, Command, CompareArgs, Format, IngestArgs, RunArgs};
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
        Command::Ingest(args) => ingest_files(&args),
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

/// `perfguard ingest`: other harnesses' outputs → one results file. Each
/// format becomes one phase named after it (or `--phase`), so results
/// ingested from differently named files compare.
fn ingest_files(args: &IngestArgs) -> Result<Outcome, Error> {
    let mut inputs = Vec::new();
    for path in &args.files {
        inputs.push(crate::ingest::read_path(path, args.format)?);
    }
    // Phases in the order their first file was given.
    let mut formats: Vec<crate::ingest::Format> = Vec::new();
    for input in &inputs {
        if !formats.contains(&input.format) {
            formats.push(input.format);
        }
    }
    if args.phase.is_some() && formats.len() > 1 {
        let names: Vec<&str> = formats.iter().map(|f| f.as_str()).collect();
        return Err(Error::Usage(format!(
            "--phase names one phase, but the files are of several formats ({}); ingest each format on its own",
            names.join(", ")
        )));
    }
    let started_at = chrono::Utc::now();
    let mut phases = Vec::new();
    for format in formats {
        let of_format: Vec<_> = inputs
            .iter()
            .filter(|i| i.format == format)
            .cloned()
            .collect();
        let metrics = crate::ingest::join(&of_format)?;
        for input in &of_format {
            eprintln!(
                "perfguard: {} metrics from {} ({format})",
                input.metrics.len(),
                input.path.display()
            );
        }
        phases.push(crate::results::PhaseResult {
            name: args
                .phase
                .clone()
                .unwrap_or_else(|| format.as_str().to_owned()),
            kind: crate::results::PhaseKind::Ingest,
            errors: Vec::new(),
            metrics,
            criteria: Default::default(),
        });
    }
    let run = Run {
        schema_version: SCHEMA_VERSION,
        suite: args.suite.clone(),
        environment: crate::environment::detect("auto"),
        git: crate::environment::git_info(Path::new(".")),
        started_at,
        finished_at: chrono::Utc::now(),
        partial: false,
        phases,
    };
    match &args.output {
        Some(out) => {
            run.write(out)?;
            eprintln!("perfguard: results written to {}", out.display());
        }
        None => println!(
            "{}",
            serde_json::to_string_pretty(&run).expect("results serialize")
        ),
    }
    Ok(Outcome::Pass)
}

fn compare_files(args: &CompareArgs, color: bool) -> Result<Outcome, Error> {
    let baseline = Run::read(&args.baseline)?;
    let current = Run::read(&args.current)?;
    let mut thresholds = thresholds_for(args.config.as_deref())?;
    if let Some(f) = args.fail_on {
        thresholds.fail_on = f;
    }
    let comparison = compare::compare(Some(&baseline), &current, &Policy { thresholds });
    print!("{}", render(&comparison, args.format, color));
    Ok(outcome(&comparison, &current))
}

/// Thresholds from `-c`, else `./perfguard.toml` if present, else defaults.
fn thresholds_for(config: Option<&Path>) -> Result<ThresholdsConfig, Error> {
    match config {
        Some(path) => Ok(Config::load(path)?.thresholds),
        None if Path::new("perfguard.toml").is_file() => {
            Ok(Config::load(Path::new("perfguard.toml"))?.thresholds)
        }
        None => Ok(ThresholdsConfig::default()),
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
