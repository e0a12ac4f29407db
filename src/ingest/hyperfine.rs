//! hyperfine: turns `--export-json` output into per-command metrics in
//! nanoseconds: the median with every run's time as samples, the mean, and
//! mean user and system time.

use super::json::{self, NonNeg};
use super::{Problem, summary_of, time_ns, with_samples};
use crate::results::Metric;
use serde::Deserialize;

#[derive(Deserialize)]
struct Export {
    results: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    command: String,
    mean: NonNeg,
    median: NonNeg,
    #[serde(default)]
    user: Option<NonNeg>,
    #[serde(default)]
    system: Option<NonNeg>,
    #[serde(default)]
    times: Option<Vec<NonNeg>>,
}

const NS: f64 = 1e9;

pub fn parse(text: &str) -> Result<Vec<Metric>, Problem> {
    let export: Export = json::from_str(text)?;
    let mut metrics = Vec::new();
    for e in export.results {
        let samples: Vec<f64> = e
            .times
            .as_deref()
            .map(json::plain)
            .unwrap_or_default()
            .into_iter()
            .map(|s| s * NS)
            .collect();
        let wall = with_samples(time_ns(&e.command, e.median.0 * NS), samples);
        let mean = summary_of(time_ns(format!("{}.mean", e.command), e.mean.0 * NS), &wall);
        metrics.push(wall);
        metrics.push(mean);
        if let Some(user) = e.user {
            metrics.push(time_ns(format!("{}.user", e.command), user.0 * NS));
        }
        if let Some(system) = e.system {
            metrics.push(time_ns(format!("{}.system", e.command), system.0 * NS));
        }
    }
    Ok(metrics)
}
