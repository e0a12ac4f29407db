//! Command line: clap derive structs only.

use crate::config::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// CI-native performance regression checker.
#[derive(Debug, Parser)]
#[command(name = "perfguard", version, about, propagate_version = true)]
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
    /// Post a saved report as the pull request's sticky comment (the
    /// trusted half of the fork-safe workflow pair).
    Comment(CommentArgs),
    /// Print the JSON Schema of perfguard.toml.
    Schema,
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
}

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The baseline results file.
    #[arg(long)]
    pub baseline: PathBuf,
    /// The current results file.
    #[arg(long)]
    pub current: PathBuf,
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
    /// Earlier results of the suite, for the trend column (repeatable).
    #[arg(long = "history", value_name = "FILE")]
    pub history: Vec<PathBuf>,
    /// In GitHub Actions, publish: job summary, sticky PR comment, outputs,
    /// annotations, accept label (ignored elsewhere).
    #[arg(long)]
    pub github: bool,
}

#[derive(Debug, Args)]
pub struct CommentArgs {
    /// The report perfguard saved (`report-path` output).
    #[arg(long)]
    pub report: PathBuf,
    /// The pull request (default: the workflow_run payload's, else the
    /// `.json` saved beside the report).
    #[arg(long)]
    pub pr: Option<u64>,
}

fn parse_fail_on(s: &str) -> Result<FailOn, String> {
    s.parse()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Terminal,
    Md,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
