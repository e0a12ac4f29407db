//! Names the commit in `perfguard --version` ("perfguard 1.2.3 (abc123def456)"),
//! and on Linux builds the launcher (`src/process/launcher.c`) that
//! perfguard embeds to spawn timed runs.
//!
//! The commit comes from `PERFGUARD_GIT_SHA` when the build sets it (the
//! Dockerfile's `GIT_SHA` build argument, where `.git` is not in the build
//! context), else, for release builds, from `git rev-parse HEAD`. Debug
//! builds ask git nothing: a new commit would otherwise rebuild the crate on
//! every `cargo test`.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    launcher();
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

/// Compiles `src/process/launcher.c` with the target's C compiler (the one
/// the `cc` crate finds, as for libgit2) into `$OUT_DIR/launcher`, which
/// `process::launcher` embeds. Off Linux, or where it cannot be built, the
/// file is left empty and perfguard forks its runs from its own spawner.
fn launcher() {
    const SOURCE: &str = "src/process/launcher.c";
    println!("cargo:rerun-if-changed={SOURCE}");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("launcher");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    let built = linux
        && {
            let compiler = cc::Build::new()
                .opt_level_str("s")
                .warnings(true)
                .cargo_metadata(false)
                .get_compiler();
            let mut cmd = compiler.to_command();
            cmd.args(["-std=gnu99", "-s", "-o"]).arg(&out).arg(SOURCE);
            match cmd.status() {
                Ok(status) if status.success() => true,
                result => {
                    println!(
                        "cargo:warning=perfguard's launcher was not built ({result:?}); runs are forked from the spawner instead"
                    );
                    false
                }
            }
        };
    if !built {
        std::fs::write(&out, b"").expect("write an empty launcher");
    }
}
