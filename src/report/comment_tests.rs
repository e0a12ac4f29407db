//! The pull-request comment as a reviewer reads it (issue 14): one snapshot
//! per situation, and the escaping of names a hostile benchmark could pick.

use super::markdown::{self, Acceptance, Decorations};
use super::*;
use crate::compare::{Mode, Policy, Provenance, compare, compare_history};
use crate::config::ThresholdsConfig;
use crate::metrics::Unit;
use crate::results::{
    Direction, Environment, GitInfo, Metric, PhaseKind, PhaseResult, Run, SCHEMA_VERSION,
};
use std::collections::BTreeMap;

const BASE_SHA: &str = "1a2b3c4d5e6f70819283746556473829101a2b3c";
const HEAD_SHA: &str = "36afaef0000000000000000000000000000000aa";

/// One metric of the `api` suite: name, unit, direction, value.
struct M<'a>(&'a str, Unit, Direction, f64);

fn ms(name: &str, v: f64) -> M<'_> {
    M(name, Unit::Ns, Direction::Lower, v * 1e6)
}

/// A run of suite `api`, phase `load`, ten tight samples per metric (so a
/// change is judged on evidence), with `criteria`.
fn run(sha: &str, day: i64, metrics: &[M], criteria: &[(&str, &str)]) -> Run {
    let t = chrono::DateTime::from_timestamp(1_780_000_000 + day * 86_400, 0).unwrap();
    Run {
        schema_version: SCHEMA_VERSION,
        suite: "api".into(),
        environment: Environment {
            key: "linux-x86_64".into(),
            os: "Linux".into(),
            arch: "x86_64".into(),
            cpu_model: "Test".into(),
            cores: 2,
            memory_bytes: 1 << 30,
            runner: None,
        },
        git: Some(GitInfo {
            sha: sha.into(),
            ref_name: Some("refs/heads/main".into()),
            base_sha: None,
            pr: None,
        }),
        started_at: t,
        finished_at: t,
        partial: false,
        shard: None,
        phases: vec![PhaseResult {
            name: "load".into(),
            kind: PhaseKind::Command,
            series: Vec::new(),
            load_started_at: None,
            errors: vec![],
            metrics: metrics
                .iter()
                .map(|M(name, unit, direction, v)| Metric {
                    samples: (0..10).map(|i| v * (1.0 + f64::from(i) * 1e-3)).collect(),
                    ..Metric::new(*name, unit.clone(), *direction, *v)
                })
                .collect(),
            criteria: criteria
                .iter()
                .map(|(m, c)| (m.to_string(), c.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }],
    }
}

fn policy() -> Policy {
    Policy::new(ThresholdsConfig::default())
}

/// `base` against `head`, in baseline mode with a single run behind it.
fn judged(base: &[M], head: &[M], criteria: &[(&str, &str)]) -> crate::compare::Comparison {
    let mut c = compare(
        Some(&run(BASE_SHA, 0, base, criteria)),
        &run(HEAD_SHA, 1, head, criteria),
        &policy(),
    );
    c.provenance = Some(Provenance {
        mode: Mode::Baseline,
        base_sha: Some(BASE_SHA.into()),
        head_sha: Some(HEAD_SHA.into()),
        rounds: None,
        history_runs: Some(1),
        noise_floor: Provenance::noise_floor_of(&c.comparisons),
        thin_history: true,
        fallback: None,
    });
    c
}

fn deco() -> Decorations {
    Decorations {
        baseline_url: Some(format!("https://github.com/octo/api/commit/{BASE_SHA}")),
        run_url: Some("https://github.com/octo/api/actions/runs/777".into()),
        report_url: None,
        accepted: None,
    }
}

fn comment(c: &crate::compare::Comparison, deco: &Decorations) -> String {
    let text = markdown::render_within(&View::of(c), deco, markdown::COMMENT_BUDGET);
    super::tests::assert_tables_keep_their_columns(&text);
    text
}

/// The part of a comment a reader sees without opening the fold.
fn above_the_fold(text: &str) -> &str {
    text.split("<details>").next().unwrap()
}

/// `n` endpoint latencies, all 10 ms.
fn endpoints(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("endpoint{i:03}.p95")).collect()
}

#[test]
fn an_unchanged_pull_request_says_so_in_one_line_and_folds_the_rest() {
    let names = endpoints(12);
    let base: Vec<M> = names.iter().map(|n| ms(n, 10.0)).collect();
    let head: Vec<M> = names.iter().map(|n| ms(n, 10.02)).collect();
    let c = judged(&base, &head, &[("endpoint000.p95", "< 50ms")]);
    let text = comment(&c, &deco());
    let top = above_the_fold(&text);
    assert!(
        top.contains("### ✅ perfguard · api · No performance change\n"),
        "{text}"
    );
    assert!(!top.contains('|'), "no table above the fold: {text}");
    assert!(!text.contains('▲') && !text.contains('▼'), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn one_critical_regression_among_200_metrics_is_the_headline_and_the_only_row() {
    let names = endpoints(200);
    let base: Vec<M> = names.iter().map(|n| ms(n, 10.0)).collect();
    let head: Vec<M> = names
        .iter()
        .enumerate()
        .map(|(i, n)| ms(n, if i == 42 { 15.2 } else { 10.0 }))
        .collect();
    let c = judged(&base, &head, &[]);
    let text = comment(&c, &deco());
    let top = above_the_fold(&text);
    assert!(
        top.contains(
            "### ❌ perfguard · api · 1 regression: load/endpoint042.p95 +52 % (critical)\n"
        ),
        "{text}"
    );
    assert_eq!(top.matches("| 🔴 critical |").count(), 1, "{text}");
    assert!(top.contains("Also: 199 unchanged."), "{text}");
    insta::assert_snapshot!(top);
}

#[test]
fn mixed_improvements_and_regressions_put_regressions_first() {
    let base = [
        ms("checkout.p95", 100.0),
        ms("search.p95", 50.0),
        ms("login.p95", 20.0),
        M("orders", Unit::PerSecond, Direction::Higher, 1000.0),
        ms("health.p95", 1.0),
    ];
    let head = [
        ms("checkout.p95", 160.0),
        ms("search.p95", 56.0),
        ms("login.p95", 12.0),
        M("orders", Unit::PerSecond, Direction::Higher, 1500.0),
        ms("health.p95", 1.0),
    ];
    let c = judged(&base, &head, &[]);
    let text = comment(&c, &deco());
    assert!(
        text.contains(
            "· 2 regressions: load/checkout.p95 +60 % (critical), load/search.p95 +12 % (minor); 2 improvements\n"
        ),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn a_failed_criterion_is_named_and_met_ones_are_counted() {
    let base = [ms("wall", 100.0), ms("wall.p95", 120.0), ms("startup", 5.0)];
    let head = [ms("wall", 101.0), ms("wall.p95", 121.0), ms("startup", 5.0)];
    let c = judged(
        &base,
        &head,
        &[
            ("wall", "< 90ms"),
            ("wall.p95", "< 125ms"),
            ("startup", "< 1s"),
        ],
    );
    let text = comment(&c, &deco());
    let top = above_the_fold(&text);
    assert!(
        top.contains("· 1 failed criterion: load wall &lt; 90ms (101 ms)\n"),
        "{text}"
    );
    // Within 10 % of its limit: shown; far from it: counted.
    assert!(
        top.contains("| ⚠️ near limit | load wall.p95 &lt; 125ms |"),
        "{text}"
    );
    assert!(!top.contains("startup &lt; 1s"), "{text}");
    assert!(top.contains("1 criterion met"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn an_accepted_regression_names_the_label_in_the_headline() {
    let c = judged(&[ms("wall", 100.0)], &[ms("wall", 161.0)], &[]);
    let deco = Decorations {
        accepted: Some(Acceptance {
            label: "perfguard:accept".into(),
            items: vec!["load wall (critical, +61.0 % ▲)".into()],
        }),
        ..deco()
    };
    let text = comment(&c, &deco);
    assert!(
        text.contains(
            "### ☑️ perfguard · api · accepted by the label perfguard:accept: 1 regression: load/wall +61 % (critical)\n"
        ),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn paired_provenance_names_the_runner_rounds_and_commits() {
    let mut c = judged(&[ms("wall", 100.0)], &[ms("wall", 100.1)], &[]);
    c.provenance = Some(Provenance {
        mode: Mode::Paired,
        rounds: Some(24),
        history_runs: None,
        thin_history: false,
        ..c.provenance.clone().unwrap()
    });
    let text = comment(&c, &Decorations::default());
    insta::assert_snapshot!(text);
}

#[test]
fn baseline_provenance_names_the_history_behind_it() {
    let history: Vec<Run> = (0..12)
        .map(|d| {
            run(
                &format!("{d:02}{}", &BASE_SHA[2..]),
                d,
                &[ms("wall", 100.0 + d as f64 * 0.3)],
                &[],
            )
        })
        .collect();
    let head = run(HEAD_SHA, 12, &[ms("wall", 102.0)], &[]);
    let mut c = compare_history(history.last(), &head, &history, &policy());
    c.provenance = Some(Provenance {
        mode: Mode::Baseline,
        base_sha: history.last().unwrap().git.as_ref().map(|g| g.sha.clone()),
        head_sha: Some(HEAD_SHA.into()),
        rounds: None,
        history_runs: Some(12),
        noise_floor: Provenance::noise_floor_of(&c.comparisons),
        thin_history: false,
        fallback: None,
    });
    let text = comment(&c, &Decorations::default());
    assert!(
        text.contains("\nBaseline: history of 12 runs · 112b3c4 (main) → 36afaef · "),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn insufficient_data_says_what_could_not_be_judged_and_what_would_judge_it() {
    // No samples and no history: a 30 % change cannot be told from noise.
    let mut base = run(BASE_SHA, 0, &[ms("wall", 100.0)], &[]);
    let mut head = run(HEAD_SHA, 1, &[ms("wall", 130.0)], &[]);
    for r in [&mut base, &mut head] {
        r.phases[0].metrics[0].samples.clear();
    }
    let c = compare(Some(&base), &head, &policy());
    let text = comment(&c, &Decorations::default());
    let top = above_the_fold(&text);
    assert!(
        top.contains(
            "- insufficient data to judge load/wall (+30 % worse): no samples and 0 earlier runs"
        ),
        "{text}"
    );
    assert!(
        top.contains("· No performance change seen; 1 metric could not be judged\n"),
        "{text}"
    );
    insta::assert_snapshot!(text);
}

#[test]
fn five_hundred_metrics_give_a_compact_comment_that_says_what_it_left_out() {
    let names = endpoints(500);
    let base: Vec<M> = names.iter().map(|n| ms(n, 10.0)).collect();
    let head: Vec<M> = names
        .iter()
        .enumerate()
        .map(|(i, n)| ms(n, if i % 5 == 0 { 16.0 } else { 10.0 }))
        .collect();
    let c = judged(&base, &head, &[]);
    let full = markdown::render_decorated(&View::of(&c), &deco());
    assert!(full.chars().count() > markdown::COMMENT_BUDGET);
    let text = comment(&c, &deco());
    let chars = text.chars().count();
    assert!(chars < 60_000, "{chars}");
    assert!(
        text.contains("This comment is compact to stay under 60,000 characters. Left out: the table of the other metrics (400 unchanged). Everything is in the [job summary](https://github.com/octo/api/actions/runs/777)."),
        "{}",
        &text[text.len() - 600..]
    );
    assert_eq!(text.matches("| 🔴 critical |").count(), 100);
    // The evidence behind each regression shown stays, folded.
    assert_eq!(text.matches("| hodges-lehmann |").count(), 100);
    // The whole comment is too long to review as a snapshot; its start and
    // end show the shape.
    let lines: Vec<&str> = text.lines().collect();
    let notice = lines
        .iter()
        .find(|l| l.starts_with("This comment is compact"))
        .unwrap();
    insta::assert_snapshot!(format!(
        "{}\n…\n{notice}\n…\n{}\n\n({chars} characters)",
        lines[..8].join("\n"),
        lines[lines.len() - 3..].join("\n")
    ));
}

#[test]
fn a_hostile_unit_renders_no_link_image_mention_or_broken_table() {
    let unit = Unit::Other("[pwn](http://evil)|<img/src=x> @everyone".into());
    let base = [
        M("ops", unit.clone(), Direction::Lower, 100.0),
        M("allocs", unit.clone(), Direction::Lower, 5.0),
    ];
    let head = [
        M("ops", unit.clone(), Direction::Lower, 200.0),
        M("allocs", unit, Direction::Lower, 5.0),
    ];
    let c = judged(&base, &head, &[("ops", "< 150")]);
    let view = View::of(&c);
    for text in [
        comment(&c, &deco()),
        markdown::summary(&view, &deco()),
        markdown::render_within(&view, &Decorations::default(), 1_500),
    ] {
        super::tests::assert_tables_keep_their_columns(&text);
        assert!(!text.contains("](http://evil"), "a link: {text}");
        assert!(!text.contains("http://evil"), "an autolink: {text}");
        assert!(!text.contains("<img"), "an image: {text}");
        assert!(!text.contains("@everyone"), "a mention: {text}");
        assert!(text.contains("@&#8203;everyone"), "{text}");
    }
}

#[test]
fn a_newline_in_the_suite_never_starts_a_workflow_command_line() {
    let mut c = judged(&[ms("wall", 100.0)], &[ms("wall", 161.0)], &[]);
    c.suite = "api\n::warning::x\r::error::y".into();
    c.current.suite = c.suite.clone();
    let view = View::of(&c);
    for text in [
        markdown::render(&view),
        markdown::summary(&view, &deco()),
        markdown::render_within(&view, &deco(), 300),
        terminal::render(&view, false),
        terminal::render(&view, true),
    ] {
        for line in text.lines() {
            assert!(!line.starts_with("::"), "{line:?} in\n{text}");
        }
        assert!(!text.contains('\r'), "{text:?}");
    }
}

#[test]
fn the_job_summary_keeps_every_detail_the_comment_folds() {
    let names = endpoints(4);
    let base: Vec<M> = names.iter().map(|n| ms(n, 10.0)).collect();
    let mut head: Vec<M> = names.iter().map(|n| ms(n, 10.0)).collect();
    head[1] = ms(&names[1], 16.0);
    let mut c = judged(&base, &head, &[("endpoint000.p95", "< 50ms")]);
    c.recommendations
        .push("load/endpoint002.p95: 3 of 10 samples are outliers".into());
    let view = View::of(&c);
    let summary = markdown::summary(&view, &deco());
    super::tests::assert_tables_keep_their_columns(&summary);
    for detail in [
        "### ❌ perfguard · api · 1 regression: load/endpoint001.p95 +60 % (critical)\n",
        "\nBaseline 1a2b3c4 (refs/heads/main, ",
        "\nMeasured baseline: base 1a2b3c4 vs head 36afaef, 1 earlier runs (thin history)",
        "| ✅ | load | endpoint000.p95 &lt; 50ms | 10.0 ms |",
        "p=&lt;0.001, 95 % CI +59.5 % … +60.5 % worse, n=10/10",
        "**Recommendations**\n\n- load/endpoint002.p95: 3 of 10 samples are outliers",
        "<details><summary>3 unchanged metrics</summary>",
    ] {
        assert!(summary.contains(detail), "{detail:?} in\n{summary}");
    }
    // The comment folds the advice into a pointer to the summary.
    let comment = comment(&c, &deco());
    assert!(!comment.contains("outliers"), "{comment}");
    assert!(
        comment.contains("1 sampling and configuration hint in the job summary."),
        "{comment}"
    );
}

#[test]
fn a_change_that_would_fail_but_cannot_be_told_from_noise_asks_for_more_runs() {
    // Eight samples spread over a factor of three: a +60 % median shift
    // (critical, were it real) is inside the interval of no change.
    let spread = [60.0, 200.0, 80.0, 180.0, 100.0, 160.0, 120.0, 140.0];
    let side = |sha: &str, day: i64, factor: f64, extra: f64| {
        let mut r = run(
            sha,
            day,
            &[ms("wall", 130.0 * factor), ms("startup", extra)],
            &[],
        );
        r.phases[0].metrics[0].samples = spread.iter().map(|v| v * factor * 1e6).collect();
        r
    };
    let c = compare(
        Some(&side(BASE_SHA, 0, 1.0, 5.0)),
        &side(HEAD_SHA, 1, 1.6, 5.0),
        &policy(),
    );
    let wall = &c.comparisons[0];
    assert_eq!(wall.severity, crate::compare::Severity::Noise, "{wall:?}");
    let text = comment(&c, &Decorations::default());
    let top = above_the_fold(&text);
    assert!(
        top.contains("- insufficient data to judge load/wall: +60 % worse would be critical, but its interval ("),
        "{text}"
    );
    assert!(
        top.contains("includes no change; raise \\`runs\\` to about "),
        "{text}"
    );
    assert!(top.contains("(now 8)"), "{text}");
    // The headline does not call it a change, and no arrow stands on it.
    assert!(
        top.contains("· No performance change seen; 1 metric could not be judged\n"),
        "{text}"
    );
    assert!(!text.contains('▲'), "{text}");
    insta::assert_snapshot!(top);
}
