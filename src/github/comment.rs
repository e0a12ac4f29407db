//! Sticky comment: turns a suite's rendered report into the one pull-request
//! comment carrying its marker, found through every page and updated in
//! place, or created.

use super::GithubError;
use super::api::{Api, next_link};
use super::context::Repo;
use http::Method;
use serde_json::{Value, json};

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
/// page; returns its id.
pub async fn find(
    api: &Api,
    repo: &Repo,
    pr: u64,
    marker: &str,
) -> Result<Option<(u64, String)>, GithubError> {
    let mut uri = format!(
        "/repos/{}/{}/issues/{pr}/comments?per_page=100",
        repo.owner, repo.name
    );
    // Bounded: 100 pages of 100 comments is beyond any real pull request.
    for _ in 0..100 {
        let page = api.send(Method::GET, &uri, None).await?;
        let comments = page.body.as_array().ok_or_else(|| GithubError::Shape {
            what: format!("comments of #{pr}"),
            message: "expected a JSON array".into(),
        })?;
        for c in comments {
            let body = c.get("body").and_then(Value::as_str).unwrap_or("");
            // A quote of the marker (`> <!-- …`) in someone's reply is not ours.
            if body.trim_start().starts_with(marker)
                && let Some(id) = c.get("id").and_then(Value::as_u64)
            {
                let url = c
                    .get("html_url")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                return Ok(Some((id, url)));
            }
        }
        match next_link(&page.headers) {
            Some(next) => uri = next,
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
    let payload = json!({ "body": body });
    let (response, created) = match find(api, repo, pr, marker).await? {
        Some((id, _)) => (
            api.send(
                Method::PATCH,
                &format!("/repos/{}/{}/issues/comments/{id}", repo.owner, repo.name),
                Some(&payload),
            )
            .await?,
            false,
        ),
        None if create => (
            api.send(
                Method::POST,
                &format!("/repos/{}/{}/issues/{pr}/comments", repo.owner, repo.name),
                Some(&payload),
            )
            .await?,
            true,
        ),
        None => return Ok(None),
    };
    let id = response
        .body
        .get("id")
        .and_then(Value::as_u64)
        .ok_or_else(|| GithubError::Shape {
            what: "the written comment".into(),
            message: "no numeric `id`".into(),
        })?;
    let url = response
        .body
        .get("html_url")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    Ok(Some(Written { id, url, created }))
}

/// The head SHA of pull request `pr` (to check that a saved report belongs
/// to the run that made it).
pub async fn pull_request_head(api: &Api, repo: &Repo, pr: u64) -> Result<String, GithubError> {
    let r = api
        .send(
            Method::GET,
            &format!("/repos/{}/{}/pulls/{pr}", repo.owner, repo.name),
            None,
        )
        .await?;
    r.body
        .get("head")
        .and_then(|h| h.get("sha"))
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| GithubError::Shape {
            what: format!("pull request #{pr}"),
            message: "no `head.sha`".into(),
        })
}
