//! HTML: turns a report view and its charts into one self-contained page
//! (uPlot, the page's script and style inlined; no request leaves the file),
//! every user-controlled string escaped for HTML, and the chart data one
//! JSON blob that cannot close its `<script>` element.

use super::charts::{self, Chart};
use super::{Row, View};
use crate::compare::{Comparison, Severity, Verdict};
use crate::results::{PhaseKind, Run, RunIndex};
use std::fmt::Write;

const UPLOT_JS: &str = include_str!("../../assets/uplot/uPlot.iife.min.js");
const UPLOT_CSS: &str = include_str!("../../assets/uplot/uPlot.min.css");
const CHARTS_JS: &str = include_str!("../../assets/report/charts.js");
const REPORT_JS: &str = include_str!("../../assets/report/report.js");
const PAGE_CSS: &str = include_str!("../../assets/report/page.css");

/// What the HTML report shows: the view every renderer shows, and per
/// phase its charts and each metric's.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub view: View,
    pub phases: Vec<PhaseSection>,
    /// Every chart of the page; sections refer to them by index.
    pub charts: Vec<Chart>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PhaseSection {
    pub name: String,
    /// `command`, `http`, `ingest`, or none when only a comparison was given.
    pub kind: Option<String>,
    /// Charts of the phase as a whole (percentiles, load, memory, runs).
    pub charts: Vec<usize>,
    pub metrics: Vec<MetricSection>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MetricSection {
    pub name: String,
    /// `+34 % (+28 … +41 %) · critical`.
    pub summary: String,
    pub severity: Severity,
    pub charts: Vec<usize>,
}

impl Page {
    /// The page of `comparison`, with the runs behind it where they are
    /// known: the baseline's and current samples, and `history` (earlier
    /// runs, oldest first) for each metric's history chart.
    pub fn of(
        comparison: &Comparison,
        view: View,
        baseline: Option<&Run>,
        current: Option<&Run>,
        history: &[Run],
    ) -> Page {
        let mut charts = Vec::new();
        let mut push = |c: Chart| {
            charts.push(c);
            charts.len() - 1
        };
        let indexed: Vec<(&Run, RunIndex<'_>)> =
            history.iter().map(|r| (r, RunIndex::new(r))).collect();
        // Phases in the current run's order, then any only the comparison names.
        let mut names: Vec<String> = current
            .map(|r| r.phases.iter().map(|p| p.name.clone()).collect())
            .unwrap_or_default();
        for m in &comparison.comparisons {
            if !names.contains(&m.phase) {
                names.push(m.phase.clone());
            }
        }
        let rows: Vec<&Row> = view.changed.iter().chain(&view.unchanged).collect();
        let mut phases = Vec::new();
        for name in names {
            let phase = current.and_then(|r| r.phase(&name));
            let base_phase = baseline.and_then(|r| r.phase(&name));
            let phase_charts = phase
                .map(|p| charts::phase_charts(p, base_phase))
                .unwrap_or_default()
                .into_iter()
                .map(&mut push)
                .collect();
            let metrics = comparison
                .comparisons
                .iter()
                .filter(|m| m.phase == name)
                .map(|m| {
                    let mc = charts::metric_charts(m, comparison, baseline, current, &indexed);
                    let row = rows
                        .iter()
                        .find(|r| r.phase == m.phase && r.metric == m.metric);
                    MetricSection {
                        name: m.metric.clone(),
                        summary: row.map_or_else(String::new, |r| {
                            format!("{} · {}", r.change_phrase, r.severity)
                        }),
                        severity: m.severity,
                        charts: [mc.samples, mc.history]
                            .into_iter()
                            .flatten()
                            .map(&mut push)
                            .collect(),
                    }
                })
                .collect();
            phases.push(PhaseSection {
                kind: phase.map(|p| kind_name(p.kind).to_owned()),
                name,
                charts: phase_charts,
                metrics,
            });
        }
        Page {
            view,
            phases,
            charts,
        }
    }
}

fn kind_name(kind: PhaseKind) -> &'static str {
    match kind {
        PhaseKind::Command => "command",
        PhaseKind::Http => "http",
        PhaseKind::Ingest => "ingest",
    }
}

/// Escapes text for HTML content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON to inline in a `<script type="application/json">` element: `<`,
/// `>` and `&` as `\u` escapes, so no `</script>` or `<!--` can appear in
/// it; `JSON.parse` reads it back unchanged.
pub fn script_json<T: serde::Serialize>(value: &T) -> String {
    let json = serde_json::to_string(value).expect("chart data serializes");
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// A page's head: title, uPlot's style and the page's own.
pub fn head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n\
         <title>{}</title>\n<style>\n{UPLOT_CSS}\n{PAGE_CSS}</style>\n</head>\n",
        escape(title)
    )
}

/// uPlot and the chart drawing, then `page_js`, each in its own element.
pub fn scripts(page_js: &str) -> String {
    format!(
        "<script>\n{UPLOT_JS}\n</script>\n<script>\n{CHARTS_JS}</script>\n<script>\n{page_js}</script>\n"
    )
}

/// Renders the report page.
pub fn render(page: &Page) -> String {
    let view = &page.view;
    let mut s = head(&format!("perfguard · {} · {}", view.suite, view.headline));
    let _ = writeln!(s, "<body>\n<main>");
    let verdict = match view.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    };
    let _ = writeln!(
        s,
        "<header class=\"verdict {verdict}\">\n<h1>{} perfguard · {}</h1>\n<p class=\"headline\">{}</p>\n<p class=\"basis\">{}</p>\n<p class=\"runs\">Baseline {} · current {}</p>",
        if view.verdict == Verdict::Pass {
            "✅"
        } else {
            "❌"
        },
        escape(&view.suite),
        escape(&view.headline),
        escape(&view.basis),
        escape(view.baseline.as_deref().unwrap_or("none yet")),
        escape(&view.current)
    );
    if let Some(p) = &view.provenance {
        let _ = writeln!(s, "<p class=\"runs\">Measured {}</p>", escape(p));
    }
    let _ = writeln!(s, "</header>");
    for note in &view.notes {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", escape(note));
    }
    if !view.errors.is_empty() {
        let _ = writeln!(s, "<h2>Phase errors</h2>\n<ul class=\"errors\">");
        for (phase, message, tail) in &view.errors {
            let _ = write!(s, "<li><b>{}</b>: {}", escape(phase), escape(message));
            if let Some(t) = tail {
                let _ = write!(s, "<pre>{}</pre>", escape(t));
            }
            let _ = writeln!(s, "</li>");
        }
        let _ = writeln!(s, "</ul>");
    }
    table(&mut s, view);
    criteria(&mut s, view);
    steps(&mut s, view);
    for phase in &page.phases {
        let _ = writeln!(
            s,
            "<section class=\"phase\">\n<h2>{}{}</h2>",
            escape(&phase.name),
            phase
                .kind
                .as_deref()
                .map(|k| format!(" <small>{k}</small>"))
                .unwrap_or_default()
        );
        charts_row(&mut s, &phase.charts);
        for m in &phase.metrics {
            let _ = writeln!(
                s,
                "<div class=\"metric sev-{}\">\n<h3>{} <small>{}</small></h3>",
                m.severity.as_str(),
                escape(&m.name),
                escape(&m.summary)
            );
            charts_row(&mut s, &m.charts);
            let _ = writeln!(s, "</div>");
        }
        let _ = writeln!(s, "</section>");
    }
    let _ = writeln!(
        s,
        "</main>\n<script type=\"application/json\" id=\"perfguard-data\">{}</script>",
        script_json(&serde_json::json!({ "charts": &page.charts }))
    );
    s.push_str(&scripts(REPORT_JS));
    s.push_str("</body>\n</html>\n");
    s
}

fn charts_row(s: &mut String, charts: &[usize]) {
    if charts.is_empty() {
        return;
    }
    let _ = write!(s, "<div class=\"charts\">");
    for i in charts {
        let _ = write!(s, "<div class=\"chart\" data-chart=\"{i}\"></div>");
    }
    let _ = writeln!(s, "</div>");
}

fn table(s: &mut String, view: &View) {
    let rows: Vec<&Row> = view.changed.iter().chain(&view.unchanged).collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<table>\n<thead><tr><th>Phase</th><th>Metric</th><th>Baseline</th><th>Current</th><th>Change</th><th>Severity</th><th>Evidence</th></tr></thead>\n<tbody>"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "<tr class=\"sev-{}\"><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            r.severity.as_str(),
            escape(&r.phase),
            escape(&r.metric),
            escape(&r.baseline),
            escape(&r.current),
            escape(&r.change),
            r.severity.as_str(),
            escape(&r.note)
        );
    }
    let _ = writeln!(s, "</tbody>\n</table>");
}

/// Change points in the metrics' history, each named by the commit of the
/// first run at the new level.
fn steps(s: &mut String, view: &View) {
    if view.steps.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<h2>Steps in history</h2>\n<table class=\"steps\">\n<thead><tr><th>Phase</th><th>Metric</th><th>Change</th><th>Level</th><th>First run</th></tr></thead>\n<tbody>"
    );
    for r in &view.steps {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(&r.phase),
            escape(&r.metric),
            escape(&r.change),
            escape(&r.levels),
            escape(&r.at)
        );
    }
    let _ = writeln!(s, "</tbody>\n</table>");
}

fn criteria(s: &mut String, view: &View) {
    if view.criteria.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<table class=\"criteria\">\n<thead><tr><th></th><th>Phase</th><th>Criterion</th><th>Actual</th></tr></thead>\n<tbody>"
    );
    for c in &view.criteria {
        let _ = writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td></tr>",
            if c.passed { "✅" } else { "❌" },
            escape(&c.phase),
            escape(&c.metric),
            escape(&c.criterion),
            escape(&c.actual)
        );
    }
    let _ = writeln!(s, "</tbody>\n</table>");
}
