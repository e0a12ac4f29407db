//! Terminal: turns a report view, or a run's results, into comfy-table text,
//! coloured only when asked to.

use super::View;
use crate::compare::slo::BudgetStatus;
use crate::compare::{Severity, Verdict};
use crate::metrics::units::human;
use crate::results::Run;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

/// User text made safe for a terminal: no escape sequences or other control
/// characters from names or command output.
pub fn sanitize(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

fn new_table(color: bool) -> Table {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

fn severity_cell(s: Severity, color: bool) -> Cell {
    let cell = Cell::new(s.as_str());
    if !color {
        return cell;
    }
    match s {
        Severity::Critical => cell.fg(Color::Red),
        Severity::Major => cell.fg(Color::DarkYellow),
        Severity::Minor => cell.fg(Color::Yellow),
        Severity::Improved => cell.fg(Color::Green),
        _ => cell,
    }
}

/// Renders a comparison: verdict line, criteria, then every metric.
pub fn render(view: &View, color: bool) -> String {
    let mut out = String::new();
    let verdict = match (view.verdict, color) {
        (Verdict::Pass, true) => "\x1b[32m✔\x1b[0m",
        (Verdict::Fail, true) => "\x1b[31m✘\x1b[0m",
        (Verdict::Pass, false) => "✔",
        (Verdict::Fail, false) => "✘",
    };
    out.push_str(&format!(
        "{verdict} perfguard · {} · {}\n",
        sanitize(&view.suite),
        view.headline
    ));
    match &view.baseline {
        Some(b) => out.push_str(&format!(
            "  baseline {}\n  current  {}\n",
            sanitize(b),
            sanitize(&view.current)
        )),
        None => out.push_str(&format!(
            "  no baseline yet; current {}\n",
            sanitize(&view.current)
        )),
    }
    if let Some(p) = &view.provenance {
        out.push_str(&format!("  measured {}\n", sanitize(p)));
    }
    for note in &view.notes {
        out.push_str(&format!("  note: {}\n", sanitize(note)));
    }
    for (phase, message, tail) in &view.errors {
        out.push_str(&format!(
            "  error in phase {}: {}\n",
            sanitize(phase),
            sanitize(message)
        ));
        if let Some(tail) = tail {
            for line in tail.lines() {
                out.push_str(&format!("    | {}\n", sanitize(line)));
            }
        }
    }
    if !view.criteria.is_empty() {
        let mut t = new_table(color);
        t.set_header(vec!["", "Phase", "Criterion", "Actual"]);
        for c in &view.criteria {
            let mark = if c.passed {
                Cell::new("pass")
            } else {
                Cell::new("FAIL")
            };
            let mark = if color {
                mark.fg(if c.passed { Color::Green } else { Color::Red })
            } else {
                mark
            };
            t.add_row(vec![
                mark,
                Cell::new(sanitize(&c.phase)),
                Cell::new(sanitize(&format!("{} {}", c.metric, c.criterion))),
                Cell::new(&c.actual),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    let mut t = new_table(color);
    t.set_header(vec![
        "Phase", "Metric", "Baseline", "Current", "Change", "Severity", "Evidence",
    ]);
    for r in view.changed.iter().chain(&view.unchanged) {
        t.add_row(vec![
            Cell::new(sanitize(&r.phase)),
            Cell::new(sanitize(&r.metric)),
            Cell::new(&r.baseline),
            Cell::new(&r.current),
            Cell::new(&r.change),
            severity_cell(r.severity, color),
            Cell::new(&r.note),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
    if !view.slos.is_empty() {
        let mut t = new_table(color);
        t.set_header(vec!["Budget", "Metric", "Objective", "Left", "Burn"]);
        for r in &view.slos {
            let status = Cell::new(r.status.as_str());
            let status = match (color, r.status) {
                (true, BudgetStatus::Critical) => status.fg(Color::Red),
                (true, BudgetStatus::Warning) => status.fg(Color::Yellow),
                (true, BudgetStatus::Ok) => status.fg(Color::Green),
                _ => status,
            };
            t.add_row(vec![
                status,
                Cell::new(sanitize(&r.metric)),
                Cell::new(sanitize(&r.objective)),
                Cell::new(&r.budget_left),
                Cell::new(&r.burn_rate),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for r in &view.steps {
        out.push_str(&sanitize(&format!(
            "  step: {} {} {} ({}) at {}\n",
            r.phase, r.metric, r.change, r.levels, r.at
        )));
    }
    for r in &view.recommendations {
        out.push_str(&format!("  hint: {}\n", sanitize(r)));
    }
    out
}

/// Renders a run's own results (no baseline): one row per metric.
pub fn results(run: &Run, color: bool) -> String {
    let mut t = new_table(color);
    t.set_header(vec!["Phase", "Metric", "Value", "Samples", "Outliers"]);
    for p in &run.phases {
        for m in &p.metrics {
            t.add_row(vec![
                Cell::new(sanitize(&p.name)),
                Cell::new(sanitize(&m.name)),
                Cell::new(human(m.value, &m.unit)),
                Cell::new(if m.samples.is_empty() {
                    String::new()
                } else {
                    m.samples.len().to_string()
                }),
                Cell::new(
                    m.outliers
                        .filter(|&o| o > 0)
                        .map(|o| o.to_string())
                        .unwrap_or_default(),
                ),
            ]);
        }
    }
    let mut out = t.to_string();
    out.push('\n');
    for p in &run.phases {
        for e in &p.errors {
            out.push_str(&format!(
                "error in phase {}: {}\n",
                sanitize(&p.name),
                sanitize(&e.message)
            ));
            if let Some(tail) = &e.stderr_tail {
                for line in tail.lines() {
                    out.push_str(&format!("  | {}\n", sanitize(line)));
                }
            }
        }
    }
    out
}
