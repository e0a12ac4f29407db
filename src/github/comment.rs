//! Sticky comment: turns a suite's rendered report into the one pull-request
//! comment carrying its marker and written by perfguard's own identity,
//! found through every page and updated in place, or created.

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

/// The login GitHub gives comments written with the job token
/// (`GITHUB_TOKEN`) or an installation token without its own app name.
pub const ACTIONS_BOT: &str = "github-actions[bot]";

/// Whose comments are perfguard's: `given` (the `comment-author` input), else
/// the token's user (`GET /user`), else, when GitHub refuses `/user` as it
/// does for the job token (403 "Resource not accessible by integration") or
/// 401, `github-actions[bot]`.
pub async fn author(api: &Api, given: Option<&str>) -> Result<String, GithubError> {
    if let Some(login) = given {
        return Ok(login.to_owned());
    }
    match api.current_login().await {
        Ok(login) => Ok(login),
        Err(GithubError::Status {
            status: 401 | 403,
            rate_limited: false,
            ..
        }) => Ok(ACTIONS_BOT.to_owned()),
        Err(e) => Err(e),
    }
}

/// Whose comments count as perfguard's: decided at most once, and only when
/// a comment carries the marker (most runs never need to ask).
pub struct Author<'a> {
    given: Option<&'a str>,
    found: Option<String>,
}

impl<'a> Author<'a> {
    /// `given`: the `comment-author` input; `None` asks GitHub when needed.
    pub fn new(given: Option<&'a str>) -> Author<'a> {
        Author { given, found: None }
    }

    async fn login(&mut self, api: &Api) -> Result<&str, GithubError> {
        if self.found.is_none() {
            self.found = Some(author(api, self.given).await?);
        }
        Ok(self.found.as_deref().unwrap_or_default())
    }
}

/// Finds perfguard's comment on `pr`: the first whose body starts with
/// `marker` and whose author is perfguard's own identity, reading every
/// page; returns its id and URL. A marker in someone else's comment (a
/// copy, a forgery) is not perfguard's and is never edited.
pub async fn find(
    api: &Api,
    repo: &Repo,
    pr: u64,
    marker: &str,
    author: &mut Author<'_>,
) -> Result<Option<(u64, String)>, GithubError> {
    let mut page = api.comments(repo, pr).await?;
    // Bounded: 100 pages of 100 comments is beyond any real pull request.
    for _ in 0..100 {
        for c in &page.items {
            // A quote of the marker (`> <!-- …`) in someone's reply is not ours.
            let marked = c
                .body
                .as_deref()
                .unwrap_or("")
                .trim_start()
                .starts_with(marker);
            // GitHub logins are case-insensitive.
            if marked && c.user.login.eq_ignore_ascii_case(author.login(api).await?) {
                return Ok(Some((c.id.into_inner(), c.html_url.to_string())));
            }
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
    author: &mut Author<'_>,
    body: &str,
    create: bool,
) -> Result<Option<Written>, GithubError> {
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(GithubError::Client(format!(
            "comment body of {} characters is over GitHub's limit of {MAX_BODY_CHARS}",
            body.chars().count()
        )));
    }
    let (comment, created): (Comment, bool) = match find(api, repo, pr, marker, author).await? {
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
