use super::*;
use crate::results::{Environment, PhaseKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn metric(name: &str, direction: Direction, value: f64, samples: Vec<f64>) -> Metric {
    Metric {
        samples,
        ..Metric::new(name, Unit::Ns, direction, value)
    }
}

fn run_with(metrics: Vec<Metric>, criteria: &[(&str, &str)]) -> Run {
    Run {
        schema_version: crate::results::SCHEMA_VERSION,
        suite: "s".into(),
        environment: Environment {
            key: "env".into(),
            os: "Linux".into(),
            arch: "x86_64".into(),
            cpu_model: "cpu".into(),
            cores: 2,
            memory_bytes: 1,
            runner: None,
        },
        git: None,
        started_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
        finished_at: chrono::DateTime::from_timestamp(1, 0).unwrap(),
        partial: false,
        shard: None,
        phases: vec![PhaseResult {
            name: "p".into(),
            kind: PhaseKind::Command,
            series: Vec::new(),
            load_started_at: None,
            errors: vec![],
            metrics,
            criteria: criteria
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }],
    }
}

fn policy() -> Policy {
    Policy::new(ThresholdsConfig::default())
}

/// The severity of a single-valued metric moving from `base` to `cur`, with
/// enough steady history that the band is no wider than the baseline.
fn severity_of(base: f64, cur: f64, direction: Direction) -> Severity {
    let b = run_with(vec![metric("m", direction, base, vec![])], &[]);
    let c = run_with(vec![metric("m", direction, cur, vec![])], &[]);
    let history = vec![b.clone(); 6];
    compare_history(Some(&b), &c, &history, &policy()).comparisons[0].severity
}

/// Without samples or history, only a change past `critical` can fail.
#[test]
fn without_evidence_small_changes_are_insufficient_large_ones_still_fail() {
    let b = run_with(vec![metric("m", Direction::Lower, 100.0, vec![])], &[]);
    let judge = |cur: f64| {
        let c = run_with(vec![metric("m", Direction::Lower, cur, vec![])], &[]);
        compare(Some(&b), &c, &policy())
    };
    assert_eq!(judge(105.0).comparisons[0].severity, Severity::Unchanged);
    assert_eq!(judge(125.0).comparisons[0].severity, Severity::Insufficient);
    assert_eq!(judge(125.0).verdict, Verdict::Pass);
    assert_eq!(judge(160.0).verdict, Verdict::Fail);
}

#[test]
fn every_severity_boundary() {
    use Direction::Lower;
    assert_eq!(severity_of(100.0, 109.99, Lower), Severity::Unchanged);
    assert_eq!(severity_of(100.0, 110.0, Lower), Severity::Minor);
    assert_eq!(severity_of(100.0, 119.99, Lower), Severity::Minor);
    assert_eq!(severity_of(100.0, 120.0, Lower), Severity::Major);
    assert_eq!(severity_of(100.0, 149.99, Lower), Severity::Major);
    assert_eq!(severity_of(100.0, 150.0, Lower), Severity::Critical);
    assert_eq!(severity_of(100.0, 90.01, Lower), Severity::Unchanged);
    assert_eq!(severity_of(100.0, 90.0, Lower), Severity::Improved);
}

#[test]
fn direction_flips_the_judgement() {
    use Direction::Higher;
    // Throughput halving is a critical regression; doubling an improvement.
    assert_eq!(severity_of(100.0, 50.0, Higher), Severity::Critical);
    assert_eq!(severity_of(100.0, 200.0, Higher), Severity::Improved);
    assert_eq!(severity_of(100.0, 89.0, Higher), Severity::Minor);
    assert_eq!(change(100.0, 80.0, Higher), Some(0.2));
    assert_eq!(change(100.0, 80.0, Direction::Lower), Some(-0.2));
}

#[test]
fn zero_baseline_getting_worse_is_never_silent() {
    assert_eq!(severity_of(0.0, 0.0, Direction::Lower), Severity::Unchanged);
    assert_eq!(severity_of(0.0, 5.0, Direction::Lower), Severity::Critical);
    assert_eq!(severity_of(0.0, 5.0, Direction::Higher), Severity::Improved);
}

#[test]
fn overlapping_samples_are_noise_separated_ones_are_not() {
    let noisy_b = vec![
        100.0, 180.0, 90.0, 170.0, 110.0, 160.0, 95.0, 175.0, 105.0, 165.0,
    ];
    let noisy_c: Vec<f64> = noisy_b.iter().rev().map(|x| x * 1.15).collect();
    let b = run_with(
        vec![metric("m", Direction::Lower, 135.0, noisy_b.clone())],
        &[],
    );
    let c = run_with(vec![metric("m", Direction::Lower, 155.0, noisy_c)], &[]);
    let cmp = compare(Some(&b), &c, &policy());
    assert_eq!(cmp.comparisons[0].severity, Severity::Noise);
    assert!(cmp.comparisons[0].p_value.unwrap() >= 0.05);
    assert_eq!(cmp.verdict, Verdict::Pass);

    let tight_b: Vec<f64> = (0..10).map(|i| 100.0 + i as f64 * 0.1).collect();
    let tight_c: Vec<f64> = tight_b.iter().map(|x| x * 1.6).collect();
    let b = run_with(vec![metric("m", Direction::Lower, 100.5, tight_b)], &[]);
    let c = run_with(vec![metric("m", Direction::Lower, 160.8, tight_c)], &[]);
    let cmp = compare(Some(&b), &c, &policy());
    assert_eq!(cmp.comparisons[0].severity, Severity::Critical);
    assert_eq!(cmp.verdict, Verdict::Fail);
    assert_eq!(cmp.worst, Severity::Critical);
}

#[test]
fn summary_metrics_borrow_the_samples_they_summarize() {
    let mk = |scale: f64| {
        let wall: Vec<f64> = (0..10).map(|i| (100.0 + i as f64) * scale).collect();
        let mut p95 = Metric::new("wall.p95", Unit::Ns, Direction::Lower, 109.0 * scale);
        p95.samples_of = Some("wall".into());
        run_with(
            vec![metric("wall", Direction::Lower, 104.5 * scale, wall), p95],
            &[],
        )
    };
    let cmp = compare(Some(&mk(1.0)), &mk(2.0), &policy());
    let p95 = cmp
        .comparisons
        .iter()
        .find(|c| c.metric == "wall.p95")
        .unwrap();
    assert_eq!((p95.baseline_samples, p95.current_samples), (10, 10));
    assert!(p95.p_value.unwrap() < 0.001);
    assert_eq!(p95.severity, Severity::Critical);
}

#[test]
fn fail_on_decides_the_verdict() {
    let b = run_with(vec![metric("m", Direction::Lower, 100.0, vec![])], &[]);
    let c = run_with(vec![metric("m", Direction::Lower, 125.0, vec![])], &[]);
    let history = vec![b.clone(); 6];
    for (fail_on, verdict) in [
        (FailOn::Never, Verdict::Pass),
        (FailOn::Minor, Verdict::Fail),
        (FailOn::Major, Verdict::Fail),
        (FailOn::Critical, Verdict::Pass),
    ] {
        let mut p = policy();
        p.thresholds.fail_on = fail_on;
        assert_eq!(
            compare_history(Some(&b), &c, &history, &p).verdict,
            verdict,
            "{fail_on:?}"
        );
    }
}

#[test]
fn per_metric_overrides_apply() {
    let b = run_with(vec![metric("m", Direction::Lower, 100.0, vec![])], &[]);
    let c = run_with(vec![metric("m", Direction::Lower, 106.0, vec![])], &[]);
    let mut p = policy();
    p.thresholds.metric.insert(
        "p/m".into(),
        crate::config::LevelsOverride {
            minor: Some(5.0),
            major: None,
            critical: None,
        },
    );
    let history = vec![b.clone(); 6];
    assert_eq!(
        compare_history(Some(&b), &c, &history, &p).comparisons[0].severity,
        Severity::Minor
    );
}

#[test]
fn criteria_fail_on_their_own() {
    let b = run_with(vec![metric("wall", Direction::Lower, 100e6, vec![])], &[]);
    let c = run_with(
        vec![metric("wall", Direction::Lower, 100e6, vec![])],
        &[("wall", "< 50ms")],
    );
    let cmp = compare(Some(&b), &c, &policy());
    assert_eq!(cmp.comparisons[0].severity, Severity::Unchanged);
    assert!(!cmp.criteria[0].passed);
    assert_eq!(cmp.verdict, Verdict::Fail);

    let c = run_with(
        vec![metric("wall", Direction::Lower, 40e6, vec![])],
        &[("wall", "< 50ms")],
    );
    assert!(compare(None, &c, &policy()).criteria[0].passed);

    let c = run_with(vec![], &[("wall", "< 50ms")]);
    let cmp = compare(None, &c, &policy());
    assert!(!cmp.criteria[0].passed);
    assert!(
        cmp.criteria[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("not measured")
    );

    let c = run_with(
        vec![metric("wall", Direction::Lower, 1.0, vec![])],
        &[("wall", "< 5MB")],
    );
    let cmp = compare(None, &c, &policy());
    assert!(
        cmp.criteria[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("does not fit")
    );
}

#[test]
fn new_and_missing_metrics_are_reported() {
    let b = run_with(vec![metric("old", Direction::Lower, 1.0, vec![])], &[]);
    let c = run_with(vec![metric("new", Direction::Lower, 1.0, vec![])], &[]);
    let cmp = compare(Some(&b), &c, &policy());
    let sev: Vec<(&str, Severity)> = cmp
        .comparisons
        .iter()
        .map(|m| (m.metric.as_str(), m.severity))
        .collect();
    assert_eq!(sev, [("new", Severity::New), ("old", Severity::Missing)]);
    assert_eq!(cmp.verdict, Verdict::Pass);
    assert!(compare(None, &c, &policy()).baseline.is_none());
}

#[test]
fn environment_mismatch_is_never_silent() {
    let b = run_with(vec![], &[]);
    let mut c = run_with(vec![], &[]);
    c.environment.key = "other".into();
    let cmp = compare(Some(&b), &c, &policy());
    assert!(
        cmp.notes.iter().any(|n| n.contains("environment `env`")),
        "{:?}",
        cmp.notes
    );
}

proptest! {
    /// Swapping the direction of a metric never turns a regression into a
    /// regression of the other side: the worse side flips with it.
    #[test]
    fn verdicts_flip_with_direction(base in 1.0f64..1e6, factor in 0.1f64..10.0) {
        let cur = base * factor;
        let lower = severity_of(base, cur, Direction::Lower);
        let higher = severity_of(base, cur, Direction::Higher);
        prop_assert!(!(lower.is_regression() && higher.is_regression()));
        if cur > base * 1.5 {
            prop_assert_eq!(lower, Severity::Critical);
            prop_assert_eq!(higher, Severity::Improved);
        }
    }

    /// A run compared with itself always passes.
    #[test]
    fn a_run_compared_with_itself_passes(values in prop::collection::vec(1.0f64..1e9, 1..20)) {
        let r = run_with(vec![metric("m", Direction::Lower, values[0], values.clone())], &[]);
        let cmp = compare(Some(&r), &r, &policy());
        prop_assert_eq!(cmp.verdict, Verdict::Pass);
        prop_assert_eq!(cmp.worst, Severity::Unchanged);
    }
}

#[test]
fn a_comparison_the_previous_release_wrote_reads_without_provenance_and_provenance_round_trips() {
    // The JSON report snapshot as the release before `provenance` wrote it.
    let snap = include_str!("../report/snapshots/perfguard__report__tests__json_report.snap");
    let json = snap.splitn(3, "---\n").nth(2).unwrap();
    let old: Comparison = serde_json::from_str(json).unwrap();
    assert_eq!(old.schema_version, 1);
    assert_eq!(old.provenance, None);
    assert!(!serde_json::to_string(&old).unwrap().contains("provenance"));

    let mut new = old.clone();
    new.provenance = Some(Provenance {
        mode: Mode::Paired,
        base_sha: Some("1a2b3c4d5e6f70819283746556473829101a2b3c".into()),
        head_sha: Some("36afaef2afdf0ce794d7e4663e7f327664aaa4d7".into()),
        rounds: Some(24),
        history_runs: None,
        noise_floor: Some(0.021),
        thin_history: false,
        fallback: None,
    });
    let text = serde_json::to_string(&new).unwrap();
    let back: Comparison = serde_json::from_str(&text).unwrap();
    assert_eq!(back, new);
    assert_eq!(
        new.provenance.unwrap().describe(),
        "paired: base 1a2b3c4 vs head 36afaef, 24 interleaved rounds on this runner, noise floor ±2.1 %"
    );
}

fn in_unit(unit: &str, value: f64) -> Run {
    let mut m = metric("m", Direction::Lower, value, vec![value; 10]);
    m.unit = Unit::from(unit);
    run_with(vec![m], &[])
}

#[test]
fn a_unit_change_within_one_dimension_is_converted() {
    // 100 ns then 100 s: a billionfold slowdown, not "unchanged".
    let c = compare(Some(&in_unit("ns", 100.0)), &in_unit("s", 100.0), &policy());
    assert_eq!(c.comparisons[0].severity, Severity::Critical);
    assert!(c.comparisons[0].change.unwrap() > 1e8);
    assert_eq!(c.comparisons[0].unit, Unit::from("s"));
    // 1 s then 1000 ms: the same time.
    let c = compare(Some(&in_unit("s", 1.0)), &in_unit("ms", 1000.0), &policy());
    assert_eq!(c.comparisons[0].severity, Severity::Unchanged);
    assert_eq!(c.comparisons[0].baseline, Some(1000.0));
    // KiB against bytes.
    let c = compare(
        Some(&in_unit("KiB", 2.0)),
        &in_unit("bytes", 2048.0),
        &policy(),
    );
    assert_eq!(c.comparisons[0].severity, Severity::Unchanged);
    assert!(c.notes.is_empty(), "{:?}", c.notes);
}

#[test]
fn a_unit_change_across_dimensions_or_to_an_unknown_unit_is_not_compared() {
    for (from, to) in [("ns", "bytes"), ("widgets", "ops"), ("ms", "%")] {
        let c = compare(Some(&in_unit(from, 100.0)), &in_unit(to, 100.0), &policy());
        let m = &c.comparisons[0];
        assert_eq!(m.severity, Severity::New, "{from} → {to}");
        assert_eq!(m.baseline, None);
        assert!(
            c.notes
                .iter()
                .any(|n| n.starts_with("p / m: not compared, the unit changed")),
            "{from} → {to}: {:?}",
            c.notes
        );
    }
    // One made-up unit on both sides compares as it always did.
    let c = compare(
        Some(&in_unit("widgets", 100.0)),
        &in_unit("widgets", 100.0),
        &policy(),
    );
    assert_eq!(c.comparisons[0].severity, Severity::Unchanged);
}

#[test]
fn many_metrics_are_judged_in_order_and_as_one_by_one() {
    let metrics = |shift: f64| {
        (0..3000)
            .map(|i| {
                let v = 100.0 + (i % 7) as f64;
                let samples = (0..6)
                    .map(|j| v * shift * (1.0 + j as f64 * 0.003))
                    .collect();
                metric(&format!("m{i}"), Direction::Lower, v * shift, samples)
            })
            .collect::<Vec<_>>()
    };
    let (b, c) = (run_with(metrics(1.0), &[]), run_with(metrics(1.3), &[]));
    let all = compare(Some(&b), &c, &policy());
    assert_eq!(all.comparisons.len(), 3000);
    for (i, m) in all.comparisons.iter().enumerate().step_by(499) {
        assert_eq!(m.metric, format!("m{i}"));
        let one = |r: &Run| run_with(vec![r.phases[0].metrics[i].clone()], &[]);
        let alone = compare(Some(&one(&b)), &one(&c), &policy());
        assert_eq!(
            serde_json::to_string(m).unwrap(),
            serde_json::to_string(&alone.comparisons[0]).unwrap()
        );
    }
}
