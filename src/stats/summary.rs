//! Summaries: turns a slice of samples into median, mean, percentiles, the
//! median absolute deviation and an outlier count (Tukey's fences).

/// The `p`-th percentile (0–100) by linear interpolation between closest
/// ranks (numpy's default, Hyndman & Fan type 7). `None` for no samples.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile_sorted(&sorted, p)
}

/// As [`percentile`], for samples already sorted ascending.
pub fn percentile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (sorted.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    Some(sorted[lo] + (sorted[hi] - sorted[lo]) * frac)
}

pub fn median(samples: &[f64]) -> Option<f64> {
    percentile(samples, 50.0)
}

pub fn mean(samples: &[f64]) -> Option<f64> {
    (!samples.is_empty()).then(|| samples.iter().sum::<f64>() / samples.len() as f64)
}

/// Median absolute deviation from the median (unscaled); `None` when empty.
pub fn mad(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let deviations: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&deviations)
}

/// Samples outside Tukey's fences, `[Q1 − 1.5·IQR, Q3 + 1.5·IQR]`.
pub fn outliers(samples: &[f64]) -> usize {
    if samples.len() < 4 {
        return 0;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q1 = percentile_sorted(&sorted, 25.0).unwrap_or(0.0);
    let q3 = percentile_sorted(&sorted, 75.0).unwrap_or(0.0);
    let iqr = q3 - q1;
    let (lo, hi) = (q1 - 1.5 * iqr, q3 + 1.5 * iqr);
    sorted.iter().filter(|&&x| x < lo || x > hi).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn percentiles_match_numpy() {
        let s = [1.0, 2.0, 3.0, 4.0, 10.0];
        assert_eq!(median(&s), Some(3.0));
        // numpy.percentile([1,2,3,4,10], 95) == 8.8
        assert!((percentile(&s, 95.0).unwrap() - 8.8).abs() < 1e-12);
        assert_eq!(percentile(&s, 0.0), Some(1.0));
        assert_eq!(percentile(&s, 100.0), Some(10.0));
        assert_eq!(median(&[2.0, 1.0]), Some(1.5));
        assert_eq!(median(&[]), None);
        assert_eq!(mean(&s), Some(4.0));
    }

    #[test]
    fn tukey_fences_flag_the_far_sample() {
        let mut s = vec![10.0; 20];
        s.extend([10.5, 9.5, 100.0]);
        assert_eq!(outliers(&s), 3);
        assert_eq!(outliers(&[1.0, 2.0, 3.0, 4.0, 5.0]), 0);
    }

    proptest! {
        #[test]
        fn percentiles_are_monotonic(mut s in prop::collection::vec(0.0f64..1e9, 1..50), a in 0.0f64..100.0, b in 0.0f64..100.0) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let pl = percentile(&s, lo).unwrap();
            let ph = percentile(&s, hi).unwrap();
            prop_assert!(pl <= ph);
            s.sort_by(f64::total_cmp);
            prop_assert!(pl >= s[0] && ph <= s[s.len() - 1]);
        }
    }
}
