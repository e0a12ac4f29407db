//! Julia BenchmarkTools: turns a `BenchmarkTools.save` JSON file
//! (`[VERSIONS, [objects…]]`, each object `["TypeName", {fields}]`) into
//! metrics. A `BenchmarkGroup`'s keys nest into `outer/inner/name`; a
//! `Trial` is valued at the median of its `times` (ns) with the times as
//! samples; a `TrialEstimate` (`median(results)`, what
//! github-action-benchmark's julia tool reads) at its `time`. `NAME.memory`
//! is bytes and `NAME.allocs` a count.

use super::json::{self, Strict};
use super::{Problem, line_of_key, time_ns, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use crate::stats::summary::median;
use serde_json::Value;

/// Whether a JSON value is a BenchmarkTools file.
pub fn looks_like(value: &Value) -> bool {
    value
        .get(0)
        .is_some_and(|v| v.get("BenchmarkTools").is_some())
        && value.get(1).is_some_and(Value::is_array)
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let Strict(doc) = json::from_str(text)?;
    let objects = match doc.as_array().map(Vec::as_slice) {
        Some([versions, Value::Array(objects)]) if versions.is_object() => objects,
        _ => {
            return Err(Problem::at(
                1,
                "expected BenchmarkTools' `[VERSIONS, [objects…]]`",
            ));
        }
    };
    let mut metrics = Vec::new();
    for object in objects {
        walk(text, object, "", &mut metrics)?;
    }
    Ok(metrics)
}

/// One `["TypeName", {fields}]` under `path`.
fn walk(text: &str, object: &Value, path: &str, out: &mut Vec<Metric>) -> Result<(), Problem> {
    let near = |m: String| {
        let key = path.rsplit('/').next().unwrap_or(path);
        Problem::near(line_of_key(text, key), m)
    };
    let what = if path.is_empty() {
        "a saved object".to_owned()
    } else {
        format!("`{path}`")
    };
    let (kind, fields) = match object.as_array().map(Vec::as_slice) {
        Some([Value::String(kind), Value::Object(fields)]) => (kind, fields),
        _ => return Err(near(format!("{what} is not `[\"TypeName\", {{fields}}]`"))),
    };
    let kind = kind.strip_prefix("BenchmarkTools.").unwrap_or(kind);
    let number = |key: &str| -> Result<f64, Problem> {
        let v = fields
            .get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| near(format!("{what}: `{key}` is missing or not a number")))?;
        super::non_negative(v, &format!("{what} `{key}`")).map_err(near)
    };
    match kind {
        "BenchmarkGroup" => {
            let data = fields
                .get("data")
                .and_then(Value::as_object)
                .ok_or_else(|| near(format!("{what}: a BenchmarkGroup without `data`")))?;
            for (key, value) in data {
                if key.is_empty() {
                    return Err(near(format!("{what}: a benchmark with an empty key")));
                }
                let name = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}/{key}")
                };
                walk(text, value, &name, out)?;
            }
        }
        "Trial" | "TrialEstimate" if path.is_empty() => {
            return Err(near(format!(
                "a {kind} saved outside a BenchmarkGroup has no name; save the group"
            )));
        }
        "Trial" => {
            let times: Vec<f64> = fields
                .get("times")
                .and_then(Value::as_array)
                .ok_or_else(|| near(format!("{what}: a Trial without `times`")))?
                .iter()
                .map(|t| {
                    t.as_f64()
                        .and_then(|t| super::non_negative(t, "a time").ok())
                        .ok_or_else(|| {
                            near(format!(
                                "{what}: a time `{t}` is not a number of zero or more"
                            ))
                        })
                })
                .collect::<Result<_, _>>()?;
            let value =
                median(&times).ok_or_else(|| near(format!("{what}: a Trial with no times")))?;
            out.push(with_samples(time_ns(path, value), times));
            push_memory(path, number("memory")?, number("allocs")?, out);
        }
        "TrialEstimate" => {
            out.push(time_ns(path, number("time")?));
            push_memory(path, number("memory")?, number("allocs")?, out);
        }
        "TrialRatio" | "TrialJudgement" => {
            return Err(near(format!(
                "{what} is a {kind}, a comparison, not a measurement; save the results or their estimates"
            )));
        }
        // Parameters and TagFilter describe runs; they hold no results.
        _ => {}
    }
    Ok(())
}

fn push_memory(path: &str, memory: f64, allocs: f64, out: &mut Vec<Metric>) {
    out.push(Metric::new(
        format!("{path}.memory"),
        Unit::Bytes,
        Direction::Lower,
        memory,
    ));
    out.push(Metric::new(
        format!("{path}.allocs"),
        Unit::Count,
        Direction::Lower,
        allocs,
    ));
}
