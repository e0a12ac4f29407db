//! Confirmation: turns a comparison that would fail and a way to
//! re-measure phases into a comparison that fails only when the
//! regression holds on every rerun (`[compare] confirm`, default 1).
//!
//! Integration: `perfguard paired` calls [`confirm`] with a closure that
//! reruns the phases interleaved; `perfguard check` calls it with a closure
//! that reruns the phases (`cmd::measure` with those phase names), puts the
//! new phases into the current run with [`with_phases`], and compares again
//! with the same baseline and history.

use crate::compare::{Comparison, Confirmation, MetricComparison, Severity};
use crate::results::Run;

/// Phases with a metric whose severity reaches `fail_on`, in order.
pub fn phases_to_confirm(c: &Comparison) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in failing(c) {
        if !out.contains(&m.phase) {
            out.push(m.phase.clone());
        }
    }
    out
}

fn failing(c: &Comparison) -> impl Iterator<Item = &MetricComparison> {
    c.comparisons
        .iter()
        .filter(|m| m.effective_severity().reaches(c.fail_on))
}

/// Keeps each failing regression of `original` only when every rerun
/// comparison still reaches `fail_on` for that metric; the others become
/// `noise` with the reruns' verdict recorded. Pure.
pub fn settle(mut original: Comparison, reruns: &[Comparison]) -> Comparison {
    if reruns.is_empty() {
        return original;
    }
    let fail_on = original.fail_on;
    let mut dropped = Vec::new();
    for m in original
        .comparisons
        .iter_mut()
        .filter(|m| m.effective_severity().reaches(fail_on))
    {
        let seen: Vec<Severity> = reruns
            .iter()
            .map(|r| {
                r.comparisons
                    .iter()
                    .find(|x| x.phase == m.phase && x.metric == m.metric)
                    .map_or(Severity::Missing, MetricComparison::effective_severity)
            })
            .collect();
        let held = seen.iter().all(|s| s.reaches(fail_on));
        let mildest = seen.iter().copied().min().unwrap_or(Severity::Missing);
        m.confirmation = Some(Confirmation {
            reruns: reruns.len() as u32,
            held,
            rerun_severity: mildest,
            first_severity: m.effective_severity(),
        });
        if !held {
            dropped.push(format!("{}/{}", m.phase, m.metric));
            m.severity = Severity::Noise;
            m.counts_as = None;
        }
    }
    if !dropped.is_empty() {
        original.notes.push(format!(
            "not confirmed on rerun, so not failing: {}",
            dropped.join(", ")
        ));
    }
    original.rejudge();
    original
}

/// Reruns the failing phases `rounds` times through `rerun` (which measures
/// the named phases again and compares them) and settles the result. A
/// passing comparison, or `rounds = 0`, is returned as it is.
pub fn confirm<E>(
    original: Comparison,
    rounds: u32,
    mut rerun: impl FnMut(&[String]) -> Result<Comparison, E>,
) -> Result<Comparison, E> {
    let phases = phases_to_confirm(&original);
    if rounds == 0 || phases.is_empty() {
        return Ok(original);
    }
    let mut reruns = Vec::new();
    for _ in 0..rounds {
        reruns.push(rerun(&phases)?);
    }
    Ok(settle(original, &reruns))
}

/// `run` with the phases of `rerun` in place of its phases of the same name.
pub fn with_phases(run: &Run, rerun: &Run) -> Run {
    let mut out = run.clone();
    for p in &mut out.phases {
        if let Some(new) = rerun.phase(&p.name) {
            *p = new.clone();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Policy, compare};
    use crate::config::ThresholdsConfig;
    use crate::metrics::Unit;
    use crate::results::{Direction, Metric, PhaseKind, PhaseResult};
    use std::collections::BTreeMap;

    fn run(phases: &[(&str, f64)]) -> Run {
        crate::results::test_run(
            phases
                .iter()
                .map(|(name, center)| {
                    let samples: Vec<f64> = (0..20).map(|i| center + f64::from(i) * 0.01).collect();
                    PhaseResult {
                        metrics: vec![Metric {
                            samples: samples.clone(),
                            ..Metric::new("wall", Unit::Ns, Direction::Lower, samples[10])
                        }],
                        ..PhaseResult::new(name, PhaseKind::Command, BTreeMap::new())
                    }
                })
                .collect(),
        )
    }

    fn policy() -> Policy {
        Policy::new(ThresholdsConfig::default())
    }

    #[test]
    fn a_regression_that_holds_still_fails() {
        let base = run(&[("a", 10.0), ("b", 10.0)]);
        let slow = run(&[("a", 20.0), ("b", 10.0)]);
        let first = compare(Some(&base), &slow, &policy());
        assert_eq!(phases_to_confirm(&first), vec!["a".to_owned()]);
        let mut asked = Vec::new();
        let settled = confirm(first, 2, |phases| {
            asked.push(phases.to_vec());
            let rerun = run(&[("a", 20.0)]);
            Ok::<_, ()>(compare(Some(&base), &with_phases(&slow, &rerun), &policy()))
        })
        .unwrap();
        assert_eq!(asked, vec![vec!["a".to_owned()], vec!["a".to_owned()]]);
        assert_eq!(settled.verdict, crate::compare::Verdict::Fail);
        let c = settled.comparisons[0].confirmation.unwrap();
        assert!(c.held && c.reruns == 2 && c.rerun_severity == Severity::Critical);
    }

    #[test]
    fn a_regression_that_vanishes_on_rerun_passes_with_a_note() {
        let base = run(&[("a", 10.0)]);
        let slow = run(&[("a", 20.0)]);
        let first = compare(Some(&base), &slow, &policy());
        let settled = confirm(first, 1, |_| {
            Ok::<_, ()>(compare(Some(&base), &run(&[("a", 10.0)]), &policy()))
        })
        .unwrap();
        assert_eq!(settled.verdict, crate::compare::Verdict::Pass);
        assert_eq!(settled.comparisons[0].severity, Severity::Noise);
        assert!(!settled.comparisons[0].confirmation.unwrap().held);
        assert!(
            settled
                .notes
                .iter()
                .any(|n| n.contains("not confirmed on rerun"))
        );
    }

    #[test]
    fn passing_comparisons_and_zero_rounds_rerun_nothing() {
        let base = run(&[("a", 10.0)]);
        let first = compare(Some(&base), &base, &policy());
        let out = confirm(first.clone(), 3, |_| -> Result<Comparison, ()> {
            panic!("must not rerun")
        });
        assert_eq!(out.unwrap(), first);
        let slow = compare(Some(&base), &run(&[("a", 20.0)]), &policy());
        let out = confirm(slow.clone(), 0, |_| -> Result<Comparison, ()> {
            panic!("must not rerun")
        });
        assert_eq!(out.unwrap(), slow);
    }

    #[test]
    fn a_rerun_error_is_passed_on() {
        let base = run(&[("a", 10.0)]);
        let first = compare(Some(&base), &run(&[("a", 20.0)]), &policy());
        assert_eq!(
            confirm(first, 1, |_| Err("phase broke")),
            Err("phase broke")
        );
    }
}
