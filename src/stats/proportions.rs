//! Proportions: turns two counts of events out of totals (errors of
//! requests, failed checks of checks) into a two-sided p-value and an
//! interval of the ratio of the two rates, instead of a percent change of a
//! tiny number.
//!
//! - Pooled two-proportion z-test (Agresti, *Categorical Data Analysis*,
//!   3rd ed., §3.1; what `statsmodels.stats.proportion.proportions_ztest`
//!   computes) when every expected cell count is at least 5;
//! - Fisher's exact test otherwise (two-sided: the sum of the probabilities
//!   of all tables no more likely than the observed one, as
//!   `scipy.stats.fisher_exact` sums them);
//! - the ratio of rates with the Katz log interval
//!   `exp(ln RR ± z·√(1/a − 1/n₁ + 1/c − 1/n₂))` (Katz et al., 1978), with
//!   0.5 added to every cell when a count is zero (Haldane's correction).

use super::Interval;
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::factorial::ln_factorial;

/// Events out of a total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub events: u64,
    pub total: u64,
}

/// The outcome of comparing two proportions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProportionTest {
    /// Two-sided p-value.
    pub p_value: f64,
    /// `fisher` or `z`.
    pub method: &'static str,
    /// Relative change of the rate (`rate₂/rate₁ − 1`) with its interval.
    pub change: Interval,
}

/// Compares the rate of `current` with that of `baseline`; `None` when a
/// total is zero or events exceed a total.
pub fn compare(baseline: Counts, current: Counts, alpha: f64) -> Option<ProportionTest> {
    let (a, n1, c, n2) = (
        baseline.events,
        baseline.total,
        current.events,
        current.total,
    );
    if n1 == 0 || n2 == 0 || a > n1 || c > n2 {
        return None;
    }
    let pooled = (a + c) as f64 / (n1 + n2) as f64;
    let min_expected = [n1, n2]
        .iter()
        .flat_map(|&n| [n as f64 * pooled, n as f64 * (1.0 - pooled)])
        .fold(f64::INFINITY, f64::min);
    let (p_value, method) = if min_expected >= 5.0 {
        (z_test(baseline, current), "z")
    } else {
        (fisher_exact(a, n1 - a, c, n2 - c), "fisher")
    };
    Some(ProportionTest {
        p_value,
        method,
        change: rate_ratio(baseline, current, alpha),
    })
}

/// Two-sided p-value of the pooled two-proportion z-test.
pub fn z_test(baseline: Counts, current: Counts) -> f64 {
    let (n1, n2) = (baseline.total as f64, current.total as f64);
    let (p1, p2) = (baseline.events as f64 / n1, current.events as f64 / n2);
    let p = (baseline.events + current.events) as f64 / (n1 + n2);
    let se = (p * (1.0 - p) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if se == 0.0 {
        return 1.0;
    }
    let z = (p2 - p1) / se;
    (2.0 * Normal::standard().sf(z.abs())).min(1.0)
}

/// Two-sided Fisher exact test of the table `[[a, b], [c, d]]`.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (row1, col1, n) = (a + b, a + c, a + b + c + d);
    let ln_choose = |n: u64, k: u64| ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k);
    let ln_p = |x: u64| ln_choose(col1, x) + ln_choose(n - col1, row1 - x) - ln_choose(n, row1);
    let lo = row1.saturating_sub(n - col1);
    let hi = row1.min(col1);
    let observed = ln_p(a);
    // scipy's relative tolerance, so that tables as likely as the observed
    // one count despite rounding.
    let cutoff = observed + (1.0 + 1e-7f64).ln();
    let p: f64 = (lo..=hi)
        .map(ln_p)
        .filter(|&l| l <= cutoff)
        .map(f64::exp)
        .sum();
    p.min(1.0)
}

/// `rate₂ / rate₁ − 1` with the Katz log interval.
pub fn rate_ratio(baseline: Counts, current: Counts, alpha: f64) -> Interval {
    let (mut a, mut n1, mut c, mut n2) = (
        baseline.events as f64,
        baseline.total as f64,
        current.events as f64,
        current.total as f64,
    );
    if a == 0.0 || c == 0.0 || a == n1 || c == n2 {
        a += 0.5;
        c += 0.5;
        n1 += 1.0;
        n2 += 1.0;
    }
    let ln_rr = (c / n2).ln() - (a / n1).ln();
    let se = (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n2).max(0.0).sqrt();
    let z = Normal::standard().inverse_cdf(1.0 - alpha / 2.0);
    Interval {
        estimate: ln_rr.exp_m1(),
        lower: (ln_rr - z * se).exp_m1(),
        upper: (ln_rr + z * se).exp_m1(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counts(events: u64, total: u64) -> Counts {
        Counts { events, total }
    }

    #[test]
    fn fisher_matches_scipy() {
        // scipy 1.17: scipy.stats.fisher_exact([[3,997],[12,988]]).pvalue -> 0.03449142539805221
        assert!((fisher_exact(3, 997, 12, 988) - 0.034_491_425_398_052_21).abs() < 1e-10);
        // scipy.stats.fisher_exact([[0,50],[5,45]]).pvalue -> 0.05628449442882433
        assert!((fisher_exact(0, 50, 5, 45) - 0.056_284_494_428_824_33).abs() < 1e-10);
        assert!((fisher_exact(5, 5, 5, 5) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn z_test_matches_the_pooled_formula() {
        // statsmodels' proportions_ztest([160,120],[10000,10000]) formula, computed as
        // p=280/20000; se=sqrt(p*(1-p)*(2/10000)); z=(0.016-0.012)/se -> 2.407368193052868;
        // 2*scipy.stats.norm.sf(z) -> 0.01606796115888841
        let p = z_test(counts(120, 10_000), counts(160, 10_000));
        assert!((p - 0.016_067_961_158_888_41).abs() < 1e-10, "{p}");
    }

    #[test]
    fn small_counts_use_fisher_and_large_ones_z() {
        let t = compare(counts(1, 1000), counts(4, 1000), 0.05).unwrap();
        assert_eq!(t.method, "fisher");
        let t = compare(counts(120, 10_000), counts(160, 10_000), 0.05).unwrap();
        assert_eq!(t.method, "z");
        assert!((t.change.estimate - (160.0 / 120.0 - 1.0)).abs() < 1e-12);
        assert!(t.change.lower > 0.0, "{:?}", t.change);
        assert!(compare(counts(1, 0), counts(0, 10), 0.05).is_none());
        assert!(compare(counts(11, 10), counts(0, 10), 0.05).is_none());
    }

    #[test]
    fn one_error_more_out_of_a_thousand_is_not_a_change() {
        // 0.1 % -> 0.2 %: +100 % as a percent change, but one event.
        let t = compare(counts(1, 1000), counts(2, 1000), 0.05).unwrap();
        assert!(t.p_value > 0.5, "{t:?}");
        assert!(t.change.lower < 0.0, "{t:?}");
    }

    proptest! {
        #[test]
        fn p_values_are_probabilities_and_symmetric(
            a in 0u64..200, extra1 in 0u64..2000, c in 0u64..200, extra2 in 0u64..2000,
        ) {
            let (b, d) = (counts(a, a + extra1.max(1)), counts(c, c + extra2.max(1)));
            let t = compare(b, d, 0.05).unwrap();
            let u = compare(d, b, 0.05).unwrap();
            prop_assert!((0.0..=1.0).contains(&t.p_value));
            prop_assert!((t.p_value - u.p_value).abs() < 1e-9);
            prop_assert!(t.change.lower <= t.change.estimate && t.change.estimate <= t.change.upper);
        }
    }
}
