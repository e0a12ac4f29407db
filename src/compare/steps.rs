//! Steps: turns each metric's history (earlier runs and the current one)
//! into the change points found in it, each named by the run and commit
//! where the new level began (pure).

use super::Policy;
use crate::results::{Run, RunIndex};
use crate::stats::change_point::change_points;
use serde::{Deserialize, Serialize};

/// Fewest runs searched for a step.
pub const MIN_SERIES: usize = 8;
/// Fewest runs on each side of a step.
pub const MIN_SEGMENT: usize = 3;

/// A step in one metric's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The phase's name.
    pub phase: String,
    /// The metric's name.
    pub metric: String,
    /// The commit of the first run at the new level, when it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    /// When that run started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Its position in the series searched (0 = oldest).
    pub index: usize,
    /// Median before the step, in the metric's unit.
    pub before: f64,
    /// Median after the step.
    pub after: f64,
    /// `after / before − 1`, when `before` is not zero.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<f64>,
    /// Pettitt's p-value of the step.
    pub p_value: f64,
}

/// Steps of every metric of the newest run over `series` (oldest first):
/// significant at `alpha` and at least the metric's `minor` threshold.
pub fn find(series: &[&Run], policy: &Policy) -> Vec<Step> {
    let Some(newest) = series.last() else {
        return Vec::new();
    };
    let indexes: Vec<(&Run, RunIndex)> = series.iter().map(|r| (*r, RunIndex::new(r))).collect();
    let mut out = Vec::new();
    for phase in &newest.phases {
        for metric in &phase.metrics {
            let points: Vec<(&Run, f64)> = indexes
                .iter()
                .filter_map(|(r, index)| Some((*r, index.metric(&phase.name, &metric.name)?.value)))
                .collect();
            if points.len() < MIN_SERIES {
                continue;
            }
            let values: Vec<f64> = points.iter().map(|(_, v)| *v).collect();
            let levels = policy.thresholds.levels(&phase.name, &metric.name);
            for cp in change_points(&values, policy.thresholds.alpha, levels.minor, MIN_SEGMENT) {
                let run = points[cp.index].0;
                out.push(Step {
                    phase: phase.name.clone(),
                    metric: metric.name.clone(),
                    sha: run.git.as_ref().map(|g| g.sha.clone()),
                    started_at: run.started_at,
                    index: cp.index,
                    before: cp.before,
                    after: cp.after,
                    change: cp.relative(),
                    p_value: cp.p_value,
                });
            }
        }
    }
    out
}
