//! Bootstrap: turns two samples and a summary statistic (a percentile, the
//! mean) into the relative change of that statistic with a percentile
//! bootstrap interval (Efron & Tibshirani, *An Introduction to the
//! Bootstrap*, 1993, ch. 13): each side resampled with replacement, the
//! ratio of the statistics taken, and its `alpha/2` and `1 − alpha/2`
//! quantiles read off. A fixed seed makes the interval a pure function of
//! the data, so a CI gate gives the same answer twice.

use super::Interval;
use super::summary::percentile_sorted;

/// Resamples drawn.
pub const RESAMPLES: usize = 2000;
/// Samples kept per side (evenly spaced order statistics beyond it).
const MAX_SIDE: usize = 4000;

/// A summary statistic of a sorted sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Statistic {
    /// The `p`-th percentile (0–100), numpy's linear interpolation.
    Percentile(f64),
    Mean,
}

impl Statistic {
    /// The statistic a summary metric's name ends in: `.mean`, `.p95`,
    /// `.p99.9`, `.median`, `.max`, `.min`.
    pub fn of_metric(name: &str) -> Option<Statistic> {
        let suffix = name.rsplit_once('.')?.1;
        let suffix = match name.rsplit_once(".p") {
            Some((_, p)) if p.parse::<f64>().is_ok() => {
                return p
                    .parse()
                    .ok()
                    .filter(|p| (0.0..=100.0).contains(p))
                    .map(Statistic::Percentile);
            }
            _ => suffix,
        };
        match suffix {
            "mean" => Some(Statistic::Mean),
            "median" => Some(Statistic::Percentile(50.0)),
            "max" => Some(Statistic::Percentile(100.0)),
            "min" => Some(Statistic::Percentile(0.0)),
            _ => None,
        }
    }

    fn of_sorted(self, sorted: &[f64]) -> f64 {
        match self {
            Statistic::Percentile(p) => percentile_sorted(sorted, p).unwrap_or(0.0),
            Statistic::Mean => sorted.iter().sum::<f64>() / sorted.len() as f64,
        }
    }
}

/// Where [`percentile_sorted`] reads a percentile of `n` sorted values.
struct Rank {
    lo: usize,
    hi: usize,
    frac: f64,
}

impl Rank {
    fn of(p: f64, n: usize) -> Rank {
        let rank = (p.clamp(0.0, 100.0) / 100.0) * (n - 1) as f64;
        let lo = rank.floor() as usize;
        Rank {
            lo,
            hi: rank.ceil() as usize,
            frac: rank - lo as f64,
        }
    }

    /// The percentile of the values `sorted[draw[k]]`, `draw` ascending.
    fn read(&self, sorted: &[f64], draw: &[u8]) -> f64 {
        let (lo, hi) = (
            sorted[usize::from(draw[self.lo])],
            sorted[usize::from(draw[self.hi])],
        );
        lo + (hi - lo) * self.frac
    }
}

/// The resampling generator's seed ("perfguar").
const SEED: u64 = 0x7065_7266_6775_6172;

/// Sides up to this many samples together share their draws.
const MAX_SHARED_DRAWS: usize = 64;

thread_local! {
    /// Draws by side sizes; see [`shared_draws`].
    static DRAWS: super::BySizes<u8> =
        Default::default();
}

/// The indices every resample draws for sides of `nb` and `nc` samples,
/// each side's sorted ascending, resample after resample. With a fixed seed
/// they depend on the sizes alone, so thousands of metrics of one size
/// (summaries of ten runs, say) draw once instead of each.
fn shared_draws(nb: usize, nc: usize) -> std::rc::Rc<[u8]> {
    DRAWS.with(|cache| {
        cache
            .borrow_mut()
            .entry((nb, nc))
            .or_insert_with(|| {
                let mut rng = SplitMix(SEED);
                let mut out = Vec::with_capacity(RESAMPLES * (nb + nc));
                for _ in 0..RESAMPLES {
                    for n in [nb, nc] {
                        let start = out.len();
                        // n ≤ MAX_SHARED_DRAWS, so every index fits a byte.
                        out.extend((0..n).map(|_| rng.below(n) as u8));
                        out[start..].sort_unstable();
                    }
                }
                out.into()
            })
            .clone()
    })
}

/// SplitMix64 (Steele, Lea & Flood, 2014): small, fast, and enough for
/// resampling indices.
struct SplitMix(u64);

impl SplitMix {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((u128::from(z) * n as u128) >> 64) as usize
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

/// `stat(current) / stat(baseline) − 1` with its percentile bootstrap
/// interval; `None` when a side is empty or the baseline's statistic is
/// not positive.
pub fn relative_change(
    baseline: &[f64],
    current: &[f64],
    stat: Statistic,
    alpha: f64,
) -> Option<Interval> {
    if baseline.is_empty() || current.is_empty() {
        return None;
    }
    let (b, c) = (thin(baseline), thin(current));
    let base_stat = stat.of_sorted(&b);
    if base_stat <= 0.0 {
        return None;
    }
    let estimate = stat.of_sorted(&c) / base_stat - 1.0;
    let mut ratios = Vec::with_capacity(RESAMPLES);
    let (mut rb, mut rc) = (vec![0.0; b.len()], vec![0.0; c.len()]);
    let mut ratio = |rb: &[f64], rc: &[f64]| {
        let sb = stat.of_sorted(rb);
        ratios.push(if sb > 0.0 {
            stat.of_sorted(rc) / sb - 1.0
        } else {
            f64::INFINITY
        });
    };
    if b.len() + c.len() <= MAX_SHARED_DRAWS {
        // `b` and `c` are sorted, so a draw's indices in ascending order
        // pick its values in ascending order: the same sorted resample,
        // without sorting values.
        let draws = shared_draws(b.len(), c.len());
        let draws = draws
            .chunks_exact(b.len() + c.len())
            .map(|d| d.split_at(b.len()));
        match stat {
            // A percentile reads two order statistics at positions fixed by
            // the side's size: read just those, as `percentile_sorted` does.
            Statistic::Percentile(p) => {
                let (pb, pc) = (Rank::of(p, b.len()), Rank::of(p, c.len()));
                for (ib, ic) in draws {
                    let sb = pb.read(&b, ib);
                    ratios.push(if sb > 0.0 {
                        pc.read(&c, ic) / sb - 1.0
                    } else {
                        f64::INFINITY
                    });
                }
            }
            Statistic::Mean => {
                for (ib, ic) in draws {
                    for (x, &i) in rb.iter_mut().zip(ib) {
                        *x = b[usize::from(i)];
                    }
                    for (x, &i) in rc.iter_mut().zip(ic) {
                        *x = c[usize::from(i)];
                    }
                    ratio(&rb, &rc);
                }
            }
        }
    } else {
        let mut rng = SplitMix(SEED);
        for _ in 0..RESAMPLES {
            for x in rb.iter_mut() {
                *x = b[rng.below(b.len())];
            }
            for x in rc.iter_mut() {
                *x = c[rng.below(c.len())];
            }
            rb.sort_by(f64::total_cmp);
            rc.sort_by(f64::total_cmp);
            ratio(&rb, &rc);
        }
    }
    // Two quantiles need four order statistics, not a sort of them all.
    let lower = percentile_unsorted(&mut ratios, 100.0 * alpha / 2.0)?;
    let upper = percentile_unsorted(&mut ratios, 100.0 * (1.0 - alpha / 2.0))?;
    Some(Interval {
        estimate,
        lower,
        upper,
    })
}

/// [`percentile_sorted`] of `values` as if sorted (by `total_cmp`), found
/// by selection: the same value, in linear rather than n·log n time.
/// Reorders `values`.
fn percentile_unsorted(values: &mut [f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let rank = (p.clamp(0.0, 100.0) / 100.0) * (values.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let frac = rank - lo as f64;
    let (_, &mut at_lo, above) = values.select_nth_unstable_by(lo, f64::total_cmp);
    let at_hi = if hi == lo {
        at_lo
    } else {
        // The next order statistic is the least of what lies above.
        above
            .iter()
            .copied()
            .min_by(f64::total_cmp)
            .unwrap_or(at_lo)
    };
    Some(at_lo + (at_hi - at_lo) * frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The resampling as it was written first: draw, sort, take the
    /// statistic; the shared draws must give exactly its interval.
    fn by_sorting(b: &[f64], c: &[f64], stat: Statistic, alpha: f64) -> Option<Interval> {
        let (b, c) = (thin(b), thin(c));
        let base_stat = stat.of_sorted(&b);
        let estimate = stat.of_sorted(&c) / base_stat - 1.0;
        let mut rng = SplitMix(SEED);
        let mut ratios = Vec::new();
        for _ in 0..RESAMPLES {
            let mut rb: Vec<f64> = (0..b.len()).map(|_| b[rng.below(b.len())]).collect();
            let mut rc: Vec<f64> = (0..c.len()).map(|_| c[rng.below(c.len())]).collect();
            rb.sort_by(f64::total_cmp);
            rc.sort_by(f64::total_cmp);
            let sb = stat.of_sorted(&rb);
            ratios.push(if sb > 0.0 {
                stat.of_sorted(&rc) / sb - 1.0
            } else {
                f64::INFINITY
            });
        }
        ratios.sort_by(f64::total_cmp);
        Some(Interval {
            estimate,
            lower: percentile_sorted(&ratios, 100.0 * alpha / 2.0)?,
            upper: percentile_sorted(&ratios, 100.0 * (1.0 - alpha / 2.0))?,
        })
    }

    proptest! {
        #[test]
        fn shared_draws_give_exactly_the_sorted_resamples_interval(
            b in proptest::collection::vec(1.0f64..1e6, 1..40),
            c in proptest::collection::vec(1.0f64..1e6, 1..30),
            p in prop_oneof![Just(50.0), Just(95.0), Just(99.0), 0.0f64..=100.0],
            mean in any::<bool>(),
        ) {
            let stat = if mean { Statistic::Mean } else { Statistic::Percentile(p) };
            let fast = relative_change(&b, &c, stat, 0.05).unwrap();
            let slow = by_sorting(&b, &c, stat, 0.05).unwrap();
            prop_assert_eq!(fast.estimate.to_bits(), slow.estimate.to_bits());
            prop_assert_eq!(fast.lower.to_bits(), slow.lower.to_bits());
            prop_assert_eq!(fast.upper.to_bits(), slow.upper.to_bits());
        }

        #[test]
        fn selection_reads_the_same_percentile_as_a_sort(
            mut v in proptest::collection::vec(-1e6f64..1e6, 1..300),
            p in 0.0f64..=100.0,
        ) {
            let mut sorted = v.clone();
            sorted.sort_by(f64::total_cmp);
            let expected = percentile_sorted(&sorted, p).unwrap();
            prop_assert_eq!(percentile_unsorted(&mut v, p).unwrap().to_bits(), expected.to_bits());
        }
    }

    #[test]
    fn metric_names_give_their_statistic() {
        assert_eq!(
            Statistic::of_metric("wall.p95"),
            Some(Statistic::Percentile(95.0))
        );
        assert_eq!(
            Statistic::of_metric("latency.p99.9"),
            Some(Statistic::Percentile(99.9))
        );
        assert_eq!(Statistic::of_metric("wall.mean"), Some(Statistic::Mean));
        assert_eq!(
            Statistic::of_metric("wall.max"),
            Some(Statistic::Percentile(100.0))
        );
        assert_eq!(Statistic::of_metric("wall"), None);
        assert_eq!(Statistic::of_metric("x.p200"), None);
        assert_eq!(Statistic::of_metric("x.pony"), None);
    }

    #[test]
    fn a_tail_regression_is_seen_where_the_median_is_not() {
        // The same body; the slowest fifth of the current runs doubled.
        let base: Vec<f64> = (0..50).map(|i| 100.0 + f64::from(i % 10)).collect();
        let cur: Vec<f64> = base
            .iter()
            .enumerate()
            .map(|(i, v)| if i % 10 >= 8 { v * 2.0 } else { *v })
            .collect();
        let p95 = relative_change(&base, &cur, Statistic::Percentile(95.0), 0.05).unwrap();
        assert!(p95.lower > 0.5, "{p95:?}");
        let median = relative_change(&base, &cur, Statistic::Percentile(50.0), 0.05).unwrap();
        assert!(median.lower <= 0.0 && median.upper < 0.1, "{median:?}");
    }

    #[test]
    fn the_interval_is_the_same_every_time() {
        let b: Vec<f64> = (1..=30).map(f64::from).collect();
        let c: Vec<f64> = b.iter().map(|v| v * 1.1 + 0.5).collect();
        let first = relative_change(&b, &c, Statistic::Mean, 0.05);
        assert_eq!(first, relative_change(&b, &c, Statistic::Mean, 0.05));
        assert!(relative_change(&[0.0, 0.0], &c, Statistic::Mean, 0.05).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn a_scaled_sample_is_centred_on_its_scale(
            b in prop::collection::vec(1.0f64..100.0, 5..40), k in 0.5f64..3.0,
        ) {
            let c: Vec<f64> = b.iter().map(|v| v * k).collect();
            let r = relative_change(&b, &c, Statistic::Mean, 0.05).unwrap();
            prop_assert!((r.estimate - (k - 1.0)).abs() < 1e-9);
            prop_assert!(r.lower <= r.upper);
            prop_assert!(r.lower <= k - 1.0 + 1e-9 || r.upper >= k - 1.0 - 1e-9);
        }
    }
}
