//! `perfguard compare --history`: history, environment, error budgets, as a user runs it.

use crate::common::{perfguard, write};
use std::path::Path;

fn run_json(day: i64, cpu: &str, wall: f64, errors: u64) -> String {
    let t = chrono::DateTime::from_timestamp(1_780_000_000 + day * 86_400, 0)
        .unwrap()
        .to_rfc3339();
    serde_json::json!({
        "schema_version": 1,
        "suite": "api",
        "environment": {"key": "k", "os": "Linux", "arch": "x86_64", "cpu_model": cpu,
                        "cores": 2, "memory_bytes": 0},
        "git": {"sha": format!("{day:02}{}", "b".repeat(38))},
        "started_at": t, "finished_at": t,
        "phases": [{"name": "load", "kind": "command", "metrics": [
            {"name": "wall", "unit": "ns", "direction": "lower", "value": wall},
            {"name": "error_rate", "unit": "ratio", "direction": "lower",
             "value": errors as f64 / 10000.0, "count": errors, "total": 10000}
        ]}]
    })
    .to_string()
}

fn history(dir: &Path, n: i64) -> Vec<String> {
    (0..n)
        .map(|d| {
            let name = format!("h{d:02}.json");
            write(
                dir,
                &name,
                &run_json(d, "cpu", 1.0e6 + (d % 3) as f64 * 1e4, 50),
            );
            name
        })
        .collect()
}

const CONFIG: &str = "[[slo]]\nmetric = \"error_rate\"\nobjective = \"error_rate <= 1%\"\nwindow = \"30d\"\n\
                      [[phase]]\nname = \"load\"\nkind = \"command\"\ncommand = [\"true\"]\n";

#[test]
fn a_value_far_outside_the_history_band_fails_with_evidence() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "perfguard.toml", CONFIG);
    let h = history(dir.path(), 8);
    write(dir.path(), "cur.json", &run_json(8, "cpu", 1.8e6, 50));
    let mut cmd = perfguard(dir.path());
    cmd.args([
        "compare",
        "--baseline",
        &h[7],
        "--current",
        "cur.json",
        "--format",
        "md",
    ]);
    for f in &h {
        cmd.args(["--history", f]);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(
        md.contains("🔴 critical") && md.contains("beyond band"),
        "{md}"
    );
    assert!(
        md.contains("**Error budgets**") && md.contains("🟢 ok"),
        "{md}"
    );
}

#[test]
fn without_history_a_moderate_change_is_insufficient_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.json", &run_json(0, "cpu", 1.0e6, 50));
    write(dir.path(), "c.json", &run_json(1, "cpu", 1.3e6, 50));
    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "b.json",
            "--current",
            "c.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["comparisons"][0]["severity"], "insufficient");
    assert_eq!(json["comparisons"][1]["method"], "proportions (z)");
    // Twice as slow without evidence still fails: counts as critical.
    write(dir.path(), "c.json", &run_json(1, "cpu", 2.0e6, 50));
    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "b.json",
            "--current",
            "c.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["comparisons"][0]["counts_as"], "critical");
}

#[test]
fn another_cpu_is_flagged_and_refused_under_strict_environment() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.json", &run_json(0, "Old CPU", 1.0e6, 50));
    write(dir.path(), "c.json", &run_json(1, "New CPU", 1.0e6, 50));
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "b.json", "--current", "c.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Old CPU × 2 cores") && text.contains("hint:"),
        "{text}"
    );

    write(
        dir.path(),
        "strict.toml",
        &format!("[compare]\nstrict_environment = true\n{CONFIG}"),
    );
    let out = perfguard(dir.path())
        .args([
            "compare",
            "-c",
            "strict.toml",
            "--baseline",
            "b.json",
            "--current",
            "c.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("strict_environment: refusing to compare"),
        "{err}"
    );
}

#[test]
fn broken_history_and_counts_exit_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.json", &run_json(0, "cpu", 1.0e6, 50));
    write(
        dir.path(),
        "bad.json",
        &run_json(0, "cpu", 1.0e6, 50).replace("\"total\":10000", "\"total\":10"),
    );
    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "b.json",
            "--current",
            "b.json",
            "--history",
            "bad.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("count 50 out of total 10"),
        "{err}"
    );
    write(dir.path(), "slo.toml", &CONFIG.replace("<= 1%", "<= 1ms"));
    let out = perfguard(dir.path())
        .args([
            "compare",
            "-c",
            "slo.toml",
            "--baseline",
            "b.json",
            "--current",
            "b.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("slo[0].objective"));
}
