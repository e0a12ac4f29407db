//! Helpers shared by the CLI tests.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The perfguard binary, isolated from the caller's CI and git settings.
pub fn perfguard(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("perfguard").expect("binary built");
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    for (k, _) in std::env::vars() {
        if k.starts_with("GITHUB_") || k.starts_with("INPUT_") || k == "CI" || k == "RUNNER_NAME" {
            cmd.env_remove(k);
        }
    }
    cmd
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
