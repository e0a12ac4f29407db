//! Paired comparison: turns a base run and a head run measured interleaved
//! (A B A B on one machine, sample i of each side from the same round) into
//! a comparison judged by the Wilcoxon signed-rank test and the paired
//! Hodges-Lehmann interval of the ratio (pure).

use super::decide::{ChangeInterval, grade};
use super::{Comparison, Policy, Severity, compare};
use crate::results::{Direction, MetricIndex, PhaseResult, Run, RunIndex};
use crate::stats::wilcoxon::{paired_relative_change, signed_rank};

/// Compares `head` with `base`; metrics with their own samples, as many on
/// each side, are judged pair by pair, the rest as `compare` judges them.
pub fn compare_paired(base: &Run, head: &Run, policy: &Policy) -> Comparison {
    let mut out = compare(Some(base), head, policy);
    let alpha = policy.thresholds.alpha;
    let (base_index, head_index) = (RunIndex::new(base), RunIndex::new(head));
    for m in &mut out.comparisons {
        let (Some(b), Some(h)) = (
            base_index.metric(&m.phase, &m.metric),
            head_index.metric(&m.phase, &m.metric),
        ) else {
            continue;
        };
        if b.samples.len() != h.samples.len() || b.samples.len() < 2 || h.samples_of.is_some() {
            continue;
        }
        let Some(moved) = paired_relative_change(&b.samples, &h.samples, alpha) else {
            continue;
        };
        let (estimate, lower, upper) = match m.direction {
            Direction::Lower => (moved.estimate, moved.lower, moved.upper),
            Direction::Higher => (-moved.estimate, -moved.upper, -moved.lower),
        };
        let levels = policy.thresholds.levels(&m.phase, &m.metric);
        m.p_value = Some(signed_rank(&b.samples, &h.samples).map_or(1.0, |t| t.p_value));
        m.method = Some("wilcoxon signed-rank".into());
        m.interval = Some(ChangeInterval {
            lower,
            upper,
            confidence: Some(1.0 - alpha),
        });
        m.counts_as = None;
        m.severity = match grade(lower, upper, &levels) {
            Some(s) => s,
            None if estimate.abs() < levels.minor
                && m.change.is_none_or(|c| c.abs() < levels.minor) =>
            {
                Severity::Unchanged
            }
            None => Severity::Noise,
        };
    }
    out.rejudge();
    // The severities are the paired ones now; so is what they leave undecided.
    out.undecided = super::advice::undecided(&out, policy);
    out
}

/// Whether more rounds could change a severity: some metric's paired
/// interval (in the worse direction) straddles one of its thresholds, or
/// the improvement threshold. "Unknown means more runs."
pub fn undecided(base: &PhaseResult, head: &PhaseResult, policy: &Policy) -> bool {
    let alpha = policy.thresholds.alpha;
    let head_metrics = MetricIndex::new(head);
    base.metrics.iter().any(|b| {
        let Some(h) = head_metrics.get(&b.name) else {
            return false;
        };
        if b.samples.len() != h.samples.len() || b.samples.len() < 2 || h.samples_of.is_some() {
            return false;
        }
        let Some(moved) = paired_relative_change(&b.samples, &h.samples, alpha) else {
            return false;
        };
        let (lower, upper) = match b.direction {
            Direction::Lower => (moved.lower, moved.upper),
            Direction::Higher => (-moved.upper, -moved.lower),
        };
        let levels = policy.thresholds.levels(&head.name, &b.name);
        [-levels.minor, levels.minor, levels.major, levels.critical]
            .iter()
            .any(|&t| lower < t && t < upper)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ThresholdsConfig;
    use crate::metrics::Unit;
    use crate::results::{Metric, PhaseKind, PhaseResult};
    use std::collections::BTreeMap;

    fn run(samples: Vec<f64>) -> Run {
        crate::results::test_run(vec![PhaseResult {
            metrics: vec![Metric {
                value: crate::stats::summary::median(&samples).unwrap(),
                samples,
                ..Metric::new("wall", Unit::Ns, Direction::Lower, 0.0)
            }],
            ..PhaseResult::new("p", PhaseKind::Command, BTreeMap::new())
        }])
    }

    #[test]
    fn a_small_steady_slowdown_under_big_drift_is_seen_in_pairs() {
        // The machine drifts from 100 to 200 over the rounds (±50 %), which
        // swamps an unpaired test; each head run is 12 % slower than the base
        // run beside it.
        let base: Vec<f64> = (0..20).map(|i| 100.0 + 5.0 * f64::from(i)).collect();
        let head: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, b)| b * (1.12 + 0.001 * (i % 3) as f64))
            .collect();
        let policy = Policy::new(ThresholdsConfig::default());
        let unpaired = compare(Some(&run(base.clone())), &run(head.clone()), &policy);
        assert_eq!(unpaired.comparisons[0].severity, Severity::Noise);
        let paired = compare_paired(&run(base), &run(head), &policy);
        let m = &paired.comparisons[0];
        assert_eq!(m.method.as_deref(), Some("wilcoxon signed-rank"));
        assert_eq!(m.severity, Severity::Minor, "{m:?}");
        assert!(m.p_value.unwrap() < 1e-4);
        let i = m.interval.unwrap();
        assert!(i.lower > 0.11 && i.upper < 0.13, "{i:?}");
    }

    #[test]
    fn identical_pairs_are_unchanged() {
        let s: Vec<f64> = (0..10).map(|i| 50.0 + f64::from(i)).collect();
        let policy = Policy::new(ThresholdsConfig::default());
        let c = compare_paired(&run(s.clone()), &run(s), &policy);
        assert_eq!(c.comparisons[0].severity, Severity::Unchanged);
        assert_eq!(c.verdict, super::super::Verdict::Pass);
    }
}
