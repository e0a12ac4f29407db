//! The nightly tracking issue: turns a suite's findings and its open
//! labelled issues into the one issue that stands for them: opened, kept
//! current (a comment only when something new appears), closed on recovery,
//! and, when two runs raced to open it, the newer closed as a duplicate.

use super::GithubError;
use super::api::Api;
use super::context::Repo;
use crate::notify::render;
use crate::notify::watch::Watch;
use octocrab::models::issues::{Issue, IssueStateReason};

/// The label every tracking issue carries.
pub const LABEL: &str = "perfguard-nightly";

/// What happened to the tracking issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tracking {
    /// Opened as #N.
    Opened(u64),
    /// Kept current; `news` findings were new and got a comment.
    Updated { number: u64, news: usize },
    /// Closed with a comment: the suite recovered.
    Closed(u64),
    /// Nothing to report and no issue open.
    Quiet,
}

impl std::fmt::Display for Tracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tracking::Opened(n) => write!(f, "opened tracking issue #{n}"),
            Tracking::Updated { number, news: 0 } => write!(f, "updated tracking issue #{number}"),
            Tracking::Updated { number, news } => write!(
                f,
                "updated tracking issue #{number} ({news} new finding{}, commented)",
                if *news == 1 { "" } else { "s" }
            ),
            Tracking::Closed(n) => write!(f, "closed tracking issue #{n}: recovered"),
            Tracking::Quiet => f.write_str("no tracking issue needed"),
        }
    }
}

/// The suite's open tracking issues, oldest first.
pub async fn open_for(api: &Api, repo: &Repo, suite: &str) -> Result<Vec<Issue>, GithubError> {
    let marker = render::issue_marker(suite);
    let mut issues: Vec<Issue> = api
        .open_issues(repo, LABEL)
        .await?
        .into_iter()
        .filter(|i| i.body.as_deref().is_some_and(|b| b.contains(&marker)))
        .collect();
    issues.sort_by_key(|i| i.number);
    Ok(issues)
}

/// Brings the suite's tracking issue in line with `watch`, whose findings
/// at the notify level are `alerts`.
/// `open` is what [`open_for`] found before the findings were judged.
pub async fn track(
    api: &Api,
    repo: &Repo,
    watch: &Watch,
    alerts: &[String],
    open: &[Issue],
) -> Result<Tracking, GithubError> {
    let body = render::issue_body(watch, alerts);
    if alerts.is_empty() {
        let Some(first) = open.first() else {
            return Ok(Tracking::Quiet);
        };
        let comment = render::recovery_comment(watch);
        for issue in open {
            api.create_comment(repo, issue.number, &comment).await?;
            api.update_issue(
                repo,
                issue.number,
                Some(&body),
                Some(IssueStateReason::Completed),
            )
            .await?;
        }
        return Ok(Tracking::Closed(first.number));
    }
    match open.first() {
        Some(issue) => {
            // Two issues left open by an earlier race whose second look came
            // too soon to see the other: the older stays.
            for newer in &open[1..] {
                close_duplicate(api, repo, newer.number, issue.number).await?;
            }
            update(api, repo, issue, watch, alerts, &body).await
        }
        None => {
            // GitHub cannot create only if none exists: create, then look
            // again, and if another run opened one too, the older stays.
            let created = api
                .create_issue(
                    repo,
                    &render::issue_title(&watch.suite),
                    &body,
                    &[LABEL.to_owned()],
                )
                .await?;
            let open = open_for(api, repo, &watch.suite).await?;
            let keep = open
                .iter()
                .map(|i| i.number)
                .chain(std::iter::once(created.number))
                .min()
                .unwrap_or(created.number);
            if keep == created.number {
                return Ok(Tracking::Opened(created.number));
            }
            close_duplicate(api, repo, created.number, keep).await?;
            match open.iter().find(|i| i.number == keep) {
                Some(older) => update(api, repo, older, watch, alerts, &body).await,
                None => Ok(Tracking::Updated {
                    number: keep,
                    news: 0,
                }),
            }
        }
    }
}

/// Closes issue `number` as a duplicate of `keep`, saying so.
async fn close_duplicate(
    api: &Api,
    repo: &Repo,
    number: u64,
    keep: u64,
) -> Result<(), GithubError> {
    api.create_comment(
        repo,
        number,
        &format!("Duplicate of #{keep}: another nightly run opened it at the same time."),
    )
    .await?;
    api.update_issue(repo, number, None, Some(IssueStateReason::Duplicate))
        .await?;
    Ok(())
}

async fn update(
    api: &Api,
    repo: &Repo,
    issue: &Issue,
    watch: &Watch,
    alerts: &[String],
    body: &str,
) -> Result<Tracking, GithubError> {
    let known = render::memory_in(issue.body.as_deref().unwrap_or("")).alerts;
    let carried = watch.carried_keys();
    let news: Vec<String> = alerts
        .iter()
        .filter(|k| !known.contains(k) && !carried.contains(k))
        .cloned()
        .collect();
    if issue.body.as_deref() != Some(body) {
        api.update_issue(repo, issue.number, Some(body), None)
            .await?;
    }
    if !news.is_empty() {
        api.create_comment(repo, issue.number, &render::news_comment(watch, &news))
            .await?;
    }
    Ok(Tracking::Updated {
        number: issue.number,
        news: news.len(),
    })
}
