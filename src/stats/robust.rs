//! Robust noise bands: turns a history of values into the band a new value
//! is expected in, `median ± k·σ̂` (median and MAD from [`super::summary`]), where
//! `σ̂ = 1.4826·MAD` estimates the standard deviation of normal data
//! (Rousseeuw & Croux, 1993; `scipy.stats.median_abs_deviation(x, scale="normal")`).

use super::summary::{mad, median};

/// The factor that makes the MAD a consistent estimator of σ for normal data:
/// 1 / Φ⁻¹(3/4).
pub const MAD_TO_SIGMA: f64 = 1.482_602_218_505_602;

/// The range a new value is expected in, from earlier values' spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    /// Median of the earlier values.
    pub center: f64,
    /// `1.4826·MAD`: the spread, on the scale of a standard deviation.
    pub sigma: f64,
    pub lower: f64,
    pub upper: f64,
}

impl Band {
    pub fn contains(&self, value: f64) -> bool {
        value >= self.lower && value <= self.upper
    }
}

/// `median ± k·1.4826·MAD` of `values`; `None` when there are none.
pub fn band(values: &[f64], k: f64) -> Option<Band> {
    let center = median(values)?;
    let sigma = MAD_TO_SIGMA * mad(values)?;
    Some(Band {
        center,
        sigma,
        lower: center - k * sigma,
        upper: center + k * sigma,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn mad_matches_scipy() {
        let x = [1.0, 2.0, 3.0, 4.0, 100.0, 7.0, 8.5];
        // scipy.stats.median_abs_deviation([1,2,3,4,100,7,8.5]) -> 3.0
        assert_eq!(mad(&x), Some(3.0));
        // scipy.stats.median_abs_deviation([1,2,3,4,100,7,8.5], scale="normal") -> 4.447806655516806
        let b = band(&x, 3.0).unwrap();
        assert!(
            (b.sigma - 4.447_806_655_516_806).abs() < 1e-12,
            "{}",
            b.sigma
        );
        assert_eq!(b.center, 4.0);
        assert!(b.contains(4.0 + 3.0 * b.sigma) && !b.contains(4.0 + 3.0 * b.sigma + 1e-9));
        assert_eq!(mad(&[]), None);
    }

    proptest! {
        #[test]
        fn band_is_shift_equivariant_and_holds_its_center(
            v in prop::collection::vec(-1e6f64..1e6, 1..40),
            shift in -1e6f64..1e6,
        ) {
            let b = band(&v, 3.0).unwrap();
            let moved: Vec<f64> = v.iter().map(|x| x + shift).collect();
            let bm = band(&moved, 3.0).unwrap();
            prop_assert!((bm.center - b.center - shift).abs() < 1e-6);
            prop_assert!((bm.sigma - b.sigma).abs() < 1e-6);
            prop_assert!(b.contains(b.center));
            prop_assert!(b.sigma >= 0.0);
        }
    }
}
