//! `perfguard baseline list|show|save|prune|import`: the baseline store,
//! read and kept by hand, and history from elsewhere brought onto it.

use super::{Outcome, report_skipped};
use crate::baseline::{self as store, SavedRun, Store};
use crate::cli::{BaselineArg, BaselineCommand, ImportFormat, ShowFormat, StoreArgs};
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
            if let Some(s) = run.shard.as_ref().filter(|s| s.count > 1) {
                return Err(Error::Usage(format!(
                    "{} is shard {}/{} of a run: a part of a suite is never saved as a baseline; merge every shard first (`perfguard merge FILES... -o results.json`)",
                    file.display(),
                    s.index,
                    s.count
                )));
            }
            let (settings, mut store) = open(&store)?;
            let saved = store.save(&run, settings.keep)?;
            super::announce_saved(store.as_ref(), &saved);
        }
        BaselineCommand::Import {
            path,
            suite,
            environment,
            format: ImportFormat::DataJs,
            store,
        } => import(&path, suite, environment, &store)?,
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

/// data.js → runs → one import onto the store → what happened, on stderr.
fn import(
    path: &std::path::Path,
    suite: Option<String>,
    environment: Option<String>,
    args: &StoreArgs,
) -> Result<(), Error> {
    let config = super::optional_config(args.config.as_deref())?;
    let configured = config.as_ref().map(|c| c.suite.clone()).unwrap_or_default();
    let suite = suite.unwrap_or(configured.name);
    let environment = environment.unwrap_or(configured.environment);
    for (flag, value) in [("--suite", &suite), ("--environment", &environment)] {
        crate::config::check_name(value)
            .map_err(|why| Error::Usage(format!("{flag} {value:?} {why}")))?;
    }
    // `auto` is this machine's key, as `check` here would use.
    let key = crate::environment::detect(&environment).key;
    let file = store::import::locate(path)?;
    let runs = store::import::read_data_js(&file, &suite, &key)?;
    let (settings, mut store) = super::open_store(config, super::token(args.token.as_deref()))?;
    let done = store.import(&runs, settings.keep)?;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let n = done.added.len();
    match &done.commit {
        Some(c) => eprintln!(
            "perfguard: imported {n} run{} from {} into {suite}/{key} on {} (commit {})",
            plural(n),
            file.display(),
            store.describe(),
            crate::results::short_sha(c, 7)
        ),
        None => eprintln!(
            "perfguard: imported {n} run{} from {} into {suite}/{key} on {}",
            plural(n),
            file.display(),
            store.describe()
        ),
    }
    if done.duplicates > 0 {
        eprintln!(
            "perfguard: {} run{} already on the store (same commit and date): skipped",
            done.duplicates,
            plural(done.duplicates)
        );
    }
    if done.beyond_keep > 0 {
        eprintln!(
            "perfguard: warning: {} run{} older than the newest {} kept per suite and environment ([baseline] keep) not imported; raise keep to import them",
            done.beyond_keep,
            plural(done.beyond_keep),
            settings.keep
        );
    }
    if done.pruned > 0 {
        eprintln!(
            "perfguard: warning: {} saved run{} pruned: the imported runs are newer and [baseline] keep = {}",
            done.pruned,
            plural(done.pruned),
            settings.keep
        );
    }
    Ok(())
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
