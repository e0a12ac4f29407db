//! REST client: turns perfguard's few GitHub calls (the token's login, a
//! pull request's comments page by page, creating and updating a comment,
//! reading a pull request, listing, opening, updating and closing the
//! nightly tracking issue) into octocrab's typed requests, each bounded by a connect
//! timeout, a per-request timeout and one deadline for all of them, and
//! retried (bounded) on 5xx, lost connections and rate limits, honouring
//! `Retry-After` and `x-ratelimit-reset`.

use super::context::{Repo, Token};
use super::{GithubError, redact};
use http::{HeaderMap, Method, StatusCode};
use octocrab::models::IssueState;
use octocrab::models::issues::IssueStateReason;
use octocrab::models::issues::{Comment, Issue};
use octocrab::models::pulls::PullRequest;
use octocrab::{Octocrab, Page};
use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How hard to try before giving up on GitHub, and how long to wait for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The longest single wait; a longer `Retry-After` or reset is cut to it
    /// (so an exhausted hourly quota fails fast instead of stalling CI).
    pub max_wait: Duration,
    /// The longest wait for a TCP (and TLS) connection to GitHub.
    pub connect_timeout: Duration,
    /// The longest wait for one attempt's whole answer, connection included.
    pub request_timeout: Duration,
    /// The time all of one client's calls may take together, retries and
    /// waits included, so a silent API cannot hold CI hostage.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            max_wait: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The default, with `PERFGUARD_GITHUB_MAX_WAIT_MS`,
    /// `PERFGUARD_GITHUB_ATTEMPTS`, `PERFGUARD_GITHUB_CONNECT_TIMEOUT_MS`,
    /// `PERFGUARD_GITHUB_REQUEST_TIMEOUT_MS` and
    /// `PERFGUARD_GITHUB_DEADLINE_MS` overriding it.
    pub fn from_env() -> RetryPolicy {
        RetryPolicy::from_vars(|name| std::env::var(name).ok())
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> RetryPolicy {
        let mut p = RetryPolicy::default();
        let millis = |name: &str| {
            var(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_millis)
        };
        if let Some(d) = millis("PERFGUARD_GITHUB_MAX_WAIT_MS") {
            p.max_wait = d;
        }
        if let Some(n) = var("PERFGUARD_GITHUB_ATTEMPTS").and_then(|v| v.parse::<u32>().ok()) {
            p.attempts = n.clamp(1, 10);
        }
        // A zero timeout would refuse every request before it starts.
        let at_least_1ms = |d: Duration| d.max(Duration::from_millis(1));
        if let Some(d) = millis("PERFGUARD_GITHUB_CONNECT_TIMEOUT_MS") {
            p.connect_timeout = at_least_1ms(d);
        }
        if let Some(d) = millis("PERFGUARD_GITHUB_REQUEST_TIMEOUT_MS") {
            p.request_timeout = at_least_1ms(d);
        }
        if let Some(d) = millis("PERFGUARD_GITHUB_DEADLINE_MS") {
            p.deadline = at_least_1ms(d);
        }
        p
    }
}

/// The async runtime every GitHub call runs on: one per process, current
/// thread (perfguard makes its few calls one after another).
pub fn runtime() -> Result<&'static tokio::runtime::Runtime, GithubError> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| GithubError::Client(format!("cannot start the async runtime: {e}")))
}

/// The body of a comment update, as GitHub documents it.
#[derive(serde::Serialize)]
struct CommentBody<'a> {
    body: &'a str,
}

/// The part of `GET /user`'s answer perfguard reads.
#[derive(serde::Deserialize)]
struct Login {
    login: String,
}

/// A GitHub REST client rooted at `GITHUB_API_URL`.
pub struct Api {
    octo: Octocrab,
    retry: RetryPolicy,
    /// When every call of this client must have ended.
    deadline: Instant,
    /// Sleeps between attempts (a hook for waits that tests count, not time).
    waits: std::sync::Mutex<Vec<Duration>>,
    /// The token, to hide wherever an answer echoes it.
    token: Token,
}

impl Api {
    pub fn new(api_url: &str, token: &Token, retry: RetryPolicy) -> Result<Api, GithubError> {
        crate::tls::install_crypto_provider();
        // octocrab spawns its request queue on the current runtime.
        let _entered = runtime()?.enter();
        let octo = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| GithubError::Client(format!("bad GITHUB_API_URL `{api_url}`: {e}")))?
            .personal_token(token.expose().to_owned())
            .set_connect_timeout(Some(retry.connect_timeout))
            .build()
            .map_err(|e| GithubError::Client(causes(&e)))?;
        Ok(Api {
            octo,
            retry,
            deadline: Instant::now() + retry.deadline,
            waits: std::sync::Mutex::new(Vec::new()),
            token: token.clone(),
        })
    }

    /// The waits taken so far.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }

    fn past_deadline(&self) -> String {
        format!(
            "no answer before the deadline of {} for all of GitHub's calls (PERFGUARD_GITHUB_DEADLINE_MS)",
            millis(self.retry.deadline)
        )
    }

    /// The first page (up to 100) of the comments on issue or pull request `number`.
    pub async fn comments(&self, repo: &Repo, number: u64) -> Result<Page<Comment>, GithubError> {
        let path = format!(
            "/repos/{}/{}/issues/{number}/comments",
            repo.owner, repo.name
        );
        self.send(Method::GET, &path, || async {
            self.octo
                .issues(&repo.owner, &repo.name)
                .list_comments(number)
                .per_page(100u8)
                .send()
                .await
        })
        .await
    }

    /// The page after `page` (its `Link: rel="next"`), if any.
    pub async fn next_page<T: serde::de::DeserializeOwned>(
        &self,
        page: &Page<T>,
    ) -> Result<Option<Page<T>>, GithubError> {
        let Some(next) = &page.next else {
            return Ok(None);
        };
        let uri = next.to_string();
        let next = Some(next.clone());
        self.send(Method::GET, &uri, || self.octo.get_page(&next))
            .await
    }

    /// Creates a comment on issue or pull request `number`.
    pub async fn create_comment(
        &self,
        repo: &Repo,
        number: u64,
        body: &str,
    ) -> Result<Comment, GithubError> {
        let path = format!(
            "/repos/{}/{}/issues/{number}/comments",
            repo.owner, repo.name
        );
        self.send(Method::POST, &path, || async {
            self.octo
                .issues(&repo.owner, &repo.name)
                .create_comment(number, body)
                .await
        })
        .await
    }

    /// Replaces comment `id`'s body. A PATCH, as GitHub documents it
    /// (octocrab's `update_comment` sends a POST).
    pub async fn update_comment(
        &self,
        repo: &Repo,
        id: u64,
        body: &str,
    ) -> Result<Comment, GithubError> {
        let path = format!("/repos/{}/{}/issues/comments/{id}", repo.owner, repo.name);
        self.send(Method::PATCH, &path, || async {
            self.octo.patch(&path, Some(&CommentBody { body })).await
        })
        .await
    }

    /// The login of the token's user (`GET /user`). An installation or
    /// job token is refused (403 "Resource not accessible by integration").
    pub async fn current_login(&self) -> Result<String, GithubError> {
        let user: Login = self
            .send(Method::GET, "/user", || async {
                self.octo.get("/user", None::<&()>).await
            })
            .await?;
        Ok(user.login)
    }

    /// Pull request `number`.
    pub async fn pull_request(&self, repo: &Repo, number: u64) -> Result<PullRequest, GithubError> {
        let path = format!("/repos/{}/{}/pulls/{number}", repo.owner, repo.name);
        self.send(Method::GET, &path, || async {
            self.octo.pulls(&repo.owner, &repo.name).get(number).await
        })
        .await
    }

    /// The open issues labelled `label`, every page.
    pub async fn open_issues(&self, repo: &Repo, label: &str) -> Result<Vec<Issue>, GithubError> {
        let path = format!("/repos/{}/{}/issues", repo.owner, repo.name);
        let labels = [label.to_owned()];
        let mut page = self
            .send(Method::GET, &path, || async {
                self.octo
                    .issues(&repo.owner, &repo.name)
                    .list()
                    .labels(&labels)
                    .state(octocrab::params::State::Open)
                    .per_page(100u8)
                    .send()
                    .await
            })
            .await?;
        let mut out = std::mem::take(&mut page.items);
        while let Some(mut next) = self.next_page(&page).await? {
            out.append(&mut next.items);
            page = next;
        }
        // The issues endpoint lists pull requests too.
        out.retain(|i| i.pull_request.is_none());
        Ok(out)
    }

    /// Opens an issue.
    pub async fn create_issue(
        &self,
        repo: &Repo,
        title: &str,
        body: &str,
        labels: &[String],
    ) -> Result<Issue, GithubError> {
        let path = format!("/repos/{}/{}/issues", repo.owner, repo.name);
        self.send(Method::POST, &path, || async {
            self.octo
                .issues(&repo.owner, &repo.name)
                .create(title)
                .body(body)
                .labels(labels.to_vec())
                .send()
                .await
        })
        .await
    }

    /// Replaces issue `number`'s body, closing it with `reason` when given.
    pub async fn update_issue(
        &self,
        repo: &Repo,
        number: u64,
        body: Option<&str>,
        close: Option<IssueStateReason>,
    ) -> Result<Issue, GithubError> {
        let path = format!("/repos/{}/{}/issues/{number}", repo.owner, repo.name);
        self.send(Method::PATCH, &path, || async {
            let issues = self.octo.issues(&repo.owner, &repo.name);
            let mut update = issues.update(number);
            if let Some(b) = body {
                update = update.body(b);
            }
            if let Some(reason) = close.clone() {
                update = update.state(IssueState::Closed).state_reason(reason);
            }
            update.send().await
        })
        .await
    }

    /// Runs `request` (`method` on `uri`, a path under the API root or an
    /// absolute URL, for messages) until it succeeds, is refused for good,
    /// runs out of attempts or passes the deadline.
    async fn send<T, Fut>(
        &self,
        method: Method,
        uri: &str,
        request: impl Fn() -> Fut,
    ) -> Result<T, GithubError>
    where
        Fut: Future<Output = octocrab::Result<T>>,
    {
        // An answer may echo the Authorization header (a proxy's 401, a
        // 422's message): nothing of the token leaves this client.
        self.attempts(method, uri, request)
            .await
            .map_err(|e| e.redacted(self.token.expose()))
    }

    async fn attempts<T, Fut>(
        &self,
        method: Method,
        uri: &str,
        request: impl Fn() -> Fut,
    ) -> Result<T, GithubError>
    where
        Fut: Future<Output = octocrab::Result<T>>,
    {
        let what = format!("{method} {}", path_of(uri));
        let mut attempt = 1;
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(GithubError::Transport {
                    what,
                    message: self.past_deadline(),
                });
            }
            let limit = self.retry.request_timeout.min(left);
            let (failure, wait) = match tokio::time::timeout(limit, request()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(octocrab::Error::GitHub { source, .. })) => {
                    let mut source = *source;
                    // Hidden before the message is cut, so no prefix survives.
                    source.message = redact(&source.message, self.token.expose());
                    let reply = Reply::from(source);
                    let error = status_error(&what, &reply);
                    match retry_wait(&reply, self.retry.max_wait, attempt) {
                        Some(w) => (error, w),
                        None => return Err(error),
                    }
                }
                // A connection that failed before any response: GitHub may
                // be restarting; try again like a 5xx.
                Ok(Err(e)) if is_transport(&e) => (
                    GithubError::Transport {
                        what: what.clone(),
                        message: causes(&e),
                    },
                    backoff(attempt).min(self.retry.max_wait),
                ),
                Ok(Err(e)) => return Err(other_error(&what, &e)),
                Err(_elapsed) => {
                    let error = GithubError::Transport {
                        what: what.clone(),
                        message: if limit < self.retry.request_timeout {
                            self.past_deadline()
                        } else {
                            format!(
                                "no answer within {} (PERFGUARD_GITHUB_REQUEST_TIMEOUT_MS)",
                                millis(limit)
                            )
                        },
                    };
                    // A POST that timed out may have landed: sending it
                    // again could post the comment twice.
                    if method == Method::POST {
                        return Err(error);
                    }
                    (error, backoff(attempt).min(self.retry.max_wait))
                }
            };
            if attempt >= self.retry.attempts || Instant::now() + wait >= self.deadline {
                return Err(failure);
            }
            if let Ok(mut w) = self.waits.lock() {
                w.push(wait);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// `d` for messages, in the unit its setting takes.
fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// The request's path without the query string, for messages.
fn path_of(uri: &str) -> &str {
    uri.split('?').next().unwrap_or(uri)
}

/// No answer came: the connection failed, broke or timed out.
fn is_transport(e: &octocrab::Error) -> bool {
    matches!(
        e,
        octocrab::Error::Hyper { .. } | octocrab::Error::Service { .. }
    )
}

/// An answer that was not what GitHub documents, or a request octocrab
/// could not build.
fn other_error(what: &str, e: &octocrab::Error) -> GithubError {
    match e {
        octocrab::Error::Serde { .. }
        | octocrab::Error::Json { .. }
        | octocrab::Error::InvalidUtf8 { .. } => GithubError::Shape {
            what: what.to_owned(),
            message: causes(e),
        },
        _ => GithubError::Client(format!("{what}: {}", causes(e))),
    }
}

/// An error's message followed by its causes, each once (octocrab's
/// messages embed their source's, hyper's do not).
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// A refusal from GitHub: its status, headers and `message`.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    message: String,
}

impl Reply {
    fn new(status: StatusCode, headers: HeaderMap, message: &str) -> Reply {
        Reply {
            status,
            headers,
            // GitHub's JSON `message`, or the first line of a body that is
            // not JSON (a proxy's HTML page).
            message: message
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect(),
        }
    }
}

impl From<octocrab::GitHubError> for Reply {
    fn from(e: octocrab::GitHubError) -> Reply {
        Reply::new(e.status_code, e.headers.unwrap_or_default(), &e.message)
    }
}

fn status_error(what: &str, r: &Reply) -> GithubError {
    GithubError::Status {
        what: what.to_owned(),
        status: r.status.as_u16(),
        message: r.message.clone(),
        rate_limited: is_rate_limit(r),
    }
}

fn header<'a>(r: &'a Reply, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A primary limit (`x-ratelimit-remaining: 0`), a `Retry-After`, or a
/// secondary limit (403 whose message says so).
fn is_rate_limit(r: &Reply) -> bool {
    let status = r.status.as_u16();
    if status != 403 && status != 429 {
        return false;
    }
    status == 429
        || header(r, "retry-after").is_some()
        || header(r, "x-ratelimit-remaining") == Some("0")
        || r.message.to_ascii_lowercase().contains("rate limit")
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(6))
}

/// How long to wait before retrying `r`, or `None` when it must not be retried.
fn retry_wait(r: &Reply, cap: Duration, attempt: u32) -> Option<Duration> {
    if r.status.is_server_error() {
        return Some(backoff(attempt).min(cap));
    }
    if !is_rate_limit(r) {
        return None;
    }
    if let Some(secs) = header(r, "retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(secs).min(cap));
    }
    if header(r, "x-ratelimit-remaining") == Some("0")
        && let Some(reset) = header(r, "x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok())
    {
        let now = chrono::Utc::now().timestamp();
        return Some(Duration::from_secs((reset - now).max(1) as u64).min(cap));
    }
    // GitHub asks for at least a minute on a secondary limit without headers.
    Some(
        Duration::from_secs(60)
            .min(cap)
            .max(backoff(attempt).min(cap)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn reply(status: u16, headers: &[(&'static str, &str)], message: &str) -> Reply {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Reply::new(StatusCode::from_u16(status).unwrap(), map, message)
    }

    const CAP: Duration = Duration::from_secs(60);

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let r = reply(429, &[("retry-after", "3")], "");
        assert_eq!(retry_wait(&r, CAP, 1), Some(Duration::from_secs(3)));
        let r = reply(403, &[("retry-after", "3600")], "");
        assert_eq!(retry_wait(&r, CAP, 1), Some(CAP));
    }

    #[test]
    fn an_exhausted_primary_limit_waits_until_reset() {
        let reset = chrono::Utc::now().timestamp() + 30;
        let r = reply(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset.to_string()),
            ],
            "",
        );
        let w = retry_wait(&r, CAP, 1).unwrap();
        assert!(
            w >= Duration::from_secs(28) && w <= Duration::from_secs(30),
            "{w:?}"
        );
    }

    #[test]
    fn a_plain_403_is_not_retried() {
        let r = reply(
            403,
            &[("x-ratelimit-remaining", "4999")],
            "Resource not accessible by integration",
        );
        assert_eq!(retry_wait(&r, CAP, 1), None);
    }

    #[test]
    fn a_secondary_limit_message_is_retried() {
        let r = reply(
            403,
            &[],
            "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        );
        assert_eq!(
            retry_wait(&r, Duration::from_millis(5), 1),
            Some(Duration::from_millis(5))
        );
    }

    #[test]
    fn server_errors_back_off_and_client_errors_do_not_retry() {
        assert!(retry_wait(&reply(502, &[], ""), CAP, 1).is_some());
        assert_eq!(retry_wait(&reply(404, &[], ""), CAP, 1), None);
        assert_eq!(retry_wait(&reply(422, &[], ""), CAP, 1), None);
    }

    #[test]
    fn a_refusal_keeps_the_first_line_of_a_body_that_is_not_json() {
        let r = Reply::new(
            StatusCode::BAD_GATEWAY,
            HeaderMap::new(),
            "<html>bad gateway\n<body>…</body></html>",
        );
        assert_eq!(r.message, "<html>bad gateway");
        let long = "x".repeat(300);
        assert_eq!(
            Reply::new(StatusCode::BAD_GATEWAY, HeaderMap::new(), &long)
                .message
                .len(),
            200
        );
    }

    #[test]
    fn timeouts_and_the_deadline_come_from_the_environment() {
        let vars = |name: &str| {
            match name {
                "PERFGUARD_GITHUB_CONNECT_TIMEOUT_MS" => Some("250"),
                "PERFGUARD_GITHUB_REQUEST_TIMEOUT_MS" => Some("0"),
                "PERFGUARD_GITHUB_DEADLINE_MS" => Some("5000"),
                "PERFGUARD_GITHUB_ATTEMPTS" => Some("99"),
                "PERFGUARD_GITHUB_MAX_WAIT_MS" => Some("not a number"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let p = RetryPolicy::from_vars(vars);
        assert_eq!(p.connect_timeout, Duration::from_millis(250));
        assert_eq!(p.request_timeout, Duration::from_millis(1));
        assert_eq!(p.deadline, Duration::from_secs(5));
        assert_eq!(p.attempts, 10);
        assert_eq!(p.max_wait, RetryPolicy::default().max_wait);
        assert_eq!(RetryPolicy::from_vars(|_| None), RetryPolicy::default());
    }

    #[test]
    fn an_https_client_can_be_built() {
        let token = Token::new("ghs_x".into());
        let api = Api::new("https://api.github.com", &token, RetryPolicy::default());
        assert!(api.is_ok(), "{:?}", api.err().map(|e| e.to_string()));
    }
}
