//! The pipeline, in order: configuration → phases → results → comparison →
//! report. The only module that knows the order, and the only one that prints.

use crate::baseline::{self, Choice, Selection, Store};
use crate::cli::{
    BaselineCommand, CheckArgs, Cli, ColorChoice, Command, CommentArgs, CompareArgs, Format,
    IngestArgs, PairedArgs, RunArgs, ShowFormat, StoreArgs,
};
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
    // Before any repository is opened (the run's git info too): a container's
    // workspace belongs to another user.
    baseline::git::allow_foreign_owner();
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
        Command::Comment(args) => post_comment(&args),
        Command::Ingest(args) => ingest_files(&args),
        Command::Schema => {
            print!("{}", crate::config::json_schema());
            Ok(Outcome::Pass)
        }
        Command::Check(args) => check(&args, color),
        Command::Baseline(cmd) => baseline_command(cmd),
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
    check_phase_names(config, selected)?;
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
            series: Vec::new(),
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
    let interrupt = Interrupt::install().map_err(|source| Error::Io {
        context: "cannot install signal handlers".into(),
        source,
    })?;
    if let Some(build) = &config.compare.build {
        for (side, dir) in [
            ("base", base_config.base_dir()),
            ("head", config.base_dir()),
        ] {
            eprintln!("perfguard: building {side}: {build}");
            pm::build(build, &dir, &interrupt)?;
        }
    }
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
    // The GitHub context is read first: the token is masked before anything
    // else reaches the log, and a broken event payload stops the run early.
    let github = if args.github { github_context()? } else { None };
    let current = Run::read(&args.current)?;
    let config = optional_config(args.config.as_deref())?;
    let mut policy = config
        .as_ref()
        .map_or_else(|| Policy::new(ThresholdsConfig::default()), Policy::of);
    let mut history = args
        .history
        .iter()
        .map(|p| Run::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    history.sort_by_key(|r| r.started_at);
    if let Some(f) = args
        .fail_on
        .or(github.as_ref().and_then(|(_, i)| i.fail_on))
    {
        policy.thresholds.fail_on = f;
    }
    let looks_like_file = args.baseline.is_file()
        || args.baseline.components().count() > 1
        || args.baseline.extension().is_some();
    let (baseline, selection) = if looks_like_file {
        (Run::read(&args.baseline)?, None)
    } else {
        let which = args.baseline.to_string_lossy().into_owned();
        let store_args = StoreArgs {
            config: args.config.clone(),
            token: args.token.clone(),
        };
        let (_, mut store) = open_store(&store_args, config)?;
        let choice = match which.as_str() {
            "latest" => choose_baseline(store.as_mut(), &current)?,
            sha if is_sha(sha) => {
                store.refresh()?;
                let keys = keys_for(store.as_ref(), &current)?;
                report_skipped(baseline::find_by_sha(store.as_ref(), &keys, sha)?)
            }
            other => {
                return Err(Error::Usage(format!(
                    "--baseline `{other}` is not a file, `latest`, or a commit SHA"
                )));
            }
        };
        let Some(selection) = choice.selection else {
            return Err(baseline::BaselineError::NotFound(format!(
                "no baseline `{which}` for suite `{}` in environment `{}` on {}",
                current.suite,
                current.environment.key,
                store.describe()
            ))
            .into());
        };
        (selection.saved.run.clone(), Some(selection))
    };
    check_environment(&baseline, &current, &policy)?;
    let comparison = compare::compare_history(Some(&baseline), &current, &history, &policy);
    print!(
        "{}",
        render_full(
            &comparison,
            selection.as_ref(),
            &history,
            args.format,
            color
        )
    );
    let outcome = outcome(&comparison, &current);
    Ok(match github {
        Some((ctx, inputs)) => publish(&comparison, &history, ctx, inputs, outcome)?,
        None => outcome,
    })
}

/// Publishes to GitHub (summary, sticky comment, outputs, annotations) and
/// applies the accept label to the exit.
fn publish(
    comparison: &Comparison,
    history: &[Run],
    ctx: github::Context,
    inputs: github::Inputs,
    outcome: Outcome,
) -> Result<Outcome, Error> {
    let dir = std::env::current_dir().map_err(|source| Error::Io {
        context: "cannot read the working directory".into(),
        source,
    })?;
    let published = github::publish(
        comparison,
        history,
        &ctx,
        &github::Options::new(inputs, &dir),
    );
    report_publication(&published);
    Ok(gated(outcome, &published))
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
    render_full(comparison, None, &[], format, color)
}

/// Renders a comparison, saying which saved run the baseline is and why,
/// with earlier runs (oldest first) as the Markdown trend.
pub fn render_full(
    comparison: &Comparison,
    selection: Option<&Selection>,
    history: &[Run],
    format: Format,
    color: bool,
) -> String {
    let view = || {
        let mut view = View::with_history(comparison, history);
        if let (Some(b), Some(s)) = (&view.baseline, selection) {
            view.baseline = Some(format!("{b} · {}", s.describe()));
        }
        view
    };
    match format {
        Format::Terminal => report::terminal::render(&view(), color),
        Format::Md => report::markdown::render(&view()),
        Format::Json => report::json(comparison),
    }
}

fn is_sha(text: &str) -> bool {
    (4..=40).contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit())
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
    args: &StoreArgs,
    config: Option<Config>,
) -> Result<(crate::config::BaselineConfig, Box<dyn Store>), Error> {
    let (settings, dir) = match config {
        Some(c) => (c.baseline.clone(), c.base_dir()),
        None => (crate::config::BaselineConfig::default(), ".".into()),
    };
    let store = baseline::open(&dir, &settings, token(args.token.as_deref()))?;
    Ok((settings, store))
}

/// Prints each corrupt file passed over, and hands the choice on.
fn report_skipped(choice: Choice) -> Choice {
    for c in &choice.skipped {
        eprintln!("perfguard: warning: {c}");
    }
    choice
}

/// The current results' own suite and environment first, then the suite's
/// other environments, then everything (a mismatch is noted by `compare`).
fn keys_for(store: &dyn Store, current: &Run) -> Result<Vec<(String, String)>, Error> {
    let suite = baseline::component(&current.suite);
    let env = baseline::component(&current.environment.key);
    let mut keys = store.keys()?;
    keys.sort_by_key(|(s, e)| (*s != suite, *e != env));
    Ok(keys)
}

/// Fetches the baseline branch and chooses the baseline for `current`.
fn choose_baseline(store: &mut dyn Store, current: &Run) -> Result<Choice, Error> {
    store.refresh()?;
    let lineage = store.lineage(current);
    let choice = baseline::select(store, &current.suite, &current.environment.key, &lineage)?;
    Ok(report_skipped(choice))
}

/// `perfguard check`: measure → baseline → compare → report → save.
fn check(args: &CheckArgs, color: bool) -> Result<Outcome, Error> {
    // In GitHub Actions the context comes first: the token is masked before
    // anything reaches the log, and the action's inputs shape the run.
    let github = if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        github_context()?
    } else {
        None
    };
    let inputs = github.as_ref().map(|(_, i)| i);
    let config_path = match inputs {
        Some(i) if std::env::var_os("INPUT_CONFIG").is_some() => i.config.clone(),
        _ => args.config.clone(),
    };
    let mut config = Config::load(&config_path)?;
    if let Some(branch) = inputs.and_then(|i| i.baseline_branch.clone()) {
        config.baseline.branch = branch;
    }
    if let Some(f) = inputs.and_then(|i| i.fail_on) {
        config.thresholds.fail_on = f;
    }
    let token = token(
        args.token
            .as_deref()
            .or(inputs.and_then(|i| i.token.as_ref()).map(|t| t.expose())),
    );
    let interrupt = Interrupt::install().map_err(|source| Error::Io {
        context: "cannot install signal handlers".into(),
        source,
    })?;
    let current = measure(&config, &[], &interrupt)?;
    if let Some(out) = &args.output {
        current.write(out)?;
        eprintln!("perfguard: results written to {}", out.display());
    }
    // A developer's machine keeps its baselines in the local branch: a local
    // `check` never pushes to the team's remote unless asked to.
    let mut store_config = config.baseline.clone();
    if !args.remote && !in_ci() {
        store_config.remote.clear();
    }
    let mut store = baseline::open(&config.base_dir(), &store_config, token)?;
    let choice = choose_baseline(store.as_mut(), &current)?;
    announce_choice(store.as_ref(), &current, choice.selection.as_ref());
    let policy = Policy::of(&config);
    let baseline_run = choice.selection.as_ref().map(|s| &s.saved.run);
    if let Some(b) = baseline_run {
        check_environment(b, &current, &policy)?;
    }
    let history = saved_history(store.as_ref(), &current)?;
    let comparison = compare::compare_history(baseline_run, &current, &history, &policy);
    // A failing regression is measured again before it fails the check.
    let comparison = crate::confirm::confirm(comparison, policy.compare.confirm, |phases| {
        eprintln!("perfguard: confirming: running {} again", phases.join(", "));
        let rerun = measure(&config, phases, &interrupt)?;
        let merged = crate::confirm::with_phases(&current, &rerun);
        Ok::<_, Error>(compare::compare_history(
            baseline_run,
            &merged,
            &history,
            &policy,
        ))
    })?;
    print!(
        "{}",
        render_full(
            &comparison,
            choice.selection.as_ref(),
            &history,
            args.format,
            color
        )
    );
    let outcome = outcome(&comparison, &current);
    // In Actions, `save` decides; elsewhere `save_on` does.
    let save = match &github {
        _ if args.no_save => Save::Never,
        _ if args.save => Save::Always,
        Some((ctx, inputs)) => match inputs.save {
            github::SaveMode::Never => Save::Never,
            _ if !inputs.should_save(ctx) => Save::Never,
            github::SaveMode::Always => Save::Always,
            github::SaveMode::Auto => Save::OnSaveOnRefs,
        },
        None => Save::OnSaveOnRefs,
    };
    let outcome = match github {
        Some((ctx, inputs)) => publish(&comparison, &history, ctx, inputs, outcome)?,
        None => outcome,
    };
    save_when_allowed(store.as_mut(), &config, &current, save)?;
    Ok(outcome)
}

/// Whether a run is saved as a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Save {
    Never,
    Always,
    /// When the run's ref is in `save_on` (default: the default branch).
    OnSaveOnRefs,
}

/// Earlier runs of this suite and environment, oldest first: the noise band,
/// change points and error budgets are read from them.
fn saved_history(store: &dyn Store, current: &Run) -> Result<Vec<Run>, Error> {
    const HISTORY: usize = 60;
    let history = baseline::history(store, &current.suite, &current.environment.key, HISTORY)?;
    for c in &history.skipped {
        eprintln!("perfguard: warning: {c}");
    }
    Ok(history.runs.into_iter().map(|s| s.run).collect())
}

/// Whether this runs in CI (`CI` set to anything but empty or `false`).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn announce_choice(store: &dyn Store, current: &Run, selection: Option<&Selection>) {
    match selection {
        Some(s) => eprintln!("perfguard: baseline {}", s.describe()),
        None => eprintln!(
            "perfguard: no baseline yet for suite `{}` in environment `{}` on {}",
            current.suite,
            current.environment.key,
            store.describe()
        ),
    }
}

/// Saves `current` as `save` says, never a failed or partial run.
fn save_when_allowed(
    store: &mut dyn Store,
    config: &Config,
    current: &Run,
    save: Save,
) -> Result<(), Error> {
    if save == Save::Never {
        return Ok(());
    }
    if current.partial || current.has_errors() {
        eprintln!("perfguard: not saved as a baseline: a phase failed or the run was interrupted");
        return Ok(());
    }
    let ref_name = current.git.as_ref().and_then(|g| g.ref_name.as_deref());
    let allowed = save == Save::Always
        || baseline::saves_on(ref_name, &config.baseline.save_on, &|| {
            store.default_branch()
        });
    if !allowed {
        eprintln!(
            "perfguard: not saved as a baseline: ref `{}` is not in save_on (pass --save to save anyway)",
            ref_name.unwrap_or("(detached)")
        );
        return Ok(());
    }
    let saved = store.save(current, config.baseline.keep)?;
    announce_saved(store, &saved);
    Ok(())
}

fn announce_saved(store: &dyn Store, saved: &baseline::SavedRun) {
    match &saved.commit {
        Some(c) => eprintln!(
            "perfguard: saved baseline {} to {} (commit {})",
            saved.path,
            store.describe(),
            &c[..c.len().min(7)]
        ),
        None => eprintln!(
            "perfguard: saved baseline {} to {}",
            saved.path,
            store.describe()
        ),
    }
}

/// `perfguard baseline list|show|save|prune`.
fn baseline_command(cmd: BaselineCommand) -> Result<Outcome, Error> {
    match cmd {
        BaselineCommand::List {
            suite,
            limit,
            store,
        } => {
            let (_, mut store) = open_store(&store, optional_config(store.config.as_deref())?)?;
            store.refresh()?;
            let mut runs = Vec::new();
            for (s, e) in store.keys()? {
                if suite
                    .as_deref()
                    .is_some_and(|want| baseline::component(want) != s)
                {
                    continue;
                }
                let h = baseline::history(store.as_ref(), &s, &e, limit)?;
                report_skipped(Choice {
                    selection: None,
                    skipped: h.skipped,
                });
                runs.extend(h.runs);
            }
            runs.sort_by_key(|r| r.run.started_at);
            let runs = &runs[runs.len().saturating_sub(limit)..];
            if runs.is_empty() {
                eprintln!("perfguard: no baselines on {}", store.describe());
            } else {
                print!("{}", baseline::listing::render(runs));
            }
            Ok(Outcome::Pass)
        }
        BaselineCommand::Show {
            which,
            suite,
            environment,
            format,
            store,
        } => {
            let (_, mut store) = open_store(&store, optional_config(store.config.as_deref())?)?;
            store.refresh()?;
            let keys: Vec<(String, String)> = store
                .keys()?
                .into_iter()
                .filter(|(s, e)| {
                    suite
                        .as_deref()
                        .is_none_or(|w| baseline::component(w) == *s)
                        && environment
                            .as_deref()
                            .is_none_or(|w| baseline::component(w) == *e)
                })
                .collect();
            let found = if which == "latest" {
                let mut newest: Option<baseline::SavedRun> = None;
                for (s, e) in &keys {
                    let h = baseline::history(store.as_ref(), s, e, 1)?;
                    report_skipped(Choice {
                        selection: None,
                        skipped: h.skipped,
                    });
                    for r in h.runs {
                        if newest
                            .as_ref()
                            .is_none_or(|n| r.run.started_at > n.run.started_at)
                        {
                            newest = Some(r);
                        }
                    }
                }
                newest
            } else if is_sha(&which) {
                report_skipped(baseline::find_by_sha(store.as_ref(), &keys, &which)?)
                    .selection
                    .map(|s| s.saved)
            } else {
                return Err(Error::Usage(format!(
                    "`{which}` is neither `latest` nor a commit SHA"
                )));
            };
            let Some(saved) = found else {
                return Err(baseline::BaselineError::NotFound(format!(
                    "no baseline `{which}` on {}",
                    store.describe()
                ))
                .into());
            };
            match format {
                ShowFormat::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&saved.run).expect("results serialize")
                ),
                ShowFormat::Terminal => {
                    println!(
                        "{} · baseline commit {}",
                        saved.path,
                        saved.commit.as_deref().unwrap_or("–")
                    );
                    print!("{}", report::terminal::results(&saved.run, false));
                }
            }
            Ok(Outcome::Pass)
        }
        BaselineCommand::Save { file, store } => {
            let run = Run::read(&file)?;
            let (settings, mut store) =
                open_store(&store, optional_config(store.config.as_deref())?)?;
            let saved = store.save(&run, settings.keep)?;
            announce_saved(store.as_ref(), &saved);
            Ok(Outcome::Pass)
        }
        BaselineCommand::Prune { keep, store } => {
            let (_, mut store) = open_store(&store, optional_config(store.config.as_deref())?)?;
            let keep = usize::try_from(keep).unwrap_or(usize::MAX);
            let pruned = store.prune(keep)?;
            eprintln!(
                "perfguard: pruned {pruned} run{} from {} (keeping {keep} per suite and environment)",
                if pruned == 1 { "" } else { "s" },
                store.describe()
            );
            Ok(Outcome::Pass)
        }
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
