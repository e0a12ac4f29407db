//! `perfguard init` on real sample repositories (made with `cargo new` and
//! `go mod init`), then `perfguard check` of what it wrote.

use crate::common::perfguard;
use std::path::Path;
use std::process::Command;

fn run_ok(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git_init(dir: &Path) {
    run_ok(
        Command::new("git")
            .args(["init", "-q", "-b", "trunk"])
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config()),
    );
}

#[test]
fn a_cargo_binary_gets_a_startup_phase_that_check_runs() {
    let tmp = tempfile::tempdir().unwrap();
    run_ok(
        Command::new("cargo")
            .args(["new", "-q", "--vcs", "none", "hello"])
            .current_dir(tmp.path()),
    );
    let dir = tmp.path().join("hello");
    git_init(&dir);
    let out = perfguard(&dir).arg("init").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = std::fs::read_to_string(dir.join("perfguard.toml")).unwrap();
    assert!(config.contains("name = \"hello\""), "{config}");
    assert!(
        config.contains(r#"command = ["target/release/hello", "--help"]"#),
        "{config}"
    );
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/perfguard.yml")).unwrap();
    assert!(workflow.contains("branches: [\"trunk\"]"), "{workflow}");
    assert!(workflow.contains("cargo build --release"), "{workflow}");
    assert!(
        workflow.contains("uses: perfguard/perfguard@v1"),
        "{workflow}"
    );

    // The workflow's build step, then perfguard as the action runs it.
    run_ok(
        Command::new("cargo")
            .args(["build", "-q", "--release"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", dir.join("target")),
    );
    let out = perfguard(&dir)
        .args(["check", "--no-save"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("startup"), "{stdout}");
    assert!(stdout.contains("memory.peak"), "{stdout}");
}

#[test]
fn a_go_module_gets_its_benchmarks_ingested() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    git_init(dir);
    run_ok(
        Command::new("go")
            .args(["mod", "init", "example.com/sample"])
            .current_dir(dir),
    );
    std::fs::write(
        dir.join("sample_test.go"),
        "package sample\n\nimport (\n\t\"strings\"\n\t\"testing\"\n)\n\n\
         func BenchmarkRepeat(b *testing.B) {\n\tfor i := 0; i < b.N; i++ {\n\t\t_ = strings.Repeat(\"x\", 64)\n\t}\n}\n",
    )
    .unwrap();
    let out = perfguard(dir).arg("init").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let workflow = std::fs::read_to_string(dir.join(".github/workflows/perfguard.yml")).unwrap();
    assert!(workflow.contains("actions/setup-go"), "{workflow}");
    let out = perfguard(dir)
        .args(["check", "--no-save"])
        // `go test` with -benchtime kept short: the generated -count 5 stays.
        .env("GOFLAGS", "-benchtime=20ms")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("BenchmarkRepeat"), "{stdout}");
}

#[test]
fn init_never_overwrites_and_dry_run_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("go.mod"), "module example.com/x\n").unwrap();
    std::fs::write(
        dir.join("x_test.go"),
        "package x\nfunc BenchmarkX(b *testing.B) {}\n",
    )
    .unwrap();

    let out = perfguard(dir).args(["init", "--dry-run"]).output().unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("# perfguard.toml")
            && printed.contains("# .github/workflows/perfguard.yml")
    );
    assert!(!dir.join("perfguard.toml").exists() && !dir.join(".github").exists());

    let mine = "# my own config\n[suite]\nname = \"mine\"\n";
    std::fs::write(dir.join("perfguard.toml"), mine).unwrap();
    let out = perfguard(dir).arg("init").output().unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("perfguard.toml exists; left as it is"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("perfguard.toml")).unwrap(),
        mine
    );
    assert!(dir.join(".github/workflows/perfguard.yml").is_file());
}

#[test]
fn a_repository_with_nothing_to_benchmark_is_told_so() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("README.md"), "hi").unwrap();
    let out = perfguard(tmp.path()).arg("init").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("found nothing to benchmark"), "{stderr}");
    assert!(!tmp.path().join("perfguard.toml").exists());
    let out = perfguard(tmp.path())
        .args(["init", "--dir", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
