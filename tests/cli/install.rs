//! The composite action's installer (`action/install.sh`) against a loopback
//! stand-in of the release download server, through its URL override; and
//! the shell completions and man pages the release ships.

use crate::common::perfguard;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const VERSION: &str = "0.1.0";

const TARGETS: [(&str, &str, &str); 4] = [
    ("Linux", "X64", "x86_64-unknown-linux-gnu"),
    ("Linux", "ARM64", "aarch64-unknown-linux-gnu"),
    ("macOS", "ARM64", "aarch64-apple-darwin"),
    ("macOS", "X64", "x86_64-apple-darwin"),
];

/// A release server on loopback: serves files from `root` at their relative
/// paths and records every path asked for.
struct Releases {
    root: tempfile::TempDir,
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Releases {
    /// A release of `VERSION` with one archive per target and their
    /// SHA256SUMS. Each archive holds a small executable that answers
    /// `--version` as perfguard does (the test build of perfguard itself is
    /// hundreds of megabytes with its debug information).
    fn start() -> Releases {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join(format!("v{VERSION}"));
        std::fs::create_dir_all(&dir).unwrap();
        let staging = tempfile::tempdir().unwrap();
        let binary = staging.path().join("perfguard");
        std::fs::write(
            &binary,
            format!("#!/bin/sh\necho \"perfguard {VERSION} (release archive)\"\n"),
        )
        .unwrap();
        std::fs::set_permissions(&binary, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        for (_, _, target) in TARGETS {
            let asset = dir.join(format!("perfguard-v{VERSION}-{target}.tar.gz"));
            run_ok(
                Command::new("tar")
                    .arg("-czf")
                    .arg(&asset)
                    .arg("-C")
                    .arg(staging.path())
                    .arg("perfguard"),
            );
        }
        let sums = run_ok(
            Command::new("sh")
                .arg("-c")
                .arg("sha256sum -- *.tar.gz")
                .current_dir(&dir),
        );
        std::fs::write(dir.join("SHA256SUMS"), sums.stdout).unwrap();

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (seen, served) = (requests.clone(), root.path().to_path_buf());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Drain the headers.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                seen.lock().unwrap().push(path.clone());
                let file = served.join(path.trim_start_matches('/'));
                let response = match std::fs::read(&file) {
                    Ok(body) if !path.contains("..") => {
                        let mut r = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .into_bytes();
                        r.extend(body);
                        r
                    }
                    _ => {
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_vec()
                    }
                };
                let _ = stream.write_all(&response);
            }
        });
        Releases {
            root,
            url,
            requests,
        }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    fn release_dir(&self) -> PathBuf {
        self.root.path().join(format!("v{VERSION}"))
    }
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `action/install.sh` as the composite action runs it, on `os`/`arch`, with
/// its tool cache and GITHUB_PATH under `home`.
fn install(releases: &Releases, home: &Path, os: &str, arch: &str) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh");
    Command::new("bash")
        .arg(script)
        .env("PERFGUARD_DOWNLOAD_URL", &releases.url)
        .env("RUNNER_OS", os)
        .env("RUNNER_ARCH", arch)
        .env("RUNNER_TOOL_CACHE", home.join("toolcache"))
        .env("GITHUB_PATH", home.join("github_path"))
        .env_remove("PERFGUARD_VERSION")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn installs_the_right_asset_for_each_runner_and_puts_it_on_path() {
    let releases = Releases::start();
    for (os, arch, target) in TARGETS {
        let home = tempfile::tempdir().unwrap();
        let before = releases.requests().len();
        let out = install(&releases, home.path(), os, arch);
        assert!(out.status.success(), "{os}/{arch}: {}", text(&out.stderr));
        let asked = releases.requests()[before..].to_vec();
        assert_eq!(
            asked,
            [
                format!("/v{VERSION}/SHA256SUMS"),
                format!("/v{VERSION}/perfguard-v{VERSION}-{target}.tar.gz"),
            ],
            "{os}/{arch}"
        );
        let dir = home
            .path()
            .join("toolcache/perfguard")
            .join(VERSION)
            .join(target);
        let path = std::fs::read_to_string(home.path().join("github_path")).unwrap();
        assert_eq!(path.trim(), dir.to_str().unwrap());
        assert!(dir.join("perfguard").is_file());
        assert!(
            text(&out.stdout).contains("perfguard 0.1.0 (release archive)"),
            "{}",
            text(&out.stdout)
        );
    }
}

#[test]
fn a_second_run_is_served_from_the_tool_cache() {
    let releases = Releases::start();
    let home = tempfile::tempdir().unwrap();
    let first = install(&releases, home.path(), "Linux", "X64");
    assert!(first.status.success(), "{}", text(&first.stderr));
    let downloads = releases.requests().len();
    let second = install(&releases, home.path(), "Linux", "X64");
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(
        releases.requests().len(),
        downloads,
        "no download the second time"
    );
    assert!(text(&second.stdout).contains("from the tool cache"));
    // Both runs put the same directory on PATH.
    let path = std::fs::read_to_string(home.path().join("github_path")).unwrap();
    let lines: Vec<&str> = path.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], lines[1]);
}

#[test]
fn a_checksum_mismatch_installs_nothing() {
    let releases = Releases::start();
    // The archive changes after SHA256SUMS was written: a tampered mirror.
    let asset = releases.release_dir().join(format!(
        "perfguard-v{VERSION}-x86_64-unknown-linux-gnu.tar.gz"
    ));
    let mut bytes = std::fs::read(&asset).unwrap();
    bytes.extend(b"tampered");
    std::fs::write(&asset, bytes).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = install(&releases, home.path(), "Linux", "X64");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(err.contains("nothing was installed"), "{err}");
    assert!(
        !home
            .path()
            .join("toolcache/perfguard")
            .join(VERSION)
            .exists()
    );
    assert!(!home.path().join("github_path").exists());
}

#[test]
fn an_asset_missing_from_the_checksums_is_refused() {
    let releases = Releases::start();
    let sums = releases.release_dir().join("SHA256SUMS");
    let kept: String = std::fs::read_to_string(&sums)
        .unwrap()
        .lines()
        .filter(|l| !l.contains("aarch64-apple-darwin"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&sums, kept).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = install(&releases, home.path(), "macOS", "ARM64");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("does not list perfguard-v0.1.0-aarch64-apple-darwin.tar.gz"),
        "{err}"
    );
}

#[test]
fn an_unknown_platform_or_a_missing_release_is_refused_clearly() {
    let releases = Releases::start();
    let home = tempfile::tempdir().unwrap();
    let out = install(&releases, home.path(), "Windows", "X64");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("no release binary for Windows X64"), "{err}");
    assert!(err.contains("container action"), "{err}");
    assert!(releases.requests().is_empty(), "nothing downloaded");

    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh"))
        .env("PERFGUARD_DOWNLOAD_URL", &releases.url)
        .env("PERFGUARD_VERSION", "9.9.9")
        .env("RUNNER_OS", "Linux")
        .env("RUNNER_ARCH", "X64")
        .env("RUNNER_TOOL_CACHE", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("could not download"), "{err}");
    assert!(err.contains("/v9.9.9/SHA256SUMS"), "{err}");

    let out = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("action/install.sh"))
        .env("PERFGUARD_VERSION", "1.0; rm -rf /")
        .env("RUNNER_TOOL_CACHE", home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("is not a release version"));
}

#[test]
fn the_action_version_file_names_this_crate_version() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("action/VERSION");
    let version = std::fs::read_to_string(file).unwrap();
    assert_eq!(version.trim(), env!("CARGO_PKG_VERSION"));
    let container =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("container/action.yml"))
            .unwrap();
    assert!(
        container.contains(&format!(
            "image: docker://ghcr.io/perfguard/perfguard:v{}\n",
            env!("CARGO_PKG_VERSION")
        )),
        "container/action.yml must run this release's image by its full version tag"
    );
}

#[test]
fn completions_and_man_pages_come_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [
        ("bash", "complete -F _perfguard"),
        ("zsh", "#compdef perfguard"),
        ("fish", "complete -c perfguard"),
        ("elvish", "edit:completion:arg-completer[perfguard]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let out = perfguard(dir.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("baseline"), "{shell} completes subcommands");
    }
    let out = perfguard(dir.path()).arg("man").output().unwrap();
    assert!(out.status.success());
    let page = text(&out.stdout);
    assert!(page.contains(".TH perfguard 1"), "{page}");
    assert!(page.contains("check"));

    let pages = dir.path().join("man");
    let out = perfguard(dir.path())
        .args(["man", "--dir"])
        .arg(&pages)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for page in [
        "perfguard.1",
        "perfguard-check.1",
        "perfguard-baseline-save.1",
    ] {
        let roff = std::fs::read_to_string(pages.join(page)).unwrap();
        assert!(roff.starts_with(".ie") || roff.contains(".TH"), "{page}");
    }
    let out = perfguard(dir.path())
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
