//! Comparison: turns a baseline run and a current run into per-metric
//! changes, severities, criterion outcomes and one verdict (pure).

pub mod advice;
pub mod decide;
pub mod paired;
pub mod slo;
pub mod steps;
mod units;

pub use decide::{ChangeInterval, EventCounts, HistoryBand};

use crate::config::{CompareConfig, Config, Criterion, FailOn, Slo, ThresholdsConfig};
use crate::metrics::Unit;
use crate::results::{Direction, Metric, MetricIndex, PhaseResult, Run, RunIndex};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// How a metric moved, from better to worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Better by at least the minor threshold, and distinguishable from noise.
    Improved,
    /// Within the minor threshold.
    Unchanged,
    /// Past a threshold, but not distinguishable from noise.
    Noise,
    /// Past a threshold, with neither samples nor enough history to tell
    /// noise from change; a change past `critical` still fails (`counts_as`).
    Insufficient,
    /// Only in the current run.
    New,
    /// Only in the baseline.
    Missing,
    Minor,
    Major,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Improved => "improved",
            Severity::Unchanged => "unchanged",
            Severity::Noise => "noise",
            Severity::Insufficient => "insufficient",
            Severity::New => "new",
            Severity::Missing => "missing",
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        }
    }

    pub fn is_regression(self) -> bool {
        matches!(self, Severity::Minor | Severity::Major | Severity::Critical)
    }

    /// Whether this severity fails a check that fails on `fail_on`.
    pub fn reaches(self, fail_on: FailOn) -> bool {
        match fail_on {
            FailOn::Never => false,
            FailOn::Minor => self >= Severity::Minor,
            FailOn::Major => self >= Severity::Major,
            FailOn::Critical => self >= Severity::Critical,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Pass or fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
}

/// How the current run is judged.
#[derive(Debug, Clone)]
pub struct Policy {
    pub thresholds: ThresholdsConfig,
    /// History, confirmation and environment rules (`[compare]`).
    pub compare: CompareConfig,
    /// Error budgets (`[[slo]]`).
    pub slos: Vec<Slo>,
    /// The baseline was measured on another runner at another time (`check`
    /// in baseline mode): until a metric has a history band, its interval is
    /// widened by `[compare] runner_noise`.
    pub cross_runner: bool,
}

impl Policy {
    /// `thresholds` with the default `[compare]` rules and no SLOs.
    pub fn new(thresholds: ThresholdsConfig) -> Policy {
        Policy {
            thresholds,
            compare: CompareConfig::default(),
            slos: Vec::new(),
            cross_runner: false,
        }
    }

    /// Everything a configuration says about judging runs.
    pub fn of(config: &Config) -> Policy {
        Policy {
            thresholds: config.thresholds.clone(),
            compare: config.compare.clone(),
            slos: config.slos.clone(),
            cross_runner: false,
        }
    }

    pub fn fail_on(&self) -> FailOn {
        self.thresholds.fail_on
    }
}

/// One metric of one phase, baseline against current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricComparison {
    /// The phase's name.
    pub phase: String,
    /// The metric's name.
    pub metric: String,
    /// The metric's unit.
    pub unit: Unit,
    /// Whether lower or higher is better.
    pub direction: Direction,
    /// The baseline's value, absent for a new metric.
    pub baseline: Option<f64>,
    /// The current value, absent for a missing metric.
    pub current: Option<f64>,
    /// Signed fraction, positive = worse whichever the direction; absent
    /// when a side is missing or the baseline is zero.
    pub change: Option<f64>,
    /// The judgement.
    pub severity: Severity,
    /// Two-sided p-value: Mann-Whitney U when both sides have samples,
    /// Wilcoxon signed-rank for paired samples, z or Fisher for proportions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// What the severity was judged by: `hodges-lehmann`, `bootstrap`,
    /// `wilcoxon signed-rank`, `mann-whitney`, `proportions (z)`, `proportions
    /// (fisher)` or `history band`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The relative change in the worse direction with its interval (or
    /// range beyond the history band) that the severity was graded by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<ChangeInterval>,
    /// The expected band from earlier runs, with at least `min_history`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryBand>,
    /// Earlier runs that measured this metric.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub history_runs: usize,
    /// The runner-to-runner allowance (a fraction) the interval was widened
    /// by, while the history was too thin for a band.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runner_noise: Option<f64>,
    /// Events behind a proportion on the baseline side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_counts: Option<EventCounts>,
    /// Events behind a proportion on the current side.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_counts: Option<EventCounts>,
    /// For an `insufficient` change past the critical threshold: the
    /// severity it counts as in the verdict (`critical`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts_as: Option<Severity>,
    /// How reruns of the phase judged a regression that would have failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
    /// Samples behind the baseline value.
    pub baseline_samples: usize,
    /// Samples behind the current value.
    pub current_samples: usize,
    /// Outliers among the current samples (Tukey's fences).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outliers: Option<usize>,
}

/// Reruns of a failing regression's phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// Reruns done.
    pub reruns: u32,
    /// Whether every rerun still reached `fail_on`.
    pub held: bool,
    /// The mildest severity a rerun gave.
    pub rerun_severity: Severity,
    /// The severity before the reruns.
    pub first_severity: Severity,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl MetricComparison {
    /// The severity the verdict uses: `counts_as` for an insufficient
    /// change past critical, else the severity.
    pub fn effective_severity(&self) -> Severity {
        self.counts_as.unwrap_or(self.severity).max(self.severity)
    }
}

/// The outcome of one absolute criterion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionOutcome {
    pub phase: String,
    pub metric: String,
    /// The criterion as written (`< 50ms`).
    pub criterion: String,
    /// The measured value, absent when the metric is missing.
    pub actual: Option<f64>,
    pub unit: Unit,
    pub passed: bool,
    /// Why it failed without a value (missing metric, unit mismatch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Which run a side of the comparison is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRef {
    pub suite: String,
    pub environment: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha: Option<String>,
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub ref_name: Option<String>,
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl RunRef {
    pub fn of(run: &Run) -> RunRef {
        RunRef {
            suite: run.suite.clone(),
            environment: run.environment.key.clone(),
            sha: run.git.as_ref().map(|g| g.sha.clone()),
            ref_name: run.git.as_ref().and_then(|g| g.ref_name.clone()),
            started_at: run.started_at,
        }
    }
}

/// A phase error carried into the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseFailure {
    pub phase: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stderr_tail: Option<String>,
}

/// The comparison JSON layout this build writes and the newest it reads: a
/// version of its own, apart from the results' (which went to 2 with shards
/// while the comparison did not change).
pub const COMPARISON_SCHEMA_VERSION: u32 = 1;

/// The whole comparison: the contract of `compare --format json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Version of this JSON layout.
    pub schema_version: u32,
    pub suite: String,
    /// `pass` or `fail`.
    pub verdict: Verdict,
    /// The worst severity among the comparisons.
    pub worst: Severity,
    /// The severity that fails the check.
    pub fail_on: FailOn,
    /// The baseline run, absent when there was none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<RunRef>,
    pub current: RunRef,
    /// Things the reader must know: environment mismatch, partial runs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Per-metric comparisons, in phase and metric order.
    pub comparisons: Vec<MetricComparison>,
    /// Absolute criteria outcomes.
    pub criteria: Vec<CriterionOutcome>,
    /// Phase errors of the current run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<PhaseFailure>,
    /// The baseline was measured on another CPU model or core count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_mismatch: Option<advice::EnvironmentMismatch>,
    /// Error budgets of the `[[slo]]`s over the history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slos: Vec<slo::SloStatus>,
    /// Steps in the metrics' history, with the run where each happened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub change_points: Vec<steps::Step>,
    /// Short advice: too few runs for the noise seen, outliers, environment.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recommendations: Vec<String>,
    /// How the verdict was reached: the mode, the two commits, the rounds or
    /// the history behind it, and the noise floor it could see. Absent in
    /// comparisons written before it existed and from `compare`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
    /// The advice that decides something, for the pull-request comment:
    /// metrics past a threshold the data could not judge, and what would
    /// judge them. Not part of the JSON (the `recommendations` carry the
    /// same advice for every metric).
    #[serde(skip)]
    pub undecided: Vec<String>,
}

/// How a pull request was measured against its base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Against runs recorded on the baseline branch.
    Baseline,
    /// Base and head built and run interleaved on this machine.
    Paired,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Baseline => "baseline",
            Mode::Paired => "paired",
        }
    }
}

/// Where a verdict comes from (the `provenance` object of the comparison JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// `paired` or `baseline`.
    pub mode: Mode,
    /// The base commit: the paired base, or the baseline run's commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_sha: Option<String>,
    /// The head commit measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
    /// Paired mode: interleaved rounds (base and head once each), the most
    /// any phase ran, adaptive extensions and confirmation excluded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<u32>,
    /// Baseline mode: earlier runs of the suite the verdict could draw on
    /// (the most any metric had).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_runs: Option<usize>,
    /// The widest relative half-width among the intervals and history
    /// bands the metrics were graded by (a fraction): a change smaller than
    /// this may go unseen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_floor: Option<f64>,
    /// Baseline mode: some metric had fewer than `min_history` earlier runs,
    /// so the runner-to-runner allowance stood in for a measured band.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub thin_history: bool,
    /// Why paired mode was asked for but baseline mode ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
}

impl Provenance {
    /// One line for a reader: `paired: base abc1234 vs head def5678, 24
    /// interleaved rounds on this runner`.
    pub fn describe(&self) -> String {
        let sha = |s: &Option<String>| {
            s.as_deref()
                .map_or("uncommitted", |s| crate::results::short_sha(s, 7))
                .to_owned()
        };
        let mut text = format!(
            "{}: base {} vs head {}",
            self.mode.as_str(),
            sha(&self.base_sha),
            sha(&self.head_sha)
        );
        if let Some(r) = self.rounds {
            text.push_str(&format!(", {r} interleaved rounds on this runner"));
        }
        if let Some(h) = self.history_runs {
            text.push_str(&format!(", {h} earlier runs"));
            if self.thin_history {
                text.push_str(" (thin history)");
            }
        }
        if let Some(n) = self.noise_floor {
            text.push_str(&format!(", noise floor ±{:.1} %", n * 100.0));
        }
        if let Some(f) = &self.fallback {
            text.push_str(&format!(" ({f})"));
        }
        text
    }

    /// The widest relative half-width of the comparisons' intervals and
    /// history bands.
    pub fn noise_floor_of(comparisons: &[MetricComparison]) -> Option<f64> {
        comparisons
            .iter()
            .filter_map(|m| {
                let interval = m.interval.map(|i| (i.upper - i.lower) / 2.0);
                let band = m.history.as_ref().and_then(|h| {
                    (h.median != 0.0).then(|| (h.upper - h.lower) / 2.0 / h.median.abs())
                });
                interval.into_iter().chain(band).reduce(f64::max)
            })
            .filter(|w| w.is_finite())
            .reduce(f64::max)
    }
}

impl Comparison {
    pub fn regressions(&self) -> impl Iterator<Item = &MetricComparison> {
        self.comparisons
            .iter()
            .filter(|c| c.severity.is_regression())
    }

    pub fn failed_criteria(&self) -> impl Iterator<Item = &CriterionOutcome> {
        self.criteria.iter().filter(|c| !c.passed)
    }

    /// Recomputes `worst` and `verdict` after severities changed.
    pub fn rejudge(&mut self) {
        self.worst = self
            .comparisons
            .iter()
            .map(MetricComparison::effective_severity)
            .max()
            .unwrap_or(Severity::Unchanged);
        self.verdict =
            if self.worst.reaches(self.fail_on) || self.failed_criteria().next().is_some() {
                Verdict::Fail
            } else {
                Verdict::Pass
            };
    }
}

/// Compares `current` with `baseline` (or with nothing, for a first run).
pub fn compare(baseline: Option<&Run>, current: &Run, policy: &Policy) -> Comparison {
    compare_history(baseline, current, &[], policy)
}

/// Compares `current` with `baseline` and with `history`: the earlier runs
/// of the suite on the baseline branch, oldest first (the baseline usually
/// the newest of them). History gives each metric its expected band, the
/// change points and the error budgets.
pub fn compare_history(
    baseline: Option<&Run>,
    current: &Run,
    history: &[Run],
    policy: &Policy,
) -> Comparison {
    // Earlier runs in this run's units; what cannot be converted is new.
    let mut unit_notes = Vec::new();
    let current_index = RunIndex::new(current);
    let aligned_baseline = baseline.and_then(|b| units::align(b, &current_index, &mut unit_notes));
    let baseline = aligned_baseline.as_ref().or(baseline);
    let aligned_history: Vec<Option<Run>> = history
        .iter()
        .map(|r| units::align(r, &current_index, &mut Vec::new()))
        .collect();
    let history: Vec<&Run> = history
        .iter()
        .zip(&aligned_history)
        .filter(|(r, _)| !r.partial)
        .map(|(r, aligned)| aligned.as_ref().unwrap_or(r))
        .collect();
    let history_index: Vec<RunIndex> = history.iter().map(|r| RunIndex::new(r)).collect();
    let base_index = baseline.map(RunIndex::new);
    let mut comparisons = Vec::new();
    for phase in &current.phases {
        let own;
        let cur_phase = match current_index.phase(&phase.name) {
            Some(index) if std::ptr::eq(index.phase, phase) => index,
            // A second phase of one name (a run built in process): its own.
            _ => {
                own = MetricIndex::new(phase);
                &own
            }
        };
        let base_phase = base_index.as_ref().and_then(|b| b.phase(&phase.name));
        comparisons.extend(parallel_map(&phase.metrics, |metric| {
            let base = base_phase.and_then(|p| p.get(&metric.name).map(|m| (p, m)));
            let past = since_last_step(
                history_values(&history_index, &phase.name, &metric.name),
                policy,
                &phase.name,
                &metric.name,
            );
            compare_metric(&phase.name, base, Some((cur_phase, metric)), &past, policy)
        }));
        if let Some(bp) = base_phase {
            for m in bp
                .phase
                .metrics
                .iter()
                .filter(|m| cur_phase.get(&m.name).is_none())
            {
                // A phase that failed this time has no metrics: its metrics are
                // missing, which the phase error explains.
                comparisons.push(compare_metric(
                    &phase.name,
                    Some((bp, m)),
                    None,
                    &[],
                    policy,
                ));
            }
        }
    }
    if let Some(b) = baseline {
        let current_phases: HashSet<&str> =
            current.phases.iter().map(|p| p.name.as_str()).collect();
        for bp in b
            .phases
            .iter()
            .filter(|p| !current_phases.contains(p.name.as_str()))
        {
            let index = MetricIndex::new(bp);
            for m in &bp.metrics {
                comparisons.push(compare_metric(
                    &bp.name,
                    Some((&index, m)),
                    None,
                    &[],
                    policy,
                ));
            }
        }
    }

    let criteria = current
        .phases
        .iter()
        .flat_map(judge_criteria)
        .collect::<Vec<_>>();
    let worst = comparisons
        .iter()
        .map(MetricComparison::effective_severity)
        .max()
        .unwrap_or(Severity::Unchanged);
    let fail_on = policy.fail_on();
    let verdict = if worst.reaches(fail_on) || criteria.iter().any(|c| !c.passed) {
        Verdict::Fail
    } else {
        Verdict::Pass
    };

    let mut notes = unit_notes;
    let environment_mismatch = baseline.and_then(|b| advice::environment_mismatch(b, current));
    if let Some(m) = &environment_mismatch {
        notes.push(m.to_string());
    }
    if let Some(b) = baseline {
        if b.environment.key != current.environment.key {
            notes.push(format!(
                "the baseline was measured in environment `{}`, this run in `{}`: differences may come from the machine",
                b.environment.key, current.environment.key
            ));
        }
        if b.partial {
            notes.push("the baseline run was interrupted and is partial".into());
        }
    }
    if current.partial {
        notes.push("this run was interrupted: its results are partial".into());
    }
    let errors = current
        .phases
        .iter()
        .flat_map(|p| {
            p.errors.iter().map(|e| PhaseFailure {
                phase: p.name.clone(),
                message: e.message.clone(),
                stderr_tail: e.stderr_tail.clone(),
            })
        })
        .collect();

    let mut series: Vec<&Run> = history.clone();
    series.push(current);
    let slos = slo::budgets(&series, &policy.slos);
    let change_points = steps::find(&series, policy);
    let mut comparison = Comparison {
        schema_version: COMPARISON_SCHEMA_VERSION,
        suite: current.suite.clone(),
        verdict,
        worst,
        fail_on,
        baseline: baseline.map(RunRef::of),
        current: RunRef::of(current),
        notes,
        comparisons,
        criteria,
        errors,
        environment_mismatch,
        slos,
        change_points,
        recommendations: Vec::new(),
        provenance: None,
        undecided: Vec::new(),
    };
    comparison.recommendations = advice::recommend(&comparison, policy);
    comparison.undecided = advice::undecided(&comparison, policy);
    comparison
}

/// The values after the last step in `values`, when enough remain for a
/// band: a level the metric has left says nothing about its noise now.
fn since_last_step(values: Vec<f64>, policy: &Policy, phase: &str, metric: &str) -> Vec<f64> {
    if values.len() < steps::MIN_SERIES {
        return values;
    }
    let levels = policy.thresholds.levels(phase, metric);
    let found = crate::stats::change_point::change_points(
        &values,
        policy.thresholds.alpha,
        levels.minor,
        3,
    );
    match found.last() {
        Some(step) if values.len() - step.index >= policy.compare.min_history => {
            values[step.index..].to_vec()
        }
        _ => values,
    }
}

/// `f` over `items`, in order. Each metric is judged on its own (its
/// bootstrap has a fixed seed), so with many of them the work is split over
/// the cores and the result is the same as one thread's.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    const MIN_PER_THREAD: usize = 1024;
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len() / MIN_PER_THREAD)
        .max(1);
    if threads == 1 {
        return items.iter().map(&f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(threads))
            .map(|chunk| s.spawn(move || chunk.iter().map(f).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("a comparison thread panicked"))
            .collect()
    })
}

/// The values of `phase`/`metric` in `history`, oldest first.
fn history_values(history: &[RunIndex], phase: &str, metric: &str) -> Vec<f64> {
    history
        .iter()
        .filter_map(|r| r.metric(phase, metric).map(|m| m.value))
        .collect()
}

/// Signed change, positive = worse.
pub fn change(baseline: f64, current: f64, direction: Direction) -> Option<f64> {
    if baseline == current {
        return Some(0.0);
    }
    if baseline == 0.0 {
        return None;
    }
    let raw = (current - baseline) / baseline.abs();
    Some(match direction {
        Direction::Lower => raw,
        Direction::Higher => -raw,
    })
}

fn compare_metric<'a>(
    phase: &str,
    base: Option<(&MetricIndex<'a>, &'a Metric)>,
    current: Option<(&MetricIndex<'a>, &'a Metric)>,
    history: &[f64],
    policy: &Policy,
) -> MetricComparison {
    let any = current.or(base).expect("one side exists").1;
    let base_ev = base.map_or(&[][..], |(p, m)| p.evidence(m));
    let cur_ev = current.map_or(&[][..], |(p, m)| p.evidence(m));
    let mut out = MetricComparison {
        phase: phase.to_owned(),
        metric: any.name.clone(),
        unit: any.unit.clone(),
        direction: any.direction,
        baseline: base.map(|(_, m)| m.value),
        current: current.map(|(_, m)| m.value),
        change: None,
        severity: Severity::Unchanged,
        p_value: None,
        method: None,
        interval: None,
        history: None,
        history_runs: 0,
        runner_noise: None,
        baseline_counts: None,
        current_counts: None,
        counts_as: None,
        confirmation: None,
        baseline_samples: base_ev.len(),
        current_samples: cur_ev.len(),
        outliers: current.and_then(|(_, m)| m.outliers).filter(|&n| n > 0),
    };
    let (Some((_, b)), Some((_, c))) = (base, current) else {
        out.severity = if base.is_none() {
            Severity::New
        } else {
            Severity::Missing
        };
        return out;
    };
    let levels = policy.thresholds.levels(phase, &c.name);
    let ev = decide::Evidence {
        baseline: b,
        current: c,
        baseline_samples: base_ev,
        current_samples: cur_ev,
        history,
    };
    decide::decide(&mut out, &ev, &levels, policy);
    out
}

fn judge_criteria(phase: &PhaseResult) -> Vec<CriterionOutcome> {
    phase
        .criteria
        .iter()
        .map(|(metric, text)| {
            let m = phase.metric(metric);
            let mut outcome = CriterionOutcome {
                phase: phase.name.clone(),
                metric: metric.clone(),
                criterion: text.clone(),
                actual: m.map(|m| m.value),
                unit: m.map_or(Unit::Count, |m| m.unit.clone()),
                passed: false,
                reason: None,
            };
            match (Criterion::parse(text), m) {
                (Err(e), _) => outcome.reason = Some(e),
                (Ok(_), None) => {
                    outcome.reason = Some(if phase.errors.is_empty() {
                        format!("metric `{metric}` was not measured")
                    } else {
                        format!("metric `{metric}` was not measured: the phase failed")
                    })
                }
                (Ok(c), Some(m)) if !c.fits(m.unit.dimension()) => {
                    outcome.reason = Some(format!(
                        "criterion `{c}` does not fit the unit `{}` of `{metric}`",
                        m.unit
                    ))
                }
                (Ok(c), Some(m)) => outcome.passed = c.op.holds(m.value, c.limit.value),
            }
            outcome
        })
        .collect()
}

#[cfg(test)]
mod decision_tests;
#[cfg(test)]
mod tests;
