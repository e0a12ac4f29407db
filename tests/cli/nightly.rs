//! The nightly watch (`check --nightly`) as a scheduled job runs it: a real
//! git repository whose baseline branch the runs themselves build, a real
//! Prometheus Pushgateway, and a webhook receiver on loopback.

use crate::common::{git, perfguard, write};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A project on branch `main` whose one phase ingests `bench.json`.
pub(crate) struct Project {
    dir: tempfile::TempDir,
}

/// One benchmark: name, value in ms, direction.
pub(crate) struct Bench<'a>(pub &'a str, pub f64);

impl Project {
    pub(crate) fn new(extra_config: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        write(
            dir.path(),
            "perfguard.toml",
            &format!(
                "[suite]\nname = \"api\"\nenvironment = \"ci\"\n{extra_config}\n\
                 [[phase]]\nname = \"bench\"\nkind = \"ingest\"\nformat = \"generic\"\nfiles = [\"bench.json\"]\n"
            ),
        );
        Project { dir }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Commits `bench.json` with these values (ten samples around each,
    /// ms) and `error_rate`, returning the commit's SHA.
    pub(crate) fn commit(&self, benches: &[Bench], error_rate: f64) -> String {
        let mut list: Vec<Value> = benches
            .iter()
            .map(|Bench(name, v)| {
                let samples: Vec<f64> = (0..10)
                    .map(|i| v * (1.0 + f64::from(i % 5) * 2e-3))
                    .collect();
                json!({"name": name, "value": v, "unit": "ms", "samples": samples})
            })
            .collect();
        list.push(json!({"name": "error_rate", "value": error_rate, "unit": "ratio", "direction": "lower"}));
        write(
            self.path(),
            "bench.json",
            &json!({ "benchmarks": list }).to_string(),
        );
        git(self.path(), &["add", "-A"]);
        git(
            self.path(),
            &["commit", "-q", "--allow-empty", "-m", "night"],
        );
        git(self.path(), &["rev-parse", "HEAD"])
    }

    /// Measures the committed `bench.json` for real (`perfguard run`), dates
    /// the run `days_ago` days before now, as a schedule would have, and
    /// saves it on the baseline branch.
    pub(crate) fn save_dated(&self, days_ago: i64) {
        let out = perfguard(self.path())
            .args(["run", "-o", "night.json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let mut run: Value =
            serde_json::from_str(&std::fs::read_to_string(self.path().join("night.json")).unwrap())
                .unwrap();
        let at = (chrono::Utc::now() - chrono::Duration::days(days_ago)).to_rfc3339();
        run["started_at"] = at.clone().into();
        run["finished_at"] = at.into();
        write(self.path(), "night.json", &run.to_string());
        let out = perfguard(self.path())
            .args(["baseline", "save", "night.json"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    }

    /// `perfguard check --nightly --save` as a scheduled job outside
    /// GitHub Actions runs it.
    pub(crate) fn night(&self) -> assert_cmd::Command {
        self.night_saving(true)
    }

    /// `check --nightly`, saving the run or not.
    pub(crate) fn night_saving(&self, save: bool) -> assert_cmd::Command {
        let mut cmd = perfguard(self.path());
        cmd.args(["check", "--nightly", "--format", "json"]);
        cmd.arg(if save { "--save" } else { "--no-save" });
        cmd
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn a_step_change_in_the_branch_history_is_named_by_its_commit_range_with_a_link() {
    let hook = Receiver::start();
    let p = Project::new("[notify]\nwebhook = [\"env:HOOK\"]\n");
    // Twelve nights, one commit each: each night's run measured for real
    // (`perfguard run`), dated a day apart as a schedule would, and saved
    // on the baseline branch.
    let mut shas = Vec::new();
    for night in 0..12i64 {
        let wall = if night < 6 { 100.0 } else { 135.0 } + (night % 3) as f64 * 0.4;
        shas.push(p.commit(&[Bench("parse", wall), Bench("render", 40.0)], 0.001));
        p.save_dated(12 - night);
    }
    let listed = git(
        p.path(),
        &["ls-tree", "-r", "--name-only", "perfguard-baselines"],
    );
    assert_eq!(
        listed.lines().filter(|l| l.contains("/runs/")).count(),
        12,
        "{listed}"
    );

    // Tonight's run of the same commit: judged against history.
    let out = p
        .night()
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("HOOK", &hook.url)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    // The step is major (35 %), under fail_on = critical: a finding, not a failure.
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let range = format!("{}..{}", &shas[5][..7], &shas[6][..7]);
    let line = stderr
        .lines()
        .find(|l| l.contains("nightly: change point in bench/parse"))
        .unwrap_or_else(|| panic!("no change point named: {stderr}"));
    assert!(line.contains(&range) && line.contains("major"), "{line}");
    assert!(
        !stderr.contains("bench/render"),
        "a flat metric has no step: {stderr}"
    );
    // The comparison JSON names the first commit at the new level.
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = json["change_points"].as_array().unwrap();
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert_eq!(steps[0]["sha"], shas[6].as_str());
    // The webhook's message links the range on GitHub.
    let seen = hook.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let slack: Value = serde_json::from_str(&seen[0].body).unwrap();
    let link = format!(
        "<https://github.com/octo/api/compare/{}...{}|{range}>",
        shas[5], shas[6]
    );
    assert!(
        slack["text"].as_str().unwrap().contains(&link),
        "{}",
        slack["text"]
    );
}

#[test]
fn error_budget_burn_crosses_warning_then_critical_and_critical_fails_the_night() {
    // fail_on = never: only the SLO can fail these nights.
    let p = Project::new(
        "[thresholds]\nfail_on = \"never\"\n\
         [[slo]]\nmetric = \"bench/error_rate\"\nobjective = \"error_rate <= 1%\"\nwindow = \"30d\"\n",
    );
    // Burn rate over the recent tenth of the window (all three nights):
    // 0.2 %/1 % = 0.2× (ok); (0.2 + 5) / 2 = 2.6× (warning); (0.2 + 5 +
    // 15) / 3 = 6.7× (critical).
    let mut seen = Vec::new();
    for (rate, code, level) in [
        (0.002, 0, None),
        (0.05, 0, Some("warning")),
        (0.15, 1, Some("critical")),
    ] {
        p.commit(&[Bench("parse", 100.0)], rate);
        let out = p
            .night()
            .args(["--prometheus", "nightly.prom"])
            .output()
            .unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{rate}: {stderr}");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        let slo = &json["slos"][0];
        seen.push(slo["status"].as_str().unwrap().to_owned());
        match level {
            None => assert!(!stderr.contains("nightly: SLO"), "{stderr}"),
            Some(l) => assert!(
                stderr.contains(&format!("nightly: SLO error_rate <= 1% at {l}")),
                "{stderr}"
            ),
        }
        if code == 1 {
            assert_eq!(json["verdict"], "fail");
            assert!(
                json["notes"]
                    .to_string()
                    .contains("is at the critical level"),
                "{}",
                json["notes"]
            );
            assert!(slo["burn_rate"].as_f64().unwrap() > 5.0, "{slo}");
        }
    }
    assert_eq!(seen, ["ok", "warning", "critical"]);
    // The textfile carries the budget, and every family the example
    // Grafana dashboard charts.
    let prom = std::fs::read_to_string(p.path().join("nightly.prom")).unwrap();
    assert!(
        prom.contains(
            "perfguard_slo_burn_rate{suite=\"api\",slo=\"error_rate <= 1%\",environment=\"ci\"} 6.7"
        ),
        "{prom}"
    );
    let dashboard = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/grafana-dashboard.json"),
    )
    .unwrap();
    let mut charted = 0;
    for word in dashboard.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if word.starts_with("perfguard_") {
            charted += 1;
            assert!(
                prom.contains(&format!("# TYPE {word} gauge")),
                "{word} is charted but never written"
            );
        }
    }
    assert!(charted >= 8, "{charted}");
    // Without --nightly the same run reports the budget but keeps its verdict.
    let out = perfguard(p.path())
        .args(["check", "--no-save", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

/// One request a receiver saw.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    body: String,
}

/// A loopback HTTP receiver: answers scripted statuses first, then 200.
struct Receiver {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::new()));
        let (s, sc) = (seen.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, sc) = (s.clone(), sc.clone());
                std::thread::spawn(move || receive(stream, &s, &sc));
            }
        });
        Receiver { url, seen, script }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn receive(stream: TcpStream, seen: &Mutex<Vec<Seen>>, script: &Mutex<VecDeque<u16>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some(request) = crate::common::read_request(&mut reader) else {
        return;
    };
    seen.lock().unwrap().push(Seen {
        method: request.method,
        path: request.path,
        body: request.body,
    });
    let status = script.lock().unwrap().pop_front().unwrap_or(200);
    let mut out = stream;
    let _ = out.write_all(
        format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
            .as_bytes(),
    );
}

const SECRET_PATH: &str = "/services/T0SECRET/B0SECRET/XsecretXtokenX";

/// A night whose `parse` doubled (critical) against the one before.
fn regressed_project(extra: &str) -> Project {
    let p = Project::new(extra);
    p.commit(&[Bench("parse", 100.0)], 0.001);
    assert_eq!(p.night().output().unwrap().status.code(), Some(0));
    p.commit(&[Bench("parse", 200.0)], 0.001);
    p
}

fn assert_no_secret(out: &std::process::Output, dir: &Path) {
    for (what, t) in [("stdout", text(&out.stdout)), ("stderr", text(&out.stderr))] {
        assert!(
            !t.contains("SECRET") && !t.contains("secret"),
            "secret in {what}: {t}"
        );
    }
    for entry in walk(dir) {
        if entry.components().any(|c| c.as_os_str() == ".git") {
            continue;
        }
        let content = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !text(&content).contains("SECRET"),
            "secret in {}",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn webhooks_get_slack_and_json_payloads_a_500_is_retried_and_the_secret_url_never_shows() {
    let hook = Receiver::start();
    hook.script.lock().unwrap().push_back(500);
    let p = regressed_project("[notify]\nwebhook = [\"env:SLACK_WEBHOOK_URL\"]\n");
    // As the Actions runner starts it on a schedule: the nightly watch
    // without --nightly, with a job summary and step outputs to search.
    let event = write(
        p.path(),
        "event.json",
        &json!({"schedule": "30 2 * * *", "repository": {"full_name": "octo/api", "default_branch": "main"}})
            .to_string(),
    );
    let out = perfguard(p.path())
        .args(["check", "--save"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "schedule")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "777")
        .env("SLACK_WEBHOOK_URL", format!("{}{SECRET_PATH}", hook.url))
        .env("PERFGUARD_NOTIFY_BACKOFF_MS", "10")
        .env("GITHUB_OUTPUT", p.path().join("output.txt"))
        .env("GITHUB_STEP_SUMMARY", p.path().join("summary.md"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let outputs = std::fs::read_to_string(p.path().join("output.txt")).unwrap();
    assert!(outputs.contains("verdict<<"), "{outputs}");
    assert!(p.path().join("summary.md").is_file());
    let seen = hook.seen();
    assert_eq!(seen.len(), 2, "one 500, then the retry: {seen:?}");
    assert!(
        seen.iter()
            .all(|s| s.method == "POST" && s.path == SECRET_PATH)
    );
    assert_eq!(seen[0].body, seen[1].body);
    let slack: Value = serde_json::from_str(&seen[1].body).unwrap();
    let text_field = slack["text"].as_str().unwrap();
    assert!(
        text_field.contains("perfguard nightly: suite api (ci) — critical")
            && text_field.contains("critical regression bench/parse: 100 ms → 200 ms (+100.0 %)"),
        "{text_field}"
    );
    assert_eq!(slack["blocks"][0]["type"], "header");
    assert_eq!(slack["blocks"][1]["text"]["type"], "mrkdwn");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("webhook env:SLACK_WEBHOOK_URL notified (attempts: 2)"),
        "{stderr}"
    );
    assert_no_secret(&out, p.path());

    // JSON: the comparison itself. A second webhook that is down is a
    // warning in the report; the verdict is the same.
    let json_hook = Receiver::start();
    // Rate limited once (429): retried like a 5xx.
    json_hook.script.lock().unwrap().push_back(429);
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}{SECRET_PATH}", dead.local_addr().unwrap());
    drop(dead);
    let p = regressed_project(
        "[notify]\nwebhook = [\"env:HOOK_JSON\", \"env:HOOK_DOWN\"]\nwebhook_format = \"json\"\non = \"critical\"\n",
    );
    let out = p
        .night()
        .env("HOOK_JSON", format!("{}{SECRET_PATH}", json_hook.url))
        .env("HOOK_DOWN", &dead_url)
        .env("PERFGUARD_NOTIFY_BACKOFF_MS", "10")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let seen = json_hook.seen();
    assert_eq!(seen.len(), 2, "a 429, then the retry: {seen:?}");
    let sent: Value = serde_json::from_str(&seen[1].body).unwrap();
    assert_eq!(sent["schema_version"], 1);
    assert_eq!(sent["verdict"], "fail");
    assert_eq!(sent["comparisons"][0]["metric"], "parse");
    assert_eq!(sent["comparisons"][0]["severity"], "critical");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let notes = report["notes"].to_string();
    assert!(
        notes
            .contains("notification failed: webhook env:HOOK_DOWN not notified: could not connect"),
        "{notes}"
    );
    assert!(notes.contains("after 3 attempts"), "{notes}");
    assert_no_secret(&out, p.path());

    // Below `on`, nobody is notified.
    let quiet = Receiver::start();
    let p = Project::new("[notify]\nwebhook = [\"env:HOOK\"]\non = \"critical\"\n");
    p.commit(&[Bench("parse", 100.0)], 0.001);
    p.night().env("HOOK", &quiet.url).output().unwrap();
    p.commit(&[Bench("parse", 125.0)], 0.001);
    let out = p.night().env("HOOK", &quiet.url).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(quiet.seen().is_empty(), "{:?}", quiet.seen());
}

/// A Prometheus Pushgateway (Debian's `prometheus-pushgateway`) on a free
/// loopback port, stopped when dropped. Linux only: CI installs the Debian
/// package (.ci/run, the `test` job); on Linux a missing binary fails the
/// test rather than skipping it.
#[cfg(target_os = "linux")]
struct Pushgateway {
    child: std::process::Child,
    addr: String,
    _data: tempfile::TempDir,
}

#[cfg(target_os = "linux")]
const PUSHGATEWAY: &str = "/usr/bin/prometheus-pushgateway";

#[cfg(target_os = "linux")]
impl Pushgateway {
    fn start() -> Pushgateway {
        assert!(
            Path::new(PUSHGATEWAY).is_file(),
            "{PUSHGATEWAY} is missing: apt-get install prometheus-pushgateway (.ci/run does)"
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let data = tempfile::tempdir().unwrap();
        let child = std::process::Command::new(PUSHGATEWAY)
            .arg(format!("--web.listen-address={addr}"))
            .current_dir(data.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let gw = Pushgateway {
            child,
            addr,
            _data: data,
        };
        for _ in 0..200 {
            if get(&gw.addr, "/-/ready").is_some_and(|(s, _)| s == 200) {
                return gw;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the Pushgateway did not become ready on {}", gw.addr);
    }
}

#[cfg(target_os = "linux")]
impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` on `addr`: status and body.
#[cfg(target_os = "linux")]
fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").as_bytes())
        .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    let status = out.split_whitespace().nth(1)?.parse().ok()?;
    let body = out.split_once("\r\n\r\n")?.1.to_owned();
    Some((status, body))
}

/// The samples of `family` in exposition text: labels (unescaped) and value.
#[cfg(target_os = "linux")]
fn samples(text: &str, family: &str) -> Vec<(std::collections::BTreeMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(family) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix('{') else {
            continue;
        };
        let mut labels = std::collections::BTreeMap::new();
        let mut chars = rest.chars().peekable();
        loop {
            let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
            assert_eq!(chars.next(), Some('"'), "{line}");
            let mut value = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some(c) => value.push(c),
                        None => break,
                    },
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels.insert(name.trim_start_matches(',').to_owned(), value);
            match chars.peek() {
                Some(',') => {
                    chars.next();
                    if chars.peek() == Some(&'}') {
                        chars.next();
                        break;
                    }
                }
                _ => {
                    chars.next();
                    break;
                }
            }
        }
        let value: String = chars.collect();
        out.push((labels, value.trim().parse().unwrap()));
    }
    out
}

#[cfg(target_os = "linux")]
#[test]
fn a_real_pushgateway_receives_every_metric_with_its_labels_and_the_textfile_matches() {
    let gw = Pushgateway::start();
    // A benchmark name with a quote, a backslash and a newline-free oddity:
    // escaped in the push, or the Pushgateway refuses the whole body.
    let odd = "say \"hi\" \\ there";
    let p = Project::new(&format!("[notify]\npushgateway = \"http://{}\"\n", gw.addr));
    p.commit(&[Bench("parse", 100.0), Bench(odd, 5.0)], 0.001);
    let out = p.night().output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    p.commit(&[Bench("parse", 120.0), Bench(odd, 5.0)], 0.001);
    let out = p
        .night()
        .args(["--prometheus", "perfguard.prom"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("pushed metrics to the Pushgateway"),
        "{stderr}"
    );

    let (status, metrics) = get(&gw.addr, "/metrics").unwrap();
    assert_eq!(status, 200);
    let values = samples(&metrics, "perfguard_metric_value");
    let find = |metric: &str| {
        values
            .iter()
            .find(|(l, _)| l.get("metric").map(String::as_str) == Some(metric))
            .unwrap_or_else(|| panic!("no {metric:?} in {metrics}"))
    };
    let (labels, value) = find("parse");
    assert_eq!(*value, 120e6, "the second night's value replaced the first");
    for (k, v) in [
        ("job", "perfguard"),
        ("suite", "api"),
        ("environment", "ci"),
        ("phase", "bench"),
        ("unit", "ns"),
    ] {
        assert_eq!(labels.get(k).map(String::as_str), Some(v), "{labels:?}");
    }
    assert_eq!(find(odd).1, 5e6);
    let change = samples(&metrics, "perfguard_metric_change_ratio");
    let parse_change = change
        .iter()
        .find(|(l, _)| l["metric"] == "parse")
        .unwrap()
        .1;
    assert!((parse_change - 0.2).abs() < 1e-6, "{parse_change}");
    let severity = samples(&metrics, "perfguard_metric_severity");
    assert_eq!(
        severity
            .iter()
            .find(|(l, _)| l["metric"] == "parse")
            .unwrap()
            .1,
        1.0,
        "20 % worse is minor"
    );
    assert_eq!(samples(&metrics, "perfguard_verdict_fail")[0].1, 0.0);

    // A run that is neither the nightly nor saved (a pull request's, a
    // developer's) leaves the Pushgateway's values alone.
    p.commit(&[Bench("parse", 500.0), Bench(odd, 5.0)], 0.001);
    let out = perfguard(p.path())
        .args(["check", "--no-save"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("Pushgateway"),
        "{}",
        text(&out.stderr)
    );
    let (_, after) = get(&gw.addr, "/metrics").unwrap();
    let values = samples(&after, "perfguard_metric_value");
    let parse = values.iter().find(|(l, _)| l["metric"] == "parse").unwrap();
    assert_eq!(parse.1, 120e6);

    // The textfile carries the same numbers, with suite and environment
    // as labels of their own.
    let file = std::fs::read_to_string(p.path().join("perfguard.prom")).unwrap();
    let values = samples(&file, "perfguard_metric_value");
    let (labels, value) = values.iter().find(|(l, _)| l["metric"] == odd).unwrap();
    assert_eq!(*value, 5e6);
    assert_eq!(labels["suite"], "api");
    assert_eq!(labels["environment"], "ci");
    assert!(
        file.contains("# TYPE perfguard_metric_value gauge"),
        "{file}"
    );

    // `run --prometheus` writes the run alone.
    let out = perfguard(p.path())
        .args(["run", "--prometheus", "run.prom"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let run = std::fs::read_to_string(p.path().join("run.prom")).unwrap();
    assert_eq!(samples(&run, "perfguard_metric_value").len(), 3, "{run}");
    assert!(!run.contains("perfguard_metric_change_ratio"), "{run}");
}

#[test]
fn a_pushgateway_that_is_down_is_a_warning_not_a_failure() {
    let dead = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dead.local_addr().unwrap();
    drop(dead);
    let p = Project::new(&format!("[notify]\npushgateway = \"http://{addr}\"\n"));
    p.commit(&[Bench("parse", 100.0)], 0.001);
    let out = p
        .night()
        .env("PERFGUARD_NOTIFY_BACKOFF_MS", "10")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["notes"].to_string().contains(
            "notification failed: Pushgateway http://127.0.0.1 not updated: could not connect"
        ),
        "{}",
        report["notes"]
    );
}

#[test]
fn a_bad_notify_table_exits_2_naming_file_line_and_key() {
    let p = Project::new("[notify]\nwebhook_format = \"teams\"\n");
    p.commit(&[Bench("parse", 100.0)], 0.001);
    let out = p.night().output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("perfguard.toml:5:18: `notify.webhook_format`"),
        "{stderr}"
    );
}
