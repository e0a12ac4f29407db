//! Init: turns what a repository holds (manifests, benchmark files, scripts,
//! a Dockerfile) into a starting `perfguard.toml` and a GitHub workflow.
//!
//! Detection reads files only; it runs no tool. Each finding becomes one
//! phase that runs the harness the repository already has, and the steps the
//! workflow needs before perfguard can run it (a toolchain, a build).

use std::path::{Path, PathBuf};

/// What was found, in the order it becomes phases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Criterion benches: `cargo bench`, results read from `target/criterion`.
    Criterion,
    /// libtest `#[bench]` functions (nightly): `cargo bench`'s text output.
    CargoBench,
    /// A Rust binary worth timing at start-up: `target/release/NAME --help`.
    RustBinary(String),
    /// `func Benchmark…` in a Go module: `go test -bench`.
    GoBench,
    /// pytest-benchmark: `pytest --benchmark-only --benchmark-json FILE`.
    PytestBenchmark,
    /// A package.json script named like a benchmark: `npm run --silent NAME`.
    NpmScript(String),
    /// A Dockerfile that exposes a port: an HTTP phase against the container.
    Dockerfile { port: u16 },
}

impl Finding {
    /// One line for the terminal: what was found, and where.
    pub fn describe(&self) -> String {
        match self {
            Finding::Criterion => "criterion benches (Cargo.toml)".into(),
            Finding::CargoBench => "libtest #[bench] benches (benches/)".into(),
            Finding::RustBinary(name) => format!("the Rust binary `{name}` (Cargo.toml)"),
            Finding::GoBench => "Go benchmarks (func Benchmark… in *_test.go)".into(),
            Finding::PytestBenchmark => "pytest-benchmark".into(),
            Finding::NpmScript(name) => format!("the npm script `{name}` (package.json)"),
            Finding::Dockerfile { port } => format!("a Dockerfile exposing port {port}"),
        }
    }
}

/// The files `init` writes, relative to the repository.
pub const CONFIG: &str = "perfguard.toml";
pub const WORKFLOW: &str = ".github/workflows/perfguard.yml";

/// Looks at the repository at `root`.
pub fn detect(root: &Path) -> Vec<Finding> {
    let mut found = Vec::new();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();

    let cargo = read("Cargo.toml");
    if !cargo.is_empty() {
        let benches = root.join("benches");
        if cargo.contains("criterion") {
            found.push(Finding::Criterion);
        } else if files_containing(&benches, "rs", "#[bench]", 2) {
            found.push(Finding::CargoBench);
        }
        if let Some(name) = rust_binary(root, &cargo) {
            found.push(Finding::RustBinary(name));
        }
    }

    if root.join("go.mod").is_file() && files_containing(root, "go", "func Benchmark", 4) {
        found.push(Finding::GoBench);
    }

    let python = [
        "pyproject.toml",
        "setup.cfg",
        "setup.py",
        "requirements.txt",
    ]
    .iter()
    .chain(["requirements-dev.txt", "requirements/dev.txt", "tox.ini"].iter())
    .any(|f| read(f).contains("pytest-benchmark"));
    if python || files_containing(root, "py", "benchmark(", 3) && !read("pyproject.toml").is_empty()
    {
        found.push(Finding::PytestBenchmark);
    }

    if let Ok(package) = serde_json::from_str::<serde_json::Value>(&read("package.json"))
        && let Some(scripts) = package.get("scripts").and_then(|s| s.as_object())
    {
        let mut names: Vec<&String> = scripts.keys().filter(|k| k.contains("bench")).collect();
        names.sort();
        if let Some(name) = names.first() {
            found.push(Finding::NpmScript((*name).clone()));
        }
    }

    if let Some(port) = exposed_port(&read("Dockerfile")) {
        found.push(Finding::Dockerfile { port });
    }
    found
}

/// The package's binary: `[[bin]] name`, else the package name when
/// `src/main.rs` exists.
fn rust_binary(root: &Path, cargo: &str) -> Option<String> {
    let doc: toml::Table = toml::from_str(cargo).ok()?;
    if let Some(bins) = doc.get("bin").and_then(|b| b.as_array()) {
        return bins
            .iter()
            .find_map(|b| b.get("name")?.as_str().map(str::to_owned));
    }
    if root.join("src/main.rs").is_file() {
        return doc.get("package")?.get("name")?.as_str().map(str::to_owned);
    }
    None
}

/// The first `EXPOSE` port of a Dockerfile.
fn exposed_port(dockerfile: &str) -> Option<u16> {
    dockerfile.lines().find_map(|line| {
        let mut words = line.split_whitespace();
        if !words.next()?.eq_ignore_ascii_case("EXPOSE") {
            return None;
        }
        words.next()?.split('/').next()?.parse().ok()
    })
}

/// Whether a file with extension `ext` under `dir` (at most `depth` levels
/// down, skipping hidden, vendored and build directories) contains `needle`.
fn files_containing(dir: &Path, ext: &str, needle: &str, depth: usize) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            let skip = name.starts_with('.')
                || ["target", "node_modules", "vendor", "venv", "__pycache__"]
                    .contains(&name.as_ref());
            if !skip && depth > 0 && files_containing(&path, ext, needle, depth - 1) {
                return true;
            }
        } else if kind.is_file()
            && path.extension().is_some_and(|e| e == ext)
            && entry.metadata().is_ok_and(|m| m.len() < 4 << 20)
            && std::fs::read_to_string(&path).is_ok_and(|t| t.contains(needle))
        {
            return true;
        }
    }
    false
}

/// A TOML (and YAML) double-quoted string.
fn quoted(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

/// The starting configuration for `findings`, for a suite named `suite`.
pub fn config(suite: &str, findings: &[Finding]) -> String {
    let mut out = format!(
        "# Written by `perfguard init`: a starting point. Each phase runs a harness\n\
         # this repository already has; tune runs, criteria and thresholds to taste.\n\
         # Reference: the README's configuration section and docs/.\n\n\
         [suite]\nname = {}\n\n\
         [thresholds]\n\
         # A change grades minor / major / critical at these percentages, and only\n\
         # when it stands out from the noise; `fail_on` fails the check.\n\
         minor = 5\nmajor = 15\ncritical = 30\nfail_on = \"critical\"\n",
        quoted(suite)
    );
    for finding in findings {
        out.push('\n');
        out.push_str(&match finding {
            Finding::Criterion => "[[phase]]\n\
                 name = \"criterion\"\n\
                 kind = \"ingest\"\n\
                 command = [\"cargo\", \"bench\"]\n\
                 format = \"criterion\"\n\
                 files = [\"target/criterion\"]\n\
                 timeout = \"20m\"\n"
                .to_string(),
            Finding::CargoBench => "[[phase]]\n\
                 name = \"cargo-bench\"\n\
                 kind = \"ingest\"\n\
                 command = [\"cargo\", \"bench\"]\n\
                 format = \"cargo-bench\"\n\
                 timeout = \"20m\"\n"
                .to_string(),
            Finding::RustBinary(name) => format!(
                "# Start-up time and memory of the release binary (the workflow builds it).\n\
                 [[phase]]\n\
                 name = \"startup\"\n\
                 kind = \"command\"\n\
                 command = [{}, \"--help\"]\n\
                 runs = 30\n\
                 warmup = 3\n",
                quoted(&format!("target/release/{name}"))
            ),
            Finding::GoBench => "[[phase]]\n\
                 name = \"go\"\n\
                 kind = \"ingest\"\n\
                 command = [\"go\", \"test\", \"-run\", \"^$\", \"-bench\", \".\", \"-benchmem\", \"-count\", \"5\", \"./...\"]\n\
                 format = \"go\"\n\
                 timeout = \"20m\"\n"
                .to_string(),
            Finding::PytestBenchmark => "[[phase]]\n\
                 name = \"pytest\"\n\
                 kind = \"ingest\"\n\
                 command = [\"pytest\", \"--benchmark-only\", \"--benchmark-json\", \"perfguard-pytest-benchmark.json\"]\n\
                 format = \"pytest-benchmark\"\n\
                 files = [\"perfguard-pytest-benchmark.json\"]\n\
                 timeout = \"20m\"\n"
                .to_string(),
            Finding::NpmScript(script) => format!(
                "# The whole script, timed from outside: its wall time and peak memory.\n\
                 [[phase]]\n\
                 name = {}\n\
                 kind = \"command\"\n\
                 command = [\"npm\", \"run\", \"--silent\", {}]\n\
                 runs = 10\n\
                 warmup = 1\n",
                quoted(&format!("npm-{}", phase_name(script))),
                quoted(script)
            ),
            Finding::Dockerfile { port } => format!(
                "# Load against the service in this repository's image (the workflow builds\n\
                 # it as perfguard-service). Point `ready` and the requests at real paths.\n\
                 [[phase]]\n\
                 name = \"http\"\n\
                 kind = \"http\"\n\
                 base_url = \"http://127.0.0.1:{port}\"\n\
                 service = {{ command = [\"docker\", \"run\", \"--rm\", \"--init\", \"-p\", \"127.0.0.1:{port}:{port}\", \"perfguard-service\"], ready = \"/\" }}\n\
                 vus = 10\n\
                 duration = \"30s\"\n\
                 criteria = {{ \"error_rate\" = \"< 1%\" }}\n\
                 [[phase.step]]\n\
                 name = \"root\"\n\
                 path = \"/\"\n"
            ),
        });
    }
    out
}

/// A phase name from a script name: letters, digits, `-` and `_`.
fn phase_name(script: &str) -> String {
    script
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The workflow: the toolchain steps the findings need, then perfguard.
pub fn workflow(findings: &[Finding], default_branch: &str) -> String {
    let mut steps = String::new();
    let has = |f: fn(&Finding) -> bool| findings.iter().any(f);
    if has(|f| matches!(f, Finding::GoBench)) {
        steps.push_str(
            "      - uses: actions/setup-go@v5\n        with:\n          go-version-file: go.mod\n",
        );
    }
    if has(|f| matches!(f, Finding::PytestBenchmark)) {
        steps.push_str(
            "      - uses: actions/setup-python@v5\n        with:\n          python-version: \"3.12\"\n\
             \x20     - name: Install the package and pytest-benchmark\n        run: |\n\
             \x20         if [ -f requirements.txt ]; then pip install -r requirements.txt; fi\n\
             \x20         if [ -f pyproject.toml ] || [ -f setup.py ]; then pip install -e .; fi\n\
             \x20         pip install pytest pytest-benchmark\n",
        );
    }
    if has(|f| matches!(f, Finding::NpmScript(_))) {
        steps.push_str(
            "      - uses: actions/setup-node@v4\n        with:\n          node-version: 22\n\
             \x20     - run: npm ci\n",
        );
    }
    if has(|f| matches!(f, Finding::RustBinary(_))) {
        steps.push_str(
            "      - name: Build the release binary\n        run: cargo build --release\n",
        );
    }
    if has(|f| matches!(f, Finding::Dockerfile { .. })) {
        steps.push_str("      - name: Build the service image\n        run: docker build -t perfguard-service .\n");
    }
    format!(
        "# Written by `perfguard init`. perfguard runs perfguard.toml's phases on\n\
         # this runner, compares them with the baselines on the perfguard-baselines\n\
         # branch, comments on the pull request and fails on critical regressions.\n\
         # Pushes to {branch} save the baselines that pull requests compare with.\n\
         name: perfguard\n\n\
         on:\n  pull_request:\n  push:\n    branches: [{branch_q}]\n  workflow_dispatch:\n\n\
         permissions:\n  contents: write # save baselines on the baseline branch\n  \
         pull-requests: write # the sticky comment\n\n\
         concurrency:\n  group: perfguard-${{{{ github.ref }}}}\n  cancel-in-progress: true\n\n\
         jobs:\n  perfguard:\n    runs-on: ubuntu-latest\n    timeout-minutes: 45\n    steps:\n\
         \x20     - uses: actions/checkout@v4\n\
         {steps}\
         \x20     - uses: perfguard/perfguard@v1\n",
        branch = default_branch.replace(['\n', '\r'], ""),
        branch_q = quoted(default_branch),
    )
}

/// The repository's default branch as far as the local clone knows it
/// (`origin/HEAD`, else HEAD's branch), else `main`.
pub fn default_branch(root: &Path) -> String {
    let Ok(repo) = git2::Repository::discover(root) else {
        return "main".into();
    };
    if let Ok(r) = repo.find_reference("refs/remotes/origin/HEAD")
        && let Ok(Some(target)) = r.symbolic_target()
        && let Some(name) = target.strip_prefix("refs/remotes/origin/")
    {
        return name.to_string();
    }
    // HEAD's branch, born or not (a fresh `git init` has no commit yet).
    repo.find_reference("HEAD")
        .ok()
        .and_then(|h| h.symbolic_target().ok().flatten().map(str::to_owned))
        .and_then(|t| t.strip_prefix("refs/heads/").map(str::to_owned))
        .unwrap_or_else(|| "main".into())
}

/// The suite's name: the repository directory's name.
pub fn suite_name(root: &Path) -> String {
    let dir: PathBuf = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    dir.file_name()
        .map(|n| phase_name(&n.to_string_lossy()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "perf".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn each_ecosystem_is_found_and_its_config_parses() {
        let dir = repo(&[
            (
                "Cargo.toml",
                "[package]\nname = \"app\"\n[dev-dependencies]\ncriterion = \"0.5\"\n",
            ),
            ("src/main.rs", "fn main() {}"),
            ("go.mod", "module example.com/x\n"),
            ("pkg/x_test.go", "func BenchmarkX(b *testing.B) {}"),
            (
                "pyproject.toml",
                "[project]\ndependencies = [\"pytest-benchmark\"]\n",
            ),
            (
                "package.json",
                r#"{"scripts": {"bench:all": "node b.js", "test": "x"}}"#,
            ),
            ("Dockerfile", "FROM scratch\nEXPOSE 8080/tcp\n"),
        ]);
        let found = detect(dir.path());
        assert_eq!(
            found,
            [
                Finding::Criterion,
                Finding::RustBinary("app".into()),
                Finding::GoBench,
                Finding::PytestBenchmark,
                Finding::NpmScript("bench:all".into()),
                Finding::Dockerfile { port: 8080 },
            ]
        );
        let text = config("my \"suite\"", &found);
        let parsed = crate::config::Config::parse(&text, Path::new("perfguard.toml"))
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(parsed.phases.len(), 6);
        assert_eq!(parsed.suite.name, "my \"suite\"");
    }

    #[test]
    fn nothing_is_found_in_an_empty_or_unrelated_repository() {
        let dir = repo(&[("README.md", "hello"), ("Dockerfile", "FROM scratch\n")]);
        assert!(detect(dir.path()).is_empty());
        // A Go module without benchmarks, a package.json without a bench
        // script, a broken package.json.
        let dir = repo(&[
            ("go.mod", "module x\n"),
            ("x_test.go", "func TestX(t *testing.T) {}"),
            ("package.json", "{ not json"),
        ]);
        assert!(detect(dir.path()).is_empty());
    }

    #[test]
    fn a_hostile_default_branch_cannot_break_the_workflow() {
        let text = workflow(&[Finding::GoBench], "main\"]\n  evil: [x");
        assert!(!text.contains("\n  evil"), "{text}");
        assert!(
            text.contains(r#"branches: ["main\"]\n  evil: [x"]"#),
            "{text}"
        );
    }
}
