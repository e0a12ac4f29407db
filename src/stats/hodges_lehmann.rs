//! Hodges-Lehmann shift: turns two samples into the median of all pairwise
//! differences and its distribution-free confidence interval, found by
//! inverting the Mann-Whitney test (Hodges & Lehmann, 1963; Bauer, 1972;
//! Hollander & Wolfe, *Nonparametric Statistical Methods*, 2nd ed., §4.3).
//! On log samples the shift is a log ratio, which gives the relative change
//! with an interval: [`relative_change`].

use super::Interval;
use super::mann_whitney::exact_counts;
use super::summary::median;
use statrs::distribution::{ContinuousCDF, Normal};

/// Largest `n1 * n2` for which the exact distribution gives the interval.
const EXACT_LIMIT: usize = 400;
/// Samples kept per side before pairing: beyond it, evenly spaced order
/// statistics stand in for the sample so the pairwise differences stay
/// at most 4 million.
const MAX_SIDE: usize = 2000;

/// Hodges-Lehmann estimate of the shift `y − x` with its confidence interval
/// (R's `wilcox.test(y, x, conf.int = TRUE, conf.level = 1 - alpha)`):
/// `[D(k), D(mn + 1 − k)]` of the sorted pairwise differences, `k` the
/// lower `alpha/2` critical value of U (exact up to `n1·n2 = 400`, else
/// `mn/2 − z·√(mn(m+n+1)/12)`, Hollander & Wolfe eq. 4.41). `None` when a
/// side is empty.
pub fn shift(x: &[f64], y: &[f64], alpha: f64) -> Option<Interval> {
    if x.is_empty() || y.is_empty() {
        return None;
    }
    let x = thin(x);
    let y = thin(y);
    let (m, n) = (x.len(), y.len());
    let mut diffs: Vec<f64> = Vec::with_capacity(m * n);
    for &b in &y {
        for &a in &x {
            diffs.push(b - a);
        }
    }
    diffs.sort_by(f64::total_cmp);
    let estimate = median(&diffs).expect("non-empty");
    let total = m * n;
    let k = critical_u(m, n, alpha).clamp(1, total.div_ceil(2));
    Some(Interval {
        estimate,
        lower: diffs[k - 1],
        upper: diffs[total - k],
    })
}

/// The 1-based rank `k` of the lower interval end: the smallest `q` with
/// `P(U ≤ q) ≥ alpha/2` (R's `qwilcox`), at least 1.
fn critical_u(m: usize, n: usize, alpha: f64) -> usize {
    if m * n <= EXACT_LIMIT {
        let counts = exact_counts(m, n);
        let total: f64 = counts.iter().sum();
        let mut cum = 0.0;
        for (q, c) in counts.iter().enumerate() {
            cum += c;
            if cum / total >= alpha / 2.0 - 1e-12 {
                return q.max(1);
            }
        }
        1
    } else {
        let (mf, nf) = (m as f64, n as f64);
        let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
        let c = mf * nf / 2.0 - z * (mf * nf * (mf + nf + 1.0) / 12.0).sqrt();
        c.floor().max(1.0) as usize
    }
}

fn thin(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    if s.len() <= MAX_SIDE {
        return s;
    }
    (0..MAX_SIDE)
        .map(|i| s[(i * (s.len() - 1)) / (MAX_SIDE - 1)])
        .collect()
}

/// Relative change of `current` against `baseline` (+0.10 = 10 % larger),
/// with its interval. With all samples positive it is `exp(shift) − 1` of
/// the Hodges-Lehmann shift of the logs: a ratio, right for timings whose
/// noise is multiplicative. Otherwise the shift divided by the baseline's
/// median, or, when that median is zero (CPU time quantized to clock ticks),
/// by the mean magnitude of all samples; `None` when every sample is zero.
pub fn relative_change(baseline: &[f64], current: &[f64], alpha: f64) -> Option<Interval> {
    if baseline.iter().chain(current).all(|v| *v > 0.0) {
        let lb: Vec<f64> = baseline.iter().map(|v| v.ln()).collect();
        let lc: Vec<f64> = current.iter().map(|v| v.ln()).collect();
        let s = shift(&lb, &lc, alpha)?;
        return Some(Interval {
            estimate: s.estimate.exp_m1(),
            lower: s.lower.exp_m1(),
            upper: s.upper.exp_m1(),
        });
    }
    let mut base = median(baseline)?;
    if base == 0.0 {
        let all = baseline.len() + current.len();
        base = baseline.iter().chain(current).map(|v| v.abs()).sum::<f64>() / all as f64;
    }
    if base == 0.0 {
        return None;
    }
    let s = shift(baseline, current, alpha)?;
    Some(Interval {
        estimate: s.estimate / base.abs(),
        lower: s.lower / base.abs(),
        upper: s.upper / base.abs(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_samples_match_scipy_test_inversion() {
        // The interval is every shift d for which scipy's exact test keeps
        // H0 for (y - d, x): in numpy/scipy 1.17,
        //   x=[0.80,0.83,1.89,1.04,1.45,1.38,1.91,1.64,0.73,1.46]; y=[1.15,0.88,0.90,0.74,1.21]
        //   D=sorted(b-a for b in y for a in x)
        //   inside=[d for d in D if mannwhitneyu(np.array(y)-d+1e-9, x, method="exact").pvalue>0.05
        //                         or mannwhitneyu(np.array(y)-d-1e-9, x, method="exact").pvalue>0.05]
        //   -> min(inside)=-0.76, max(inside)=0.15, np.median(D)=-0.305
        let x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
        let y = [1.15, 0.88, 0.90, 0.74, 1.21];
        let s = shift(&x, &y, 0.05).unwrap();
        assert!((s.estimate - -0.305).abs() < 1e-9, "{s:?}");
        assert!((s.lower - -0.76).abs() < 1e-9, "{s:?}");
        assert!((s.upper - 0.15).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn large_samples_match_the_normal_approximation() {
        // x = 0..30, y = x + 5: D has 900 entries; k = floor(450 - 1.959964*sqrt(900*61/12)) = 317
        // numpy: D=np.sort(np.subtract.outer(np.arange(30)+5, np.arange(30)).ravel()); D[316], D[583] -> (0, 10)
        let x: Vec<f64> = (0..30).map(f64::from).collect();
        let y: Vec<f64> = x.iter().map(|v| v + 5.0).collect();
        let s = shift(&x, &y, 0.05).unwrap();
        assert_eq!((s.estimate, s.lower, s.upper), (5.0, 0.0, 10.0));
    }

    #[test]
    fn relative_change_of_a_scaled_sample_is_the_scale() {
        let base: Vec<f64> = (1..=20).map(|i| 100.0 + f64::from(i)).collect();
        let cur: Vec<f64> = base.iter().map(|v| v * 1.5).collect();
        let r = relative_change(&base, &cur, 0.05).unwrap();
        assert!((r.estimate - 0.5).abs() < 0.02, "{r:?}");
        assert!(r.lower < r.estimate && r.estimate < r.upper);
        assert!(relative_change(&[0.0, 0.0], &[0.0, 0.0], 0.05).is_none());
        // Ticks: mostly zero CPU time on both sides, a few 4 ms runs; the
        // shift interval starts at zero, so there is no evidence of change.
        let b = [0.0, 0.0, 0.0, 0.0, 4.0, 0.0, 0.0, 0.0];
        let c = [0.0, 4.0, 0.0, 4.0, 0.0, 0.0, 4.0, 0.0];
        let r = relative_change(&b, &c, 0.05).unwrap();
        assert!(r.lower <= 0.0, "{r:?}");
    }

    proptest! {
        #[test]
        fn interval_holds_the_estimate_and_moves_with_a_shift(
            x in prop::collection::vec(1.0f64..100.0, 2..25),
            y in prop::collection::vec(1.0f64..100.0, 2..25),
            d in -50.0f64..50.0,
        ) {
            let s = shift(&x, &y, 0.05).unwrap();
            prop_assert!(s.lower <= s.estimate && s.estimate <= s.upper);
            let moved: Vec<f64> = y.iter().map(|v| v + d).collect();
            let t = shift(&x, &moved, 0.05).unwrap();
            prop_assert!((t.estimate - s.estimate - d).abs() < 1e-9);
            prop_assert!((t.lower - s.lower - d).abs() < 1e-9);
            let wide = shift(&x, &y, 0.01).unwrap();
            prop_assert!(wide.lower <= s.lower && wide.upper >= s.upper);
        }
    }
}
