//! Sharded runs: `run --shard I/N` processes against one loopback server,
//! `perfguard merge` (exact sums, refusals naming files), and
//! `check --shard` / `check --results`.

use crate::common::{git, perfguard, write};
use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// A keep-alive HTTP/1.1 server on 127.0.0.1:0 that counts the requests it
/// answers (GETs without bodies).
fn counting_server() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let c = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let c = Arc::clone(&c);
            std::thread::spawn(move || serve(stream, &c));
        }
    });
    (base, count)
}

fn serve(stream: TcpStream, count: &AtomicU64) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
        }
        count.fetch_add(1, Ordering::SeqCst);
        if out
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            .is_err()
        {
            return;
        }
    }
}

/// A suite of three command phases and one HTTP phase.
fn suite(base: &str, name: &str) -> String {
    format!(
        r#"[suite]
name = "{name}"
environment = "ci"

[[phase]]
name = "one"
kind = "command"
command = ["true"]
runs = 2
warmup = 0

[[phase]]
name = "load"
kind = "http"
base_url = "{base}"
vus = 6
iterations = 1001
  [[phase.step]]
  name = "get"
  path = "/x?i={{{{ iteration }}}}"

[[phase]]
name = "two"
kind = "command"
command = ["true"]
runs = 2
warmup = 0

[[phase]]
name = "three"
kind = "command"
command = ["true"]
runs = 2
warmup = 0
"#
    )
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn phase<'a>(run: &'a Value, name: &str) -> Option<&'a Value> {
    run["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
}

fn metric<'a>(phase: &'a Value, name: &str) -> &'a Value {
    phase["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

fn histogram(metric: &Value) -> Histogram<u64> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(metric["histogram"].as_str().unwrap())
        .unwrap();
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .unwrap()
}

/// (value, count) of every recorded bucket.
fn buckets(h: &Histogram<u64>) -> Vec<(u64, u64)> {
    h.iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_at_value()))
        .collect()
}

/// Runs shards `0/n … n-1/n` of `config` at once, as separate processes.
fn run_shards(dir: &Path, n: u32, extra: &[&str]) -> Vec<std::path::PathBuf> {
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let dir = dir.to_owned();
            let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
            std::thread::spawn(move || {
                let out_file = format!("shard-{i}.json");
                let out = perfguard(&dir)
                    .args(["run", "-c", "perfguard.toml", "-o", &out_file])
                    .arg("--shard")
                    .arg(format!("{i}/{n}"))
                    .args(&extra)
                    .timeout(Duration::from_secs(60))
                    .output()
                    .unwrap();
                assert_eq!(
                    out.status.code(),
                    Some(0),
                    "shard {i}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                dir.join(out_file)
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn four_shards_merge_into_exactly_what_the_server_counted() {
    let (base, served) = counting_server();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "perfguard.toml", &suite(&base, "api"));
    let start_at = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let files = run_shards(dir, 4, &["--start-at", &start_at]);

    let shards: Vec<Value> = files.iter().map(|f| read(f)).collect();
    // Each shard says which it is, of one configuration.
    for (i, s) in shards.iter().enumerate() {
        assert_eq!(s["shard"]["index"], i);
        assert_eq!(s["shard"]["count"], 4);
        assert_eq!(s["shard"]["config_hash"], shards[0]["shard"]["config_hash"]);
        assert_eq!(s["schema_version"], 2);
    }
    // Command phases are dealt out: each on exactly one shard.
    for name in ["one", "two", "three"] {
        let holders = shards.iter().filter(|s| phase(s, name).is_some()).count();
        assert_eq!(holders, 1, "{name}");
    }
    // The load is split: 1001 iterations as 251 + 250 + 250 + 250.
    let shard_requests: Vec<f64> = shards
        .iter()
        .map(|s| {
            metric(phase(s, "load").unwrap(), "requests")["value"]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(shard_requests, [251.0, 250.0, 250.0, 250.0]);

    // Given in any order, the shards merge into the whole suite.
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(files.iter().rev().map(|f| f.display().to_string()));
    args.extend(["-o".into(), "merged.json".into()]);
    let out = perfguard(dir).args(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = read(&dir.join("merged.json"));
    assert!(merged.get("shard").is_none());
    let names: Vec<&str> = merged["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["one", "load", "two", "three"]);

    let load = phase(&merged, "load").unwrap();
    assert_eq!(metric(load, "requests")["value"], 1001.0);
    assert_eq!(served.load(Ordering::SeqCst), 1001);
    assert_eq!(metric(load, "step.get.requests")["value"], 1001.0);
    let rate = metric(load, "error_rate");
    assert_eq!(
        (rate["count"].as_u64(), rate["total"].as_u64()),
        (Some(0), Some(1001))
    );
    let series: u64 = load["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["requests"].as_u64().unwrap())
        .sum();
    assert_eq!(series, 1001);

    // The merged histogram is the shards' histograms added bucket by bucket…
    let shard_hists: Vec<Histogram<u64>> = shards
        .iter()
        .map(|s| histogram(metric(phase(s, "load").unwrap(), "latency.p95")))
        .collect();
    let merged_hist = histogram(metric(load, "latency.p95"));
    let mut sum: Histogram<u64> = Histogram::new_with_bounds(1_000, 60_000_000_000, 3).unwrap();
    for h in &shard_hists {
        sum.add(h).unwrap();
    }
    assert_eq!(buckets(&merged_hist), buckets(&sum));
    assert_eq!(merged_hist.len(), 1001);
    // …and its percentiles are those of one histogram fed every latency the
    // shards recorded, not an average of the shards' percentiles.
    let mut one: Histogram<u64> = Histogram::new_with_bounds(1_000, 60_000_000_000, 3).unwrap();
    for h in &shard_hists {
        for (value, count) in buckets(h) {
            one.record_n(value, count).unwrap();
        }
    }
    for (name, q) in [
        ("latency.p50", 0.5),
        ("latency.p90", 0.9),
        ("latency.p95", 0.95),
        ("latency.p99", 0.99),
    ] {
        assert_eq!(
            metric(load, name)["value"].as_f64().unwrap(),
            one.value_at_quantile(q) as f64,
            "{name}"
        );
    }
    assert_eq!(
        metric(load, "latency.max")["value"].as_f64().unwrap(),
        one.max() as f64
    );
    // Command phases appear once each, as their shard measured them.
    for name in ["one", "two", "three"] {
        let from = shards.iter().find_map(|s| phase(s, name)).unwrap();
        assert_eq!(phase(&merged, name).unwrap(), from, "{name}");
    }
}

fn command_suite(name: &str) -> String {
    format!(
        "[suite]\nname = \"{name}\"\nenvironment = \"ci\"\n\n[[phase]]\nname = \"a\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 2\nwarmup = 0\n\n[[phase]]\nname = \"b\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 2\nwarmup = 0\n\n[[phase]]\nname = \"c\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 2\nwarmup = 0\n"
    )
}

fn merge_fails(dir: &Path, files: &[&str]) -> String {
    let out = perfguard(dir)
        .arg("merge")
        .args(files)
        .args(["-o", "merged.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{files:?}");
    assert!(!dir.join("merged.json").exists(), "nothing is written");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn merge_refuses_mixed_duplicate_missing_and_corrupt_shards() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "perfguard.toml", &command_suite("api"));
    run_shards(dir, 3, &[]);
    write(dir, "other/perfguard.toml", &command_suite("web"));
    run_shards(&dir.join("other"), 3, &[]);

    let err = merge_fails(dir, &["shard-0.json", "other/shard-1.json", "shard-2.json"]);
    assert!(
        err.contains("shard-0.json (suite `api`")
            && err.contains("other/shard-1.json (suite `web`")
            && err.contains("different suites or configurations"),
        "{err}"
    );

    std::fs::copy(dir.join("shard-1.json"), dir.join("again.json")).unwrap();
    let err = merge_fails(
        dir,
        &["shard-0.json", "shard-1.json", "again.json", "shard-2.json"],
    );
    assert!(
        err.contains("again.json and shard-1.json are both shard 1/3")
            || err.contains("shard-1.json and again.json are both shard 1/3"),
        "{err}"
    );

    let err = merge_fails(dir, &["shard-0.json", "shard-2.json"]);
    assert!(
        err.contains("shard 1/3 is missing")
            && err.contains("0/3 from shard-0.json")
            && err.contains("2/3 from shard-2.json"),
        "{err}"
    );

    let text = std::fs::read_to_string(dir.join("shard-2.json")).unwrap();
    write(dir, "cut.json", &text[..text.len() / 2]);
    let err = merge_fails(dir, &["shard-0.json", "shard-1.json", "cut.json"]);
    assert!(err.contains("cut.json is not valid results JSON"), "{err}");

    // A whole-suite run is not a shard.
    let out = perfguard(dir)
        .args(["run", "-c", "perfguard.toml", "-o", "whole.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = merge_fails(dir, &["shard-0.json", "whole.json"]);
    assert!(err.contains("whole.json is not a shard"), "{err}");

    // The three together merge, every phase once.
    let out = perfguard(dir)
        .args([
            "merge",
            "shard-2.json",
            "shard-0.json",
            "shard-1.json",
            "-o",
            "merged.json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = read(&dir.join("merged.json"));
    let names: Vec<&str> = merged["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn check_shards_are_never_judged_and_check_results_judges_and_saves_the_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, "perfguard.toml", &command_suite("api"));
    git(dir, &["add", "perfguard.toml"]);
    git(
        dir,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e",
            "commit",
            "-qm",
            "first",
        ],
    );

    for i in 0..2 {
        let out = perfguard(dir)
            .args(["check", "--shard", &format!("{i}/2")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stderr}");
        assert!(stderr.contains("not judged or saved"), "{stderr}");
        assert!(dir.join(format!("perfguard-shard-{i}-of-2.json")).is_file());
    }
    // No shard saved a baseline.
    let branches = git(dir, &["branch", "--list", "perfguard-baselines"]);
    assert!(branches.trim().is_empty(), "{branches}");

    // A lone shard is refused by check --results, naming the file.
    let out = perfguard(dir)
        .args(["check", "--results", "perfguard-shard-0-of-2.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("perfguard-shard-0-of-2.json is shard 0/2"),
        "{stderr}"
    );

    // Nor is it saved by hand.
    let out = perfguard(dir)
        .args(["baseline", "save", "perfguard-shard-1-of-2.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("perfguard-shard-1-of-2.json is shard 1/2"),
        "{stderr}"
    );

    // Paired mode and shards: refused, out of scope.
    let out = perfguard(dir)
        .args(["check", "--shard", "0/2", "--mode", "paired"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("out of scope"));

    let out = perfguard(dir)
        .args([
            "merge",
            "perfguard-shard-0-of-2.json",
            "perfguard-shard-1-of-2.json",
            "-o",
            "results.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // The merged run is judged and, on main, saved: no phase runs again.
    let out = perfguard(dir)
        .args(["check", "--results", "results.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("judging results.json"), "{stderr}");
    assert!(!stderr.contains("perfguard: phase "), "{stderr}");
    assert!(stderr.contains("saved baseline api/ci/runs/"), "{stderr}");
    // Given every shard, check --results merges them itself.
    let out = perfguard(dir)
        .args([
            "check",
            "--results",
            "perfguard-shard-1-of-2.json",
            "--results",
            "perfguard-shard-0-of-2.json",
            "--no-save",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("judging the 2 shards merged"), "{stderr}");
    // The second judgement compares with the first.
    let out = perfguard(dir)
        .args(["check", "--results", "results.json", "--no-save"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("no baseline yet"), "{stdout}");
}

#[test]
fn start_at_in_the_past_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "perfguard.toml", &command_suite("api"));
    let out = perfguard(dir)
        .args([
            "run",
            "--shard",
            "0/2",
            "--start-at",
            "2020-01-01T00:00:00Z",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("in the past"), "{stderr}");
    let out = perfguard(dir)
        .args(["run", "--shard", "env/2"])
        .env("JOB_COMPLETION_INDEX", "1")
        .args(["-o", "r.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(read(&dir.join("r.json"))["shard"]["index"], 1);
}
