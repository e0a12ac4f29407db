use super::*;
use crate::compare::{Policy, compare};
use crate::config::ThresholdsConfig;
use crate::metrics::Unit;
use crate::results::{
    Direction, Environment, GitInfo, Metric, PhaseError, PhaseKind, PhaseResult, Run,
    SCHEMA_VERSION,
};

fn run(phase: &str, wall: f64, mem: f64, ok_ratio: f64, sha: &str) -> Run {
    let samples: Vec<f64> = (0..10).map(|i| wall * (1.0 + i as f64 * 0.001)).collect();
    Run {
        schema_version: SCHEMA_VERSION,
        suite: "api".into(),
        environment: Environment {
            key: "linux-x86_64-test".into(),
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
        started_at: chrono::DateTime::from_timestamp(1_763_700_000, 0).unwrap(),
        finished_at: chrono::DateTime::from_timestamp(1_763_700_060, 0).unwrap(),
        partial: false,
        shard: None,
        phases: vec![PhaseResult {
            name: phase.into(),
            kind: PhaseKind::Command,
            series: Vec::new(),
            load_started_at: None,
            errors: vec![],
            metrics: vec![
                Metric {
                    samples,
                    outliers: Some(1),
                    ..Metric::new("wall", Unit::Ns, Direction::Lower, wall)
                },
                Metric::new("memory.peak", Unit::Bytes, Direction::Lower, mem),
                Metric::new("checks", Unit::Ratio, Direction::Higher, ok_ratio),
            ],
            criteria: [("wall".to_string(), "< 2ms".to_string())]
                .into_iter()
                .collect(),
        }],
    }
}

fn comparison(phase: &str) -> crate::compare::Comparison {
    let base = run(
        phase,
        1_240_000.0,
        312.0 * 1048576.0,
        0.99,
        "1111111111111111111111111111111111111111",
    );
    let cur = run(
        phase,
        1_984_000.0,
        313.0 * 1048576.0,
        0.995,
        "2222222222222222222222222222222222222222",
    );
    compare(Some(&base), &cur, &Policy::new(ThresholdsConfig::default()))
}

#[test]
fn markdown_report() {
    insta::assert_snapshot!(markdown::render(&View::of(&comparison("startup"))));
}

#[test]
fn terminal_report() {
    insta::assert_snapshot!(terminal::render(&View::of(&comparison("startup")), false));
}

#[test]
fn json_report() {
    insta::assert_snapshot!(json(&comparison("startup")));
}

#[test]
fn hostile_names_render_harmlessly_in_markdown() {
    let mut c = comparison("<script>alert(1)</script> a|b");
    c.suite = "x --> <img src=x onerror=alert(1)>".into();
    c.errors.push(crate::compare::PhaseFailure {
        phase: "**bold** [link](http://evil)".into(),
        message: "exit 1 | `code`".into(),
        stderr_tail: Some("```\n</details><script>x</script>\n````".into()),
    });
    let md = markdown::render(&View::of(&c));
    // Outside the fenced stderr block (where text is literal), no raw HTML.
    let fence_start = md.find("`````text").unwrap();
    let fence_end = md[fence_start + 9..].find("`````").unwrap() + fence_start + 14;
    let outside = format!("{}{}", &md[..fence_start], &md[fence_end..]);
    assert!(!outside.contains("<script>"), "{md}");
    assert!(!outside.contains("</details><"), "{md}");
    assert!(!md.contains("<img"), "{md}");
    assert!(
        md.contains("&lt;script&gt;alert(1)&lt;/script&gt; a&#124;b"),
        "{md}"
    );
    assert!(
        md.contains("\\*\\*bold\\*\\* \\[link\\](http&#58;//evil)"),
        "{md}"
    );
    // The marker cannot be closed early by the suite name.
    let first = md.lines().next().unwrap();
    assert_eq!(first.matches("-->").count(), 1, "{first}");
    assert_tables_keep_their_columns(&md);
    // The stderr fence is longer than any backtick run inside it.
    assert!(md.contains("`````text"), "{md}");
    insta::assert_snapshot!(md);
}

/// Every row of every Markdown table has as many cells as its header, so
/// no name splits a cell or ends a table.
pub(super) fn assert_tables_keep_their_columns(md: &str) {
    let cells = |line: &str| {
        let mut n = 0;
        let mut escaped = false;
        for c in line.chars() {
            match c {
                '\\' => escaped = !escaped,
                '|' if !escaped => n += 1,
                _ => escaped = false,
            }
        }
        n
    };
    let mut header: Option<usize> = None;
    for line in md.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        match header {
            None => header = Some(cells(line)),
            Some(h) => assert_eq!(cells(line), h, "{line}\n\n{md}"),
        }
    }
}

#[test]
fn terminal_strips_escape_sequences() {
    let mut c = comparison("evil\x1b[2Jphase");
    c.errors.push(crate::compare::PhaseFailure {
        phase: "p".into(),
        message: "m".into(),
        stderr_tail: Some("\x1b]0;pwned\x07".into()),
    });
    let out = terminal::render(&View::of(&c), false);
    assert!(!out.contains('\x1b'), "{out:?}");
    assert!(!out.contains('\x07'), "{out:?}");
}

#[test]
fn regressions_come_first() {
    let view = View::of(&comparison("startup"));
    assert_eq!(view.changed[0].metric, "wall");
    assert_eq!(view.changed[0].severity, crate::compare::Severity::Critical);
    assert!(
        view.headline == "1 regression: startup/wall +60 % (critical)",
        "{}",
        view.headline
    );
    assert!(view.unchanged.iter().any(|r| r.metric == "memory.peak"));
}

#[test]
fn change_text_shows_movement_and_which_way_is_worse() {
    let c = comparison("startup");
    let wall = c.comparisons.iter().find(|m| m.metric == "wall").unwrap();
    assert_eq!(change_text(wall), "+60.0 % ▲");
    let checks = c.comparisons.iter().find(|m| m.metric == "checks").unwrap();
    assert_eq!(change_text(checks), "+0.5 % ▼");
}

#[test]
fn phase_errors_in_results_reach_the_report() {
    let mut cur = run(
        "p",
        1.0,
        1.0,
        1.0,
        "2222222222222222222222222222222222222222",
    );
    cur.phases[0].errors.push(PhaseError {
        message: "run 1 of `false` exited with code 1".into(),
        exit_code: Some(1),
        stderr_tail: Some("boom".into()),
    });
    cur.phases[0].metrics.clear();
    let c = compare(None, &cur, &Policy::new(ThresholdsConfig::default()));
    let md = markdown::render(&View::of(&c));
    assert!(
        md.contains("exited with code 1") && md.contains("boom"),
        "{md}"
    );
    assert!(md.contains("1 phase failed: p"), "{md}");
}

#[test]
fn an_autolink_in_any_case_is_broken() {
    // Found by the `names` fuzz target: `wwW.` passed the case-sensitive escape.
    let out = super::markdown::escape("$.wwW.x WWW.evil.com www.a Http://b");
    assert!(!out.to_ascii_lowercase().contains("www."), "{out}");
    assert!(!out.contains("://"), "{out}");
    assert!(out.contains("wwW&#46;x"), "{out}");
}
