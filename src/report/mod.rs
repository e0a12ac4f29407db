//! Reports: turns a `Comparison` into one view model, and the view into
//! terminal, Markdown and JSON text (pure: renderers return strings).

pub mod markdown;
pub mod terminal;

use crate::compare::slo::BudgetStatus;
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
    /// Error budgets, one per `[[slo]]`.
    pub slos: Vec<SloRow>,
    /// Steps found in the metrics' history.
    pub steps: Vec<StepRow>,
    /// Short advice.
    pub recommendations: Vec<String>,
    /// How the verdict was measured (`paired: base abc1234 vs head
    /// def5678, 24 interleaved rounds on this runner`), when known.
    pub provenance: Option<String>,
}

/// One error budget, in display text.
#[derive(Debug, Clone, PartialEq)]
pub struct SloRow {
    pub metric: String,
    /// `error_rate <= 1% over 30d`.
    pub objective: String,
    /// `72.0 %`, or `–` without data.
    pub budget_left: String,
    /// `1.4×`.
    pub burn_rate: String,
    pub status: BudgetStatus,
}

/// One step in a metric's history, in display text.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub phase: String,
    pub metric: String,
    /// `+40.0 %` (`after / before − 1`).
    pub change: String,
    /// `1.2 ms → 1.7 ms`.
    pub levels: String,
    /// `abc1234 (2026-11-02)`: the first run at the new level.
    pub at: String,
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
            slos: c
                .slos
                .iter()
                .map(|s| SloRow {
                    metric: s.metric.clone(),
                    objective: format!("{} over {}", s.objective, s.window),
                    budget_left: if s.status == BudgetStatus::NoData {
                        "–".into()
                    } else {
                        format!("{:.1} %", s.budget_left * 100.0)
                    },
                    burn_rate: if s.status == BudgetStatus::NoData {
                        "–".into()
                    } else {
                        format!("{:.1}×", s.burn_rate)
                    },
                    status: s.status,
                })
                .collect(),
            steps: c
                .change_points
                .iter()
                .map(|st| {
                    let unit = c
                        .comparisons
                        .iter()
                        .find(|m| m.phase == st.phase && m.metric == st.metric)
                        .map_or(crate::metrics::Unit::Count, |m| m.unit.clone());
                    StepRow {
                        phase: st.phase.clone(),
                        metric: st.metric.clone(),
                        change: st
                            .change
                            .map_or("–".into(), |ch| format!("{:+.1} %", ch * 100.0)),
                        levels: format!("{} → {}", human(st.before, &unit), human(st.after, &unit)),
                        at: format!(
                            "{} ({})",
                            st.sha
                                .as_deref()
                                .map_or("uncommitted", |s| crate::results::short_sha(s, 7)),
                            st.started_at.format("%Y-%m-%d")
                        ),
                    }
                })
                .collect(),
            recommendations: c.recommendations.clone(),
            provenance: c
                .provenance
                .as_ref()
                .map(crate::compare::Provenance::describe),
        }
    }
}

impl BudgetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetStatus::Ok => "ok",
            BudgetStatus::Warning => "warning",
            BudgetStatus::Critical => "critical",
            BudgetStatus::NoData => "no data",
        }
    }
}

fn describe_run(r: &crate::compare::RunRef) -> String {
    let sha = r
        .sha
        .as_deref()
        .map(|s| crate::results::short_sha(s, 7))
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
        Severity::Critical => 10,
        Severity::Major => 9,
        Severity::Minor => 8,
        Severity::Insufficient => 7,
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
    if let Some(i) = m.interval {
        let pct = |v: f64| {
            if v.is_finite() {
                format!("{:+.1} %", v * 100.0)
            } else if v > 0.0 {
                "+∞".to_owned()
            } else {
                "−∞".to_owned()
            }
        };
        match i.confidence {
            Some(level) => note.push(format!(
                "{:.0} % CI {} … {} worse",
                level * 100.0,
                pct(i.lower),
                pct(i.upper)
            )),
            None => note.push(format!("{} … {} beyond band", pct(i.lower), pct(i.upper))),
        }
    }
    if m.baseline_samples > 0 || m.current_samples > 0 {
        note.push(format!("n={}/{}", m.baseline_samples, m.current_samples));
    }
    if let (Some(b), Some(c)) = (m.baseline_counts, m.current_counts) {
        note.push(format!("{}/{} → {}/{}", b.count, b.total, c.count, c.total));
    }
    if let Some(h) = m.history {
        note.push(format!(
            "band {}–{} ({} runs)",
            human(h.lower, &m.unit),
            human(h.upper, &m.unit),
            h.runs
        ));
    } else if m.severity == Severity::Insufficient {
        note.push(format!("{} earlier runs", m.history_runs));
    }
    if m.counts_as.is_some() {
        note.push("counts as critical".into());
    }
    if let Some(c) = m.confirmation {
        note.push(if c.held {
            format!("confirmed ×{}", c.reruns)
        } else {
            format!("not confirmed: {} on rerun", c.rerun_severity)
        });
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
    let counted = c
        .comparisons
        .iter()
        .filter(|m| m.counts_as.is_some())
        .count();
    if counted > 0 {
        parts.push(format!(
            "{counted} change{} too large to pass without evidence",
            if counted == 1 { "" } else { "s" }
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
mod decision_tests;
#[cfg(test)]
mod tests;
