//! Helpers shared by the CLI tests.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The perfguard binary, isolated from the caller's CI and git settings.
pub fn perfguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("perfguard").expect("binary built");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", empty_git_config())
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("GITHUB_") || k.starts_with("INPUT_") || k == "CI" || k == "RUNNER_NAME" {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// An empty file for `GIT_CONFIG_GLOBAL`: the tests never read the
/// developer's git configuration. Never `/dev/null`: as root, one global
/// config write renames a regular file over it for the whole machine.
pub fn empty_git_config() -> &'static Path {
    static PATH: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("empty-gitconfig");
        if !path.is_file() {
            std::fs::write(&path, "").expect("write an empty git config");
        }
        path
    })
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

/// Whether `pid` is a live process (a zombie, or a process gone, is not).
pub fn alive(pid: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
            let after = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
            let state = after.trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        std::process::Command::new("ps")
            .args(["-o", "stat=", "-p", &pid.to_string()])
            .output()
            .is_ok_and(|out| {
                let state = String::from_utf8_lossy(&out.stdout);
                out.status.success() && !state.trim().is_empty() && !state.trim().starts_with('Z')
            })
    }
}

/// `git ARGS` in `dir` with the user's config isolated and a fixed
/// identity; its trimmed standard output. Fails the test if git fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "safe.directory=*"])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", empty_git_config())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// One HTTP/1.1 request as the loopback stand-ins read it.
pub struct Request {
    pub method: String,
    pub path: String,
    /// The `Authorization` header, when sent.
    pub auth: Option<String>,
    pub body: String,
}

/// Reads one request (request line, headers, a `Content-Length` body) from
/// `reader`; `None` when the client closed the connection without one.
pub fn read_request(reader: &mut impl std::io::BufRead) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let (mut length, mut auth) = (0, None);
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).unwrap();
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let Some((k, v)) = h.split_once(':') else {
            continue;
        };
        match k.to_ascii_lowercase().as_str() {
            "content-length" => length = v.trim().parse().unwrap(),
            "authorization" => auth = Some(v.trim().to_owned()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    Some(Request {
        method,
        path,
        auth,
        body: String::from_utf8(body).unwrap(),
    })
}
