//! Decisions: turns one metric's baseline, current value, samples, counts
//! and history into a severity from effect and confidence together (pure).
//!
//! A change is minor, major or critical only when the conservative end of
//! its evidence reaches the threshold: the lower bound of the confidence
//! interval of the relative change (samples on both sides: Hodges-Lehmann
//! for a metric's own samples, a bootstrap for a summary such as
//! `wall.p95`; or counts of a proportion), or the distance beyond the history band (no samples). When
//! history is there as well as samples, the current value must also lie
//! outside the band: samples only measure the noise inside one run, history
//! the noise between runs.

use super::{MetricComparison, Policy, Severity, change};
use crate::config::Levels;
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use crate::stats::Interval;
use crate::stats::bootstrap::{self, Statistic};
use crate::stats::hodges_lehmann;
use crate::stats::mann_whitney_u;
use crate::stats::proportions::{self, Counts};
use crate::stats::robust::{self, Band};
use serde::{Deserialize, Serialize};

/// The relative change in the worse direction (+0.2 = 20 % worse) with the
/// interval it was judged by.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ChangeInterval {
    /// Lower end: the change is at least this much worse (when positive).
    pub lower: f64,
    /// Upper end.
    pub upper: f64,
    /// Confidence level (`1 − alpha`) of the interval; absent for the
    /// distance beyond a history band, which is a range, not an interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
}

/// The expected band from earlier runs, in the metric's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct HistoryBand {
    /// Earlier runs that measured the metric.
    pub runs: usize,
    /// Their median.
    pub median: f64,
    /// `median − k·1.4826·MAD`.
    pub lower: f64,
    /// `median + k·1.4826·MAD`.
    pub upper: f64,
}

/// Events out of a total, for a proportion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCounts {
    /// Events counted (the metric's `count`).
    pub count: u64,
    /// Out of this many.
    pub total: u64,
}

/// Everything known about one metric on both sides.
pub struct Evidence<'a> {
    pub baseline: &'a Metric,
    pub current: &'a Metric,
    /// Samples behind the baseline value (its own or those it summarizes).
    pub baseline_samples: &'a [f64],
    pub current_samples: &'a [f64],
    /// The metric's value in earlier runs, oldest first.
    pub history: &'a [f64],
}

/// Grades a worse-oriented interval against the thresholds: a regression
/// when its lower end reaches `minor` (the level its lower end reaches), an
/// improvement when its upper end is at or below `−minor`.
pub fn grade(lower: f64, upper: f64, levels: &Levels) -> Option<Severity> {
    if lower >= levels.critical {
        Some(Severity::Critical)
    } else if lower >= levels.major {
        Some(Severity::Major)
    } else if lower >= levels.minor {
        Some(Severity::Minor)
    } else if upper <= -levels.minor {
        Some(Severity::Improved)
    } else {
        None
    }
}

/// The severity a change of `effect` (worse-oriented) would have on the
/// point estimate alone.
pub fn level_of(effect: f64, levels: &Levels) -> Severity {
    if effect >= levels.critical {
        Severity::Critical
    } else if effect >= levels.major {
        Severity::Major
    } else if effect >= levels.minor {
        Severity::Minor
    } else if effect <= -levels.minor {
        Severity::Improved
    } else {
        Severity::Unchanged
    }
}

/// Orients an interval of the value's relative movement so positive is worse.
fn worse(i: Interval, direction: Direction) -> Interval {
    match direction {
        Direction::Lower => i,
        Direction::Higher => Interval {
            estimate: -i.estimate,
            lower: -i.upper,
            upper: -i.lower,
        },
    }
}

/// Fills `out` (which carries names, values and sample counts) with the
/// change, evidence and severity of `ev`.
pub fn decide(out: &mut MetricComparison, ev: &Evidence<'_>, levels: &Levels, policy: &Policy) {
    let (b, c) = (ev.baseline, ev.current);
    let alpha = policy.thresholds.alpha;
    out.change = change(b.value, c.value, c.direction);
    // A zero baseline that got worse has no finite change: past every
    // threshold, so it is never a silent pass.
    let effect = out.change.unwrap_or(
        if (c.value > b.value) == (c.direction == Direction::Lower) {
            f64::INFINITY
        } else {
            f64::NEG_INFINITY
        },
    );

    let band = (ev.history.len() >= policy.compare.min_history)
        .then(|| robust::band(ev.history, policy.compare.band_k))
        .flatten();
    if let Some(band) = band {
        out.history = Some(HistoryBand {
            runs: ev.history.len(),
            median: band.center,
            lower: band.lower,
            upper: band.upper,
        });
    }
    out.history_runs = ev.history.len();

    // Proportions with counts on both sides: a test for proportions on the
    // bad side (errors, or failures of a pass rate).
    if let (Unit::Ratio, Some((bc, bt)), Some((cc, ct))) = (&c.unit, b.counts(), c.counts()) {
        out.baseline_counts = Some(EventCounts {
            count: bc,
            total: bt,
        });
        out.current_counts = Some(EventCounts {
            count: cc,
            total: ct,
        });
        let bad = |count: u64, total: u64| Counts {
            events: match c.direction {
                Direction::Lower => count,
                Direction::Higher => total - count,
            },
            total,
        };
        if let Some(t) = proportions::compare(bad(bc, bt), bad(cc, ct), alpha) {
            out.p_value = Some(t.p_value);
            out.method = Some(format!("proportions ({})", t.method));
            out.interval = Some(ChangeInterval {
                lower: t.change.lower,
                upper: t.change.upper,
                confidence: Some(1.0 - alpha),
            });
            out.severity = judged(t.change.estimate, t.change.lower, t.change.upper, levels);
            return;
        }
    }

    // Samples count as evidence only when there are enough of them for the
    // test to reach `alpha` at all (3 against 3 runs never can): fewer are
    // judged like a single value, by history or as insufficient.
    let with_samples = ev.baseline_samples.len() >= 2
        && ev.current_samples.len() >= 2
        && crate::stats::mann_whitney::can_reach(
            ev.baseline_samples.len(),
            ev.current_samples.len(),
            alpha,
        );
    if with_samples {
        out.p_value = mann_whitney_u(ev.baseline_samples, ev.current_samples).map(|r| r.p_value);
    }
    // Own samples: the Hodges-Lehmann interval of the ratio. A summary of
    // another metric's samples (wall.p95 of wall): a bootstrap interval of
    // the ratio of that summary. An unknown summary: the point change,
    // gated by the rank test.
    let (interval, method) = if !with_samples {
        (None, "")
    } else if c.samples_of.is_none() {
        (
            hodges_lehmann::relative_change(ev.baseline_samples, ev.current_samples, alpha),
            "hodges-lehmann",
        )
    } else if let Some(stat) = Statistic::of_metric(&c.name) {
        (
            bootstrap::relative_change(ev.baseline_samples, ev.current_samples, stat, alpha),
            "bootstrap",
        )
    } else {
        (None, "")
    };
    let interval = interval.map(|i| worse(i, c.direction)).map(|i| {
        // Thin history across runners: the within-run interval cannot see
        // the runner-to-runner spread, so it is widened by that allowance.
        let allowance = policy.compare.runner_noise / 100.0;
        if policy.cross_runner && band.is_none() && allowance > 0.0 {
            out.runner_noise = Some(allowance);
            Interval {
                estimate: i.estimate,
                lower: (1.0 + i.lower) / (1.0 + allowance) - 1.0,
                upper: (1.0 + i.upper) * (1.0 + allowance) - 1.0,
            }
        } else {
            i
        }
    });
    let mut severity = if let Some(i) = interval {
        out.method = Some(method.into());
        out.interval = Some(ChangeInterval {
            lower: i.lower,
            upper: i.upper,
            confidence: Some(1.0 - alpha),
        });
        match grade(i.lower, i.upper, levels) {
            Some(s) => s,
            // Noise only when the medians or the shift moved past minor.
            None if effect.abs() < levels.minor && i.estimate.abs() < levels.minor => {
                Severity::Unchanged
            }
            None => Severity::Noise,
        }
    } else if let Some(p) = out.p_value {
        out.method = Some("mann-whitney".into());
        match level_of(effect, levels) {
            Severity::Unchanged => Severity::Unchanged,
            _ if p >= alpha => Severity::Noise,
            s => s,
        }
    } else if let Some(band) = band {
        out.method = Some("history band".into());
        let (lower, upper) = beyond(&band, c.value, c.direction);
        out.interval = Some(ChangeInterval {
            lower,
            upper,
            confidence: None,
        });
        judged(effect, lower, upper, levels)
    } else {
        // Neither samples nor history: too little to tell noise from change.
        let level = level_of(effect, levels);
        if level == Severity::Unchanged {
            Severity::Unchanged
        } else {
            if level == Severity::Critical {
                out.counts_as = Some(Severity::Critical);
            }
            Severity::Insufficient
        }
    };
    // With history too, a value inside the band is within the noise between
    // runs, however sure the samples of this one run are.
    if let Some(band) = band
        && (severity.is_regression() || severity == Severity::Improved)
        && band.contains(c.value)
    {
        severity = Severity::Noise;
    }
    out.severity = severity;
}

/// Severity from a point estimate and a worse-oriented interval: graded by
/// the interval; `unchanged` when the estimate is small; otherwise `noise`.
fn judged(estimate: f64, lower: f64, upper: f64, levels: &Levels) -> Severity {
    match grade(lower, upper, levels) {
        Some(s) => s,
        None if estimate.abs() < levels.minor => Severity::Unchanged,
        None => Severity::Noise,
    }
}

/// How far `value` lies beyond the band, worse-oriented, relative to the
/// band's median: `(lower, upper)` of the change it must at least and may
/// at most be. Zero-width when inside.
fn beyond(band: &Band, value: f64, direction: Direction) -> (f64, f64) {
    let scale = band.center.abs();
    if scale == 0.0 {
        let d = if band.contains(value) {
            0.0
        } else {
            f64::INFINITY
        };
        let worse = (value > band.upper) == (direction == Direction::Lower);
        return if worse { (d, d) } else { (-d, -d) };
    }
    // Relative distances from each edge, in the value's own movement.
    let from_upper = (value - band.upper) / scale;
    let from_lower = (value - band.lower) / scale;
    let (lo, hi) = match direction {
        Direction::Lower => (from_upper, from_lower),
        Direction::Higher => (-from_lower, -from_upper),
    };
    (lo, hi)
}
