//! Names the commit in `perfguard --version` ("perfguard 1.2.3 (abc123def456)").
//!
//! The commit comes from `PERFGUARD_GIT_SHA` when the build sets it (the
//! Dockerfile's `GIT_SHA` build argument, where `.git` is not in the build
//! context), else, for release builds, from `git rev-parse HEAD`. Debug
//! builds ask git nothing: a new commit would otherwise rebuild the crate on
//! every `cargo test`.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=PERFGUARD_GIT_SHA");
    let given = std::env::var("PERFGUARD_GIT_SHA")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let sha = given.or_else(|| if release { from_git() } else { None });
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let long = match sha {
        // Twelve hex digits name a commit unambiguously in any real history;
        // anything else is kept out of the version line.
        Some(sha) if sha.chars().all(|c| c.is_ascii_hexdigit()) => {
            format!("{version} ({})", &sha[..sha.len().min(12)])
        }
        _ => version,
    };
    println!("cargo:rustc-env=PERFGUARD_LONG_VERSION={long}");
}

/// HEAD's commit, and the files to watch so that a new commit re-runs this.
fn from_git() -> Option<String> {
    let git = |args: &[&str]| -> Option<String> {
        let out = Command::new("git").args(args).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let sha = git(&["rev-parse", "HEAD"])?;
    for path in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", path]) {
            println!("cargo:rerun-if-changed={p}");
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(p) = git(&["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={p}");
    }
    Some(sha)
}
