//! `kind = "http"` phases against real servers on 127.0.0.1: a test server
//! with routes that delay, fail and count, and the example service.

use crate::common::{perfguard, write};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the test server saw.
#[derive(Default)]
struct Seen {
    requests: AtomicU64,
    paths: Mutex<Vec<String>>,
    stalled: AtomicBool,
    last_model: Mutex<String>,
    next_id: AtomicU64,
}

/// A keep-alive HTTP/1.1 server on 127.0.0.1:0, one thread per connection.
struct TestServer {
    base: String,
    seen: Arc<Seen>,
}

impl TestServer {
    fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Seen::default());
        let s = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = Arc::clone(&s);
                std::thread::spawn(move || serve(stream, &s));
            }
        });
        TestServer { base, seen }
    }

    fn requests(&self) -> u64 {
        self.seen.requests.load(Ordering::SeqCst)
    }
}

fn serve(stream: TcpStream, seen: &Seen) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_owned();
        let target = parts.next().unwrap_or("/").to_owned();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h == "\r\n" {
                break;
            }
            if let Some((k, v)) = h.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        seen.requests.fetch_add(1, Ordering::SeqCst);
        seen.paths
            .lock()
            .unwrap()
            .push(format!("{method} {target}"));
        let (status, text) = route(&method, &target, &body, seen);
        let reply = format!(
            "HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: application/json\r\n\r\n{text}",
            text.len()
        );
        if out.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn route(method: &str, target: &str, body: &[u8], seen: &Seen) -> (u16, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<u64>().ok())
    };
    match (method, path) {
        ("GET", "/ok") => (200, r#"{"name":"m","ok":true}"#.into()),
        ("GET", "/fail") => (500, r#"{"error":"boom"}"#.into()),
        ("GET", "/text") => (200, "plain words, not JSON".into()),
        ("GET", "/delay") => {
            std::thread::sleep(Duration::from_millis(param("ms").unwrap_or(0)));
            (200, "{}".into())
        }
        ("GET", "/stall-once") => {
            // The tenth request stalls for a second; all others answer at once.
            if seen.requests.load(Ordering::SeqCst) >= 10
                && !seen.stalled.swap(true, Ordering::SeqCst)
            {
                std::thread::sleep(Duration::from_secs(1));
            }
            (200, "{}".into())
        }
        ("POST", "/items") => {
            let sent: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let id = 1000 + seen.next_id.fetch_add(1, Ordering::SeqCst);
            (
                201,
                serde_json::json!({"id": id, "name": sent["name"]}).to_string(),
            )
        }
        ("GET", p) if p.starts_with("/items/") => {
            let id = &p["/items/".len()..];
            match id.parse::<u64>() {
                Ok(n) if n >= 1000 => (200, format!(r#"{{"id":{n}}}"#)),
                _ => (404, "{}".into()),
            }
        }
        ("GET", p) if p.starts_with("/model/") => {
            let model = p["/model/".len()..].to_owned();
            let mut last = seen.last_model.lock().unwrap();
            if *last != model {
                // Loading another model is slow.
                std::thread::sleep(Duration::from_millis(150));
                *last = model;
            }
            (200, "{}".into())
        }
        _ => (404, "{}".into()),
    }
}

/// Runs `perfguard run` on `config` in a temp dir; returns the exit code,
/// the results and stderr.
fn run(dir: &Path, config: &str) -> (i32, Value, String) {
    write(dir, "perfguard.toml", config);
    let out = perfguard(dir)
        .args(["run", "-c", "perfguard.toml", "-o", "results.json"])
        .timeout(Duration::from_secs(30))
        .output()
        .unwrap();
    let results = std::fs::read_to_string(dir.join("results.json"))
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        results,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn metrics(results: &Value, phase: usize) -> BTreeMap<String, f64> {
    results["phases"][phase]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_owned(),
                m["value"].as_f64().unwrap(),
            )
        })
        .collect()
}

fn config_error(body: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "perfguard.toml", body);
    let out = perfguard(dir.path())
        .args(["run", "-c", "perfguard.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{body}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn reported_request_count_equals_the_servers() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            "[[phase]]\nname = \"load\"\nkind = \"http\"\nbase_url = \"{}\"\nvus = 4\niterations = 300\n[[phase.step]]\nname = \"ok\"\npath = \"/ok\"\n",
            server.base
        ),
    );
    assert_eq!(code, 0, "{stderr}");
    let m = metrics(&results, 0);
    assert_eq!(m["requests"], 300.0);
    assert_eq!(server.requests(), 300);
    assert_eq!(m["step.ok.requests"], 300.0);
    assert_eq!(m["error_rate"], 0.0);
    assert!(m["latency.p50"] > 0.0 && m["latency.p50"] <= m["latency.p99"]);
    // Every latency metric carries the histogram, and the per-second series
    // adds up to the total.
    let p95 = &results["phases"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "latency.p95")
        .unwrap()["histogram"];
    assert!(p95.as_str().is_some_and(|h| h.len() > 20));
    let series = results["phases"][0]["series"].as_array().unwrap();
    let total: u64 = series.iter().map(|p| p["requests"].as_u64().unwrap()).sum();
    assert_eq!(total, 300);
}

#[test]
fn open_model_iterations_are_counted_exactly_and_zero_stages_send_nothing() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "open"
kind = "http"
base_url = "{base}"
rate = 400
max_vus = 8
iterations = 100
[[phase.step]]
path = "/ok"
[[phase.step]]
path = "/delay?ms=1"

[[phase]]
name = "idle"
kind = "http"
base_url = "{base}"
stages = [{{ duration = "300ms", target = 0 }}]
[[phase.step]]
path = "/ok"
"#,
            base = server.base
        ),
    );
    assert_eq!(metrics(&results, 0)["requests"], 200.0);
    assert_eq!(metrics(&results, 1)["requests"], 0.0);
    assert_eq!(server.requests(), 200);
    // Nothing measured in `idle` fails that phase by name.
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("no request completed"), "{stderr}");
}

#[test]
fn errors_are_counted_by_kind() {
    let server = TestServer::start();
    // A port nothing listens on: bound, then released.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "mixed"
kind = "http"
base_url = "{base}"
vus = 1
iterations = 3
[[phase.step]]
name = "fails"
path = "/fail"
[[phase.step]]
name = "checked"
path = "/ok"
expect = {{ contains = "absent" }}
[[phase.step]]
name = "slow"
path = "/delay?ms=3000"
timeout = "200ms"

[[phase]]
name = "refused"
kind = "http"
base_url = "http://{closed}"
vus = 1
iterations = 3
[[phase.step]]
path = "/"
"#,
            base = server.base
        ),
    );
    // Every request of `refused` failed: the phase failed, by name.
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("no request got a response") && stderr.contains("connect 3×"),
        "{stderr}"
    );
    let m = metrics(&results, 0);
    assert_eq!(m["errors.status"], 3.0);
    assert_eq!(m["errors.check"], 3.0);
    assert_eq!(m["errors.timeout"], 3.0);
    assert_eq!(m["errors.connect"], 0.0);
    assert_eq!(m["requests"], 9.0);
    assert_eq!(m["error_rate"], 1.0);
    assert_eq!(m["step.fails.error_rate"], 1.0);
    let m = metrics(&results, 1);
    assert_eq!(m["errors.connect"], 3.0);
    assert_eq!(m["requests"], 3.0);
}

#[test]
fn captures_feed_later_steps() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "flow"
kind = "http"
base_url = "{}"
vus = 2
iterations = 10
[[phase.step]]
name = "create"
method = "POST"
path = "/items"
json = {{ name = "item-{{{{ iteration }}}}" }}
capture = {{ id = "$.id", name = "/name" }}
expect = {{ status = 201 }}
[[phase.step]]
name = "get"
path = "/items/{{{{ id }}}}"
expect = {{ status = 200, contains = "{{{{ id }}}}" }}
"#,
            server.base
        ),
    );
    assert_eq!(code, 0, "{stderr}");
    let m = metrics(&results, 0);
    assert_eq!(m["checks"], 1.0);
    assert_eq!(m["error_rate"], 0.0);
    let paths = server.seen.paths.lock().unwrap().clone();
    let mut gets: Vec<&str> = paths
        .iter()
        .filter(|p| p.starts_with("GET"))
        .map(String::as_str)
        .collect();
    gets.sort_unstable();
    let mut expected: Vec<String> = (1000..1010).map(|i| format!("GET /items/{i}")).collect();
    expected.sort_unstable();
    assert_eq!(gets, expected);
}

#[test]
fn a_capture_from_a_body_that_is_not_json_is_a_named_error() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (_, results, _) = run(
        dir.path(),
        &format!(
            "[[phase]]\nname = \"p\"\nkind = \"http\"\nbase_url = \"{}\"\nvus = 1\niterations = 4\n[[phase.step]]\npath = \"/text\"\ncapture = {{ id = \"/id\" }}\n[[phase.step]]\nname = \"next\"\npath = \"/items/{{{{ id }}}}\"\n",
            server.base
        ),
    );
    let m = metrics(&results, 0);
    assert_eq!(m["errors.capture"], 4.0);
    // The iteration stops at a failed capture: the next step never ran.
    assert_eq!(m.get("step.next.requests"), Some(&0.0));
    assert_eq!(server.requests(), 4);
}

#[test]
fn checks_count_passes_and_failures() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "checks"
kind = "http"
base_url = "{}"
vus = 1
iterations = 5
[[phase.step]]
path = "/ok"
expect = {{ status = [200, 204], json = {{ "$.name" = "m", "/ok" = true }}, contains = "nope", max_latency = "10s" }}
"#,
            server.base
        ),
    );
    assert_eq!(code, 0, "{stderr}");
    let m = metrics(&results, 0);
    // Five checks per request, one of which fails.
    assert_eq!(m["checks"], 0.8);
    assert_eq!(m["errors.check"], 5.0);
}

#[test]
fn a_stall_under_the_open_model_shows_in_p99() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    // One connection at 50/s for 2.5 s: while the server stalls for a second,
    // about 50 arrivals wait, and their latency counts from when they were due.
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            "[[phase]]\nname = \"open\"\nkind = \"http\"\nbase_url = \"{}\"\nrate = 50\nmax_vus = 1\nduration = \"2500ms\"\n[[phase.step]]\npath = \"/stall-once\"\n",
            server.base
        ),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(server.seen.stalled.load(Ordering::SeqCst));
    let m = metrics(&results, 0);
    assert!(m["latency.p99"] >= 0.9e9, "p99 {}", m["latency.p99"]);
    assert!(m["latency.p90"] >= 0.2e9, "p90 {}", m["latency.p90"]);
    // The stall is in the tail, not the middle: compared with the run's own
    // p99, not with a wall-clock bound a loaded machine could cross.
    assert!(
        2.0 * m["latency.p50"] < m["latency.p99"],
        "p50 {} p99 {}",
        m["latency.p50"],
        m["latency.p99"]
    );
}

#[test]
fn the_first_request_after_a_target_change_is_the_switch_latency() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "cross"
kind = "http"
base_url = "{}"
vus = 1
iterations = 3
[[phase.step]]
path = "/model/a"
target = "a"
[[phase.step]]
path = "/model/a"
target = "a"
[[phase.step]]
path = "/model/b"
target = "b"
[[phase.step]]
path = "/model/b"
target = "b"
"#,
            server.base
        ),
    );
    assert_eq!(code, 0, "{stderr}");
    let m = metrics(&results, 0);
    // a→b in each iteration and b→a between them: 5 switches, each slow.
    assert!(m["switch.latency.p50"] >= 140e6, "{m:?}");
    // Seven of the twelve requests stay on their target: the median is one of
    // them, below every switch (relative, so a loaded machine cannot flip it).
    assert!(m["latency.p50"] < m["switch.latency.p50"], "{m:?}");
    assert_eq!(m["requests"], 12.0);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn example_service() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/service.py")
        .display()
        .to_string()
}

use crate::common::alive;

#[test]
fn a_service_is_started_polled_until_ready_sampled_and_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let pid_file = dir.path().join("service.pid");
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "svc"
kind = "http"
base_url = "http://127.0.0.1:{port}"
service = {{ command = ["python3", "{script}", "--port", "{port}"], ready = "/health", env = {{ READY_AFTER = "0.5", PID_FILE = "{pid}" }}, ready_timeout = "10s", settle = "100ms" }}
vus = 1
iterations = 3
[[phase.step]]
name = "alloc"
path = "/alloc?mb=64"
expect = {{ status = 200 }}
"#,
            script = example_service(),
            pid = pid_file.display()
        ),
    );
    assert_eq!(code, 0, "{stderr}");
    let m = metrics(&results, 0);
    // Readiness waited out the 503s: every request succeeded.
    assert_eq!(m["error_rate"], 0.0);
    assert_eq!(m["requests"], 3.0);
    // 3 × 64 MB kept by the service shows between baseline and peak.
    let grown = m["memory.peak"] - m["memory.baseline"];
    assert!(grown >= 150e6, "grew {grown} bytes: {m:?}");
    assert!(m["memory.after"] >= m["memory.baseline"] + 150e6, "{m:?}");
    assert!(m.contains_key("cpu.mean"));
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!alive(pid), "the service {pid} is still running");
}

#[test]
fn a_service_that_never_gets_ready_is_reported_and_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (code, _, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "svc"
kind = "http"
base_url = "http://127.0.0.1:{port}"
service = {{ command = "echo starting >&2; exec sleep 30", ready = "/health", ready_timeout = "700ms" }}
vus = 1
iterations = 1
[[phase.step]]
path = "/"
"#
        ),
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("did not answer 2xx at") && stderr.contains("/health within"),
        "{stderr}"
    );
}

#[test]
fn a_service_that_exits_before_ready_is_reported_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            "[[phase]]\nname = \"svc\"\nkind = \"http\"\nbase_url = \"http://127.0.0.1:{port}\"\nservice = {{ command = [\"sh\", \"-c\", \"echo cannot bind >&2; exit 4\"] }}\nvus = 1\niterations = 1\n[[phase.step]]\npath = \"/\"\n"
        ),
    );
    assert_eq!(code, 3, "{stderr}");
    let err = &results["phases"][0]["errors"][0];
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("exited before it was ready"),
        "{err}"
    );
    assert!(
        err["stderr_tail"].as_str().unwrap().contains("cannot bind"),
        "{err}"
    );
}

#[test]
fn a_monitor_pid_file_that_names_no_process_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc.pid", "not-a-pid\n");
    let (code, _, stderr) = run(
        dir.path(),
        "[[phase]]\nname = \"m\"\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9\"\nmonitor = { pid_file = \"svc.pid\" }\nvus = 1\niterations = 1\n[[phase.step]]\npath = \"/\"\n",
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("does not hold a process id"), "{stderr}");
}

const HEAD: &str = "[[phase]]\nname = \"p\"\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9\"\n";

#[test]
fn config_errors_name_the_key() {
    let cases = [
        (
            "vus = 1\nduration = \"1s\"\n[[phase.step]]\npath = \"/x/{{ id }}\"\n",
            "phase[0].step[0].path",
            "`{{ id }}` is not captured",
        ),
        (
            "vus = 1\n[[phase.step]]\npath = \"/\"\n",
            "phase[0].duration",
            "bound the load",
        ),
        (
            "rate = 10\nvus = 2\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\n",
            "phase[0].vus",
            "open model",
        ),
        (
            "vus = 1\nduration = \"1s\"\ncriteria = { \"latency.p42\" = \"< 1s\" }\n[[phase.step]]\npath = \"/\"\n",
            "criteria",
            "unknown metric `latency.p42`",
        ),
        (
            "vus = 1\nduration = \"1s\"\ncriteria = { \"memory.peak\" = \"< 1GB\" }\n[[phase.step]]\npath = \"/\"\n",
            "memory.peak",
            "add `service` or `monitor`",
        ),
        (
            "vus = 1\nduration = \"1s\"\ncriteria = { \"step.get.latency.p95\" = \"< 10MB\" }\n[[phase.step]]\nname = \"get\"\npath = \"/\"\n",
            "step.get.latency.p95",
            "does not fit",
        ),
        (
            "vus = 1\nduration = \"1s\"\n[[phase.step]]\nurl = \"ftp://example.com/\"\n",
            "phase[0].step[0].url",
            "not an http:// or https:// URL",
        ),
        (
            "vus = 1\nduration = \"1s\"\nhttp_version = \"3\"\n[[phase.step]]\npath = \"/\"\n",
            "phase[0].http_version",
            "unknown variant `3`",
        ),
        (
            "vus = 1\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\nexpect = { status = 999 }\n",
            "phase[0].step[0].expect.status",
            "not an HTTP status",
        ),
        (
            "vus = 1\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\ncapture = { id = \"id\" }\n",
            "phase[0].step[0].capture.id",
            "neither a JSON pointer",
        ),
        (
            "vus = 1\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\nmethod = \"FETCH\"\n",
            "phase[0].step[0].method",
            "unknown method",
        ),
        (
            "vus = 1\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\nheaders = { \"bad header\" = \"x\" }\n",
            "headers",
            "not a valid header name",
        ),
        (
            "vus = 1\nduration = \"1s\"\nstages = [{ duration = \"1s\", target = 2 }]\n[[phase.step]]\npath = \"/\"\n",
            "phase[0].duration",
            "`stages` set the duration",
        ),
        (
            "vus = 1\nduration = \"1s\"\n",
            "phase[0].step",
            "no requests",
        ),
        (
            "vus = 4000000000\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\n",
            "phase[0].vus",
            "more than the 50000",
        ),
        (
            "rate = 5\nthink_time = \"1s\"\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\n",
            "phase[0].think_time",
            "belongs to the closed model",
        ),
        (
            "rate = 1e300\nduration = \"1s\"\n[[phase.step]]\npath = \"/\"\n",
            "phase[0].rate",
            "expected a rate up to",
        ),
        (
            "vus = 1\niterations = 1\n[[phase.step]]\npath = \"/{{ id\"\n",
            "phase[0].step[0].path",
            "without closing",
        ),
        (
            "vus = 1\nduration = \"1s\"\nspeed = 3\n[[phase.step]]\npath = \"/\"\n",
            "speed",
            "unknown field",
        ),
    ];
    for (body, key, message) in cases {
        let stderr = config_error(&format!("{HEAD}{body}"));
        assert!(
            stderr.contains("perfguard.toml:") && stderr.contains(key) && stderr.contains(message),
            "{body}\n→ {stderr}"
        );
    }
}

#[test]
fn the_example_config_parses() {
    let out = perfguard(Path::new(env!("CARGO_MANIFEST_DIR")))
        .args(["run", "-c", "examples/http.toml", "--phase", "nope"])
        .output()
        .unwrap();
    // A usage error about the phase, not a configuration error.
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no phase named `nope`") && stderr.contains("cross-model"),
        "{stderr}"
    );
}

#[test]
fn sigterm_stops_load_at_once_and_keeps_what_was_measured() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "perfguard.toml",
        &format!(
            "[[phase]]\nname = \"long\"\nkind = \"http\"\nbase_url = \"{}\"\nvus = 2\nduration = \"60s\"\n[[phase.step]]\npath = \"/delay?ms=5\"\n",
            server.base
        ),
    );
    let bin = assert_cmd::cargo::cargo_bin("perfguard");
    let mut child = std::process::Command::new(bin)
        .current_dir(dir.path())
        .args(["run", "-o", "r.json"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while server.requests() < 20 {
        assert!(std::time::Instant::now() < deadline, "load never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let stop_by = std::time::Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > stop_by {
            let _ = child.kill();
            panic!("perfguard did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(3));
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(v["partial"], true);
    assert!(metrics(&v, 0)["requests"] >= 20.0);
}

#[test]
fn a_service_that_ignores_sigterm_is_killed_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            r#"
[[phase]]
name = "stubborn"
kind = "http"
base_url = "http://127.0.0.1:{port}"
service = {{ command = "trap '' TERM; echo $$ > stubborn.pid; exec python3 -m http.server {port} --bind 127.0.0.1", stop_timeout = "300ms", settle = "10ms" }}
vus = 1
iterations = 2
[[phase.step]]
path = "/"
"#
        ),
    );
    assert_eq!(code, 3, "{stderr}");
    assert_eq!(metrics(&results, 0)["requests"], 2.0);
    assert!(
        stderr.contains("ignored SIGTERM") && stderr.contains("killed"),
        "{stderr}"
    );
    let pid: i32 = std::fs::read_to_string(dir.path().join("stubborn.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!alive(pid), "the service {pid} survived SIGKILL");
}

#[test]
fn a_monitored_service_is_sampled_and_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let pid_file = dir.path().join("svc.pid");
    let mut service = std::process::Command::new("python3")
        .args([&example_service(), "--port", &port.to_string()])
        .env("PID_FILE", &pid_file)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() || !pid_file.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the service never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            "[[phase]]\nname = \"watched\"\nkind = \"http\"\nbase_url = \"http://127.0.0.1:{port}\"\nmonitor = {{ pid_file = \"svc.pid\", settle = \"10ms\" }}\nvus = 1\niterations = 2\ncriteria = {{ \"memory.peak\" = \"< 14GB\" }}\n[[phase.step]]\npath = \"/alloc?mb=32\"\n"
        ),
    );
    let still_running = service.try_wait().unwrap().is_none();
    let _ = service.kill();
    let _ = service.wait();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        still_running,
        "perfguard stopped a service it did not start"
    );
    let m = metrics(&results, 0);
    assert!(m["memory.peak"] >= m["memory.baseline"] + 60e6, "{m:?}");
    assert!(m["memory.after"] > 0.0 && m.contains_key("cpu.mean"));
    // The series notes the service's memory for each second.
    let series = results["phases"][0]["series"].as_array().unwrap();
    assert!(
        series
            .iter()
            .all(|p| p["memory_bytes"].as_f64().is_some_and(|b| b > 0.0))
    );
}

#[test]
fn a_service_that_dies_during_load_is_reported_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The service answers 30 connections, then exits: it dies during load
    // however slowly the machine starts it (a clock would race the start).
    let server = format!(
        "import http.server as h; s = h.HTTPServer(('127.0.0.1', {port}), h.SimpleHTTPRequestHandler); [s.handle_request() for _ in range(30)]"
    );
    let (code, results, stderr) = run(
        dir.path(),
        &format!(
            "[[phase]]\nname = \"dies\"\nkind = \"http\"\nbase_url = \"http://127.0.0.1:{port}\"\nservice = {{ command = [\"python3\", \"-c\", \"{server}\"], settle = \"10ms\" }}\nvus = 2\nduration = \"2s\"\n[[phase.step]]\npath = \"/\"\n"
        ),
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("the service exited during the phase"),
        "{stderr}"
    );
    let m = metrics(&results, 0);
    // Answered while it lived, refused after.
    assert!(
        m["requests"] > m["errors.connect"] && m["errors.connect"] > 0.0,
        "{m:?}"
    );
}
