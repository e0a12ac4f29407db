//! Error budgets: turns the runs of a suite (oldest first) and its
//! `[[slo]]`s into budget used, budget left and burn rate per objective
//! (pure; the Google SRE workbook's definitions, ch. 5 "Alerting on SLOs").
//!
//! - bad events: the metric's `count` out of `total` (errors of requests)
//!   for an objective that must stay low (`error_rate <= 1%`), `total −
//!   count` for one that must stay high (`availability >= 99.5%`); a run
//!   without counts is one event, bad in the proportion of its value.
//! - allowed bad share: the objective (1 %), or 100 % − the objective (0.5 %).
//! - burn rate: bad share / allowed share, over the most recent tenth of the
//!   window (3 days of 30): 1× spends the budget exactly over the window.
//! - budget used: bad share / allowed share × the part of the window the
//!   runs cover (from the oldest run in the window to the newest).
//! - warning at burn > 2× or < 20 % left; critical at burn > 5× or < 10 % left.

use crate::config::{Op, Slo};
use crate::results::Run;
use serde::{Deserialize, Serialize};

/// How an error budget stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetStatus {
    Ok,
    Warning,
    Critical,
    /// No run in the window measured the metric.
    NoData,
}

/// One objective's budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SloStatus {
    /// The metric as configured.
    pub metric: String,
    /// The objective as written.
    pub objective: String,
    /// The window as written.
    pub window: String,
    /// Runs in the window that measured the metric.
    pub runs: usize,
    /// Bad share of events over the window.
    pub bad_share: f64,
    /// Fraction of the budget spent (may exceed 1).
    pub budget_used: f64,
    /// `1 − budget_used` (negative when overspent).
    pub budget_left: f64,
    /// Recent bad share over the allowed share.
    pub burn_rate: f64,
    /// `ok`, `warning`, `critical` or `nodata`.
    pub status: BudgetStatus,
}

/// Budgets of every objective over `runs` (oldest first; the newest run's
/// start is "now").
pub fn budgets(runs: &[&Run], slos: &[Slo]) -> Vec<SloStatus> {
    slos.iter().map(|s| budget(runs, s)).collect()
}

fn budget(runs: &[&Run], slo: &Slo) -> SloStatus {
    let mut status = SloStatus {
        metric: slo.metric.clone(),
        objective: slo.objective.clone(),
        window: slo.window_text.clone(),
        runs: 0,
        bad_share: 0.0,
        budget_used: 0.0,
        budget_left: 1.0,
        burn_rate: 0.0,
        status: BudgetStatus::NoData,
    };
    let Some(now) = runs.iter().map(|r| r.started_at).max() else {
        return status;
    };
    let start = now - slo.window;
    let recent_start = now - slo.window / 10;
    let must_stay_low = matches!(slo.op, Op::Lt | Op::Le);
    let allowed = if must_stay_low {
        slo.target
    } else {
        1.0 - slo.target
    };
    let (mut bad, mut total, mut recent_bad, mut recent_total) = (0.0, 0.0, 0.0, 0.0);
    let mut oldest = now;
    for run in runs.iter().filter(|r| r.started_at >= start && !r.partial) {
        let Some((b, t)) = events(run, &slo.metric, must_stay_low) else {
            continue;
        };
        status.runs += 1;
        oldest = oldest.min(run.started_at);
        bad += b;
        total += t;
        if run.started_at >= recent_start {
            recent_bad += b;
            recent_total += t;
        }
    }
    if status.runs == 0 || total == 0.0 {
        return status;
    }
    let covered =
        ((now - oldest).num_seconds() as f64 / slo.window.num_seconds() as f64).clamp(0.0, 1.0);
    status.bad_share = bad / total;
    status.budget_used = status.bad_share / allowed * covered;
    status.budget_left = 1.0 - status.budget_used;
    status.burn_rate = if recent_total > 0.0 {
        recent_bad / recent_total / allowed
    } else {
        0.0
    };
    status.status = if status.burn_rate > 5.0 || status.budget_left < 0.10 {
        BudgetStatus::Critical
    } else if status.burn_rate > 2.0 || status.budget_left < 0.20 {
        BudgetStatus::Warning
    } else {
        BudgetStatus::Ok
    };
    status
}

/// Bad and total events of `metric` in one run, summed over the phases that
/// measured it (`phase/metric` names one phase).
fn events(run: &Run, metric: &str, must_stay_low: bool) -> Option<(f64, f64)> {
    let (phase_name, metric_name) = match metric.split_once('/') {
        Some((p, m)) => (Some(p), m),
        None => (None, metric),
    };
    let mut found = None::<(f64, f64)>;
    for phase in run
        .phases
        .iter()
        .filter(|p| phase_name.is_none_or(|n| n == p.name))
    {
        let Some(m) = phase.metric(metric_name) else {
            continue;
        };
        let (b, t) = match m.counts() {
            Some((c, t)) => {
                let bad = if must_stay_low { c } else { t - c };
                (bad as f64, t as f64)
            }
            None => {
                let v = m.value.clamp(0.0, 1.0);
                (if must_stay_low { v } else { 1.0 - v }, 1.0)
            }
        };
        let acc = found.get_or_insert((0.0, 0.0));
        acc.0 += b;
        acc.1 += t;
    }
    found
}
