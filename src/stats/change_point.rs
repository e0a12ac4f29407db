//! Change points: turns a metric's history (oldest first) into the places
//! where its level stepped, by Pettitt's rank test (Pettitt, 1979, *Applied
//! Statistics* 28(2):126–135) applied by binary segmentation: find the most
//! likely step, keep it when significant, and look again on each side.
//!
//! `U_t = Σ_{i≤t} Σ_{j>t} sgn(x_j − x_i)`, `K = max_t |U_t|`, and the
//! approximate two-sided p-value `2·exp(−6K² / (n³ + n²))`. Pettitt decides
//! whether a segment has a step; where it is comes from least squares (the
//! split that maximizes `t(n−t)/n · (mean₁ − mean₂)²`, Hinkley, 1970),
//! because the argmax of `|U_t|` drifts by one when the first value after a
//! step happens to be the lowest of its level. Before/after levels are the
//! medians of the final segments on each side.

use super::summary::median;

/// One step in a series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChangePoint {
    /// Index of the first value after the step.
    pub index: usize,
    /// Pettitt's approximate p-value within the segment searched.
    pub p_value: f64,
    /// Median of the segment before the step.
    pub before: f64,
    /// Median of the segment after the step.
    pub after: f64,
}

impl ChangePoint {
    /// `after / before − 1`, or `None` when `before` is zero.
    pub fn relative(&self) -> Option<f64> {
        (self.before != 0.0).then(|| self.after / self.before - 1.0)
    }
}

/// Pettitt's statistic for the whole series: `(t, K, p)` with `t` the
/// number of values before the step; `None` below 4 values.
pub fn pettitt(x: &[f64]) -> Option<(usize, f64, f64)> {
    let n = x.len();
    if n < 4 {
        return None;
    }
    // U_t = U_{t−1} + Σ_j sgn(x_j − x_t) over all j (Pettitt's recurrence).
    let mut u = 0.0f64;
    let mut best = (0, 0.0f64);
    for t in 0..n - 1 {
        let v: f64 = x.iter().map(|&xj| sign(xj - x[t])).sum();
        u += v;
        if u.abs() > best.1 {
            best = (t + 1, u.abs());
        }
    }
    let (t, k) = best;
    if t == 0 {
        return Some((0, 0.0, 1.0));
    }
    let nf = n as f64;
    let p = (2.0 * (-6.0 * k * k / (nf.powi(3) + nf.powi(2))).exp()).min(1.0);
    Some((t, k, p))
}

fn sign(v: f64) -> f64 {
    if v > 0.0 {
        1.0
    } else if v < 0.0 {
        -1.0
    } else {
        0.0
    }
}

/// Every step with p < `alpha` whose relative size is at least `min_change`,
/// found by binary segmentation; segments shorter than `min_segment` on
/// either side of a step are not split. Sorted by index.
pub fn change_points(
    x: &[f64],
    alpha: f64,
    min_change: f64,
    min_segment: usize,
) -> Vec<ChangePoint> {
    let mut found = Vec::new();
    split(x, 0, alpha, min_segment.max(2), &mut found);
    found.sort_by_key(|c| c.index);
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(found.iter().map(|c| c.index))
        .chain(std::iter::once(x.len()))
        .collect();
    for (i, cp) in found.iter_mut().enumerate() {
        cp.before = median(&x[bounds[i]..bounds[i + 1]]).unwrap_or(0.0);
        cp.after = median(&x[bounds[i + 1]..bounds[i + 2]]).unwrap_or(0.0);
    }
    found.retain(|c| c.relative().is_none_or(|r| r.abs() >= min_change));
    found
}

/// The split `t` (values before the step) maximizing the between-segment
/// sum of squares, with at least `min_segment` values on each side.
fn least_squares_split(x: &[f64], min_segment: usize) -> usize {
    let n = x.len();
    let total: f64 = x.iter().sum();
    let mut left = 0.0;
    let mut best = (min_segment, f64::NEG_INFINITY);
    for t in 1..n {
        left += x[t - 1];
        if t < min_segment || n - t < min_segment {
            continue;
        }
        let (tf, rf) = (t as f64, (n - t) as f64);
        let diff = left / tf - (total - left) / rf;
        let score = tf * rf / n as f64 * diff * diff;
        if score > best.1 {
            best = (t, score);
        }
    }
    best.0
}

fn split(x: &[f64], offset: usize, alpha: f64, min_segment: usize, found: &mut Vec<ChangePoint>) {
    if x.len() < 2 * min_segment {
        return;
    }
    let Some((t, _, p)) = pettitt(x) else { return };
    if p >= alpha || t == 0 {
        return;
    }
    let t = least_squares_split(x, min_segment);
    let (left, right) = x.split_at(t);
    found.push(ChangePoint {
        index: offset + t,
        p_value: p,
        before: 0.0,
        after: 0.0,
    });
    split(left, offset, alpha, min_segment, found);
    split(right, offset + t, alpha, min_segment, found);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pettitt_statistic_by_hand() {
        // Four 1s then four 5s: U_4 = 4·4 = 16; p = 2*math.exp(-6*16**2/(8**3+8**2))
        // -> 0.13896690244560309
        let (t, k, p) = pettitt(&[1.0, 1.0, 1.0, 1.0, 5.0, 5.0, 5.0, 5.0]).unwrap();
        assert_eq!((t, k), (4, 16.0));
        assert!((p - 0.138_966_902_445_603_09).abs() < 1e-12, "{p}");
        assert!(pettitt(&[1.0, 2.0, 3.0]).is_none());
    }

    #[test]
    fn finds_two_steps_in_a_nightly_series() {
        // 15 nights at ~100, 15 at ~130, 15 at ~100: two steps, at 15 and 30.
        let wiggle = |i: usize| ((i * 7919) % 13) as f64 / 13.0 - 0.5;
        let x: Vec<f64> = (0..45)
            .map(|i| if (15..30).contains(&i) { 130.0 } else { 100.0 } + wiggle(i))
            .collect();
        let cps = change_points(&x, 0.05, 0.05, 3);
        let idx: Vec<usize> = cps.iter().map(|c| c.index).collect();
        assert_eq!(idx, vec![15, 30], "{cps:?}");
        assert!((cps[0].relative().unwrap() - 0.3).abs() < 0.02);
    }

    #[test]
    fn a_flat_noisy_series_has_no_step() {
        let x: Vec<f64> = (0..40).map(|i| 100.0 + ((i * 37) % 11) as f64).collect();
        assert!(change_points(&x, 0.05, 0.05, 3).is_empty());
    }

    proptest! {
        #[test]
        fn a_clear_step_is_found_where_it_is(
            n1 in 6usize..30, n2 in 6usize..30, noise in prop::collection::vec(-1.0f64..1.0, 60),
        ) {
            let x: Vec<f64> = (0..n1 + n2)
                .map(|i| if i < n1 { 100.0 } else { 150.0 } + noise[i])
                .collect();
            let cps = change_points(&x, 0.05, 0.1, 3);
            prop_assert_eq!(cps.len(), 1, "{:?}", cps);
            prop_assert_eq!(cps[0].index, n1);
        }
    }
}
