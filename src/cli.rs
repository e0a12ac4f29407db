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
    /// Print the JSON Schema of perfguard.toml.
    Schema,
    /// Turn another harness's output into perfguard results.
    Ingest(IngestArgs),
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
