//! HTTP phase configuration: turns a `kind = "http"` table into a validated
//! load plan (model, stages, scenarios of steps, service), with templates and
//! metric names checked before anything runs.

use super::command::{CommandLine, validate_criteria};
use super::criterion::Criterion;
use super::template::{JsonBody, Template};
use crate::metrics::Dimension;
use crate::metrics::units::Duration;
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// `kind = "http"`: an HTTP load test (k6 / wrk-like).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HttpPhase {
    /// The phase's name, unique in the suite.
    pub name: String,
    /// Where step paths are sent: `http://host:port`, optionally with a path prefix.
    pub base_url: Option<String>,
    /// `closed` (virtual users loop) or `open` (arrivals at a rate); inferred:
    /// `open` when `rate` is set, else `closed`.
    pub model: Option<LoadModel>,
    /// Closed model: virtual users, each looping over a scenario.
    pub vus: Option<u32>,
    /// Open model: iterations started per second, whether or not earlier ones finished.
    pub rate: Option<f64>,
    /// Open model: the most iterations in flight at once, one connection each (default 100).
    pub max_vus: Option<u32>,
    /// How long load runs; or use `stages`.
    pub duration: Option<Duration>,
    /// Stop after this many iterations (with `duration` or `stages`, whichever comes first).
    pub iterations: Option<u64>,
    /// Ramp, hold, spike, soak: each stage moves the target (VUs, or rate in
    /// the open model) linearly to `target` over `duration`.
    #[serde(default)]
    pub stages: Vec<Stage>,
    /// Pause after each iteration of a virtual user (closed model).
    pub think_time: Option<Duration>,
    /// Default timeout of one request, connecting included (default 10s).
    #[serde(default = "default_request_timeout")]
    pub timeout: Duration,
    /// Headers sent with every request; values may hold `{{ var }}`.
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// Starts the service under test before load and stops it afterwards.
    pub service: Option<ServiceConfig>,
    /// Watches an already running service.
    pub monitor: Option<MonitorConfig>,
    /// How often the service's processes are sampled (default 200ms).
    #[serde(default = "default_sample_interval")]
    pub sample_interval: Duration,
    /// The steps of a single scenario; or use `scenario`.
    #[serde(default)]
    pub step: Vec<Step>,
    /// Weighted scenarios; each iteration picks one.
    #[serde(default)]
    pub scenario: Vec<Scenario>,
    /// Absolute gates, metric → `"< 200ms"`.
    #[serde(default)]
    pub criteria: BTreeMap<String, Criterion>,
    /// `auto` (default: HTTP/1.1, or HTTP/2 when an https server offers it
    /// by ALPN), `"1.1"`, or `"2"` (HTTP/2 by ALPN over https; prior
    /// knowledge, h2c, over http://).
    #[serde(default)]
    pub http_version: HttpVersion,
    /// https: a PEM file of CA certificates trusted besides the system's
    /// (relative to this file).
    pub ca_file: Option<PathBuf>,
    /// https: accept any certificate (a self-signed staging server). Off by
    /// default; perfguard warns when it is on.
    #[serde(default)]
    pub insecure: bool,
    /// Never written: set by `--shard` so that `{{ iteration }}` and
    /// `{{ vu }}` stay unique across shards, `(stride, offset)`: shard I of N
    /// numbers them `n * N + I`.
    #[serde(skip, default = "unsharded")]
    #[schemars(skip)]
    pub numbering: (u64, u64),
}

fn unsharded() -> (u64, u64) {
    (1, 0)
}

/// The HTTP version an HTTP phase speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum HttpVersion {
    /// HTTP/1.1; over https, HTTP/2 when the server offers it (ALPN).
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// HTTP/1.1 only.
    #[serde(rename = "1.1")]
    Http1,
    /// HTTP/2 only: negotiated by ALPN over https, prior knowledge (h2c)
    /// over http://.
    #[serde(rename = "2")]
    Http2,
}

/// How load is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LoadModel {
    /// Virtual users, each starting its next iteration when the last ends.
    Closed,
    /// Iterations arrive at a rate; latency counts from the intended start.
    Open,
}

/// One stage: move the target linearly to `target` over `duration`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// VUs (closed model) or iterations per second (open model) at its end.
    pub target: f64,
}

/// A weighted scenario: an ordered list of steps.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Names the scenario in errors.
    pub name: String,
    /// Relative weight (default 1).
    #[serde(default = "default_weight")]
    pub weight: u32,
    /// The requests, in order.
    pub step: Vec<Step>,
}

fn default_weight() -> u32 {
    1
}

/// One request of an iteration.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Names the step's metrics (`step.<name>.latency.p95`); default `step<N>`.
    pub name: Option<String>,
    /// HTTP method (default GET).
    #[serde(default = "default_method")]
    pub method: String,
    /// Path appended to `base_url`; may hold `{{ var }}`.
    pub path: Option<Template>,
    /// A full `http://` URL instead of `path`; may hold `{{ var }}`.
    pub url: Option<Template>,
    /// Headers of this step, over the phase's; values may hold `{{ var }}`.
    #[serde(default)]
    pub headers: BTreeMap<String, Template>,
    /// Query parameters, encoded and appended; values may hold `{{ var }}`.
    #[serde(default)]
    pub query: BTreeMap<String, Template>,
    /// A JSON body (sets `content-type: application/json`); strings may hold `{{ var }}`.
    #[schemars(with = "serde_json::Value")]
    pub json: Option<JsonBody>,
    /// A raw body; may hold `{{ var }}`.
    pub body: Option<Template>,
    /// Timeout of this request (default the phase's).
    pub timeout: Option<Duration>,
    /// Variables taken from the JSON response: name → JSON pointer (`/id`) or `$.a.b`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    /// What the response must satisfy; each expectation is one check.
    pub expect: Option<Expect>,
    /// A label of the backend this step addresses (a model); the first request
    /// after a change of target is reported as `switch.latency.*`.
    pub target: Option<String>,
    /// Pause after this step.
    pub think_time: Option<Duration>,
}

fn default_method() -> String {
    "GET".into()
}

/// Expectations of a response; each one set is a check.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The status, or a list of accepted statuses (default: any below 400).
    pub status: Option<StatusSet>,
    /// Text the body must contain; may hold `{{ var }}`.
    pub contains: Option<Template>,
    /// JSON fields that must equal values: pointer or `$.a.b` → value.
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    #[serde(default)]
    pub json: BTreeMap<String, toml::Value>,
    /// The most the request may take.
    pub max_latency: Option<Duration>,
}

/// One status or a list.
#[derive(Debug, Clone, PartialEq, Eq, JsonSchema)]
#[schemars(untagged)]
pub enum StatusSet {
    One(u16),
    Any(Vec<u16>),
}

impl StatusSet {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            StatusSet::One(s) => *s == status,
            StatusSet::Any(list) => list.contains(&status),
        }
    }
}

impl std::fmt::Display for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatusSet::One(s) => write!(f, "{s}"),
            StatusSet::Any(list) => {
                let list: Vec<String> = list.iter().map(u16::to_string).collect();
                write!(f, "one of {}", list.join(", "))
            }
        }
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StatusSet;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a status such as 200, or a list such as [200, 201]")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<StatusSet, E> {
                status(v).map(StatusSet::One).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<StatusSet, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StatusSet, A::Error> {
                let mut list = Vec::new();
                while let Some(v) = seq.next_element::<i64>()? {
                    list.push(status(v).map_err(serde::de::Error::custom)?);
                }
                if list.is_empty() {
                    return Err(serde::de::Error::custom("the status list is empty"));
                }
                Ok(StatusSet::Any(list))
            }
        }
        d.deserialize_any(V)
    }
}

fn status(v: i64) -> Result<u16, String> {
    if (100..=599).contains(&v) {
        Ok(v as u16)
    } else {
        Err(format!("{v} is not an HTTP status (100–599)"))
    }
}

/// `service = { … }`: the service under test, started by perfguard.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceConfig {
    /// The command: an argument array, or a string run by `sh -c`.
    pub command: CommandLine,
    /// A path polled until it answers 2xx; without it, until the port accepts.
    pub ready: Option<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory, relative to the configuration file.
    pub cwd: Option<PathBuf>,
    /// How long to wait for readiness (default 30s).
    #[serde(default = "default_ready_timeout")]
    pub ready_timeout: Duration,
    /// How long SIGTERM gets before SIGKILL (default 5s).
    #[serde(default = "default_stop_timeout")]
    pub stop_timeout: Duration,
    /// Pause after load before `memory.after` is sampled (default 1s).
    #[serde(default = "default_settle")]
    pub settle: Duration,
}

/// `monitor = { pid_file = "…" }`: a service already running.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    /// A file holding the service's process id, relative to the configuration file.
    pub pid_file: PathBuf,
    /// Pause after load before `memory.after` is sampled (default 1s).
    #[serde(default = "default_settle")]
    pub settle: Duration,
}

fn default_request_timeout() -> Duration {
    Duration(std::time::Duration::from_secs(10))
}
fn default_sample_interval() -> Duration {
    Duration(std::time::Duration::from_millis(200))
}
fn default_ready_timeout() -> Duration {
    Duration(std::time::Duration::from_secs(30))
}
fn default_stop_timeout() -> Duration {
    Duration(std::time::Duration::from_secs(5))
}
fn default_settle() -> Duration {
    Duration(std::time::Duration::from_secs(1))
}

/// The fixed metrics of an HTTP phase, with their dimension. Per-step
/// (`step.<name>.…`) and switch (`switch.latency.…`) names are added from
/// the configuration.
pub const HTTP_METRICS: &[(&str, Dimension)] = &[
    ("latency.p50", Dimension::Time),
    ("latency.p90", Dimension::Time),
    ("latency.p95", Dimension::Time),
    ("latency.p99", Dimension::Time),
    ("latency.max", Dimension::Time),
    ("latency.mean", Dimension::Time),
    ("throughput", Dimension::Rate),
    ("requests", Dimension::Count),
    ("error_rate", Dimension::Ratio),
    ("checks", Dimension::Ratio),
    ("errors.connect", Dimension::Count),
    ("errors.timeout", Dimension::Count),
    ("errors.status", Dimension::Count),
    ("errors.check", Dimension::Count),
    ("errors.capture", Dimension::Count),
    ("errors.request", Dimension::Count),
    ("bytes.received", Dimension::Bytes),
    ("bytes.sent", Dimension::Bytes),
];

/// Metrics of the watched service.
pub const SERVICE_METRICS: &[(&str, Dimension)] = &[
    ("memory.baseline", Dimension::Bytes),
    ("memory.peak", Dimension::Bytes),
    ("memory.after", Dimension::Bytes),
    ("cpu.mean", Dimension::Ratio),
];

/// Latency summaries reported per step and for target switches.
pub const LATENCY_SUFFIXES: &[&str] = &["p50", "p90", "p95", "p99", "max", "mean"];

/// Turns `$.a.b[0]` or `/a/b/0` into a JSON pointer (`/a/b/0`).
pub fn json_pointer(path: &str) -> Result<String, String> {
    let p = path.trim();
    if p.is_empty() || p == "$" {
        return Ok(String::new());
    }
    if p.starts_with('/') {
        return Ok(p.to_owned());
    }
    let Some(rest) = p.strip_prefix('$') else {
        return Err(format!(
            "`{path}` is neither a JSON pointer (`/items/0/id`) nor a path (`$.items[0].id`)"
        ));
    };
    let mut out = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let mut key = String::new();
                while let Some(&n) = chars.peek() {
                    if n == '.' || n == '[' {
                        break;
                    }
                    key.push(n);
                    chars.next();
                }
                if key.is_empty() {
                    return Err(format!("`{path}` has an empty key"));
                }
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            '[' => {
                let mut index = String::new();
                for n in chars.by_ref() {
                    if n == ']' {
                        break;
                    }
                    index.push(n);
                }
                let index = index.trim().trim_matches(|c| c == '"' || c == '\'');
                if index.is_empty() {
                    return Err(format!("`{path}` has an empty index"));
                }
                out.push('/');
                out.push_str(&index.replace('~', "~0").replace('/', "~1"));
            }
            _ => return Err(format!("`{path}`: expected `.key` or `[index]` after `$`")),
        }
    }
    Ok(out)
}

/// The most virtual users (connections) a phase may ask for.
pub const MAX_USERS: u32 = 50_000;
/// The highest arrival rate, per second.
pub const MAX_RATE: f64 = 10_000_000.0;

/// Variables every template may use.
pub const BUILTIN_VARS: &[&str] = &["iteration", "vu"];

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

impl HttpPhase {
    /// Whether arrivals follow a rate (open) or virtual users loop (closed).
    pub fn load_model(&self) -> LoadModel {
        self.model.unwrap_or(if self.rate.is_some() {
            LoadModel::Open
        } else {
            LoadModel::Closed
        })
    }

    /// The scenarios, with top-level steps as one scenario named `default`.
    pub fn scenarios(&self) -> Vec<Scenario> {
        if self.scenario.is_empty() {
            vec![Scenario {
                name: "default".into(),
                weight: 1,
                step: self.step.clone(),
            }]
        } else {
            self.scenario.clone()
        }
    }

    /// The name of step `i` (0-based) of a scenario.
    pub fn step_name(step: &Step, i: usize) -> String {
        step.name
            .clone()
            .unwrap_or_else(|| format!("step{}", i + 1))
    }

    /// How long load runs at most: the stages' sum, or `duration`.
    pub fn planned_duration(&self) -> Option<std::time::Duration> {
        if self.stages.is_empty() {
            self.duration.map(|d| d.0)
        } else {
            Some(self.stages.iter().map(|s| s.duration.0).sum())
        }
    }

    pub(super) fn validate(&self) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((k.to_owned(), m));
        if let Some(base) = &self.base_url {
            check_url(base).map_err(|m| ("base_url".to_owned(), m))?;
        }
        match (self.step.is_empty(), self.scenario.is_empty()) {
            (true, true) => {
                return err(
                    "step",
                    "no requests: add [[phase.step]] tables, or [[phase.scenario]] with steps"
                        .into(),
                );
            }
            (false, false) => {
                return err(
                    "scenario",
                    "give either [[phase.step]] or [[phase.scenario]], not both".into(),
                );
            }
            _ => {}
        }
        let model = self.load_model();
        match model {
            LoadModel::Closed => {
                if self.rate.is_some() {
                    return err(
                        "rate",
                        "`rate` belongs to the open model; remove `model = \"closed\"` or `rate`"
                            .into(),
                    );
                }
                if self.max_vus.is_some() {
                    return err(
                        "max_vus",
                        "`max_vus` belongs to the open model; use `vus`".into(),
                    );
                }
                if self.vus == Some(0) {
                    return err("vus", "expected at least 1 virtual user".into());
                }
                if self.vus.is_none() && self.stages.is_empty() {
                    return err(
                        "vus",
                        "set `vus` (closed model), `rate` (open model) or `stages`".into(),
                    );
                }
            }
            LoadModel::Open => {
                if self.vus.is_some() {
                    return err(
                        "vus",
                        "the open model takes `rate` and `max_vus`, not `vus`".into(),
                    );
                }
                match self.rate {
                    Some(r) if !(r.is_finite() && r > 0.0) => {
                        return err("rate", format!("expected a rate above zero, got {r}"));
                    }
                    None if self.stages.is_empty() => {
                        return err("rate", "the open model needs `rate` or `stages`".into());
                    }
                    _ => {}
                }
                if self.max_vus == Some(0) {
                    return err("max_vus", "expected at least 1".into());
                }
                if self.think_time.is_some() {
                    return err(
                        "think_time",
                        "the open model starts iterations on its schedule; `think_time` belongs to the closed model (a step's `think_time` still applies)".into(),
                    );
                }
            }
        }
        let most = match model {
            LoadModel::Closed => f64::from(MAX_USERS),
            LoadModel::Open => MAX_RATE,
        };
        for (i, s) in self.stages.iter().enumerate() {
            if !(s.target.is_finite() && (0.0..=most).contains(&s.target)) {
                return err(
                    &format!("stages[{i}].target"),
                    format!("expected a target from 0 to {most}, got {}", s.target),
                );
            }
        }
        if let Some(v) = self.vus.or(self.max_vus)
            && v > MAX_USERS
        {
            let key = if self.vus.is_some() { "vus" } else { "max_vus" };
            return err(
                key,
                format!(
                    "{v} users is more than the {MAX_USERS} one machine can hold connections for"
                ),
            );
        }
        if self.rate.is_some_and(|r| r > MAX_RATE) {
            return err(
                "rate",
                format!("expected a rate up to {MAX_RATE} per second"),
            );
        }
        if !self.stages.is_empty() && self.duration.is_some() {
            return err(
                "duration",
                "`stages` set the duration already; remove `duration`".into(),
            );
        }
        if self.stages.is_empty() && self.duration.is_none() && self.iterations.is_none() {
            return err(
                "duration",
                "bound the load: set `duration`, `iterations` or `stages`".into(),
            );
        }
        if self.planned_duration().is_some_and(|d| d.is_zero()) {
            return err("duration", "expected a duration above zero".into());
        }
        if self.iterations == Some(0) {
            return err("iterations", "expected at least 1 iteration".into());
        }
        if self.timeout.0.is_zero() {
            return err("timeout", "expected a timeout above zero".into());
        }
        if self.sample_interval.0.is_zero() {
            return err("sample_interval", "expected an interval above zero".into());
        }
        if self.service.is_some() && self.monitor.is_some() {
            return err(
                "monitor",
                "give either `service` (perfguard starts it) or `monitor` (already running), not both".into(),
            );
        }
        if let Some(s) = &self.service {
            if let Some(ready) = &s.ready
                && !ready.starts_with('/')
            {
                return err(
                    "service.ready",
                    format!("`{ready}` is not a path; expected one such as \"/health\""),
                );
            }
            if self.base_url.is_none() {
                return err(
                    "base_url",
                    "a `service` is polled and loaded at `base_url`; set it".into(),
                );
            }
        }
        for (k, v) in &self.headers {
            check_header(k, v.text()).map_err(|m| (format!("headers.\"{k}\""), m))?;
        }

        let mut known: Vec<(String, Dimension)> = HTTP_METRICS
            .iter()
            .map(|(n, d)| ((*n).to_owned(), *d))
            .collect();
        if self.service.is_some() || self.monitor.is_some() {
            known.extend(SERVICE_METRICS.iter().map(|(n, d)| ((*n).to_owned(), *d)));
        }
        let mut names = BTreeSet::new();
        let mut any_target = false;
        let scenarios = self.scenarios();
        let mut weights = 0u64;
        for (si, sc) in scenarios.iter().enumerate() {
            let at = if self.scenario.is_empty() {
                String::new()
            } else {
                format!("scenario[{si}].")
            };
            if sc.step.is_empty() {
                return err(
                    &format!("{at}step"),
                    format!("scenario `{}` has no steps", sc.name),
                );
            }
            weights += u64::from(sc.weight);
            let mut vars: BTreeSet<String> = BUILTIN_VARS.iter().map(|s| (*s).to_owned()).collect();
            for (i, step) in sc.step.iter().enumerate() {
                let key = format!("{at}step[{i}]");
                step.validate(self.base_url.is_some(), &vars)
                    .map_err(|(k, m)| (format!("{key}.{k}"), m))?;
                vars.extend(step.capture.keys().cloned());
                any_target |= step.target.is_some();
                names.insert(HttpPhase::step_name(step, i));
            }
        }
        if weights == 0 {
            return err(
                "scenario",
                "every scenario has weight 0; give one a weight above zero".into(),
            );
        }
        for name in &names {
            for suffix in LATENCY_SUFFIXES {
                known.push((format!("step.{name}.latency.{suffix}"), Dimension::Time));
            }
            known.push((format!("step.{name}.requests"), Dimension::Count));
            known.push((format!("step.{name}.error_rate"), Dimension::Ratio));
        }
        if any_target {
            for suffix in LATENCY_SUFFIXES {
                known.push((format!("switch.latency.{suffix}"), Dimension::Time));
            }
        }
        let known: Vec<(&str, Dimension)> = known.iter().map(|(n, d)| (n.as_str(), *d)).collect();
        if let Some(metric) = self.criteria.keys().find(|m| {
            !known.iter().any(|(n, _)| n == *m) && SERVICE_METRICS.iter().any(|(n, _)| n == *m)
        }) {
            return err(
                &format!("criteria.\"{metric}\""),
                format!(
                    "`{metric}` is measured on the service under test; add `service` or `monitor`"
                ),
            );
        }
        validate_criteria(&self.criteria, &known)
    }
}

impl Step {
    fn validate(&self, has_base: bool, vars: &BTreeSet<String>) -> Result<(), (String, String)> {
        let err = |k: &str, m: String| Err((k.to_owned(), m));
        if let Some(name) = &self.name
            && (name.is_empty() || name.contains(char::is_whitespace))
        {
            return err(
                "name",
                format!("`{name}` is not a step name (no spaces; it names metrics)"),
            );
        }
        if !METHODS.contains(&self.method.as_str()) {
            return err(
                "method",
                format!(
                    "unknown method `{}`; expected one of {}",
                    self.method,
                    METHODS.join(", ")
                ),
            );
        }
        // Syntax was checked when the templates were read; what is left is
        // whether each variable exists by the time this step runs.
        let template = |key: &str, t: &Template| -> Result<(), (String, String)> {
            for v in t.vars() {
                if !vars.contains(v) {
                    let mut known: Vec<&str> = vars.iter().map(String::as_str).collect();
                    known.sort_unstable();
                    return Err((
                        key.to_owned(),
                        format!(
                            "`{{{{ {v} }}}}` is not captured by an earlier step; known: {}",
                            known.join(", ")
                        ),
                    ));
                }
            }
            Ok(())
        };
        match (&self.path, &self.url) {
            (Some(_), Some(_)) => return err("url", "give `path` or `url`, not both".into()),
            (None, None) => return err("path", "missing `path` (or `url`)".into()),
            (Some(p), None) => {
                let p_text = p.text();
                if !has_base {
                    return err(
                        "path",
                        "a `path` needs the phase's `base_url`; set it, or give `url`".into(),
                    );
                }
                if !p_text.starts_with('/') && !p_text.starts_with("{{") {
                    return err("path", format!("`{p}` should start with /"));
                }
                template("path", p)?;
            }
            (None, Some(u)) => {
                template("url", u)?;
                let u = u.text();
                if !u.contains("{{") {
                    check_url(u).map_err(|m| ("url".to_owned(), m))?;
                } else if !u.starts_with("http://")
                    && !u.starts_with("https://")
                    && !u.starts_with("{{")
                {
                    return err("url", format!("`{u}` is not an http:// or https:// URL"));
                }
            }
        }
        for (k, v) in &self.headers {
            check_header(k, v.text()).map_err(|m| (format!("headers.\"{k}\""), m))?;
            template(&format!("headers.\"{k}\""), v)?;
        }
        for (k, v) in &self.query {
            template(&format!("query.\"{k}\""), v)?;
        }
        if self.json.is_some() && self.body.is_some() {
            return err("body", "give `json` or `body`, not both".into());
        }
        if let Some(j) = &self.json {
            for t in j.templates() {
                template("json", t)?;
            }
        }
        if let Some(b) = &self.body {
            template("body", b)?;
        }
        if self.timeout.is_some_and(|t| t.0.is_zero()) {
            return err("timeout", "expected a timeout above zero".into());
        }
        for (name, path) in &self.capture {
            if BUILTIN_VARS.contains(&name.as_str()) {
                return err(
                    &format!("capture.{name}"),
                    format!("`{name}` is built in; capture under another name"),
                );
            }
            json_pointer(path).map_err(|m| (format!("capture.{name}"), m))?;
        }
        if let Some(e) = &self.expect {
            if let Some(c) = &e.contains {
                template("expect.contains", c)?;
            }
            for path in e.json.keys() {
                json_pointer(path).map_err(|m| (format!("expect.json.\"{path}\""), m))?;
            }
        }
        Ok(())
    }
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    http::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("`{name}` is not a valid header name"))?;
    if value.contains(['\r', '\n']) {
        return Err("a header value cannot contain a line break".into());
    }
    Ok(())
}

/// Accepts `http://` and `https://host[:port][/prefix]`; other schemes are
/// refused by name.
pub fn check_url(url: &str) -> Result<(), String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(format!("`{url}` is not an http:// or https:// URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("`{url}` has no host"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_paths_become_json_pointers() {
        assert_eq!(json_pointer("$.a.b").unwrap(), "/a/b");
        assert_eq!(json_pointer("$.items[0].id").unwrap(), "/items/0/id");
        assert_eq!(json_pointer("$['x/y']").unwrap(), "/x~1y");
        assert_eq!(json_pointer("/already/0").unwrap(), "/already/0");
        assert_eq!(json_pointer("$").unwrap(), "");
        for bad in ["id", "$..a", "$.a[]", "$x"] {
            assert!(json_pointer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn statuses_accept_one_or_a_list() {
        assert!(StatusSet::One(200).accepts(200));
        assert!(!StatusSet::One(200).accepts(201));
        assert!(StatusSet::Any(vec![200, 201]).accepts(201));
    }
}
