//! Wilcoxon signed-rank test for paired samples (A B A B runs on one
//! machine): turns pairs into a two-sided p-value, and the Hodges-Lehmann
//! estimate of the paired shift (median of the Walsh averages) with its
//! interval (Wilcoxon, 1945; Hollander & Wolfe, 2nd ed., §3.1–3.2).
//!
//! Zero differences are dropped (`zero_method="wilcox"`). Exact null
//! distribution when at most 50 pairs remain with no ties and no zeros;
//! otherwise the normal approximation with tie correction and without
//! continuity correction, as `scipy.stats.wilcoxon` computes by default.

use super::Interval;
use super::summary::median;
use statrs::distribution::{ContinuousCDF, Normal};

/// The outcome of the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignedRank {
    /// `min(T+, T−)`, as scipy reports it.
    pub statistic: f64,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Pairs with a non-zero difference.
    pub n: usize,
}

const EXACT_LIMIT: usize = 50;

/// Signed-rank test of `after − before`, pair by pair; `None` when the
/// lengths differ or no pair remains.
pub fn signed_rank(before: &[f64], after: &[f64]) -> Option<SignedRank> {
    if before.len() != after.len() {
        return None;
    }
    let d: Vec<f64> = after
        .iter()
        .zip(before)
        .map(|(a, b)| a - b)
        .filter(|d| *d != 0.0)
        .collect();
    let zeros = before.len() - d.len();
    let n = d.len();
    if n == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| d[i].abs().total_cmp(&d[j].abs()));
    let mut ranks = vec![0.0; n];
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && d[order[j + 1]].abs() == d[order[i]].abs() {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            ranks[k] = avg;
        }
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        i = j + 1;
    }
    let r_plus: f64 = (0..n).filter(|&k| d[k] > 0.0).map(|k| ranks[k]).sum();
    let nf = n as f64;
    let r_minus = nf * (nf + 1.0) / 2.0 - r_plus;
    let statistic = r_plus.min(r_minus);
    let p_value = if tie_term == 0.0 && zeros == 0 && n <= EXACT_LIMIT {
        let counts = signed_rank_counts(n);
        let total: f64 = counts.iter().sum();
        let k = statistic.round() as usize;
        (2.0 * counts[..=k].iter().sum::<f64>() / total).min(1.0)
    } else {
        let mean = nf * (nf + 1.0) / 4.0;
        let var = nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0 - tie_term / 48.0;
        if var <= 0.0 {
            1.0
        } else {
            let z = (r_plus - mean) / var.sqrt();
            (2.0 * Normal::standard().sf(z.abs())).min(1.0)
        }
    };
    Some(SignedRank {
        statistic,
        p_value,
        n,
    })
}

/// Number of subsets of `{1..n}` with each rank sum `0..=n(n+1)/2`.
fn signed_rank_counts(n: usize) -> Vec<f64> {
    let max = n * (n + 1) / 2;
    let mut c = vec![0.0; max + 1];
    c[0] = 1.0;
    for r in 1..=n {
        for t in (r..=max).rev() {
            c[t] += c[t - r];
        }
    }
    c
}

/// The Hodges-Lehmann paired shift of `after − before` (median of the Walsh
/// averages) with its `1 − alpha` interval `[W(k), W(N + 1 − k)]`, `k` the
/// lower `alpha/2` critical value of the signed-rank statistic (R's
/// `wilcox.test(after, before, paired = TRUE, conf.int = TRUE)`).
pub fn paired_shift(before: &[f64], after: &[f64], alpha: f64) -> Option<Interval> {
    if before.len() != after.len() || before.is_empty() {
        return None;
    }
    let d: Vec<f64> = after.iter().zip(before).map(|(a, b)| a - b).collect();
    let n = d.len();
    let mut walsh = Vec::with_capacity(n * (n + 1) / 2);
    for i in 0..n {
        for j in i..n {
            walsh.push((d[i] + d[j]) / 2.0);
        }
    }
    walsh.sort_by(f64::total_cmp);
    let total = walsh.len();
    let k = if n <= EXACT_LIMIT {
        let counts = signed_rank_counts(n);
        let all: f64 = counts.iter().sum();
        let mut cum = 0.0;
        let mut q = 0;
        for (t, c) in counts.iter().enumerate() {
            cum += c;
            if cum / all >= alpha / 2.0 - 1e-12 {
                q = t;
                break;
            }
        }
        q.max(1)
    } else {
        let nf = n as f64;
        let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
        let c = nf * (nf + 1.0) / 4.0 - z * (nf * (nf + 1.0) * (2.0 * nf + 1.0) / 24.0).sqrt();
        c.floor().max(1.0) as usize
    }
    .min(total.div_ceil(2));
    Some(Interval {
        estimate: median(&walsh).expect("non-empty"),
        lower: walsh[k - 1],
        upper: walsh[total - k],
    })
}

/// Relative paired change of `after` against `before` (+0.10 = 10 %
/// larger): `exp − 1` of the paired shift of logs when every value is
/// positive, else the shift over the median of `before`.
pub fn paired_relative_change(before: &[f64], after: &[f64], alpha: f64) -> Option<Interval> {
    if before.iter().chain(after).all(|v| *v > 0.0) {
        let lb: Vec<f64> = before.iter().map(|v| v.ln()).collect();
        let la: Vec<f64> = after.iter().map(|v| v.ln()).collect();
        let s = paired_shift(&lb, &la, alpha)?;
        return Some(Interval {
            estimate: s.estimate.exp_m1(),
            lower: s.lower.exp_m1(),
            upper: s.upper.exp_m1(),
        });
    }
    let base = median(before)?;
    if base == 0.0 {
        return None;
    }
    let s = paired_shift(before, after, alpha)?;
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

    const D: [f64; 9] = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30];
    #[expect(
        clippy::approx_constant,
        reason = "3.14 is a data value of the reference, not π"
    )]
    const E: [f64; 9] = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

    #[test]
    fn exact_test_matches_scipy() {
        // scipy 1.17: scipy.stats.wilcoxon(E, D) -> statistic=5.0, pvalue=0.0390625
        let r = signed_rank(&D, &E).unwrap();
        assert_eq!(r.statistic, 5.0);
        assert!((r.p_value - 0.039_062_5).abs() < 1e-12, "{r:?}");
    }

    #[test]
    fn normal_approximation_matches_scipy() {
        // x = np.arange(1,61)*0.37%1 - 0.4; scipy.stats.wilcoxon(x)
        //   -> statistic=586.0, pvalue=0.015436735821277952 (n=60 > 50: approx)
        let x: Vec<f64> = (1..=60)
            .map(|i| (f64::from(i) * 0.37) % 1.0 - 0.4)
            .collect();
        let r = signed_rank(&vec![0.0; 60], &x).unwrap();
        assert_eq!(r.statistic, 586.0);
        assert!(
            (r.p_value - 0.015_436_735_821_277_952).abs() < 1e-9,
            "{r:?}"
        );
    }

    #[test]
    fn paired_interval_matches_scipy_test_inversion() {
        // x = E - D; W = sorted Walsh averages;
        // inside = [w for w in W if wilcoxon(x-w+1e-9).pvalue > 0.05 or wilcoxon(x-w-1e-9).pvalue > 0.05]
        // -> min -0.786, max -0.01, np.median(W) -0.46
        let s = paired_shift(&D, &E, 0.05).unwrap();
        assert!((s.estimate - -0.46).abs() < 1e-9, "{s:?}");
        assert!((s.lower - -0.786).abs() < 1e-9, "{s:?}");
        assert!((s.upper - -0.01).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn unequal_or_identical_pairs_have_no_test() {
        assert!(signed_rank(&[1.0], &[1.0, 2.0]).is_none());
        assert!(signed_rank(&[1.0, 2.0], &[1.0, 2.0]).is_none());
    }

    proptest! {
        #[test]
        fn a_constant_ratio_is_recovered(
            base in prop::collection::vec(1.0f64..1000.0, 3..40),
            ratio in 0.5f64..2.0,
        ) {
            let after: Vec<f64> = base.iter().map(|v| v * ratio).collect();
            let r = paired_relative_change(&base, &after, 0.05).unwrap();
            prop_assert!((r.estimate - (ratio - 1.0)).abs() < 1e-9);
            prop_assert!(r.lower <= r.estimate && r.estimate <= r.upper);
            let t = signed_rank(&base, &after);
            if let Some(t) = t { prop_assert!((0.0..=1.0).contains(&t.p_value)); }
        }
    }
}
