//! Reports: turns a `Comparison` into one view model, and the view into
//! terminal, Markdown and JSON text (pure: renderers return strings).

pub mod markdown;
pub mod terminal;

use crate::compare::{Comparison, MetricComparison, Severity, Verdict};
use crate::metrics::units::human;
use crate::results::Run;

/// One row of a comparison table, in display text.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub phase: String,
    pub metric: String,
    pub baseline: String,
    pub current: String,
    /// `+12.3 % ▲` (worse) or `−4.0 % ▼` (better), or `–`.
    pub change: String,
    pub severity: Severity,
    /// Extra evidence: p-value, sample counts, outliers.
    pub note: String,
    /// Recent history of the value, oldest first, the current value last;
    /// empty without history.
    pub trend: Vec<f64>,
}

/// What every renderer shows, in the order it shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub suite: String,
    pub verdict: Verdict,
    /// The one-line verdict.
    pub headline: String,
    /// Regressions, then criteria failures' metrics, then the rest that moved.
    pub changed: Vec<Row>,
    /// Unchanged metrics (folded in Markdown).
    pub unchanged: Vec<Row>,
    pub criteria: Vec<CriterionRow>,
    pub notes: Vec<String>,
    pub errors: Vec<(String, String, Option<String>)>,
    /// `abc1234 (refs/heads/main)` of the baseline, or none.
    pub baseline: Option<String>,
    pub current: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CriterionRow {
    pub phase: String,
    pub metric: String,
    pub criterion: String,
    pub actual: String,
    pub passed: bool,
}

impl View {
    pub fn of(c: &Comparison) -> View {
        View::with_history(c, &[])
    }

    /// The view, with each metric's values in `history` (earlier runs of the
    /// suite, oldest first) as its trend.
    pub fn with_history(c: &Comparison, history: &[Run]) -> View {
        let mut rows: Vec<(Severity, Row)> = c
            .comparisons
            .iter()
            .map(|m| {
                let mut r = row(m);
                if !history.is_empty() {
                    r.trend = history
                        .iter()
                        .filter_map(|run| run.phase(&m.phase)?.metric(&m.metric).map(|x| x.value))
                        .chain(m.current)
                        .filter(|v| v.is_finite())
                        .collect();
                }
                (m.severity, r)
            })
            .collect();
        // Worst first; stable, so phase and metric order holds within a severity.
        rows.sort_by_key(|(s, _)| std::cmp::Reverse(rank(*s)));
        let (unchanged, changed): (Vec<_>, Vec<_>) = rows
            .into_iter()
            .partition(|(s, _)| *s == Severity::Unchanged);
        let criteria: Vec<CriterionRow> = c
            .criteria
            .iter()
            .map(|o| CriterionRow {
                phase: o.phase.clone(),
                metric: o.metric.clone(),
                criterion: o.criterion.clone(),
                actual: match (&o.actual, &o.reason) {
                    (_, Some(r)) => r.clone(),
                    (Some(v), None) => human(*v, &o.unit),
                    (None, None) => "–".into(),
                },
                passed: o.passed,
            })
            .collect();
        View {
            suite: c.suite.clone(),
            verdict: c.verdict,
            headline: headline(c),
            changed: changed.into_iter().map(|(_, r)| r).collect(),
            unchanged: unchanged.into_iter().map(|(_, r)| r).collect(),
            criteria,
            notes: c.notes.clone(),
            errors: c
                .errors
                .iter()
                .map(|e| (e.phase.clone(), e.message.clone(), e.stderr_tail.clone()))
                .collect(),
            baseline: c.baseline.as_ref().map(describe_run),
            current: describe_run(&c.current),
        }
    }
}

fn describe_run(r: &crate::compare::RunRef) -> String {
    let sha = r
        .sha
        .as_deref()
        .map(|s| &s[..s.len().min(7)])
        .unwrap_or("uncommitted");
    match &r.ref_name {
        Some(name) => format!(
            "{sha} ({name}, {})",
            r.started_at.format("%Y-%m-%d %H:%M UTC")
        ),
        None => format!("{sha} ({})", r.started_at.format("%Y-%m-%d %H:%M UTC")),
    }
}

/// Display order: regressions (worst first), then missing, new, noise, improved, unchanged.
fn rank(s: Severity) -> u8 {
    match s {
        Severity::Critical => 9,
        Severity::Major => 8,
        Severity::Minor => 7,
        Severity::Missing => 6,
        Severity::New => 5,
        Severity::Noise => 4,
        Severity::Improved => 3,
        Severity::Unchanged => 0,
    }
}

fn row(m: &MetricComparison) -> Row {
    let fmt = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| human(v, &m.unit));
    let mut note = Vec::new();
    if let Some(p) = m.p_value {
        note.push(format!(
            "p={}",
            if p < 0.001 {
                "<0.001".to_owned()
            } else {
                format!("{p:.3}")
            }
        ));
    }
    if m.baseline_samples > 0 || m.current_samples > 0 {
        note.push(format!("n={}/{}", m.baseline_samples, m.current_samples));
    }
    if let Some(o) = m.outliers {
        note.push(format!("{o} outlier{}", if o == 1 { "" } else { "s" }));
    }
    Row {
        phase: m.phase.clone(),
        metric: m.metric.clone(),
        baseline: fmt(m.baseline),
        current: fmt(m.current),
        change: change_text(m),
        severity: m.severity,
        note: note.join(", "),
        trend: Vec::new(),
    }
}

/// Signed percentage of the value's own movement, with an arrow for worse (▲)
/// or better (▼).
pub fn change_text(m: &MetricComparison) -> String {
    let (Some(b), Some(c)) = (m.baseline, m.current) else {
        return "–".into();
    };
    let Some(worse) = m.change else {
        return if b == c { "0 %".into() } else { "∞".into() };
    };
    // Show how the value itself moved (+ when it grew), the arrow says which
    // way is worse, so throughput going up reads "+20 % ▼".
    let moved = if b == 0.0 {
        0.0
    } else {
        (c - b) / b.abs() * 100.0
    };
    let arrow = if worse > 0.0 {
        " ▲"
    } else if worse < 0.0 {
        " ▼"
    } else {
        ""
    };
    let sign = if moved > 0.0 {
        "+"
    } else if moved < 0.0 {
        "−"
    } else {
        ""
    };
    format!("{sign}{:.1} %{arrow}", moved.abs())
}

fn headline(c: &Comparison) -> String {
    let regressions: Vec<&MetricComparison> = c.regressions().collect();
    let failed = c.failed_criteria().count();
    let unchanged = c
        .comparisons
        .iter()
        .filter(|m| m.severity == Severity::Unchanged)
        .count();
    let mut parts = Vec::new();
    if regressions.is_empty() {
        parts.push("no regressions".to_owned());
    } else {
        let count = |s: Severity| regressions.iter().filter(|m| m.severity == s).count();
        let mut r = Vec::new();
        for s in [Severity::Critical, Severity::Major, Severity::Minor] {
            let n = count(s);
            if n > 0 {
                r.push(format!("{n} {s}"));
            }
        }
        parts.push(format!(
            "{} regression{} ({})",
            regressions.len(),
            if regressions.len() == 1 { "" } else { "s" },
            r.join(", ")
        ));
    }
    if !c.criteria.is_empty() {
        parts.push(format!(
            "{}/{} criteria met",
            c.criteria.len() - failed,
            c.criteria.len()
        ));
    }
    if !c.errors.is_empty() {
        parts.push(format!(
            "{} phase error{}",
            c.errors.len(),
            if c.errors.len() == 1 { "" } else { "s" }
        ));
    }
    if c.baseline.is_none() {
        parts.push("no baseline yet".into());
    } else {
        parts.push(format!("{unchanged} unchanged"));
    }
    let verdict = match c.verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
    };
    format!("{verdict}: {}", parts.join(" · "))
}

/// The comparison as pretty JSON (the `compare --format json` contract).
pub fn json(c: &Comparison) -> String {
    serde_json::to_string_pretty(c).expect("comparison serializes") + "\n"
}

#[cfg(test)]
mod tests;
