//! The pipeline, in order: configuration → phases → results → comparison →
//! report. The only module that knows the order, and the only one that prints.

use crate::cli::{Cli, ColorChoice, Command, CompareArgs, Format, RunArgs};
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
    /// When the last status line went to a non-terminal stderr.
    last_line: Option<std::time::Instant>,
}

impl Progress {
    fn new() -> Self {
        Progress {
            bar: None,
            tty: std::io::stderr().is_terminal(),
            last_line: None,
        }
    }

    fn finish(&mut self) {
        self.last_line = None;
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

    fn load_status(&mut self, phase: &str, s: &phase::http::LoadStatus) {
        use crate::metrics::{Unit, units::human};
        let mut line = format!(
            "{} requests, {} errors, {}/s, p99 {}",
            s.requests,
            s.errors,
            s.last_second_requests,
            human(s.last_second_p99_ns, &Unit::Ns)
        );
        if let Some(m) = s.service_memory {
            line.push_str(&format!(", service {}", human(m as f64, &Unit::Bytes)));
        }
        if self.tty {
            let (position, length) = match s.iterations {
                (done, Some(bound)) => (done, bound),
                _ => (s.elapsed.as_millis() as u64, s.planned.as_millis() as u64),
            };
            let bar = self.bar.get_or_insert_with(|| {
                let bar = indicatif::ProgressBar::new(length);
                bar.set_style(
                    indicatif::ProgressStyle::with_template(
                        "  {prefix} [{bar:30}] {elapsed}  {msg}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_prefix(phase.to_owned());
                bar
            });
            bar.set_position(position);
            bar.set_message(line);
        } else if self
            .last_line
            .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(5))
        {
            self.last_line = Some(std::time::Instant::now());
            let at = match s.iterations {
                (done, Some(bound)) => format!("{done}/{bound} iterations"),
                _ => format!(
                    "{:.0}s/{:.0}s",
                    s.elapsed.as_secs_f64(),
                    s.planned.as_secs_f64()
                ),
            };
            eprintln!("perfguard: {phase}: {at}, {line}");
        }
    }
}
