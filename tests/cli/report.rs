//! `--format html`, `check --html`, `perfguard report --html` and
//! `perfguard dashboard`: the files they write, and the inputs they refuse.

use crate::common::{git, perfguard, write};
use std::path::Path;

/// A results file: `metrics` command metrics named `m00`…, with ten samples
/// each around `value` (times `1.3` from `step_at` on), at hour `i`.
pub fn results_json(suite: &str, phase: &str, i: u32, metrics: usize, step_at: u32) -> String {
    let level = if i >= step_at { 1.3 } else { 1.0 };
    let ms: Vec<String> = (0..metrics)
        .map(|m| {
            let v = 1e6 * (1.0 + m as f64 / 10.0) * level * (1.0 + f64::from(i % 3) * 0.01);
            let samples: Vec<String> = (0..10)
                .map(|k| format!("{}", v * (1.0 + f64::from(k) * 0.002)))
                .collect();
            format!(
                r#"{{"name": "m{m:02}", "unit": "ns", "direction": "lower", "value": {v}, "samples": [{}]}}"#,
                samples.join(", ")
            )
        })
        .collect();
    serde_json::json!({
        "schema_version": 1,
        "suite": suite,
        "environment": {"key": "ci", "os": "Linux", "arch": "x86_64", "cpu_model": "Test", "cores": 2, "memory_bytes": 1073741824u64},
        "git": {"sha": format!("{i:02}{}", "b".repeat(38)), "ref": "refs/heads/main"},
        "started_at": format!("2026-11-{:02}T{:02}:00:00Z", 1 + i / 24, i % 24),
        "finished_at": format!("2026-11-{:02}T{:02}:00:30Z", 1 + i / 24, i % 24),
        "phases": [{"name": phase, "kind": "command", "errors": [],
                    "metrics": serde_json::from_str::<serde_json::Value>(&format!("[{}]", ms.join(",")))
                        .expect("metrics are JSON")}]
    })
    .to_string()
}

/// The `<script type="application/json">` data of a page.
fn page_data(html: &str) -> serde_json::Value {
    let open = "id=\"perfguard-data\">";
    let start = html.find(open).expect("the page has its data") + open.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).expect("the data is JSON")
}

#[test]
fn compare_format_html_prints_one_self_contained_page() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &results_json("api", "p", 0, 3, 99));
    let cur = write(dir.path(), "cur.json", &results_json("api", "p", 1, 3, 1));
    let out = perfguard(dir.path())
        .args(["compare", "--baseline"])
        .arg(&base)
        .arg("--current")
        .arg(&cur)
        .args(["--format", "html"])
        .output()
        .unwrap();
    // 30 % worse is major, short of the default `fail_on = "critical"`.
    assert_eq!(out.status.code(), Some(0));
    let html = String::from_utf8(out.stdout).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html:.200}");
    assert!(html.contains("<tr class=\"sev-major\"><td>p</td><td>m00</td>"));
    assert!(html.contains("<td>p</td><td>m00</td>"));
    // Three metrics with samples on both sides: three strip charts.
    let data = page_data(&html);
    let charts = data["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 3);
    assert_eq!(html.matches("class=\"chart\"").count(), 3);
    assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
}

#[test]
fn report_renders_saved_results_with_a_saved_comparison_and_history() {
    let dir = tempfile::tempdir().unwrap();
    let history: Vec<_> = (0..4)
        .map(|i| {
            write(
                dir.path(),
                &format!("h{i}.json"),
                &results_json("api", "p", i, 2, 99),
            )
        })
        .collect();
    let cur = write(dir.path(), "cur.json", &results_json("api", "p", 4, 2, 4));
    let mut compare = perfguard(dir.path());
    compare
        .args(["compare", "--baseline"])
        .arg(&history[3])
        .arg("--current")
        .arg(&cur)
        .args(["--format", "json"]);
    for h in &history {
        compare.arg("--history").arg(h);
    }
    let out = compare.output().unwrap();
    write(
        dir.path(),
        "comparison.json",
        &String::from_utf8(out.stdout).unwrap(),
    );
    let mut report = perfguard(dir.path());
    report.args([
        "report",
        "--html",
        "out/report.html",
        "--comparison",
        "comparison.json",
        "--current",
        "cur.json",
        "--baseline",
        "h3.json",
    ]);
    for i in 0..4 {
        report.arg("--history").arg(format!("h{i}.json"));
    }
    std::fs::create_dir(dir.path().join("out")).unwrap();
    report.assert().success();
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    let data = page_data(&html);
    let titles: Vec<&str> = data["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "p/m00: samples",
            "p/m00: history",
            "p/m01: samples",
            "p/m01: history"
        ]
    );
    let history_chart = &data["charts"][1];
    // Four earlier runs, then the current one.
    assert_eq!(history_chart["xlabels"].as_array().unwrap().len(), 5);
    assert_eq!(history_chart["xlabels"][4], "current");
}

#[test]
fn report_refuses_a_corrupt_comparison_or_results_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "broken.comparison.json", "{\"suite\": ");
    let out = perfguard(dir.path())
        .args([
            "report",
            "--html",
            "r.html",
            "--comparison",
            "broken.comparison.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.comparison.json"), "{stderr}");
    assert!(!dir.path().join("r.html").exists());

    write(dir.path(), "broken.json", "[1, 2");
    let out = perfguard(dir.path())
        .args(["report", "--html", "r.html", "--current", "broken.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
    assert!(!dir.path().join("r.html").exists());
}

#[test]
fn check_html_writes_the_report_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        "[suite]\nname = \"api\"\n\n[[phase]]\nname = \"noop\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 4\nwarmup = 0\n",
    );
    let out = perfguard(dir.path())
        .args([
            "check",
            "--no-save",
            "-o",
            "results.json",
            "--html",
            "report.html",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("No baseline yet"), "{html:.600}");
    // The command phase's runs chart and a strip per sampled metric.
    let data = page_data(&html);
    let titles: Vec<&str> = data["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles[0], "noop: each run");
    assert!(titles.contains(&"noop/wall: samples"), "{titles:?}");
}

/// A git repository whose baseline branch holds `runs` saves of each suite.
pub fn repository_with_history(dir: &Path, suites: &[(&str, &str)], runs: u32, metrics: usize) {
    git(dir, &["init", "-q", "-b", "main"]);
    write(
        dir,
        "perfguard.toml",
        "[suite]\nname = \"api\"\n\n[[phase]]\nname = \"noop\"\nkind = \"command\"\ncommand = [\"true\"]\n",
    );
    git(dir, &["add", "."]);
    git(dir, &["commit", "-q", "-m", "init"]);
    for (suite, phase) in suites {
        for i in 0..runs {
            let file = write(
                dir,
                "saved.json",
                &results_json(suite, phase, i, metrics, runs / 2),
            );
            perfguard(dir)
                .args(["baseline", "save"])
                .arg(&file)
                .assert()
                .success();
        }
    }
    std::fs::remove_file(dir.join("saved.json")).unwrap();
}

#[test]
fn the_dashboard_shows_every_suite_and_metric_of_the_baseline_branch() {
    let dir = tempfile::tempdir().unwrap();
    repository_with_history(dir.path(), &[("api", "p"), ("web", "q")], 12, 2);
    perfguard(dir.path())
        .args([
            "dashboard",
            "-o",
            "site",
            "--repo-url",
            "https://github.com/o/r/",
        ])
        .assert()
        .success();
    let html = std::fs::read_to_string(dir.path().join("site/index.html")).unwrap();
    let data = page_data(&html);
    assert_eq!(data["commit_url"], "https://github.com/o/r/commit/");
    let groups = data["groups"].as_array().unwrap();
    let names: Vec<String> = groups
        .iter()
        .map(|g| {
            format!(
                "{}/{}",
                g["suite"].as_str().unwrap(),
                g["environment"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["api/ci", "web/ci"]);
    for g in groups {
        assert_eq!(g["runs"].as_array().unwrap().len(), 12);
        let series = g["metrics"].as_array().unwrap();
        assert_eq!(series.len(), 2);
        // The 30 % step at the seventh run is found and placed there.
        for s in series {
            assert_eq!(s["steps"][0]["i"], 6, "{s}");
        }
    }
    assert_eq!(groups[0]["runs"][6]["sha"], format!("06{}", "b".repeat(38)));
}

#[test]
fn the_dashboard_refuses_a_repository_url_that_is_not_http() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfguard(dir.path())
        .args([
            "dashboard",
            "-o",
            "site",
            "--repo-url",
            "javascript:alert(1)//",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an http(s) URL"));
    assert!(!dir.path().join("site").exists());
}
