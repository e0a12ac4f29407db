//! Reports: turns a `Comparison` into one view model, and the view into
//! terminal, Markdown, JSON and HTML text, and saved history into the
//! dashboard's page (pure: renderers return strings).

pub mod charts;
pub mod dashboard;
pub mod html;
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
    /// `+12.3 % ▲` (worse) or `−4.0 % ▼` (better), or `–`; an arrow only
    /// where the severity stands behind it (a regression or improvement).
    pub change: String,
    /// The change with its interval as one phrase, `+34 % (+28 … +41 %)`:
    /// how the value moved, `+` when it grew.
    pub change_phrase: String,
    pub severity: Severity,
    /// For an `insufficient` change past critical: the severity it counts
    /// as in the verdict.
    pub counts_as: Option<Severity>,
    /// Extra evidence: p-value, sample counts, outliers.
    pub note: String,
    /// What the severity was judged by (`hodges-lehmann`, `history band`).
    pub method: Option<String>,
    /// Recent history of the value, oldest first, the current value last;
    /// empty without history.
    pub trend: Vec<f64>,
    /// Each trend value's run: its short commit (`abc1234`), else its date;
    /// `current` for the current value.
    pub trend_labels: Vec<String>,
    /// The metric's unit, for charts of the trend.
    pub unit: crate::metrics::Unit,
}

/// What every renderer shows, in the order it shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub suite: String,
    pub verdict: Verdict,
    /// The one sentence that answers "did performance change?":
    /// `1 regression: api/latency.p95 +34 % (critical)`, `No performance change`.
    pub headline: String,
    /// The metrics by severity, for the line that counts what is folded.
    pub counts: Counts,
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
    /// Provenance in one line for a reader: how the baseline was chosen, the
    /// commit range, and the smallest change the verdict could see.
    pub basis: String,
    /// Advice that decides something: metrics the data could not judge
    /// (`insufficient data to judge p/m: …`).
    pub undecided: Vec<String>,
}

/// How many metrics landed in each severity.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub regressions: usize,
    pub improved: usize,
    pub noise: usize,
    pub unchanged: usize,
    pub insufficient: usize,
    pub new: usize,
    pub missing: usize,
}

impl Counts {
    /// `6 within noise · 8 unchanged · 1 new`: the metrics not shown above
    /// the fold, those with none left out.
    pub fn folded(&self) -> String {
        let parts: Vec<String> = [
            (self.noise, "within noise"),
            (self.unchanged, "unchanged"),
            (self.insufficient, "not judged"),
            (self.new, "new"),
            (self.missing, "missing"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        parts.join(" · ")
    }
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
    /// Passed, but within 10 % of its limit.
    pub near: bool,
}

impl CriterionRow {
    /// Whether a reader must see it: failed, or close to failing.
    pub fn worth_showing(&self) -> bool {
        !self.passed || self.near
    }
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
                    let label = |run: &Run| {
                        run.git.as_ref().map_or_else(
                            || run.started_at.format("%m-%d").to_string(),
                            |g| crate::results::short_sha(&g.sha, 7).to_owned(),
                        )
                    };
                    (r.trend, r.trend_labels) = history
                        .iter()
                        .filter_map(|run| {
                            let v = run.phase(&m.phase)?.metric(&m.metric)?.value;
                            Some((v, label(run)))
                        })
                        .chain(m.current.map(|v| (v, "current".to_owned())))
                        .filter(|(v, _)| v.is_finite())
                        .unzip();
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
                near: o.passed && near_limit(o),
            })
            .collect();
        View {
            suite: c.suite.clone(),
            verdict: c.verdict,
            headline: headline(c),
            counts: counts(c),
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
            basis: basis(c),
            undecided: c.undecided.clone(),
        }
    }

    /// The rows a reader must see: regressions (and changes counted as
    /// one), then improvements.
    pub fn decisive(&self) -> impl Iterator<Item = &Row> {
        self.changed.iter().filter(|r| r.is_decisive())
    }

    /// Changed rows below the fold: noise, new, missing, not judged.
    pub fn undecisive(&self) -> impl Iterator<Item = &Row> {
        self.changed.iter().filter(|r| !r.is_decisive())
    }
}

impl Row {
    /// A regression, an improvement, or a change that counts as a regression.
    pub fn is_decisive(&self) -> bool {
        self.severity.is_regression()
            || self.severity == Severity::Improved
            || self.counts_as.is_some()
    }
}

/// Whether a passed criterion's value is within 10 % of its limit.
fn near_limit(o: &crate::compare::CriterionOutcome) -> bool {
    let (Some(actual), Ok(c)) = (o.actual, crate::config::Criterion::parse(&o.criterion)) else {
        return false;
    };
    let limit = c.limit.value;
    limit != 0.0 && ((actual - limit) / limit).abs() <= 0.10
}

fn counts(c: &Comparison) -> Counts {
    let mut n = Counts::default();
    for m in &c.comparisons {
        match m.severity {
            _ if m.counts_as.is_some() => n.regressions += 1,
            s if s.is_regression() => n.regressions += 1,
            Severity::Improved => n.improved += 1,
            Severity::Noise => n.noise += 1,
            Severity::Unchanged => n.unchanged += 1,
            Severity::Insufficient => n.insufficient += 1,
            Severity::New => n.new += 1,
            Severity::Missing => n.missing += 1,
            _ => {}
        }
    }
    n
}

/// `Paired on this runner (24 rounds) · base 1a2b3c4 → head 36afaef ·
/// changes under ±3.1 % are invisible here`.
fn basis(c: &Comparison) -> String {
    use crate::compare::Mode;
    let short = |s: Option<&str>| {
        s.map_or("uncommitted", |s| crate::results::short_sha(s, 7))
            .to_owned()
    };
    let p = c.provenance.as_ref();
    let how = match p {
        Some(p) if p.mode == Mode::Paired => match p.rounds {
            Some(r) => format!("Paired on this runner ({r} interleaved rounds)"),
            None => "Paired on this runner".to_owned(),
        },
        _ if c.baseline.is_none() => "No baseline yet".to_owned(),
        _ => {
            let runs = p.and_then(|p| p.history_runs).unwrap_or_else(|| {
                c.comparisons
                    .iter()
                    .map(|m| m.history_runs)
                    .max()
                    .unwrap_or(0)
            });
            let thin = if p.is_some_and(|p| p.thin_history) {
                ", thin"
            } else {
                ""
            };
            match runs {
                0 | 1 => "Baseline: a single run".to_owned(),
                n => format!("Baseline: history of {n} runs{thin}"),
            }
        }
    };
    let base = p
        .and_then(|p| p.base_sha.as_deref())
        .or_else(|| c.baseline.as_ref().and_then(|b| b.sha.as_deref()));
    let head = p
        .and_then(|p| p.head_sha.as_deref())
        .or(c.current.sha.as_deref());
    let mut parts = vec![how];
    if c.baseline.is_some() || base.is_some() {
        let base_ref = c
            .baseline
            .as_ref()
            .and_then(|b| b.ref_name.as_deref())
            .map(|r| format!(" ({})", r.strip_prefix("refs/heads/").unwrap_or(r)))
            .unwrap_or_default();
        parts.push(format!("{}{base_ref} → {}", short(base), short(head)));
    } else {
        parts.push(format!("at {}", short(head)));
    }
    if let Some(floor) = noise_floor(c) {
        parts.push(floor);
    }
    if let Some(f) = p.and_then(|p| p.fallback.as_deref()) {
        parts.push(f.to_owned());
    }
    parts.join(" · ")
}

/// `changes under ±4.2 % are invisible here (±74 % on sort/sys)`: the
/// typical (median) relative half-width of the intervals and bands the
/// metrics were graded by, and the widest when it is much wider.
fn noise_floor(c: &Comparison) -> Option<String> {
    let mut widths: Vec<(f64, &MetricComparison)> = c
        .comparisons
        .iter()
        .filter_map(|m| {
            let w = crate::compare::Provenance::noise_floor_of(std::slice::from_ref(m))?;
            Some((w, m))
        })
        .collect();
    if widths.is_empty() {
        return None;
    }
    widths.sort_by(|a, b| a.0.total_cmp(&b.0));
    let median = widths[(widths.len() - 1) / 2].0;
    let (widest, m) = widths[widths.len() - 1];
    let mut text = if percent(median) == "0 %" {
        "changes down to ±0.1 % are visible here".to_owned()
    } else {
        format!("changes under ±{} are invisible here", percent(median))
    };
    if widest > median * 2.0 && percent(widest) != percent(median) {
        text.push_str(&format!(
            " (±{} on {}/{})",
            percent(widest),
            m.phase,
            m.metric
        ));
    }
    Some(text)
}

/// A fraction as a signed percentage, whole above 10 %: `+34 %`, `−4.2 %`.
pub fn signed_percent(x: f64) -> String {
    signed_percent_to(x, None)
}

/// As `signed_percent`, with `decimals` fixed when given.
fn signed_percent_to(x: f64, decimals: Option<usize>) -> String {
    if !x.is_finite() {
        return if x > 0.0 {
            "+∞ %".into()
        } else {
            "−∞ %".into()
        };
    }
    let magnitude = match decimals {
        Some(d) => format!("{:.d$} %", (x * 100.0).abs()),
        None => percent(x),
    };
    let sign = if x > 0.0 && magnitude != "0 %" {
        "+"
    } else if x < 0.0 && magnitude != "0 %" {
        "−"
    } else {
        ""
    };
    format!("{sign}{magnitude}")
}

/// A fraction's magnitude as a percentage: `34 %`, `4.2 %`.
fn percent(x: f64) -> String {
    let p = (x * 100.0).abs();
    if p >= 9.95 {
        format!("{p:.0} %")
    } else if p >= 0.05 {
        format!("{p:.1} %")
    } else {
        "0 %".into()
    }
}

/// How the value itself moved, as a signed percentage.
fn percent_moved(m: &MetricComparison) -> Option<String> {
    let (b, c) = (m.baseline?, m.current?);
    (b != 0.0).then(|| signed_percent((c - b) / b.abs()))
}

/// The change with its confidence interval, both as the value moved:
/// `+34 % (+28 … +41 %)`.
pub fn change_phrase(m: &MetricComparison) -> String {
    let (Some(text), Some(b), Some(c)) = (percent_moved(m), m.baseline, m.current) else {
        return match (m.baseline, m.current) {
            (None, Some(_)) => "new".into(),
            (Some(_), None) => "missing".into(),
            (Some(b), Some(c)) if b == c => "0 %".into(),
            _ => "–".into(),
        };
    };
    match m.interval.filter(|i| i.confidence.is_some()) {
        Some(i) => {
            // The interval is of the change in the worse direction; turn it
            // into the value's own movement.
            let (lo, hi) = match m.direction {
                crate::results::Direction::Lower => (i.lower, i.upper),
                crate::results::Direction::Higher => (-i.upper, -i.lower),
            };
            let moved = (c - b) / b.abs();
            // A narrow interval would round to `+60 … +60 %`: one decimal then.
            let decimals = (signed_percent(lo) == signed_percent(hi)).then_some(1);
            let (lo, hi, moved) = (
                signed_percent_to(lo, decimals),
                signed_percent_to(hi, decimals),
                signed_percent_to(moved, decimals),
            );
            format!("{moved} ({} … {hi})", lo.trim_end_matches(" %"))
        }
        None => text,
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
        method: m.method.clone(),
        phase: m.phase.clone(),
        metric: m.metric.clone(),
        baseline: fmt(m.baseline),
        current: fmt(m.current),
        change: if m.severity.is_regression()
            || m.severity == Severity::Improved
            || m.counts_as.is_some()
        {
            change_text(m)
        } else {
            change_text(m).trim_end_matches([' ', '▲', '▼']).to_owned()
        },
        change_phrase: change_phrase(m),
        severity: m.severity,
        counts_as: m.counts_as,
        note: note.join(", "),
        trend: Vec::new(),
        trend_labels: Vec::new(),
        unit: m.unit.clone(),
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

/// Named items in the headline before the rest are counted.
const HEADLINE_NAMES: usize = 2;

fn headline(c: &Comparison) -> String {
    let mut regressions: Vec<&MetricComparison> = c
        .comparisons
        .iter()
        .filter(|m| m.severity.is_regression() || m.counts_as.is_some())
        .collect();
    regressions.sort_by_key(|m| std::cmp::Reverse(m.effective_severity()));
    let improvements: Vec<&MetricComparison> = c
        .comparisons
        .iter()
        .filter(|m| m.severity == Severity::Improved)
        .collect();
    let failed: Vec<_> = c.failed_criteria().collect();
    let change = |m: &MetricComparison| {
        format!(
            "{}/{} {}",
            m.phase,
            m.metric,
            percent_moved(m).unwrap_or_else(|| "–".into())
        )
    };
    let mut parts = Vec::new();
    if !c.errors.is_empty() {
        let names: Vec<String> = c.errors.iter().map(|e| e.phase.clone()).collect();
        parts.push(format!(
            "{} phase{} failed: {}",
            names.len(),
            plural(names.len()),
            named(&names)
        ));
    }
    if !regressions.is_empty() {
        let names: Vec<String> = regressions
            .iter()
            .map(|m| match m.counts_as {
                Some(s) if !m.severity.is_regression() => {
                    format!("{} (counts as {s}, too little data)", change(m))
                }
                _ => format!("{} ({})", change(m), m.severity),
            })
            .collect();
        parts.push(format!(
            "{} regression{}: {}",
            names.len(),
            plural(names.len()),
            named(&names)
        ));
    }
    if !failed.is_empty() {
        let names: Vec<String> = failed
            .iter()
            .map(|o| {
                let actual = match (&o.reason, o.actual) {
                    (Some(_), _) | (None, None) => "not measured".to_owned(),
                    (None, Some(v)) => human(v, &o.unit),
                };
                format!("{} {} {} ({actual})", o.phase, o.metric, o.criterion)
            })
            .collect();
        parts.push(format!(
            "{} failed criteri{}: {}",
            names.len(),
            if names.len() == 1 { "on" } else { "a" },
            named(&names)
        ));
    }
    if !improvements.is_empty() {
        if parts.is_empty() {
            let names: Vec<String> = improvements.iter().map(|m| change(m)).collect();
            parts.push(format!(
                "{} improvement{}: {}",
                names.len(),
                plural(names.len()),
                named(&names)
            ));
        } else {
            parts.push(format!(
                "{} improvement{}",
                improvements.len(),
                plural(improvements.len())
            ));
        }
    }
    if parts.is_empty() {
        // Every insufficient metric is undecided, and so is noise that
        // would fail the check were it real.
        let undecided = c.undecided.len().max(
            c.comparisons
                .iter()
                .filter(|m| m.severity == Severity::Insufficient)
                .count(),
        );
        parts.push(if c.baseline.is_none() {
            format!(
                "No baseline yet: {} metric{} recorded",
                c.comparisons.len(),
                plural(c.comparisons.len())
            )
        } else if undecided > 0 {
            let n = undecided;
            format!(
                "No performance change seen; {n} metric{} could not be judged",
                plural(n)
            )
        } else {
            "No performance change".to_owned()
        });
    }
    parts.join("; ")
}

/// The first few names, the rest counted: `a, b and 3 more`.
fn named(names: &[String]) -> String {
    let shown = names[..names.len().min(HEADLINE_NAMES)].join(", ");
    match names.len().saturating_sub(HEADLINE_NAMES) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The comparison as pretty JSON (the `compare --format json` contract).
pub fn json(c: &Comparison) -> String {
    serde_json::to_string_pretty(c).expect("comparison serializes") + "\n"
}

#[cfg(test)]
mod comment_tests;
#[cfg(test)]
mod decision_tests;
#[cfg(test)]
mod html_tests;
#[cfg(test)]
mod tests;
