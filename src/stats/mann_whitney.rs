//! The Mann-Whitney U test (Wilcoxon rank-sum): turns two samples into a
//! two-sided p-value for "one tends to be larger than the other".
//!
//! Exact null distribution when both samples are small and untied (the
//! recurrence of Mann & Whitney, 1947); otherwise the normal approximation
//! with tie correction and continuity correction, as `scipy.stats.mannwhitneyu`
//! computes it (`method="asymptotic"`, `use_continuity=True`).

use statrs::distribution::{ContinuousCDF, Normal};

/// The outcome of the test.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MannWhitney {
    /// U statistic of the first sample.
    pub u: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

/// Largest `n1 * n2` for which the exact distribution is used.
const EXACT_LIMIT: usize = 400;

/// Whether two samples of sizes `m` and `n` can show a difference at level
/// `alpha` at all: the smallest two-sided p-value of the exact test is
/// `2 / C(m + n, m)` (3 against 3 runs: 0.1, never below 0.05).
pub fn can_reach(m: usize, n: usize, alpha: f64) -> bool {
    if m == 0 || n == 0 {
        return false;
    }
    // C(m + n, m) grows fast; stop once it is past 2 / alpha.
    let mut c = 1.0f64;
    for i in 1..=m.min(n) {
        c = c * (m + n + 1 - i) as f64 / i as f64;
        if 2.0 / c <= alpha {
            return true;
        }
    }
    2.0 / c <= alpha
}

/// Two-sided Mann-Whitney U test; `None` when a side has no samples.
pub fn mann_whitney_u(x: &[f64], y: &[f64]) -> Option<MannWhitney> {
    let (n1, n2) = (x.len(), y.len());
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let mut all: Vec<(f64, bool)> = x
        .iter()
        .map(|&v| (v, true))
        .chain(y.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Average ranks over ties; collect tie group sizes for the correction.
    let n = all.len();
    let mut rank_sum_x = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && all[j + 1].0 == all[i].0 {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        let t = (j - i + 1) as f64;
        tie_term += t * t * t - t;
        rank_sum_x += all[i..=j].iter().filter(|e| e.1).count() as f64 * avg_rank;
        i = j + 1;
    }
    let (n1f, n2f) = (n1 as f64, n2 as f64);
    let u1 = rank_sum_x - n1f * (n1f + 1.0) / 2.0;
    let u2 = n1f * n2f - u1;
    let u_max = u1.max(u2);

    let p_value = if tie_term == 0.0 && n1 * n2 <= EXACT_LIMIT {
        // P(U >= u_max) doubled, from the exact distribution of U.
        let counts = exact_counts(n1, n2);
        let total: f64 = counts.iter().sum();
        let k = u_max.round() as usize;
        let upper: f64 = counts[k..].iter().sum();
        (2.0 * upper / total).min(1.0)
    } else {
        let mu = n1f * n2f / 2.0;
        let nf = n as f64;
        let sigma = (n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)))).sqrt();
        if sigma == 0.0 {
            1.0
        } else {
            let z = (u_max - mu - 0.5) / sigma;
            let normal = Normal::standard();
            (2.0 * (1.0 - normal.cdf(z))).clamp(0.0, 1.0)
        }
    };
    Some(MannWhitney { u: u1, p_value })
}

/// Number of arrangements giving each U in 0..=n1*n2 (no ties): the
/// coefficients of the Gaussian binomial, built by the recurrence
/// f(n1, n2) = f(n1 - 1, n2) shifted by n2 + f(n1, n2 - 1).
///
/// Cached per thread by sizes: comparing thousands of metrics of one run
/// count asks for the same table each time.
pub(crate) fn exact_counts(n1: usize, n2: usize) -> std::rc::Rc<[f64]> {
    thread_local! {
        static TABLES: super::BySizes<f64> =
            Default::default();
    }
    TABLES.with(|t| {
        t.borrow_mut()
            .entry((n1, n2))
            .or_insert_with(|| build_counts(n1, n2).into())
            .clone()
    })
}

fn build_counts(n1: usize, n2: usize) -> Vec<f64> {
    // dp[j] over n2 for the current n1: counts of U for (i, j).
    let max_u = n1 * n2;
    let mut table: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); n2 + 1]; n1 + 1];
    for i in 0..=n1 {
        for j in 0..=n2 {
            let mut c = vec![0.0; i * j + 1];
            if i == 0 || j == 0 {
                c[0] = 1.0;
            } else {
                for (u, v) in table[i - 1][j].iter().enumerate() {
                    c[u + j] += v;
                }
                for (u, v) in table[i][j - 1].iter().enumerate() {
                    c[u] += v;
                }
            }
            table[i][j] = c;
        }
    }
    let mut out = std::mem::take(&mut table[n1][n2]);
    out.resize(max_u + 1, 0.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn five_against_five_cannot_go_below_0_008() {
        let r = mann_whitney_u(&[1.0, 2.0, 3.0, 4.0, 5.0], &[6.0, 7.0, 8.0, 9.0, 10.0]).unwrap();
        // Exact: 2 / C(10, 5) = 2 / 252.
        assert!(close(r.p_value, 2.0 / 252.0, 1e-12), "{}", r.p_value);
        assert_eq!(r.u, 0.0);
    }

    #[test]
    fn matches_scipy_exact() {
        // scipy 1.17: scipy.stats.mannwhitneyu([1,4,7,9], [2,3,5,6,8], method="exact") -> U=11, p=0.9047619047619049
        let r = mann_whitney_u(&[1.0, 4.0, 7.0, 9.0], &[2.0, 3.0, 5.0, 6.0, 8.0]).unwrap();
        assert_eq!(r.u, 11.0);
        assert!(
            close(r.p_value, 0.904_761_904_761_904_9, 1e-12),
            "{}",
            r.p_value
        );
    }

    #[test]
    fn matches_scipy_asymptotic_with_ties() {
        // scipy 1.17: scipy.stats.mannwhitneyu([1,2,2,3,4,5], [3,4,4,5,6,7,8], method="asymptotic")
        // -> U=6.0, p=0.0364709007712748
        let r = mann_whitney_u(
            &[1.0, 2.0, 2.0, 3.0, 4.0, 5.0],
            &[3.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        )
        .unwrap();
        assert_eq!(r.u, 6.0);
        assert!(
            close(r.p_value, 0.036_470_900_771_274_8, 1e-9),
            "{}",
            r.p_value
        );
    }

    proptest::proptest! {
        #[test]
        fn p_is_a_probability_and_the_sides_are_symmetric(
            x in proptest::collection::vec(0.0f64..100.0, 1..25),
            y in proptest::collection::vec(0.0f64..100.0, 1..25),
        ) {
            let a = mann_whitney_u(&x, &y).unwrap();
            let b = mann_whitney_u(&y, &x).unwrap();
            proptest::prop_assert!((0.0..=1.0).contains(&a.p_value));
            proptest::prop_assert!((a.p_value - b.p_value).abs() < 1e-9);
            proptest::prop_assert!((a.u + b.u - (x.len() * y.len()) as f64).abs() < 1e-9);
        }
    }

    #[test]
    fn too_few_runs_can_never_be_significant() {
        assert!(!can_reach(3, 3, 0.05));
        assert!(can_reach(4, 4, 0.05)); // 2 / 70
        assert!(!can_reach(5, 5, 0.005)); // 2 / 252 > 0.005
        assert!(can_reach(5, 5, 0.01));
        assert!(!can_reach(1, 100, 0.01)); // 2 / 101
        assert!(can_reach(2, 100, 0.01));
        assert!(!can_reach(0, 10, 0.05));
    }

    #[test]
    fn identical_samples_are_not_significant() {
        let r = mann_whitney_u(&[5.0; 10], &[5.0; 10]).unwrap();
        assert_eq!(r.p_value, 1.0);
        assert!(mann_whitney_u(&[], &[1.0]).is_none());
    }
}
