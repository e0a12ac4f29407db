//! k6: turns `--summary-export` JSON (and the `handleSummary` JSON shape,
//! whose stats sit under `values`) into metrics named `METRIC.STAT`
//! (`http_req_duration.p(95)`): trends of time in nanoseconds, counters as
//! count and rate, rates as ratios. Gauges (`vus`) are settings, not results,
//! and are left out.

use super::{Problem, line_of_key};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde_json::{Map, Value};

/// k6's built-in trends that measure time (in milliseconds).
const TIME_TRENDS: &[&str] = &[
    "http_req_duration",
    "http_req_blocked",
    "http_req_connecting",
    "http_req_tls_handshaking",
    "http_req_sending",
    "http_req_waiting",
    "http_req_receiving",
    "iteration_duration",
    "group_duration",
    "ws_connecting",
    "ws_session_duration",
    "grpc_req_duration",
];

/// Metrics where less is better; for the rest of counters and rates, more is.
const LOWER_IS_BETTER: &[&str] = &["http_req_failed", "dropped_iterations"];

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let root: Value = super::json::from_str(text)?;
    let Some(metrics) = root.get("metrics").and_then(Value::as_object) else {
        return Err(Problem::whole(
            "no `metrics` object; is this k6 --summary-export output?",
        ));
    };
    let mut out = Vec::new();
    for (name, body) in metrics {
        let problem =
            |m: String| Problem::near(line_of_key(text, name), format!("metric `{name}`: {m}"));
        let Some(body) = body.as_object() else {
            return Err(problem("expected an object".into()));
        };
        // handleSummary nests the stats under `values`; --summary-export does not.
        let stats = body
            .get("values")
            .and_then(Value::as_object)
            .unwrap_or(body);
        let number = |key: &str| -> Result<Option<f64>, Problem> {
            match stats.get(key) {
                None => Ok(None),
                Some(v) => {
                    let n = v
                        .as_f64()
                        .ok_or_else(|| problem(format!("`{key}` is not a number")))?;
                    super::non_negative(n, &format!("`{key}`"))
                        .map(Some)
                        .map_err(problem)
                }
            }
        };
        let kind = body
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_else(|| infer(stats));
        let base = name.split('{').next().unwrap_or(name);
        let lower = LOWER_IS_BETTER.contains(&base);
        match kind {
            "trend" => {
                let is_time = body.get("contains").and_then(Value::as_str) == Some("time")
                    || TIME_TRENDS.contains(&base);
                for stat in stats.keys() {
                    if stat == "thresholds" || stat == "count" {
                        continue;
                    }
                    let value = number(stat)?.unwrap_or_default();
                    out.push(if is_time {
                        super::time_ns(format!("{name}.{stat}"), value * 1e6)
                    } else {
                        Metric::new(
                            format!("{name}.{stat}"),
                            Unit::Count,
                            Direction::Lower,
                            value,
                        )
                    });
                }
            }
            "counter" => {
                let bytes = base.starts_with("data_");
                let direction = if lower {
                    Direction::Lower
                } else {
                    Direction::Higher
                };
                if let Some(count) = number("count")? {
                    let unit = if bytes { Unit::Bytes } else { Unit::Count };
                    out.push(Metric::new(format!("{name}.count"), unit, direction, count));
                }
                if let Some(rate) = number("rate")? {
                    out.push(Metric::new(
                        format!("{name}.rate"),
                        Unit::PerSecond,
                        direction,
                        rate,
                    ));
                }
            }
            "rate" => {
                let Some(rate) = number("rate")?.or(number("value")?) else {
                    return Err(problem("a rate without `rate` or `value`".into()));
                };
                if rate > 1.0 {
                    return Err(problem(format!("rate {rate} is above 1")));
                }
                let direction = if lower {
                    Direction::Lower
                } else {
                    Direction::Higher
                };
                out.push(Metric::new(name.clone(), Unit::Ratio, direction, rate));
            }
            "gauge" => {}
            other => return Err(problem(format!("unknown metric type `{other}`"))),
        }
    }
    Ok(out)
}

/// The metric type of a `--summary-export` entry, from its keys.
fn infer(stats: &Map<String, Value>) -> &'static str {
    if stats.contains_key("avg") || stats.contains_key("med") {
        "trend"
    } else if stats.contains_key("passes") && stats.contains_key("fails") {
        "rate"
    } else if stats.contains_key("count") {
        "counter"
    } else {
        "gauge"
    }
}
