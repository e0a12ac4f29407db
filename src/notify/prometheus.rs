//! Prometheus: turns a run (and its comparison) into the text exposition
//! format (version 0.0.4), for node_exporter's textfile collector or a
//! Pushgateway. The format is a few lines of text with one escaping rule
//! for label values (`\\`, `\"`, `\n`), written here rather than through a
//! metrics registry, which would hold process-wide state for one write.

use crate::compare::Comparison;
use crate::results::Run;
use std::fmt::Write as _;

/// One sample: labels (name, value) and the value.
type Sample = (Vec<(&'static str, String)>, f64);

/// A metric family and its samples.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<Sample>,
}

/// Escapes a label value as the exposition format requires.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// The exposition text of `run` and, when there is one, its comparison.
/// With `grouping`, the suite and environment labels are left to the
/// Pushgateway's grouping key (it refuses a body that repeats them).
pub fn exposition(run: &Run, comparison: Option<&Comparison>, grouping: bool) -> String {
    let group = |mut labels: Vec<(&'static str, String)>| {
        if !grouping {
            labels.insert(0, ("suite", run.suite.clone()));
            labels.push(("environment", run.environment.key.clone()));
        }
        labels
    };
    let per_metric = |phase: &str, metric: &str, unit: &str| {
        let mut l = group(vec![
            ("phase", phase.to_owned()),
            ("metric", metric.to_owned()),
        ]);
        l.push(("unit", unit.to_owned()));
        l
    };
    let mut value = Family {
        name: "perfguard_metric_value",
        help: "The metric's value in its base unit (ns, bytes, per second, ratio).",
        samples: Vec::new(),
    };
    for phase in &run.phases {
        for m in &phase.metrics {
            if m.value.is_finite() {
                value
                    .samples
                    .push((per_metric(&phase.name, &m.name, m.unit.as_str()), m.value));
            }
        }
    }
    let mut families = vec![value];
    if let Some(c) = comparison {
        let mut change = Family {
            name: "perfguard_metric_change_ratio",
            help: "Change against the baseline, signed so that positive is worse (0.1 = 10 % worse).",
            samples: Vec::new(),
        };
        let mut severity = Family {
            name: "perfguard_metric_severity",
            help: "0 unchanged or better, 1 minor, 2 major, 3 critical.",
            samples: Vec::new(),
        };
        for m in &c.comparisons {
            let labels = per_metric(&m.phase, &m.metric, m.unit.as_str());
            if let Some(x) = m.change.filter(|x| x.is_finite()) {
                change.samples.push((labels.clone(), x));
            }
            let level = match m.effective_severity() {
                crate::compare::Severity::Minor => 1.0,
                crate::compare::Severity::Major => 2.0,
                crate::compare::Severity::Critical => 3.0,
                _ => 0.0,
            };
            severity.samples.push((labels, level));
        }
        let mut verdict = Family {
            name: "perfguard_verdict_fail",
            help: "1 when the run failed the check, else 0.",
            samples: Vec::new(),
        };
        verdict.samples.push((
            group(Vec::new()),
            f64::from(u8::from(c.verdict == crate::compare::Verdict::Fail)),
        ));
        let mut budget = Family {
            name: "perfguard_slo_budget_left_ratio",
            help: "Error budget left over the SLO's window (1 = untouched, below 0 = overspent).",
            samples: Vec::new(),
        };
        let mut burn = Family {
            name: "perfguard_slo_burn_rate",
            help: "Recent bad share over the allowed share (1 spends the budget exactly over the window).",
            samples: Vec::new(),
        };
        for s in c
            .slos
            .iter()
            .filter(|s| s.status != crate::compare::slo::BudgetStatus::NoData)
        {
            let labels = group(vec![("slo", s.objective.clone())]);
            budget.samples.push((labels.clone(), s.budget_left));
            burn.samples.push((labels, s.burn_rate));
        }
        families.extend([change, severity, verdict, budget, burn]);
    }
    families.push(Family {
        name: "perfguard_run_timestamp_seconds",
        help: "When the run started, in seconds since the Unix epoch.",
        samples: vec![(group(Vec::new()), run.started_at.timestamp() as f64)],
    });

    let mut out = String::new();
    for f in families.iter().filter(|f| !f.samples.is_empty()) {
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} gauge", f.name);
        for (labels, v) in &f.samples {
            out.push_str(f.name);
            if !labels.is_empty() {
                let inner: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                    .collect();
                let _ = write!(out, "{{{}}}", inner.join(","));
            }
            let _ = writeln!(out, " {}", number(*v));
        }
    }
    out
}

/// A sample value as the format writes it (Go's float syntax).
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

/// The Pushgateway path of a suite's group: job `perfguard`, with the
/// suite and environment base64url-encoded (`@base64`) so any name, `/`
/// included, is one path segment.
pub fn push_path(run: &Run) -> String {
    use base64::Engine as _;
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s.as_bytes());
    // An empty value must be written `=` in base64 form; names are never empty.
    format!(
        "/metrics/job/perfguard/suite@base64/{}/environment@base64/{}",
        b64(&run.suite),
        b64(&run.environment.key)
    )
}

/// Writes the exposition to `path` atomically (node_exporter may read it
/// at any moment).
pub fn write_file(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => std::path::PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
    std::io::Write::write_all(&mut tmp, text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_as_the_format_says() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_label("plain {x}=y,"), "plain {x}=y,");
    }

    #[test]
    fn special_values_use_go_float_syntax() {
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(0.25), "0.25");
    }
}
