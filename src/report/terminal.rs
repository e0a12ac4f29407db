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

/// User text made safe for one line of a terminal (or of a CI log, where a
/// line starting `::` is a workflow command): no control characters at all,
/// line breaks included.
pub fn sanitize_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// Renders a comparison in the comment's order: verdict, provenance,
/// regressions and improvements, criteria worth a look, what could not be
/// judged, the count of the rest; then the rest and the advice.
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
        sanitize_line(&view.suite),
        sanitize_line(&view.headline)
    ));
    out.push_str(&format!("  {}\n", sanitize_line(&view.basis)));
    match &view.baseline {
        Some(b) => out.push_str(&format!(
            "  baseline {}\n  current  {}\n",
            sanitize_line(b),
            sanitize_line(&view.current)
        )),
        None => out.push_str(&format!(
            "  no baseline yet; current {}\n",
            sanitize_line(&view.current)
        )),
    }
    if let Some(p) = &view.provenance {
        out.push_str(&format!("  measured {}\n", sanitize_line(p)));
    }
    for note in &view.notes {
        out.push_str(&format!("  note: {}\n", sanitize_line(note)));
    }
    for (phase, message, tail) in &view.errors {
        out.push_str(&format!(
            "  error in phase {}: {}\n",
            sanitize_line(phase),
            sanitize_line(message)
        ));
        if let Some(tail) = tail {
            for line in tail.lines() {
                out.push_str(&format!("    | {}\n", sanitize_line(line)));
            }
        }
    }
    let decisive: Vec<_> = view.decisive().collect();
    if !decisive.is_empty() {
        let mut t = new_table(color);
        t.set_header(vec![
            "",
            "Metric",
            "Change (interval)",
            "Baseline → current",
            "Evidence",
        ]);
        for r in &decisive {
            t.add_row(vec![
                severity_cell(r.counts_as.unwrap_or(r.severity), color),
                Cell::new(sanitize_line(&format!("{}/{}", r.phase, r.metric))),
                Cell::new(&r.change_phrase),
                Cell::new(sanitize_line(&format!("{} → {}", r.baseline, r.current))),
                Cell::new(sanitize_line(&match &r.method {
                    Some(m) => format!("{}, {m}", r.note),
                    None => r.note.clone(),
                })),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    criteria(&mut out, view, color, true);
    for u in &view.undecided {
        out.push_str(&format!("  {}\n", sanitize_line(u)));
    }
    let folded = view.counts.folded();
    let met = view.criteria.iter().filter(|c| !c.worth_showing()).count();
    if !folded.is_empty() || met > 0 {
        let mut parts = vec![folded];
        if met > 0 {
            parts.push(format!(
                "{met} criteri{} met",
                if met == 1 { "on" } else { "a" }
            ));
        }
        parts.retain(|p| !p.is_empty());
        out.push_str(&format!("  {}\n", parts.join(" · ")));
    }
    let others: Vec<_> = view.undecisive().chain(&view.unchanged).collect();
    if !others.is_empty() {
        let mut t = new_table(color);
        t.set_header(vec![
            "Phase", "Metric", "Baseline", "Current", "Change", "Severity", "Evidence",
        ]);
        for r in others {
            t.add_row(vec![
                Cell::new(sanitize_line(&r.phase)),
                Cell::new(sanitize_line(&r.metric)),
                Cell::new(sanitize_line(&r.baseline)),
                Cell::new(sanitize_line(&r.current)),
                Cell::new(&r.change),
                severity_cell(r.severity, color),
                Cell::new(sanitize_line(&r.note)),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    criteria(&mut out, view, color, false);
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
                Cell::new(sanitize_line(&r.metric)),
                Cell::new(sanitize_line(&r.objective)),
                Cell::new(&r.budget_left),
                Cell::new(&r.burn_rate),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    for r in &view.steps {
        let step = format!(
            "step: {} {} {} ({}) at {}",
            r.phase, r.metric, r.change, r.levels, r.at
        );
        out.push_str(&format!("  {}\n", sanitize_line(&step)));
    }
    for r in &view.recommendations {
        out.push_str(&format!("  hint: {}\n", sanitize_line(r)));
    }
    out
}

/// The criteria worth a look (failed or near their limit) when `worth`,
/// else the rest.
fn criteria(out: &mut String, view: &View, color: bool, worth: bool) {
    let rows: Vec<_> = view
        .criteria
        .iter()
        .filter(|c| c.worth_showing() == worth)
        .collect();
    if rows.is_empty() {
        return;
    }
    let mut t = new_table(color);
    t.set_header(vec!["", "Phase", "Criterion", "Actual"]);
    for c in rows {
        let mark = match (c.passed, c.near) {
            (false, _) => Cell::new("FAIL"),
            (true, true) => Cell::new("near"),
            (true, false) => Cell::new("pass"),
        };
        let mark = if color {
            mark.fg(match (c.passed, c.near) {
                (false, _) => Color::Red,
                (true, true) => Color::Yellow,
                (true, false) => Color::Green,
            })
        } else {
            mark
        };
        t.add_row(vec![
            mark,
            Cell::new(sanitize_line(&c.phase)),
            Cell::new(sanitize_line(&format!("{} {}", c.metric, c.criterion))),
            Cell::new(sanitize_line(&c.actual)),
        ]);
    }
    out.push_str(&t.to_string());
    out.push('\n');
}

/// Renders a run's own results (no baseline): one row per metric.
pub fn results(run: &Run, color: bool) -> String {
    let mut t = new_table(color);
    t.set_header(vec!["Phase", "Metric", "Value", "Samples", "Outliers"]);
    for p in &run.phases {
        for m in &p.metrics {
            t.add_row(vec![
                Cell::new(sanitize_line(&p.name)),
                Cell::new(sanitize_line(&m.name)),
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
                sanitize_line(&p.name),
                sanitize_line(&e.message)
            ));
            if let Some(tail) = &e.stderr_tail {
                for line in tail.lines() {
                    out.push_str(&format!("  | {}\n", sanitize_line(line)));
                }
            }
        }
    }
    out
}
