//! `perfguard dashboard -o DIR`: the baseline branch → every suite and
//! environment's runs → the dashboard's data → DIR/index.html, one static
//! page that works from disk or GitHub Pages.

use super::Outcome;
use crate::baseline as store;
use crate::cli::DashboardArgs;
use crate::config::ThresholdsConfig;
use crate::error::Error;
use crate::report::dashboard::{self, Group, Site};

pub(super) fn dashboard(args: &DashboardArgs) -> Result<Outcome, Error> {
    let commit_url = commit_url(args.repo_url.as_deref())?;
    let config = super::optional_config(args.store.config.as_deref())?;
    let thresholds = config
        .as_ref()
        .map_or_else(ThresholdsConfig::default, |c| c.thresholds.clone());
    let (_, mut store) = super::open_store(config, super::token(args.store.token.as_deref()))?;
    store.refresh()?;
    let mut groups = Vec::new();
    for (suite, environment) in store.keys()? {
        let history = store::history(store.as_ref(), &suite, &environment, args.limit)?;
        super::warn_skipped(&history.skipped);
        let runs: Vec<_> = history.runs.into_iter().map(|s| s.run).collect();
        // The names as the runs give them; the directory names are sanitized.
        let (suite, environment) = runs.last().map_or((suite, environment), |r| {
            (r.suite.clone(), r.environment.key.clone())
        });
        groups.push(Group::of(&suite, &environment, &runs, &thresholds));
    }
    let site = Site {
        title: "perfguard dashboard".into(),
        commit_url,
        groups,
    };
    let index = args.output.join("index.html");
    std::fs::create_dir_all(&args.output)
        .and_then(|()| std::fs::write(&index, dashboard::render(&site)))
        .map_err(|source| Error::Io {
            context: format!("cannot write the dashboard {}", index.display()),
            source,
        })?;
    eprintln!(
        "perfguard: dashboard of {} suite and environment pair{} ({} runs) written to {}",
        site.groups.len(),
        if site.groups.len() == 1 { "" } else { "s" },
        site.groups.iter().map(|g| g.runs.len()).sum::<usize>(),
        index.display()
    );
    Ok(Outcome::Pass)
}

/// `URL/commit/`: from `--repo-url`, else in GitHub Actions this
/// repository's; only http(s), so a link can never run script.
fn commit_url(repo_url: Option<&str>) -> Result<Option<String>, Error> {
    let from_env = || {
        let server = std::env::var("GITHUB_SERVER_URL").ok()?;
        let repo = std::env::var("GITHUB_REPOSITORY").ok()?;
        Some(format!("{}/{repo}", server.trim_end_matches('/')))
    };
    let Some(url) = repo_url.map(str::to_owned).or_else(from_env) else {
        return Ok(None);
    };
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Error::Usage(format!(
            "--repo-url `{url}` is not an http(s) URL"
        )));
    }
    Ok(Some(format!("{}/commit/", url.trim_end_matches('/'))))
}
