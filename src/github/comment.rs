//! Sticky comment: turns a suite's rendered report into the one pull-request
//! comment carrying its marker, found through every page and updated in
//! place, or created.

use super::GithubError;
use super::api::Api;
use super::context::Repo;
use octocrab::models::issues::Comment;

/// GitHub refuses comment bodies longer than this many characters.
pub const MAX_BODY_CHARS: usize = 65_536;

/// What happened to the comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub id: u64,
    pub url: String,
    /// True when created, false when an existing one was updated.
    pub created: bool,
}

/// Finds the comment on `pr` whose body starts with `marker`, reading every
/// page; returns its id and URL.
pub async fn find(
    api: &Api,
    repo: &Repo,
    pr: u64,
    marker: &str,
) -> Result<Option<(u64, String)>, GithubError> {
    let mut page = api.comments(repo, pr).await?;
    // Bounded: 100 pages of 100 comments is beyond any real pull request.
    for _ in 0..100 {
        // A quote of the marker (`> <!-- …`) in someone's reply is not ours.
        if let Some(c) = page.items.iter().find(|c| {
            c.body
                .as_deref()
                .unwrap_or("")
                .trim_start()
                .starts_with(marker)
        }) {
            return Ok(Some((c.id.into_inner(), c.html_url.to_string())));
        }
        match api.next_page(&page).await? {
            Some(next) => page = next,
            None => return Ok(None),
        }
    }
    Ok(None)
}

/// Updates the suite's comment in place, or creates it. `create` says
/// whether a missing comment should be created (the `comment` input's
/// `on-change` and `on-regression` keep an existing one current but only
/// start one when there is something to say).
pub async fn upsert(
    api: &Api,
    repo: &Repo,
    pr: u64,
    marker: &str,
    body: &str,
    create: bool,
) -> Result<Option<Written>, GithubError> {
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(GithubError::Client(format!(
            "comment body of {} characters is over GitHub's limit of {MAX_BODY_CHARS}",
            body.chars().count()
        )));
    }
    let (comment, created): (Comment, bool) = match find(api, repo, pr, marker).await? {
        Some((id, _)) => (api.update_comment(repo, id, body).await?, false),
        None if create => (api.create_comment(repo, pr, body).await?, true),
        None => return Ok(None),
    };
    Ok(Some(Written {
        id: comment.id.into_inner(),
        url: comment.html_url.to_string(),
        created,
    }))
}

/// The head SHA of pull request `pr` (to check that a saved report belongs
/// to the run that made it).
pub async fn pull_request_head(api: &Api, repo: &Repo, pr: u64) -> Result<String, GithubError> {
    Ok(api.pull_request(repo, pr).await?.head.sha)
}
