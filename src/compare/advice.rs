//! Advice: turns a comparison into short recommendations (too few runs for
//! the noise seen, outliers, another machine) and detects a baseline from
//! another CPU model or core count (pure).

use super::{Comparison, Policy, Severity};
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
                "{name}: no samples and {} earlier run{} (a history band needs {}): record more runs on the baseline branch, or measure samples",
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
