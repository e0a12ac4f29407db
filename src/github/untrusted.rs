//! Untrusted comparison: turns the comparison JSON a fork pull request's run
//! saved into a `Comparison` the trusted half may render: bounded in size,
//! every string and list capped, parsed strictly, and its `worst` and
//! `verdict` recomputed from the per-metric data instead of believed.

use crate::compare::Comparison;
use serde_json::Value;

/// The most bytes a saved comparison may take (`PERFGUARD_MAX_INPUT_MIB`
/// lowers it): far beyond any real suite, small enough to read at once.
pub const MAX_BYTES: u64 = 16 << 20;
/// The most characters one string in it may take (a note, a stderr tail).
pub const MAX_STRING_CHARS: usize = 8_192;
/// The most entries one list in it may take (metrics, criteria, notes).
pub const MAX_LIST_LEN: usize = 10_000;
/// The deepest nesting of objects and lists (the layout needs 4).
const MAX_DEPTH: usize = 8;

/// Why a saved comparison is refused: a message fragment for
/// `GithubError::Report`.
pub type Refusal = String;

/// Parses, bounds and re-judges a saved comparison (`compare --format
/// json`, or the `comparison-path` that `check` saves).
pub fn comparison(bytes: &[u8]) -> Result<Comparison, Refusal> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("is not UTF-8: {e}"))?;
    let start = text.trim_start();
    if !start.starts_with('{') {
        return Err(if start.starts_with("<!--") || start.starts_with('#') {
            "is Markdown (a rendered report), not a comparison JSON; perfguard no longer posts \
             Markdown from another run: pass the comparison the run saved beside it \
             (perfguard-report/SUITE.comparison.json, the `comparison-path` output)"
                .into()
        } else {
            "is not a comparison JSON object (`perfguard compare --format json`, or the \
             `comparison-path` output of `perfguard check`)"
                .into()
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| {
        format!(
            "is not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        )
    })?;
    bounded(&value, "", 0)?;
    match value.get("schema_version").and_then(Value::as_u64) {
        Some(v) if v >= 1 && v <= u64::from(crate::compare::COMPARISON_SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "has schema_version {v}, which this perfguard does not read ({})",
                crate::compare::COMPARISON_SCHEMA_VERSION
            ));
        }
        None => return Err("has no schema_version: is it a comparison JSON?".into()),
    }
    let mut c: Comparison = serde_path_to_error::deserialize(value)
        .map_err(|e| format!("is not a comparison at `{}`: {}", e.path(), e.inner()))?;
    if c.suite.trim().is_empty() {
        return Err("names no suite".into());
    }
    // The run that wrote it is the pull request's code: its `verdict` and
    // `worst` are whatever it chose to write. The per-metric severities and
    // criterion outcomes are shown, so the headline must agree with them.
    c.rejudge();
    Ok(c)
}

/// Refuses a value with a string, list or nesting past the caps, naming
/// where.
fn bounded(v: &Value, path: &str, depth: usize) -> Result<(), Refusal> {
    let at = |p: &str| {
        if p.is_empty() {
            "the top".to_owned()
        } else {
            format!("`{p}`")
        }
    };
    if depth > MAX_DEPTH {
        return Err(format!(
            "nests deeper than {MAX_DEPTH} levels at {}",
            at(path)
        ));
    }
    match v {
        Value::String(s) if s.chars().count() > MAX_STRING_CHARS => Err(format!(
            "has a string of over {MAX_STRING_CHARS} characters at {}",
            at(path)
        )),
        Value::Array(items) => {
            if items.len() > MAX_LIST_LEN {
                return Err(format!(
                    "has a list of {} entries at {}, over {MAX_LIST_LEN}",
                    items.len(),
                    at(path)
                ));
            }
            items
                .iter()
                .enumerate()
                .try_for_each(|(i, item)| bounded(item, &format!("{path}[{i}]"), depth + 1))
        }
        Value::Object(fields) => fields.iter().try_for_each(|(k, item)| {
            if k.chars().count() > MAX_STRING_CHARS {
                return Err(format!("has an over-long key at {}", at(path)));
            }
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            bounded(item, &p, depth + 1)
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{Severity, Verdict};

    fn saved(edit: impl FnOnce(&mut Value)) -> Vec<u8> {
        let mut v = serde_json::json!({
            "schema_version": 1,
            "suite": "api",
            "verdict": "pass",
            "worst": "unchanged",
            "fail_on": "major",
            "current": {"suite": "api", "environment": "ci", "started_at": "2026-11-21T12:00:00Z"},
            "comparisons": [{
                "phase": "startup", "metric": "wall", "unit": "ns", "direction": "lower",
                "baseline": 100e6, "current": 161e6, "change": 0.61, "severity": "critical",
                "baseline_samples": 10, "current_samples": 10
            }],
            "criteria": []
        });
        edit(&mut v);
        v.to_string().into_bytes()
    }

    #[test]
    fn a_forged_pass_over_a_critical_metric_is_judged_fail() {
        let c = comparison(&saved(|_| {})).unwrap();
        assert_eq!(c.worst, Severity::Critical);
        assert_eq!(c.verdict, Verdict::Fail);
    }

    #[test]
    fn a_failed_criterion_fails_whatever_the_verdict_says() {
        let c = comparison(&saved(|v| {
            v["comparisons"][0]["severity"] = "unchanged".into();
            v["criteria"] = serde_json::json!([{
                "phase": "startup", "metric": "wall", "criterion": "< 50ms",
                "actual": 161e6, "unit": "ns", "passed": false
            }]);
        }))
        .unwrap();
        assert_eq!(c.worst, Severity::Unchanged);
        assert_eq!(c.verdict, Verdict::Fail);
    }

    #[test]
    fn markdown_is_refused_as_markdown() {
        let e = comparison(b"<!-- perfguard:api -->\n### \xe2\x9c\x85 pass\n").unwrap_err();
        assert!(e.contains("is Markdown"), "{e}");
        assert!(e.contains("comparison.json"), "{e}");
    }

    #[test]
    fn an_over_long_string_or_list_is_refused_naming_where() {
        let e = comparison(&saved(|v| {
            v["notes"] = serde_json::json!(["x".repeat(MAX_STRING_CHARS + 1)]);
        }))
        .unwrap_err();
        assert!(e.contains("`notes[0]`"), "{e}");
        let e = comparison(&saved(|v| {
            v["recommendations"] = Value::Array(vec!["r".into(); MAX_LIST_LEN + 1]);
        }))
        .unwrap_err();
        assert!(e.contains("`recommendations`"), "{e}");
    }

    #[test]
    fn a_wrong_field_is_named_by_its_path() {
        let e =
            comparison(&saved(|v| v["comparisons"][0]["severity"] = "fine".into())).unwrap_err();
        assert!(e.contains("comparisons[0].severity"), "{e}");
        let e = comparison(&saved(|v| v["schema_version"] = 99.into())).unwrap_err();
        assert!(e.contains("schema_version 99"), "{e}");
    }
}
