use super::*;
use crate::compare::{Policy, compare_history};
use crate::config::Config;
use crate::metrics::Unit;
use crate::results::{
    Direction, Environment, GitInfo, Metric, PhaseKind, PhaseResult, Run, SCHEMA_VERSION,
};
use std::collections::BTreeMap;
use std::path::Path;

fn run(day: i64, wall: f64, errors: u64) -> Run {
    let t = chrono::DateTime::from_timestamp(1_780_000_000 + day * 86_400, 0).unwrap();
    Run {
        schema_version: SCHEMA_VERSION,
        suite: "api".into(),
        environment: Environment {
            key: "k".into(),
            os: "Linux".into(),
            arch: "x86_64".into(),
            cpu_model: "cpu".into(),
            cores: 2,
            memory_bytes: 0,
            runner: None,
        },
        git: Some(GitInfo {
            sha: format!("{day:02}aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            ref_name: Some("refs/heads/main".into()),
            base_sha: None,
            pr: None,
        }),
        started_at: t,
        finished_at: t,
        partial: false,
        shard: None,
        phases: vec![PhaseResult {
            name: "load|<b>".into(),
            kind: PhaseKind::Command,
            series: Vec::new(),
            load_started_at: None,
            errors: vec![],
            metrics: vec![
                Metric::new("wall", Unit::Ns, Direction::Lower, wall),
                Metric {
                    count: Some(errors),
                    total: Some(10_000),
                    ..Metric::new(
                        "error_rate",
                        Unit::Ratio,
                        Direction::Lower,
                        errors as f64 / 1e4,
                    )
                },
            ],
            criteria: BTreeMap::new(),
        }],
    }
}

fn comparison() -> crate::compare::Comparison {
    let text = "[[slo]]\nmetric = \"error_rate\"\nobjective = \"error_rate <= 1%\"\nwindow = \"30d\"\n\
                [[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = [\"true\"]\n";
    let policy = Policy::of(&Config::parse(text, Path::new("t.toml")).unwrap());
    let history: Vec<Run> = (0..12)
        .map(|d| run(d, if d < 6 { 1.0e6 } else { 1.4e6 } + d as f64 * 100.0, 50))
        .collect();
    let current = run(12, 2.5e6, 80);
    compare_history(history.last(), &current, &history, &policy)
}

#[test]
fn markdown_shows_budgets_steps_and_evidence_escaped() {
    insta::assert_snapshot!(markdown::render(&View::of(&comparison())));
}

#[test]
fn terminal_shows_budgets_steps_and_hints() {
    insta::assert_snapshot!(terminal::render(&View::of(&comparison()), false));
}
