//! Charts: a comparison and the runs behind it → chart specs (pure data that
//! `assets/report/charts.js` draws with uPlot): samples side by side,
//! history with its band and change points, the latency percentile
//! spectrum, the load's seconds, the memory profile, each run of a command.

use crate::compare::{Comparison, MetricComparison};
use crate::results::{PhaseKind, PhaseResult, Run, RunIndex};
use serde::Serialize;

/// One chart, as the page's script draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    pub title: String,
    /// `index` (runs, labelled by `xlabels`), `group` (baseline at 0.5,
    /// current at 1.5), `quantile` (`1 / (1 − q)`, log scale), `seconds`.
    pub xkind: &'static str,
    pub x: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xlabels: Option<Vec<String>>,
    /// The left axis' unit (`ns`, `bytes`, …).
    pub unit: String,
    /// The right axis' unit, when a series is drawn against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit2: Option<String>,
    pub series: Vec<Series>,
    /// Pairs of series indexes filled between (a noise band).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<(usize, usize)>,
    /// Vertical marks: change points, named by commit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub marks: Vec<Mark>,
    /// Quartile boxes over groups of samples.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub boxes: Vec<QuartileBox>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    pub label: String,
    /// One value per `x`; `null` where the series has none.
    pub values: Vec<Option<f64>>,
    /// `line`, `points`, `linepoints` or `band` (an edge of a band).
    pub draw: &'static str,
    /// 2: against the right axis.
    #[serde(skip_serializing_if = "is_left")]
    pub axis: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<&'static str>,
}

fn is_left(axis: &u8) -> bool {
    *axis != 2
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    pub x: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuartileBox {
    pub x0: f64,
    pub x1: f64,
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
}

const BASELINE: &str = "#6e7781";
const CURRENT: &str = "#cf222e";

impl Series {
    fn new(label: impl Into<String>, values: Vec<Option<f64>>, draw: &'static str) -> Series {
        Series {
            label: label.into(),
            values,
            draw,
            axis: 1,
            color: None,
        }
    }

    fn colored(mut self, color: &'static str) -> Series {
        self.color = Some(color);
        self
    }

    fn right(mut self) -> Series {
        self.axis = 2;
        self
    }
}

/// The charts of one metric: its samples (baseline beside current) and its
/// history (band, change points, the current point).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricCharts {
    pub samples: Option<Chart>,
    pub history: Option<Chart>,
}

/// Baseline and current samples side by side: each a strip of points
/// spread across its group, with a quartile box and the median.
pub fn samples(title: &str, unit: &str, baseline: &[f64], current: &[f64]) -> Option<Chart> {
    if baseline.len() + current.len() < 2 {
        return None;
    }
    let mut x = Vec::new();
    let mut base = Vec::new();
    let mut cur = Vec::new();
    let mut boxes = Vec::new();
    for (group, values) in [(0.0, baseline), (1.0, current)] {
        let values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        let n = values.len();
        for (i, v) in values.iter().enumerate() {
            // Spread across the middle of the group, in measurement order.
            x.push(group + 0.2 + 0.6 * (i as f64 + 0.5) / n as f64);
            let (b, c) = if group == 0.0 {
                (Some(*v), None)
            } else {
                (None, Some(*v))
            };
            base.push(b);
            cur.push(c);
        }
        if n >= 3 {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            boxes.push(QuartileBox {
                x0: group + 0.15,
                x1: group + 0.85,
                q1: quantile(&sorted, 0.25),
                median: quantile(&sorted, 0.5),
                q3: quantile(&sorted, 0.75),
            });
        }
    }
    Some(Chart {
        title: format!("{title}: samples"),
        xkind: "group",
        x,
        xlabels: None,
        unit: unit.to_owned(),
        unit2: None,
        series: vec![
            Series::new(format!("baseline ({})", baseline.len()), base, "points").colored(BASELINE),
            Series::new(format!("current ({})", current.len()), cur, "points").colored(CURRENT),
        ],
        bands: Vec::new(),
        marks: Vec::new(),
        boxes,
    })
}

/// Linear interpolation between closest ranks of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// One point of a metric's history.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// `abc1234` or the run's date.
    pub label: String,
    pub value: f64,
}

/// History: the values of earlier runs, the current one apart, the noise
/// band across them, change points named by commit.
pub fn history(
    title: &str,
    unit: &str,
    points: &[Point],
    current: Option<f64>,
    band: Option<(f64, f64)>,
    marks: Vec<Mark>,
) -> Option<Chart> {
    let n = points.len() + usize::from(current.is_some());
    if n < 2 {
        return None;
    }
    let mut xlabels: Vec<String> = points.iter().map(|p| p.label.clone()).collect();
    let mut values: Vec<Option<f64>> = points.iter().map(|p| Some(p.value)).collect();
    let mut now = vec![None; points.len()];
    if let Some(c) = current {
        xlabels.push("current".into());
        // The line reaches the current point, which is drawn apart.
        values.push(Some(c));
        now.push(Some(c));
    }
    let mut series = vec![Series::new("history", values, "linepoints").colored(BASELINE)];
    let mut bands = Vec::new();
    if let Some((lo, hi)) = band {
        series.push(Series::new("band high", vec![Some(hi); n], "band"));
        series.push(Series::new("band low", vec![Some(lo); n], "band"));
        bands.push((1, 2));
    }
    if current.is_some() {
        series.push(Series::new("current", now, "points").colored(CURRENT));
    }
    Some(Chart {
        title: format!("{title}: history"),
        xkind: "index",
        x: (0..n).map(|i| i as f64).collect(),
        xlabels: Some(xlabels),
        unit: unit.to_owned(),
        unit2: None,
        series,
        bands,
        marks,
        boxes: Vec::new(),
    })
}

/// The quantiles of the percentile spectrum: p50 … p99.99.
pub const SPECTRUM: [f64; 7] = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999];

/// Latency by percentile from HDR histograms, baseline beside current, on a
/// log axis of `1 / (1 − q)`.
pub fn spectrum(title: &str, baseline: Option<&[f64]>, current: Option<&[f64]>) -> Option<Chart> {
    let current = current?;
    let mut series = Vec::new();
    if let Some(b) = baseline {
        series.push(
            Series::new(
                "baseline",
                b.iter().map(|v| Some(*v)).collect(),
                "linepoints",
            )
            .colored(BASELINE),
        );
    }
    series.push(
        Series::new(
            "current",
            current.iter().map(|v| Some(*v)).collect(),
            "linepoints",
        )
        .colored(CURRENT),
    );
    Some(Chart {
        title: format!("{title}: latency by percentile"),
        xkind: "quantile",
        x: SPECTRUM.iter().map(|q| 1.0 / (1.0 - q)).collect(),
        xlabels: None,
        unit: "ns".into(),
        unit2: None,
        series,
        bands: Vec::new(),
        marks: Vec::new(),
        boxes: Vec::new(),
    })
}

/// Latency at `SPECTRUM`'s quantiles from an HDR histogram (V2 compressed,
/// base64), or none when it does not decode.
pub fn percentiles(encoded: &str) -> Option<Vec<f64>> {
    use base64::Engine;
    use hdrhistogram::serialization::Deserializer;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let h: hdrhistogram::Histogram<u64> = Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .ok()?;
    (!h.is_empty()).then(|| {
        SPECTRUM
            .iter()
            .map(|q| h.value_at_quantile(*q) as f64)
            .collect()
    })
}

/// A load phase's seconds: throughput and errors, and latency (p50, p99).
pub fn load(phase: &PhaseResult) -> Vec<Chart> {
    if phase.series.len() < 2 {
        return Vec::new();
    }
    let x: Vec<f64> = phase.series.iter().map(|p| p.second as f64).collect();
    let of = |f: &dyn Fn(&crate::results::SeriesPoint) -> f64| -> Vec<Option<f64>> {
        phase.series.iter().map(|p| Some(f(p))).collect()
    };
    let mut out = vec![
        Chart {
            title: format!("{}: requests and errors per second", phase.name),
            xkind: "seconds",
            x: x.clone(),
            xlabels: None,
            unit: "per_second".into(),
            unit2: None,
            series: vec![
                Series::new("throughput", of(&|p| p.requests as f64), "line").colored("#0969da"),
                Series::new("errors", of(&|p| p.errors as f64), "line").colored(CURRENT),
            ],
            bands: Vec::new(),
            marks: Vec::new(),
            boxes: Vec::new(),
        },
        Chart {
            title: format!("{}: latency per second", phase.name),
            xkind: "seconds",
            x: x.clone(),
            xlabels: None,
            unit: "ns".into(),
            unit2: None,
            series: vec![
                Series::new("p50", of(&|p| p.p50_ns), "line").colored("#0969da"),
                Series::new("p99", of(&|p| p.p99_ns), "line").colored("#8250df"),
            ],
            bands: Vec::new(),
            marks: Vec::new(),
            boxes: Vec::new(),
        },
    ];
    if phase.series.iter().any(|p| p.memory_bytes.is_some()) {
        let mut series = vec![
            Series::new(
                "memory",
                phase.series.iter().map(|p| p.memory_bytes).collect(),
                "line",
            )
            .colored("#1a7f37"),
        ];
        // The memory profile's levels, as flat lines across the timeline.
        for (name, label) in [
            ("memory.baseline", "baseline"),
            ("memory.peak", "peak"),
            ("memory.after", "after release"),
        ] {
            if let Some(m) = phase.metric(name) {
                series.push(Series::new(label, vec![Some(m.value); x.len()], "band"));
            }
        }
        let unit2 = phase.metric("cpu.mean").map(|cpu| {
            series.push(
                Series::new("cpu (mean)", vec![Some(cpu.value); x.len()], "line")
                    .colored("#bc4c00")
                    .right(),
            );
            "ratio".to_owned()
        });
        out.push(Chart {
            title: format!("{}: the service's memory and CPU", phase.name),
            xkind: "seconds",
            x,
            xlabels: None,
            unit: "bytes".into(),
            unit2,
            series,
            bands: Vec::new(),
            marks: Vec::new(),
            boxes: Vec::new(),
        });
    }
    out
}

/// A command phase's runs: each run's wall time, and its peak memory
/// against the right axis.
pub fn command_runs(phase: &PhaseResult) -> Option<Chart> {
    let wall = phase.metric("wall").filter(|m| m.samples.len() >= 2)?;
    let memory = phase
        .metric("memory.peak")
        .filter(|m| m.samples.len() == wall.samples.len());
    let mut series = vec![
        Series::new(
            "wall",
            wall.samples.iter().map(|v| Some(*v)).collect(),
            "linepoints",
        )
        .colored("#0969da"),
    ];
    if let Some(m) = memory {
        series.push(
            Series::new(
                "memory.peak",
                m.samples.iter().map(|v| Some(*v)).collect(),
                "linepoints",
            )
            .colored("#1a7f37")
            .right(),
        );
    }
    Some(Chart {
        title: format!("{}: each run", phase.name),
        xkind: "index",
        x: (0..wall.samples.len()).map(|i| i as f64).collect(),
        xlabels: Some((1..=wall.samples.len()).map(|i| format!("#{i}")).collect()),
        unit: "ns".into(),
        unit2: memory.map(|_| "bytes".to_owned()),
        series,
        bands: Vec::new(),
        marks: Vec::new(),
        boxes: Vec::new(),
    })
}

/// The charts of one phase as a whole (not of one metric).
pub fn phase_charts(phase: &PhaseResult, baseline: Option<&PhaseResult>) -> Vec<Chart> {
    let mut out = Vec::new();
    match phase.kind {
        PhaseKind::Http => {
            // One spectrum per histogram: overall, then each step's.
            for m in phase
                .metrics
                .iter()
                .filter(|m| m.name.ends_with("latency.p50") && m.histogram.is_some())
            {
                let current = m.histogram.as_deref().and_then(percentiles);
                let base = baseline
                    .and_then(|b| b.metric(&m.name))
                    .and_then(|b| b.histogram.as_deref())
                    .and_then(percentiles);
                let name = m.name.trim_end_matches("latency.p50").trim_end_matches('.');
                let title = if name.is_empty() {
                    phase.name.clone()
                } else {
                    format!("{} {name}", phase.name)
                };
                out.extend(spectrum(&title, base.as_deref(), current.as_deref()));
            }
            out.extend(load(phase));
        }
        PhaseKind::Command => out.extend(command_runs(phase)),
        _ => {}
    }
    out
}

/// The charts of one compared metric.
pub fn metric_charts(
    m: &MetricComparison,
    comparison: &Comparison,
    baseline: Option<&Run>,
    current: Option<&Run>,
    history: &[(&Run, RunIndex<'_>)],
) -> MetricCharts {
    let unit = m.unit.as_str();
    let title = format!("{}/{}", m.phase, m.metric);
    let samples_of = |run: Option<&Run>| -> Vec<f64> {
        run.and_then(|r| r.phase(&m.phase))
            .and_then(|p| {
                let metric = p.metric(&m.metric)?;
                // `wall.p95` is a summary of `wall`'s samples, not a sample of its own.
                match (&metric.samples_of, metric.samples.is_empty()) {
                    (None, false) => Some(metric.samples.clone()),
                    _ => None,
                }
            })
            .unwrap_or_default()
    };
    let points: Vec<Point> = history
        .iter()
        .filter_map(|(run, index)| {
            let v = index.metric(&m.phase, &m.metric)?.value;
            v.is_finite().then(|| Point {
                label: run
                    .git
                    .as_ref()
                    .map(|g| crate::results::short_sha(&g.sha, 7).to_owned())
                    .unwrap_or_else(|| run.started_at.format("%m-%d %H:%M").to_string()),
                value: v,
            })
        })
        .collect();
    let marks = comparison
        .change_points
        .iter()
        .filter(|s| s.phase == m.phase && s.metric == m.metric)
        .map(|s| Mark {
            x: s.index as f64,
            label: s.sha.as_deref().map_or("uncommitted".to_owned(), |sha| {
                crate::results::short_sha(sha, 7).to_owned()
            }),
        })
        .collect();
    MetricCharts {
        samples: samples(&title, unit, &samples_of(baseline), &samples_of(current)),
        history: history_chart(&title, unit, &points, m, marks),
    }
}

fn history_chart(
    title: &str,
    unit: &str,
    points: &[Point],
    m: &MetricComparison,
    marks: Vec<Mark>,
) -> Option<Chart> {
    if points.is_empty() {
        return None;
    }
    history(
        title,
        unit,
        points,
        m.current.filter(|v| v.is_finite()),
        m.history.map(|h| (h.lower, h.upper)),
        marks,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_put_baseline_left_of_current_with_a_box_each() {
        let c = samples("p/wall", "ns", &[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0, 7.0]).unwrap();
        assert_eq!(c.x.len(), 7);
        assert!(c.x[..3].iter().all(|x| (0.0..1.0).contains(x)));
        assert!(c.x[3..].iter().all(|x| (1.0..2.0).contains(x)));
        assert!(c.x.windows(2).all(|w| w[0] < w[1]), "x ascends: {:?}", c.x);
        assert_eq!(c.series[0].values[..3], [Some(1.0), Some(2.0), Some(3.0)]);
        assert_eq!(c.series[1].values[..3], [None, None, None]);
        assert_eq!(c.boxes.len(), 2);
        assert_eq!(c.boxes[1].median, 5.5);
        assert!(samples("p/wall", "ns", &[1.0], &[]).is_none());
    }

    #[test]
    fn history_ends_at_the_current_point_inside_its_band() {
        let points = [
            Point {
                label: "aaaaaaa".into(),
                value: 1.0,
            },
            Point {
                label: "bbbbbbb".into(),
                value: 2.0,
            },
        ];
        let c = history("p/m", "ns", &points, Some(3.0), Some((0.5, 2.5)), vec![]).unwrap();
        assert_eq!(
            c.xlabels.as_deref().unwrap(),
            ["aaaaaaa", "bbbbbbb", "current"]
        );
        assert_eq!(c.bands, [(1, 2)]);
        let current = c.series.iter().find(|s| s.label == "current").unwrap();
        assert_eq!(current.values, [None, None, Some(3.0)]);
    }

    #[test]
    fn percentiles_of_a_histogram_rise_from_p50_to_p99_99() {
        let mut h =
            hdrhistogram::Histogram::<u64>::new_with_bounds(1_000, 60_000_000_000, 3).unwrap();
        for v in 1..=10_000u64 {
            h.record(v * 1_000).unwrap();
        }
        let encoded = crate::phase::http::record::encode(&h).unwrap();
        let p = percentiles(&encoded).unwrap();
        assert_eq!(p.len(), SPECTRUM.len());
        assert!(p.windows(2).all(|w| w[0] <= w[1]), "{p:?}");
        assert!((p[0] - 5_000_000.0).abs() / 5_000_000.0 < 0.01, "{p:?}");
        assert!(percentiles("not base64!").is_none());
    }
}
