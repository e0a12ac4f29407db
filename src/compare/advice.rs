//! Advice: turns a comparison into short recommendations (too few runs for
//! the noise seen, outliers, another machine) and detects a baseline from
//! another CPU model or core count (pure).

use super::{Comparison, Policy, Severity, decide};
use crate::results::Run;
use serde::{Deserialize, Serialize};

/// The baseline's machine differs from this run's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentMismatch {
    /// The baseline's CPU model.
    pub baseline_cpu: String,
    /// The baseline's logical cores.
    pub baseline_cores: usize,
    /// This run's CPU model.
    pub current_cpu: String,
    /// This run's logical cores.
    pub current_cores: usize,
}

impl std::fmt::Display for EnvironmentMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the baseline ran on {} × {} cores, this run on {} × {} cores: differences may come from the machine",
            self.baseline_cpu, self.baseline_cores, self.current_cpu, self.current_cores
        )
    }
}

/// `Some` when the CPU model or the core count differ.
pub fn environment_mismatch(baseline: &Run, current: &Run) -> Option<EnvironmentMismatch> {
    let (b, c) = (&baseline.environment, &current.environment);
    (b.cpu_model != c.cpu_model || b.cores != c.cores).then(|| EnvironmentMismatch {
        baseline_cpu: b.cpu_model.clone(),
        baseline_cores: b.cores,
        current_cpu: c.cpu_model.clone(),
        current_cores: c.cores,
    })
}

/// Samples per side are never advised beyond this.
const MAX_ADVISED_RUNS: usize = 1000;

/// The advice that decides something: a metric the data could not judge
/// although its change, were it real, would fail the check (`noise` whose
/// point change reaches `fail_on`), or one without samples or history
/// (`insufficient`); each with what would let it be judged.
pub fn undecided(c: &Comparison, policy: &Policy) -> Vec<String> {
    let pct = |x: f64| format!("{:+.0} %", x * 100.0).replace('-', "−");
    let mut out = Vec::new();
    for m in &c.comparisons {
        let name = format!("{}/{}", m.phase, m.metric);
        let levels = policy.thresholds.levels(&m.phase, &m.metric);
        match m.severity {
            Severity::Insufficient => out.push(format!(
                "insufficient data to judge {name}{}: {} and {} earlier run{} (a history band needs {}); record more runs on the baseline branch, or measure samples{}",
                m.change.map(|x| format!(" ({} worse)", pct(x))).unwrap_or_default(),
                samples_text(m, policy),
                m.history_runs,
                if m.history_runs == 1 { "" } else { "s" },
                policy.compare.min_history,
                if m.counts_as.is_some() {
                    "; until then it counts as critical"
                } else {
                    ""
                }
            )),
            Severity::Noise => {
                let (Some(change), Some(i)) = (m.change, m.interval) else {
                    continue;
                };
                let would_be = decide::level_of(change, &levels);
                let n = m.baseline_samples.min(m.current_samples);
                if i.confidence.is_none() || !would_be.reaches(c.fail_on) || n == 0 {
                    continue;
                }
                // As in `recommend`: the half-width shrinks as 1/√n and must
                // come down to half of `minor`.
                let half = (i.upper - i.lower) / 2.0;
                let need = (n as f64 * (half / (levels.minor / 2.0)).powi(2)).ceil() as usize;
                out.push(format!(
                    "insufficient data to judge {name}: {} worse would be {would_be}, but its interval ({} … {}) includes no change; raise `runs` to about {} (now {n})",
                    pct(change),
                    pct(i.lower).trim_end_matches(" %"),
                    pct(i.upper),
                    need.clamp(n + 1, MAX_ADVISED_RUNS)
                ));
            }
            _ => {}
        }
    }
    out
}

/// What the samples of an `insufficient` metric were: none, or too few for
/// a test to reach the significance level.
fn samples_text(m: &super::MetricComparison, policy: &Policy) -> String {
    if m.baseline_samples == 0 && m.current_samples == 0 {
        "no samples".into()
    } else {
        format!(
            "too few samples for a test at α = {} ({} baseline, {} current)",
            policy.thresholds.alpha, m.baseline_samples, m.current_samples
        )
    }
}

/// Recommendations, at most one per metric and reason.
pub fn recommend(c: &Comparison, policy: &Policy) -> Vec<String> {
    let mut out = Vec::new();
    for m in &c.comparisons {
        let name = format!("{}/{}", m.phase, m.metric);
        let levels = policy.thresholds.levels(&m.phase, &m.metric);
        // An interval too wide to tell a minor change from none: its
        // half-width shrinks as 1/√n, and must be at most half of `minor`
        // for a change of 1.5 × minor to clear the threshold.
        if m.severity == Severity::Noise
            && let Some(i) = m.interval.filter(|i| i.confidence.is_some())
        {
            let half = (i.upper - i.lower) / 2.0;
            let n = m.baseline_samples.min(m.current_samples);
            if half > levels.minor / 2.0 && n > 0 {
                let need = (n as f64 * (half / (levels.minor / 2.0)).powi(2)).ceil() as usize;
                out.push(format!(
                    "{name}: the interval of the change is ±{:.1} % with {n} samples a side; about {} runs a side would tell a {:.0} % change from noise",
                    half * 100.0,
                    need.min(MAX_ADVISED_RUNS),
                    levels.minor * 100.0
                ));
            }
        }
        if m.severity == Severity::Insufficient {
            out.push(format!(
                "{name}: {} and {} earlier run{} (a history band needs {}): record more runs on the baseline branch, or measure samples",
                samples_text(m, policy),
                m.history_runs,
                if m.history_runs == 1 { "" } else { "s" },
                policy.compare.min_history
            ));
        }
        if let Some(o) = m.outliers
            && m.current_samples > 0
            && o * 20 > m.current_samples
        {
            out.push(format!(
                "{name}: {o} of {} samples are outliers (Tukey's fences): look for interference on the runner (other jobs, CPU frequency) or add warm-up runs",
                m.current_samples
            ));
        }
    }
    if c.environment_mismatch.is_some() {
        out.push(
            "the baseline comes from another machine: pin the runner (a runner label in [suite] environment), or use `mode = \"paired\"` to measure base and head on this one".into(),
        );
    }
    out
}
