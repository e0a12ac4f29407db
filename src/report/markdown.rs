//! Markdown: turns a report view into the PR comment and job summary text,
//! every user-controlled string escaped.

use super::{Row, View};
use crate::compare::Verdict;
use crate::compare::slo::BudgetStatus;
use std::fmt::Write;

/// The hidden marker that identifies a suite's comment.
pub fn marker(suite: &str) -> String {
    // `--` would end the HTML comment early; the suite name is user text.
    format!(
        "<!-- perfguard:{} -->",
        suite
            .replace("--", "-\u{200b}-")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    )
}

/// Escapes text for a Markdown table cell or paragraph: HTML is inert, table
/// pipes and emphasis are literal, and it stays on one line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Links and decisions around a report that only CI knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decorations {
    /// The baseline commit's page.
    pub baseline_url: Option<String>,
    /// The workflow run's page.
    pub run_url: Option<String>,
    /// The regressions a pull-request label accepted.
    pub accepted: Option<Acceptance>,
}

/// Regressions and failed criteria a label let pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub label: String,
    /// `phase metric (critical, +61.0 %)` or `phase metric < 200ms`.
    pub items: Vec<String>,
}

/// Renders the whole report.
pub fn render(view: &View) -> String {
    render_decorated(view, &Decorations::default())
}

/// Renders the whole report with CI's links and acceptance.
pub fn render_decorated(view: &View, deco: &Decorations) -> String {
    let mut s = String::new();
    header(&mut s, view, deco);
    if !view.errors.is_empty() {
        let _ = writeln!(s, "\n**Phase errors**\n");
        for (phase, message, tail) in &view.errors {
            let _ = writeln!(s, "- **{}**: {}", escape(phase), escape(message));
            if let Some(tail) = tail {
                // Four-space indentation would be fragile inside a list;
                // a fenced block whose fence is longer than any run of
                // backticks in the text cannot be broken out of.
                let fence = "`".repeat(longest_backtick_run(tail).max(2) + 1);
                let _ = writeln!(
                    s,
                    "\n  {fence}text\n{}\n  {fence}",
                    indent(&tail.replace('\r', ""), "  ")
                );
            }
        }
    }
    criteria(&mut s, view, false);
    if !view.changed.is_empty() {
        let _ = writeln!(s);
        table(&mut s, &view.changed);
    }
    if !view.slos.is_empty() {
        let _ = writeln!(
            s,
            "\n**Error budgets**\n\n| | Metric | Objective | Budget left | Burn rate |\n|:-:|---|---|--:|--:|"
        );
        for r in &view.slos {
            let icon = match r.status {
                BudgetStatus::Ok => "🟢",
                BudgetStatus::Warning => "🟡",
                BudgetStatus::Critical => "🔴",
                BudgetStatus::NoData => "⚪",
            };
            let _ = writeln!(
                s,
                "| {icon} {} | {} | {} | {} | {} |",
                r.status.as_str(),
                escape(&r.metric),
                escape(&r.objective),
                r.budget_left,
                r.burn_rate
            );
        }
    }
    if !view.steps.is_empty() {
        let _ = writeln!(
            s,
            "\n**Steps in history**\n\n| Phase | Metric | Change | Level | First run |\n|---|---|--:|---|---|"
        );
        for r in &view.steps {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                escape(&r.phase),
                escape(&r.metric),
                r.change,
                escape(&r.levels),
                escape(&r.at)
            );
        }
    }
    if !view.recommendations.is_empty() {
        let _ = writeln!(s, "\n**Recommendations**\n");
        for r in &view.recommendations {
            let _ = writeln!(s, "- {}", escape(r));
        }
    }
    if !view.unchanged.is_empty() {
        let n = view.unchanged.len();
        let _ = writeln!(
            s,
            "\n<details><summary>{n} unchanged metric{}</summary>\n",
            if n == 1 { "" } else { "s" }
        );
        table(&mut s, &view.unchanged);
        let _ = writeln!(s, "\n</details>");
    }
    s
}

/// The report in at most `limit` characters: the full one when it fits, else
/// a compact one with only regressions and failed criteria (whole rows, the
/// rest counted), so a table is never cut mid-row.
pub fn render_within(view: &View, deco: &Decorations, limit: usize) -> String {
    render_within_by(view, deco, limit, |t| t.chars().count())
}

/// As `render_within`, with `measure` saying how big a text is (characters
/// for a comment, bytes for the job summary).
pub fn render_within_by(
    view: &View,
    deco: &Decorations,
    limit: usize,
    measure: impl Fn(&str) -> usize,
) -> String {
    let full = render_decorated(view, deco);
    if measure(&full) <= limit {
        return full;
    }
    let regressions: Vec<&Row> = view
        .changed
        .iter()
        .filter(|r| r.severity.is_regression())
        .collect();
    let mut keep = regressions.len();
    loop {
        let text = compact(view, deco, &regressions[..keep]);
        if measure(&text) <= limit {
            return text;
        }
        if keep == 0 {
            return minimal(view, deco, limit, &measure);
        }
        // Shrink geometrically, then the count line says how many were left out.
        keep = keep.saturating_sub((keep / 4).max(1));
    }
}

/// The last resort when even the compact report is too big (thousands of
/// phase errors or criteria): the verdict line and where to look.
fn minimal(
    view: &View,
    deco: &Decorations,
    limit: usize,
    measure: &impl Fn(&str) -> usize,
) -> String {
    let mut s = format!("{}\n", marker(&view.suite));
    let headline: String = escape(&view.headline).chars().take(500).collect();
    let _ = writeln!(s, "### perfguard · {headline}\n");
    let _ = writeln!(
        s,
        "The report is too large for a comment; it is in the job summary{}.",
        deco.run_url
            .as_ref()
            .map(|u| format!(" of the [workflow run]({})", url_escape(u)))
            .unwrap_or_default()
    );
    if measure(&s) <= limit {
        s
    } else {
        marker(&view.suite)
    }
}

fn compact(view: &View, deco: &Decorations, regressions: &[&Row]) -> String {
    let mut s = String::new();
    header(&mut s, view, deco);
    if !view.errors.is_empty() {
        let _ = writeln!(s, "\n**Phase errors**\n");
        for (phase, message, _) in &view.errors {
            let short: String = message.chars().take(300).collect();
            let _ = writeln!(s, "- **{}**: {}", escape(phase), escape(&short));
        }
    }
    criteria(&mut s, view, true);
    let all_regressions = view
        .changed
        .iter()
        .filter(|r| r.severity.is_regression())
        .count();
    if !regressions.is_empty() {
        let _ = writeln!(s);
        let rows: Vec<Row> = regressions.iter().map(|r| (*r).clone()).collect();
        table(&mut s, &rows);
    }
    let other_changed = view.changed.len() - all_regressions;
    let mut omitted = Vec::new();
    if regressions.len() < all_regressions {
        omitted.push(format!(
            "{} more regression{}",
            all_regressions - regressions.len(),
            plural(all_regressions - regressions.len())
        ));
    }
    if other_changed > 0 {
        omitted.push(format!(
            "{other_changed} other changed metric{}",
            plural(other_changed)
        ));
    }
    if !view.unchanged.is_empty() {
        omitted.push(format!("{} unchanged", view.unchanged.len()));
    }
    let passed = view.criteria.iter().filter(|c| c.passed).count();
    if passed > 0 {
        omitted.push(format!(
            "{passed} met criteri{}",
            if passed == 1 { "on" } else { "a" }
        ));
    }
    let where_ = match &deco.run_url {
        Some(u) => format!("the [job summary]({u})"),
        None => "the job summary".into(),
    };
    let _ = writeln!(
        s,
        "\nThe full report is over GitHub's comment limit; this shows regressions and failed criteria only. Not shown: {}. The whole table is in {where_}.",
        if omitted.is_empty() {
            "nothing".to_owned()
        } else {
            omitted.join(", ")
        },
    );
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn header(s: &mut String, view: &View, deco: &Decorations) {
    let (icon, headline) = match (&deco.accepted, view.verdict) {
        (Some(_), Verdict::Fail) => (
            "☑️",
            format!(
                "accepted: {}",
                view.headline
                    .strip_prefix("fail: ")
                    .unwrap_or(&view.headline)
            ),
        ),
        (_, Verdict::Pass) => ("✅", view.headline.clone()),
        (None, Verdict::Fail) => ("❌", view.headline.clone()),
    };
    let _ = writeln!(s, "{}", marker(&view.suite));
    let _ = writeln!(
        s,
        "### {icon} perfguard · {} · {}",
        escape(&view.suite),
        escape(&headline)
    );
    let _ = writeln!(s);
    let linked = |text: &str, url: &Option<String>| match url {
        Some(u) => format!("[{}]({})", escape(text), url_escape(u)),
        None => escape(text),
    };
    let run = deco
        .run_url
        .as_ref()
        .map(|u| format!(" · [workflow run]({})", url_escape(u)))
        .unwrap_or_default();
    match &view.baseline {
        Some(b) => {
            let _ = writeln!(
                s,
                "Baseline {} · current {}{run}",
                linked(b, &deco.baseline_url),
                escape(&view.current)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "No baseline yet · current {}{run}",
                escape(&view.current)
            );
        }
    }
    if let Some(p) = &view.provenance {
        let _ = writeln!(s, "Measured {}", escape(p));
    }
    if let Some(a) = &deco.accepted {
        let _ = writeln!(
            s,
            "\n> [!NOTE]\n> Accepted by the label `{}`, so this check passes: {}.",
            a.label.replace('`', "'").replace(['\n', '\r'], " "),
            listed(&a.items, MAX_LISTED)
        );
    }
    for note in &view.notes {
        let _ = writeln!(s, "\n> [!WARNING]\n> {}", escape(note));
    }
}

fn criteria(s: &mut String, view: &View, failed_only: bool) {
    let rows: Vec<_> = view
        .criteria
        .iter()
        .filter(|c| !failed_only || !c.passed)
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n| | Phase | Criterion | Actual |\n|:-:|---|---|---|");
    for c in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} {} | {} |",
            if c.passed { "✅" } else { "❌" },
            escape(&c.phase),
            escape(&c.metric),
            escape(&c.criterion),
            escape(&c.actual)
        );
    }
}

/// A URL as a Markdown link target: nothing that ends the target or starts markup.
fn url_escape(url: &str) -> String {
    url.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .map(|c| match c {
            '(' => "%28".to_owned(),
            ')' => "%29".to_owned(),
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            '"' => "%22".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// Accepted items listed by name; the rest counted.
const MAX_LISTED: usize = 25;

fn listed(items: &[String], max: usize) -> String {
    let mut parts: Vec<String> = items.iter().take(max).map(|i| escape(i)).collect();
    if items.len() > max {
        parts.push(format!("and {} more", items.len() - max));
    }
    parts.join("; ")
}

/// Eight-level bars from the minimum to the maximum of `values`.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|v| {
            if max > min {
                let i = ((v - min) / (max - min) * 7.0).round() as usize;
                BARS[i.min(7)]
            } else {
                BARS[3]
            }
        })
        .collect()
}

fn table(s: &mut String, rows: &[Row]) {
    let trend = rows.iter().any(|r| r.trend.len() >= 2);
    let _ = writeln!(
        s,
        "| Phase | Metric | Baseline | Current | Change | Severity | Evidence |{}",
        if trend { " Trend |" } else { "" }
    );
    let _ = writeln!(
        s,
        "|---|---|--:|--:|--:|---|---|{}",
        if trend { "---|" } else { "" }
    );
    for r in rows {
        let _ = write!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            escape(&r.phase),
            escape(&r.metric),
            r.baseline,
            r.current,
            r.change,
            severity_label(r.severity),
            escape(&r.note)
        );
        if trend {
            let _ = write!(s, " {} |", sparkline(&r.trend));
        }
        let _ = writeln!(s);
    }
}

fn severity_label(s: crate::compare::Severity) -> String {
    use crate::compare::Severity::*;
    match s {
        Critical => "🔴 critical".into(),
        Major => "🟠 major".into(),
        Minor => "🟡 minor".into(),
        Improved => "🟢 improved".into(),
        Insufficient => "⚪ insufficient".into(),
        other => other.as_str().into(),
    }
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod github_tests {
    use super::*;
    use crate::compare::{Policy, compare};
    use crate::config::ThresholdsConfig;
    use crate::metrics::Unit;
    use crate::results::{Direction, Environment, Metric, PhaseKind, PhaseResult, Run};

    fn run(values: &[(&str, f64)]) -> Run {
        Run {
            schema_version: 1,
            suite: "api".into(),
            environment: Environment {
                key: "ci".into(),
                os: "linux".into(),
                arch: "x86_64".into(),
                cpu_model: "t".into(),
                cores: 2,
                memory_bytes: 1,
                runner: None,
            },
            git: None,
            started_at: chrono::DateTime::UNIX_EPOCH,
            finished_at: chrono::DateTime::UNIX_EPOCH,
            partial: false,
            phases: vec![PhaseResult {
                name: "p".into(),
                kind: PhaseKind::Command,
                errors: vec![],
                // Ten tight samples each, so a change is judged on evidence.
                metrics: values
                    .iter()
                    .map(|(n, v)| Metric {
                        samples: (0..10).map(|i| v * (1.0 + f64::from(i) * 1e-4)).collect(),
                        ..Metric::new(*n, Unit::Ns, Direction::Lower, *v)
                    })
                    .collect(),
                criteria: Default::default(),
                series: Vec::new(),
            }],
        }
    }

    fn policy() -> Policy {
        Policy::new(ThresholdsConfig::default())
    }

    #[test]
    fn sparkline_spans_min_to_max_and_is_flat_for_constant_values() {
        assert_eq!(sparkline(&[1.0, 2.0, 3.0, 8.0]), "▁▂▃█");
        assert_eq!(sparkline(&[5.0, 5.0]), "▄▄");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn history_adds_a_trend_column_ending_with_the_current_value() {
        let history = [run(&[("wall", 100.0)]), run(&[("wall", 110.0)])];
        let c = compare(Some(&history[1]), &run(&[("wall", 200.0)]), &policy());
        let view = View::with_history(&c, &history);
        assert_eq!(view.changed[0].trend, vec![100.0, 110.0, 200.0]);
        let md = render(&view);
        assert!(md.contains("| Trend |"), "{md}");
        assert!(md.contains("| ▁▂█ |"), "{md}");
        assert!(!render(&View::of(&c)).contains("Trend"));
    }

    #[test]
    fn accepted_report_names_the_label_and_escapes_what_it_lists() {
        let c = compare(
            Some(&run(&[("wall", 100.0)])),
            &run(&[("wall", 200.0)]),
            &policy(),
        );
        let deco = Decorations {
            accepted: Some(Acceptance {
                label: "ok`<b>".into(),
                items: vec!["p <script> wall".into()],
            }),
            ..Decorations::default()
        };
        let md = render_decorated(&View::of(&c), &deco);
        assert!(
            md.contains("### ☑️ perfguard · api · accepted: 1 regression"),
            "{md}"
        );
        assert!(md.contains("label `ok'<b>`"), "{md}");
        assert!(md.contains("p &lt;script&gt; wall"), "{md}");
    }

    #[test]
    fn a_report_within_the_limit_is_the_full_one() {
        let c = compare(
            Some(&run(&[("wall", 100.0)])),
            &run(&[("wall", 200.0)]),
            &policy(),
        );
        let v = View::of(&c);
        let d = Decorations::default();
        assert_eq!(render_within(&v, &d, 65_536), render_decorated(&v, &d));
    }

    #[test]
    fn a_compact_report_drops_whole_rows_and_counts_them() {
        let names: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
        let base: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 100.0)).collect();
        let cur: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 300.0)).collect();
        let c = compare(Some(&run(&base)), &run(&cur), &policy());
        let v = View::of(&c);
        let d = Decorations::default();
        let text = render_within(&v, &d, 2_000);
        assert!(text.chars().count() <= 2_000, "{}", text.chars().count());
        let rows = text.lines().filter(|l| l.starts_with("| p |")).count();
        assert!(rows > 0 && rows < 50);
        assert!(
            text.contains(&format!("{} more regressions", 50 - rows)),
            "{text}"
        );
    }

    #[test]
    fn when_nothing_else_fits_the_comment_is_the_verdict_and_a_pointer() {
        let names: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
        let base: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 100.0)).collect();
        let cur: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 300.0)).collect();
        let c = compare(Some(&run(&base)), &run(&cur), &policy());
        let text = render_within(&View::of(&c), &Decorations::default(), 300);
        assert!(text.chars().count() <= 300, "{text}");
        assert!(
            text.starts_with("<!-- perfguard:api -->\n### perfguard · fail: 50 regressions"),
            "{text}"
        );
        assert!(!text.contains('|'), "{text}");
    }

    #[test]
    fn a_long_acceptance_lists_some_and_counts_the_rest() {
        let c = compare(
            Some(&run(&[("wall", 100.0)])),
            &run(&[("wall", 200.0)]),
            &policy(),
        );
        let deco = Decorations {
            accepted: Some(Acceptance {
                label: "perfguard:accept".into(),
                items: (0..100).map(|i| format!("p m{i}")).collect(),
            }),
            ..Decorations::default()
        };
        let md = render_decorated(&View::of(&c), &deco);
        assert!(md.contains("p m24; and 75 more."), "{md}");
        assert!(!md.contains("p m25;"), "{md}");
    }
}
