//! Terminal: turns a report view, or a run's results, into comfy-table text,
//! coloured only when asked to.

use super::View;
use crate::compare::slo::BudgetStatus;
use crate::compare::{Severity, Verdict};
use crate::metrics::units::human;
use crate::results::Run;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};

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
        view.suite, view.headline
    ));
    match &view.baseline {
        Some(b) => out.push_str(&format!("  baseline {b}\n  current  {}\n", view.current)),
        None => out.push_str(&format!("  no baseline yet; current {}\n", view.current)),
    }
    for note in &view.notes {
        out.push_str(&format!("  note: {note}\n"));
    }
    for (phase, message, tail) in &view.errors {
        out.push_str(&format!("  error in phase {phase}: {message}\n"));
        if let Some(tail) = tail {
            for line in tail.lines() {
                out.push_str(&format!("    | {line}\n"));
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
                Cell::new(&c.phase),
                Cell::new(format!("{} {}", c.metric, c.criterion)),
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
            Cell::new(&r.phase),
            Cell::new(&r.metric),
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
                Cell::new(&r.metric),
                Cell::new(&r.objective),
                Cell::new(&r.budget_left),
                Cell::new(&r.burn_rate),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for r in &view.steps {
        out.push_str(&format!(
            "  step: {} {} {} ({}) at {}\n",
            r.phase, r.metric, r.change, r.levels, r.at
        ));
    }
    for r in &view.recommendations {
        out.push_str(&format!("  hint: {r}\n"));
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
                Cell::new(&p.name),
                Cell::new(&m.name),
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
            out.push_str(&format!("error in phase {}: {}\n", p.name, e.message));
            if let Some(tail) = &e.stderr_tail {
                for line in tail.lines() {
                    out.push_str(&format!("  | {line}\n"));
                }
            }
        }
    }
    out
}
