//! In a real browser: the HTML report and the dashboard open from disk in
//! headless Chromium with no console error, no request off the machine and
//! every chart drawn (tests/browser/open.js), and the comment's Mermaid
//! charts render with Mermaid's own parser (mermaid-cli's `mmdc`).
//!
//! Needs node, Chromium (`/usr/bin/chromium`, or `CHROMIUM`) and
//! `npm ci` in tests/browser; `.ci/run` installs all three. Missing, the
//! tests fail: they never skip. Screenshots go to `PERFGUARD_SCREENSHOTS`
//! when it is set.

use crate::common::{perfguard, write};
use crate::report::{repository_with_history, results_json};
use std::path::{Path, PathBuf};
use std::process::Command;

const HOSTILE: &str = "</script><img src=x onerror=alert(1)> \"] ` --> <!--";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

fn chromium() -> String {
    let path = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&path).is_file(),
        "Chromium is not at {path}: install it (Debian: apt-get install chromium) or set CHROMIUM"
    );
    path
}

/// `node`, with tests/browser's packages installed.
fn node() -> Command {
    let ok = Command::new("node").arg("--version").output();
    assert!(
        ok.is_ok_and(|o| o.status.success()),
        "node is missing: install it (Debian: apt-get install nodejs npm)"
    );
    assert!(
        browser_dir().join("node_modules/puppeteer-core").is_dir()
            && browser_dir().join("node_modules/.bin/mmdc").exists(),
        "tests/browser has no node_modules: run `PUPPETEER_SKIP_DOWNLOAD=1 npm ci` there (.ci/run does)"
    );
    let mut cmd = Command::new("node");
    cmd.current_dir(browser_dir()).env("CHROMIUM", chromium());
    cmd
}

fn screenshot(dir: &Path, name: &str) -> PathBuf {
    match std::env::var_os("PERFGUARD_SCREENSHOTS") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            Path::new(&d).join(name)
        }
        None => dir.join(name),
    }
}

/// Opens `page` in Chromium; what open.js saw, after it passed.
fn open(page: &Path, shot: &Path, extra: &[&str]) -> serde_json::Value {
    let out = node()
        .arg("open.js")
        .arg(page)
        .arg(shot)
        .args(extra)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{} in Chromium: {stdout}\n{}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("open.js prints JSON")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn the_report_of_command_http_and_ingest_phases_draws_every_chart_offline() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest/hyperfine.json");
    std::fs::copy(fixture, dir.path().join("hyperfine.json")).unwrap();
    let port = free_port();
    let service = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/service.py");
    write(
        dir.path(),
        "perfguard.toml",
        &format!(
            r#"[suite]
name = "demo </script><img src=x onerror=alert(1)>"

[[phase]]
name = "startup"
kind = "command"
command = ["sh", "-c", "head -c 1000000 /dev/zero | tail -c 1 >/dev/null"]
runs = 6
warmup = 0

[[phase]]
name = "load"
kind = "http"
base_url = "http://127.0.0.1:{port}"
service = {{ command = ["python3", "{service}", "--port", "{port}"], ready = "/health", ready_timeout = "20s" }}
vus = 2
duration = "2s"
  [[phase.step]]
  name = "health"
  path = "/health"

[[phase]]
name = "parser \"] ` --> <b>"
kind = "ingest"
format = "hyperfine"
files = ["hyperfine.json"]
"#,
            service = service.display()
        ),
    );
    for out in ["base.json", "current.json"] {
        let run = perfguard(dir.path())
            .args(["run", "-o", out])
            .output()
            .unwrap();
        assert_eq!(
            run.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
    let out = perfguard(dir.path())
        .args([
            "compare",
            "--baseline",
            "base.json",
            "--current",
            "current.json",
            "--history",
            "base.json",
            "--format",
            "html",
        ])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    let page = write(dir.path(), "report.html", &html);
    let expected = html.matches("class=\"chart\"").count();
    for kind in [
        "\"xkind\":\"quantile\"",
        "\"xkind\":\"seconds\"",
        "\"xkind\":\"group\"",
    ] {
        assert!(html.contains(kind), "{kind} missing");
    }
    for title in [
        "load: latency by percentile",
        "load: requests and errors per second",
        "load: latency per second",
        "load: the service's memory and CPU",
        "startup: each run",
    ] {
        assert!(html.contains(title), "{title} missing");
    }
    let seen = open(
        &page,
        &screenshot(dir.path(), "report.png"),
        &["--full-page"],
    );
    assert_eq!(seen["after"]["charts"], expected, "{seen}");
    assert_eq!(seen["after"]["drawn"], expected, "{seen}");
    assert!(expected >= 10, "{seen}");
    // The hostile suite name is the page's title as text, not markup.
    assert!(
        seen["title"]
            .as_str()
            .unwrap()
            .starts_with("perfguard · demo </script><img src=x onerror=alert(1)>"),
        "{seen}"
    );
}

#[test]
fn the_dashboard_draws_charts_as_they_scroll_into_view_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    repository_with_history(dir.path(), &[("api", "p"), (HOSTILE, "q")], 10, 12);
    perfguard(dir.path())
        .args([
            "dashboard",
            "-o",
            "site",
            "--repo-url",
            "https://github.com/o/r",
        ])
        .assert()
        .success();
    let page = dir.path().join("site/index.html");
    let seen = open(&page, &screenshot(dir.path(), "dashboard.png"), &[]);
    assert_eq!(seen["after"]["charts"], 24, "{seen}");
    assert_eq!(seen["after"]["drawn"], 24, "{seen}");
    // Lazy: at load only the charts on the first screen were drawn.
    let at_load = seen["atLoad"]["drawn"].as_u64().unwrap();
    assert!(at_load > 0 && at_load < 24, "{seen}");
    let filtered = open(
        &page,
        &screenshot(dir.path(), "dashboard-search.png"),
        &["--search", "m03"],
    );
    assert_eq!(filtered["shown"], "2 of 24 series", "{filtered}");
    assert_eq!(filtered["after"]["charts"], 2, "{filtered}");
}

#[test]
fn the_comments_mermaid_charts_render_with_mermaids_own_parser() {
    let dir = tempfile::tempdir().unwrap();
    let history: Vec<PathBuf> = (0..6)
        .map(|i| {
            write(
                dir.path(),
                &format!("h{i}.json"),
                &results_json(HOSTILE, HOSTILE, i, 2, 99),
            )
        })
        .collect();
    let current = write(
        dir.path(),
        "cur.json",
        &results_json(HOSTILE, HOSTILE, 6, 2, 6),
    );
    let mut compare = perfguard(dir.path());
    compare
        .args(["compare", "--baseline"])
        .arg(&history[5])
        .arg("--current")
        .arg(&current)
        .args(["--format", "md"]);
    for h in &history {
        compare.arg("--history").arg(h);
    }
    let md = String::from_utf8(compare.output().unwrap().stdout).unwrap();
    let blocks = md.matches("```mermaid\nxychart-beta\n").count();
    assert_eq!(blocks, 2, "{md}");
    write(dir.path(), "comment.md", &md);
    write(
        dir.path(),
        "pp.json",
        &serde_json::json!({"executablePath": chromium(), "args": ["--no-sandbox"]}).to_string(),
    );
    let mmdc = browser_dir().join("node_modules/.bin/mmdc");
    let out = node()
        .arg(mmdc)
        .args(["-p", "pp.json", "-i", "comment.md", "-o", "rendered.md"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "mmdc refused a chart: {}\n{}\n{md}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for i in 1..=blocks {
        let svg = std::fs::read_to_string(dir.path().join(format!("rendered-{i}.svg"))).unwrap();
        assert!(svg.contains("<svg"), "rendered-{i}.svg");
        assert!(!svg.contains("<img"), "rendered-{i}.svg");
    }
}
