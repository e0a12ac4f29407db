//! `perfguard run`: measuring command phases end to end.

use crate::common::{perfguard, write};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};

fn results(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `perfguard run -o r.json` in `dir`, which must pass; the results.
fn run_ok(dir: &Path) -> Value {
    perfguard(dir)
        .args(["run", "-o", "r.json"])
        .assert()
        .success();
    results(&dir.join("r.json"))
}

fn metric<'a>(v: &'a Value, phase: &str, name: &str) -> &'a Value {
    let p = v["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == phase)
        .expect("phase");
    p["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .expect("metric")
}

#[test]
fn run_writes_the_results_contract() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        "[suite]\nname = \"demo\"\n[[phase]]\nname = \"true\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 5\n",
    );
    perfguard(dir.path())
        .args(["run", "-o", "results.json"])
        .assert()
        .success();
    let v = results(&dir.path().join("results.json"));
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["suite"], "demo");
    for key in ["os", "arch", "cpu_model", "cores", "memory_bytes", "key"] {
        assert!(!v["environment"][key].is_null(), "environment.{key}");
    }
    assert!(v["started_at"].is_string() && v["finished_at"].is_string());
    assert!(v.get("partial").is_none());
    let phase = &v["phases"][0];
    assert_eq!(phase["kind"], "command");
    assert_eq!(phase["errors"].as_array().unwrap().len(), 0);
    let names: Vec<&str> = phase["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "wall",
            "wall.mean",
            "wall.p95",
            "wall.p99",
            "user",
            "sys",
            "memory.peak"
        ]
    );
    let wall = metric(&v, "true", "wall");
    assert_eq!(wall["unit"], "ns");
    assert_eq!(wall["direction"], "lower");
    let samples: Vec<f64> = wall["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_f64().unwrap())
        .collect();
    assert_eq!(samples.len(), 5);
    // Nanosecond resolution: not rounded to whole microseconds or milliseconds.
    assert!(samples.iter().any(|s| s % 1000.0 != 0.0), "{samples:?}");
    assert_eq!(metric(&v, "true", "memory.peak")["unit"], "bytes");
}

#[test]
fn a_failing_phase_exits_3_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "broken"
kind = "command"
command = "echo first line >&2; echo 'it broke' >&2; exit 4"
shell = true

[[phase]]
name = "fine"
kind = "command"
command = ["true"]
runs = 3
"#,
    );
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("phase broken failed"), "{stderr}");
    let v = results(&dir.path().join("r.json"));
    let broken = &v["phases"][0];
    assert_eq!(broken["errors"][0]["exit_code"], 4);
    assert!(
        broken["errors"][0]["stderr_tail"]
            .as_str()
            .unwrap()
            .ends_with("it broke")
    );
    assert_eq!(
        metric(&v, "fine", "wall")["samples"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[test]
fn a_config_error_exits_2_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        "[[phase]]\nname = \"side effect\"\nkind = \"command\"\ncommand = [\"touch\", \"ran\"]\nwarmpu = 3\n",
    );
    let out = perfguard(dir.path()).arg("run").assert().code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("perfguard.toml:5:1: `phase[0].warmpu`: unknown field `warmpu`"),
        "{stderr}"
    );
    assert!(!dir.path().join("ran").exists());
}

#[test]
fn a_missing_config_or_phase_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    perfguard(dir.path()).arg("run").assert().code(2);
    write(
        dir.path(),
        "perfguard.toml",
        "[[phase]]\nname = \"a\"\nkind = \"command\"\ncommand = [\"true\"]\n",
    );
    let out = perfguard(dir.path())
        .args(["run", "--phase", "b"])
        .assert()
        .code(2);
    assert!(String::from_utf8_lossy(&out.get_output().stderr).contains("no phase named `b`"));
}

#[test]
fn phase_selection_runs_only_the_named_phases() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        "[[phase]]\nname = \"a\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 2\n[[phase]]\nname = \"b\"\nkind = \"command\"\ncommand = [\"touch\", \"b-ran\"]\nruns = 2\n",
    );
    perfguard(dir.path())
        .args(["run", "--phase", "a", "-o", "r.json"])
        .assert()
        .success();
    let v = results(&dir.path().join("r.json"));
    assert_eq!(v["phases"].as_array().unwrap().len(), 1);
    assert!(!dir.path().join("b-ran").exists());
}

#[test]
fn the_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "hangs"
kind = "command"
command = "sleep 30 & echo $! > grandchild.pid; wait"
shell = true
warmup = 0
runs = 1
timeout = "500ms"
"#,
    );
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("timeout"), "{stderr}");
    let pid: i32 = std::fs::read_to_string(dir.path().join("grandchild.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // The grandchild was in the killed group: it is gone (or a zombie
    // awaiting its new parent's reaping), not still sleeping.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if !crate::common::alive(pid) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "grandchild {pid} survived the timeout"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn peak_memory_is_measured_per_run_not_inherited() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "big"
kind = "command"
command = ["python3", "-c", "x = b'x' * (200 * 1024 * 1024)"]
warmup = 0
runs = 2

[[phase]]
name = "small"
kind = "command"
command = ["true"]
warmup = 0
runs = 2
"#,
    );
    let v = run_ok(dir.path());
    let big = metric(&v, "big", "memory.peak")["value"].as_f64().unwrap();
    let small = metric(&v, "small", "memory.peak")["value"]
        .as_f64()
        .unwrap();
    assert!(big >= 200.0 * 1024.0 * 1024.0, "big: {big}");
    assert!(
        small < 64.0 * 1024.0 * 1024.0,
        "small inherited a peak: {small}"
    );
}

#[test]
fn memory_peak_of_a_tiny_command_is_not_perfguards_own_size() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "true"
kind = "command"
command = ["true"]
warmup = 0
runs = 3
"#,
    );
    let v = run_ok(dir.path());
    let peak = metric(&v, "true", "memory.peak")["value"].as_f64().unwrap();
    // `/usr/bin/time` reads about 1 MiB for `true`; perfguard itself is
    // over 10 MiB resident, which a child spawned from it used to inherit.
    // On Linux the runs come from the launcher, about 1 MiB itself;
    // perfguard's own forking spawner reads more in a debug build (below).
    let bound = if cfg!(target_os = "linux") { 2.0 } else { 4.0 };
    assert!(peak > 0.0, "no reading: {peak}");
    assert!(
        peak < bound * 1024.0 * 1024.0,
        "`true` read {:.1} MiB",
        peak / 1024.0 / 1024.0
    );
}

/// A phase that writes the executable of its runs' parent process (the
/// launcher or perfguard's own spawner) to `parent`.
const PARENT_PHASE: &str = r#"
[[phase]]
name = "parent"
kind = "command"
command = ["sh", "-c", "readlink /proc/$PPID/exe > parent"]
warmup = 0
runs = 1
"#;

#[test]
fn the_forking_spawner_measures_where_the_launcher_does_not_run() {
    // perfguard forks its runs from its own spawner where the launcher
    // cannot start (not Linux, or a kernel that will not execute it); the
    // variable forces that path here.
    let dir = tempfile::tempdir().unwrap();
    let config = [
        r#"
[[phase]]
name = "true"
kind = "command"
command = ["true"]
warmup = 1
runs = 3

[[phase]]
name = "fails"
kind = "command"
command = ["sh", "-c", "echo first >&2; echo last words >&2; exit 3"]
runs = 2

"#,
        PARENT_PHASE,
        r#"
[[phase]]
name = "missing"
kind = "command"
command = ["perfguard-no-such-program"]
runs = 2
"#,
    ]
    .concat();
    write(dir.path(), "perfguard.toml", &config);
    let out = perfguard(dir.path())
        .env("PERFGUARD_INTERNAL_SPAWNER", "fork")
        .args(["run", "-o", "r.json"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("| last words"), "{said}");
    assert!(
        said.contains("cannot start `perfguard-no-such-program`: No such file or directory"),
        "{said}"
    );
    let v = results(&dir.path().join("r.json"));
    assert_eq!(
        metric(&v, "true", "wall")["samples"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // A forked run starts with a copy of the spawner's own anonymous memory:
    // about 1 MiB in a release build, several in this debug one (5.1 MiB
    // seen), and still well under perfguard's own size.
    let peak = metric(&v, "true", "memory.peak")["value"].as_f64().unwrap();
    assert!(
        peak > 0.0 && peak < 10.0 * 1024.0 * 1024.0,
        "`true` read {peak} bytes"
    );
    // The runs' parent was perfguard's own executable, not the launcher.
    if cfg!(target_os = "linux") {
        let parent = std::fs::read_to_string(dir.path().join("parent")).unwrap();
        assert!(parent.trim_end().ends_with("perfguard"), "{parent}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn on_linux_runs_are_spawned_by_the_launcher() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "perfguard.toml", PARENT_PHASE);
    run_ok(dir.path());
    let parent = std::fs::read_to_string(dir.path().join("parent")).unwrap();
    assert!(parent.starts_with("/memfd:perfguard-launcher"), "{parent}");
}

#[test]
fn sigterm_writes_the_results_measured_so_far_marked_partial() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "first"
kind = "command"
command = ["touch", "first-ran"]
warmup = 0
runs = 2

[[phase]]
name = "second"
kind = "command"
command = ["sh", "-c", "touch second-ran; exec sleep 30"]
warmup = 0
runs = 3
"#,
    );
    let bin = assert_cmd::cargo::cargo_bin("perfguard");
    let mut child = std::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["run", "-o", "r.json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    // The second phase's first run marks its start: by then the first
    // phase has made both its runs, however slow the machine.
    while !dir.path().join("second-ran").exists() {
        assert!(Instant::now() < deadline, "second phase never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("perfguard did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3));
    let v = results(&dir.path().join("r.json"));
    assert_eq!(v["partial"], true);
    assert_eq!(
        metric(&v, "first", "wall")["samples"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn runs_inside_a_repository_record_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    write(
        dir.path(),
        "perfguard.toml",
        "[[phase]]\nname = \"a\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 1\n",
    );
    git(&["add", "."]);
    git(&["commit", "-qm", "init"]);
    let v = run_ok(dir.path());
    assert_eq!(v["git"]["sha"].as_str().unwrap().len(), 40);
    assert_eq!(v["git"]["ref"], "refs/heads/main");
}

#[test]
fn schema_prints_the_committed_json_schema() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfguard(dir.path()).arg("schema").assert().success();
    let printed = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert_eq!(printed, include_str!("../../docs/perfguard.schema.json"));
}

#[test]
fn a_process_left_running_in_the_background_ends_with_perfguard() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "leaks"
kind = "command"
command = "sleep 3117 & echo $! >> background.pids; echo started"
shell = true
warmup = 0
runs = 2
cleanup = "sleep 3118 & echo $! >> background.pids"
"#,
    );
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .timeout(Duration::from_secs(120))
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    let pids: Vec<i32> = std::fs::read_to_string(dir.path().join("background.pids"))
        .unwrap()
        .lines()
        .map(|l| l.trim().parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 3);
    for pid in &pids {
        // Gone the moment perfguard exited: it was ended and reaped.
        assert!(!crate::common::alive(*pid), "{pid} outlived perfguard");
        // Named by what it runs when it is ended: `sleep`, or `sh` when the
        // cleanup's background child had not yet exec'd sleep (the launcher
        // returns from a run fast enough to catch it there).
        assert!(
            stderr.contains(&format!("ended sleep (pid {pid}), left running by a phase"))
                || stderr.contains(&format!("ended sh (pid {pid}), left running by a phase")),
            "{stderr}"
        );
    }
}

#[test]
fn a_cleanup_that_hangs_is_bounded_by_the_phase_timeout() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        r#"
[[phase]]
name = "stuck"
kind = "command"
command = ["true"]
warmup = 0
runs = 1
timeout = "1s"
cleanup = ["sleep", "600"]
"#,
    );
    let started = Instant::now();
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .timeout(Duration::from_secs(120))
        .assert()
        .code(3);
    assert!(started.elapsed() < Duration::from_secs(100));
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("cleanup command was killed after 1 s"),
        "{stderr}"
    );
    let r = results(&dir.path().join("r.json"));
    assert!(metric(&r, "stuck", "wall")["value"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_suite_that_cannot_be_saved_is_refused_before_any_phase_runs() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["api\\u0000x".to_owned(), "a".repeat(5000)] {
        write(
            dir.path(),
            "perfguard.toml",
            &format!(
                "[suite]\nname = \"{name}\"\n[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = \"touch ran\"\nshell = true\n"
            ),
        );
        let out = perfguard(dir.path())
            .args(["check", "--no-save"])
            .assert()
            .code(2);
        let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
        assert!(stderr.contains("`suite.name`"), "{stderr}");
        assert!(!dir.path().join("ran").exists(), "a phase ran");
    }
}

#[test]
fn a_missing_cwd_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        "[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = [\"true\"]\ncwd = \"nowhere\"\n",
    );
    let out = perfguard(dir.path())
        .args(["run", "-o", "r.json"])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("the phase's `cwd`")
            && stderr.contains("nowhere")
            && stderr.contains("does not exist"),
        "{stderr}"
    );
    assert!(!stderr.contains("cannot start"), "{stderr}");
}

#[test]
fn baseline_list_limit_zero_is_a_usage_error_not_no_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfguard(dir.path())
        .args(["baseline", "list", "--limit", "0"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        stderr.contains("--limit") && !stderr.contains("no baselines"),
        "{stderr}"
    );
}

/// A `run` with no command phase never uses the spawner it forked at start;
/// that idle spawner is perfguard's own and is ended quietly, whatever the
/// executable is called (a renamed binary once read as a phase's leftover).
#[test]
fn an_unused_spawner_is_not_reported_as_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("pg-renamed");
    std::fs::copy(assert_cmd::cargo::cargo_bin("perfguard"), &renamed).unwrap();
    write(
        dir.path(),
        "bench.txt",
        "test a ... bench:         100 ns/iter (+/- 5)\n",
    );
    write(
        dir.path(),
        "perfguard.toml",
        "[[phase]]\nname = \"a\"\nkind = \"ingest\"\nformat = \"cargo-bench\"\nfiles = [\"bench.txt\"]\n",
    );
    let out = std::process::Command::new(&renamed)
        .args(["run", "-o", "r.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("left running"), "{stderr}");
}
