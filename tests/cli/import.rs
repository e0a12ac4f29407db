//! `perfguard baseline import`: github-action-benchmark's data.js brought
//! onto a real baseline branch (a bare remote and a clone) or a directory
//! store, as users run it.

use crate::common::{git, perfguard, write};
use std::path::{Path, PathBuf};
use std::process::Command;

const BRANCH: &str = "perfguard-baselines";

/// Suite `api` in environment `ci`, keeping 100 runs; no phases run here.
const CONFIG: &str = r#"
[suite]
name = "api"
environment = "ci"

[baseline]
keep = 100

[[phase]]
name = "noop"
kind = "command"
command = ["true"]
"#;

/// A bare remote with `config` on main, and a clone of it.
fn remote_and_clone(root: &Path, config: &str) -> (PathBuf, PathBuf) {
    let seed = root.join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    git(&seed, &["init", "-q", "-b", "main"]);
    write(&seed, "perfguard.toml", config);
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-q", "-m", "first"]);
    git(root, &["clone", "-q", "--bare", "seed", "remote.git"]);
    git(root, &["clone", "-q", "remote.git", "work"]);
    (root.join("remote.git"), root.join("work"))
}

/// The commit SHA of the i-th benchmarked commit (unique for i < 4096).
fn sha(i: usize) -> String {
    format!("{:03x}{}", 0xa00 + i, &"5eed1e".repeat(7)[..37])
}

/// Midnight UTC on 1 March 2021 plus `i` days, in ms: the i-th entry's date.
fn date_ms(i: usize) -> i64 {
    1_614_556_800_000 + i as i64 * 86_400_000
}

/// The `commit` github-action-benchmark stores for a push: the head commit
/// of the event payload, its `timestamp` in the committer's zone (+09:00
/// here: 09:00 there is the entry's midnight UTC).
fn commit(i: usize) -> serde_json::Value {
    let at = chrono::DateTime::from_timestamp_millis(date_ms(i))
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).unwrap());
    serde_json::json!({
        "author": {"email": "dev@example.com", "name": "Dev", "username": "dev"},
        "committer": {"email": "noreply@github.com", "name": "GitHub", "username": "web-flow"},
        "distinct": true,
        "id": sha(i),
        "message": format!("Change number {i}"),
        "timestamp": at.format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
        "tree_id": format!("{:08x}", 0x7eee_0000 + i).repeat(5),
        "url": format!("https://github.com/o/r/commit/{}", sha(i)),
    })
}

/// A data.js as github-action-benchmark writes it: suites "Rust Benchmark"
/// (cargo, ns/iter with `± N` ranges) and "JS Benchmark" (benchmarkjs,
/// ops/sec), plus "Startup" (customSmallerIsBetter, ms) when `custom`;
/// `n` commits each, the suites of one commit a few seconds apart.
fn data_js(n: usize, custom: bool) -> String {
    let rust: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({
                "commit": commit(i),
                "date": date_ms(i),
                "tool": "cargo",
                "benches": [
                    {"name": "parse", "value": 1000.0 + (i % 3) as f64 * 10.0,
                     "range": "± 123", "unit": "ns/iter"},
                    {"name": "render", "value": 52_345.0, "range": "± 1,234", "unit": "ns/iter"}
                ]
            })
        })
        .collect();
    let js: Vec<_> = (0..n)
        .map(|i| {
            serde_json::json!({
                "commit": commit(i),
                "date": date_ms(i) + 4_000,
                "tool": "benchmarkjs",
                "benches": [{"name": "fib(20)", "value": 12_345.67, "range": "±1.23%",
                             "unit": "ops/sec", "extra": "85 samples"}]
            })
        })
        .collect();
    let mut entries = serde_json::json!({"Rust Benchmark": rust, "JS Benchmark": js});
    if custom {
        entries["Startup"] = (0..n)
            .map(|i| {
                serde_json::json!({
                    "commit": commit(i), "date": date_ms(i) + 9_000,
                    "tool": "customSmallerIsBetter",
                    "benches": [{"name": "cold start", "value": 12.5, "unit": "ms"}]
                })
            })
            .collect();
    }
    let data = serde_json::json!({
        "lastUpdate": date_ms(n),
        "repoUrl": "https://github.com/o/r",
        "entries": entries,
    });
    format!(
        "window.BENCHMARK_DATA = {};\n",
        serde_json::to_string_pretty(&data).unwrap()
    )
}

fn runs_on(repo: &Path) -> Vec<String> {
    git(repo, &["ls-tree", "-r", "--name-only", BRANCH])
        .lines()
        .filter(|l| l.contains("/runs/"))
        .map(str::to_owned)
        .collect()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn import(dir: &Path, what: &Path) -> std::process::Output {
    perfguard(dir)
        .args(["baseline", "import"])
        .arg(what)
        .output()
        .unwrap()
}

#[test]
fn data_js_lands_in_one_commit_with_original_shas_and_dates_and_a_second_import_adds_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, work) = remote_and_clone(tmp.path(), CONFIG);
    let file = write(tmp.path(), "data.js", &data_js(3, false));

    let out = import(&work, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("imported 3 runs") && stderr_of(&out).contains("api/ci"),
        "{}",
        stderr_of(&out)
    );
    // One commit on the remote's branch, holding three runs and latest.json.
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "1");
    let runs = runs_on(&bare);
    assert_eq!(runs.len(), 3, "{runs:?}");
    assert!(
        runs.iter()
            .any(|r| r.ends_with("20210301T000000Z-a005eed.json")),
        "{runs:?}"
    );
    let latest = git(&bare, &["show", &format!("{BRANCH}:api/ci/latest.json")]);
    let run: serde_json::Value = serde_json::from_str(&latest).unwrap();
    assert_eq!(run["git"]["sha"], sha(2));
    assert_eq!(run["started_at"], "2021-03-03T00:00:00Z");
    assert_eq!(run["finished_at"], "2021-03-03T00:00:04Z");
    let phases: Vec<&str> = run["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["JS Benchmark", "Rust Benchmark"]);
    let fib = &run["phases"][0]["metrics"][0];
    assert_eq!(
        (&fib["unit"], &fib["direction"]),
        (&"per_second".into(), &"higher".into())
    );
    let parse = &run["phases"][1]["metrics"][0];
    assert_eq!(
        (&parse["unit"], &parse["direction"], &parse["value"]),
        (&"ns".into(), &"lower".into(), &1020.0.into())
    );

    let list = perfguard(&work)
        .args(["baseline", "list"])
        .output()
        .unwrap();
    assert_eq!(list.status.code(), Some(0), "{}", stderr_of(&list));
    let table = String::from_utf8_lossy(&list.stdout);
    for i in 0..3 {
        assert!(table.contains(&sha(i)[..7]), "{table}");
        assert!(
            table.contains(&format!("2021-03-{:02} 00:00:00", i + 1)),
            "{table}"
        );
    }

    let again = import(&work, &file);
    assert_eq!(again.status.code(), Some(0), "{}", stderr_of(&again));
    assert!(
        stderr_of(&again).contains("imported 0 runs")
            && stderr_of(&again).contains("3 runs already on the store"),
        "{}",
        stderr_of(&again)
    );
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "1");
    assert_eq!(runs_on(&bare).len(), 3);

    // One more commit in the history: only it is added.
    let more = write(tmp.path(), "more.js", &data_js(4, false));
    let out = import(&work, &more);
    assert!(
        stderr_of(&out).contains("imported 1 run ") && stderr_of(&out).contains("3 runs already"),
        "{}",
        stderr_of(&out)
    );
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "2");
}

#[test]
fn the_first_check_after_an_import_judges_against_the_imported_history() {
    let config = r#"
[suite]
name = "api"
environment = "ci"

[[phase]]
name = "Rust Benchmark"
kind = "ingest"
files = ["bench.txt"]
format = "cargo-bench"
"#;
    let tmp = tempfile::tempdir().unwrap();
    let (_bare, work) = remote_and_clone(tmp.path(), config);
    let file = write(tmp.path(), "data.js", &data_js(8, false));
    let out = import(&work, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));

    // parse went from about 1,010 ns to 1,800 ns; render stayed.
    write(
        &work,
        "bench.txt",
        "test parse  ... bench:       1,800 ns/iter (+/- 12)\n\
         test render ... bench:      52,345 ns/iter (+/- 1,234)\n",
    );
    let out = perfguard(&work)
        .args(["check", "--remote", "--format", "md"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{md}\n{}", stderr_of(&out));
    assert!(md.contains("history of 8 runs"), "{md}");
    assert!(md.contains("history band"), "{md}");
    assert!(md.contains("beyond band"), "{md}");
    assert!(!md.contains("no baseline yet"), "{md}");
}

#[test]
fn a_gh_pages_checkout_is_found_and_a_directory_store_takes_it_within_keep() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    write(
        &project,
        "perfguard.toml",
        &CONFIG.replace("keep = 100", "keep = 2"),
    );
    let pages = tmp.path().join("gh-pages");
    write(&pages, "dev/bench/data.js", &data_js(3, true));
    write(&pages, "index.html", "<html></html>");

    let out = perfguard(&project)
        .args(["baseline", "import"])
        .arg(&pages)
        .args(["--environment", "linux-runner", "--suite", "web"])
        .output()
        .unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("imported 2 runs") && err.contains("dev/bench/data.js"),
        "{err}"
    );
    assert!(
        err.contains("1 run older than the newest 2") && err.contains("raise keep"),
        "{err}"
    );
    let runs = project.join(".perfguard/baselines/web/linux-runner/runs");
    let mut names: Vec<String> = std::fs::read_dir(&runs)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "20210302T000000Z-a015eed.json",
            "20210303T000000Z-a025eed.json"
        ]
    );
    let latest =
        std::fs::read_to_string(project.join(".perfguard/baselines/web/linux-runner/latest.json"))
            .unwrap();
    assert!(
        latest.contains(&sha(2)) && latest.contains("cold start"),
        "{latest}"
    );

    let again = perfguard(&project)
        .args([
            "baseline",
            "import",
            "--environment",
            "linux-runner",
            "--suite",
            "web",
        ])
        .arg(&pages)
        .output()
        .unwrap();
    assert!(
        stderr_of(&again).contains("imported 0 runs"),
        "{}",
        stderr_of(&again)
    );
    assert_eq!(std::fs::read_dir(&runs).unwrap().count(), 2);

    // A directory without data.js says what it looked for.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = import(&project, &empty);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("dev/bench/data.js"),
        "{}",
        stderr_of(&out)
    );
}

#[test]
fn broken_history_is_refused_naming_where_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, work) = remote_and_clone(tmp.path(), CONFIG);
    let good = data_js(3, false);

    // Malformed JSON: file, line and the key being read.
    let broken = good.replacen("\"date\": 1614643200000", "\"date\": \"yesterday\"", 1);
    assert_ne!(broken, good);
    let line = broken
        .lines()
        .position(|l| l.contains("yesterday"))
        .unwrap()
        + 1;
    let file = write(tmp.path(), "broken.js", &broken);
    let out = import(&work, &file);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains(&format!("broken.js:{line}:")), "{err}");
    assert!(err.contains("entries.Rust Benchmark[1].date"), "{err}");

    // Cut short.
    let file = write(tmp.path(), "cut.js", &good[..good.len() / 2]);
    let out = import(&work, &file);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("cut.js:"), "{}", stderr_of(&out));

    // A negative value in the last entry: refused with its index, and the
    // good entries before it are not imported either.
    let negative = good.replace("52345.0", "-52345.0");
    let file = write(tmp.path(), "negative.js", &negative);
    let out = import(&work, &file);
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("entries.\"Rust Benchmark\"[0]") && err.contains("-52345"),
        "{err}"
    );

    // Larger than the input limit.
    let big = write(
        tmp.path(),
        "big.js",
        &format!("{}{}", " ".repeat(2 << 20), good),
    );
    let out = perfguard(&work)
        .env("PERFGUARD_MAX_INPUT_MIB", "1")
        .args(["baseline", "import"])
        .arg(&big)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("larger than 1 MiB"),
        "{}",
        stderr_of(&out)
    );

    // None of it reached the remote.
    let branches = git(&bare, &["branch", "--list", BRANCH]);
    assert!(branches.is_empty(), "{branches}");
}

#[test]
fn two_imports_at_once_from_two_clones_add_each_run_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (bare, work) = remote_and_clone(tmp.path(), CONFIG);
    git(tmp.path(), &["clone", "-q", "remote.git", "other"]);
    let other = tmp.path().join("other");
    let file = write(tmp.path(), "data.js", &data_js(5, true));
    let bin = assert_cmd::cargo::cargo_bin("perfguard");
    let spawn = |dir: &Path| {
        Command::new(&bin)
            .args(["baseline", "import"])
            .arg(&file)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", crate::common::empty_git_config())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GITHUB_TOKEN")
            .env_remove("PERFGUARD_TOKEN")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(&work), spawn(&other));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert_eq!(a.status.code(), Some(0), "{}", stderr_of(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr_of(&b));
    // Whichever landed second re-planned on the first's commit: it found
    // every run there and wrote nothing.
    let both = format!("{}{}", stderr_of(&a), stderr_of(&b));
    assert!(both.contains("imported 5 runs"), "{both}");
    assert!(
        both.contains("imported 0 runs") && both.contains("5 runs already on the store"),
        "{both}"
    );
    assert_eq!(runs_on(&bare).len(), 5);
    assert_eq!(git(&bare, &["rev-list", "--count", BRANCH]), "1");
}

/// One libtest bench line turned into a data.js bench the way
/// github-action-benchmark's `extractCargoResult` (src/extract.ts) does:
/// its regex `^test (.+)\s+\.\.\. bench:\s+([0-9,.]+) (\w+/\w+) \(\+/- ([0-9,.]+)\)$`,
/// the name trimmed, `value` the number without commas, `range` `± ` and the
/// spread as printed, `unit` as printed.
fn cargo_bench_entry(line: &str) -> serde_json::Value {
    let rest = line.strip_prefix("test ").unwrap();
    let (name, rest) = rest.split_once(" ... bench:").unwrap();
    let (value, rest) = rest.trim_start().split_once(' ').unwrap();
    let (unit, range) = rest.split_once(" (+/- ").unwrap();
    serde_json::json!({
        "name": name.trim(),
        "value": value.replace(',', "").parse::<f64>().unwrap(),
        "range": format!("± {}", range.strip_suffix(')').unwrap()),
        "unit": unit,
    })
}

/// libtest's bench line for `ns` (its `fmt_thousands_sep` commas).
fn libtest_line(name: &str, ns: u64, spread: u64) -> String {
    let commas = |n: u64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    format!(
        "test {name:<8} ... bench: {:>12} ns/iter (+/- {})",
        commas(ns),
        commas(spread)
    )
}

/// `n` pushes of a cargo benchmark, each entry made from libtest's own
/// lines by github-action-benchmark's rules: `parse` about 10,000 ns and
/// `render` about 52,000 ns, each with a few percent of run-to-run noise.
fn cargo_history_data_js(n: usize) -> String {
    let entries: Vec<_> = (0..n)
        .map(|i| {
            let noise = |k: usize| ((i * 7919 + k * 104_729) % 401) as u64;
            let benches: Vec<_> = [
                libtest_line("parse", 9_800 + noise(1), 150 + noise(2) / 4),
                libtest_line("render", 51_800 + 2 * noise(3), 900 + noise(4)),
            ]
            .iter()
            .map(|l| cargo_bench_entry(l))
            .collect();
            serde_json::json!({
                "commit": commit(i), "date": date_ms(i), "tool": "cargo", "benches": benches,
            })
        })
        .collect();
    let data = serde_json::json!({
        "lastUpdate": date_ms(n),
        "repoUrl": "https://github.com/o/r",
        "entries": {"Rust Benchmark": entries},
    });
    format!(
        "window.BENCHMARK_DATA = {};\n",
        serde_json::to_string_pretty(&data).unwrap()
    )
}

#[test]
fn two_hundred_entries_round_trip_into_the_history_check_judges_against() {
    let config = r#"
[suite]
name = "api"
environment = "ci"

[[phase]]
name = "Rust Benchmark"
kind = "ingest"
files = ["bench.txt"]
format = "cargo-bench"
"#;
    let tmp = tempfile::tempdir().unwrap();
    let (bare, work) = remote_and_clone(tmp.path(), config);
    let text = cargo_history_data_js(200);
    assert_eq!(text.matches("\"tool\": \"cargo\"").count(), 200);
    assert!(text.contains("\"range\": \"± 1,"), "commas kept in ranges");
    let file = write(tmp.path(), "data.js", &text);
    let out = import(&work, &file);
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(
        stderr_of(&out).contains("imported 200 runs"),
        "{}",
        stderr_of(&out)
    );
    let runs = runs_on(&bare);
    assert_eq!(runs.len(), 200, "{runs:?}");
    // The oldest and the newest keep their commit and date.
    assert!(
        runs.iter()
            .any(|r| r.ends_with("20210301T000000Z-a005eed.json")),
        "{runs:?}"
    );
    assert!(
        runs.iter()
            .any(|r| r.ends_with("20210916T000000Z-ac75eed.json")),
        "{runs:?}"
    );
    let latest = git(&bare, &["show", &format!("{BRANCH}:api/ci/latest.json")]);
    let run: serde_json::Value = serde_json::from_str(&latest).unwrap();
    assert_eq!(run["git"]["sha"], sha(199));
    let parse = &run["phases"][0]["metrics"][0];
    assert_eq!(parse["name"], "parse");
    let last = cargo_bench_entry(&libtest_line(
        "parse",
        9_800 + ((199 * 7919 + 104_729) % 401) as u64,
        0,
    ));
    assert_eq!(parse["value"], last["value"]);

    let check = |bench: &str| {
        write(&work, "bench.txt", bench);
        let out = perfguard(&work)
            .args(["check", "--remote", "--format", "md"])
            .output()
            .unwrap();
        let md = String::from_utf8_lossy(&out.stdout).into_owned();
        (out.status.code(), md, stderr_of(&out))
    };
    // Within the imported noise: passes, judged by the history band.
    let same = format!(
        "{}\n{}\n",
        libtest_line("parse", 10_000, 160),
        libtest_line("render", 52_200, 1_000)
    );
    let (code, md, err) = check(&same);
    assert_eq!(code, Some(0), "{md}\n{err}");
    assert!(!md.contains("no baseline yet"), "{md}");
    // The history is the imported runs: the newest, ac75eed, is the
    // baseline, and the band spans many of them (from the last change point
    // check finds in them, at most all 200).
    assert!(md.contains("ac75eed"), "{md}");
    let runs: usize = md
        .split("history of ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{md}"));
    assert!((5..=200).contains(&runs), "{md}");
    // parse twice as slow as every imported run: a regression that fails.
    let slower = format!(
        "{}\n{}\n",
        libtest_line("parse", 20_000, 160),
        libtest_line("render", 52_200, 1_000)
    );
    let (code, md, err) = check(&slower);
    assert_eq!(code, Some(1), "{md}\n{err}");
    assert!(md.contains("beyond band"), "{md}");
    assert!(md.contains("history of "), "{md}");
}
