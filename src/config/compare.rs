//! `[compare]` and `[[slo]]`: turns the tables that steer how runs are
//! compared (history, confirmation, paired mode, environment, error
//! budgets) into typed settings.

use super::command::CommandLine;
use super::criterion::{Criterion, Op};
use crate::metrics::Dimension;
use crate::metrics::units::Duration;
use schemars::JsonSchema;
use serde::Deserialize;

/// How the head is measured against the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CompareMode {
    /// Against the baselines recorded on the baseline branch.
    #[default]
    Baseline,
    /// Base and head built and run interleaved (A B A B) on this machine.
    Paired,
}

/// `[compare]`
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CompareConfig {
    /// `baseline` (default) or `paired`.
    #[serde(default)]
    pub mode: CompareMode,
    /// Builds a checkout (run in the merge-base worktree and in the head
    /// before paired runs), as an argument array or a `sh -c` string.
    pub build: Option<CommandLine>,
    /// Reruns of the phases concerned before a regression that would fail
    /// the check is believed (default 1; 0 turns confirmation off).
    #[serde(default = "default_confirm")]
    pub confirm: u32,
    /// Earlier runs of a metric needed for a history band (default 5).
    #[serde(default = "default_min_history")]
    pub min_history: usize,
    /// Half-width of the history band in robust standard deviations
    /// (`median ± k·1.4826·MAD`, default 3).
    #[serde(default = "default_band_k")]
    pub band_k: f64,
    /// Refuse to compare with a baseline measured on another CPU model or
    /// core count (exit 3) instead of flagging it (default false).
    #[serde(default)]
    pub strict_environment: bool,
    /// Baseline mode in `check`: the runner-to-runner spread, in percent,
    /// allowed on top of a change's within-run interval while a metric has
    /// fewer than `min_history` earlier runs (default 7.5: 1.96·√2 times
    /// the 2.66 % coefficient of variation CodSpeed measured across
    /// GitHub-hosted runners; 0 turns it off). The history band replaces it.
    #[serde(default = "default_runner_noise")]
    pub runner_noise: f64,
    /// Paired mode: the most interleaved rounds a phase runs while a paired
    /// interval still straddles a threshold (default 40; a phase's `runs`
    /// rounds always run).
    #[serde(default = "default_max_rounds")]
    pub max_rounds: u32,
    /// Paired mode: no more rounds are added to a phase once it has run
    /// this long (default `180s`).
    #[serde(default = "default_max_time")]
    pub max_time: Duration,
}

impl Default for CompareConfig {
    fn default() -> Self {
        CompareConfig {
            mode: CompareMode::default(),
            build: None,
            confirm: default_confirm(),
            min_history: default_min_history(),
            band_k: default_band_k(),
            strict_environment: false,
            runner_noise: default_runner_noise(),
            max_rounds: default_max_rounds(),
            max_time: default_max_time(),
        }
    }
}

fn default_confirm() -> u32 {
    1
}
fn default_min_history() -> usize {
    5
}
fn default_band_k() -> f64 {
    3.0
}
fn default_runner_noise() -> f64 {
    7.5
}
fn default_max_rounds() -> u32 {
    40
}
fn default_max_time() -> Duration {
    Duration(std::time::Duration::from_secs(180))
}

impl CompareConfig {
    pub(super) fn validate(&self) -> Result<(), (String, String)> {
        if self.min_history < 2 {
            return Err((
                "compare.min_history".into(),
                format!(
                    "expected at least 2 earlier runs (a spread needs two), got {}",
                    self.min_history
                ),
            ));
        }
        if !(self.band_k.is_finite() && self.band_k > 0.0) {
            return Err((
                "compare.band_k".into(),
                format!("expected a positive number, got {}", self.band_k),
            ));
        }
        if !(self.runner_noise.is_finite() && (0.0..100.0).contains(&self.runner_noise)) {
            return Err((
                "compare.runner_noise".into(),
                format!(
                    "expected a percentage from 0 up to 100, got {}",
                    self.runner_noise
                ),
            ));
        }
        if self.max_rounds < 2 {
            return Err((
                "compare.max_rounds".into(),
                format!(
                    "expected at least 2 rounds (a paired test needs pairs), got {}",
                    self.max_rounds
                ),
            ));
        }
        if self.max_time.0.is_zero() {
            return Err((
                "compare.max_time".into(),
                "expected a duration above zero".into(),
            ));
        }
        if self.confirm > 10 {
            return Err((
                "compare.confirm".into(),
                format!("expected at most 10 reruns, got {}", self.confirm),
            ));
        }
        Ok(())
    }
}

/// One `[[slo]]`: an objective on a rate metric over a time window.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SloConfig {
    /// The metric: `error_rate`, or `phase/metric` to name one phase's.
    pub metric: String,
    /// The objective: `<= 1%`, or with the metric's name, `error_rate <= 1%`,
    /// `availability >= 99.5%`. A percentage.
    pub objective: String,
    /// The budget window: `30d`, `7d`, `12h`, `4w` (default `30d`).
    #[serde(default = "default_window")]
    pub window: String,
}

fn default_window() -> String {
    "30d".into()
}

/// An `[[slo]]` checked and parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct Slo {
    /// The metric as written.
    pub metric: String,
    /// `<=`/`<` (the value must stay low) or `>=`/`>` (it must stay high).
    pub op: Op,
    /// The objective as a fraction (0.01 for 1 %).
    pub target: f64,
    /// The objective as written.
    pub objective: String,
    pub window: chrono::Duration,
    /// The window as written.
    pub window_text: String,
}

impl SloConfig {
    /// Parses the objective and window; errors name the key.
    pub(super) fn parse(&self, index: usize) -> Result<Slo, (String, String)> {
        let key = |k: &str| format!("slo[{index}].{k}");
        if self.metric.trim().is_empty() {
            return Err((
                key("metric"),
                "expected a metric name such as `error_rate`".into(),
            ));
        }
        let text = self.objective.trim();
        let metric_name = self.metric.rsplit('/').next().unwrap_or(&self.metric);
        // `error_rate <= 1%`: the leading name, when there is one, must be the metric's.
        let expr = match text.find(['<', '>']) {
            Some(0) | None => text,
            Some(i) => {
                let named = text[..i].trim();
                if named != metric_name && named != self.metric {
                    return Err((
                        key("objective"),
                        format!(
                            "objective `{text}` names `{named}`, but the slo's metric is `{}`",
                            self.metric
                        ),
                    ));
                }
                &text[i..]
            }
        };
        let criterion = Criterion::parse(expr).map_err(|e| (key("objective"), e))?;
        if criterion.limit.dimension != Dimension::Ratio {
            return Err((
                key("objective"),
                format!(
                    "objective `{text}` must be a percentage, as in `<= 1%` or `>= 99.5%`: an error budget is a share of events"
                ),
            ));
        }
        if !(criterion.limit.value > 0.0 && criterion.limit.value < 1.0) {
            return Err((
                key("objective"),
                format!(
                    "objective `{text}` must lie strictly between 0% and 100%, or there is no budget"
                ),
            ));
        }
        let window = parse_window(&self.window).ok_or_else(|| {
            (
                key("window"),
                format!(
                    "`{}` is not a window; expected a number and h, d or w, as in `30d`",
                    self.window
                ),
            )
        })?;
        Ok(Slo {
            metric: self.metric.clone(),
            op: criterion.op,
            target: criterion.limit.value,
            objective: text.to_owned(),
            window,
            window_text: self.window.trim().to_owned(),
        })
    }
}

/// `30d`, `12h`, `4w` → a positive duration.
fn parse_window(text: &str) -> Option<chrono::Duration> {
    let t = text.trim();
    let unit = t.chars().last()?;
    let n: u32 = t[..t.len() - unit.len_utf8()].trim().parse().ok()?;
    if n == 0 || n > 3660 {
        return None;
    }
    let n = i64::from(n);
    match unit {
        'h' => Some(chrono::Duration::hours(n)),
        'd' => Some(chrono::Duration::days(n)),
        'w' => Some(chrono::Duration::weeks(n)),
        _ => None,
    }
}
