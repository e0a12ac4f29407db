//! Command line: clap derive structs only.

use crate::config::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// CI-native performance regression checker.
#[derive(Debug, Parser)]
#[command(name = "perfguard", version = env!("PERFGUARD_LONG_VERSION"), about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// When to colour terminal output (NO_COLOR is respected by `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the configured phases and write the results.
    Run(RunArgs),
    /// Compare two results files and judge the change.
    Compare(CompareArgs),
    /// Alias of `check --mode paired --base REF`: build the merge-base with
    /// REF in a worktree, run base and head interleaved on this machine,
    /// compare the pairs.
    Paired(PairedArgs),
    /// Render a saved comparison as the pull request's sticky comment (the
    /// trusted half of the fork-safe workflow pair).
    Comment(CommentArgs),
    /// Print the JSON Schema of perfguard.toml.
    Schema,
    /// Run the phases, compare with the baseline, report, and save the run
    /// as the new baseline on a `save_on` branch.
    Check(CheckArgs),
    /// List, show, save, prune and import the baselines on the baseline branch.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Turn another harness's output into perfguard results.
    Ingest(IngestArgs),
    /// Render saved results (and a saved comparison) as one self-contained
    /// HTML page with charts.
    Report(ReportArgs),
    /// Build a static site of every suite's history from the baseline branch.
    Dashboard(DashboardArgs),
    /// Combine the results of every shard of a run (`--shard I/N`) into the
    /// results of the whole suite: histograms added, counts summed.
    Merge(MergeArgs),
    /// Look at a repository and write a starting perfguard.toml and
    /// .github/workflows/perfguard.yml (never overwriting a file).
    Init(InitArgs),
    /// Print the shell completion script for SHELL.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per subcommand into a
    /// directory.
    Man(ManArgs),
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository to look at and write into.
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// Print the files instead of writing them.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write perfguard.1 and a perfguard-SUBCOMMAND.1 page per subcommand
    /// here instead of printing perfguard.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Where baselines are read and written.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// The configuration file (default: ./perfguard.toml when it exists,
    /// else the built-in defaults).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Token for an http(s) remote, sent as `x-access-token` (default:
    /// GITHUB_TOKEN). Never printed.
    #[arg(long, env = "PERFGUARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The configuration file.
    #[arg(short, long, default_value = "perfguard.toml")]
    pub config: PathBuf,
    /// Save this run as a baseline whatever the ref.
    #[arg(long, conflicts_with = "no_save")]
    pub save: bool,
    /// Never save this run as a baseline.
    #[arg(long)]
    pub no_save: bool,
    /// Write the results JSON here.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Token for an http(s) remote, sent as `x-access-token` (default:
    /// GITHUB_TOKEN). Never printed.
    #[arg(long, env = "PERFGUARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Use the remote's baseline branch (fetch and push) even outside CI.
    /// In CI (`CI=true`) the remote is always used; outside CI, by default,
    /// baselines stay in the local branch and nothing is pushed.
    #[arg(long)]
    pub remote: bool,
    /// How the head is judged (default: `[compare] mode`): against the
    /// saved baselines, or paired with the base built and run interleaved
    /// on this machine.
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
    /// Paired mode: the base is the merge-base of HEAD and REF (default: in
    /// GitHub Actions the pull request's base, else the first `save_on`
    /// branch).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// Run only these phases (repeatable); a run of some phases is never
    /// saved as a baseline.
    #[arg(long = "phase", value_name = "NAME")]
    pub phases: Vec<String>,
    /// Paired mode: write the base and head results as base.json and
    /// head.json here.
    #[arg(long, value_name = "DIR")]
    pub save_pairs: Option<PathBuf>,
    /// Judge this run as the nightly watch: change points over the branch's
    /// history, SLO budgets that fail the check at the critical level, the
    /// tracking issue and `[notify]`'s webhooks. In GitHub Actions a
    /// `schedule` or `workflow_dispatch` run of the default branch is one.
    #[arg(long)]
    pub nightly: bool,
    /// Write the run's metrics here in Prometheus' text exposition format
    /// (for node_exporter's textfile collector).
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
    /// Also write the HTML report (one self-contained file with charts) here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Judge, report, publish and save these results (a merged sharded run,
    /// or any run measured elsewhere) instead of running the phases. Given
    /// once per shard (`--results a.json --results b.json …`), the shards
    /// are merged first, exactly as `perfguard merge` does.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["shard", "phases", "save_pairs"])]
    pub results: Vec<PathBuf>,
    /// Run one shard of the suite and write its results (-o, default
    /// perfguard-shard-I-of-N.json) for `perfguard merge`; nothing is judged
    /// or saved: `I/N` (0 ≤ I < N), or `env/N` to take I
    /// from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). HTTP phases
    /// run on every shard with 1/N of their load; command and ingest phases
    /// are dealt out, each to one shard (docs/SHARDS.md).
    #[arg(long, value_name = "I/N", value_parser = parse_shard, env = "PERFGUARD_SHARD", conflicts_with = "phases")]
    pub shard: Option<crate::shard::Shard>,
    /// With --shard: wait until this time (RFC 3339, `2026-05-04T12:00:00Z`)
    /// before the first phase, so the shards' load overlaps. A time more
    /// than 10 s past is refused.
    #[arg(long, value_name = "TIME", value_parser = parse_start_at, requires = "shard", env = "PERFGUARD_START_AT")]
    pub start_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `check --mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    Baseline,
    Paired,
}

impl From<PairedArgs> for CheckArgs {
    /// `perfguard paired` is `check --mode paired`: one code path.
    fn from(a: PairedArgs) -> CheckArgs {
        CheckArgs {
            config: a.config,
            save: false,
            no_save: false,
            output: None,
            format: a.format,
            token: None,
            remote: false,
            mode: Some(ModeArg::Paired),
            base: Some(a.base),
            phases: a.phases,
            save_pairs: a.save,
            nightly: false,
            prometheus: None,
            html: a.html,
            results: Vec::new(),
            shard: None,
            start_at: None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// The saved runs: time, suite, environment, commit, ref, metrics.
    List {
        /// Only this suite.
        #[arg(long)]
        suite: Option<String>,
        /// At most this many runs (the newest); at least 1.
        #[arg(long, default_value_t = 20, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        limit: usize,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// One saved run: `latest`, or the run of a commit SHA (or prefix).
    Show {
        /// `latest` or a commit SHA.
        #[arg(default_value = "latest", value_parser = parse_saved_run, value_name = "latest|SHA")]
        which: BaselineArg,
        /// Only this suite.
        #[arg(long)]
        suite: Option<String>,
        /// Only this environment key.
        #[arg(long)]
        environment: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ShowFormat::Terminal)]
        format: ShowFormat,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Save a results file as a baseline run (whatever the ref).
    Save {
        /// The results file.
        file: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Import history (github-action-benchmark's data.js) as baseline runs,
    /// all in one commit; runs already there are skipped.
    Import {
        /// data.js itself, or a gh-pages checkout holding dev/bench/data.js.
        #[arg(value_name = "FILE|DIR")]
        path: PathBuf,
        /// The suite to import into (default: `[suite] name`).
        #[arg(long)]
        suite: Option<String>,
        /// The environment key to import under (default: `[suite] environment`).
        #[arg(long)]
        environment: Option<String>,
        /// The history's format.
        #[arg(long, value_enum, default_value_t = ImportFormat::DataJs)]
        format: ImportFormat,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Keep only the newest N runs of every suite and environment.
    Prune {
        /// Runs to keep per suite and environment.
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        keep: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Formats `baseline import` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// github-action-benchmark's `window.BENCHMARK_DATA = {…}`.
    DataJs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    Terminal,
    Json,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// The harness's output: files, or criterion's target/criterion directory.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The format (cargo-bench, criterion, hyperfine, go, google-benchmark,
    /// pytest-benchmark, jmh, benchmarkdotnet, catch2, benchmarkjs, k6,
    /// generic); detected from each file when omitted.
    #[arg(long, value_parser = parse_ingest_format)]
    pub format: Option<crate::ingest::Format>,
    /// Write the results JSON here (default: standard output).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The suite the results belong to.
    #[arg(long, default_value = "default")]
    pub suite: String,
    /// The phase's name (default: the format's name, so that results
    /// ingested from differently named files compare).
    #[arg(long)]
    pub phase: Option<String>,
}

fn parse_ingest_format(s: &str) -> Result<crate::ingest::Format, String> {
    s.parse()
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The configuration file.
    #[arg(short, long, default_value = "perfguard.toml")]
    pub config: PathBuf,
    /// Run only these phases (repeatable).
    #[arg(long = "phase", value_name = "NAME")]
    pub phases: Vec<String>,
    /// Write the results JSON here.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Write the run's metrics here in Prometheus' text exposition format
    /// (for node_exporter's textfile collector).
    #[arg(long, value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
    /// Run one shard of the suite: `I/N` (0 ≤ I < N), or `env/N` to take I
    /// from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job). HTTP phases
    /// run on every shard with 1/N of their load; command and ingest phases
    /// are dealt out, each to one shard (docs/SHARDS.md).
    #[arg(long, value_name = "I/N", value_parser = parse_shard, env = "PERFGUARD_SHARD", conflicts_with = "phases")]
    pub shard: Option<crate::shard::Shard>,
    /// With --shard: wait until this time (RFC 3339, `2026-05-04T12:00:00Z`)
    /// before the first phase, so the shards' load overlaps. A time more
    /// than 10 s past is refused.
    #[arg(long, value_name = "TIME", value_parser = parse_start_at, requires = "shard", env = "PERFGUARD_START_AT")]
    pub start_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' results files, one per shard, in any order.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write the merged results here (atomically).
    #[arg(short, long)]
    pub output: PathBuf,
}

fn parse_shard(s: &str) -> Result<crate::shard::Shard, String> {
    let index = std::env::var(crate::shard::INDEX_VAR).ok();
    crate::shard::Shard::parse(s, index.as_deref())
}

fn parse_start_at(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    crate::shard::parse_start_at(s)
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline: a results file, `latest` (the run `check` would
    /// choose for the current results' suite and environment), or a commit SHA.
    #[arg(long, value_parser = parse_baseline, value_name = "FILE|latest|SHA")]
    pub baseline: BaselineArg,
    /// The current results file.
    #[arg(long)]
    pub current: PathBuf,
    /// Earlier runs, oldest first (repeatable): history bands, change
    /// points and error budgets.
    #[arg(long = "history", value_name = "FILE")]
    pub history: Vec<PathBuf>,
    /// Thresholds come from this configuration (default: ./perfguard.toml
    /// when it exists, else the built-in defaults).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Override the configuration's fail_on.
    #[arg(long, value_parser = parse_fail_on)]
    pub fail_on: Option<FailOn>,
    /// Token for an http(s) remote, sent as `x-access-token` (default:
    /// GITHUB_TOKEN). Never printed.
    #[arg(long, env = "PERFGUARD_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// In GitHub Actions, publish: job summary, sticky PR comment, outputs,
    /// annotations, accept label (ignored elsewhere).
    #[arg(long)]
    pub github: bool,
}

#[derive(Debug, Args)]
pub struct PairedArgs {
    /// The base to compare with: its merge-base with HEAD is measured.
    #[arg(long, value_name = "REF")]
    pub base: String,
    /// The configuration file.
    #[arg(short, long, default_value = "perfguard.toml")]
    pub config: PathBuf,
    /// Run only these phases (repeatable).
    #[arg(long = "phase", value_name = "NAME")]
    pub phases: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Terminal)]
    pub format: Format,
    /// Write the base and head results as base.json and head.json here.
    #[arg(long, value_name = "DIR")]
    pub save: Option<PathBuf>,
    /// Also write the HTML report (one self-contained file with charts) here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Write the HTML report here.
    #[arg(long, value_name = "FILE")]
    pub html: PathBuf,
    /// The current results (`run -o`, `check -o`): their samples, load
    /// seconds, histograms and memory are drawn.
    #[arg(long, value_name = "FILE", required_unless_present = "comparison")]
    pub current: Option<PathBuf>,
    /// The baseline's results, drawn beside the current ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// A saved comparison (`compare --format json`, the action's
    /// SUITE.comparison.json); without it the results are compared here.
    #[arg(long, value_name = "FILE")]
    pub comparison: Option<PathBuf>,
    /// Earlier runs, oldest first (repeatable): each metric's history.
    #[arg(long = "history", value_name = "FILE")]
    pub history: Vec<PathBuf>,
    /// Thresholds come from this configuration (default: ./perfguard.toml
    /// when it exists, else the built-in defaults).
    #[arg(short, long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DashboardArgs {
    /// The site's directory (index.html is written there).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Link change points to commits under this URL
    /// (`https://github.com/OWNER/REPO`; default in GitHub Actions: this repository).
    #[arg(long, value_name = "URL")]
    pub repo_url: Option<String>,
    /// At most this many runs of each suite and environment (the newest).
    #[arg(long, default_value_t = 1000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub limit: usize,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    /// The comparison JSON the pull request's run saved (`comparison-path`
    /// output, perfguard-report/SUITE.comparison.json); perfguard renders
    /// the comment from it.
    #[arg(long, value_name = "FILE", required_unless_present = "report")]
    pub comparison: Option<PathBuf>,
    /// Refused: posted another run's Markdown verbatim. Use --comparison.
    #[arg(long, value_name = "FILE", hide = true, conflicts_with = "comparison")]
    pub report: Option<PathBuf>,
    /// The pull request (default: the workflow_run payload's, else the
    /// `SUITE.json` saved beside the comparison).
    #[arg(long)]
    pub pr: Option<u64>,
}

/// What `compare --baseline` names, decided once when the argument is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaselineArg {
    /// A results file.
    File(PathBuf),
    /// The run `check` would choose for the current results.
    Latest,
    /// The saved run of a commit: 4 to 40 hex digits, a prefix.
    Sha(String),
}

impl std::fmt::Display for BaselineArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BaselineArg::File(path) => write!(f, "{}", path.display()),
            BaselineArg::Latest => f.write_str("latest"),
            BaselineArg::Sha(sha) => f.write_str(sha),
        }
    }
}

/// An existing file, or anything shaped like a path (a directory part or an
/// extension), is a file; then `latest`; then a hex SHA prefix.
fn parse_baseline(s: &str) -> Result<BaselineArg, String> {
    let path = std::path::Path::new(s);
    if path.is_file() || path.components().count() > 1 || path.extension().is_some() {
        Ok(BaselineArg::File(path.to_owned()))
    } else if s == "latest" {
        Ok(BaselineArg::Latest)
    } else if is_sha(s) {
        Ok(BaselineArg::Sha(s.to_owned()))
    } else {
        Err(format!("`{s}` is not a file, `latest`, or a commit SHA"))
    }
}

/// `latest` or a SHA prefix: a saved run, never a file.
fn parse_saved_run(s: &str) -> Result<BaselineArg, String> {
    if s == "latest" {
        Ok(BaselineArg::Latest)
    } else if is_sha(s) {
        Ok(BaselineArg::Sha(s.to_owned()))
    } else {
        Err(format!("`{s}` is neither `latest` nor a commit SHA"))
    }
}

fn is_sha(s: &str) -> bool {
    (4..=40).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit())
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Terminal,
    Md,
    Json,
    /// One self-contained page with charts.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
