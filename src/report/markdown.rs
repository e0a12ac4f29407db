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

/// Renders the whole report.
pub fn render(view: &View) -> String {
    let mut s = String::new();
    let icon = match view.verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
    };
    let _ = writeln!(s, "{}", marker(&view.suite));
    let _ = writeln!(
        s,
        "### {icon} perfguard · {} · {}",
        escape(&view.suite),
        escape(&view.headline)
    );
    let _ = writeln!(s);
    match &view.baseline {
        Some(b) => {
            let _ = writeln!(
                s,
                "Baseline {} · current {}",
                escape(b),
                escape(&view.current)
            );
        }
        None => {
            let _ = writeln!(s, "No baseline yet · current {}", escape(&view.current));
        }
    }
    for note in &view.notes {
        let _ = writeln!(s, "\n> [!WARNING]\n> {}", escape(note));
    }
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
    if !view.criteria.is_empty() {
        let _ = writeln!(s, "\n| | Phase | Criterion | Actual |\n|:-:|---|---|---|");
        for c in &view.criteria {
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

fn table(s: &mut String, rows: &[Row]) {
    let _ = writeln!(
        s,
        "| Phase | Metric | Baseline | Current | Change | Severity | Evidence |"
    );
    let _ = writeln!(s, "|---|---|--:|--:|--:|---|---|");
    for r in rows {
        let _ = writeln!(
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
