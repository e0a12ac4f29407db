//! Webhooks and the Pushgateway: turns a message (JSON or exposition text)
//! and an endpoint into an HTTP request sent with reqwest, bounded by a
//! connect timeout, a per-attempt timeout and a few retries on 5xx and 429;
//! the outcome is a `Delivery`, never an error that changes a verdict.

use crate::config::Endpoint;
use std::time::Duration;

/// How hard to try one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts, the first included.
    pub attempts: u32,
    /// The first wait; each next one doubles. A `Retry-After` is honoured
    /// up to `max_wait`.
    pub backoff: Duration,
    pub max_wait: Duration,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 3,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
        }
    }
}

impl Retry {
    /// The default, with `PERFGUARD_NOTIFY_ATTEMPTS`,
    /// `PERFGUARD_NOTIFY_BACKOFF_MS` and `PERFGUARD_NOTIFY_TIMEOUT_MS`
    /// overriding it.
    pub fn from_env() -> Retry {
        let mut r = Retry::default();
        let num = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let Some(n) = num("PERFGUARD_NOTIFY_ATTEMPTS") {
            r.attempts = n.clamp(1, 10) as u32;
        }
        if let Some(ms) = num("PERFGUARD_NOTIFY_BACKOFF_MS") {
            r.backoff = Duration::from_millis(ms);
        }
        if let Some(ms) = num("PERFGUARD_NOTIFY_TIMEOUT_MS") {
            r.request_timeout = Duration::from_millis(ms.max(1));
        }
        r
    }
}

/// What one delivery came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// How messages name the endpoint (never a URL read from the environment).
    pub target: String,
    pub attempts: u32,
    /// `None` when delivered; else why not, free of the URL.
    pub failure: Option<String>,
}

/// The body of one request.
#[derive(Debug, Clone)]
pub enum Body {
    Json(serde_json::Value),
    /// Prometheus' text exposition format.
    Exposition(String),
}

/// Sends `body` to `endpoint` (joined with `path`, for the Pushgateway's
/// grouping key) with `method`, retrying 5xx, 429 and lost connections.
pub fn deliver(
    endpoint: &Endpoint,
    path: &str,
    method: reqwest::Method,
    body: &Body,
    retry: Retry,
) -> Delivery {
    let target = endpoint.describe();
    let url = match endpoint.resolve() {
        Ok(u) => format!("{}{path}", u.trim_end_matches('/')),
        Err(why) => {
            return Delivery {
                target,
                attempts: 0,
                failure: Some(why),
            };
        }
    };
    let runtime = match crate::github::api::runtime() {
        Ok(r) => r,
        Err(e) => {
            return Delivery {
                target,
                attempts: 0,
                failure: Some(e.to_string()),
            };
        }
    };
    crate::tls::install_crypto_provider();
    let client = match reqwest::Client::builder()
        .connect_timeout(retry.connect_timeout)
        .timeout(retry.request_timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return Delivery {
                target,
                attempts: 0,
                failure: Some(format!("cannot build an HTTP client: {}", e.without_url())),
            };
        }
    };
    runtime.block_on(async {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = client.request(method.clone(), &url);
            let request = match body {
                Body::Json(v) => request.json(v),
                Body::Exposition(text) => request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )
                    .body(text.clone()),
            };
            let (failure, wait) = match request.send().await {
                Ok(r) if r.status().is_success() => {
                    return Delivery {
                        target,
                        attempts: attempt,
                        failure: None,
                    };
                }
                Ok(r) => {
                    let status = r.status();
                    let retry_after = r
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let failure = format!("answered {status}");
                    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                    {
                        (failure, retry_after)
                    } else {
                        return Delivery {
                            target,
                            attempts: attempt,
                            failure: Some(failure),
                        };
                    }
                }
                // The error's text would carry the URL: the secret part.
                Err(e) => (describe(&e.without_url()), None),
            };
            if attempt >= retry.attempts {
                return Delivery {
                    target,
                    attempts: attempt,
                    failure: Some(format!("{failure} (after {attempt} attempts)")),
                };
            }
            let backoff = retry
                .backoff
                .checked_mul(2u32.saturating_pow(attempt - 1))
                .unwrap_or(retry.max_wait);
            tokio::time::sleep(wait.unwrap_or(backoff).min(retry.max_wait)).await;
        }
    })
}

/// A request error's kind and causes, without any URL.
fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let mut out = kind.to_owned();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        // Causes name addresses, never URLs; keep them short all the same.
        if !text.contains("://") {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}
