//! Recording: turns request outcomes into HDR histograms (overall, per step,
//! per target switch), error counts by kind and a per-second series, and
//! those into the phase's metrics.

use crate::metrics::Unit;
use crate::results::{Direction, Metric, SeriesPoint};
use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};
use std::collections::BTreeMap;

/// Lowest discernible latency: 1 µs, in nanoseconds.
const LOW_NS: u64 = 1_000;
/// Highest trackable latency: 60 s, in nanoseconds (longer saturates).
const HIGH_NS: u64 = 60_000_000_000;

/// A latency histogram in nanoseconds, µs precision up to 60 s.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOW_NS, HIGH_NS, 3).expect("valid histogram bounds")
}

fn coarse_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(LOW_NS, HIGH_NS, 2).expect("valid histogram bounds")
}

/// The kinds of failed request, as named in metrics (`errors.<kind>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ErrorKind {
    Connect,
    Timeout,
    Status,
    Check,
    Capture,
    Request,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 6] = [
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Status,
        ErrorKind::Check,
        ErrorKind::Capture,
        ErrorKind::Request,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Status => "status",
            ErrorKind::Check => "check",
            ErrorKind::Capture => "capture",
            ErrorKind::Request => "request",
        }
    }
}

/// One request's outcome.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub step: usize,
    /// Seconds since load started, when it completed.
    pub second: u64,
    /// Latency, when a response arrived.
    pub latency_ns: Option<u64>,
    pub error: Option<(ErrorKind, &'a str)>,
    pub checks_passed: u32,
    pub checks_total: u32,
    pub bytes_received: u64,
    pub bytes_sent: u64,
    /// The first request after a change of target.
    pub switched: bool,
}

/// Requests of one second, before its percentiles are read.
#[derive(Debug)]
struct Second {
    second: u64,
    requests: u64,
    errors: u64,
    latency: Histogram<u64>,
}

impl Second {
    fn new(second: u64) -> Second {
        Second {
            second,
            requests: 0,
            errors: 0,
            latency: coarse_histogram(),
        }
    }
}

/// Everything measured by a share of the virtual users.
#[derive(Debug)]
pub struct Recorder {
    pub overall: Histogram<u64>,
    pub steps: Vec<Histogram<u64>>,
    pub step_requests: Vec<u64>,
    pub step_errors: Vec<u64>,
    pub switch: Histogram<u64>,
    pub requests: u64,
    pub failed: u64,
    pub errors: BTreeMap<ErrorKind, u64>,
    /// The first message seen of each error kind.
    pub examples: BTreeMap<ErrorKind, String>,
    pub checks_passed: u64,
    pub checks_total: u64,
    pub bytes_received: u64,
    pub bytes_sent: u64,
    current: Option<Second>,
}

impl Recorder {
    pub fn new(steps: usize) -> Recorder {
        Recorder {
            overall: latency_histogram(),
            steps: (0..steps).map(|_| latency_histogram()).collect(),
            step_requests: vec![0; steps],
            step_errors: vec![0; steps],
            switch: latency_histogram(),
            requests: 0,
            failed: 0,
            errors: BTreeMap::new(),
            examples: BTreeMap::new(),
            checks_passed: 0,
            checks_total: 0,
            bytes_received: 0,
            bytes_sent: 0,
            current: None,
        }
    }

    /// Records one request; returns the finished second when this one
    /// starts a new second.
    pub fn record(&mut self, o: &Outcome<'_>) -> Option<SecondDone> {
        self.requests += 1;
        self.step_requests[o.step] += 1;
        if let Some(ns) = o.latency_ns {
            self.overall.saturating_record(ns);
            self.steps[o.step].saturating_record(ns);
            if o.switched {
                self.switch.saturating_record(ns);
            }
        }
        if let Some((kind, message)) = o.error {
            self.failed += 1;
            self.step_errors[o.step] += 1;
            *self.errors.entry(kind).or_default() += 1;
            self.examples
                .entry(kind)
                .or_insert_with(|| message.to_owned());
        }
        self.checks_passed += u64::from(o.checks_passed);
        self.checks_total += u64::from(o.checks_total);
        self.bytes_received += o.bytes_received;
        self.bytes_sent += o.bytes_sent;

        let mut done = None;
        if self.current.as_ref().is_some_and(|c| c.second < o.second) {
            done = self.current.take().map(SecondDone);
        }
        let cur = self.current.get_or_insert_with(|| Second::new(o.second));
        cur.requests += 1;
        cur.errors += u64::from(o.error.is_some());
        if let Some(ns) = o.latency_ns {
            cur.latency.saturating_record(ns);
        }
        done
    }

    /// Hands over the current second if it ended before `now_second`.
    pub fn take_stale(&mut self, now_second: u64) -> Option<SecondDone> {
        if self.current.as_ref().is_some_and(|c| c.second < now_second) {
            return self.current.take().map(SecondDone);
        }
        None
    }

    /// Hands over the current second whatever its age (at the end).
    pub fn take_current(&mut self) -> Option<SecondDone> {
        self.current.take().map(SecondDone)
    }

    /// Adds another recorder's totals into this one.
    pub fn merge(&mut self, other: &Recorder) {
        let _ = self.overall.add(&other.overall);
        for (a, b) in self.steps.iter_mut().zip(&other.steps) {
            let _ = a.add(b);
        }
        for (a, b) in self.step_requests.iter_mut().zip(&other.step_requests) {
            *a += b;
        }
        for (a, b) in self.step_errors.iter_mut().zip(&other.step_errors) {
            *a += b;
        }
        let _ = self.switch.add(&other.switch);
        self.requests += other.requests;
        self.failed += other.failed;
        for (k, v) in &other.errors {
            *self.errors.entry(*k).or_default() += v;
        }
        for (k, v) in &other.examples {
            self.examples.entry(*k).or_insert_with(|| v.clone());
        }
        self.checks_passed += other.checks_passed;
        self.checks_total += other.checks_total;
        self.bytes_received += other.bytes_received;
        self.bytes_sent += other.bytes_sent;
    }
}

/// A second one recorder has finished with.
#[derive(Debug)]
pub struct SecondDone(Second);

/// The per-second series: seconds still open hold a histogram; closed ones
/// keep only their summary, so memory stays flat over long runs.
#[derive(Debug, Default)]
pub struct Series {
    open: BTreeMap<u64, Second>,
    pub points: Vec<SeriesPoint>,
}

impl Series {
    pub fn add(&mut self, SecondDone(s): SecondDone) {
        if let Some(p) = self.points.iter_mut().rev().find(|p| p.second == s.second) {
            // Arrived after the second was closed: counts still add up.
            p.requests += s.requests;
            p.errors += s.errors;
            return;
        }
        match self.open.get_mut(&s.second) {
            Some(o) => {
                o.requests += s.requests;
                o.errors += s.errors;
                let _ = o.latency.add(&s.latency);
            }
            None => {
                self.open.insert(s.second, s);
            }
        }
    }

    /// Closes every open second before `second`, noting `memory` on them.
    pub fn close_before(&mut self, second: u64, memory: Option<f64>) {
        let later = self.open.split_off(&second);
        let closing = std::mem::replace(&mut self.open, later);
        for (_, s) in closing {
            // Seconds nobody recorded in stay absent; the gap itself says so.
            self.points.push(SeriesPoint {
                second: s.second,
                requests: s.requests,
                errors: s.errors,
                p50_ns: quantile(&s.latency, 0.5),
                p99_ns: quantile(&s.latency, 0.99),
                memory_bytes: memory,
            });
        }
        self.points.sort_by_key(|p| p.second);
    }
}

fn quantile(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        h.value_at_quantile(q) as f64
    }
}

/// The histogram in HDR V2 compressed form, base64 (as HdrHistogram's
/// `encodeIntoCompressedByteBuffer` and its base64 log format).
pub fn encode(h: &Histogram<u64>) -> Option<String> {
    let mut buf = Vec::new();
    V2DeflateSerializer::new().serialize(h, &mut buf).ok()?;
    Some(base64::engine::general_purpose::STANDARD.encode(buf))
}

/// A histogram written by [`encode`] (HDR V2 compressed, base64).
pub fn decode(text: &str) -> Result<Histogram<u64>, String> {
    use hdrhistogram::serialization::Deserializer;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("the histogram is not base64: {e}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| format!("the histogram is not an HDR V2 histogram: {e:?}"))
}

/// The value a latency metric named `…latency.<suffix>` reads from `h`.
pub fn latency_value(h: &Histogram<u64>, suffix: &str) -> Option<f64> {
    Some(match suffix {
        "p50" => h.value_at_quantile(0.50) as f64,
        "p90" => h.value_at_quantile(0.90) as f64,
        "p95" => h.value_at_quantile(0.95) as f64,
        "p99" => h.value_at_quantile(0.99) as f64,
        "max" => h.max() as f64,
        "mean" => h.mean(),
        _ => return None,
    })
}

/// `latency.p50` … `latency.mean` under `prefix`, each carrying the histogram.
pub fn latency_metrics(prefix: &str, h: &Histogram<u64>) -> Vec<Metric> {
    if h.is_empty() {
        return Vec::new();
    }
    let encoded = encode(h);
    ["p50", "p90", "p95", "p99", "max", "mean"]
        .into_iter()
        .map(|suffix| (suffix, latency_value(h, suffix).expect("a known suffix")))
        .map(|(suffix, value)| Metric {
            histogram: encoded.clone(),
            ..Metric::new(
                format!("{prefix}latency.{suffix}"),
                Unit::Ns,
                Direction::Lower,
                value,
            )
        })
        .collect()
}

/// The phase's request metrics from the merged recorder.
pub fn metrics(r: &Recorder, step_names: &[String], seconds: f64, switches: bool) -> Vec<Metric> {
    let mut out = latency_metrics("", &r.overall);
    // Proportions carry their counts, so comparisons can test them as such.
    let proportion = |name: String, direction: Direction, count: u64, total: u64| Metric {
        count: Some(count),
        total: Some(total),
        ..Metric::new(
            name,
            Unit::Ratio,
            direction,
            if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            },
        )
    };
    out.push(Metric::new(
        "throughput",
        Unit::PerSecond,
        Direction::Higher,
        if seconds > 0.0 {
            r.requests as f64 / seconds
        } else {
            0.0
        },
    ));
    out.push(Metric::new(
        "requests",
        Unit::Count,
        Direction::Higher,
        r.requests as f64,
    ));
    out.push(proportion(
        "error_rate".into(),
        Direction::Lower,
        r.failed,
        r.requests,
    ));
    if r.checks_total > 0 {
        out.push(proportion(
            "checks".into(),
            Direction::Higher,
            r.checks_passed,
            r.checks_total,
        ));
    }
    for kind in ErrorKind::ALL {
        let n = r.errors.get(&kind).copied().unwrap_or(0);
        out.push(Metric::new(
            format!("errors.{}", kind.name()),
            Unit::Count,
            Direction::Lower,
            n as f64,
        ));
    }
    out.push(Metric::new(
        "bytes.received",
        Unit::Bytes,
        Direction::Lower,
        r.bytes_received as f64,
    ));
    out.push(Metric::new(
        "bytes.sent",
        Unit::Bytes,
        Direction::Lower,
        r.bytes_sent as f64,
    ));
    if switches {
        out.extend(latency_metrics("switch.", &r.switch));
    }
    for (i, name) in step_names.iter().enumerate() {
        out.extend(latency_metrics(&format!("step.{name}."), &r.steps[i]));
        out.push(Metric::new(
            format!("step.{name}.requests"),
            Unit::Count,
            Direction::Higher,
            r.step_requests[i] as f64,
        ));
        out.push(proportion(
            format!("step.{name}.error_rate"),
            Direction::Lower,
            r.step_errors[i],
            r.step_requests[i],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::Deserializer;

    fn outcome(second: u64, ns: u64, error: Option<(ErrorKind, &str)>) -> Outcome<'_> {
        Outcome {
            step: 0,
            second,
            latency_ns: Some(ns),
            error,
            checks_passed: 1,
            checks_total: 1,
            bytes_received: 10,
            bytes_sent: 0,
            switched: false,
        }
    }

    #[test]
    fn encoded_histograms_decode_and_merge_exactly() {
        let mut a = Recorder::new(1);
        let mut b = Recorder::new(1);
        for i in 1..=1000u64 {
            a.record(&outcome(0, i * 1_000_000, None));
            b.record(&outcome(0, i * 2_000_000, None));
        }
        let decode = |s: String| -> Histogram<u64> {
            let bytes = base64::engine::general_purpose::STANDARD.decode(s).unwrap();
            Deserializer::new()
                .deserialize(&mut bytes.as_slice())
                .unwrap()
        };
        let mut merged = decode(encode(&a.overall).unwrap());
        merged.add(decode(encode(&b.overall).unwrap())).unwrap();
        a.merge(&b);
        assert_eq!(merged, a.overall);
        assert_eq!(merged.len(), 2000);
    }

    #[test]
    fn seconds_close_into_points_with_counts_and_percentiles() {
        let mut r = Recorder::new(1);
        let mut series = Series::default();
        for _ in 0..99 {
            assert!(r.record(&outcome(0, 1_000_000, None)).is_none());
        }
        r.record(&outcome(0, 500_000_000, Some((ErrorKind::Status, "503"))));
        let done = r
            .record(&outcome(1, 2_000_000, None))
            .expect("second 0 handed over");
        series.add(done);
        series.close_before(1, Some(1e6));
        series.add(r.take_current().unwrap());
        series.close_before(5, None);
        assert_eq!(series.points.len(), 2);
        let p = &series.points[0];
        assert_eq!((p.second, p.requests, p.errors), (0, 100, 1));
        assert!(p.p50_ns < 1.1e6 && p.p99_ns >= 0.99e6, "{p:?}");
        assert_eq!(p.memory_bytes, Some(1e6));
        assert_eq!(series.points[1].requests, 1);
    }

    #[test]
    fn metrics_name_error_kinds_and_rates() {
        let mut r = Recorder::new(1);
        r.record(&outcome(0, 1_000, None));
        r.record(&outcome(0, 1_000, Some((ErrorKind::Check, "x"))));
        let m = metrics(&r, &["get".into()], 2.0, false);
        let get = |n: &str| m.iter().find(|x| x.name == n).unwrap().value;
        assert_eq!(get("throughput"), 1.0);
        assert_eq!(get("error_rate"), 0.5);
        let rate = m.iter().find(|x| x.name == "error_rate").unwrap();
        assert_eq!((rate.count, rate.total), (Some(1), Some(2)));
        assert_eq!(get("errors.check"), 1.0);
        assert_eq!(get("errors.connect"), 0.0);
        assert_eq!(get("step.get.requests"), 2.0);
        assert!(m.iter().all(|x| !x.name.starts_with("switch.")));
    }
}
