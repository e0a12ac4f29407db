//! REST client: turns perfguard's few GitHub calls into octocrab requests,
//! retried (bounded) on 5xx and rate limits, honouring `Retry-After` and
//! `x-ratelimit-reset`, and their responses into status, headers and JSON.

use super::GithubError;
use super::context::Token;
use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;
use serde_json::Value;
use std::time::Duration;

/// How hard to try before giving up on GitHub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub attempts: u32,
    /// The longest single wait; a longer `Retry-After` or reset is cut to it
    /// (so an exhausted hourly quota fails fast instead of stalling CI).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The default, with `PERFGUARD_GITHUB_MAX_WAIT_MS` and
    /// `PERFGUARD_GITHUB_ATTEMPTS` overriding it.
    pub fn from_env() -> RetryPolicy {
        let mut p = RetryPolicy::default();
        if let Some(ms) = std::env::var("PERFGUARD_GITHUB_MAX_WAIT_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            p.max_wait = Duration::from_millis(ms);
        }
        if let Some(n) = std::env::var("PERFGUARD_GITHUB_ATTEMPTS")
            .ok()
            .and_then(|v| v.parse::<u32>().ok())
        {
            p.attempts = n.clamp(1, 10);
        }
        p
    }
}

/// A response perfguard has read in full.
#[derive(Debug)]
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// A GitHub REST client rooted at `GITHUB_API_URL`.
pub struct Api {
    octo: Octocrab,
    retry: RetryPolicy,
    /// Sleeps between attempts (a hook for waits that tests count, not time).
    waits: std::sync::Mutex<Vec<Duration>>,
}

impl Api {
    pub fn new(api_url: &str, token: &Token, retry: RetryPolicy) -> Result<Api, GithubError> {
        let octo = Octocrab::builder()
            .base_uri(api_url)
            .map_err(|e| GithubError::Client(format!("bad GITHUB_API_URL `{api_url}`: {e}")))?
            .personal_token(token.expose().to_owned())
            // Retries are ours: octocrab's would hide the headers we honour.
            .add_retry_config(octocrab::service::middleware::retry::RetryConfig::None)
            .build()
            .map_err(|e| GithubError::Client(e.to_string()))?;
        Ok(Api {
            octo,
            retry,
            waits: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The waits taken so far.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// Sends a request (a path under the API root, or an absolute URL from a
    /// `Link` header) and returns the successful response.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        body: Option<&Value>,
    ) -> Result<Response, GithubError> {
        let mut attempt = 1;
        loop {
            let result = self.once(&method, uri, body).await;
            let wait = match &result {
                Ok(r) if r.status.is_success() => return result,
                Ok(r) => match retry_wait(r, self.retry.max_wait, attempt) {
                    Some(w) if attempt < self.retry.attempts => w,
                    _ => return Err(status_error(&method, uri, r)),
                },
                // A connection that failed before any response: GitHub may be
                // restarting; try again like a 5xx.
                Err(GithubError::Transport { .. }) if attempt < self.retry.attempts => {
                    backoff(attempt).min(self.retry.max_wait)
                }
                Err(_) => return result,
            };
            if let Ok(mut w) = self.waits.lock() {
                w.push(wait);
            }
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn once(
        &self,
        method: &Method,
        uri: &str,
        body: Option<&Value>,
    ) -> Result<Response, GithubError> {
        let transport = |e: octocrab::Error| GithubError::Transport {
            what: format!("{method} {}", path_of(uri)),
            message: e.to_string(),
        };
        let response = match *method {
            Method::GET => self.octo._get(uri).await,
            Method::POST => self.octo._post(uri, body).await,
            Method::PATCH => self.octo._patch(uri, body).await,
            _ => return Err(GithubError::Client(format!("unsupported method {method}"))),
        }
        .map_err(transport)?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = self
            .octo
            .body_to_string(response)
            .await
            .map_err(transport)?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// The request's path without the query string, for messages.
fn path_of(uri: &str) -> &str {
    uri.split('?').next().unwrap_or(uri)
}

fn status_error(method: &Method, uri: &str, r: &Response) -> GithubError {
    GithubError::Status {
        what: format!("{method} {}", path_of(uri)),
        status: r.status.as_u16(),
        message: message_of(&r.body),
        rate_limited: is_rate_limit(r),
    }
}

/// GitHub's error `message`, or the body's first line.
pub fn message_of(body: &Value) -> String {
    match body {
        Value::Object(o) => o
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        Value::String(s) => s.lines().next().unwrap_or("").chars().take(200).collect(),
        _ => String::new(),
    }
}

fn header<'a>(r: &'a Response, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

/// A primary limit (`x-ratelimit-remaining: 0`), a `Retry-After`, or a
/// secondary limit (403 whose message says so).
fn is_rate_limit(r: &Response) -> bool {
    let status = r.status.as_u16();
    if status != 403 && status != 429 {
        return false;
    }
    status == 429
        || header(r, "retry-after").is_some()
        || header(r, "x-ratelimit-remaining") == Some("0")
        || message_of(&r.body)
            .to_ascii_lowercase()
            .contains("rate limit")
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(6))
}

/// How long to wait before retrying `r`, or `None` when it must not be retried.
fn retry_wait(r: &Response, cap: Duration, attempt: u32) -> Option<Duration> {
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

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim();
                p == "rel=\"next\"" || p == "rel=next"
            })
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_owned()
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn response(status: u16, headers: &[(&'static str, &str)], body: Value) -> Response {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        Response {
            status: StatusCode::from_u16(status).unwrap(),
            headers: map,
            body,
        }
    }

    const CAP: Duration = Duration::from_secs(60);

    #[test]
    fn next_link_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            "link",
            HeaderValue::from_static(
                "<https://api.github.com/x?page=1>; rel=\"prev\", <https://api.github.com/x?page=3>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\"",
            ),
        );
        assert_eq!(
            next_link(&h).as_deref(),
            Some("https://api.github.com/x?page=3")
        );
        assert_eq!(next_link(&HeaderMap::new()), None);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let r = response(429, &[("retry-after", "3")], Value::Null);
        assert_eq!(retry_wait(&r, CAP, 1), Some(Duration::from_secs(3)));
        let r = response(403, &[("retry-after", "3600")], Value::Null);
        assert_eq!(retry_wait(&r, CAP, 1), Some(CAP));
    }

    #[test]
    fn an_exhausted_primary_limit_waits_until_reset() {
        let reset = chrono::Utc::now().timestamp() + 30;
        let r = response(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &reset.to_string()),
            ],
            Value::Null,
        );
        let w = retry_wait(&r, CAP, 1).unwrap();
        assert!(
            w >= Duration::from_secs(28) && w <= Duration::from_secs(30),
            "{w:?}"
        );
    }

    #[test]
    fn a_plain_403_is_not_retried() {
        let r = response(
            403,
            &[("x-ratelimit-remaining", "4999")],
            serde_json::json!({"message": "Resource not accessible by integration"}),
        );
        assert_eq!(retry_wait(&r, CAP, 1), None);
    }

    #[test]
    fn a_secondary_limit_message_is_retried() {
        let r = response(
            403,
            &[],
            serde_json::json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
        );
        assert_eq!(
            retry_wait(&r, Duration::from_millis(5), 1),
            Some(Duration::from_millis(5))
        );
    }

    #[test]
    fn server_errors_back_off_and_client_errors_do_not_retry() {
        assert!(retry_wait(&response(502, &[], Value::Null), CAP, 1).is_some());
        assert_eq!(retry_wait(&response(404, &[], Value::Null), CAP, 1), None);
        assert_eq!(retry_wait(&response(422, &[], Value::Null), CAP, 1), None);
    }
}
