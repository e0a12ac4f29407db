//! `perfguard check`: configuration → phases → baseline → compare (confirming
//! a failing regression) → nightly watch and notify → report → publish → save; in paired mode,
//! configuration → base chosen and built → interleaved rounds → paired
//! compare → report → publish (HEAD on the base branch: baseline mode).

use super::{Outcome, nightly, paired, publish};
use crate::baseline::{self as store, SaveDecision, SavePolicy, Selection, Store};
use crate::cli::{CheckArgs, ModeArg};
use crate::compare::{self, Comparison, Mode, Policy, Provenance};
use crate::config::{CompareMode, Config};
use crate::error::Error;
use crate::github::{Context, Inputs};
use crate::results::Run;

pub(super) fn check(args: &CheckArgs, color: bool) -> Result<Outcome, Error> {
    // In GitHub Actions the context comes first: the token is masked before
    // anything reaches the log, and the action's inputs shape the run.
    let github = publish::actions_context()?;
    if let Some((_, inputs)) = &github {
        publish::enter_working_directory(inputs)?;
    }
    let inputs = github.as_ref().map(|(_, i)| i);
    let config_path = inputs
        .and_then(|i| i.config.clone())
        .unwrap_or_else(|| args.config.clone());
    let mut config = Config::load(&config_path)?;
    if let Some(i) = inputs {
        i.apply(&mut config);
    }
    super::run::check_phase_names(&config, &args.phases)?;
    let token = super::token(
        args.token
            .as_deref()
            .or(inputs.and_then(|i| i.token.as_ref()).map(|t| t.expose())),
    );
    // Before a paired build: Ctrl-C stops a build too (it runs in its own
    // process group, out of the terminal's reach).
    let interrupt = super::interrupt()?;

    let mode = match args.mode {
        Some(ModeArg::Paired) => CompareMode::Paired,
        Some(ModeArg::Baseline) => CompareMode::Baseline,
        None => config.compare.mode,
    };
    if mode == CompareMode::Paired && (args.shard.is_some() || !args.results.is_empty()) {
        return Err(Error::Usage(format!(
            "{} with paired mode is out of scope: paired mode builds the base and measures base and head interleaved on this one runner; use --mode baseline (sharded runs are judged against the saved baselines)",
            if args.shard.is_some() {
                "--shard"
            } else {
                "--results"
            }
        )));
    }
    // A shard measures its share and hands it on; only the merged run of
    // all shards is judged and saved (`check --results`).
    if let Some(shard) = args.shard {
        let run = super::run::measure_shard(&config, shard, args.start_at, &interrupt)?;
        let out = args.output.clone().unwrap_or_else(|| {
            format!("perfguard-shard-{}-of-{}.json", shard.index, shard.count).into()
        });
        super::write_results(&run, &out)?;
        eprintln!(
            "perfguard: shard {shard}: not judged or saved; merge every shard's results (`perfguard merge FILES... -o results.json`) and judge them with `perfguard check --results results.json`"
        );
        return Ok(Outcome::measured(&[&run]));
    }

    let fallback = match mode {
        CompareMode::Baseline => None,
        CompareMode::Paired => {
            match paired::plan(
                &config,
                args.base.as_deref(),
                github.as_ref().map(|(c, _)| c),
            )? {
                paired::Plan::Paired { repo, base } => {
                    let (mut comparison, base_run, head_run) =
                        paired::measure(&config, &repo, &base, args, &interrupt)?;
                    let _network = interrupt.blocking();
                    // A pull request's head: the textfile if asked, never the Pushgateway.
                    nightly::prometheus(
                        &config,
                        &head_run,
                        Some(&mut comparison),
                        args.prometheus.as_deref(),
                        false,
                    )?;
                    let outcome = Outcome::of(&comparison, &[&base_run, &head_run]);
                    let evidence = super::Evidence {
                        baseline: Some(&base_run),
                        current: Some(&head_run),
                    };
                    let outcome = report(
                        &comparison,
                        None,
                        &[],
                        evidence,
                        args,
                        github,
                        outcome,
                        color,
                    )?;
                    if args.save {
                        eprintln!(
                            "perfguard: not saved as a baseline: paired mode measures HEAD against its base; runs of the base branch save in baseline mode"
                        );
                    }
                    return Ok(outcome);
                }
                paired::Plan::Baseline(reason) => {
                    eprintln!(
                        "perfguard: paired mode: {reason}, so this run is judged in baseline mode and saved as the base branch's runs are"
                    );
                    Some(reason)
                }
            }
        }
    };

    let current = if args.results.is_empty() {
        super::measure(&config, &args.phases, &interrupt)?
    } else {
        measured_elsewhere(&args.results, &config)?
    };
    if let Some(out) = &args.output {
        super::write_results(&current, out)?;
    }

    // A developer's machine keeps its baselines in the local branch: a local
    // `check` never pushes to the team's remote unless asked to.
    let mut store_config = config.baseline.clone();
    if !args.remote && !in_ci() {
        store_config.remote.clear();
    }
    // From here until the phases run again (confirmation), waits are on the
    // baseline store's remote: a signal ends them at once.
    let network = interrupt.blocking();
    let mut store = store::open(&config.base_dir(), &store_config, token.clone())?;
    let choice = super::choose_baseline(store.as_mut(), &current)?;
    announce_choice(store.as_ref(), &current, choice.selection.as_ref());
    let baseline = choice.selection.as_ref().map(|s| &s.saved.run);
    let mut policy = Policy::of(&config);
    policy.cross_runner = true;
    if let Some(b) = baseline {
        super::check_environment(b, &current, &policy)?;
    }
    let history = saved_history(store.as_ref(), &current)?;
    drop(network);

    let comparison = compare::compare_history(baseline, &current, &history, &policy);
    // A failing regression is measured again before it fails the check
    // (not a run measured elsewhere: its phases cannot be run again here).
    let rounds = if !args.results.is_empty() {
        0
    } else {
        policy.compare.confirm
    };
    let mut comparison = crate::confirm::confirm(comparison, rounds, |phases| {
        eprintln!("perfguard: confirming: running {} again", phases.join(", "));
        let rerun = super::measure(&config, phases, &interrupt)?;
        let merged = crate::confirm::with_phases(&current, &rerun);
        Ok::<_, Error>(compare::compare_history(
            baseline, &merged, &history, &policy,
        ))
    })?;
    let provenance = baseline_provenance(&comparison, baseline, &current, &policy, fallback);
    if provenance.thin_history && baseline.is_some() {
        comparison.recommendations.push(format!(
            "history is thin (fewer than {} earlier runs for some metrics): changes are judged with a ±{} % allowance for runner-to-runner spread; `[compare] mode = \"paired\"` measures base and head on one runner instead",
            policy.compare.min_history, policy.compare.runner_noise
        ));
    }
    comparison.provenance = Some(provenance);

    // In Actions the `save` input decides; elsewhere `save_on` does.
    let save = SavePolicy::from_flags(
        args.save,
        args.no_save,
        github
            .as_ref()
            .map_or(SavePolicy::OnSaveOnRefs, |(ctx, i)| i.save_policy(ctx)),
    );

    // The nightly watch and the metrics' export wait on the network only.
    let network = interrupt.blocking();
    let actions = github.as_ref().map(|(c, _)| c);
    let is_nightly = nightly::is_nightly(args.nightly, actions);
    if is_nightly {
        let ctx = nightly::context(actions);
        nightly::watch(
            &config,
            &mut comparison,
            &current,
            &history,
            &policy,
            &ctx,
            token.as_deref(),
        );
    }
    // The Pushgateway holds one value per suite: only runs of the branch's
    // history (the nightly, a run saved as a baseline) replace it, never a
    // pull request's.
    let recorded = is_nightly
        || (args.phases.is_empty()
            && save.decide(&current, &config.baseline.save_on, &|| {
                store.default_branch()
            }) == SaveDecision::Save);
    nightly::prometheus(
        &config,
        &current,
        Some(&mut comparison),
        args.prometheus.as_deref(),
        recorded,
    )?;
    drop(network);

    let outcome = Outcome::of(&comparison, &[&current]);
    let _network = interrupt.blocking();
    let evidence = super::Evidence {
        baseline,
        current: Some(&current),
    };
    let outcome = report(
        &comparison,
        choice.selection.as_ref(),
        &history,
        evidence,
        args,
        github,
        outcome,
        color,
    )?;
    if args.phases.is_empty() {
        save_baseline(store.as_mut(), &config, &current, save)?;
    } else if save != SavePolicy::Never {
        eprintln!("perfguard: not saved as a baseline: only some phases ran (--phase)");
    }
    Ok(outcome)
}

/// `--results`: a run measured elsewhere (a merged sharded run), or the
/// shards of one, merged here; for this configuration's suite. A lone shard
/// of several is refused.
fn measured_elsewhere(paths: &[std::path::PathBuf], config: &Config) -> Result<Run, Error> {
    let (run, shown) = match paths {
        [path] => {
            let run = Run::read(path)?;
            if let Some(s) = run.shard.as_ref().filter(|s| s.count > 1) {
                return Err(Error::Usage(format!(
                    "{} is shard {}/{} of a run, not the whole suite: give every shard (`--results` once per file) or merge them first (`perfguard merge FILES... -o results.json`)",
                    path.display(),
                    s.index,
                    s.count
                )));
            }
            (run, path.display().to_string())
        }
        _ => {
            let parts = paths
                .iter()
                .map(|path| {
                    Ok(crate::merge::Part {
                        path: path.clone(),
                        run: Run::read(path)?,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            let merged = crate::merge::merge(parts)?;
            for w in &merged.warnings {
                eprintln!("perfguard: warning: {w}");
            }
            (merged.run, format!("the {} shards merged", paths.len()))
        }
    };
    let mut run = run;
    run.shard = None;
    if run.suite != config.suite.name {
        return Err(Error::Usage(format!(
            "{shown} holds suite `{}`, but {} configures suite `{}`",
            run.suite,
            config.path.display(),
            config.suite.name
        )));
    }
    eprintln!(
        "perfguard: judging {shown} (measured {}), not running the phases",
        run.started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    Ok(run)
}

/// Prints the report, writes the HTML report when asked and, in Actions,
/// publishes both; both modes end here.
#[expect(
    clippy::too_many_arguments,
    reason = "the report stage takes what both modes measured; a struct would only rename them"
)]
fn report(
    comparison: &Comparison,
    selection: Option<&Selection>,
    history: &[Run],
    evidence: super::Evidence<'_>,
    args: &CheckArgs,
    github: Option<(Context, Inputs)>,
    outcome: Outcome,
    color: bool,
) -> Result<Outcome, Error> {
    super::print_report(comparison, selection, history, evidence, args.format, color)?;
    let html = (args.html.is_some() || github.is_some())
        .then(|| super::html(comparison, selection, history, evidence));
    if let (Some(path), Some(text)) = (&args.html, &html) {
        super::write_html(path, text)?;
    }
    match github {
        Some((ctx, inputs)) => publish::publish(comparison, history, html, &ctx, inputs, outcome),
        None => Ok(outcome),
    }
}

/// Baseline mode's provenance: the baseline's commit, the most earlier
/// runs any metric had, whether that history was thin, the noise floor.
fn baseline_provenance(
    comparison: &Comparison,
    baseline: Option<&Run>,
    current: &Run,
    policy: &Policy,
    fallback: Option<String>,
) -> Provenance {
    let history_runs = comparison
        .comparisons
        .iter()
        .map(|m| m.history_runs)
        .max()
        .unwrap_or(0);
    Provenance {
        mode: Mode::Baseline,
        base_sha: baseline.and_then(|b| b.git.as_ref().map(|g| g.sha.clone())),
        head_sha: current.git.as_ref().map(|g| g.sha.clone()),
        rounds: None,
        history_runs: Some(history_runs),
        noise_floor: Provenance::noise_floor_of(&comparison.comparisons),
        thin_history: comparison
            .comparisons
            .iter()
            .any(|m| m.current.is_some() && m.history_runs < policy.compare.min_history),
        fallback,
    }
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
            crate::report::terminal::sanitize_line(&current.suite),
            crate::report::terminal::sanitize_line(&current.environment.key),
            store.describe()
        ),
    }
}

/// Earlier runs of this suite and environment, oldest first: the noise band,
/// change points and error budgets are read from them.
fn saved_history(store: &dyn Store, current: &Run) -> Result<Vec<Run>, Error> {
    const HISTORY: usize = 60;
    let history = store::history(store, &current.suite, &current.environment.key, HISTORY)?;
    super::warn_skipped(&history.skipped);
    for saved in &history.runs {
        store::check_run_owner(saved, &current.suite, &current.environment.key)?;
    }
    Ok(history.runs.into_iter().map(|s| s.run).collect())
}

/// Saves `current` when the policy decides so, and says why not otherwise.
fn save_baseline(
    store: &mut dyn Store,
    config: &Config,
    current: &Run,
    policy: SavePolicy,
) -> Result<(), Error> {
    let decision = policy.decide(current, &config.baseline.save_on, &|| {
        store.default_branch()
    });
    match decision {
        SaveDecision::NotAsked => Ok(()),
        SaveDecision::Refused(why) => {
            eprintln!("perfguard: not saved as a baseline: {why}");
            Ok(())
        }
        SaveDecision::Save => {
            let saved = store.save(current, config.baseline.keep)?;
            super::announce_saved(store, &saved);
            Ok(())
        }
    }
}
