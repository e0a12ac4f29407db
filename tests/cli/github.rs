//! GitHub publishing (`compare --github`, `comment`) against a local server
//! that implements the REST endpoints perfguard uses, answers with GitHub's
//! shapes (tests/fixtures/github/) and records every request.

use crate::common::{perfguard, write};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "ghs_TestToken0123456789";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/github");

fn fixture(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(Path::new(FIXTURES).join(name)).unwrap()).unwrap()
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Request {
    method: String,
    /// Path and query.
    path: String,
    auth: Option<String>,
    body: String,
}

/// A response to give before routing (an outage, a rate limit).
#[derive(Debug, Clone)]
struct Scripted {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Default)]
struct State {
    /// The pull request's comments: (id, body).
    comments: Vec<(u64, String)>,
    /// Who wrote each comment, by id; absent: the token's own identity.
    authors: std::collections::HashMap<u64, String>,
    /// What `GET /user` answers for the token: a PAT's login, or `None`
    /// for the job token, which GitHub refuses there (403).
    token_login: Option<String>,
    next_id: u64,
    page_size: usize,
    /// Refuse writes like a fork pull request's read-only token.
    read_only: bool,
    /// Answer these first, one per request.
    script: VecDeque<Scripted>,
    /// Answer every request with a 502 (an outage).
    down: bool,
    pr_head_sha: String,
    /// The pull request's label names, as `GET /pulls/N` answers them.
    pr_labels: Vec<String>,
    /// The repository's issues (the nightly tracking issues).
    issues: Vec<IssueRecord>,
    /// Comments on those issues: (issue number, body).
    issue_comments: Vec<(u64, String)>,
    next_issue: u64,
    /// The next `list_waits` issue listings each wait at this barrier, so
    /// two runs both list before either creates (a race, made certain).
    list_barrier: Option<Arc<std::sync::Barrier>>,
    list_waits: usize,
    requests: Vec<Request>,
}

/// An issue as the stand-in keeps it.
#[derive(Debug, Clone)]
struct IssueRecord {
    number: u64,
    title: String,
    body: String,
    labels: Vec<String>,
    /// `open` or `closed`.
    state: String,
    state_reason: Option<String>,
}

/// The local GitHub.
struct Github {
    base: String,
    prefix: String,
    state: Arc<Mutex<State>>,
}

impl Github {
    fn start() -> Github {
        Github::start_at("")
    }

    /// Serves the API under `prefix` (GHES serves it under `/api/v3`).
    fn start_at(prefix: &str) -> Github {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            next_id: 1_000,
            page_size: 100,
            pr_head_sha: "36afaef2afdf0ce794d7e4663e7f327664aaa4d7".into(),
            next_issue: 40,
            ..State::default()
        }));
        let (st, b, p) = (state.clone(), base.clone(), prefix.to_owned());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (st, b, p) = (st.clone(), b.clone(), p.clone());
                std::thread::spawn(move || serve(stream, &st, &b, &p));
            }
        });
        Github {
            base,
            prefix: prefix.to_owned(),
            state,
        }
    }

    fn api_url(&self) -> String {
        format!("{}{}", self.base, self.prefix)
    }

    fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    fn comments(&self) -> Vec<(u64, String)> {
        self.state.lock().unwrap().comments.clone()
    }

    /// A comment written by the token's own identity.
    fn seed(&self, body: &str) -> u64 {
        let mut s = self.state.lock().unwrap();
        s.next_id += 1;
        let id = s.next_id;
        s.comments.push((id, body.to_owned()));
        id
    }

    /// A comment written by someone else (`login`).
    fn seed_by(&self, login: &str, body: &str) -> u64 {
        let id = self.seed(body);
        self.state
            .lock()
            .unwrap()
            .authors
            .insert(id, login.to_owned());
        id
    }

    fn script(&self, status: u16, headers: &[(&str, &str)], body: Value) {
        self.state.lock().unwrap().script.push_back(Scripted {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_string(),
        });
    }

    fn set(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.state.lock().unwrap());
    }

    fn issues(&self) -> Vec<IssueRecord> {
        self.state.lock().unwrap().issues.clone()
    }

    fn issue_comments(&self) -> Vec<(u64, String)> {
        self.state.lock().unwrap().issue_comments.clone()
    }
}

fn serve(stream: TcpStream, state: &Mutex<State>, base: &str, prefix: &str) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some(crate::common::Request {
        method,
        path,
        auth,
        body,
    }) = crate::common::read_request(&mut reader)
    else {
        return;
    };
    // A listing of issues may wait for another run's (outside the lock).
    let barrier = {
        let mut s = state.lock().unwrap();
        let listing = method == "GET"
            && path
                .split('?')
                .next()
                .is_some_and(|p| p.ends_with("/issues"));
        if listing && s.list_waits > 0 {
            s.list_waits -= 1;
            s.list_barrier.clone()
        } else {
            None
        }
    };
    if let Some(b) = barrier {
        b.wait();
    }
    let (status, headers, text) = {
        let mut s = state.lock().unwrap();
        s.requests.push(Request {
            method: method.clone(),
            path: path.clone(),
            auth,
            body: body.clone(),
        });
        route(&mut s, &method, &path, &body, base, prefix)
    };
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        text.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(text.as_bytes());
}

/// The login the job token writes comments as.
const ACTIONS_BOT: &str = "github-actions[bot]";

impl State {
    /// Who comment `id` is by.
    fn author(&self, id: u64) -> String {
        self.authors.get(&id).cloned().unwrap_or_else(|| {
            self.token_login
                .clone()
                .unwrap_or_else(|| ACTIONS_BOT.to_owned())
        })
    }
}

fn comment_json(id: u64, body: &str, login: &str) -> Value {
    let mut c = fixture("issue_comment.json");
    c["id"] = id.into();
    c["body"] = body.into();
    c["user"]["login"] = login.into();
    c["user"]["type"] = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    }
    .into();
    c["html_url"] = format!("https://github.com/octo/api/pull/2#issuecomment-{id}").into();
    c
}

/// An issue in GitHub's REST shape (tests/fixtures/github/issue.json).
fn issue_json(i: &IssueRecord) -> Value {
    let mut v = fixture("issue.json");
    v["number"] = i.number.into();
    v["id"] = (2_000_000_000 + i.number).into();
    v["title"] = i.title.clone().into();
    v["body"] = i.body.clone().into();
    v["state"] = i.state.clone().into();
    v["state_reason"] = i.state_reason.clone().map_or(Value::Null, Value::from);
    v["url"] = format!("https://api.github.com/repos/octo/api/issues/{}", i.number).into();
    v["html_url"] = format!("https://github.com/octo/api/issues/{}", i.number).into();
    v["user"]["login"] = ACTIONS_BOT.into();
    v["user"]["type"] = "Bot".into();
    v["created_at"] = format!("2026-12-01T00:00:{:02}Z", i.number % 60).into();
    v["labels"] = labels(&i.labels, 5_000);
    v
}

/// Label objects as GitHub returns them, numbered from `first_id`.
fn labels(names: &[String], first_id: usize) -> Value {
    names
        .iter()
        .enumerate()
        .map(|(n, name)| {
            json!({"id": first_id + n, "node_id": format!("LA_{n}"), "url": format!("https://api.github.com/repos/octo/api/labels/{name}"),
                   "name": name, "description": null, "color": "ededed", "default": false})
        })
        .collect()
}

/// A query parameter's value (`labels=a,b`), percent-decoding `%2C` and `%3A`.
fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        kv.strip_prefix(name)
            .and_then(|v| v.strip_prefix('='))
            .map(|v| v.replace("%2C", ",").replace("%3A", ":"))
    })
}

fn route(
    s: &mut State,
    method: &str,
    path: &str,
    body: &str,
    base: &str,
    prefix: &str,
) -> (u16, Vec<(String, String)>, String) {
    if let Some(r) = s.script.pop_front() {
        return (r.status, r.headers, r.body);
    }
    if s.down {
        return (502, vec![], "<html>bad gateway</html>".into());
    }
    let not_found = (404, vec![], json!({"message": "Not Found"}).to_string());
    let Some(rest) = path.strip_prefix(prefix) else {
        return not_found;
    };
    let (route_path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let segs: Vec<&str> = route_path.trim_matches('/').split('/').collect();
    let forbidden = (
        403,
        vec![("x-ratelimit-remaining".to_owned(), "4999".to_owned())],
        json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/issues/comments#create-an-issue-comment", "status": "403"}).to_string(),
    );
    match (method, segs.as_slice()) {
        ("GET", ["repos", _, _, "issues", _, "comments"]) => {
            let page: usize = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("page="))
                .and_then(|v| v.parse().ok())
                .unwrap_or(1);
            let size = s.page_size;
            let items: Vec<Value> = s
                .comments
                .iter()
                .skip((page - 1) * size)
                .take(size)
                .map(|(id, b)| comment_json(*id, b, &s.author(*id)))
                .collect();
            let mut headers = vec![];
            if page * size < s.comments.len() {
                headers.push((
                    "link".to_owned(),
                    format!(
                        "<{base}{route_path}?per_page=100&page={}>; rel=\"next\", <{base}{route_path}?per_page=100&page=9>; rel=\"last\"",
                        page + 1
                    ),
                ));
            }
            (200, headers, Value::Array(items).to_string())
        }
        ("GET", ["repos", _, _, "issues"]) => {
            let state = query_value(query, "state").unwrap_or_else(|| "open".into());
            let labels: Vec<String> = query_value(query, "labels")
                .map(|l| l.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            let items: Vec<Value> = s
                .issues
                .iter()
                .filter(|i| state == "all" || i.state == state)
                .filter(|i| labels.iter().all(|l| i.labels.contains(l)))
                .map(issue_json)
                .collect();
            (200, vec![], Value::Array(items).to_string())
        }
        ("POST", ["repos", _, _, "issues"]) => {
            if s.read_only {
                return forbidden;
            }
            let v: Value = serde_json::from_str(body).unwrap();
            s.next_issue += 1;
            let issue = IssueRecord {
                number: s.next_issue,
                title: v["title"].as_str().unwrap().to_owned(),
                body: v["body"].as_str().unwrap_or("").to_owned(),
                labels: v["labels"]
                    .as_array()
                    .map(|a| a.iter().map(|l| l.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default(),
                state: "open".into(),
                state_reason: None,
            };
            let out = issue_json(&issue);
            s.issues.push(issue);
            (201, vec![], out.to_string())
        }
        ("PATCH", ["repos", _, _, "issues", n]) => {
            if s.read_only {
                return forbidden;
            }
            let Ok(n) = n.parse::<u64>() else {
                return not_found;
            };
            let v: Value = serde_json::from_str(body).unwrap();
            let Some(issue) = s.issues.iter_mut().find(|i| i.number == n) else {
                return not_found;
            };
            if let Some(b) = v["body"].as_str() {
                issue.body = b.to_owned();
            }
            if let Some(st) = v["state"].as_str() {
                issue.state = st.to_owned();
            }
            if let Some(r) = v["state_reason"].as_str() {
                issue.state_reason = Some(r.to_owned());
            }
            (200, vec![], issue_json(issue).to_string())
        }
        ("POST", ["repos", _, _, "issues", n, "comments"])
            if s.issues.iter().any(|i| i.number.to_string() == *n) =>
        {
            let n: u64 = n.parse().unwrap();
            let text = serde_json::from_str::<Value>(body).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_owned();
            s.next_id += 1;
            let id = s.next_id;
            s.issue_comments.push((n, text.clone()));
            (201, vec![], comment_json(id, &text, &s.author(id)).to_string())
        }
        ("POST", ["repos", _, _, "issues", _, "comments"]) => {
            if s.read_only {
                return forbidden;
            }
            let text = serde_json::from_str::<Value>(body).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_owned();
            s.next_id += 1;
            let id = s.next_id;
            s.comments.push((id, text.clone()));
            (201, vec![], comment_json(id, &text, &s.author(id)).to_string())
        }
        // GitHub documents PATCH; octocrab's update_comment sends POST, which GitHub also takes.
        ("PATCH" | "POST", ["repos", _, _, "issues", "comments", id]) => {
            if s.read_only {
                return forbidden;
            }
            let id: u64 = id.parse().unwrap();
            let text = serde_json::from_str::<Value>(body).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_owned();
            match s.comments.iter_mut().find(|(i, _)| *i == id) {
                Some(c) => {
                    c.1 = text.clone();
                    (200, vec![], comment_json(id, &text, &s.author(id)).to_string())
                }
                None => not_found,
            }
        }
        // GitHub refuses `/user` to an installation (job) token.
        ("GET", ["user"]) => match &s.token_login {
            Some(login) => (
                200,
                vec![],
                json!({"login": login, "id": 583231, "type": "User", "site_admin": false}).to_string(),
            ),
            None => (
                403,
                vec![],
                json!({"message": "Resource not accessible by integration", "documentation_url": "https://docs.github.com/rest/users/users#get-the-authenticated-user", "status": "403"}).to_string(),
            ),
        },
        ("GET", ["repos", _, _, "pulls", n]) => {
            let mut pr = fixture("pull_request_opened.json")["pull_request"].clone();
            pr["number"] = n.parse::<u64>().unwrap().into();
            pr["head"]["sha"] = s.pr_head_sha.clone().into();
            pr["labels"] = labels(&s.pr_labels, 4_000);
            (200, vec![], pr.to_string())
        }
        _ => not_found,
    }
}

/// A results file: `metrics` are (phase, metric, value in ns).
fn run_json(suite: &str, sha: &str, metrics: &[(&str, &str, f64)]) -> String {
    let mut phases: Vec<Value> = Vec::new();
    for (phase, metric, value) in metrics {
        // Ten tight samples, so changes are judged on evidence, not "insufficient".
        let samples: Vec<f64> = (0..10)
            .map(|i| value * (1.0 + f64::from(i) * 1e-4))
            .collect();
        let m = json!({"name": metric, "unit": "ns", "direction": "lower", "value": value, "samples": samples});
        match phases.iter_mut().find(|p| p["name"] == *phase) {
            Some(p) => p["metrics"].as_array_mut().unwrap().push(m),
            None => phases.push(json!({"name": phase, "kind": "command", "metrics": [m]})),
        }
    }
    json!({
        "schema_version": 1,
        "suite": suite,
        "environment": {"key": "ci", "os": "linux", "arch": "x86_64", "cpu_model": "test", "cores": 2, "memory_bytes": 1_000_000_000u64},
        "git": {"sha": sha, "ref": "refs/heads/main"},
        "started_at": "2026-11-21T12:00:00Z",
        "finished_at": "2026-11-21T12:01:00Z",
        "phases": phases,
    })
    .to_string()
}

const BASE_SHA: &str = "1a2b3c4d5e6f70819283746556473829101a2b3c";
const HEAD_SHA: &str = "36afaef2afdf0ce794d7e4663e7f327664aaa4d7";

/// A workspace with a baseline and a current run of `suite`: startup wall
/// 100 ms → 161 ms (critical), build 1.00 s → 1.02 s (unchanged).
fn workspace(suite: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "baseline.json",
        &run_json(
            suite,
            BASE_SHA,
            &[("startup", "wall", 100e6), ("build", "wall", 1e9)],
        ),
    );
    write(
        dir.path(),
        "current.json",
        &run_json(
            suite,
            HEAD_SHA,
            &[("startup", "wall", 161e6), ("build", "wall", 1.02e9)],
        ),
    );
    dir
}

/// A comparison of suite `api` as `compare --format json` writes it
/// (startup wall 100 ms → 161 ms, critical), edited by `edit`, written into
/// `dir` as `api.comparison.json`.
fn saved_comparison(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v = json!({
        "schema_version": 1,
        "suite": "api",
        "verdict": "fail",
        "worst": "critical",
        "fail_on": "major",
        "baseline": {"suite": "api", "environment": "ci", "sha": BASE_SHA, "ref": "refs/heads/main", "started_at": "2026-11-20T12:00:00Z"},
        "current": {"suite": "api", "environment": "ci", "sha": HEAD_SHA, "started_at": "2026-11-21T12:00:00Z"},
        "comparisons": [{
            "phase": "startup", "metric": "wall", "unit": "ns", "direction": "lower",
            "baseline": 100e6, "current": 161e6, "change": 0.61, "severity": "critical",
            "p_value": 0.0002, "method": "hodges-lehmann",
            "baseline_samples": 10, "current_samples": 10
        }],
        "criteria": []
    });
    edit(&mut v);
    write(dir, "api.comparison.json", &v.to_string())
}

/// The pull-request event, edited by `edit`, written into `dir`.
fn pr_event(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let mut v = fixture("pull_request_opened.json");
    v["repository"]["full_name"] = "octo/api".into();
    v["pull_request"]["base"]["repo"]["full_name"] = "octo/api".into();
    v["pull_request"]["head"]["repo"]["full_name"] = "octo/api".into();
    edit(&mut v);
    write(dir, "event.json", &v.to_string())
}

/// `perfguard compare --github` as the Actions runner starts it.
fn compare_in_actions(
    dir: &Path,
    gh: &Github,
    event: &Path,
    event_name: &str,
) -> assert_cmd::Command {
    let mut cmd = perfguard(dir);
    cmd.args([
        "compare",
        "--baseline",
        "baseline.json",
        "--current",
        "current.json",
        "--format",
        "md",
        "--github",
    ])
    .env("GITHUB_ACTIONS", "true")
    .env("GITHUB_EVENT_NAME", event_name)
    .env("GITHUB_EVENT_PATH", event)
    .env("GITHUB_REPOSITORY", "octo/api")
    .env("GITHUB_API_URL", gh.api_url())
    .env("GITHUB_SERVER_URL", "https://github.com")
    .env("GITHUB_RUN_ID", "777")
    .env("GITHUB_SHA", HEAD_SHA)
    .env("GITHUB_REF", "refs/pull/2/merge")
    .env("GITHUB_STEP_SUMMARY", dir.join("summary.md"))
    .env("GITHUB_OUTPUT", dir.join("output.txt"))
    .env("INPUT_TOKEN", TOKEN)
    .env("PERFGUARD_GITHUB_MAX_WAIT_MS", "20");
    cmd
}

/// perfguard in `dir`, pointed at the stand-in `gh` as repository
/// `octo/api` with the test token.
fn against_github(dir: &Path, gh: &Github) -> assert_cmd::Command {
    let mut cmd = perfguard(dir);
    cmd.env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_TOKEN", TOKEN);
    cmd
}

/// `$GITHUB_OUTPUT` parsed (heredoc form).
fn outputs(dir: &Path) -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(dir.join("output.txt")).unwrap();
    let mut out = std::collections::BTreeMap::new();
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        let (name, delim) = l.split_once("<<").expect("heredoc form");
        let mut value = Vec::new();
        for v in lines.by_ref() {
            if v == delim {
                break;
            }
            value.push(v);
        }
        out.insert(name.to_owned(), value.join("\n"));
    }
    out
}

fn assert_token_hidden(out: &std::process::Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(TOKEN), "token in stderr");
    let leaks: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(TOKEN) && !l.starts_with("::add-mask::"))
        .collect();
    assert!(leaks.is_empty(), "token printed: {leaks:?}");
}

#[test]
fn first_run_creates_the_comment_summary_outputs_and_annotations() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    let out = compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_token_hidden(&out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!("::add-mask::{TOKEN}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains("::error title=perfguard api%3A startup wall::critical regression of startup wall: +61.0 %25 ▲ (baseline 100 ms, current 161 ms)\n"),
        "{stdout}"
    );

    let reqs = gh.requests();
    let calls: Vec<String> = reqs
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            "GET /repos/octo/api/issues/2/comments?per_page=100",
            "POST /repos/octo/api/issues/2/comments",
        ]
    );
    assert!(
        reqs.iter()
            .all(|r| r.auth.as_deref() == Some(&format!("Bearer {TOKEN}")[..]))
    );
    let comments = gh.comments();
    assert_eq!(comments.len(), 1);
    let body = &comments[0].1;
    assert!(body.starts_with("<!-- perfguard:api -->\n"));
    insta::assert_snapshot!("first_comment", body);

    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("### ❌ perfguard · api · 1 regression: startup/wall +61 % (critical)\n")
    );
    // The job summary keeps every detail the comment folds or leaves out.
    assert!(
        summary.contains(
            "\nBaseline 1a2b3c4 (refs/heads/main, 2026-11-21 12:00 UTC) · current 36afaef"
        ),
        "{summary}"
    );
    let o = outputs(dir.path());
    assert_eq!(o["verdict"], "fail");
    assert_eq!(o["regressions"], "1");
    assert_eq!(o["worst-severity"], "critical");
    assert_eq!(
        o["comment-url"],
        "https://github.com/octo/api/pull/2#issuecomment-1001"
    );
    let report = PathBuf::from(&o["report-path"]);
    assert_eq!(&std::fs::read_to_string(&report).unwrap(), body);
}

#[test]
fn an_uploaded_html_report_is_saved_beside_the_markdown_and_linked_from_the_comment() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("INPUT_UPLOAD_REPORT", "true")
        .assert()
        .code(1);
    let o = outputs(dir.path());
    let html = PathBuf::from(&o["html-report-path"]);
    assert_eq!(html.file_name().unwrap(), "api.html");
    assert_eq!(html.parent(), PathBuf::from(&o["report-path"]).parent());
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(
        page.contains("<td>startup</td><td>wall</td>"),
        "{page:.800}"
    );
    assert!(!page.contains(TOKEN), "the token is never rendered");
    let comments = gh.comments();
    let body = &comments[0].1;
    assert!(
        body.contains(
            " · [workflow run](https://github.com/octo/api/actions/runs/777) · [HTML report with charts](https://github.com/octo/api/actions/runs/777#artifacts)\n"
        ),
        "{body}"
    );

    // Without the upload the page is still saved, and the comment does not
    // point at an artifact that is not there.
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("INPUT_UPLOAD_REPORT", "false")
        .assert()
        .code(1);
    assert!(PathBuf::from(&outputs(dir.path())["html-report-path"]).is_file());
    assert!(!gh.comments()[0].1.contains("HTML report"));
}

#[test]
fn a_second_run_updates_the_comment_in_place() {
    let gh = Github::start();
    let other = gh.seed("LGTM, but is startup slower?");
    let ours = gh.seed("<!-- perfguard:api -->\n### old report");
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let writes: Vec<Request> = gh
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .collect();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "PATCH");
    assert_eq!(
        writes[0].path,
        format!("/repos/octo/api/issues/comments/{ours}")
    );
    let sent: Value = serde_json::from_str(&writes[0].body).unwrap();
    assert_eq!(sent.as_object().unwrap().len(), 1, "only the body is sent");
    assert!(
        sent["body"]
            .as_str()
            .unwrap()
            .starts_with("<!-- perfguard:api -->\n### ❌")
    );
    let comments = gh.comments();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0], (other, "LGTM, but is startup slower?".into()));
    assert!(
        comments[1]
            .1
            .contains("· 1 regression: startup/wall +61 % (critical)")
    );
    let o = outputs(dir.path());
    assert_eq!(
        o["comment-url"],
        format!("https://github.com/octo/api/pull/2#issuecomment-{ours}")
    );
}

#[test]
fn a_strangers_comment_with_the_marker_is_left_alone_and_a_new_one_is_created() {
    // The job token: GitHub refuses `GET /user`, so perfguard is github-actions[bot].
    let gh = Github::start();
    let forged = "<!-- perfguard:api -->\n### ✅ perfguard: no regressions";
    let stranger = gh.seed_by("mallory", forged);
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let calls: Vec<String> = gh
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path.split('?').next().unwrap()))
        .collect();
    assert_eq!(
        calls,
        [
            "GET /repos/octo/api/issues/2/comments",
            "GET /user",
            "POST /repos/octo/api/issues/2/comments",
        ]
    );
    let comments = gh.comments();
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0], (stranger, forged.to_owned()));
    let (ours, body) = &comments[1];
    assert!(body.starts_with("<!-- perfguard:api -->\n### ❌"), "{body}");
    assert_eq!(
        outputs(dir.path())["comment-url"],
        format!("https://github.com/octo/api/pull/2#issuecomment-{ours}")
    );
}

#[test]
fn with_the_job_token_the_actions_bots_marker_comment_is_updated_and_a_strangers_is_not() {
    let gh = Github::start();
    let stranger = gh.seed_by("mallory", "<!-- perfguard:api -->\nforged");
    let ours = gh.seed_by(ACTIONS_BOT, "<!-- perfguard:api -->\n### old report");
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let writes: Vec<String> = gh
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        [format!("PATCH /repos/octo/api/issues/comments/{ours}")]
    );
    assert_eq!(
        gh.comments()[0],
        (stranger, "<!-- perfguard:api -->\nforged".into())
    );
    assert_eq!(
        outputs(dir.path())["comment-url"],
        format!("https://github.com/octo/api/pull/2#issuecomment-{ours}")
    );
}

#[test]
fn with_a_personal_token_the_users_own_marker_comment_is_updated_and_the_bots_is_not() {
    // A PAT: `GET /user` answers its login; github-actions[bot]'s comment is not this token's.
    let gh = Github::start();
    gh.set(|s| s.token_login = Some("perf-bot-user".into()));
    let bots = gh.seed_by(ACTIONS_BOT, "<!-- perfguard:api -->\nby the job token");
    let ours = gh.seed_by("Perf-Bot-User", "<!-- perfguard:api -->\n### old report");
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let requests = gh.requests();
    assert_eq!(
        requests.iter().filter(|r| r.path == "/user").count(),
        1,
        "the identity is asked for once"
    );
    let writes: Vec<String> = requests
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        [format!("PATCH /repos/octo/api/issues/comments/{ours}")]
    );
    assert_eq!(
        gh.comments()[0],
        (bots, "<!-- perfguard:api -->\nby the job token".into())
    );
}

#[test]
fn the_comment_author_input_names_a_github_apps_bot_without_asking_github() {
    let gh = Github::start();
    gh.seed_by(ACTIONS_BOT, "<!-- perfguard:api -->\nnot the app's");
    let ours = gh.seed_by("my-app[bot]", "<!-- perfguard:api -->\n### old report");
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("PERFGUARD_COMMENT_AUTHOR", "my-app[bot]")
        .assert()
        .code(1);
    let requests = gh.requests();
    assert!(requests.iter().all(|r| r.path != "/user"));
    let writes: Vec<String> = requests
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        [format!("PATCH /repos/octo/api/issues/comments/{ours}")]
    );
}

#[test]
fn two_suites_give_two_comments() {
    let gh = Github::start();
    for suite in ["api", "worker"] {
        let dir = workspace(suite);
        let event = pr_event(dir.path(), |_| {});
        compare_in_actions(dir.path(), &gh, &event, "pull_request")
            .assert()
            .code(1);
    }
    // Again: each suite finds and updates its own.
    for suite in ["worker", "api"] {
        let dir = workspace(suite);
        let event = pr_event(dir.path(), |_| {});
        compare_in_actions(dir.path(), &gh, &event, "pull_request")
            .assert()
            .code(1);
    }
    let comments = gh.comments();
    assert_eq!(comments.len(), 2);
    assert!(comments[0].1.starts_with("<!-- perfguard:api -->"));
    assert!(comments[1].1.starts_with("<!-- perfguard:worker -->"));
    let methods: Vec<String> = gh
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(methods, vec!["POST", "POST", "PATCH", "PATCH"]);
}

#[test]
fn the_marker_on_page_two_is_found_through_the_link_header() {
    let gh = Github::start();
    gh.set(|s| s.page_size = 2);
    gh.seed("first");
    gh.seed("> <!-- perfguard:api -->\n> a quote of our comment is not ours");
    let ours = gh.seed("<!-- perfguard:api -->\nold");
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let calls: Vec<String> = gh
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            "GET /repos/octo/api/issues/2/comments?per_page=100".to_owned(),
            "GET /repos/octo/api/issues/2/comments?per_page=100&page=2".to_owned(),
            "GET /user".to_owned(),
            format!("PATCH /repos/octo/api/issues/comments/{ours}"),
        ]
    );
    assert_eq!(gh.comments().len(), 3);
}

#[test]
fn a_fork_pull_request_degrades_to_summary_and_saved_comparison_then_comment_renders_it() {
    let gh = Github::start();
    gh.set(|s| s.read_only = true);
    let dir = workspace("api");
    let event = pr_event(dir.path(), |v| {
        v["pull_request"]["head"]["repo"]["full_name"] = "mallory/api".into();
    });
    let out = compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("403"), "{stderr}");
    assert!(stderr.contains("pull-requests: write"), "{stderr}");
    assert!(
        stderr.contains("perfguard comment --comparison"),
        "{stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::warning title=perfguard::could not write"),
        "{stdout}"
    );
    assert!(gh.comments().is_empty());
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("· 1 regression: startup/wall +61 % (critical)"),
        "{summary}"
    );
    let o = outputs(dir.path());
    assert_eq!(o["comment-url"], "");
    let report = PathBuf::from(&o["report-path"]);
    let comparison = PathBuf::from(&o["comparison-path"]);
    assert_eq!(comparison, report.with_file_name("api.comparison.json"));
    let meta: Value =
        serde_json::from_str(&std::fs::read_to_string(report.with_extension("json")).unwrap())
            .unwrap();
    assert_eq!(meta["pr"], 2);
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&comparison).unwrap()).unwrap();
    assert_eq!(saved["suite"], "api");
    assert_eq!(saved["verdict"], "fail");

    // The trusted workflow_run half, with a write token. Fork runs have no
    // pull_requests in the payload: the number comes from the saved .json.
    gh.set(|s| s.read_only = false);
    let trusted = tempfile::tempdir().unwrap();
    let mut wr = fixture("workflow_run.json");
    wr["workflow_run"]["event"] = "pull_request".into();
    wr["workflow_run"]["head_sha"] = HEAD_SHA.into();
    wr["workflow_run"]["pull_requests"] = json!([]);
    let wr_path = write(trusted.path(), "event.json", &wr.to_string());
    let saved = trusted.path().join("report/api.comparison.json");
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    std::fs::copy(&comparison, &saved).unwrap();
    std::fs::copy(
        report.with_extension("json"),
        trusted.path().join("report/api.json"),
    )
    .unwrap();
    let out = perfguard(trusted.path())
        .args(["comment", "--comparison", "report/api.comparison.json"])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "workflow_run")
        .env("GITHUB_EVENT_PATH", &wr_path)
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_TOKEN", TOKEN)
        .assert()
        .success()
        .get_output()
        .clone();
    assert_token_hidden(&out);
    let comments = gh.comments();
    assert_eq!(comments.len(), 1);
    // Rendered here from the data, linking the run that measured.
    let body = &comments[0].1;
    assert!(body.starts_with("<!-- perfguard:api -->\n### ❌"), "{body}");
    assert!(
        body.contains("· 1 regression: startup/wall +61 % (critical)"),
        "{body}"
    );
    assert!(
        body.contains(&format!(
            "(https://github.com/octo/api/actions/runs/{})",
            wr["workflow_run"]["id"]
        )),
        "{body}"
    );
    let posted: Vec<String> = gh
        .requests()
        .iter()
        .filter(|r| r.auth.is_some())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        posted.contains(&"GET /repos/octo/api/pulls/2".to_owned()),
        "{posted:?}"
    );
}

#[test]
fn comment_refuses_a_comparison_aimed_at_a_pull_request_the_run_did_not_build() {
    let gh = Github::start();
    gh.set(|s| s.pr_head_sha = "ffffffffffffffffffffffffffffffffffffffff".into());
    let dir = tempfile::tempdir().unwrap();
    saved_comparison(dir.path(), |_| {});
    let mut wr = fixture("workflow_run.json");
    wr["workflow_run"]["head_sha"] = HEAD_SHA.into();
    let wr_path = write(dir.path(), "event.json", &wr.to_string());
    perfguard(dir.path())
        .args([
            "comment",
            "--comparison",
            "api.comparison.json",
            "--pr",
            "7",
        ])
        .env("GITHUB_EVENT_NAME", "workflow_run")
        .env("GITHUB_EVENT_PATH", &wr_path)
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_TOKEN", TOKEN)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("refusing to post it there"));
    assert!(gh.comments().is_empty());
}

#[test]
fn comment_refuses_a_file_that_is_not_a_comparison() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "evil.txt", "@everyone click here\n");
    against_github(dir.path(), &gh)
        .args(["comment", "--comparison", "evil.txt", "--pr", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("evil.txt"))
        .stderr(predicates::str::contains("not a comparison JSON"));
    assert!(gh.requests().is_empty());
}

#[test]
fn a_markdown_report_given_as_the_comparison_is_refused_naming_what_to_pass() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "api.md",
        "<!-- perfguard:api -->\n### ✅ perfguard: no regressions\n@everyone ![x](https://evil.example/x.png)\n",
    );
    against_github(dir.path(), &gh)
        .args(["comment", "--comparison", "api.md", "--pr", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("api.md"))
        .stderr(predicates::str::contains("is Markdown"))
        .stderr(predicates::str::contains("SUITE.comparison.json"));
    assert!(gh.requests().is_empty());
}

#[test]
fn comment_report_is_refused_pointing_to_comparison() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "api.md",
        "<!-- perfguard:api -->\n### ✅ pass\n",
    );
    against_github(dir.path(), &gh)
        .args(["comment", "--report", "api.md", "--pr", "2"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no longer supported"))
        .stderr(predicates::str::contains(
            "--comparison api.comparison.json",
        ));
    assert!(gh.requests().is_empty());
    assert!(gh.comments().is_empty());
}

#[test]
fn a_forged_pass_over_a_critical_metric_is_posted_as_a_failure() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    saved_comparison(dir.path(), |v| {
        v["verdict"] = "pass".into();
        v["worst"] = "unchanged".into();
        v["fail_on"] = "critical".into();
    });
    let out = perfguard(dir.path())
        .args([
            "comment",
            "--comparison",
            "api.comparison.json",
            "--pr",
            "2",
        ])
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_TOKEN", TOKEN)
        .assert()
        .success()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("(fail)"), "{stderr}");
    let comments = gh.comments();
    assert_eq!(comments.len(), 1);
    let body = &comments[0].1;
    assert!(body.starts_with("<!-- perfguard:api -->\n### ❌"), "{body}");
    assert!(!body.contains('✅'), "{body}");
    assert!(body.contains("(critical)"), "{body}");
}

#[test]
fn the_trusted_half_reads_the_accept_label_from_the_pull_request() {
    let gh = Github::start();
    gh.set(|s| s.pr_labels = vec!["perfguard:accept".into()]);
    let dir = tempfile::tempdir().unwrap();
    saved_comparison(dir.path(), |_| {});
    let out = perfguard(dir.path())
        .args([
            "comment",
            "--comparison",
            "api.comparison.json",
            "--pr",
            "2",
        ])
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_TOKEN", TOKEN)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&out.stderr).contains("(accepted)"));
    let body = &gh.comments()[0].1;
    assert!(
        body.starts_with("<!-- perfguard:api -->\n### ☑️ perfguard · api · accepted by the label"),
        "{body}"
    );
}

#[test]
fn hostile_names_in_a_comparison_post_no_link_image_mention_or_html() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    let link = "[click](https://evil.example/login)";
    let image = "![pwn](https://evil.example/x.png)";
    saved_comparison(dir.path(), |v| {
        v["comparisons"][0]["phase"] = format!("{image} @everyone").into();
        v["comparisons"][0]["metric"] = format!("{link} <img src=x onerror=alert(1)>").into();
        v["comparisons"][0]["method"] = "@octo-org/admins <details open>".into();
        v["notes"] = json!([format!("see {link} and @maintainer\n\n### ✅ all good")]);
        v["recommendations"] = json!([format!("{image} www.evil.example")]);
        v["errors"] = json!([{"phase": "@everyone", "message": "<script>x</script>", "stderr_tail": "```\n@everyone"}]);
        v["criteria"] = json!([{
            "phase": "[x](https://evil.example)", "metric": "@everyone", "criterion": "< 50ms ![i](https://evil.example/c.png)",
            "actual": null, "unit": "ns", "passed": false, "reason": "@everyone <b>bold</b>"
        }]);
        // A harness's own unit is kept as named: user text too.
        let mut own_unit = v["comparisons"][0].clone();
        own_unit["metric"] = "ops".into();
        own_unit["unit"] = "@everyone [u](https://evil.example)".into();
        v["comparisons"].as_array_mut().unwrap().push(own_unit);
        v["baseline"]["environment"] = "@everyone ![e](https://evil.example/e.png)".into();
        v["baseline"]["ref"] = "refs/heads/@everyone<img>".into();
        v["provenance"] = json!({"mode": "baseline", "history_runs": 3, "fallback": "@everyone [f](https://evil.example)"});
        v["change_points"] = json!([{
            "phase": "@everyone", "metric": "[c](https://evil.example)", "started_at": "2026-11-20T12:00:00Z",
            "index": 1, "before": 1.0, "after": 2.0, "p_value": 0.01
        }]);
        v["slos"] = json!([{
            "metric": "@everyone", "objective": "![o](https://evil.example/o.png)", "window": "<img>",
            "runs": 3, "bad_share": 0.5, "budget_used": 2.0, "budget_left": -1.0, "burn_rate": 3.0, "status": "critical"
        }]);
    });
    perfguard(dir.path())
        .args([
            "comment",
            "--comparison",
            "api.comparison.json",
            "--pr",
            "2",
        ])
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_TOKEN", TOKEN)
        .assert()
        .success();
    let comments = gh.comments();
    assert_eq!(comments.len(), 1);
    let body = &comments[0].1;
    assert!(body.contains("evil"), "the names are shown: {body}");
    // A stderr tail is shown verbatim, but inside a fence longer than any
    // backtick run in it, where GitHub renders no mention, link or HTML.
    let fenced = "  ````text\n  ```\n  @everyone\n  ````\n";
    assert!(body.contains(fenced), "{body}");
    let body = body.replace(fenced, "");
    for raw in [
        "](https://evil",
        "![",
        "https://evil",
        "www.evil",
        "@everyone",
        "@maintainer",
        "@octo-org",
        "<img",
        "<script",
        "<b>",
        "<details open",
        "\n### ✅",
    ] {
        assert!(!body.contains(raw), "`{raw}` reached the comment: {body}");
    }
}

#[test]
fn a_502_is_retried_then_the_comment_is_written() {
    let gh = Github::start();
    gh.script(502, &[], json!({"message": "Server Error"}));
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let calls: Vec<String> = gh
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            "GET /repos/octo/api/issues/2/comments?per_page=100",
            "GET /repos/octo/api/issues/2/comments?per_page=100",
            "POST /repos/octo/api/issues/2/comments",
        ]
    );
    assert_eq!(gh.comments().len(), 1);
}

#[test]
fn a_secondary_rate_limit_is_waited_out_and_retried() {
    let gh = Github::start();
    gh.script(
        403,
        &[("retry-after", "30")],
        json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
    );
    let reset = (chrono::Utc::now().timestamp() + 3600).to_string();
    gh.script(
        429,
        &[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ],
        json!({"message": "API rate limit exceeded"}),
    );
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    assert_eq!(gh.requests().len(), 4);
    assert_eq!(gh.comments().len(), 1);
}

#[test]
fn a_github_outage_still_gives_the_summary_and_the_exit_code() {
    let gh = Github::start();
    gh.set(|s| s.down = true);
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    let out = compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1)
        .get_output()
        .clone();
    // Bounded: four attempts, then give up.
    assert_eq!(gh.requests().len(), 4);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("502"), "{stderr}");
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("· 1 regression: startup/wall +61 % (critical)"),
        "{summary}"
    );
    assert_eq!(outputs(dir.path())["verdict"], "fail");
}

#[test]
fn github_enterprise_server_is_reached_through_its_api_url() {
    let gh = Github::start_at("/api/v3");
    gh.set(|s| s.page_size = 1);
    gh.seed("someone else");
    gh.seed("<!-- perfguard:api -->\nold");
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("GITHUB_SERVER_URL", "https://ghe.example.com")
        .assert()
        .code(1);
    let reqs = gh.requests();
    assert_eq!(reqs.len(), 4);
    assert!(
        reqs.iter()
            .all(|r| r.path.starts_with("/api/v3/repos/octo/api/") || r.path == "/api/v3/user"),
        "{reqs:?}"
    );
    let body = &gh.comments()[1].1;
    assert!(
        body.contains("(https://ghe.example.com/octo/api/actions/runs/777)"),
        "{body}"
    );
    assert!(body.contains(&format!(
        "(https://ghe.example.com/octo/api/commit/{BASE_SHA})"
    )));
}

#[test]
fn the_accept_label_passes_the_run_and_the_comment_says_what_it_accepted() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |v| {
        v["pull_request"]["labels"] =
            json!([{"id": 1, "name": "perf"}, {"id": 2, "name": "perfguard:accept"}]);
    });
    let out = compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("::warning title=perfguard api%3A startup wall::"),
        "{stdout}"
    );
    assert!(!stdout.contains("::error"), "{stdout}");
    let body = &gh.comments()[0].1;
    insta::assert_snapshot!("accepted_comment", body);
    assert_eq!(outputs(dir.path())["verdict"], "accepted");
}

#[test]
fn a_custom_accept_label_is_the_one_that_counts() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |v| {
        v["pull_request"]["labels"] = json!([{"name": "perfguard:accept"}]);
    });
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("INPUT_ACCEPT-LABEL", "slow-ok")
        .assert()
        .code(1);
}

#[test]
fn a_report_over_the_limit_becomes_a_compact_comment_of_whole_rows() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    // 3000 metrics: 400 critical regressions, the rest unchanged.
    let name = "a_rather_long_metric_name_to_fill_the_table";
    let base: Vec<(String, f64)> = (0..3000).map(|i| (format!("{name}_{i}"), 1e6)).collect();
    let cur: Vec<(String, f64)> = (0..3000)
        .map(|i| (format!("{name}_{i}"), if i % 15 == 0 { 3e6 } else { 1e6 }))
        .collect();
    let as_refs = |v: &[(String, f64)]| -> Vec<(&'static str, String, f64)> {
        v.iter().map(|(n, x)| ("bench", n.clone(), *x)).collect()
    };
    let to_json = |sha: &str, v: Vec<(&'static str, String, f64)>| {
        let refs: Vec<(&str, &str, f64)> = v.iter().map(|(p, n, x)| (*p, n.as_str(), *x)).collect();
        run_json("api", sha, &refs)
    };
    write(
        dir.path(),
        "baseline.json",
        &to_json(BASE_SHA, as_refs(&base)),
    );
    write(
        dir.path(),
        "current.json",
        &to_json(HEAD_SHA, as_refs(&cur)),
    );
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let body = &gh.comments()[0].1;
    assert!(body.chars().count() <= 60_000, "{}", body.chars().count());
    assert!(
        body.contains("This comment is compact to stay under 60,000 characters. Left out: "),
        "{body}"
    );
    assert!(
        body.contains("(2800 unchanged)"),
        "{}",
        &body[body.len() - 400..]
    );
    // Whole rows only: every row has its table's four or three columns.
    for line in body
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|-") && !l.starts_with("|:"))
    {
        assert!(line.ends_with('|'), "cut row: {line}");
        let cells = line.matches(" | ").count();
        assert!(cells == 3 || cells == 2, "{line}");
    }
    let rows = body.lines().filter(|l| l.contains("🔴 critical")).count();
    assert_eq!(rows, 200);
    // The job summary has room for the whole table.
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert_eq!(
        summary
            .lines()
            .filter(|l| l.contains("🔴 critical"))
            .count(),
        200
    );
    assert!(summary.contains("<details>"));
}

#[test]
fn comment_never_writes_nothing_to_the_api() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("INPUT_COMMENT", "never")
        .assert()
        .code(1);
    assert!(gh.requests().is_empty());
    assert!(dir.path().join("summary.md").is_file());
}

#[test]
fn on_regression_does_not_start_a_comment_for_a_clean_run() {
    let gh = Github::start();
    let dir = workspace("api");
    write(
        dir.path(),
        "current.json",
        &run_json(
            "api",
            HEAD_SHA,
            &[("startup", "wall", 101e6), ("build", "wall", 1e9)],
        ),
    );
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("INPUT_COMMENT", "on-regression")
        .assert()
        .code(0);
    let methods: Vec<String> = gh.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, vec!["GET"]);
    assert_eq!(outputs(dir.path())["verdict"], "pass");
}

#[test]
fn a_push_publishes_the_summary_but_no_comment() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = write(dir.path(), "event.json", &fixture("push.json").to_string());
    compare_in_actions(dir.path(), &gh, &event, "push")
        .env("GITHUB_REF", "refs/heads/main")
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no comment: not a pull request"));
    assert!(gh.requests().is_empty());
    assert!(
        std::fs::read_to_string(dir.path().join("summary.md"))
            .unwrap()
            .contains("### ❌ perfguard · api · ")
    );
}

#[test]
fn a_broken_event_payload_is_refused_with_its_path_and_line() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = write(
        dir.path(),
        "event.json",
        "{\"pull_request\": {\"number\": 2,\n ]",
    );
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("event.json"))
        .stderr(predicates::str::contains("line 2"));
    assert!(gh.requests().is_empty());
}

#[test]
fn a_bad_input_is_refused_naming_it() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("INPUT_SAVE", "sometimes")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("action input `save`"));
}

#[test]
fn github_flag_outside_actions_publishes_nothing() {
    let dir = workspace("api");
    perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "baseline.json",
            "--current",
            "current.json",
            "--github",
        ])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("not running in GitHub Actions"));
    assert!(!dir.path().join("perfguard-report").exists());
}

#[test]
fn a_hostile_suite_name_stays_inside_its_marker_and_finds_its_comment_again() {
    let gh = Github::start();
    let suite = "api --><img src=x onerror=alert(1)> | *x*";
    for _ in 0..2 {
        let dir = workspace(suite);
        let event = pr_event(dir.path(), |_| {});
        compare_in_actions(dir.path(), &gh, &event, "pull_request")
            .assert()
            .code(1);
    }
    let comments = gh.comments();
    assert_eq!(
        comments.len(),
        1,
        "the second run updated the first comment"
    );
    let body = &comments[0].1;
    let first = body.lines().next().unwrap();
    assert!(first.starts_with("<!-- perfguard:") && first.ends_with(" -->"));
    assert_eq!(first.matches("-->").count(), 1, "{first}");
    assert!(
        !body.lines().skip(1).any(|l| l.contains("<img")),
        "raw HTML outside the marker: {body}"
    );
    assert!(
        body.contains("&lt;img src=x onerror=alert(1)&gt; &#124; \\*x\\*"),
        "{body}"
    );
}

#[test]
fn a_missing_event_file_is_refused_with_its_path() {
    let gh = Github::start();
    let dir = workspace("api");
    let missing = dir.path().join("no-such-event.json");
    compare_in_actions(dir.path(), &gh, &missing, "pull_request")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no-such-event.json"));
}

#[test]
fn labels_that_are_not_a_list_are_refused() {
    let gh = Github::start();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |v| {
        v["pull_request"]["labels"] = "perfguard:accept".into()
    });
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("pull_request.labels"));
    assert!(gh.requests().is_empty());
}

#[test]
fn history_runs_give_the_comment_a_trend_sparkline() {
    let gh = Github::start();
    let dir = workspace("api");
    for (i, wall) in [90e6, 95e6, 100e6].iter().enumerate() {
        let text = run_json(
            "api",
            BASE_SHA,
            &[("startup", "wall", *wall), ("build", "wall", 1e9)],
        )
        .replace("2026-11-21T12:00:00Z", &format!("2026-11-1{i}T12:00:00Z"));
        write(dir.path(), &format!("h{i}.json"), &text);
    }
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        // Given newest first: perfguard orders them by time.
        .args([
            "--history",
            "h2.json",
            "--history",
            "h0.json",
            "--history",
            "h1.json",
        ])
        .assert()
        .code(1);
    let body = &gh.comments()[0].1;
    assert!(body.contains("| Trend |"), "{body}");
    assert!(
        body.contains(
            "| 🔴 critical | startup/wall | +61.0 % (+61.0 … +61.0 %) | 100 ms → 161 ms | ▁▁▂█ |"
        ),
        "{body}"
    );
}

#[test]
fn on_change_keeps_an_existing_comment_current_even_when_nothing_moved() {
    let gh = Github::start();
    let ours = gh.seed("<!-- perfguard:api -->\n### ❌ an old failure");
    let dir = workspace("api");
    write(
        dir.path(),
        "current.json",
        &run_json(
            "api",
            HEAD_SHA,
            &[("startup", "wall", 100e6), ("build", "wall", 1e9)],
        ),
    );
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .env("INPUT_COMMENT", "on-change")
        .assert()
        .code(0);
    let comments = gh.comments();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].0, ours);
    assert!(
        comments[0]
            .1
            .contains("### ✅ perfguard · api · No performance change"),
        "{}",
        comments[0].1
    );
}

#[test]
fn comment_refuses_a_comparison_made_for_another_repository() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    saved_comparison(dir.path(), |_| {});
    write(
        dir.path(),
        "api.json",
        &json!({"schema_version": 1, "suite": "api", "repository": "mallory/api", "pr": 2})
            .to_string(),
    );
    against_github(dir.path(), &gh)
        .args(["comment", "--comparison", "api.comparison.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("mallory/api"));
    assert!(gh.requests().is_empty());
}

#[test]
fn comment_without_a_repository_or_token_is_a_usage_error() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    saved_comparison(dir.path(), |_| {});
    perfguard(dir.path())
        .args([
            "comment",
            "--comparison",
            "api.comparison.json",
            "--pr",
            "2",
        ])
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_TOKEN", TOKEN)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("GITHUB_REPOSITORY is not set"));
    perfguard(dir.path())
        .args([
            "comment",
            "--comparison",
            "api.comparison.json",
            "--pr",
            "2",
        ])
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env_remove("GITHUB_TOKEN")
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no token"));
    assert!(gh.requests().is_empty());
}

#[test]
fn comment_with_a_broken_saved_json_names_it() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    saved_comparison(dir.path(), |_| {});
    write(dir.path(), "api.json", "{\"pr\": 2,");
    against_github(dir.path(), &gh)
        .args(["comment", "--comparison", "api.comparison.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("api.json"))
        .stderr(predicates::str::contains("line 1"));
}

/// `perfguard check`, as the action runs it on a pull request: the report is
/// posted as the sticky comment and written to the summary; nothing is saved.
#[test]
fn check_in_actions_comments_on_the_pull_request_and_never_saves() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["init", "-q", "-b", "main"]);
    // A criterion no run can meet: the verdict is `fail` whatever the timings.
    write(
        dir.path(),
        "perfguard.toml",
        "[suite]\nname = \"api\"\nenvironment = \"ci\"\n[[phase]]\nname = \"startup\"\nkind = \"command\"\ncommand = [\"true\"]\nruns = 3\ncriteria = { \"wall\" = \"< 1ns\" }\n",
    );
    git(&["add", "."]);
    git(&["commit", "-qm", "init"]);
    perfguard(dir.path())
        .args(["check", "--save"])
        .assert()
        .code(1);
    let runs_before = git(&["ls-tree", "-r", "--name-only", "perfguard-baselines"]);

    let event = pr_event(dir.path(), |_| {});
    let out = perfguard(dir.path())
        .args(["check", "--format", "md"])
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "777")
        .env("GITHUB_REF", "refs/pull/2/merge")
        .env("GITHUB_STEP_SUMMARY", dir.path().join("summary.md"))
        .env("GITHUB_OUTPUT", dir.path().join("output.txt"))
        .env("INPUT_TOKEN", TOKEN)
        .env("INPUT_SAVE", "always")
        .env("PERFGUARD_GITHUB_MAX_WAIT_MS", "20")
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_token_hidden(&out);
    let comments = gh.comments();
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].1.starts_with("<!-- perfguard:api -->\n"),
        "{}",
        comments[0].1
    );
    assert!(
        comments[0]
            .1
            .contains("| ❌ failed | startup wall &lt; 1ns | "),
        "{}",
        comments[0].1
    );
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("1 failed criterion: startup wall &lt; 1ns ("),
        "{summary}"
    );
    assert_eq!(outputs(dir.path())["verdict"], "fail");
    // A pull request never saves, even with `save: always`.
    assert_eq!(
        git(&["ls-tree", "-r", "--name-only", "perfguard-baselines"]),
        runs_before
    );
}

/// An API that accepts connections and never answers (issue: a silent API
/// must not hang the check). Returns its URL and the connections it took.
fn silent_api() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        // Held open, never read from or written to.
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(stream);
        }
    });
    (url, accepted)
}

/// `compare --github` on a pull request against an API that never answers,
/// with `env` setting the timeouts: (the workspace, its stderr, connections
/// the silent API accepted, the recording stand-in that should see nothing).
fn compare_against_a_silent_api(
    env: &[(&str, &str)],
) -> (tempfile::TempDir, String, usize, Github) {
    let gh = Github::start();
    let (silent, accepted) = silent_api();
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    let mut cmd = compare_in_actions(dir.path(), &gh, &event, "pull_request");
    cmd.env("GITHUB_API_URL", &silent);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd
        // A safety net so a regression fails here instead of hanging the suite.
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let accepted = accepted.load(std::sync::atomic::Ordering::SeqCst);
    (dir, stderr, accepted, gh)
}

#[test]
fn a_silent_api_times_out_and_the_verdict_still_comes_out() {
    let (dir, stderr, accepted, gh) = compare_against_a_silent_api(&[
        ("PERFGUARD_GITHUB_REQUEST_TIMEOUT_MS", "300"),
        ("PERFGUARD_GITHUB_ATTEMPTS", "2"),
    ]);
    assert!(
        stderr.contains(
            "GET /repos/octo/api/issues/2/comments: could not reach GitHub: no answer within 300 ms"
        ),
        "{stderr}"
    );
    // A GET that timed out is retried, within the attempts.
    assert_eq!(accepted, 2);
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        summary.contains("· 1 regression: startup/wall +61 % (critical)"),
        "{summary}"
    );
    let o = outputs(dir.path());
    assert_eq!(o["verdict"], "fail");
    assert_eq!(o["comment-url"], "");
    assert!(gh.requests().is_empty());
}

#[test]
fn one_deadline_bounds_all_of_githubs_calls() {
    // Each attempt alone could wait a minute; the deadline ends it first.
    let (dir, stderr, accepted, _gh) = compare_against_a_silent_api(&[
        ("PERFGUARD_GITHUB_REQUEST_TIMEOUT_MS", "60000"),
        ("PERFGUARD_GITHUB_DEADLINE_MS", "300"),
    ]);
    assert!(
        stderr.contains("no answer before the deadline of 300 ms"),
        "{stderr}"
    );
    // No retry is started once the deadline has passed.
    assert_eq!(accepted, 1);
    assert_eq!(outputs(dir.path())["verdict"], "fail");
}

#[test]
fn comment_creates_with_a_post_then_updates_with_a_patch_of_the_body_alone() {
    let gh = Github::start();
    let dir = tempfile::tempdir().unwrap();
    let post = |severity: &str| {
        saved_comparison(dir.path(), |v| {
            v["comparisons"][0]["severity"] = severity.into();
        });
        perfguard(dir.path())
            .args([
                "comment",
                "--comparison",
                "api.comparison.json",
                "--pr",
                "2",
            ])
            .env("GITHUB_REPOSITORY", "octo/api")
            .env("GITHUB_API_URL", gh.api_url())
            .env("GITHUB_TOKEN", TOKEN)
            .assert()
            .success();
        gh.comments().last().unwrap().1.clone()
    };
    let first = post("critical");
    let second = post("unchanged");
    assert!(
        first.starts_with("<!-- perfguard:api -->\n### ❌"),
        "{first}"
    );
    assert!(
        second.starts_with("<!-- perfguard:api -->\n### ✅"),
        "{second}"
    );
    let calls: Vec<(String, String, String)> = gh
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.body))
        .collect();
    let id = gh.comments()[0].0;
    assert_eq!(
        calls,
        vec![
            (
                "GET".into(),
                "/repos/octo/api/pulls/2".into(),
                String::new()
            ),
            (
                "GET".into(),
                "/repos/octo/api/issues/2/comments?per_page=100".into(),
                String::new()
            ),
            (
                "POST".into(),
                "/repos/octo/api/issues/2/comments".into(),
                json!({ "body": first }).to_string()
            ),
            (
                "GET".into(),
                "/repos/octo/api/pulls/2".into(),
                String::new()
            ),
            (
                "GET".into(),
                "/repos/octo/api/issues/2/comments?per_page=100".into(),
                String::new()
            ),
            ("GET".into(), "/user".into(), String::new()),
            (
                "PATCH".into(),
                format!("/repos/octo/api/issues/comments/{id}"),
                json!({ "body": second }).to_string()
            ),
        ]
    );
    assert_eq!(gh.comments(), vec![(id, second)]);
}

#[test]
fn every_page_is_read_before_a_new_comment_is_created() {
    let gh = Github::start();
    gh.set(|s| s.page_size = 2);
    for i in 0..5 {
        gh.seed(&format!("comment {i}"));
    }
    let dir = workspace("api");
    let event = pr_event(dir.path(), |_| {});
    compare_in_actions(dir.path(), &gh, &event, "pull_request")
        .assert()
        .code(1);
    let calls: Vec<String> = gh
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        calls,
        vec![
            "GET /repos/octo/api/issues/2/comments?per_page=100",
            "GET /repos/octo/api/issues/2/comments?per_page=100&page=2",
            "GET /repos/octo/api/issues/2/comments?per_page=100&page=3",
            "POST /repos/octo/api/issues/2/comments",
        ]
    );
    assert_eq!(gh.comments().len(), 6);
}

/// Paired `check` in Actions: an `origin` with `main` (1 MB held) and a
/// pull request's `feature` (`feature_size` bytes held), GitHub's merge
/// commit at `refs/pull/2/merge`, checked out one commit deep as
/// actions/checkout does. Returns the temp dir, the checkout and main's SHA.
fn paired_checkout(feature_size: &str, base_build: &str) -> (tempfile::TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&origin).unwrap();
    let git = |d: &Path, args: &[&str]| paired_git(d, args);
    git(&origin, &["init", "-q", "-b", "main"]);
    write(&origin, "perfguard.toml", PAIRED_CONFIG);
    write(&origin, "size", "1000000");
    write(&origin, "build.sh", base_build);
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-qm", "base"]);
    let main = git(&origin, &["rev-parse", "HEAD"]);
    git(&origin, &["checkout", "-qb", "feature"]);
    write(&origin, "size", feature_size);
    write(&origin, "build.sh", "echo built > build-stamp\n");
    git(&origin, &["add", "-A"]);
    git(&origin, &["commit", "-qm", "feature", "--allow-empty"]);
    git(&origin, &["checkout", "-q", "--detach", "main"]);
    git(
        &origin,
        &["merge", "-q", "--no-ff", "-m", "merge", "feature"],
    );
    git(&origin, &["update-ref", "refs/pull/2/merge", "HEAD"]);
    git(&origin, &["checkout", "-q", "main"]);

    std::fs::create_dir_all(&work).unwrap();
    git(&work, &["init", "-q"]);
    let url = format!("file://{}", origin.display());
    git(&work, &["remote", "add", "origin", &url]);
    git(
        &work,
        &[
            "fetch",
            "-q",
            "--depth=1",
            "origin",
            "+refs/pull/2/merge:refs/remotes/pull/2/merge",
        ],
    );
    git(
        &work,
        &["checkout", "-q", "--detach", "refs/remotes/pull/2/merge"],
    );
    (dir, work, main)
}

fn paired_git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
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

/// Paired mode from the configuration; the phase holds `size` bytes, so its
/// peak memory follows the checkout's `size` file.
const PAIRED_CONFIG: &str = r#"
[suite]
name = "api"
environment = "ci"

[compare]
mode = "paired"
build = ["sh", "build.sh"]
max_rounds = 12

[[phase]]
name = "hold"
kind = "command"
shell = true
command = "x=$(head -c $(cat size) /dev/zero | tr '\\000' a); : ${#x}"
runs = 8
warmup = 0
"#;

/// `perfguard check` as the action runs it, in `work`.
fn check_in_actions(
    work: &Path,
    gh: &Github,
    event: &Path,
    event_name: &str,
) -> assert_cmd::Command {
    let mut cmd = perfguard(work);
    cmd.args(["check", "--format", "md"])
        .env("CI", "true")
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_EVENT_NAME", event_name)
        .env("GITHUB_EVENT_PATH", event)
        .env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "777")
        .env("GITHUB_STEP_SUMMARY", work.join("../summary.md"))
        .env("GITHUB_OUTPUT", work.join("../output.txt"))
        .env("INPUT_TOKEN", TOKEN)
        .env("PERFGUARD_GITHUB_MAX_WAIT_MS", "20");
    cmd
}

#[test]
fn paired_check_on_a_pull_request_comments_once_naming_the_mode_and_saves_nothing() {
    let gh = Github::start();
    // 48 MB against 1 MB: critical, whatever perfguard's own size adds.
    let (dir, work, main) = paired_checkout("48000000", "echo built > build-stamp\n");
    let event = pr_event(dir.path(), |v| {
        v["pull_request"]["base"]["ref"] = "main".into();
        v["pull_request"]["base"]["sha"] = main.clone().into();
    });
    let out = check_in_actions(&work, &gh, &event, "pull_request")
        .env("GITHUB_REF", "refs/pull/2/merge")
        .env("INPUT_SAVE", "always")
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_token_hidden(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The shallow checkout lacked the base: it was fetched, then built.
    assert!(
        stderr.contains("first parent of the merge commit") && stderr.contains("building base"),
        "{stderr}"
    );
    let comments = gh.comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    let body = &comments[0].1;
    let short = &main[..7];
    assert!(
        body.contains("\nPaired on this runner (")
            && body.contains(&format!(" interleaved rounds) · {short}")),
        "{body}"
    );
    assert!(body.contains("critical"), "{body}");
    assert_eq!(outputs(dir.path())["verdict"], "fail");
    // Nothing saved: no baseline branch, here or on origin; the worktree is gone.
    for repo in [work.clone(), dir.path().join("origin")] {
        let branches = paired_git(&repo, &["branch", "--list", "perfguard-baselines"]);
        assert!(branches.is_empty(), "{branches}");
    }
    assert_eq!(paired_git(&work, &["worktree", "list"]).lines().count(), 1);
    assert!(work.join("build-stamp").is_file(), "the head was built");
}

#[test]
fn paired_check_on_a_push_to_the_base_branch_runs_in_baseline_mode_and_saves() {
    let gh = Github::start();
    let (dir, _, _) = paired_checkout("1000000", "echo built > build-stamp\n");
    let origin = dir.path().join("origin");
    let mut event = fixture("push.json");
    event["ref"] = "refs/heads/main".into();
    event["repository"]["full_name"] = "octo/api".into();
    event["repository"]["default_branch"] = "main".into();
    let event = write(dir.path(), "push.json", &event.to_string());
    let out = check_in_actions(&origin, &gh, &event, "push")
        .env("GITHUB_REF", "refs/heads/main")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refs/heads/main is a base branch") && stderr.contains("baseline mode"),
        "{stderr}"
    );
    assert!(!stderr.contains("building base"), "{stderr}");
    assert!(stderr.contains("saved baseline"), "{stderr}");
    let saved = paired_git(
        &origin,
        &["ls-tree", "-r", "--name-only", "perfguard-baselines"],
    );
    assert!(saved.contains("api/ci/runs/"), "{saved}");
    let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(summary.contains("Measured baseline: "), "{summary}");
    assert!(gh.comments().is_empty());
}

#[test]
fn a_paired_base_that_fails_to_build_names_the_side_and_command_exits_3_and_saves_nothing() {
    let gh = Github::start();
    let (dir, work, main) = paired_checkout("1000000", "echo base compiler exploded >&2\nexit 7\n");
    let event = pr_event(dir.path(), |v| {
        v["pull_request"]["base"]["sha"] = main.clone().into();
    });
    let out = check_in_actions(&work, &gh, &event, "pull_request")
        .env("GITHUB_REF", "refs/pull/2/merge")
        .assert()
        .code(3)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot build the base ({})", &main[..12]))
            && stderr.contains("the build command `sh build.sh` failed")
            && stderr.contains("exit status: 7")
            && stderr.contains("base compiler exploded"),
        "{stderr}"
    );
    assert!(
        !work.join("build-stamp").exists(),
        "the head is not built after the base failed"
    );
    assert!(gh.comments().is_empty());
    let branches = paired_git(&work, &["branch", "--list", "perfguard-baselines"]);
    assert!(branches.is_empty(), "{branches}");
    assert_eq!(paired_git(&work, &["worktree", "list"]).lines().count(), 1);
}

#[test]
fn a_merge_group_is_judged_like_a_pull_request_paired_against_its_base_and_saves_nothing() {
    let gh = Github::start();
    let (dir, work, main) = paired_checkout("48000000", "echo built > build-stamp\n");
    // A `merge_group` event as GitHub documents it (action
    // `checks_requested`): the queue's temporary branch and the base it
    // merges into.
    let mut event = fixture("push.json");
    let repository = event["repository"].clone();
    event = serde_json::json!({
        "action": "checks_requested",
        "merge_group": {
            "head_sha": paired_git(&work, &["rev-parse", "HEAD"]),
            "head_ref": "refs/heads/gh-readonly-queue/main/pr-2-0123456789abcdef",
            "base_sha": main,
            "base_ref": "refs/heads/main",
        },
        "repository": repository,
    });
    event["repository"]["full_name"] = "octo/api".into();
    let path = dir.path().join("merge_group.json");
    std::fs::write(&path, event.to_string()).unwrap();
    let out = check_in_actions(&work, &gh, &path, "merge_group")
        .env(
            "GITHUB_REF",
            "refs/heads/gh-readonly-queue/main/pr-2-0123456789abcdef",
        )
        .env("INPUT_SAVE", "always")
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert_token_hidden(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("building base"), "{stderr}");
    assert_eq!(outputs(dir.path())["verdict"], "fail");
    // No pull request to comment on, and a candidate is never recorded.
    assert!(gh.comments().is_empty());
    for repo in [work.clone(), dir.path().join("origin")] {
        let branches = paired_git(&repo, &["branch", "--list", "perfguard-baselines"]);
        assert!(branches.is_empty(), "{branches}");
    }
}

#[test]
fn an_answer_that_echoes_the_token_never_prints_it() {
    // A proxy's 401 echoing the Authorization header, then a 422 whose long
    // message would be cut in the middle of the token.
    for (status, message) in [
        (
            401,
            format!("Bad credentials for Authorization: Bearer {TOKEN}"),
        ),
        (422, format!("{}token {TOKEN} is invalid", "x".repeat(190))),
    ] {
        let gh = Github::start();
        gh.script(status, &[], json!({ "message": message }));
        let dir = workspace("api");
        let event = pr_event(dir.path(), |_| {});
        let out = compare_in_actions(dir.path(), &gh, &event, "pull_request")
            .env("PERFGUARD_GITHUB_ATTEMPTS", "1")
            .assert()
            .code(1)
            .get_output()
            .clone();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("GitHub answered {status}")),
            "{stderr}"
        );
        assert!(stderr.contains("***"), "{stderr}");
        let prefix = &TOKEN[..8];
        for line in stdout.lines().chain(stderr.lines()) {
            assert!(
                line.starts_with("::add-mask::") || !line.contains(prefix),
                "token (or its start) printed: {line}"
            );
        }
        let summary = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
        assert!(!summary.contains(prefix));
        assert!(
            !std::fs::read_to_string(dir.path().join("output.txt"))
                .unwrap()
                .contains(prefix)
        );
    }
}

/// `check --nightly` of `p`, outside Actions, pointed at the stand-in.
fn nightly_against(p: &crate::nightly::Project, gh: &Github, save: bool) -> assert_cmd::Command {
    let mut cmd = p.night_saving(save);
    cmd.env("GITHUB_REPOSITORY", "octo/api")
        .env("GITHUB_API_URL", gh.api_url())
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_TOKEN", TOKEN)
        .env("PERFGUARD_GITHUB_MAX_WAIT_MS", "20");
    cmd
}

#[test]
fn the_tracking_issue_opens_stays_current_comments_only_on_news_and_closes_on_recovery() {
    use crate::nightly::{Bench, Project};
    let gh = Github::start();
    let p = Project::new("[notify]\nissue = true\non = \"major\"\n");
    let night = |parse: f64, render: f64| {
        p.commit(&[Bench("parse", parse), Bench("render", render)], 0.001);
        let out = nightly_against(&p, &gh, true).output().unwrap();
        assert_token_hidden(&out);
        out
    };
    let open = |gh: &Github| -> Vec<IssueRecord> {
        gh.issues()
            .into_iter()
            .filter(|i| i.state == "open")
            .collect()
    };

    // A quiet night: no issue.
    let out = night(100.0, 40.0);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(gh.issues().is_empty());

    // parse doubles: the issue opens, labelled, with the finding.
    let out = night(200.0, 40.0);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("opened tracking issue #41"), "{stderr}");
    let issues = gh.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].labels, ["perfguard-nightly"]);
    assert_eq!(
        issues[0].title,
        "perfguard nightly: suite api needs attention"
    );
    assert!(
        issues[0]
            .body
            .contains("| bench/parse | 100 ms | 200 ms | +100.0 % | critical |"),
        "{}",
        issues[0].body
    );
    assert!(gh.issue_comments().is_empty());

    // Still slow (tonight's baseline is yesterday's slow run): the same
    // issue, its body current, no comment: nothing new.
    let out = night(200.0, 40.0);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("updated tracking issue #41"), "{stderr}");
    assert_eq!(gh.issues().len(), 1);
    assert!(
        gh.issues()[0].body.contains("100 ms (before it regressed)"),
        "{}",
        gh.issues()[0].body
    );
    assert!(gh.issue_comments().is_empty(), "{:?}", gh.issue_comments());

    // render regresses too: news, so one comment.
    let out = night(200.0, 80.0);
    assert_eq!(out.status.code(), Some(1));
    let comments = gh.issue_comments();
    assert_eq!(comments.len(), 1, "{comments:?}");
    assert_eq!(comments[0].0, 41);
    assert!(
        comments[0]
            .1
            .contains("critical regression of bench/render: 40.0 ms → 80.0 ms (+100.0 %)"),
        "{}",
        comments[0].1
    );
    assert!(!comments[0].1.contains("bench/parse"), "{}", comments[0].1);
    assert_eq!(open(&gh).len(), 1);

    // Both back: closed with a comment.
    let out = night(100.0, 40.0);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("closed tracking issue #41: recovered"),
        "{stderr}"
    );
    let issue = &gh.issues()[0];
    assert_eq!(
        (issue.state.as_str(), issue.state_reason.as_deref()),
        ("closed", Some("completed"))
    );
    let comments = gh.issue_comments();
    assert_eq!(comments.len(), 2);
    assert!(
        comments[1].1.starts_with("Recovered at commit"),
        "{}",
        comments[1].1
    );
    // Only the issues API was written to: no pull-request comment.
    assert!(gh.comments().is_empty());
    let writes: Vec<String> = gh
        .requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        [
            "POST /repos/octo/api/issues",
            "PATCH /repos/octo/api/issues/41",
            "PATCH /repos/octo/api/issues/41",
            "POST /repos/octo/api/issues/41/comments",
            "POST /repos/octo/api/issues/41/comments",
            "PATCH /repos/octo/api/issues/41",
        ]
    );
    assert!(
        gh.requests()
            .iter()
            .all(|r| r.auth.as_deref() == Some(&format!("Bearer {TOKEN}")))
    );
}

#[test]
fn two_nightly_runs_racing_leave_one_open_issue_and_close_the_newer_as_duplicate() {
    use crate::nightly::{Bench, Project};
    let gh = Github::start();
    let p = Project::new("[notify]\nissue = true\n");
    p.commit(&[Bench("parse", 100.0)], 0.001);
    assert_eq!(p.night().output().unwrap().status.code(), Some(0));
    p.commit(&[Bench("parse", 200.0)], 0.001);
    // Both runs list the open issues before either creates one.
    gh.set(|s| {
        s.list_barrier = Some(Arc::new(std::sync::Barrier::new(2)));
        s.list_waits = 2;
    });
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = nightly_against(&p, &gh, false);
            // The first listing waits for the other run's, however slow a
            // loaded machine makes it: no timeout may turn it into a retry
            // (a second listing of the same run would open the barrier).
            cmd.env("PERFGUARD_GITHUB_REQUEST_TIMEOUT_MS", "600000")
                .env("PERFGUARD_GITHUB_DEADLINE_MS", "900000");
            std::thread::spawn(move || cmd.output().unwrap())
        })
        .collect();
    let mut logs = String::new();
    for r in runs {
        let out = r.join().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        logs.push_str(&stderr);
    }
    let issues = gh.issues();
    assert_eq!(
        issues.len(),
        2,
        "the race happened: {issues:?}\n{logs}\n{:?}",
        gh.requests()
    );
    let open: Vec<u64> = issues
        .iter()
        .filter(|i| i.state == "open")
        .map(|i| i.number)
        .collect();
    assert_eq!(open, [41], "the older stays open");
    let newer = issues.iter().find(|i| i.number == 42).unwrap();
    assert_eq!(newer.state_reason.as_deref(), Some("duplicate"));
    assert!(
        gh.issue_comments()
            .iter()
            .any(|(n, b)| *n == 42 && b.starts_with("Duplicate of #41")),
        "{:?}",
        gh.issue_comments()
    );
}

#[test]
fn a_scheduled_run_of_the_default_branch_in_actions_is_the_nightly_watch() {
    use crate::nightly::{Bench, Project};
    let gh = Github::start();
    let p = Project::new("[notify]\nissue = true\n");
    p.commit(&[Bench("parse", 100.0)], 0.001);
    assert_eq!(p.night().output().unwrap().status.code(), Some(0));
    p.commit(&[Bench("parse", 200.0)], 0.001);
    let mut event = fixture("push.json");
    event["repository"]["full_name"] = "octo/api".into();
    event["repository"]["default_branch"] = "main".into();
    let event = json!({"schedule": "17 3 * * *", "repository": event["repository"].clone()});
    let event_path = write(p.path(), "event.json", &event.to_string());
    let actions = |ref_name: &str| {
        let mut cmd = perfguard(p.path());
        cmd.args(["check", "--no-save"])
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_EVENT_NAME", "schedule")
            .env("GITHUB_EVENT_PATH", &event_path)
            .env("GITHUB_REPOSITORY", "octo/api")
            .env("GITHUB_API_URL", gh.api_url())
            .env("GITHUB_SERVER_URL", "https://github.com")
            .env("GITHUB_RUN_ID", "777")
            .env("GITHUB_REF", ref_name)
            .env("GITHUB_STEP_SUMMARY", p.path().join("summary.md"))
            .env("GITHUB_OUTPUT", p.path().join("output.txt"))
            .env("INPUT_TOKEN", TOKEN)
            .env("PERFGUARD_GITHUB_MAX_WAIT_MS", "20");
        cmd.output().unwrap()
    };
    // A schedule on another branch is not the nightly watch.
    let out = actions("refs/heads/release");
    assert_eq!(out.status.code(), Some(1));
    assert!(gh.issues().is_empty());
    let out = actions("refs/heads/main");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_token_hidden(&out);
    let issues = gh.issues();
    assert_eq!(issues.len(), 1);
    assert!(
        issues[0]
            .body
            .contains("([workflow run](https://github.com/octo/api/actions/runs/777))"),
        "{}",
        issues[0].body
    );
}

#[test]
fn two_issues_an_earlier_race_left_open_are_made_one_the_next_night() {
    use crate::nightly::{Bench, Project};
    let gh = Github::start();
    // Suite `api`'s marker: the name in hex. A stranger's labelled issue
    // without it is not perfguard's.
    let marker = "<!-- perfguard:tracking suite=617069 -->";
    gh.set(|s| {
        for (number, body) in [
            (7, format!("{marker}\nold")),
            (9, format!("{marker}\nnewer")),
            (8, "someone's own issue".to_owned()),
        ] {
            s.issues.push(IssueRecord {
                number,
                title: "t".into(),
                body,
                labels: vec!["perfguard-nightly".into()],
                state: "open".into(),
                state_reason: None,
            });
        }
    });
    let p = Project::new("[notify]\nissue = true\n");
    p.commit(&[Bench("parse", 100.0)], 0.001);
    assert_eq!(p.night().output().unwrap().status.code(), Some(0));
    p.commit(&[Bench("parse", 200.0)], 0.001);
    let out = nightly_against(&p, &gh, true).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("tracking issue #7"), "{stderr}");
    let state = |n: u64| {
        let i = gh.issues().into_iter().find(|i| i.number == n).unwrap();
        (i.state, i.state_reason)
    };
    assert_eq!(state(7), ("open".into(), None));
    assert_eq!(state(9), ("closed".into(), Some("duplicate".into())));
    assert_eq!(state(8), ("open".into(), None), "not perfguard's");
    assert!(gh.issues()[0].body.contains("bench/parse"));
}

#[test]
fn a_step_older_than_ten_runs_is_carried_until_recovery_and_a_closed_issue_stays_closed() {
    use crate::nightly::{Bench, Project};
    let gh = Github::start();
    let p = Project::new("[notify]\nissue = true\n");
    // Ten dated nights: parse steps 100 → 135 ms (+35 %, major) at the seventh.
    for night in 0..10i64 {
        let wall = if night < 6 { 100.0 } else { 135.0 };
        p.commit(&[Bench("parse", wall)], 0.001);
        p.save_dated(20 - night);
    }
    let night = || {
        p.commit(&[Bench("parse", 135.0)], 0.001);
        let out = nightly_against(&p, &gh, true).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    // Tonight the step is 5 runs old and found: news, the issue opens.
    let stderr = night();
    assert!(stderr.contains("opened tracking issue #41"), "{stderr}");
    assert!(
        gh.issues()[0].body.contains("| bench/parse | [`"),
        "{}",
        gh.issues()[0].body
    );
    // Runs 6 to 10: the same step, nothing new.
    for _ in 6..=10 {
        let stderr = night();
        assert!(stderr.contains("updated tracking issue #41"), "{stderr}");
    }
    // Run 11: the step is history; parse is still 35 % above the level the
    // issue remembers, so it stays open, as a regression, without news.
    let stderr = night();
    assert!(stderr.contains("updated tracking issue #41"), "{stderr}");
    let body = gh.issues()[0].body.clone();
    assert!(
        body.contains("| bench/parse | 100 ms (before it regressed) | 135 ms | +35.0 % | major |"),
        "{body}"
    );
    assert!(gh.issue_comments().is_empty(), "{:?}", gh.issue_comments());
    // A maintainer accepts the slowdown and closes the issue: the next
    // night opens no new one.
    gh.set(|s| s.issues[0].state = "closed".into());
    let stderr = night();
    assert!(stderr.contains("no tracking issue needed"), "{stderr}");
    assert_eq!(gh.issues().len(), 1);
}
