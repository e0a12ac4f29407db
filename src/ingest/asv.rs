//! asv (airspeed velocity): turns one results file
//! (`.asv/results/MACHINE/COMMIT-ENV.json`, results version 2) into
//! metrics. A benchmark's type is its name's prefix, as asv decides it:
//! `time_`/`timeraw_` seconds → ns, `mem_`/`peakmem_` bytes, `track_` (and
//! any other type) a plain number; lower is better, as asv's own compare
//! takes it. Parameterized benchmarks become `NAME(p1, p2)` per combination,
//! with asv's parameter reprs, as asv prints them. `samples` (with
//! `--record-samples`) are kept. A failed benchmark (`null`) is a failed
//! run; a skipped one (`NaN`, asv's `n/a`) has no value and is left out.

use super::json::{self, UniqueKeys};
use super::{Problem, line_of_key, with_samples};
use crate::metrics::Unit;
use crate::results::{Direction, Metric};
use serde::Deserialize;
use serde_json::Value;
use std::borrow::Cow;

/// Read first: older versions have another layout.
#[derive(Deserialize)]
struct Version {
    version: u64,
}

#[derive(Deserialize)]
struct Results {
    #[serde(default)]
    result_columns: Vec<String>,
    results: UniqueKeys<Vec<Value>>,
}

/// Whether a JSON value is an asv results file.
pub fn looks_like(value: &Value) -> bool {
    value.get("results").is_some_and(Value::is_object)
        && (value.get("result_columns").is_some() || value.get("commit_hash").is_some())
}

/// Python's `json` writes `NaN` and `Infinity`, which JSON has not: quote
/// them outside strings (same lines and columns but for the quotes), so
/// that a skip (`NaN`) can be told from a number.
fn quote_python_numbers(text: &str) -> Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = ["NaN", "-Infinity", "Infinity"]
            .into_iter()
            .find(|t| rest.starts_with(t))
        {
            out.push('"');
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// The unit and factor of a benchmark type (its name's last part's prefix).
fn kind(name: &str) -> (Unit, f64) {
    let last = name.rsplit('.').next().unwrap_or(name);
    if last.starts_with("time_") || last.starts_with("timeraw_") {
        (Unit::Ns, 1e9)
    } else if last.starts_with("mem_") || last.starts_with("peakmem_") {
        (Unit::Bytes, 1.0)
    } else {
        (Unit::Count, 1.0)
    }
}

/// Every combination of the parameter lists, the last varying fastest
/// (`itertools.product`, as asv orders its results).
fn combinations(params: &[Vec<String>]) -> Vec<Vec<&str>> {
    params.iter().fold(vec![Vec::new()], |acc, values| {
        acc.iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut c = prefix.clone();
                    c.push(v.as_str());
                    c
                })
            })
            .collect()
    })
}

/// A list column of one benchmark: a list per combination, or `null`s.
fn column(row: &[Value], at: Option<usize>) -> Option<&Vec<Value>> {
    at.and_then(|i| row.get(i)).and_then(Value::as_array)
}

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let quoted = quote_python_numbers(text);
    let version: Version = json::from_str(&quoted)?;
    if version.version != 2 {
        return Err(Problem::near(
            line_of_key(text, "version"),
            format!(
                "asv results version {} (perfguard reads version 2, asv 0.5 and later); `asv update` converts old results",
                version.version
            ),
        ));
    }
    let results: Results = json::from_str(&quoted)?;
    let at = |c: &str| results.result_columns.iter().position(|k| k == c);
    let Some(result_at) = at("result") else {
        return Err(Problem::near(
            line_of_key(text, "result_columns"),
            "`result_columns` has no `result`",
        ));
    };
    let (params_at, samples_at) = (at("params"), at("samples"));
    let mut metrics = Vec::new();
    for (name, row) in &results.results.0 {
        let problem = |m: String| Problem::near(line_of_key(text, name), format!("`{name}`: {m}"));
        let values: Vec<&Value> = match row.get(result_at) {
            Some(Value::Null) => {
                return Err(Problem {
                    failed: true,
                    ..problem(
                        "failed (`null` result; asv printed `failed` and its traceback)".into(),
                    )
                });
            }
            Some(Value::Array(values)) => values.iter().collect(),
            Some(v @ (Value::Number(_) | Value::String(_))) => vec![v],
            _ => return Err(problem("expected a list of results".into())),
        };
        let params: Vec<Vec<String>> = match params_at.and_then(|i| row.get(i)) {
            None | Some(Value::Null) => Vec::new(),
            Some(p) => serde_json::from_value(p.clone())
                .map_err(|e| problem(format!("`params` is not lists of strings: {e}")))?,
        };
        let combos = combinations(&params);
        if combos.len() != values.len() {
            return Err(problem(format!(
                "{} results for {} parameter combinations",
                values.len(),
                combos.len()
            )));
        }
        let samples = column(row, samples_at);
        let (unit, factor) = kind(name);
        for (i, (value, combo)) in values.into_iter().zip(&combos).enumerate() {
            let full = if params.is_empty() {
                name.clone()
            } else {
                format!("{name}({})", combo.join(", "))
            };
            let value = match value {
                Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
                Value::String(s) if s == "NaN" => continue, // skipped: asv's n/a
                Value::Null => {
                    return Err(Problem {
                        failed: true,
                        ..problem(format!("`{full}` failed (`null` result)"))
                    });
                }
                other => return Err(problem(format!("`{full}`: `{other}` is not a number"))),
            };
            let value = super::non_negative(value, &format!("`{full}`"))
                .map_err(|m| Problem::near(line_of_key(text, name), m))?;
            let raw: Vec<f64> = match samples.and_then(|s| s.get(i)) {
                Some(Value::Array(s)) => s
                    .iter()
                    .map(|v| {
                        v.as_f64()
                            .and_then(|v| super::non_negative(v, "a sample").ok())
                            .map(|v| v * factor)
                            .ok_or_else(|| {
                                problem(format!(
                                    "`{full}`: sample `{v}` is not a number of zero or more"
                                ))
                            })
                    })
                    .collect::<Result<_, _>>()?,
                _ => Vec::new(),
            };
            let metric = Metric::new(full, unit.clone(), Direction::Lower, value * factor);
            metrics.push(with_samples(metric, raw));
        }
    }
    Ok(metrics)
}
