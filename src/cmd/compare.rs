//! `perfguard compare`: a baseline (file, `latest` or a commit's saved run)
//! and current results → comparison → report, published with `--github`.

use super::{Outcome, publish};
use crate::baseline::{self as store, Selection};
use crate::cli::{BaselineArg, CompareArgs};
use crate::compare::{self, Policy};
use crate::config::ThresholdsConfig;
use crate::error::Error;
use crate::results::Run;

pub(super) fn compare(args: &CompareArgs, color: bool) -> Result<Outcome, Error> {
    // The GitHub context is read first: the token is masked before anything
    // else reaches the log, and a broken event payload stops the run early.
    let github = if args.github {
        publish::actions_context()?
    } else {
        None
    };
    match &github {
        Some((_, inputs)) => publish::enter_working_directory(inputs)?,
        None if args.github => eprintln!(
            "perfguard: --github: not running in GitHub Actions (GITHUB_ACTIONS is not `true`); nothing published"
        ),
        None => {}
    }
    let current = Run::read(&args.current)?;
    let config = super::optional_config(args.config.as_deref())?;
    let mut policy = config
        .as_ref()
        .map_or_else(|| Policy::new(ThresholdsConfig::default()), Policy::of);
    if let Some(f) = args
        .fail_on
        .or(github.as_ref().and_then(|(_, i)| i.fail_on))
    {
        policy.thresholds.fail_on = f;
    }
    let mut history = args
        .history
        .iter()
        .map(|p| Run::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    history.sort_by_key(|r| r.started_at);
    let (baseline, selection) = match &args.baseline {
        BaselineArg::File(path) => (Run::read(path)?, None),
        saved => {
            let selection = saved_baseline(saved, &current, config, args.token.as_deref())?;
            (selection.saved.run.clone(), Some(selection))
        }
    };
    super::check_environment(&baseline, &current, &policy)?;
    let comparison = compare::compare_history(Some(&baseline), &current, &history, &policy);
    let evidence = super::Evidence {
        baseline: Some(&baseline),
        current: Some(&current),
    };
    super::print_report(
        &comparison,
        selection.as_ref(),
        &history,
        evidence,
        args.format,
        color,
    )?;
    let outcome = Outcome::of(&comparison, &[&current]);
    match github {
        Some((ctx, inputs)) => {
            let html = super::html(&comparison, selection.as_ref(), &history, evidence);
            publish::publish(&comparison, &history, Some(html), &ctx, inputs, outcome)
        }
        None => Ok(outcome),
    }
}

/// `latest` (the run `check` would choose) or the saved run of a commit.
fn saved_baseline(
    which: &BaselineArg,
    current: &Run,
    config: Option<crate::config::Config>,
    token: Option<&str>,
) -> Result<Selection, Error> {
    let (_, mut store) = super::open_store(config, super::token(token))?;
    let choice = match which {
        BaselineArg::Sha(sha) => {
            store.refresh()?;
            let keys = keys_for(store.as_ref(), current)?;
            super::report_skipped(store::find_by_sha(store.as_ref(), &keys, sha)?)
        }
        _ => super::choose_baseline(store.as_mut(), current)?,
    };
    choice.selection.ok_or_else(|| {
        store::BaselineError::NotFound(format!(
            "no baseline `{which}` for suite `{}` in environment `{}` on {}",
            current.suite,
            current.environment.key,
            store.describe()
        ))
        .into()
    })
}

/// The current results' own suite and environment first, then the suite's
/// other environments, then everything (a mismatch is noted by `compare`).
fn keys_for(store: &dyn store::Store, current: &Run) -> Result<Vec<(String, String)>, Error> {
    let suite = store::component(&current.suite);
    let env = store::component(&current.environment.key);
    let mut keys = store.keys()?;
    keys.sort_by_key(|(s, e)| (*s != suite, *e != env));
    Ok(keys)
}
