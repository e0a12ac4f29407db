//! Intervals: what the estimators of this module turn samples into (a
//! Hodges-Lehmann shift, a Wilcoxon paired change, a bootstrap ratio, a rate
//! ratio): an estimate with its two-sided `1 − alpha` confidence bounds.

/// An estimate with a two-sided `1 − alpha` confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub estimate: f64,
    pub lower: f64,
    pub upper: f64,
}
