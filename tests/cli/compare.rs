//! `perfguard compare`: verdicts, formats and exit codes on results files.

use crate::common::{perfguard, write};
use serde_json::{Value, json};

/// A results file with one phase whose `wall` has ten samples around `ms`.
fn results(ms: f64, criteria: Value) -> String {
    let samples: Vec<f64> = (0..10)
        .map(|i| ms * 1e6 * (1.0 + i as f64 * 0.002))
        .collect();
    json!({
        "schema_version": 1,
        "suite": "demo",
        "environment": {"key": "env", "os": "Linux", "arch": "x86_64", "cpu_model": "cpu", "cores": 2, "memory_bytes": 1},
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:10Z",
        "phases": [{
            "name": "startup",
            "kind": "command",
            "errors": [],
            "metrics": [
                {"name": "wall", "unit": "ns", "direction": "lower", "value": samples[5], "samples": samples},
                {"name": "throughput", "unit": "per_second", "direction": "higher", "value": 1000.0 / ms}
            ],
            "criteria": criteria
        }]
    })
    .to_string()
}

#[test]
fn identical_results_pass() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", &results(10.0, json!({})));
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "a.json", "--current", "a.json"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        stdout.starts_with("✔ perfguard · demo · No performance change\n"),
        "{stdout}"
    );
}

#[test]
fn a_critical_regression_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.json", &results(10.0, json!({})));
    write(dir.path(), "new.json", &results(16.0, json!({})));
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "old.json", "--current", "new.json"])
        .assert()
        .code(1);
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(stdout.contains("critical"), "{stdout}");
    // Throughput fell too; without samples or history it is shown, not judged.
    assert!(stdout.contains("throughput"), "{stdout}");

    perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "old.json",
            "--current",
            "new.json",
            "--fail-on",
            "never",
        ])
        .assert()
        .success();
    // An improvement is never a failure.
    perfguard(dir.path())
        .args(["compare", "--baseline", "new.json", "--current", "old.json"])
        .assert()
        .success();
}

#[test]
fn thresholds_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.json", &results(10.0, json!({})));
    write(dir.path(), "new.json", &results(12.5, json!({})));
    perfguard(dir.path())
        .args(["compare", "--baseline", "old.json", "--current", "new.json"])
        .assert()
        .success();
    write(
        dir.path(),
        "strict.toml",
        "[thresholds]\nfail_on = \"major\"\n[[phase]]\nname = \"x\"\nkind = \"command\"\ncommand = [\"true\"]\n",
    );
    perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "old.json",
            "--current",
            "new.json",
            "-c",
            "strict.toml",
        ])
        .assert()
        .code(1);
    // ./perfguard.toml is used when -c is not given.
    std::fs::rename(
        dir.path().join("strict.toml"),
        dir.path().join("perfguard.toml"),
    )
    .unwrap();
    perfguard(dir.path())
        .args(["compare", "--baseline", "old.json", "--current", "new.json"])
        .assert()
        .code(1);
}

#[test]
fn a_failed_criterion_exits_1_whatever_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "a.json",
        &results(10.0, json!({"wall": "< 5ms"})),
    );
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "a.json", "--current", "a.json"])
        .assert()
        .code(1);
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("FAIL"));
}

#[test]
fn markdown_and_json_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.json", &results(10.0, json!({})));
    write(dir.path(), "new.json", &results(16.0, json!({})));
    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "old.json",
            "--current",
            "new.json",
            "--format",
            "md",
        ])
        .assert()
        .code(1);
    let md = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(md.starts_with("<!-- perfguard:demo -->\n### ❌"), "{md}");
    assert!(
        md.contains("### ❌ perfguard · demo · 1 regression: startup/wall +60 % (critical)\n"),
        "{md}"
    );
    // Above the fold: the regression with its interval, and what the data
    // could not judge; the evidence and the other metrics are folded.
    assert!(
        md.contains("| 🔴 critical | startup/wall | +60 % (+59 … +61 %) | 10.1 ms → 16.2 ms |"),
        "{md}"
    );
    assert!(
        md.contains("- insufficient data to judge startup/throughput (+38 % worse): no samples"),
        "{md}"
    );
    let (above, folded) = md.split_once("<details>").unwrap();
    assert!(!above.contains("p=&lt;0.001"), "{md}");
    assert!(
        folded.contains(
            "| startup | throughput | 100/s | 62.5/s | −37.5 % | ⚪ insufficient | 0 earlier runs |"
        ),
        "{md}"
    );

    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "old.json",
            "--current",
            "new.json",
            "--format",
            "json",
        ])
        .assert()
        .code(1);
    let v: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(v["verdict"], "fail");
    assert_eq!(v["worst"], "critical");
    let wall = &v["comparisons"][0];
    assert_eq!(wall["metric"], "wall");
    assert!((wall["change"].as_f64().unwrap() - 0.6).abs() < 1e-9);
    assert_eq!(wall["severity"], "critical");
    assert_eq!(v["comparisons"][1]["metric"], "throughput");
    assert!(
        v["comparisons"][1]["change"].as_f64().unwrap() > 0.0,
        "worse is positive for higher-is-better too"
    );
}

#[test]
fn broken_and_hostile_results_files_exit_2_with_their_path() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.json", &results(10.0, json!({})));
    let mut v: Value = serde_json::from_str(&results(10.0, json!({}))).unwrap();
    v["phases"][0]["metrics"][1]["value"] = json!("NaN");
    let nan_value = v.to_string();
    // 1e999 would be infinity: refused by the parser.
    let inf_sample = results(10.0, json!({})).replacen("\"samples\":[", "\"samples\":[1e999,", 1);
    let cases: &[(&str, &str, &str)] = &[
        (
            "truncated.json",
            "{\"schema_version\": 1,\n  \"suite\": \"x\",\n  \"phases\": [",
            "line 3",
        ),
        ("empty.json", "", "line 1"),
        ("array.json", "[1, 2]", "schema_version"),
        (
            "newer.json",
            "{\"schema_version\": 7}",
            "newer than this perfguard reads",
        ),
        (
            "shape.json",
            "{\"schema_version\": 1, \"suite\": 5}",
            "at `suite`",
        ),
        ("nan.json", &nan_value, "phases[0].metrics[1].value"),
        ("inf.json", &inf_sample, "number out of range"),
    ];
    for (name, text, expected) in cases {
        write(dir.path(), name, text);
        let out = perfguard(dir.path())
            .args(["compare", "--baseline", name, "--current", "ok.json"])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(
            stderr.contains(name) && stderr.contains(expected),
            "{name}: {stderr}"
        );
    }
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "nope.json", "--current", "ok.json"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("nope.json"), "{stderr}");
    // The cause is in the message; the chain does not print it again.
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "{stderr}"
    );
}

#[test]
fn a_baseline_that_is_neither_file_latest_nor_sha_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "ok.json", &results(10.0, json!({})));
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "yesterday", "--current", "ok.json"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("`yesterday` is not a file, `latest`, or a commit SHA"),
        "{stderr}"
    );
}

#[test]
fn a_non_ascii_commit_sha_is_shown_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let mut v: Value = serde_json::from_str(&results(10.0, json!({}))).unwrap();
    // A results file from elsewhere: the SHA is any text, cut on characters.
    v["git"] = json!({"sha": "ééééééééé", "ref": "refs/heads/main"});
    write(dir.path(), "a.json", &v.to_string());
    for format in ["terminal", "md", "json"] {
        let out = perfguard(dir.path())
            .args(["compare", "--baseline", "a.json", "--current", "a.json"])
            .args(["--format", format])
            .assert()
            .success();
        let stdout = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
        if format != "json" {
            assert!(stdout.contains("ééééééé"), "{format}: {stdout}");
        }
    }
}

#[test]
fn a_phase_error_in_the_current_run_exits_3_when_nothing_regressed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old.json", &results(10.0, json!({})));
    let mut cur: Value = serde_json::from_str(&results(10.0, json!({}))).unwrap();
    cur["phases"][0]["errors"] =
        json!([{"message": "run 3 of `x` exited with code 1", "exit_code": 1}]);
    write(dir.path(), "cur.json", &cur.to_string());
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "old.json", "--current", "cur.json"])
        .assert()
        .code(3);
    assert!(String::from_utf8_lossy(&out.get_output().stdout).contains("exited with code 1"));
}

#[test]
fn a_device_is_refused_at_once_and_a_fifo_without_a_writer_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", &results(10.0, json!({})));
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "a.json", "--current", "/dev/zero"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("character device"),
        "{stderr}"
    );

    let status = std::process::Command::new("mkfifo")
        .arg(dir.path().join("fifo"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = perfguard(dir.path())
        .args(["compare", "--baseline", "a.json", "--current", "fifo"])
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("fifo") && stderr.contains("line 1"),
        "{stderr}"
    );
}

#[test]
fn results_arrive_through_a_pipe_and_the_input_limit_is_a_setting() {
    let dir = tempfile::tempdir().unwrap();
    let text = results(10.0, json!({}));
    write(dir.path(), "a.json", &text);
    perfguard(dir.path())
        .args(["compare", "--baseline", "a.json", "--current", "/dev/stdin"])
        .write_stdin(text.clone())
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .success();

    // Over the limit: refused before it is read, whatever it holds.
    let padded = format!("{text}{}", " ".repeat(2 << 20));
    write(dir.path(), "big.json", &padded);
    let out = perfguard(dir.path())
        .env("PERFGUARD_MAX_INPUT_MIB", "1")
        .args(["compare", "--baseline", "a.json", "--current", "big.json"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("big.json is larger than 1 MiB")
            && stderr.contains("PERFGUARD_MAX_INPUT_MIB"),
        "{stderr}"
    );
    perfguard(dir.path())
        .env("PERFGUARD_MAX_INPUT_MIB", "3")
        .args(["compare", "--baseline", "a.json", "--current", "big.json"])
        .assert()
        .success();
    let out = perfguard(dir.path())
        .env("PERFGUARD_MAX_INPUT_MIB", "lots")
        .args(["compare", "--baseline", "a.json", "--current", "big.json"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("PERFGUARD_MAX_INPUT_MIB=\"lots\""),
        "{stderr}"
    );
}

#[test]
fn a_newline_in_names_never_starts_a_workflow_command_on_stdout_or_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = |ms: f64| {
        let mut v: Value = serde_json::from_str(&results(ms, json!({"wall": "< 1ns"}))).unwrap();
        v["suite"] = json!("api\n::warning::x");
        v["environment"]["key"] = json!("env\n::error::y");
        v["phases"][0]["name"] = json!("startup\r\n::error file=a::z");
        v["phases"][0]["metrics"][0]["name"] = json!("wall\n::notice::w");
        v["git"] = json!({"sha": "1a2b3c4", "ref": "refs/heads/main\n::warning::r"});
        v.to_string()
    };
    write(dir.path(), "old.json", &hostile(10.0));
    write(dir.path(), "new.json", &hostile(16.0));
    for format in ["terminal", "md"] {
        let out = perfguard(dir.path())
            .args(["compare", "--baseline", "old.json", "--current", "new.json"])
            .args(["--format", format])
            .assert()
            .code(1);
        let out = out.get_output();
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            for line in text.lines() {
                assert!(!line.starts_with("::"), "{format}: {line:?} in\n{text}");
            }
        }
    }
}
