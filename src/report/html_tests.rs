//! The HTML report, the dashboard and the comment's Mermaid charts: what
//! they draw from which data, and that no name can break out of them.

use super::charts::SPECTRUM;
use super::{View, dashboard, html, markdown};
use crate::compare::{Policy, compare_history};
use crate::config::ThresholdsConfig;
use crate::metrics::Unit;
use crate::results::{
    Direction, Environment, GitInfo, Metric, PhaseKind, PhaseResult, Run, SCHEMA_VERSION,
    SeriesPoint,
};

const HOSTILE: &str = "</script><img src=x onerror=alert(1)> \"] ` --> \n <!--";

fn sha(i: u32) -> String {
    format!("{i:02}{}", "a".repeat(38))
}

fn histogram(scale: u64) -> String {
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).unwrap();
    for v in 1..=1_000u64 {
        h.record(v * scale).unwrap();
    }
    crate::phase::http::record::encode(&h).unwrap()
}

/// A run of three phases (command, http, ingest) whose values scale by `f`.
fn run(i: u32, f: f64, names: (&str, &str, &str)) -> Run {
    let (suite, phase, metric) = names;
    let wall: Vec<f64> = (0..6)
        .map(|k| f * 1e6 * (1.0 + f64::from(k) * 0.01))
        .collect();
    let rss: Vec<f64> = (0..6).map(|k| 4e6 + f64::from(k) * 1e4).collect();
    let latency = Metric {
        histogram: Some(histogram((f * 1_000.0) as u64)),
        ..Metric::new("latency.p50", Unit::Ns, Direction::Lower, f * 5e5)
    };
    Run {
        schema_version: SCHEMA_VERSION,
        suite: suite.into(),
        environment: Environment {
            key: "ci".into(),
            os: "Linux".into(),
            arch: "x86_64".into(),
            cpu_model: "Test".into(),
            cores: 2,
            memory_bytes: 1 << 30,
            runner: None,
        },
        git: Some(GitInfo {
            sha: sha(i),
            ref_name: Some("refs/heads/main".into()),
            base_sha: None,
            pr: None,
        }),
        started_at: chrono::DateTime::from_timestamp(1_763_700_000 + i64::from(i) * 3600, 0)
            .unwrap(),
        finished_at: chrono::DateTime::from_timestamp(1_763_700_060 + i64::from(i) * 3600, 0)
            .unwrap(),
        partial: false,
        shard: None,
        phases: vec![
            PhaseResult {
                name: "startup".into(),
                kind: PhaseKind::Command,
                errors: vec![],
                metrics: vec![
                    Metric {
                        samples: wall,
                        ..Metric::new("wall", Unit::Ns, Direction::Lower, f * 1.02e6)
                    },
                    Metric {
                        samples: rss,
                        ..Metric::new("memory.peak", Unit::Bytes, Direction::Lower, 4.02e6)
                    },
                ],
                criteria: Default::default(),
                load_started_at: None,
                series: vec![],
            },
            PhaseResult {
                name: "load".into(),
                kind: PhaseKind::Http,
                errors: vec![],
                metrics: vec![
                    latency,
                    Metric::new("throughput", Unit::PerSecond, Direction::Higher, 100.0),
                    Metric::new("memory.baseline", Unit::Bytes, Direction::Lower, 2e7),
                    Metric::new("memory.peak", Unit::Bytes, Direction::Lower, 3e7),
                    Metric::new("memory.after", Unit::Bytes, Direction::Lower, 2.2e7),
                    Metric::new("cpu.mean", Unit::Ratio, Direction::Lower, 0.4),
                ],
                criteria: Default::default(),
                load_started_at: None,
                series: (0..3)
                    .map(|s| SeriesPoint {
                        second: s,
                        requests: 100 + s,
                        errors: s,
                        p50_ns: f * 5e5,
                        p99_ns: f * 9e5,
                        memory_bytes: Some(2e7 + s as f64 * 5e6),
                    })
                    .collect(),
            },
            PhaseResult {
                name: phase.into(),
                kind: PhaseKind::Ingest,
                errors: vec![],
                metrics: ["", ".b", ".c", ".d"]
                    .iter()
                    .map(|x| {
                        Metric::new(format!("{metric}{x}"), Unit::Ns, Direction::Lower, f * 2e3)
                    })
                    .collect(),
                criteria: Default::default(),
                load_started_at: None,
                series: vec![],
            },
        ],
    }
}

/// Sixteen earlier runs (a step up at the ninth), the baseline (the last
/// of them) and a current run 2.5× slower.
fn fixture(names: (&str, &str, &str)) -> (Vec<Run>, Run) {
    let history: Vec<Run> = (0..16)
        .map(|i| {
            run(
                i,
                if i < 8 { 1.0 } else { 1.3 } * (1.0 + f64::from(i % 3) * 0.01),
                names,
            )
        })
        .collect();
    (history, run(16, 2.5, names))
}

fn page(names: (&str, &str, &str)) -> html::Page {
    let (history, current) = fixture(names);
    let policy = Policy::new(ThresholdsConfig::default());
    let c = compare_history(history.last(), &current, &history, &policy);
    let view = View::with_history(&c, &history);
    html::Page::of(&c, view, history.last(), Some(&current), &history)
}

/// The page without the inlined assets (uPlot, the scripts, the style):
/// they are files of the repository, not output to review.
fn without_assets(text: &str) -> String {
    let mut out = text.to_owned();
    for (asset, name) in [
        (
            include_str!("../../assets/uplot/uPlot.iife.min.js"),
            "[uPlot.iife.min.js]",
        ),
        (
            include_str!("../../assets/uplot/uPlot.min.css"),
            "[uPlot.min.css]",
        ),
        (include_str!("../../assets/report/charts.js"), "[charts.js]"),
        (include_str!("../../assets/report/report.js"), "[report.js]"),
        (
            include_str!("../../assets/report/dashboard.js"),
            "[dashboard.js]",
        ),
        (include_str!("../../assets/report/page.css"), "[page.css]"),
    ] {
        out = out.replace(asset, name);
    }
    out
}

#[test]
fn the_report_draws_samples_history_percentiles_load_memory_and_runs() {
    let p = page(("api", "parser", "parse"));
    let titles: Vec<&str> = p.charts.iter().map(|c| c.title.as_str()).collect();
    for expected in [
        "startup: each run",
        "startup/wall: samples",
        "startup/wall: history",
        "startup/memory.peak: samples",
        "load: latency by percentile",
        "load: requests and errors per second",
        "load: latency per second",
        "load: the service's memory and CPU",
        "parser/parse: history",
    ] {
        assert!(titles.contains(&expected), "{expected} in {titles:?}");
    }
    // Every chart is placed once, in a section.
    let placed: usize = p
        .phases
        .iter()
        .map(|s| s.charts.len() + s.metrics.iter().map(|m| m.charts.len()).sum::<usize>())
        .sum();
    assert_eq!(placed, p.charts.len());
    let spectrum = p.charts.iter().find(|c| c.xkind == "quantile").unwrap();
    assert_eq!(spectrum.x.len(), SPECTRUM.len());
    assert_eq!(spectrum.series.len(), 2, "baseline beside current");
    // The step in history is marked at the first run of the new level.
    let history = p
        .charts
        .iter()
        .find(|c| c.title == "startup/wall: history")
        .unwrap();
    assert!(!history.marks.is_empty(), "{:?}", history.marks);
    for mark in &history.marks {
        assert_eq!(mark.label, &sha(mark.x as u32)[..7], "{mark:?}");
    }
    let memory = p
        .charts
        .iter()
        .find(|c| c.title == "load: the service's memory and CPU")
        .unwrap();
    let labels: Vec<&str> = memory.series.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(
        labels,
        ["memory", "baseline", "peak", "after release", "cpu (mean)"]
    );
    let text = html::render(&p);
    assert_eq!(text.matches("class=\"chart\"").count(), p.charts.len());
    // Nothing is fetched: no URL in any src or href.
    assert!(!text.contains("src=\"http") && !text.contains("href=\"http"));
    insta::assert_snapshot!(without_assets(&text));
}

#[test]
fn hostile_names_stay_text_in_the_html_and_its_json() {
    let p = page((HOSTILE, HOSTILE, HOSTILE));
    let text = html::render(&p);
    assert!(!text.contains("<img"), "an element was injected");
    // Four script elements (uPlot, charts, the page, the data) and no more.
    assert_eq!(text.matches("</script>").count(), 4);
    assert_eq!(text.matches("<script").count(), 4);
    assert!(!text.contains("<!-- "), "no comment opened");
    assert!(text.contains("&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &quot;] ` --&gt;"));
    // The JSON blob reads back to the same names.
    let start = text.find("id=\"perfguard-data\">").unwrap() + "id=\"perfguard-data\">".len();
    let end = start + text[start..].find("</script>").unwrap();
    let blob = &text[start..end];
    assert!(blob.contains("\\u003c/script\\u003e"), "{blob:.200}");
    let data: serde_json::Value = serde_json::from_str(blob).unwrap();
    let titles: Vec<&str> = data["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&format!("{HOSTILE}/{HOSTILE}: history").as_str()),
        "{titles:?}"
    );
}

#[test]
fn a_comparison_alone_gives_the_table_and_no_charts() {
    let (history, current) = fixture(("api", "parser", "parse"));
    let policy = Policy::new(ThresholdsConfig::default());
    let c = compare_history(history.last(), &current, &[], &policy);
    let p = html::Page::of(&c, View::of(&c), None, None, &[]);
    assert!(p.charts.is_empty());
    let text = html::render(&p);
    assert!(
        text.contains("<td>startup</td><td>wall</td>"),
        "{text:.400}"
    );
}

#[test]
fn mermaid_trends_follow_each_regression_and_fold_after_three() {
    let (history, current) = fixture(("api", "parser", "parse"));
    let policy = Policy::new(ThresholdsConfig::default());
    let c = compare_history(history.last(), &current, &history, &policy);
    let view = View::with_history(&c, &history);
    let md = markdown::render(&view);
    let charts = md.matches("```mermaid\nxychart-beta\n").count();
    let regressions = view
        .decisive()
        .filter(|r| r.severity.is_regression())
        .count();
    assert!(regressions > 3, "{md}");
    assert_eq!(charts, regressions.min(10));
    let fold = md.find("<details><summary>Trends of").unwrap();
    assert_eq!(md[..fold].matches("```mermaid").count(), 3);
    // The comment's own test: its tables keep their columns.
    super::tests::assert_tables_keep_their_columns(&md);
    let summary = markdown::summary(&view, &markdown::Decorations::default());
    assert_eq!(summary.matches("```mermaid").count(), charts);
    insta::assert_snapshot!(md);
}

#[test]
fn mermaid_labels_cannot_end_a_string_a_statement_or_the_fence() {
    for text in [
        HOSTILE,
        "a\"b",
        "x]y",
        "p --> q",
        "``` x",
        "&#quot; #35;",
        "a\rb",
    ] {
        let out = markdown::mermaid_text(text);
        for bad in ['"', '[', ']', '`', '<', '>', '\n', '\r', '&', '#', ';'] {
            assert!(!out.contains(bad), "{bad:?} in {out:?} from {text:?}");
        }
        assert!(!out.contains("--"), "{out:?}");
    }
    assert_eq!(markdown::mermaid_text("api/latency.p95"), "api/latency.p95");
}

#[test]
fn mermaid_categories_stay_distinct_when_a_commit_ran_twice() {
    let (mut history, current) = fixture(("api", "parser", "parse"));
    for run in &mut history {
        run.git.as_mut().unwrap().sha = sha(1);
    }
    let policy = Policy::new(ThresholdsConfig::default());
    let c = compare_history(history.last(), &current, &history, &policy);
    let view = View::with_history(&c, &history);
    let chart = markdown::mermaid_trend(view.decisive().next().unwrap()).unwrap();
    let axis = chart
        .lines()
        .find(|l| l.trim_start().starts_with("x-axis"))
        .unwrap();
    assert!(
        axis.contains("[\"01aaaaa\", \"01aaaaa (2)\", \"01aaaaa (3)\""),
        "{axis}"
    );
    assert!(axis.ends_with("\"01aaaaa (16)\", \"current\"]"), "{axis}");
}

#[test]
fn the_dashboard_groups_every_series_with_its_change_points() {
    let (history, _) = fixture(("api", "parser", "parse"));
    let mut odd = history.clone();
    // A metric only some runs have, and one that is not a number.
    odd[3].phases[2]
        .metrics
        .push(Metric::new("late", Unit::Count, Direction::Lower, 1.0));
    odd[4].phases[0].metrics[0].value = f64::NAN;
    let g = dashboard::Group::of("api", "ci", &odd, &ThresholdsConfig::default());
    let names: Vec<String> = g
        .metrics
        .iter()
        .map(|s| format!("{}/{}", s.phase, s.metric))
        .collect();
    assert_eq!(names[0], "startup/wall");
    assert!(names.contains(&"parser/late".to_owned()));
    let wall = &g.metrics[0];
    assert_eq!(wall.values.len(), 16);
    assert_eq!(wall.values[4], None);
    assert_eq!(wall.steps.len(), 1, "{:?}", wall.steps);
    assert_eq!(wall.steps[0].i, 8);
    let late = g.metrics.iter().find(|s| s.metric == "late").unwrap();
    assert_eq!(late.values.iter().filter(|v| v.is_some()).count(), 1);
    assert!(late.steps.is_empty());
    assert_eq!(g.runs[8].sha.as_deref(), Some(sha(8).as_str()));
}

#[test]
fn the_dashboard_page_is_one_escaped_blob_and_no_chart_markup() {
    let (history, _) = fixture((HOSTILE, HOSTILE, HOSTILE));
    let site = dashboard::Site {
        title: "perfguard dashboard".into(),
        commit_url: Some("https://github.com/o/r/commit/".into()),
        groups: vec![dashboard::Group::of(
            HOSTILE,
            "ci",
            &history,
            &ThresholdsConfig::default(),
        )],
    };
    let text = dashboard::render(&site);
    assert!(!text.contains("<img"));
    assert_eq!(text.matches("</script>").count(), 4);
    assert_eq!(
        text.matches("class=\"chart\"").count(),
        0,
        "charts are made by the script"
    );
    insta::assert_snapshot!(without_assets(&text));
}
