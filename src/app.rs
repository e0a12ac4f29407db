//! The pipeline, in order: configuration → phases → results → comparison →
//! report. The only module that knows the order, and the only one that prints.

use crate::cli::{Cli, ColorChoice, Command, CommentArgs, CompareArgs, Format, RunArgs};
use crate::compare::{self, Comparison, Policy, Verdict};
use crate::config::{Config, ThresholdsConfig};
use crate::error::Error;
use crate::github;
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
        Command::Comment(args) => post_comment(&args),
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
    // The GitHub context is read first: the token is masked before anything
    // else reaches the log, and a broken event payload stops the run early.
    let github = if args.github { github_context()? } else { None };
    let baseline = Run::read(&args.baseline)?;
    let current = Run::read(&args.current)?;
    let mut thresholds = thresholds_for(args.config.as_deref())?;
    if let Some(f) = args
        .fail_on
        .or(github.as_ref().and_then(|(_, i)| i.fail_on))
    {
        thresholds.fail_on = f;
    }
    let mut history = args
        .history
        .iter()
        .map(|p| Run::read(p))
        .collect::<Result<Vec<Run>, _>>()?;
    history.sort_by_key(|r| r.started_at);
    let comparison = compare::compare(Some(&baseline), &current, &Policy { thresholds });
    print!(
        "{}",
        render_with_history(&comparison, &history, args.format, color)
    );
    let mut outcome = outcome(&comparison, &current);
    if let Some((ctx, inputs)) = github {
        let dir = std::env::current_dir().map_err(|source| Error::Io {
            context: "cannot read the working directory".into(),
            source,
        })?;
        let published = github::publish(
            &comparison,
            &history,
            &ctx,
            &github::Options::new(inputs, &dir),
        );
        outcome = gated(outcome, &published);
        report_publication(&published);
    }
    Ok(outcome)
}

/// The Actions context and inputs, with the token masked; `None` outside
/// GitHub Actions (said once on stderr).
fn github_context() -> Result<Option<(github::Context, github::Inputs)>, Error> {
    let vars = std::env::vars().collect();
    if !github::Context::in_actions(&vars) {
        eprintln!(
            "perfguard: --github: not running in GitHub Actions (GITHUB_ACTIONS is not `true`); nothing published"
        );
        return Ok(None);
    }
    let inputs = github::Inputs::from_vars(&vars)?;
    if let Some(token) = &inputs.token {
        print!("{}", github::commands::add_mask(token.expose()));
    }
    let ctx = github::Context::from_vars(&vars)?;
    if let Some(dir) = &inputs.working_directory {
        // The action's `working-directory`: every path after this is relative to it.
        std::env::set_current_dir(dir).map_err(|source| Error::Io {
            context: format!("cannot enter working-directory {}", dir.display()),
            source,
        })?;
    }
    Ok(Some((ctx, inputs)))
}

/// The exit after the accept label: an accepted regression passes; a phase
/// failure still fails.
fn gated(outcome: Outcome, published: &github::PublishOutcome) -> Outcome {
    if outcome == Outcome::Regression && published.accepted.is_some() {
        Outcome::Pass
    } else {
        outcome
    }
}

fn report_publication(p: &github::PublishOutcome) {
    print!("{}", p.commands);
    for w in &p.warnings {
        println!(
            "::warning title=perfguard::{}",
            github::commands::escape_data(w)
        );
        eprintln!("perfguard: warning: {w}");
    }
    match (&p.comment, &p.comment_url) {
        (github::CommentStatus::Created, Some(url)) => eprintln!("perfguard: commented {url}"),
        (github::CommentStatus::Updated, Some(url)) => eprintln!("perfguard: updated {url}"),
        (github::CommentStatus::Skipped(why), _) => eprintln!("perfguard: no comment: {why}"),
        _ => {}
    }
    if let Some(a) = &p.accepted {
        eprintln!(
            "perfguard: label `{}` accepts: {}",
            a.label,
            a.items.join("; ")
        );
    }
    if let Some(path) = &p.report_path {
        eprintln!("perfguard: report saved to {}", path.display());
    }
}

fn post_comment(args: &CommentArgs) -> Result<Outcome, Error> {
    let vars = std::env::vars().collect();
    let inputs = github::Inputs::from_vars(&vars)?;
    if let Some(token) = &inputs.token
        && github::Context::in_actions(&vars)
    {
        print!("{}", github::commands::add_mask(token.expose()));
    }
    let ctx = github::Context::from_vars(&vars)?;
    let posted = github::post_saved_report(
        &args.report,
        args.pr,
        &ctx,
        &inputs,
        github::api::RetryPolicy::from_env(),
    )?;
    eprintln!(
        "perfguard: {} the comment on #{}: {}",
        if posted.written.created {
            "created"
        } else {
            "updated"
        },
        posted.pr,
        posted.written.url
    );
    if let Some(out) = &ctx.output {
        let text = github::commands::output_entries(&[("comment-url", posted.written.url.clone())]);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|source| Error::Io {
                context: format!("cannot write {}", out.display()),
                source,
            })?;
    }
    Ok(Outcome::Pass)
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
    render_with_history(comparison, &[], format, color)
}

/// As `render`, with earlier runs (oldest first) as the Markdown trend.
pub fn render_with_history(
    comparison: &Comparison,
    history: &[Run],
    format: Format,
    color: bool,
) -> String {
    match format {
        Format::Md => report::markdown::render(&View::with_history(comparison, history)),
        Format::Terminal => report::terminal::render(&View::of(comparison), color),
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
