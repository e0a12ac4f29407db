//! `perfguard ingest` and `kind = "ingest"` phases, as users run them.

use crate::common::{perfguard, write};
use perfguard::results::Run;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(name)
}

fn copy_fixture(dir: &Path, name: &str, to: &str) -> PathBuf {
    let dest = dir.join(to);
    std::fs::copy(fixture(name), &dest).unwrap();
    dest
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn ingest_writes_results_with_a_phase_named_after_the_format() {
    let dir = tempfile::tempdir().unwrap();
    perfguard(dir.path())
        .args(["ingest", "-o", "r.json", "--suite", "api"])
        .arg(fixture("go-bench.txt"))
        .assert()
        .code(0);
    let run = Run::read(&dir.path().join("r.json")).unwrap();
    assert_eq!(run.suite, "api");
    assert_eq!(run.phases.len(), 1);
    assert_eq!(run.phases[0].name, "go");
    assert!(run.phases[0].metric("BenchmarkJoin-2.allocs/op").is_some());
}

#[test]
fn results_of_differently_named_files_compare() {
    let dir = tempfile::tempdir().unwrap();
    let a = copy_fixture(dir.path(), "hyperfine.json", "monday.json");
    let b = copy_fixture(dir.path(), "hyperfine.json", "tuesday-export.json");
    for (input, out) in [(&a, "base.json"), (&b, "head.json")] {
        perfguard(dir.path())
            .args(["ingest", "--format", "hyperfine", "-o", out])
            .arg(input)
            .assert()
            .code(0);
    }
    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "base.json",
            "--current",
            "head.json",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("sleep 0.01"), "{text}");
    assert!(
        !text.contains("\"new\""),
        "every metric has a baseline: {text}"
    );
}

#[test]
fn phase_option_names_the_phase() {
    let dir = tempfile::tempdir().unwrap();
    perfguard(dir.path())
        .args(["ingest", "--phase", "parser", "-o", "r.json"])
        .arg(fixture("criterion"))
        .assert()
        .code(0);
    let run = Run::read(&dir.path().join("r.json")).unwrap();
    assert_eq!(run.phases[0].name, "parser");
    assert!(run.phases[0].metric("fib 15").is_some());
}

#[test]
fn several_formats_become_several_phases() {
    let dir = tempfile::tempdir().unwrap();
    perfguard(dir.path())
        .args(["ingest", "-o", "r.json"])
        .arg(fixture("benchmarkjs.txt"))
        .arg(fixture("k6-summary.json"))
        .assert()
        .code(0);
    let run = Run::read(&dir.path().join("r.json")).unwrap();
    let names: Vec<&str> = run.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["benchmarkjs", "k6"]);
}

#[test]
fn markdown_report_escapes_harness_names_that_results_keep_verbatim() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "<img src=x onerror=alert(1)> | **x** [y](http://e)";
    write(
        dir.path(),
        "base.json",
        &format!(r#"{{"benchmarks": [{{"name": "{hostile}", "value": 10, "unit": "ms"}}]}}"#),
    );
    write(
        dir.path(),
        "head.json",
        &format!(r#"{{"benchmarks": [{{"name": "{hostile}", "value": 30, "unit": "ms"}}]}}"#),
    );
    for (input, out) in [("base.json", "b.json"), ("head.json", "h.json")] {
        perfguard(dir.path())
            .args(["ingest", input, "-o", out])
            .assert()
            .code(0);
    }
    let run = Run::read(&dir.path().join("h.json")).unwrap();
    assert_eq!(run.phases[0].metrics[0].name, hostile);
    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "b.json",
            "--current",
            "h.json",
            "--format",
            "md",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a 200 % slowdown is critical");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(!md.contains("<img"), "{md}");
    assert!(
        md.contains("&lt;img src=x onerror=alert(1)&gt; &#124; \\*\\*x\\*\\*"),
        "{md}"
    );
}

#[test]
fn broken_input_exits_2_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cut.json",
        "{\"results\": [\n  {\"command\": \"x\",\n   \"mean\": 0.1,",
    );
    let out = perfguard(dir.path())
        .args(["ingest", "cut.json", "-o", "r.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("cut.json"), "{err}");
    assert!(!dir.path().join("r.json").exists(), "nothing half-written");

    let out = perfguard(dir.path())
        .args([
            "ingest",
            "--format",
            "hyperfine",
            "cut.json",
            "-o",
            "r.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cut.json:3: hyperfine output"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_shapes_and_formats_exit_2_with_the_choices() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", "nothing to see\n");
    let out = perfguard(dir.path())
        .args(["ingest", "notes.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot tell the format of notes.txt"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--format"), "{}", stderr(&out));
    let out = perfguard(dir.path())
        .args(["ingest", "--format", "nunit", "notes.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("google-benchmark"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn oversized_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    // Sparse: the size is what counts, not the bytes written.
    std::fs::File::create(&big)
        .unwrap()
        .set_len((perfguard::input::DEFAULT_MAX_MIB << 20) + 1)
        .unwrap();
    let out = perfguard(dir.path())
        .args(["ingest", "big.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("larger than 1024 MiB, the input limit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn ingest_phase_reads_a_commands_output_and_globbed_files() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path(), "go-bench.txt", "bench.txt");
    std::fs::create_dir(dir.path().join("out")).unwrap();
    copy_fixture(dir.path(), "jmh.json", "out/one.json");
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[suite]
name = "mixed"

[[phase]]
name = "go-micro"
kind = "ingest"
command = ["cat", "bench.txt"]
format = "go"
criteria = { "BenchmarkFib15-2" = "< 1s" }

[[phase]]
name = "java"
kind = "ingest"
files = ["out/*.json"]
"#,
    );
    perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .assert()
        .code(0);
    let run = Run::read(&dir.path().join("r.json")).unwrap();
    let go = run.phase("go-micro").unwrap();
    assert!(go.errors.is_empty(), "{:?}", go.errors);
    assert_eq!(go.metric("BenchmarkFib15-2").unwrap().samples.len(), 3);
    assert_eq!(go.criteria["BenchmarkFib15-2"], "< 1s");
    let java = run.phase("java").unwrap();
    assert!(java.metric("org.example.ParseBench.tokenize").is_some());
}

#[test]
fn ingest_phase_failures_exit_3_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "bench"
kind = "ingest"
command = "echo oops >&2; exit 4"
shell = true

[[phase]]
name = "nothing"
kind = "ingest"
files = ["missing/*.json"]
"#,
    );
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let run = Run::read(&dir.path().join("r.json")).unwrap();
    let bench = &run.phase("bench").unwrap().errors[0];
    assert_eq!(bench.exit_code, Some(4));
    assert_eq!(bench.stderr_tail.as_deref(), Some("oops"));
    let nothing = &run.phase("nothing").unwrap().errors[0];
    assert!(
        nothing.message.contains("no file matches"),
        "{}",
        nothing.message
    );
}

#[test]
fn ingest_phase_timeout_kills_the_command() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "slow"
kind = "ingest"
command = ["sleep", "30"]
timeout = "200ms"
"#,
    );
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let run = Run::read(&dir.path().join("r.json")).unwrap();
    assert!(run.phases[0].errors[0].message.contains("timed out"));
}

#[test]
fn ingest_phase_config_errors_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (body, key, says) in [
        ("", "phase[0].files", "needs `files`"),
        (
            "files = [\"x\"]\nformat = \"nunit\"",
            "phase[0].format",
            "unknown format `nunit`",
        ),
        (
            "command = \"cargo bench\"",
            "phase[0].command",
            "shell = true",
        ),
        (
            "files = [\"x\"]\nfile = \"y\"",
            "phase[0]",
            "unknown field `file`",
        ),
    ] {
        write(
            dir.path(),
            "perfguard.toml",
            &format!("[[phase]]\nname = \"p\"\nkind = \"ingest\"\n{body}\n"),
        );
        let out = perfguard(dir.path()).args(["run"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{body}");
        let err = stderr(&out);
        assert!(err.contains(key) && err.contains(says), "{body}: {err}");
    }
}

#[test]
fn without_output_the_results_go_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfguard(dir.path())
        .arg("ingest")
        .arg(fixture("catch2.xml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run = Run::from_json(&String::from_utf8(out.stdout).unwrap(), Path::new("stdout")).unwrap();
    assert_eq!(run.phases[0].name, "catch2");
    assert_eq!(run.phases[0].metrics[1].name, "fib <b>20</b> | *md*");
}

#[test]
fn a_benchmark_the_harness_reports_failed_exits_3_naming_it() {
    // libtest's output with one #[bench] that panicked (`... FAILED`).
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path(), "cargo-bench-failed.txt", "bench.txt");
    let out = perfguard(dir.path())
        .args(["ingest", "bench.txt", "-o", "r.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(
        err.contains("bench.txt:3: cargo-bench output: `broken` FAILED"),
        "{err}"
    );
    assert!(!dir.path().join("r.json").exists());
    // As a phase: a phase error, the other benchmark not silently kept.
    write(
        dir.path(),
        "perfguard.toml",
        "[[phase]]\nname = \"rust\"\nkind = \"ingest\"\nfiles = [\"bench.txt\"]\n",
    );
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let run = Run::read(&dir.path().join("r.json")).unwrap();
    let rust = run.phase("rust").unwrap();
    assert!(
        rust.errors[0].message.contains("`broken` FAILED"),
        "{:?}",
        rust.errors
    );
    assert!(rust.metrics.is_empty());
}

#[test]
fn results_the_previous_release_saved_still_match_every_metric() {
    // `previous-release-results.json` was written by the release before
    // names were qualified (schema_version 1): `perfguard ingest` of
    // go-bench.txt, catch2-console.txt, benchmarkjs.txt, cargo-bench.txt and
    // benchmarkdotnet.json. Today's ingest of the same files pairs with
    // every one of its metrics: none new, none missing.
    let dir = tempfile::tempdir().unwrap();
    let mut ingest = perfguard(dir.path());
    ingest.args(["ingest", "--suite", "compat", "-o", "head.json"]);
    for f in [
        "go-bench.txt",
        "catch2-console.txt",
        "benchmarkjs.txt",
        "cargo-bench.txt",
        "benchmarkdotnet.json",
    ] {
        ingest.arg(fixture(f));
    }
    ingest.assert().code(0);
    let previous = fixture("previous-release-results.json");
    let out = perfguard(dir.path())
        .args(["compare", "--current", "head.json", "--format", "json"])
        .arg("--baseline")
        .arg(&previous)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains("\"new\""), "{text}");
    assert!(!text.contains("\"missing\""), "{text}");
    let old = Run::read(&previous).unwrap();
    let head = Run::read(&dir.path().join("head.json")).unwrap();
    for phase in &old.phases {
        for m in &phase.metrics {
            let now = head.phase(&phase.name).unwrap().metric(&m.name).unwrap();
            // Equal, but for the last bit the previous release lost reading
            // JSON (benchmarkdotnet.json's 211.05333333333334 was saved as
            // 211.05333333333337; float_roundtrip reads it exactly now).
            assert!(
                (now.value - m.value).abs() <= 4.0 * f64::EPSILON * m.value.abs(),
                "{}/{}: {} then {}",
                phase.name,
                m.name,
                m.value,
                now.value
            );
        }
    }
}

#[test]
fn new_formats_are_detected_and_their_failures_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    for (fixture_name, phase) in [
        ("libtest.json", "cargo-bench"),
        ("go-test-json-packages.jsonl", "go"),
        ("bmf.json", "bmf"),
        ("vitest.json", "vitest"),
        ("asv.json", "asv"),
        ("ruby-benchmark-ips.json", "ruby"),
        ("luau-bench.txt", "luau"),
        ("dart-benchmark-harness.txt", "dart"),
        ("js-time-console.txt", "js-time"),
        ("js-time-shell.txt", "js-time"),
    ] {
        copy_fixture(dir.path(), fixture_name, fixture_name);
        let out = perfguard(dir.path())
            .args(["ingest", fixture_name, "-o", "r.json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{fixture_name}: {}",
            stderr(&out)
        );
        let run = Run::read(&dir.path().join("r.json")).unwrap();
        assert_eq!(run.phases[0].name, phase, "{fixture_name}");
        assert!(!run.phases[0].metrics.is_empty(), "{fixture_name}");
    }
    // github-action-benchmark's custom JSON needs its direction named.
    copy_fixture(
        dir.path(),
        "github-action-benchmark-custom.json",
        "custom.json",
    );
    let out = perfguard(dir.path())
        .args(["ingest", "custom.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("custom-smaller-is-better"),
        "{}",
        stderr(&out)
    );
    perfguard(dir.path())
        .args([
            "ingest",
            "--format",
            "custom-bigger-is-better",
            "custom.json",
            "-o",
            "c.json",
        ])
        .assert()
        .code(0);
    // Failed benchmarks in the new formats: exit 3, naming file and line.
    for (fixture_name, says) in [
        (
            "libtest-failed.json",
            "libtest-failed.json:3: cargo-bench output: `broken` failed",
        ),
        (
            "go-test-json-failed.jsonl",
            "go-test-json-failed.jsonl:10: go output: `BenchmarkBroken` failed",
        ),
        (
            "vitest-failed.json",
            "vitest-failed.json:36: vitest output:",
        ),
        (
            "asv-failed.json",
            "asv-failed.json:1: asv output: `bench.time_broken`: failed",
        ),
        (
            "go-bench-panic.txt",
            "go-bench-panic.txt:6: go output: a benchmark `BenchmarkPanics` failed",
        ),
    ] {
        copy_fixture(dir.path(), fixture_name, fixture_name);
        let out = perfguard(dir.path())
            .args(["ingest", fixture_name, "-o", "f.json"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{fixture_name}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(says), "{}", stderr(&out));
        assert!(!dir.path().join("f.json").exists());
    }
}
