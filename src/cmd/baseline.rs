//! `perfguard baseline list|show|save|prune`: the baseline store, read and
//! kept by hand.

use super::{Outcome, report_skipped};
use crate::baseline::{self as store, SavedRun, Store};
use crate::cli::{BaselineArg, BaselineCommand, ShowFormat, StoreArgs};
use crate::config::BaselineConfig;
use crate::error::Error;
use crate::results::Run;

pub(super) fn baseline(cmd: BaselineCommand) -> Result<Outcome, Error> {
    match cmd {
        BaselineCommand::List {
            suite,
            limit,
            store,
        } => {
            let (_, mut store) = open(&store)?;
            store.refresh()?;
            let mut runs = Vec::new();
            for (s, e) in store.keys()? {
                if suite
                    .as_deref()
                    .is_some_and(|want| store::component(want) != s)
                {
                    continue;
                }
                runs.extend(history(store.as_ref(), &s, &e, limit)?);
            }
            runs.sort_by_key(|r| r.run.started_at);
            let runs = &runs[runs.len().saturating_sub(limit)..];
            if runs.is_empty() {
                eprintln!("perfguard: no baselines on {}", store.describe());
            } else {
                print!("{}", store::listing::render(runs));
            }
        }
        BaselineCommand::Show {
            which,
            suite,
            environment,
            format,
            store,
        } => {
            let (_, mut store) = open(&store)?;
            store.refresh()?;
            let keys: Vec<(String, String)> = store
                .keys()?
                .into_iter()
                .filter(|(s, e)| {
                    suite.as_deref().is_none_or(|w| store::component(w) == *s)
                        && environment
                            .as_deref()
                            .is_none_or(|w| store::component(w) == *e)
                })
                .collect();
            let found = match &which {
                BaselineArg::Sha(sha) => {
                    report_skipped(store::find_by_sha(store.as_ref(), &keys, sha)?)
                        .selection
                        .map(|s| s.saved)
                }
                _ => newest(store.as_ref(), &keys)?,
            };
            let Some(saved) = found else {
                return Err(store::BaselineError::NotFound(format!(
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
                    print!("{}", crate::report::terminal::results(&saved.run, false));
                }
            }
        }
        BaselineCommand::Save { file, store } => {
            let run = Run::read(&file)?;
            let (settings, mut store) = open(&store)?;
            let saved = store.save(&run, settings.keep)?;
            super::announce_saved(store.as_ref(), &saved);
        }
        BaselineCommand::Prune { keep, store } => {
            let (_, mut store) = open(&store)?;
            let keep = usize::try_from(keep).unwrap_or(usize::MAX);
            let pruned = store.prune(keep)?;
            eprintln!(
                "perfguard: pruned {pruned} run{} from {} (keeping {keep} per suite and environment)",
                if pruned == 1 { "" } else { "s" },
                store.describe()
            );
        }
    }
    Ok(Outcome::Pass)
}

fn open(args: &StoreArgs) -> Result<(BaselineConfig, Box<dyn Store>), Error> {
    super::open_store(
        super::optional_config(args.config.as_deref())?,
        super::token(args.token.as_deref()),
    )
}

/// The newest `limit` runs of one suite and environment, corrupt files
/// reported and passed over.
fn history(
    store: &dyn Store,
    suite: &str,
    env: &str,
    limit: usize,
) -> Result<Vec<SavedRun>, Error> {
    let h = store::history(store, suite, env, limit)?;
    super::warn_skipped(&h.skipped);
    Ok(h.runs)
}

/// The newest run over `keys`.
fn newest(store: &dyn Store, keys: &[(String, String)]) -> Result<Option<SavedRun>, Error> {
    let mut newest: Option<SavedRun> = None;
    for (s, e) in keys {
        for r in history(store, s, e, 1)? {
            if newest
                .as_ref()
                .is_none_or(|n| r.run.started_at > n.run.started_at)
            {
                newest = Some(r);
            }
        }
    }
    Ok(newest)
}
