use super::*;
use crate::config::{Config, Levels};
use crate::results::{Environment, GitInfo, PhaseKind};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

fn env(cpu: &str, cores: usize) -> Environment {
    Environment {
        key: "test".into(),
        os: "Linux".into(),
        arch: "x86_64".into(),
        cpu_model: cpu.into(),
        cores,
        memory_bytes: 1 << 30,
        runner: None,
    }
}

fn run_at(day: i64, sha: &str, metrics: Vec<Metric>) -> Run {
    let t = chrono::DateTime::from_timestamp(1_700_000_000 + day * 86_400, 0).unwrap();
    Run {
        schema_version: crate::results::SCHEMA_VERSION,
        suite: "s".into(),
        environment: env("Test CPU", 2),
        git: Some(GitInfo {
            sha: sha.into(),
            ref_name: None,
            base_sha: None,
            pr: None,
        }),
        started_at: t,
        finished_at: t,
        partial: false,
        shard: None,
        phases: vec![PhaseResult {
            name: "p".into(),
            kind: PhaseKind::Command,
            series: Vec::new(),
            load_started_at: None,
            errors: vec![],
            metrics,
            criteria: BTreeMap::new(),
        }],
    }
}

fn sampled(samples: Vec<f64>) -> Metric {
    Metric {
        samples: samples.clone(),
        ..Metric::new(
            "wall",
            Unit::Ns,
            Direction::Lower,
            crate::stats::summary::median(&samples).unwrap(),
        )
    }
}

fn value(v: f64) -> Metric {
    Metric::new("wall", Unit::Ns, Direction::Lower, v)
}

fn rate(name: &str, direction: Direction, count: u64, total: u64) -> Metric {
    Metric {
        count: Some(count),
        total: Some(total),
        ..Metric::new(name, Unit::Ratio, direction, count as f64 / total as f64)
    }
}

/// 30 samples around `center` with a deterministic ±`spread` wiggle.
fn around(center: f64, spread: f64, seed: usize) -> Vec<f64> {
    (0..30)
        .map(|i| center * (1.0 + spread * ((((i + seed) * 7919) % 61) as f64 / 30.0 - 1.0)))
        .collect()
}

fn policy() -> Policy {
    Policy::new(ThresholdsConfig::default())
}

fn only(c: &Comparison) -> &MetricComparison {
    assert_eq!(c.comparisons.len(), 1, "{c:#?}");
    &c.comparisons[0]
}

#[test]
fn a_sure_60_percent_slowdown_is_critical_with_its_interval() {
    let b = run_at(0, "a", vec![sampled(around(100.0, 0.02, 0))]);
    let c = run_at(1, "b", vec![sampled(around(160.0, 0.02, 3))]);
    let cmp = compare(Some(&b), &c, &policy());
    let m = only(&cmp);
    assert_eq!(m.severity, Severity::Critical);
    assert_eq!(m.method.as_deref(), Some("hodges-lehmann"));
    let i = m.interval.unwrap();
    assert!(i.lower >= 0.5 && i.lower <= 0.6 && i.upper >= 0.6, "{i:?}");
    assert_eq!(i.confidence, Some(0.95));
    assert!(m.p_value.unwrap() < 1e-6);
    assert_eq!((m.baseline_samples, m.current_samples), (30, 30));
    assert_eq!(cmp.verdict, Verdict::Fail);
}

#[test]
fn severity_follows_the_lower_bound_not_the_point_estimate() {
    // 55 % slower on the medians, but with 20 % noise the interval's lower
    // end is below 50 %: major, not critical.
    let b = run_at(0, "a", vec![sampled(around(100.0, 0.2, 0))]);
    let c = run_at(1, "b", vec![sampled(around(155.0, 0.2, 5))]);
    let m = only(&compare(Some(&b), &c, &policy())).clone();
    assert!(m.change.unwrap() >= 0.5, "{m:?}");
    let i = m.interval.unwrap();
    assert!(i.lower < 0.5 && i.lower >= 0.2, "{i:?}");
    assert_eq!(m.severity, Severity::Major);
}

#[test]
fn a_change_the_interval_cannot_separate_from_zero_is_noise_and_passes() {
    let b = run_at(0, "a", vec![sampled(around(100.0, 0.5, 0))]);
    let c = run_at(1, "b", vec![sampled(around(112.0, 0.5, 11))]);
    let cmp = compare(Some(&b), &c, &policy());
    let m = only(&cmp);
    assert_eq!(m.severity, Severity::Noise, "{m:?}");
    assert!(m.interval.unwrap().lower < 0.1);
    assert_eq!(cmp.verdict, Verdict::Pass);
    assert!(
        cmp.recommendations
            .iter()
            .any(|r| r.contains("runs a side")),
        "{:?}",
        cmp.recommendations
    );
}

#[test]
fn without_samples_the_history_band_decides() {
    let history: Vec<Run> = [100.0, 102.0, 98.0, 101.0, 99.0, 100.5]
        .iter()
        .enumerate()
        .map(|(i, v)| run_at(i as i64, "h", vec![value(*v)]))
        .collect();
    let base = history.last().unwrap();
    // Band: median 100.25 ± 3·1.4826·MAD(1.0) ≈ [95.8, 104.7].
    let c = run_at(9, "c", vec![value(170.0)]);
    let m = only(&compare_history(Some(base), &c, &history, &policy())).clone();
    assert_eq!(m.method.as_deref(), Some("history band"));
    let band = m.history.unwrap();
    assert_eq!(band.runs, 6);
    assert!(
        band.lower < 96.0 && band.upper > 104.0 && band.upper < 105.0,
        "{band:?}"
    );
    assert_eq!(m.severity, Severity::Critical, "{m:?}");
    // 12 % above the baseline but 6 % beyond the band's edge: minor needs 10 %.
    let c = run_at(9, "c", vec![value(112.5)]);
    let m = only(&compare_history(Some(base), &c, &history, &policy())).clone();
    assert_eq!(m.severity, Severity::Noise, "{m:?}");
}

#[test]
fn samples_inside_the_history_band_are_noise_however_sure() {
    // Run medians of history wander ±15 %; this run is 12 % above the last.
    let history: Vec<Run> = [100.0, 115.0, 88.0, 108.0, 95.0, 100.0]
        .iter()
        .enumerate()
        .map(|(i, v)| run_at(i as i64, "h", vec![sampled(around(*v, 0.01, i))]))
        .collect();
    let c = run_at(9, "c", vec![sampled(around(112.0, 0.01, 9))]);
    let m = only(&compare_history(history.last(), &c, &history, &policy())).clone();
    assert!(m.interval.unwrap().lower > 0.1, "{m:?}");
    assert_eq!(m.severity, Severity::Noise);
}

#[test]
fn too_little_data_is_insufficient_and_a_huge_change_still_fails() {
    let b = run_at(0, "a", vec![value(100.0)]);
    let cmp = compare(Some(&b), &run_at(1, "b", vec![value(130.0)]), &policy());
    assert_eq!(only(&cmp).severity, Severity::Insufficient);
    assert_eq!(only(&cmp).counts_as, None);
    assert_eq!(cmp.verdict, Verdict::Pass);
    assert!(
        cmp.recommendations
            .iter()
            .any(|r| r.contains("history band needs 5"))
    );

    let cmp = compare(Some(&b), &run_at(1, "b", vec![value(180.0)]), &policy());
    assert_eq!(only(&cmp).severity, Severity::Insufficient);
    assert_eq!(only(&cmp).counts_as, Some(Severity::Critical));
    assert_eq!(cmp.worst, Severity::Critical);
    assert_eq!(cmp.verdict, Verdict::Fail);
    let headline = crate::report::View::of(&cmp).headline;
    assert!(
        headline.ends_with("/wall +80 % (counts as critical, too little data)"),
        "{headline}"
    );

    let cmp = compare(Some(&b), &run_at(1, "b", vec![value(104.0)]), &policy());
    assert_eq!(only(&cmp).severity, Severity::Unchanged);
}

#[test]
fn one_more_error_in_a_thousand_is_noise_not_a_doubling() {
    let b = run_at(0, "a", vec![rate("error_rate", Direction::Lower, 1, 1000)]);
    let c = run_at(1, "b", vec![rate("error_rate", Direction::Lower, 2, 1000)]);
    let cmp = compare(Some(&b), &c, &policy());
    let m = only(&cmp);
    assert_eq!(m.severity, Severity::Noise, "{m:?}");
    assert_eq!(m.method.as_deref(), Some("proportions (fisher)"));
    assert_eq!(
        m.current_counts,
        Some(EventCounts {
            count: 2,
            total: 1000
        })
    );
    assert_eq!(cmp.verdict, Verdict::Pass);

    let b = run_at(
        0,
        "a",
        vec![rate("error_rate", Direction::Lower, 100, 10_000)],
    );
    let c = run_at(
        1,
        "b",
        vec![rate("error_rate", Direction::Lower, 300, 10_000)],
    );
    let m = only(&compare(Some(&b), &c, &policy())).clone();
    assert_eq!(m.severity, Severity::Critical, "{m:?}");
    assert_eq!(m.method.as_deref(), Some("proportions (z)"));
}

#[test]
fn a_pass_rate_is_judged_on_its_failures() {
    // 99.0 % → 97.0 % passing: failures tripled, a 2 % drop of the rate.
    let b = run_at(
        0,
        "a",
        vec![rate("checks", Direction::Higher, 9900, 10_000)],
    );
    let c = run_at(
        1,
        "b",
        vec![rate("checks", Direction::Higher, 9700, 10_000)],
    );
    let m = only(&compare(Some(&b), &c, &policy())).clone();
    assert_eq!(m.severity, Severity::Critical, "{m:?}");
    assert!(m.interval.unwrap().lower > 1.0);
}

#[test]
fn another_cpu_is_flagged_with_advice() {
    let b = run_at(0, "a", vec![value(100.0)]);
    let mut c = run_at(1, "b", vec![value(100.0)]);
    c.environment = env("Other CPU", 8);
    let cmp = compare(Some(&b), &c, &policy());
    let m = cmp.environment_mismatch.as_ref().unwrap();
    assert_eq!((m.baseline_cores, m.current_cores), (2, 8));
    assert!(cmp.notes.iter().any(|n| n.contains("Other CPU × 8 cores")));
    assert!(cmp.recommendations.iter().any(|r| r.contains("paired")));
    assert!(
        compare(Some(&b), &b, &policy())
            .environment_mismatch
            .is_none()
    );
}

#[test]
fn steps_in_history_name_their_commit() {
    let history: Vec<Run> = (0..20)
        .map(|i| {
            let v = if i < 12 { 100.0 } else { 140.0 } + (i % 3) as f64;
            run_at(i, &format!("sha{i:02}"), vec![value(v)])
        })
        .collect();
    let current = run_at(21, "sha21", vec![value(141.0)]);
    let cmp = compare_history(history.last(), &current, &history, &policy());
    assert_eq!(cmp.change_points.len(), 1, "{:?}", cmp.change_points);
    let step = &cmp.change_points[0];
    assert_eq!(step.sha.as_deref(), Some("sha12"));
    assert!((step.change.unwrap() - 0.4).abs() < 0.03, "{step:?}");
}

fn slo_policy(slo: &str) -> Policy {
    let text =
        format!("{slo}\n[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = [\"true\"]\n");
    Policy::of(&Config::parse(&text, Path::new("t.toml")).unwrap())
}

#[test]
fn error_budget_burn_and_status() {
    let policy = slo_policy(
        "[[slo]]\nmetric = \"error_rate\"\nobjective = \"error_rate <= 1%\"\nwindow = \"30d\"",
    );
    // 31 nightly runs of 10 000 requests: 0.5 % errors for 27 nights, then
    // 6 % for the last 4 (days 27–30: the recent tenth of the window).
    let runs: Vec<Run> = (0..31)
        .map(|d| {
            let errors = if d >= 27 { 600 } else { 50 };
            run_at(
                d,
                "x",
                vec![rate("error_rate", Direction::Lower, errors, 10_000)],
            )
        })
        .collect();
    let refs: Vec<&Run> = runs.iter().collect();
    let s = &slo::budgets(&refs, &policy.slos)[0];
    assert_eq!(s.runs, 31);
    assert!((s.burn_rate - 6.0).abs() < 1e-9, "{s:?}");
    // bad share (27·50 + 4·600)/310 000 ≈ 1.21 %: 121 % of the budget.
    assert!(
        (s.budget_used - 3750.0 / 310_000.0 / 0.01).abs() < 1e-9,
        "{s:?}"
    );
    assert_eq!(s.status, slo::BudgetStatus::Critical);

    let calm: Vec<Run> = (0..31)
        .map(|d| {
            run_at(
                d,
                "x",
                vec![rate("error_rate", Direction::Lower, 20, 10_000)],
            )
        })
        .collect();
    let refs: Vec<&Run> = calm.iter().collect();
    let s = &slo::budgets(&refs, &policy.slos)[0];
    assert_eq!(s.status, slo::BudgetStatus::Ok);
    assert!((s.budget_left - 0.8).abs() < 1e-9, "{s:?}");
}

#[test]
fn availability_budget_counts_the_failures() {
    let policy = slo_policy(
        "[[slo]]\nmetric = \"p/availability\"\nobjective = \">= 99.5%\"\nwindow = \"10d\"",
    );
    // 99.1 % available over 10 days: burn 1.8×, budget 180 % spent.
    let runs: Vec<Run> = (0..11)
        .map(|d| {
            run_at(
                d,
                "x",
                vec![rate("availability", Direction::Higher, 9910, 10_000)],
            )
        })
        .collect();
    let refs: Vec<&Run> = runs.iter().collect();
    let s = &slo::budgets(&refs, &policy.slos)[0];
    assert!((s.burn_rate - 1.8).abs() < 1e-9, "{s:?}");
    assert!(s.budget_left < 0.0);
    assert_eq!(s.status, slo::BudgetStatus::Critical);
    let s = &slo::budgets(&[], &policy.slos)[0];
    assert_eq!(s.status, slo::BudgetStatus::NoData);
}

#[test]
fn bad_compare_and_slo_tables_name_their_key() {
    let parse = |extra: &str| {
        let text =
            format!("{extra}\n[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = [\"true\"]\n");
        Config::parse(&text, Path::new("t.toml"))
            .unwrap_err()
            .to_string()
    };
    let e = parse("[compare]\nmin_history = 1");
    assert!(e.starts_with("t.toml:2:1: `compare.min_history`"), "{e}");
    let e = parse(
        "[[slo]]\nmetric = \"a\"\nobjective = \"<= 1%\"\n[[slo]]\nmetric = \"b\"\nobjective = \"<= 1ms\"",
    );
    assert!(e.starts_with("t.toml:6:1: `slo[1].objective`"), "{e}");
    assert!(parse("[compare]\nmode = \"sideways\"").contains("compare.mode"));
    assert!(parse("[compare]\nband_k = -1.0").contains("`compare.band_k`"));
    assert!(parse("[compare]\nbogus = 1").contains("bogus"));
    let e = parse("[[slo]]\nmetric = \"error_rate\"\nobjective = \"< 200ms\"");
    assert!(
        e.contains("`slo[0].objective`") && e.contains("percentage"),
        "{e}"
    );
    let e = parse("[[slo]]\nmetric = \"error_rate\"\nobjective = \"latency <= 1%\"");
    assert!(e.contains("names `latency`"), "{e}");
    let e =
        parse("[[slo]]\nmetric = \"error_rate\"\nobjective = \"<= 1%\"\nwindow = \"30 parsecs\"");
    assert!(e.contains("`slo[0].window`"), "{e}");
    let e = parse("[[slo]]\nmetric = \"error_rate\"\nobjective = \"<= 100%\"");
    assert!(e.contains("strictly between"), "{e}");
}

#[test]
fn grade_uses_the_bound_that_is_sure() {
    let l = Levels {
        minor: 0.1,
        major: 0.2,
        critical: 0.5,
    };
    assert_eq!(decide::grade(0.55, 0.9, &l), Some(Severity::Critical));
    assert_eq!(decide::grade(0.25, 0.9, &l), Some(Severity::Major));
    assert_eq!(decide::grade(0.05, 0.9, &l), None);
    assert_eq!(decide::grade(-0.5, -0.12, &l), Some(Severity::Improved));
}

proptest! {
    #[test]
    fn a_regression_seen_backwards_is_an_improvement(
        ratio in 1.3f64..3.0, spread in 0.001f64..0.05, seed in 0usize..60,
    ) {
        let slow = run_at(0, "a", vec![sampled(around(100.0 * ratio, spread, seed))]);
        let fast = run_at(1, "b", vec![sampled(around(100.0, spread, seed + 1))]);
        let forward = compare(Some(&fast), &slow, &policy());
        let backward = compare(Some(&slow), &fast, &policy());
        prop_assert!(only(&forward).severity.is_regression());
        prop_assert_eq!(only(&backward).severity, Severity::Improved);
        // Flipping the direction flips the verdict too.
        let mut slow_hi = slow.clone();
        slow_hi.phases[0].metrics[0].direction = Direction::Higher;
        let mut fast_hi = fast.clone();
        fast_hi.phases[0].metrics[0].direction = Direction::Higher;
        prop_assert_eq!(only(&compare(Some(&fast_hi), &slow_hi, &policy())).severity, Severity::Improved);
    }

    #[test]
    fn identical_runs_never_regress(samples in prop::collection::vec(1.0f64..1e6, 2..40)) {
        let r = run_at(0, "a", vec![sampled(samples)]);
        let c = compare(Some(&r), &r, &policy());
        prop_assert_eq!(only(&c).severity, Severity::Unchanged);
        prop_assert_eq!(c.verdict, Verdict::Pass);
    }
}

#[test]
fn across_runners_thin_history_allows_for_runner_spread_and_a_doubling_still_fails() {
    let mut across = policy();
    across.cross_runner = true;
    // +12 % with tight samples: minor within one run, but within the
    // runner-to-runner allowance (7.5 %) it cannot reach 10 %.
    let b = run_at(0, "a", vec![sampled(around(100.0, 0.005, 0))]);
    let c = run_at(1, "b", vec![sampled(around(112.0, 0.005, 3))]);
    assert_eq!(
        only(&compare(Some(&b), &c, &policy())).severity,
        Severity::Minor
    );
    let m = only(&compare(Some(&b), &c, &across)).clone();
    assert_eq!(m.severity, Severity::Noise, "{m:?}");
    assert_eq!(m.runner_noise, Some(0.075));
    // A real 2× slowdown is still critical and fails.
    let c = run_at(1, "b", vec![sampled(around(200.0, 0.005, 3))]);
    let cmp = compare(Some(&b), &c, &across);
    assert_eq!(only(&cmp).severity, Severity::Critical);
    assert_eq!(cmp.verdict, Verdict::Fail);
    // With `min_history` earlier runs the measured band replaces it.
    let history: Vec<Run> = (0..5)
        .map(|d| run_at(d, "h", vec![value(100.0 + d as f64 * 0.1)]))
        .collect();
    let c = run_at(9, "b", vec![sampled(around(112.0, 0.005, 3))]);
    let m = only(&compare_history(Some(&b), &c, &history, &across)).clone();
    assert_eq!(m.runner_noise, None);
    assert_eq!(m.severity, Severity::Minor, "{m:?}");
    // Turned off, it is not applied.
    across.compare.runner_noise = 0.0;
    let m = only(&compare(Some(&b), &c, &across)).clone();
    assert_eq!((m.severity, m.runner_noise), (Severity::Minor, None));
}

#[test]
fn insufficient_with_a_few_samples_says_they_were_too_few_not_none() {
    let b = run_at(0, "a", vec![sampled(vec![100.0, 101.0, 99.0])]);
    let c = run_at(1, "b", vec![sampled(vec![130.0, 131.0, 129.0])]);
    let cmp = compare(Some(&b), &c, &policy());
    assert_eq!(only(&cmp).severity, Severity::Insufficient, "{cmp:?}");
    let advice: Vec<&String> = cmp
        .recommendations
        .iter()
        .filter(|r| r.contains("/wall"))
        .collect();
    assert!(
        advice
            .iter()
            .any(|r| r.contains("too few samples for a test at α = 0.05 (3 baseline, 3 current)")),
        "{advice:?}"
    );
    assert!(
        advice.iter().all(|r| !r.contains("no samples")),
        "{advice:?}"
    );
}
