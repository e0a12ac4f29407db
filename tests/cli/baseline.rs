//! `perfguard check` and `perfguard baseline …` against real repositories:
//! bare remotes, clones (full and shallow), `git daemon` and `git
//! http-backend` on loopback, all in temp dirs with git config isolated.

use crate::common::{git, perfguard, write};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BRANCH: &str = "perfguard-baselines";

fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// These tests are about the store, not about timings: a `true` measured on
/// a loaded machine may really change, so nothing here fails on it.
const CONFIG: &str = r#"
[suite]
name = "api"
environment = "ci"

[thresholds]
fail_on = "never"

[baseline]
keep = 3

[[phase]]
name = "noop"
kind = "command"
command = ["true"]
runs = 3
warmup = 0
"#;

/// A bare remote with one commit on main, and a clone of it.
fn remote_and_clone(root: &Path) -> (PathBuf, PathBuf) {
    let seed = root.join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    git(&seed, &["init", "-q", "-b", "main"]);
    write(&seed, "perfguard.toml", CONFIG);
    git(&seed, &["add", "."]);
    commit(&seed, "first");
    let bare = root.join("remote.git");
    git(root, &["clone", "-q", "--bare", "seed", "remote.git"]);
    let clone = root.join("work");
    git(root, &["clone", "-q", "remote.git", "work"]);
    (bare, clone)
}

/// Results of suite `api` in environment `env`, for commit `sha` on `ref_name`.
fn results(sha: &str, ref_name: &str, env: &str, started: &str, wall_ms: f64) -> String {
    serde_json::json!({
        "schema_version": 1,
        "suite": "api",
        "environment": {"key": env, "os": "Linux", "arch": "x86_64",
                        "cpu_model": "Test CPU", "cores": 2, "memory_bytes": 1_073_741_824u64},
        "git": {"sha": sha, "ref": ref_name},
        "started_at": started,
        "finished_at": started,
        "phases": [{"name": "noop", "kind": "command", "errors": [],
                    "metrics": [{"name": "wall", "unit": "ns", "direction": "lower",
                                 "value": wall_ms * 1e6}]}]
    })
    .to_string()
}

fn save(dir: &Path, name: &str, json: &str) {
    let file = write(dir, name, json);
    perfguard(dir)
        .args(["baseline", "save"])
        .arg(&file)
        .assert()
        .success();
}

fn runs_on(repo: &Path, branch: &str) -> Vec<String> {
    git(repo, &["ls-tree", "-r", "--name-only", branch])
        .lines()
        .filter(|l| l.contains("/runs/"))
        .map(str::to_owned)
        .collect()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn check_twice_without_remote_first_saves_then_compares() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, "perfguard.toml", CONFIG);
    git(dir, &["add", "perfguard.toml"]);
    let head = commit(dir, "first");
    let status_before = git(dir, &["status", "--porcelain"]);

    let first = perfguard(dir).arg("check").output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    assert!(
        stdout_of(&first).contains("no baseline yet"),
        "{}",
        stdout_of(&first)
    );
    assert!(stderr_of(&first).contains("saved baseline api/ci/runs/"));

    let second = perfguard(dir).arg("check").output().unwrap();
    assert_eq!(second.status.code(), Some(0), "{}", stderr_of(&second));
    let out = stdout_of(&second);
    assert!(!out.contains("no baseline yet"), "{out}");
    assert!(out.contains("the run of the merge-base with main"), "{out}");

    // Two runs of one commit in one second still get a file each.
    assert_eq!(runs_on(dir, BRANCH).len(), 2);
    assert!(git(dir, &["ls-tree", "--name-only", "-r", BRANCH]).contains("api/ci/latest.json"));
    // Nothing but the branch changed: HEAD, index and working tree as before.
    assert_eq!(git(dir, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(dir, &["symbolic-ref", "HEAD"]), "refs/heads/main");
    assert_eq!(git(dir, &["status", "--porcelain"]), status_before);
}

#[test]
fn first_save_makes_an_orphan_branch_on_the_remote_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    let json = results(&head, "refs/heads/main", "ci", "2026-01-02T03:04:05Z", 10.0);
    save(&clone, "r.json", &json);

    // One parentless commit holding the run and latest.json.
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "1");
    assert_eq!(
        git(&bare, &["rev-list", "--max-parents=0", BRANCH])
            .lines()
            .count(),
        1
    );
    let short = &head[..7];
    let path = format!("api/ci/runs/20260102T030405Z-{short}.json");
    assert_eq!(runs_on(&bare, BRANCH), std::slice::from_ref(&path));
    assert!(git(&bare, &["ls-tree", "-r", "--name-only", BRANCH]).contains("api/ci/latest.json"));
    assert_eq!(
        git(&clone, &["branch", "--list", BRANCH]),
        "",
        "no local branch"
    );

    // A second clone reads it back, identical.
    git(tmp.path(), &["clone", "-q", "remote.git", "other"]);
    let other = tmp.path().join("other");
    let shown = perfguard(&other)
        .args(["baseline", "show", "latest", "--format", "json"])
        .output()
        .unwrap();
    assert!(shown.status.success(), "{}", stderr_of(&shown));
    let a: serde_json::Value = serde_json::from_str(&stdout_of(&shown)).unwrap();
    let b: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(a, b);
    let by_sha = perfguard(&other)
        .args(["baseline", "show", short, "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(stdout_of(&by_sha), stdout_of(&shown));
    let listed = perfguard(&other)
        .args(["baseline", "list"])
        .output()
        .unwrap();
    let list = stdout_of(&listed);
    assert!(
        list.contains(short) && list.contains("refs/heads/main"),
        "{list}"
    );

    // compare --baseline latest: 60 % slower is critical, exit 1, and says which run.
    let cur = write(
        &other,
        "cur.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-03T00:00:00Z", 16.0),
    );
    let cmp = perfguard(&other)
        .args([
            "compare",
            "--fail-on",
            "critical",
            "--baseline",
            "latest",
            "--current",
        ])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(cmp.status.code(), Some(1), "{}", stderr_of(&cmp));
    let report = stdout_of(&cmp);
    assert!(report.contains("critical"), "{report}");
    assert!(
        report.contains(&format!("20260102T030405Z-{short}.json")),
        "{report}"
    );
}

#[test]
fn a_shallow_clone_reads_and_saves() {
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    save(
        &clone,
        "r.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-02T03:04:05Z", 10.0),
    );
    let url = format!("file://{}", tmp.path().join("remote.git").display());
    git(
        tmp.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = tmp.path().join("shallow");
    assert_eq!(
        git(&shallow, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let cur = write(
        &shallow,
        "cur.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-03T00:00:00Z", 10.0),
    );
    let cmp = perfguard(&shallow)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(cmp.status.code(), Some(0), "{}", stderr_of(&cmp));
    assert!(
        stdout_of(&cmp).contains("20260102T030405Z"),
        "{}",
        stdout_of(&cmp)
    );
    perfguard(&shallow)
        .args(["baseline", "save"])
        .arg(&cur)
        .assert()
        .success();
    assert_eq!(runs_on(&tmp.path().join("remote.git"), BRANCH).len(), 2);
    assert_eq!(git(&shallow, &["status", "--porcelain"]), "?? cur.json");
}

#[test]
fn the_merge_base_run_is_chosen_then_an_ancestor_then_the_newest() {
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, clone) = remote_and_clone(tmp.path());
    let a = git(&clone, &["rev-parse", "HEAD"]);
    let b = commit(&clone, "b");
    git(&clone, &["push", "-q", "origin", "main"]);
    git(&clone, &["fetch", "-q", "origin"]);
    // Runs of A, then B, then an unrelated commit, newest last.
    save(
        &clone,
        "a.json",
        &results(&a, "refs/heads/main", "ci", "2026-01-01T00:00:00Z", 10.0),
    );
    save(
        &clone,
        "b.json",
        &results(&b, "refs/heads/main", "ci", "2026-01-02T00:00:00Z", 20.0),
    );
    let unrelated = "f".repeat(40);
    save(
        &clone,
        "u.json",
        &results(
            &unrelated,
            "refs/heads/x",
            "ci",
            "2026-01-03T00:00:00Z",
            30.0,
        ),
    );

    // A feature branch that forked at A: the merge-base with main is A.
    git(&clone, &["checkout", "-q", "-b", "feature", &a]);
    let c = commit(&clone, "c");
    let cur = write(
        &clone,
        "cur.json",
        &results(&c, "refs/heads/feature", "ci", "2026-01-04T00:00:00Z", 10.0),
    );
    let chosen = |extra: &[(&str, &str)]| {
        let mut cmd = perfguard(&clone);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = cmd
            .args(["compare", "--baseline", "latest", "--current"])
            .arg(&cur)
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr_of(&out)
        );
        stdout_of(&out)
    };
    let out = chosen(&[]);
    assert!(out.contains(&format!("T000000Z-{}.json", &a[..7])), "{out}");
    assert!(out.contains("the run of the merge-base with main"), "{out}");

    // Against a base branch with no run at its merge-base: the newest ancestor.
    git(&clone, &["branch", "other", &c]);
    let out = chosen(&[("GITHUB_BASE_REF", "other")]);
    assert!(
        out.contains("the newest run of an ancestor of HEAD"),
        "{out}"
    );
    assert!(out.contains(&a[..7]), "{out}");

    // A commit with no recorded history at all: the newest run.
    git(&clone, &["checkout", "-q", "--orphan", "lonely"]);
    let d = commit(&clone, "d");
    let cur2 = write(
        &clone,
        "cur2.json",
        &results(&d, "refs/heads/lonely", "ci", "2026-01-04T00:00:00Z", 30.0),
    );
    let out = perfguard(&clone)
        .env("GITHUB_BASE_REF", "lonely")
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur2)
        .output()
        .unwrap();
    let out = stdout_of(&out);
    assert!(out.contains("the newest run"), "{out}");
    assert!(out.contains("-fffffff.json"), "{out}");
}

/// Runs `git daemon` serving `root` on a free loopback port, push enabled.
struct Daemon {
    child: Child,
    port: u16,
}

impl Daemon {
    fn start(root: &Path) -> Daemon {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("git")
            .args([
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                &format!("--base-path={}", root.display()),
            ])
            .arg(root)
            .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "git daemon did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        Daemon { child, port }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn eight_concurrent_saves_leave_eight_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, _clone) = remote_and_clone(tmp.path());
    let daemon = Daemon::start(tmp.path());
    let url = format!("git://127.0.0.1:{}/remote.git", daemon.port);
    let mut jobs = Vec::new();
    for i in 0..8 {
        let dir = tmp.path().join(format!("job{i}"));
        git(tmp.path(), &["clone", "-q", &url, dir.to_str().unwrap()]);
        let head = git(&dir, &["rev-parse", "HEAD"]);
        write(
            &dir,
            "perfguard.toml",
            &CONFIG.replace("keep = 3", "keep = 50"),
        );
        // Same commit, same second: every save must still get its own file.
        let file = write(
            &dir,
            "r.json",
            &results(
                &head,
                "refs/heads/main",
                "ci",
                "2026-01-02T03:04:05Z",
                10.0 + f64::from(i),
            ),
        );
        jobs.push((dir, file));
    }
    let bin = assert_cmd::cargo::cargo_bin("perfguard");
    let children: Vec<Child> = jobs
        .iter()
        .map(|(dir, file)| {
            Command::new(&bin)
                .args(["baseline", "save"])
                .arg(file)
                .current_dir(dir)
                .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env_remove("GITHUB_TOKEN")
                .env_remove("PERFGUARD_TOKEN")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    let runs = runs_on(&bare, BRANCH);
    assert_eq!(runs.len(), 8, "{runs:?}");
    // None was lost to a race: the history is linear, one commit per save.
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "8");
    drop(daemon);
}

#[test]
fn retention_keeps_the_newest_runs_and_prune_trims_further() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    for day in 1..=5 {
        save(
            &clone,
            "r.json",
            &results(
                &head,
                "refs/heads/main",
                "ci",
                &format!("2026-01-0{day}T00:00:00Z"),
                10.0,
            ),
        );
    }
    let runs = runs_on(&bare, BRANCH);
    assert_eq!(runs.len(), 3, "keep = 3: {runs:?}");
    assert!(
        runs[0].contains("20260103T") && runs[2].contains("20260105T"),
        "{runs:?}"
    );
    perfguard(&clone)
        .args(["baseline", "prune", "--keep", "1"])
        .assert()
        .success();
    let runs = runs_on(&bare, BRANCH);
    assert_eq!(runs.len(), 1);
    assert!(runs[0].contains("20260105T"));
    perfguard(&clone)
        .args(["baseline", "prune", "--keep", "0"])
        .assert()
        .code(2);
}

/// Commits `files` onto the baseline branch of `bare` with git itself.
fn commit_to_branch(root: &Path, files: &[(&str, &str)]) {
    let edit = root.join("edit");
    if !edit.exists() {
        git(root, &["clone", "-q", "-b", BRANCH, "remote.git", "edit"]);
    } else {
        git(&edit, &["pull", "-q", "origin", BRANCH]);
    }
    for (path, text) in files {
        write(&edit, path, text);
    }
    git(&edit, &["add", "."]);
    commit(&edit, "hand edit");
    git(&edit, &["push", "-q", "origin", BRANCH]);
}

#[test]
fn a_corrupt_run_is_reported_skipped_and_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    save(
        &clone,
        "a.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-01T00:00:00Z", 10.0),
    );
    let bad = format!("api/ci/runs/20260102T000000Z-{}.json", &head[..7]);
    commit_to_branch(tmp.path(), &[(&bad, "{\"schema_version\": 1, \"suite\": ")]);
    let tip = git(&bare, &["rev-parse", BRANCH]);

    let cur = write(
        &clone,
        "cur.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-03T00:00:00Z", 10.0),
    );
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("skipped corrupt baseline {bad} in commit {tip}")),
        "{err}"
    );
    assert!(
        stdout_of(&out).contains("20260101T000000Z"),
        "{}",
        stdout_of(&out)
    );

    // A later save leaves the corrupt file exactly as it was.
    let before = git(&bare, &["rev-parse", &format!("{BRANCH}:{bad}")]);
    save(
        &clone,
        "b.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-01T00:00:01Z", 10.0),
    );
    assert_eq!(
        git(&bare, &["rev-parse", &format!("{BRANCH}:{bad}")]),
        before
    );
}

#[test]
fn a_run_from_a_newer_perfguard_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    save(
        &clone,
        "a.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-01T00:00:00Z", 10.0),
    );
    let mut newer: serde_json::Value = serde_json::from_str(&results(
        &head,
        "refs/heads/main",
        "ci",
        "2026-01-02T00:00:00Z",
        10.0,
    ))
    .unwrap();
    newer["schema_version"] = 99.into();
    let path = format!("api/ci/runs/20260102T000000Z-{}.json", &head[..7]);
    commit_to_branch(tmp.path(), &[(&path, &newer.to_string())]);
    let cur = write(
        &clone,
        "cur.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-03T00:00:00Z", 10.0),
    );
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(
        err.contains(&path) && err.contains("schema_version 99, newer"),
        "{err}"
    );
}

#[test]
fn an_unreachable_remote_is_an_environment_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, clone) = remote_and_clone(tmp.path());
    git(
        &clone,
        &[
            "remote",
            "set-url",
            "origin",
            tmp.path().join("gone.git").to_str().unwrap(),
        ],
    );
    let out = perfguard(&clone)
        .args(["baseline", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr_of(&out).contains("cannot fetch branch `perfguard-baselines` from remote `origin`"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn without_a_remote_the_branch_stays_local_and_pull_requests_only_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, "perfguard.toml", CONFIG);
    git(dir, &["add", "perfguard.toml"]);
    commit(dir, "first");
    git(dir, &["checkout", "-q", "-b", "topic"]);
    let out = perfguard(dir).arg("check").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr_of(&out).contains("not saved as a baseline: ref `refs/heads/topic`"));
    assert!(git(dir, &["branch", "--list", BRANCH]).is_empty());
    perfguard(dir).args(["check", "--save"]).assert().success();
    assert_eq!(runs_on(dir, BRANCH).len(), 1);
    perfguard(dir)
        .args(["check", "--no-save"])
        .assert()
        .success();
    git(dir, &["checkout", "-q", "main"]);
    perfguard(dir)
        .args(["check", "--no-save"])
        .assert()
        .success();
    assert_eq!(runs_on(dir, BRANCH).len(), 1);
}

// ---- an http remote behind `git http-backend`, requiring a token ----

fn base64(bytes: &[u8]) -> String {
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A CGI bridge: HTTP/1.1 on loopback → `git http-backend`, answering 401
/// unless the request carries `x-access-token:<token>` as basic auth.
fn serve_http(root: PathBuf, token: &'static str) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let expected = format!(
        "Basic {}",
        base64(format!("x-access-token:{token}").as_bytes())
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            let expected = expected.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, &root, &expected);
            });
        }
    });
    port
}

fn handle(stream: TcpStream, root: &Path, expected_auth: &str) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let mut body = Vec::new();
        if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                    .unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                reader.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        } else if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.resize(len, 0);
            reader.read_exact(&mut body)?;
        }
        if header("authorization").as_deref() != Some(expected_auth) {
            out.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\n\r\n",
            )?;
            continue;
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let mut cgi = Command::new("git")
            .arg("http-backend")
            .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_PROJECT_ROOT", root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("REMOTE_USER", "x-access-token")
            .env("REQUEST_METHOD", &method)
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
            .env("CONTENT_LENGTH", body.len().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut stdin = cgi.stdin.take().unwrap();
        let feeder = std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let output = cgi.wait_with_output()?;
        let _ = feeder.join();
        let raw = output.stdout;
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| (p, 4))
            .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)))
            .unwrap_or((raw.len(), 0));
        let head = String::from_utf8_lossy(&raw[..split.0]).into_owned();
        let content = &raw[(split.0 + split.1).min(raw.len())..];
        let mut status = "200 OK".to_owned();
        let mut response = Vec::new();
        for h in head.lines() {
            if let Some(s) = h.strip_prefix("Status:") {
                status = s.trim().to_owned();
            } else if !h.is_empty() {
                response.extend_from_slice(h.as_bytes());
                response.extend_from_slice(b"\r\n");
            }
        }
        out.write_all(
            format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", content.len()).as_bytes(),
        )?;
        out.write_all(&response)?;
        out.write_all(b"\r\n")?;
        out.write_all(content)?;
        out.flush()?;
    }
}

#[test]
fn an_http_remote_with_a_token_saves_and_reads_and_never_prints_it() {
    const TOKEN: &str = "ghs_s3cretT0kenValue";
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, clone) = remote_and_clone(tmp.path());
    let port = serve_http(tmp.path().to_owned(), TOKEN);
    git(
        &clone,
        &[
            "remote",
            "set-url",
            "origin",
            &format!("http://127.0.0.1:{port}/remote.git"),
        ],
    );
    let head = git(&clone, &["rev-parse", "HEAD"]);
    let file = write(
        &clone,
        "r.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-02T03:04:05Z", 10.0),
    );

    let denied = perfguard(&clone)
        .args(["baseline", "save"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(denied.status.code(), Some(3));
    assert!(
        stderr_of(&denied).contains("GITHUB_TOKEN"),
        "{}",
        stderr_of(&denied)
    );

    let wrong = perfguard(&clone)
        .env("GITHUB_TOKEN", "ghs_wrongWrongWrong")
        .args(["baseline", "list"])
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(3));
    assert!(!stderr_of(&wrong).contains("ghs_wrongWrongWrong"));

    let saved = perfguard(&clone)
        .env("GITHUB_TOKEN", TOKEN)
        .args(["baseline", "save"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(saved.status.success(), "{}", stderr_of(&saved));
    let listed = perfguard(&clone)
        .args(["baseline", "list", "--token", TOKEN])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr_of(&listed));
    assert!(stdout_of(&listed).contains(&head[..7]));
    for out in [&saved, &listed] {
        assert!(!stdout_of(out).contains(TOKEN) && !stderr_of(out).contains(TOKEN));
    }
    assert_eq!(runs_on(&tmp.path().join("remote.git"), BRANCH).len(), 1);
}

#[test]
fn outside_git_the_baselines_live_in_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "perfguard.toml", CONFIG);
    let first = perfguard(dir).args(["check", "--save"]).output().unwrap();
    assert_eq!(first.status.code(), Some(0), "{}", stderr_of(&first));
    assert!(stdout_of(&first).contains("no baseline yet"));
    let second = perfguard(dir).args(["check", "--save"]).output().unwrap();
    assert_eq!(second.status.code(), Some(0), "{}", stderr_of(&second));
    assert!(
        stdout_of(&second).contains("the newest run"),
        "{}",
        stdout_of(&second)
    );
    let runs: Vec<_> = std::fs::read_dir(dir.join(".perfguard/baselines/api/ci/runs"))
        .unwrap()
        .collect();
    assert_eq!(runs.len(), 2);
    assert!(
        dir.join(".perfguard/baselines/api/ci/latest.json")
            .is_file()
    );
}

#[test]
fn compare_names_a_missing_baseline_file_or_an_unknown_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    let cur = write(
        &clone,
        "cur.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-03T00:00:00Z", 10.0),
    );
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "missing.json", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("missing.json"),
        "{}",
        stderr_of(&out)
    );
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("no baseline `latest` for suite `api`"),
        "{}",
        stderr_of(&out)
    );
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "not-a-sha", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hostile_suite_and_environment_names_stay_inside_the_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    let hostile = |started: &str| {
        let mut v: serde_json::Value = serde_json::from_str(&results(
            &head,
            "refs/heads/main",
            "../../etc",
            started,
            10.0,
        ))
        .unwrap();
        v["suite"] = "../up".into();
        v.to_string()
    };
    save(&clone, "a.json", &hostile("2026-01-01T00:00:00Z"));
    let runs = runs_on(&bare, BRANCH);
    assert_eq!(runs.len(), 1);
    assert!(runs[0].starts_with("_..-up/_..-..-etc/runs/"), "{runs:?}");
    let cur = write(&clone, "cur.json", &hostile("2026-01-02T00:00:00Z"));
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("20260101T000000Z"));
}

#[test]
fn a_repository_owned_by_another_user_still_opens() {
    // Only root can hand a repository to another user; elsewhere the
    // container case cannot be set up, and the test says so.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("not root: cannot chown a repository to another user");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ws");
    std::fs::create_dir(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    write(&dir, "perfguard.toml", CONFIG);
    git(&dir, &["add", "perfguard.toml"]);
    commit(&dir, "first");
    let status = Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    // `container` is how podman and systemd-nspawn say so; outside Actions
    // and containers the owner check stays on (a unit test covers that).
    let out = perfguard(&dir)
        .env("container", "podman")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("saved baseline"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(runs_on(&dir, BRANCH).len(), 1);
}

#[test]
fn a_local_check_never_pushes_but_ci_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (remote, clone) = remote_and_clone(tmp.path());
    // On the default branch, outside CI: saved to the local branch only.
    let local = perfguard(&clone).arg("check").output().unwrap();
    assert_eq!(local.status.code(), Some(0), "{}", stderr_of(&local));
    assert!(
        stderr_of(&local).contains("saved baseline"),
        "{}",
        stderr_of(&local)
    );
    assert!(
        git(&remote, &["branch", "--list", BRANCH])
            .trim()
            .is_empty(),
        "a local check pushed"
    );
    assert_eq!(runs_on(&clone, BRANCH).len(), 1);
    // In CI the remote's branch is fetched and pushed.
    let ci = perfguard(&clone)
        .env("CI", "true")
        .arg("check")
        .output()
        .unwrap();
    assert_eq!(ci.status.code(), Some(0), "{}", stderr_of(&ci));
    assert_eq!(runs_on(&remote, BRANCH).len(), 1);
    // `--remote` asks for the same outside CI.
    let forced = perfguard(&clone)
        .args(["check", "--remote"])
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0), "{}", stderr_of(&forced));
    assert_eq!(runs_on(&remote, BRANCH).len(), 2);
}

/// How a clone reaches its remote.
#[derive(Clone, Copy, Debug)]
enum Url {
    /// A plain path: libgit2's local transport.
    Path,
    /// `file://`: the local transport too.
    File,
    /// `git://` from a `git daemon` on this port serving the remote's parent.
    Daemon(u16),
}

impl Url {
    fn of(self, bare: &Path) -> String {
        match self {
            Url::Path => bare.display().to_string(),
            Url::File => format!("file://{}", bare.display()),
            Url::Daemon(port) => format!(
                "git://127.0.0.1:{port}/{}",
                bare.file_name().unwrap().to_str().unwrap()
            ),
        }
    }
}

/// `saved baseline <path> to … (commit <short>)` → `(path, short)`.
fn saved_line(stderr: &str) -> Option<(String, String)> {
    let line = stderr.lines().find(|l| l.contains("saved baseline "))?;
    let path = line.split("saved baseline ").nth(1)?.split(' ').next()?;
    let short = line.rsplit("(commit ").next()?.trim_end_matches(')');
    Some((path.to_owned(), short.to_owned()))
}

/// `git fsck` of `repo` reports nothing wrong.
fn assert_fsck_clean(repo: &Path) {
    let out = Command::new("git")
        .args(["-c", "safe.directory=*", "fsck", "--no-dangling"])
        .current_dir(repo)
        .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty(),
        "git fsck in {}: {}{}",
        repo.display(),
        stdout_of(&out),
        stderr_of(&out)
    );
}

/// Eight `baseline save`s at once through `url`, from eight clones or one
/// shared clone, twice over (a lost run is a race: two rounds lose one far
/// more surely than one): every save that says it saved is on the branch,
/// and no other run is.
fn concurrent_saves_through(url: Url, shared: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, _clone) = remote_and_clone(tmp.path());
    let remote = url.of(&bare);
    let mut said_saved = Vec::new();
    for round in 0..2 {
        said_saved.extend(save_round(tmp.path(), &remote, shared, round, url));
    }
    let mut runs = runs_on(&bare, BRANCH);
    runs.sort();
    let mut claimed: Vec<String> = said_saved.iter().map(|(p, _)| p.clone()).collect();
    claimed.sort();
    assert_eq!(runs, claimed, "{url:?}, shared clone: {shared}");
    for (_, short) in &said_saved {
        git(&bare, &["merge-base", "--is-ancestor", short, BRANCH]);
    }
    // Twelve attempts are enough for eight jobs: every one lands.
    assert_eq!(said_saved.len(), 16, "{url:?}, shared clone: {shared}");
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "16");
    assert_fsck_clean(&bare);
    if shared {
        assert_fsck_clean(&tmp.path().join("shared"));
    }
}

/// One round of eight saves at once; the `(path, short commit)` of each
/// that said it saved.
fn save_round(
    root: &Path,
    remote: &str,
    shared: bool,
    round: u32,
    url: Url,
) -> Vec<(String, String)> {
    let mut jobs = Vec::new();
    for i in 0..8 {
        let dir = root.join(if shared {
            "shared".to_owned()
        } else {
            format!("job{i}")
        });
        if !dir.exists() {
            git(root, &["clone", "-q", remote, dir.to_str().unwrap()]);
            write(
                &dir,
                "perfguard.toml",
                &CONFIG.replace("keep = 3", "keep = 50"),
            );
        }
        let head = git(&dir, &["rev-parse", "HEAD"]);
        let file = write(
            &dir,
            &format!("r{i}.json"),
            &results(
                &head,
                "refs/heads/main",
                "ci",
                &format!("2026-01-02T03:{round:02}:{i:02}Z"),
                10.0 + f64::from(i),
            ),
        );
        jobs.push((dir, file));
    }
    let bin = assert_cmd::cargo::cargo_bin("perfguard");
    let children: Vec<Child> = jobs
        .iter()
        .map(|(dir, file)| {
            Command::new(&bin)
                .args(["baseline", "save"])
                .arg(file)
                .current_dir(dir)
                .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env_remove("GITHUB_TOKEN")
                .env_remove("PERFGUARD_TOKEN")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut said_saved = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        let err = stderr_of(&out);
        if out.status.success() {
            said_saved.push(saved_line(&err).unwrap_or_else(|| panic!("no saved line: {err}")));
        } else {
            assert!(!err.to_lowercase().contains("token"), "{url:?}: {err}");
            // Shown when a later count fails.
            eprintln!("{url:?}: a save failed: {err}");
        }
    }
    said_saved
}

#[test]
fn concurrent_saves_through_a_path_remote_all_land() {
    concurrent_saves_through(Url::Path, false);
}

#[test]
fn concurrent_saves_through_a_file_url_all_land() {
    concurrent_saves_through(Url::File, false);
}

#[test]
fn concurrent_saves_from_one_shared_clone_all_land() {
    concurrent_saves_through(Url::Path, true);
    concurrent_saves_through(Url::File, true);
}

#[test]
fn concurrent_saves_from_one_shared_clone_through_git_daemon_all_land() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, _clone) = remote_and_clone(tmp.path());
    let daemon = Daemon::start(tmp.path());
    let url = Url::Daemon(daemon.port);
    let mut said_saved = Vec::new();
    for round in 0..2 {
        said_saved.extend(save_round(tmp.path(), &url.of(&bare), true, round, url));
    }
    assert_eq!(said_saved.len(), 16);
    assert_eq!(runs_on(&bare, BRANCH).len(), 16);
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "16");
    assert_fsck_clean(&bare);
    let shared = tmp.path().join("shared");
    assert_fsck_clean(&shared);
    // Each save's own fetch and push refs are gone, directories and all.
    let left: Vec<_> = std::fs::read_dir(shared.join(".git/refs/perfguard"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["origin"]);
    drop(daemon);
}

/// A `--depth 1` clone of a remote reached through `url`, with one run saved.
fn shallow_clone_of(root: &Path, url: Url) -> (PathBuf, PathBuf) {
    let (bare, clone) = remote_and_clone(root);
    let head = git(&clone, &["rev-parse", "HEAD"]);
    commit(&clone, "second");
    git(&clone, &["push", "-q", "origin", "main"]);
    save(
        &clone,
        "r.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-02T03:04:05Z", 10.0),
    );
    let file = Url::File.of(&bare);
    git(root, &["clone", "-q", "--depth", "1", &file, "shallow"]);
    let shallow = root.join("shallow");
    git(&shallow, &["remote", "set-url", "origin", &url.of(&bare)]);
    (bare, shallow)
}

fn shallow_clone_stays_intact(url: Url) {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, shallow) = shallow_clone_of(tmp.path(), url);
    let marker = shallow.join(".git/shallow");
    let before = std::fs::read(&marker).expect("a shallow clone has .git/shallow");
    assert_fsck_clean(&shallow);

    let listed = perfguard(&shallow)
        .args(["baseline", "list"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr_of(&listed));
    assert!(stdout_of(&listed).contains("20260102T030405Z"));
    assert_eq!(std::fs::read(&marker).ok(), Some(before.clone()), "{url:?}");
    assert_fsck_clean(&shallow);
    git(&shallow, &["log", "--oneline"]);

    let checked = perfguard(&shallow)
        .args(["check", "--save", "--remote"])
        .output()
        .unwrap();
    assert_eq!(checked.status.code(), Some(0), "{}", stderr_of(&checked));
    assert!(stderr_of(&checked).contains("saved baseline"));
    assert_eq!(runs_on(&bare, BRANCH).len(), 2);
    assert_eq!(std::fs::read(&marker).ok(), Some(before), "{url:?}");
    assert_fsck_clean(&shallow);
    assert_eq!(
        git(&shallow, &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    assert_eq!(git(&shallow, &["status", "--porcelain"]), "");
}

#[test]
fn reading_and_saving_leave_a_shallow_clone_of_a_path_remote_intact() {
    shallow_clone_stays_intact(Url::Path);
}

#[test]
fn reading_and_saving_leave_a_shallow_clone_of_a_file_url_intact() {
    shallow_clone_stays_intact(Url::File);
}

#[test]
fn a_checked_out_baseline_branch_is_never_moved() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git(dir, &["init", "-q", "-b", "main"]);
    write(dir, "perfguard.toml", CONFIG);
    git(dir, &["add", "perfguard.toml"]);
    commit(dir, "first");
    perfguard(dir).args(["check", "--save"]).assert().success();
    git(dir, &["checkout", "-q", BRANCH]);
    // The branch holds runs, not the config: it is untracked here.
    write(dir, "perfguard.toml", CONFIG);
    let head = git(dir, &["rev-parse", "HEAD"]);
    let status = git(dir, &["status", "--porcelain"]);
    assert_eq!(status, "?? perfguard.toml");

    let out = perfguard(dir).args(["check", "--save"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains(&format!("branch `{BRANCH}` is checked out")),
        "{err}"
    );
    assert_eq!(git(dir, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(dir, &["status", "--porcelain"]), status);
    assert_eq!(runs_on(dir, BRANCH).len(), 1);
}

#[test]
fn a_baseline_branch_checked_out_in_a_local_remote_is_never_moved() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (_bare, clone) = remote_and_clone(root);
    let head = git(&clone, &["rev-parse", "HEAD"]);
    // A non-bare repository as the remote, with the baseline branch checked out.
    git(root, &["clone", "-q", "remote.git", "upstream"]);
    let upstream = root.join("upstream");
    git(&upstream, &["checkout", "-q", "-b", BRANCH]);
    git(
        &clone,
        &["remote", "set-url", "origin", upstream.to_str().unwrap()],
    );
    let tip = git(&upstream, &["rev-parse", "HEAD"]);
    let file = write(
        &clone,
        "r.json",
        &results(&head, "refs/heads/main", "ci", "2026-01-02T03:04:05Z", 10.0),
    );
    let out = perfguard(&clone)
        .args(["baseline", "save"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains(&format!("branch `{BRANCH}` is checked out")),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(git(&upstream, &["rev-parse", "HEAD"]), tip);
    assert_eq!(git(&upstream, &["status", "--porcelain"]), "");
}

/// The blob id of `path` on the baseline branch of `repo`.
fn blob_on(repo: &Path, path: &str) -> String {
    git(repo, &["rev-parse", &format!("{BRANCH}:{path}")])
}

#[test]
fn pruning_keeps_corrupt_files_and_latest_names_a_kept_run() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, clone) = remote_and_clone(tmp.path());
    write(
        &clone,
        "perfguard.toml",
        &CONFIG.replace("keep = 3", "keep = 2"),
    );
    let head = git(&clone, &["rev-parse", "HEAD"]);
    let short = &head[..7];
    let at = |day: &str| results(&head, "refs/heads/main", "ci", day, 10.0);
    save(&clone, "a.json", &at("2026-01-01T00:00:00Z"));
    let a = format!("api/ci/runs/20260101T000000Z-{short}.json");
    let corrupt = format!("api/ci/runs/20260102T000000Z-{short}.json");
    let future = format!("api/ci/runs/20990101T000000Z-{short}.json");
    commit_to_branch(
        tmp.path(),
        &[
            (&corrupt, "{\"schema_version\": 1, "),
            (&future, "not json"),
        ],
    );
    let kept = [blob_on(&bare, &corrupt), blob_on(&bare, &future)];

    save(&clone, "b.json", &at("2026-01-03T00:00:00Z"));
    let b = format!("api/ci/runs/20260103T000000Z-{short}.json");
    let mut runs = runs_on(&bare, BRANCH);
    runs.sort();
    let mut want = vec![a.clone(), corrupt.clone(), b.clone(), future.clone()];
    want.sort();
    assert_eq!(runs, want, "the corrupt files do not count toward keep = 2");
    assert_eq!(blob_on(&bare, "api/ci/latest.json"), blob_on(&bare, &b));

    save(&clone, "c.json", &at("2026-01-04T00:00:00Z"));
    let c = format!("api/ci/runs/20260104T000000Z-{short}.json");
    let runs = runs_on(&bare, BRANCH);
    assert!(!runs.contains(&a), "{runs:?}");
    assert!(runs.contains(&b) && runs.contains(&c), "{runs:?}");
    assert_eq!([blob_on(&bare, &corrupt), blob_on(&bare, &future)], kept);
    assert_eq!(blob_on(&bare, "api/ci/latest.json"), blob_on(&bare, &c));

    // A valid run dated far ahead does not outrank the real ones.
    commit_to_branch(tmp.path(), &[(&future, &at("2099-01-01T00:00:00Z"))]);
    save(&clone, "d.json", &at("2026-01-05T00:00:00Z"));
    let d = format!("api/ci/runs/20260105T000000Z-{short}.json");
    assert_eq!(blob_on(&bare, "api/ci/latest.json"), blob_on(&bare, &d));
    let cur = write(&clone, "cur.json", &at("2026-01-06T00:00:00Z"));
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stdout_of(&out).contains("20260105T000000Z"),
        "{}",
        stdout_of(&out)
    );
    perfguard(&clone)
        .args(["baseline", "prune", "--keep", "1"])
        .assert()
        .success();
    let runs = runs_on(&bare, BRANCH);
    assert!(runs.contains(&d) && runs.contains(&corrupt), "{runs:?}");
    assert!(!runs.contains(&c), "{runs:?}");
    assert_eq!(blob_on(&bare, "api/ci/latest.json"), blob_on(&bare, &d));
}

#[test]
fn eight_parallel_directory_saves_keep_exactly_keep_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "perfguard.toml", CONFIG);
    // A lost file is a race: four rounds lose one far more surely than one.
    for round in 0..4 {
        directory_save_round(dir, round);
    }
}

fn directory_save_round(dir: &Path, round: u32) {
    let bin = assert_cmd::cargo::cargo_bin("perfguard");
    let files: Vec<PathBuf> = (0..8)
        .map(|i| {
            write(
                dir,
                &format!("r{i}.json"),
                &results(
                    "abcdef0123",
                    "refs/heads/main",
                    "ci",
                    &format!("2026-01-02T03:{round:02}:{i:02}Z"),
                    10.0,
                ),
            )
        })
        .collect();
    let children: Vec<Child> = files
        .iter()
        .map(|file| {
            Command::new(&bin)
                .args(["baseline", "save"])
                .arg(file)
                .current_dir(dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    let runs_dir = dir.join(".perfguard/baselines/api/ci/runs");
    let mut runs: Vec<String> = std::fs::read_dir(&runs_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    runs.sort();
    assert_eq!(runs.len(), 3, "keep = 3, round {round}: {runs:?}");
    let newest = std::fs::read(runs_dir.join(runs.last().unwrap())).unwrap();
    let latest = std::fs::read(dir.join(".perfguard/baselines/api/ci/latest.json")).unwrap();
    assert_eq!(latest, newest);
}

#[test]
fn suites_that_share_a_directory_are_refused_naming_both() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    let named = |suite: &str, day: &str| {
        let mut v: serde_json::Value =
            serde_json::from_str(&results(&head, "refs/heads/main", "ci", day, 10.0)).unwrap();
        v["suite"] = suite.into();
        v.to_string()
    };
    save(&clone, "a.json", &named("A B", "2026-01-01T00:00:00Z"));
    let file = write(&clone, "b.json", &named("a-b", "2026-01-02T00:00:00Z"));
    let out = perfguard(&clone)
        .args(["baseline", "save"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("suite `a-b`") && err.contains("suite `A B`"),
        "{err}"
    );
    assert_eq!(runs_on(&bare, BRANCH).len(), 1);
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(
        err.contains("suite `a-b`") && err.contains("suite `A B`"),
        "{err}"
    );
}

#[test]
fn a_branch_written_by_the_previous_release_still_reads() {
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, clone) = remote_and_clone(tmp.path());
    let head = git(&clone, &["rev-parse", "HEAD"]);
    let mut old: serde_json::Value = serde_json::from_str(&results(
        &head,
        "refs/heads/main",
        "Linux CI",
        "2026-01-01T00:00:00Z",
        10.0,
    ))
    .unwrap();
    old["suite"] = "My Suite".into();
    let old = old.to_string();
    // The previous release slugged names that were not path-safe; the
    // branch is written here by git itself, as that release left it.
    let path = format!(
        "my-suite/linux-ci/runs/20260101T000000Z-{}.json",
        &head[..7]
    );
    let edit = tmp.path().join("edit");
    git(tmp.path(), &["clone", "-q", "remote.git", "edit"]);
    git(&edit, &["checkout", "-q", "--orphan", BRANCH]);
    git(&edit, &["rm", "-q", "-r", "-f", "."]);
    write(&edit, &path, &old);
    write(&edit, "my-suite/linux-ci/latest.json", &old);
    git(&edit, &["add", "."]);
    commit(&edit, "perfguard: save My Suite/Linux CI 20260101T000000Z-");
    git(&edit, &["push", "-q", "origin", BRANCH]);
    let listed = perfguard(&clone)
        .args(["baseline", "list"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr_of(&listed));
    assert!(stdout_of(&listed).contains("My Suite"));
    let mut cur: serde_json::Value = serde_json::from_str(&old).unwrap();
    cur["started_at"] = "2026-01-02T00:00:00Z".into();
    let cur = write(&clone, "cur.json", &cur.to_string());
    let out = perfguard(&clone)
        .args(["compare", "--baseline", "latest", "--current"])
        .arg(&cur)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(stdout_of(&out).contains("20260101T000000Z"));
    perfguard(&clone)
        .args(["baseline", "save"])
        .arg(&cur)
        .assert()
        .success();
    assert_eq!(runs_on(&tmp.path().join("remote.git"), BRANCH).len(), 2);
}

#[test]
fn a_directory_store_prunes_only_readable_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(
        dir,
        "perfguard.toml",
        &CONFIG.replace("keep = 3", "keep = 2"),
    );
    let runs = dir.join(".perfguard/baselines/api/ci/runs");
    let corrupt = write(
        &runs,
        "20260102T000000Z-abcdef0.json",
        "{\"schema_version\": 1, ",
    );
    let future = write(&runs, "20990101T000000Z-abcdef0.json", "not json");
    for day in 1..=4 {
        save(
            dir,
            "r.json",
            &results(
                "abcdef0123",
                "refs/heads/main",
                "ci",
                &format!("2026-01-0{day}T12:00:00Z"),
                10.0,
            ),
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "20260102T000000Z-abcdef0.json",
            "20260103T120000Z-abcdef0.json",
            "20260104T120000Z-abcdef0.json",
            "20990101T000000Z-abcdef0.json",
        ]
    );
    let latest = std::fs::read(dir.join(".perfguard/baselines/api/ci/latest.json")).unwrap();
    assert_eq!(latest, std::fs::read(runs.join(&names[2])).unwrap());
    perfguard(dir)
        .args(["baseline", "prune", "--keep", "1"])
        .assert()
        .success();
    assert!(corrupt.is_file() && future.is_file());
    assert!(!runs.join(&names[1]).exists() && runs.join(&names[2]).is_file());
    assert!(
        !runs.join(".perfguard.lock").exists()
            && !dir
                .join(".perfguard/baselines/api/ci/.perfguard.lock")
                .exists()
    );
}

#[test]
fn a_shallow_clone_refuses_a_local_remote_it_cannot_open() {
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, shallow) = shallow_clone_of(tmp.path(), Url::File);
    let marker = shallow.join(".git/shallow");
    let before = std::fs::read(&marker).unwrap();
    let gone = format!("file://{}", tmp.path().join("gone.git").display());
    git(&shallow, &["remote", "set-url", "origin", &gone]);
    let out = perfguard(&shallow)
        .args(["baseline", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = stderr_of(&out);
    assert!(
        err.contains("cannot read branch `perfguard-baselines` of remote `origin` in place")
            && err.contains("gone.git"),
        "{err}"
    );
    assert_eq!(std::fs::read(&marker).unwrap(), before);
    assert_fsck_clean(&shallow);
}

#[test]
fn a_directory_lock_left_by_a_dead_process_is_broken() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    write(dir, "perfguard.toml", CONFIG);
    let lock = write(dir, ".perfguard/baselines/api/ci/.perfguard.lock", "");
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&lock)
        .unwrap()
        .set_modified(an_hour_ago)
        .unwrap();
    save(
        dir,
        "r.json",
        &results(
            "abcdef0123",
            "refs/heads/main",
            "ci",
            "2026-01-01T00:00:00Z",
            10.0,
        ),
    );
    assert!(!lock.exists());
    assert!(
        dir.join(".perfguard/baselines/api/ci/latest.json")
            .is_file()
    );
}
