//! Faults outside perfguard: a remote that accepts connections and never
//! answers, and a signal that arrives while perfguard waits on it.

use crate::common::{empty_git_config, git, perfguard, write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const CONFIG: &str = r#"
[suite]
name = "api"
environment = "ci"

[thresholds]
fail_on = "never"

[[phase]]
name = "noop"
kind = "command"
command = ["true"]
runs = 3
warmup = 0
"#;

/// A server that accepts connections, holds them and never answers;
/// returns its address and how many connections it took.
fn silent_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (addr, accepted)
}

/// A repository whose `origin` is `url`.
fn repo_with_remote(url: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "main"]);
    write(dir.path(), "perfguard.toml", CONFIG);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "first"]);
    git(dir.path(), &["remote", "add", "origin", url]);
    dir
}

#[test]
fn a_git_remote_that_never_answers_times_out_over_http_and_git() {
    for scheme in ["http", "git"] {
        let (addr, accepted) = silent_server();
        let dir = repo_with_remote(&format!("{scheme}://{addr}/team/app.git"));
        let started = Instant::now();
        let out = perfguard(dir.path())
            .args(["baseline", "list"])
            .env("PERFGUARD_GIT_TIMEOUT_MS", "500")
            // A safety net: without the timeout this would wait forever.
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{scheme}: {stderr}");
        assert!(
            stderr.contains("cannot fetch") && stderr.contains("timed out"),
            "{scheme}: {stderr}"
        );
        assert!(accepted.load(Ordering::SeqCst) >= 1);
        assert!(
            started.elapsed() < Duration::from_secs(50),
            "{scheme}: the timeout did not end the wait"
        );
    }
}

#[test]
fn a_bad_git_timeout_setting_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = perfguard(dir.path())
        .args(["baseline", "list"])
        .env("PERFGUARD_GIT_CONNECT_TIMEOUT_MS", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("PERFGUARD_GIT_CONNECT_TIMEOUT_MS=\"soon\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sigterm_while_check_waits_on_the_network_ends_it_at_once() {
    use std::os::unix::process::ExitStatusExt;
    let (addr, accepted) = silent_server();
    let dir = repo_with_remote(&format!("http://{addr}/team/app.git"));
    let bin = assert_cmd::cargo::cargo_bin("perfguard");
    let mut child = Command::new(bin)
        .args(["check"])
        .current_dir(dir.path())
        .env("CI", "true")
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", empty_git_config())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The phases ran and the fetch is waiting once the remote has a connection.
    let deadline = Instant::now() + Duration::from_secs(60);
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "check never reached the remote");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: signalling a child this test started.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("perfguard ignored SIGTERM while waiting on the network");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.signal(), Some(libc::SIGTERM), "{status:?}");
}
