//! `perfguard paired`: a real git repository, a real worktree of the
//! merge-base, real child processes run interleaved.

use crate::common::{perfguard, write};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The phase holds `size` bytes in a shell variable, so its peak memory
/// follows the checkout's `size` file.
const CONFIG: &str = r#"
[suite]
name = "paired-demo"

[compare]
build = ["sh", "-c", "echo built > build-stamp"]

[[phase]]
name = "hold"
kind = "command"
shell = true
command = "x=$(head -c $(cat size) /dev/zero | tr '\\000' a); : ${#x}"
runs = 8
warmup = 0
"#;

/// A repository whose `main` holds 1 MB and whose checked-out `feature`
/// branch holds `feature_size` bytes.
fn repo(feature_size: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "perfguard.toml", CONFIG);
    write(d, "size", "1000000");
    write(d, ".gitignore", "build-stamp\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "base"]);
    git(d, &["checkout", "-qb", "feature"]);
    write(d, "size", feature_size);
    git(d, &["commit", "-qam", "feature", "--allow-empty"]);
    dir
}

#[test]
fn a_memory_regression_against_the_merge_base_exits_1_confirmed() {
    // 48 MB against 1 MB: far past `critical` whatever perfguard's own
    // resident size adds to both sides (Linux counts the spawner at exec).
    let dir = repo("48000000");
    let out = perfguard(dir.path())
        .args([
            "paired", "--base", "main", "--format", "json", "--save", "runs",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("building base") && stderr.contains("confirming"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mem = json["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "memory.peak")
        .unwrap();
    assert_eq!(mem["severity"], "critical", "{mem}");
    assert_eq!(mem["method"], "wilcoxon signed-rank");
    assert_eq!(mem["baseline_samples"], 8);
    assert_eq!(mem["confirmation"]["held"], true);
    // Both sides were built, the base in its own worktree, now removed.
    assert!(dir.path().join("build-stamp").is_file());
    assert_eq!(git(dir.path(), &["worktree", "list"]).lines().count(), 1);
    let base = std::fs::read_to_string(dir.path().join("runs/base.json")).unwrap();
    let main_sha = git(dir.path(), &["rev-parse", "main"]);
    assert!(
        base.contains(&main_sha),
        "the base run names the merge-base"
    );
}

#[test]
fn the_same_code_on_both_sides_passes() {
    let dir = repo("1000000");
    let out = perfguard(dir.path())
        .args([
            "paired",
            "--base",
            "main",
            "--format",
            "json",
            "--html",
            "report.html",
        ])
        .output()
        .unwrap();
    // The HTML report draws the base's samples beside the head's.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let open = "id=\"perfguard-data\">";
    let start = html.find(open).unwrap() + open.len();
    let data: serde_json::Value =
        serde_json::from_str(&html[start..start + html[start..].find("</script>").unwrap()])
            .unwrap();
    let strip = data["charts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["xkind"] == "group")
        .expect("a samples chart");
    let counts: Vec<usize> = (0..2)
        .map(|i| {
            strip["series"][i]["values"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|v| !v.is_null())
                .count()
        })
        .collect();
    assert!(counts[0] > 0 && counts[1] > 0, "{strip}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mem = json["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "memory.peak")
        .unwrap();
    assert!(
        mem["severity"] == "unchanged" || mem["severity"] == "noise",
        "{mem}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unknown_base_ref_exits_2() {
    let dir = repo("1000000");
    let out = perfguard(dir.path())
        .args(["paired", "--base", "no-such-branch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("`no-such-branch` does not name a commit")
    );
    let out = perfguard(dir.path())
        .args(["paired", "--base", "--upload-pack=evil"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_failing_build_exits_3_with_its_stderr() {
    let dir = repo("1000000");
    let config = CONFIG.replace(
        "[\"sh\", \"-c\", \"echo built > build-stamp\"]",
        "[\"sh\", \"-c\", \"echo compiler exploded >&2; exit 7\"]",
    );
    write(dir.path(), "perfguard.toml", &config);
    let out = perfguard(dir.path())
        .args(["paired", "--base", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("build command") && stderr.contains("compiler exploded"),
        "{stderr}"
    );
    assert_eq!(git(dir.path(), &["worktree", "list"]).lines().count(), 1);
}

#[test]
fn outside_a_repository_paired_mode_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "perfguard.toml", CONFIG);
    let out = perfguard(dir.path())
        .args(["paired", "--base", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs a git repository"));
}

/// A repository whose `main` and checked-out `feature` differ only in the
/// `side` file (`A` and `B`), with `config` committed on both.
fn sided_repo(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(d, "perfguard.toml", config);
    write(d, "side", "A\n");
    write(d, ".gitignore", "count\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "base"]);
    git(d, &["checkout", "-qb", "feature"]);
    write(d, "side", "B\n");
    git(d, &["commit", "-qam", "feature"]);
    dir
}

#[test]
fn check_mode_paired_balances_the_order_within_rounds_and_reports_its_provenance() {
    let log = tempfile::tempdir().unwrap();
    let log = log.path().join("order.log");
    let config = format!(
        r#"
[suite]
name = "order"
[compare]
max_rounds = 6
confirm = 0
[[phase]]
name = "note"
kind = "command"
command = ["sh", "-c", "cat side >> '{}'"]
runs = 6
warmup = 0
"#,
        log.display()
    );
    let dir = sided_repo(&config);
    let main = git(dir.path(), &["rev-parse", "main"]);
    let head = git(dir.path(), &["rev-parse", "HEAD"]);
    let out = perfguard(dir.path())
        .args([
            "check", "--mode", "paired", "--base", "main", "--format", "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let order: String = std::fs::read_to_string(&log).unwrap().lines().collect();
    assert_eq!(order, "ABBAABBAABBA");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &json["provenance"];
    assert_eq!(p["mode"], "paired", "{p}");
    assert_eq!(p["base_sha"], main.as_str());
    assert_eq!(p["head_sha"], head.as_str());
    assert_eq!(p["rounds"], 6);
    assert!(p["noise_floor"].as_f64().is_some(), "{p}");
    let wall = json["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "wall")
        .unwrap();
    assert_eq!(wall["method"], "wilcoxon signed-rank");
    // Paired mode saves nothing, even on a local run.
    assert!(git(dir.path(), &["branch", "--list", "perfguard-baselines"]).is_empty());
}

#[test]
fn rounds_are_added_while_an_interval_straddles_a_threshold_up_to_max_rounds() {
    // The head holds 4 MB in one run and 12 MB in the next; the base always
    // 4 MB: half the pairs say +200 %, half 0 %, and the paired interval
    // spans the thresholds however many rounds run.
    let config = r#"
[suite]
name = "adaptive"
[compare]
max_rounds = 12
confirm = 0
[thresholds]
fail_on = "never"
[[phase]]
name = "hold"
kind = "command"
shell = true
command = "s=4000000; if [ \"$(cat side)\" = B ]; then n=$(cat count 2>/dev/null || echo 0); echo $((n + 1)) > count; [ $((n % 2)) = 1 ] && s=12000000; fi; x=$(head -c $s /dev/zero | tr '\\000' a); : ${#x}"
runs = 6
warmup = 0
"#;
    let dir = sided_repo(config);
    let out = perfguard(dir.path())
        .args([
            "check", "--mode", "paired", "--base", "main", "--format", "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("phase hold: 12 rounds"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provenance"]["rounds"], 12);
    let mem = json["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "memory.peak")
        .unwrap();
    assert_eq!(mem["baseline_samples"], 12, "{mem}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("count"))
            .unwrap()
            .trim(),
        "12"
    );
}

#[test]
fn paired_is_check_mode_paired_and_refuses_an_unknown_phase() {
    let dir = repo("1000000");
    let out = perfguard(dir.path())
        .args(["paired", "--base", "main", "--phase", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no phase named `nope`"));
}

#[test]
fn check_paired_on_the_base_itself_falls_back_to_baseline_mode_and_saves_locally() {
    let dir = repo("1000000");
    git(dir.path(), &["checkout", "-q", "main"]);
    let out = perfguard(dir.path())
        .args(["check", "--mode", "paired", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("is the base") && stderr.contains("saved baseline"),
        "{stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provenance"]["mode"], "baseline");
    assert!(
        json["provenance"]["fallback"]
            .as_str()
            .unwrap()
            .contains("is the base")
    );
}

#[test]
fn an_ingest_phase_runs_its_harness_once_per_side_per_round_paired_by_benchmark_name() {
    let log = tempfile::tempdir().unwrap();
    let log = log.path().join("order.log");
    // The harness reports `parse` at 100 ms in the base and 300 ms in the
    // head, and `only-head` in the head alone.
    let config = format!(
        r#"
[suite]
name = "harness"
[compare]
confirm = 0
[[phase]]
name = "bench"
kind = "ingest"
format = "generic"
shell = true
command = """
s=$(cat side); echo $s >> '{}'
if [ "$s" = B ]; then
  printf '{{"benchmarks":[{{"name":"parse","value":300,"unit":"ms"}},{{"name":"only-head","value":1,"unit":"ms"}}]}}'
else
  printf '{{"benchmarks":[{{"name":"parse","value":100,"unit":"ms"}}]}}'
fi
"""
"#,
        log.display()
    );
    let dir = sided_repo(&config);
    let out = perfguard(dir.path())
        .args([
            "check", "--mode", "paired", "--base", "main", "--format", "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let order: String = std::fs::read_to_string(&log).unwrap().lines().collect();
    assert_eq!(order, "ABBA".repeat(5));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["provenance"]["rounds"], 10);
    let metric = |name: &str| {
        json["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["metric"] == name)
            .unwrap()
            .clone()
    };
    let parse = metric("parse");
    assert_eq!(parse["severity"], "critical", "{parse}");
    assert_eq!(parse["method"], "wilcoxon signed-rank");
    assert_eq!(parse["baseline_samples"], 10);
    assert_eq!(metric("only-head")["severity"], "new");
}

#[test]
fn an_ingest_phase_without_a_command_cannot_pair_and_exits_3() {
    let config = r#"
[suite]
name = "files"
[[phase]]
name = "bench"
kind = "ingest"
format = "generic"
files = ["side"]
"#;
    let dir = sided_repo(config);
    let out = perfguard(dir.path())
        .args(["check", "--mode", "paired", "--base", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("ingest phases with a `command`"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A service that answers every request after the delay in its checkout's
/// `delay` file, and notes its side in the log when it starts.
const SERVER: &str = r#"
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
delay = float(open("delay").read())
with open(sys.argv[2], "a") as log:
    log.write(open("side").read().strip() + "\n")
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        time.sleep(delay)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#;

/// A repository whose `main` serves after `base_delay` seconds and whose
/// checked-out `feature` after `head_delay`; the service logs each start.
fn service_repo(base_delay: &str, head_delay: &str, log: &Path) -> tempfile::TempDir {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = format!(
        r#"
[suite]
name = "service"
[compare]
build = ["sh", "-c", "test -f server.py"]
max_rounds = 10
confirm = 0
[[phase]]
name = "api"
kind = "http"
base_url = "http://127.0.0.1:{port}"
service = {{ command = ["python3", "server.py", "{port}", "{log}"], ready = "/", ready_timeout = "20s", settle = "10ms" }}
vus = 2
duration = "300ms"
[[phase.step]]
path = "/"
"#,
        log = log.display()
    );
    let dir = sided_repo(&config);
    let d = dir.path();
    git(d, &["checkout", "-q", "main"]);
    write(d, "server.py", SERVER);
    write(d, "delay", base_delay);
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "service"]);
    git(d, &["checkout", "-q", "feature"]);
    git(d, &["merge", "-q", "--no-edit", "main"]);
    write(d, "delay", head_delay);
    git(d, &["commit", "-qam", "head delay", "--allow-empty"]);
    dir
}

fn paired_json(dir: &Path) -> (Option<i32>, String, serde_json::Value) {
    let out = perfguard(dir)
        .args([
            "check", "--mode", "paired", "--base", "main", "--format", "json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {stderr}\n{}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code(), stderr, json)
}

fn comparison<'a>(json: &'a serde_json::Value, metric: &str) -> &'a serde_json::Value {
    json["comparisons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == metric)
        .unwrap_or_else(|| panic!("no {metric} in {json}"))
}

#[test]
fn an_http_phase_starts_each_sides_service_in_turn_and_finds_a_slower_head() {
    let log = tempfile::tempdir().unwrap();
    let log = log.path().join("starts.log");
    let dir = service_repo("0.002", "0.040", &log);
    let (code, stderr, json) = paired_json(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    // One service start per side per round, in balanced order.
    let starts: String = std::fs::read_to_string(&log).unwrap().lines().collect();
    assert_eq!(starts, "ABBA".repeat(5), "{stderr}");
    assert_eq!(json["provenance"]["mode"], "paired");
    assert_eq!(json["provenance"]["rounds"], 10);
    let p50 = comparison(&json, "latency.p50");
    assert_eq!(p50["severity"], "critical", "{p50}");
    assert_eq!(p50["method"], "wilcoxon signed-rank");
    assert_eq!(p50["baseline_samples"], 10, "{p50}");
    assert_eq!(p50["current_samples"], 10, "{p50}");
    // Both sides' services were stopped.
    assert!(
        !stderr.contains("ignored SIGTERM") && !stderr.contains("exited during"),
        "{stderr}"
    );
}

#[test]
fn an_http_phase_with_the_same_service_on_both_sides_is_not_graded() {
    let log = tempfile::tempdir().unwrap();
    let log = log.path().join("starts.log");
    let dir = service_repo("0.010", "0.010", &log);
    let (code, stderr, json) = paired_json(dir.path());
    assert_eq!(code, Some(0), "{stderr}\n{json}");
    let starts = std::fs::read_to_string(&log).unwrap().lines().count();
    assert_eq!(
        starts,
        2 * json["provenance"]["rounds"].as_u64().unwrap() as usize
    );
    for metric in ["latency.p50", "latency.p95", "throughput"] {
        let c = comparison(&json, metric);
        assert!(
            !["minor", "major", "critical"].contains(&c["severity"].as_str().unwrap()),
            "{c}"
        );
    }
}

#[test]
fn an_http_phase_without_a_service_of_its_own_cannot_pair_and_exits_3() {
    // The same server would answer both sides: nothing to pair.
    let config = r#"
[suite]
name = "external"
[[phase]]
name = "api"
kind = "http"
base_url = "http://127.0.0.1:9"
vus = 1
iterations = 1
[[phase.step]]
path = "/"
"#;
    let dir = sided_repo(config);
    let out = perfguard(dir.path())
        .args(["check", "--mode", "paired", "--base", "main"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    assert!(
        stdout.contains("`api` is an http phase without a `service`"),
        "{stdout}"
    );
}

#[test]
fn baseline_mode_with_thin_history_says_so_recommends_paired_mode_and_a_tenfold_slowdown_still_fails()
 {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "main"]);
    write(
        d,
        "perfguard.toml",
        r#"
[suite]
name = "thin"
[compare]
confirm = 0
[[phase]]
name = "nap"
kind = "command"
shell = true
command = "sleep $(cat t)"
runs = 8
warmup = 0
"#,
    );
    // Far apart, so a loaded machine (the full test suite beside it) cannot
    // blur them: the unit test judges a 2x slowdown exactly.
    write(d, "t", "0.03");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-qm", "base"]);
    // One run saved on main: a baseline, but no history band yet.
    let out = perfguard(d).args(["check", "--save"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(d, &["checkout", "-qb", "slower"]);
    write(d, "t", "0.3");
    git(d, &["commit", "-qam", "ten times as slow"]);
    let out = perfguard(d)
        .args(["check", "--no-save", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &json["provenance"];
    assert_eq!(p["mode"], "baseline", "{p}");
    assert_eq!(p["thin_history"], true, "{p}");
    let wall = comparison(&json, "wall");
    assert_eq!(wall["severity"], "critical", "{wall}");
    assert_eq!(wall["runner_noise"], 0.075, "{wall}");
    assert!(
        json["recommendations"].as_array().unwrap().iter().any(|r| r
            .as_str()
            .unwrap()
            .contains("history is thin")
            && r.as_str().unwrap().contains("mode = \"paired\"")),
        "{}",
        json["recommendations"]
    );
}
