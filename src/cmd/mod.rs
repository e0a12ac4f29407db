//! Commands: turn a parsed command line into an [`Outcome`]. One module per
//! subcommand, each a screen that reads as its pipeline; this module holds
//! the small core they share. Commands are the only layer that prints.

mod baseline;
mod check;
mod comment;
mod compare;
mod dashboard;
mod ingest;
mod init;
mod merge;
mod nightly;
mod paired;
mod progress;
mod publish;
mod report;
mod run;
mod shell;

pub use run::measure;

use crate::baseline::{self as store, Choice, Selection, Store};
use crate::cli::{Cli, ColorChoice, Command, Format};
use crate::compare::{Comparison, Policy, Verdict};
use crate::config::{BaselineConfig, Config};
use crate::error::Error;
use crate::interrupt::Interrupt;
use crate::report::View;
use crate::results::Run;
use std::io::{IsTerminal, Write};
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

    /// A failing verdict first, then a phase that failed or was cut short.
    fn of(comparison: &Comparison, runs: &[&Run]) -> Outcome {
        if comparison.verdict == Verdict::Fail {
            Outcome::Regression
        } else {
            Outcome::measured(runs)
        }
    }

    /// A phase that failed or was cut short, else a pass.
    fn measured(runs: &[&Run]) -> Outcome {
        if runs.iter().any(|r| r.has_errors() || r.partial) {
            Outcome::PhaseFailed
        } else {
            Outcome::Pass
        }
    }
}

/// Runs the subcommand.
pub fn dispatch(cli: Cli) -> Result<Outcome, Error> {
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    match cli.command {
        Command::Run(args) => run::run(&args, color),
        Command::Check(args) => check::check(&args, color),
        Command::Compare(args) => compare::compare(&args, color),
        Command::Paired(args) => check::check(&args.into(), color),
        Command::Ingest(args) => ingest::ingest(&args),
        Command::Report(args) => report::report(&args),
        Command::Dashboard(args) => dashboard::dashboard(&args),
        Command::Merge(args) => merge::merge(&args),
        Command::Baseline(cmd) => baseline::baseline(cmd),
        Command::Comment(args) => comment::comment(&args),
        Command::Init(args) => init::init(&args),
        Command::Completions(args) => shell::completions(&args),
        Command::Man(args) => shell::man(&args),
        Command::Schema => {
            print!("{}", crate::config::json_schema());
            Ok(Outcome::Pass)
        }
    }
}

/// SIGINT and SIGTERM as a flag the phases poll.
fn interrupt() -> Result<Interrupt, Error> {
    Interrupt::install().map_err(|source| Error::Io {
        context: "cannot install signal handlers".into(),
        source,
    })
}

/// Writes the results JSON and says where.
fn write_results(run: &Run, path: &Path) -> Result<(), Error> {
    run.write(path)?;
    eprintln!("perfguard: results written to {}", path.display());
    Ok(())
}

/// `-c`, else `./perfguard.toml` if present, else none (built-in defaults).
fn optional_config(config: Option<&Path>) -> Result<Option<Config>, Error> {
    match config {
        Some(path) => Ok(Some(Config::load(path)?)),
        None if Path::new("perfguard.toml").is_file() => {
            Ok(Some(Config::load(Path::new("perfguard.toml"))?))
        }
        None => Ok(None),
    }
}

/// The token for http(s) remotes: `--token` / PERFGUARD_TOKEN, else GITHUB_TOKEN.
fn token(explicit: Option<&str>) -> Option<String> {
    explicit
        .map(str::to_owned)
        .or_else(|| std::env::var("GITHUB_TOKEN").ok())
        .filter(|t| !t.is_empty())
}

/// The store of the project `config` describes (or of the current directory).
fn open_store(
    config: Option<Config>,
    token: Option<String>,
) -> Result<(BaselineConfig, Box<dyn Store>), Error> {
    let (settings, dir) = match config {
        Some(c) => (c.baseline.clone(), c.base_dir()),
        None => (BaselineConfig::default(), ".".into()),
    };
    let store = store::open(&dir, &settings, token)?;
    Ok((settings, store))
}

/// Prints each corrupt file passed over.
fn warn_skipped(skipped: &[store::Corrupt]) {
    for c in skipped {
        eprintln!("perfguard: warning: {c}");
    }
}

/// Warns of the corrupt files a choice passed over, and hands it on.
fn report_skipped(choice: Choice) -> Choice {
    warn_skipped(&choice.skipped);
    choice
}

/// Fetches the baseline branch and chooses the baseline for `current`.
fn choose_baseline(store: &mut dyn Store, current: &Run) -> Result<Choice, Error> {
    store.refresh()?;
    let lineage = store.lineage(current);
    let choice = store::select(store, &current.suite, &current.environment.key, &lineage)?;
    Ok(report_skipped(choice))
}

fn announce_saved(store: &dyn Store, saved: &store::SavedRun) {
    match &saved.commit {
        Some(c) => eprintln!(
            "perfguard: saved baseline {} to {} (commit {})",
            saved.path,
            store.describe(),
            crate::results::short_sha(c, 7)
        ),
        None => eprintln!(
            "perfguard: saved baseline {} to {}",
            saved.path,
            store.describe()
        ),
    }
}

/// Under `strict_environment`, refuses a baseline from another CPU model or
/// core count (exit 3: the runner, not the input, is wrong).
fn check_environment(baseline: &Run, current: &Run, policy: &Policy) -> Result<(), Error> {
    match crate::compare::advice::environment_mismatch(baseline, current) {
        Some(m) if policy.compare.strict_environment => Err(Error::Environment(format!(
            "strict_environment: refusing to compare: {m}. Run on a matching runner, or set [compare] strict_environment = false to compare with a warning"
        ))),
        _ => Ok(()),
    }
}

/// The runs behind a comparison, where the command has them: the HTML
/// report draws their samples, load seconds, histograms and memory.
#[derive(Debug, Clone, Copy, Default)]
struct Evidence<'a> {
    baseline: Option<&'a Run>,
    current: Option<&'a Run>,
}

/// The report's view, saying which saved run the baseline is and why, with
/// earlier runs (oldest first) as the trend.
fn view(comparison: &Comparison, selection: Option<&Selection>, history: &[Run]) -> View {
    let mut view = View::with_history(comparison, history);
    if let (Some(b), Some(s)) = (&view.baseline, selection) {
        view.baseline = Some(format!("{b} · {}", s.describe()));
    }
    view
}

/// The HTML report of a comparison and the runs behind it.
fn html(
    comparison: &Comparison,
    selection: Option<&Selection>,
    history: &[Run],
    evidence: Evidence<'_>,
) -> String {
    let page = crate::report::html::Page::of(
        comparison,
        view(comparison, selection, history),
        evidence.baseline,
        evidence.current,
        history,
    );
    crate::report::html::render(&page)
}

/// Writes the HTML report and says where.
fn write_html(path: &Path, text: &str) -> Result<(), Error> {
    std::fs::write(path, text).map_err(|source| Error::Io {
        context: format!("cannot write the HTML report {}", path.display()),
        source,
    })?;
    eprintln!("perfguard: HTML report written to {}", path.display());
    Ok(())
}

/// Renders a comparison in `format`.
fn render(
    comparison: &Comparison,
    selection: Option<&Selection>,
    history: &[Run],
    evidence: Evidence<'_>,
    format: Format,
    color: bool,
) -> String {
    match format {
        Format::Terminal => {
            crate::report::terminal::render(&view(comparison, selection, history), color)
        }
        Format::Md => crate::report::markdown::render_within(
            &view(comparison, selection, history),
            &crate::report::markdown::Decorations::default(),
            crate::report::markdown::COMMENT_BUDGET,
        ),
        Format::Json => crate::report::json(comparison),
        Format::Html => html(comparison, selection, history, evidence),
    }
}

/// Prints the report to standard output; JSON is streamed rather than
/// built as one string first (a comparison of a million metrics is
/// hundreds of megabytes of it).
fn print_report(
    comparison: &Comparison,
    selection: Option<&Selection>,
    history: &[Run],
    evidence: Evidence<'_>,
    format: Format,
    color: bool,
) -> Result<(), Error> {
    if format != Format::Json {
        print!(
            "{}",
            render(comparison, selection, history, evidence, format, color)
        );
        return Ok(());
    }
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    serde_json::to_writer_pretty(&mut out, comparison)
        .map_err(std::io::Error::from)
        .and_then(|()| writeln!(out))
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io {
            context: "cannot write the report to standard output".into(),
            source,
        })
}
