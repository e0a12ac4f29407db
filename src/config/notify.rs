//! `[notify]`: turns the table into where a nightly run's findings go
//! (webhooks, a Pushgateway, the tracking issue) and from which severity on.

use super::FailOn;
use schemars::JsonSchema;
use serde::Deserialize;

/// `[notify]`: who hears of a nightly run's findings.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    /// The lowest severity that notifies (default `major`; `never` keeps
    /// webhooks and the issue quiet): a regression's severity; an SLO
    /// warning counts as major, an SLO at critical as critical; a change
    /// point as the severity of its step.
    #[serde(default = "default_on")]
    pub on: FailOn,
    /// Webhook URLs, or `env:NAME` to read one from the environment
    /// variable NAME (never printed).
    #[serde(default)]
    pub webhook: Vec<String>,
    /// `slack` (text and blocks) or `json` (the comparison JSON).
    #[serde(default)]
    pub webhook_format: WebhookFormat,
    /// A Prometheus Pushgateway's URL (or `env:NAME`): every run's metrics
    /// are pushed under job `perfguard`.
    #[serde(default)]
    pub pushgateway: Option<String>,
    /// Keep one tracking issue per suite on nightly runs (needs
    /// `issues: write`).
    #[serde(default)]
    pub issue: bool,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            on: default_on(),
            webhook: Vec::new(),
            webhook_format: WebhookFormat::default(),
            pushgateway: None,
            issue: false,
        }
    }
}

fn default_on() -> FailOn {
    FailOn::Major
}

/// `[notify] webhook_format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// A Slack incoming-webhook message: `text` and `blocks`.
    #[default]
    Slack,
    /// The comparison JSON, as `compare --format json` writes it.
    Json,
}

/// Where a URL comes from: written in the file, or read from the
/// environment (and then a secret: never printed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Url(String),
    Env(String),
}

impl Endpoint {
    /// `env:NAME` or an http(s) URL.
    pub fn parse(text: &str) -> Result<Endpoint, String> {
        if let Some(name) = text.strip_prefix("env:") {
            let valid = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            return if valid {
                Ok(Endpoint::Env(name.to_owned()))
            } else {
                Err(format!(
                    "`env:{name}` does not name an environment variable (letters, digits and `_`, not starting with a digit)"
                ))
            };
        }
        match reqwest::Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
                Ok(Endpoint::Url(text.to_owned()))
            }
            // The text may be a secret URL with a typo: say what is wrong, not what it is.
            Ok(u) => Err(format!(
                "expected an http or https URL or `env:NAME`, got a `{}:` URL",
                u.scheme()
            )),
            Err(e) => Err(format!("expected an http or https URL or `env:NAME` ({e})")),
        }
    }

    /// How messages name it: `env:NAME`, or a written URL's scheme and host
    /// (a webhook's path is its secret).
    pub fn describe(&self) -> String {
        match self {
            Endpoint::Env(name) => format!("env:{name}"),
            Endpoint::Url(url) => reqwest::Url::parse(url)
                .ok()
                .and_then(|u| Some(format!("{}://{}", u.scheme(), u.host_str()?)))
                .unwrap_or_else(|| "a webhook".into()),
        }
    }

    /// The URL, reading the environment for `env:NAME`.
    pub fn resolve(&self) -> Result<String, String> {
        match self {
            Endpoint::Url(u) => Ok(u.clone()),
            Endpoint::Env(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
                _ => Err(format!("environment variable {name} is not set")),
            },
        }
    }
}

/// `[notify]` validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub on: FailOn,
    pub webhooks: Vec<Endpoint>,
    pub webhook_format: WebhookFormat,
    pub pushgateway: Option<Endpoint>,
    pub issue: bool,
}

impl Default for Notify {
    fn default() -> Self {
        NotifyConfig::default()
            .parse()
            .expect("the default [notify] is valid")
    }
}

impl NotifyConfig {
    /// The endpoints parsed; an error names the key (`notify.webhook[1]`).
    pub(super) fn parse(&self) -> Result<Notify, (String, String)> {
        let webhooks = self
            .webhook
            .iter()
            .enumerate()
            .map(|(i, w)| Endpoint::parse(w).map_err(|m| (format!("notify.webhook[{i}]"), m)))
            .collect::<Result<Vec<_>, _>>()?;
        let pushgateway = self
            .pushgateway
            .as_deref()
            .map(|p| Endpoint::parse(p).map_err(|m| ("notify.pushgateway".to_owned(), m)))
            .transpose()?;
        Ok(Notify {
            on: self.on,
            webhooks,
            webhook_format: self.webhook_format,
            pushgateway,
            issue: self.issue,
        })
    }
}
