//! Dashboard: saved runs of every suite and environment → one static page
//! (every phase and metric over history, grouped, filterable, searchable,
//! change points linked to their commits). The data is one compact JSON
//! blob; the page draws a chart only when it scrolls into view.

use super::html;
use crate::compare::steps::{MIN_SEGMENT, MIN_SERIES};
use crate::config::ThresholdsConfig;
use crate::results::Run;
use crate::stats::change_point::change_points;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt::Write;

const DASHBOARD_JS: &str = include_str!("../../assets/report/dashboard.js");

/// The whole site's data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Site {
    pub title: String,
    /// A commit's page is this followed by its SHA
    /// (`https://github.com/o/r/commit/`), when known.
    pub commit_url: Option<String>,
    pub groups: Vec<Group>,
}

/// One suite in one environment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub suite: String,
    pub environment: String,
    /// The runs, oldest first.
    pub runs: Vec<RunPoint>,
    pub metrics: Vec<Series>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunPoint {
    /// The commit, when the run recorded one.
    pub sha: Option<String>,
    /// Start time, seconds since the epoch.
    pub t: i64,
}

/// One metric of one phase over the group's runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub phase: String,
    pub metric: String,
    pub unit: String,
    /// One per run; `null` where the run lacks the metric.
    pub values: Vec<Option<f64>>,
    pub steps: Vec<StepPoint>,
}

/// A change point: the first run at a new level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepPoint {
    /// Index into the group's runs.
    pub i: usize,
    /// `after / before − 1`.
    pub change: Option<f64>,
}

impl Group {
    /// The group of `runs` (oldest first), every metric that any run has,
    /// in the order they first appear, with its change points: significant
    /// at `thresholds.alpha` and at least the metric's `minor` threshold.
    pub fn of(
        suite: &str,
        environment: &str,
        runs: &[Run],
        thresholds: &ThresholdsConfig,
    ) -> Group {
        let mut index: HashMap<(&str, &str), usize> = HashMap::new();
        let mut metrics: Vec<Series> = Vec::new();
        for (i, run) in runs.iter().enumerate() {
            for phase in &run.phases {
                for m in &phase.metrics {
                    let k = *index
                        .entry((phase.name.as_str(), m.name.as_str()))
                        .or_insert_with(|| {
                            metrics.push(Series {
                                phase: phase.name.clone(),
                                metric: m.name.clone(),
                                unit: m.unit.as_str().to_owned(),
                                values: vec![None; runs.len()],
                                steps: Vec::new(),
                            });
                            metrics.len() - 1
                        });
                    if m.value.is_finite() {
                        metrics[k].values[i] = Some(compact(m.value));
                    }
                }
            }
        }
        for s in &mut metrics {
            let present: Vec<(usize, f64)> = s
                .values
                .iter()
                .enumerate()
                .filter_map(|(i, v)| Some((i, (*v)?)))
                .collect();
            if present.len() < MIN_SERIES {
                continue;
            }
            let values: Vec<f64> = present.iter().map(|(_, v)| *v).collect();
            let levels = thresholds.levels(&s.phase, &s.metric);
            s.steps = change_points(&values, thresholds.alpha, levels.minor, MIN_SEGMENT)
                .into_iter()
                .map(|cp| StepPoint {
                    i: present[cp.index].0,
                    change: cp.relative().map(compact),
                })
                .collect();
        }
        Group {
            suite: suite.to_owned(),
            environment: environment.to_owned(),
            runs: runs
                .iter()
                .map(|r| RunPoint {
                    sha: r.git.as_ref().map(|g| g.sha.clone()),
                    t: r.started_at.timestamp(),
                })
                .collect(),
            metrics,
        }
    }
}

/// Six significant digits: the page stays compact, a chart cannot show more.
fn compact(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let digits = 5 - v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits.clamp(-300, 300));
    let r = (v * scale).round() / scale;
    if r.is_finite() { r } else { v }
}

/// Renders the dashboard's page.
pub fn render(site: &Site) -> String {
    let mut s = html::head(&site.title);
    let metrics: usize = site.groups.iter().map(|g| g.metrics.len()).sum();
    let runs: usize = site.groups.iter().map(|g| g.runs.len()).sum();
    let _ = writeln!(
        s,
        "<body>\n<main>\n<h1>{}</h1>\n<p class=\"basis\">{} suite{} and environment{} · {runs} runs · {metrics} series</p>",
        html::escape(&site.title),
        site.groups.len(),
        if site.groups.len() == 1 { "" } else { "s" },
        if site.groups.len() == 1 { "" } else { "s" },
    );
    let _ = writeln!(
        s,
        "<div class=\"controls\"><input id=\"search\" type=\"search\" placeholder=\"Filter: suite, phase or metric name\" aria-label=\"filter\">\
         <select id=\"group\" aria-label=\"suite\"><option value=\"\">every suite</option></select>\
         <label><input id=\"stepped\" type=\"checkbox\"> only with change points</label>\
         <span id=\"shown\"></span></div>\n<div id=\"groups\"></div>\n</main>"
    );
    let _ = writeln!(
        s,
        "<script type=\"application/json\" id=\"perfguard-data\">{}</script>",
        html::script_json(site)
    );
    s.push_str(&html::scripts(DASHBOARD_JS));
    s.push_str("</body>\n</html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_keeps_six_significant_digits() {
        assert_eq!(compact(1_234_567.89), 1_234_570.0);
        assert_eq!(compact(0.000_123_456_78), 0.000_123_457);
        assert_eq!(compact(0.0), 0.0);
        assert_eq!(compact(42.0), 42.0);
    }
}
