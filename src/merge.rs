//! Merging shards: the results of `--shard 0/N` … `--shard N-1/N` → one run
//! of the whole suite, exactly. HDR histograms are added and percentiles read
//! again from the sum (never averaged), counts and proportions summed,
//! per-second series aligned by their start time, samples concatenated.
//! Shards of different suites, configurations or commits, duplicates and
//! gaps are refused, naming the files.

use crate::phase::http::record;
use crate::results::{Metric, PhaseError, PhaseKind, PhaseResult, Run, SeriesPoint};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why shards do not merge; every message names the files concerned.
#[derive(Debug, thiserror::Error)]
#[error("cannot merge: {0}")]
pub struct MergeError(pub String);

/// One shard's results and the file they came from.
#[derive(Debug)]
pub struct Part {
    pub path: PathBuf,
    pub run: Run,
}

/// The merged run, and what the caller should warn about.
#[derive(Debug)]
pub struct Merged {
    pub run: Run,
    pub warnings: Vec<String>,
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

/// Merges every shard of one suite into one run.
pub fn merge(mut parts: Vec<Part>) -> Result<Merged, MergeError> {
    let err = |m: String| Err(MergeError(m));
    if parts.is_empty() {
        return err("no results files given".into());
    }
    for p in &parts {
        if p.run.shard.is_none() {
            return err(format!(
                "{} is not a shard (it has no `shard` block): merge only results written by `run --shard I/N` or `check --shard I/N`",
                shown(&p.path)
            ));
        }
    }
    let info = |p: &Part| p.run.shard.clone().expect("checked above");
    let first = info(&parts[0]);
    for p in &parts[1..] {
        let s = info(p);
        if p.run.suite != parts[0].run.suite || s.config_hash != first.config_hash {
            return err(format!(
                "{} (suite `{}`, configuration {}) and {} (suite `{}`, configuration {}) are shards of different suites or configurations",
                shown(&parts[0].path),
                parts[0].run.suite,
                short(&first.config_hash),
                shown(&p.path),
                p.run.suite,
                short(&s.config_hash)
            ));
        }
        if s.count != first.count {
            return err(format!(
                "{} is a shard of {} and {} a shard of {}: shards of one run share their count",
                shown(&parts[0].path),
                first.count,
                shown(&p.path),
                s.count
            ));
        }
        let sha = |r: &Run| r.git.as_ref().map(|g| g.sha.clone());
        if let (Some(a), Some(b)) = (sha(&parts[0].run), sha(&p.run))
            && a != b
        {
            return err(format!(
                "{} measured commit {} and {} commit {}: shards of one run measure one commit",
                shown(&parts[0].path),
                crate::results::short_sha(&a, 12),
                shown(&p.path),
                crate::results::short_sha(&b, 12)
            ));
        }
    }
    parts.sort_by_key(|p| info(p).index);
    for w in parts.windows(2) {
        if info(&w[0]).index == info(&w[1]).index {
            return err(format!(
                "{} and {} are both shard {}/{}",
                shown(&w[0].path),
                shown(&w[1].path),
                info(&w[0]).index,
                first.count
            ));
        }
    }
    let have: Vec<u32> = parts.iter().map(|p| info(p).index).collect();
    if let Some(missing) = (0..first.count).find(|i| !have.contains(i)) {
        let given: Vec<String> = parts
            .iter()
            .map(|p| format!("{}/{} from {}", info(p).index, first.count, shown(&p.path)))
            .collect();
        return err(format!(
            "shard {missing}/{} is missing (given: {})",
            first.count,
            given.join(", ")
        ));
    }

    let mut warnings = Vec::new();
    for p in &parts[1..] {
        if p.run.environment.key != parts[0].run.environment.key {
            warnings.push(format!(
                "{} was measured in environment `{}`, {} in `{}`; the merged run takes `{}` (set [suite] environment to one key for all shards)",
                shown(&parts[0].path),
                parts[0].run.environment.key,
                shown(&p.path),
                p.run.environment.key,
                parts[0].run.environment.key
            ));
        }
    }

    let phases = first
        .phases
        .iter()
        .map(|name| merge_phase(name, &parts))
        .collect::<Result<Vec<_>, _>>()?;
    for p in &parts {
        if let Some(extra) = p
            .run
            .phases
            .iter()
            .find(|x| !first.phases.contains(&x.name))
        {
            return err(format!(
                "{} holds phase `{}`, which its configuration does not list",
                shown(&p.path),
                extra.name
            ));
        }
    }
    let base = &parts[0].run;
    let run = Run {
        schema_version: crate::results::SCHEMA_VERSION,
        suite: base.suite.clone(),
        environment: base.environment.clone(),
        git: base.git.clone(),
        started_at: parts.iter().map(|p| p.run.started_at).min().expect("parts"),
        finished_at: parts
            .iter()
            .map(|p| p.run.finished_at)
            .max()
            .expect("parts"),
        partial: parts.iter().any(|p| p.run.partial),
        shard: None,
        phases,
    };
    Ok(Merged { run, warnings })
}

fn short(hash: &str) -> &str {
    crate::results::short_sha(hash, 12)
}

/// One phase of the suite from the shards that ran it: a command or ingest
/// phase from its one shard, an HTTP phase from all of them.
fn merge_phase(name: &str, parts: &[Part]) -> Result<PhaseResult, MergeError> {
    let found: Vec<(&Part, &PhaseResult)> = parts
        .iter()
        .filter_map(|p| p.run.phase(name).map(|r| (p, r)))
        .collect();
    let Some((_, head)) = found.first() else {
        // A shard cut short (Ctrl-C) may not have reached a phase.
        let partial: Vec<String> = parts
            .iter()
            .filter(|p| p.run.partial)
            .map(|p| shown(&p.path))
            .collect();
        return if partial.is_empty() {
            Err(MergeError(format!("no shard holds phase `{name}`")))
        } else {
            Ok(PhaseResult {
                errors: vec![PhaseError {
                    message: format!(
                        "not measured: the shard that runs it was interrupted ({})",
                        partial.join(", ")
                    ),
                    exit_code: None,
                    stderr_tail: None,
                }],
                ..PhaseResult::new(name, PhaseKind::Command, BTreeMap::new())
            })
        };
    };
    if head.kind != PhaseKind::Http {
        if let [(a, _), (b, _), ..] = found.as_slice() {
            return Err(MergeError(format!(
                "phase `{name}` is in both {} and {}: a {} phase runs on one shard",
                shown(&a.path),
                shown(&b.path),
                head.kind
            )));
        }
        return Ok((*head).clone());
    }
    if found.len() != parts.len() && !parts.iter().any(|p| p.run.partial) {
        let missing: Vec<String> = parts
            .iter()
            .filter(|p| p.run.phase(name).is_none())
            .map(|p| shown(&p.path))
            .collect();
        return Err(MergeError(format!(
            "HTTP phase `{name}` is missing from {} (every shard runs its share of an HTTP phase)",
            missing.join(", ")
        )));
    }
    merge_http(name, &found)
}

fn merge_http(name: &str, found: &[(&Part, &PhaseResult)]) -> Result<PhaseResult, MergeError> {
    let head = found[0].1;
    let mut out = PhaseResult::new(name, PhaseKind::Http, head.criteria.clone());
    for (part, phase) in found {
        let shard = part.run.shard.as_ref().expect("checked");
        for e in &phase.errors {
            out.errors.push(PhaseError {
                message: format!("shard {}/{}: {}", shard.index, shard.count, e.message),
                ..e.clone()
            });
        }
    }
    // Metrics in the order the first shard lists them, then any only later
    // shards have (a step whose requests all failed there has no latency).
    let mut names: Vec<&str> = Vec::new();
    for (_, phase) in found {
        for m in &phase.metrics {
            if !names.contains(&m.name.as_str()) {
                names.push(&m.name);
            }
        }
    }
    for metric in names {
        let each: Vec<(&Part, &Metric)> = found
            .iter()
            .filter_map(|(p, r)| r.metric(metric).map(|m| (*p, m)))
            .collect();
        out.metrics.push(merge_metric(name, &each)?);
    }
    out.load_started_at = found.iter().filter_map(|(_, r)| r.load_started_at).min();
    out.series = merge_series(found, out.load_started_at);
    Ok(out)
}

/// One metric of an HTTP phase from every shard that has it.
fn merge_metric(phase: &str, each: &[(&Part, &Metric)]) -> Result<Metric, MergeError> {
    let (_, head) = each[0];
    let mut m = head.clone();
    m.samples = each
        .iter()
        .flat_map(|(_, x)| x.samples.iter().copied())
        .collect();
    let name = head.name.as_str();
    if head.histogram.is_some() {
        let suffix = name.rsplit('.').next().unwrap_or_default();
        let mut sum = record::latency_histogram();
        for (part, x) in each {
            let bad = |why: String| {
                MergeError(format!(
                    "{}: phase `{phase}`, metric `{name}`: {why}",
                    shown(&part.path)
                ))
            };
            let text = x
                .histogram
                .as_deref()
                .ok_or_else(|| bad("no histogram, where other shards have one".into()))?;
            let h = record::decode(text).map_err(bad)?;
            sum.add(&h)
                .map_err(|e| bad(format!("the histogram does not add up: {e:?}")))?;
        }
        m.value = record::latency_value(&sum, suffix).ok_or_else(|| {
            MergeError(format!(
                "phase `{phase}`: metric `{name}` carries a histogram but is not a latency percentile, max or mean"
            ))
        })?;
        m.histogram = record::encode(&sum);
    } else if head.count.is_some() || head.total.is_some() {
        let count: u64 = each.iter().filter_map(|(_, x)| x.count).sum();
        let total: u64 = each.iter().filter_map(|(_, x)| x.total).sum();
        m.count = Some(count);
        m.total = Some(total);
        m.value = if total == 0 {
            0.0
        } else {
            count as f64 / total as f64
        };
    } else if name.starts_with("memory.") || name == "cpu.mean" {
        // The service as the shard that saw it busiest.
        m.value = each.iter().map(|(_, x)| x.value).fold(f64::MIN, f64::max);
    } else if name == "throughput"
        || name == "requests"
        || name.starts_with("errors.")
        || name.starts_with("bytes.")
        || name.ends_with(".requests")
    {
        // The shards ran at once: their rates and counts add.
        m.value = each.iter().map(|(_, x)| x.value).sum();
    } else {
        return Err(MergeError(format!(
            "{}: phase `{phase}`: metric `{name}` is not one perfguard knows how to merge",
            shown(&each[0].0.path)
        )));
    }
    Ok(m)
}

/// The shards' per-second points on one clock: each shard's seconds are
/// moved by the whole seconds its load started after the earliest shard's.
/// Requests and errors add up exactly; a second's p50 and p99 are the
/// highest any shard saw (its histograms are not kept), memory the highest.
fn merge_series(
    found: &[(&Part, &PhaseResult)],
    earliest: Option<chrono::DateTime<chrono::Utc>>,
) -> Vec<SeriesPoint> {
    let mut by_second: BTreeMap<u64, SeriesPoint> = BTreeMap::new();
    for (_, phase) in found {
        let offset = match (phase.load_started_at, earliest) {
            (Some(t), Some(t0)) => {
                ((t - t0).num_milliseconds().max(0) as f64 / 1000.0).round() as u64
            }
            _ => 0,
        };
        for p in &phase.series {
            let second = p.second + offset;
            let slot = by_second.entry(second).or_insert_with(|| SeriesPoint {
                second,
                requests: 0,
                errors: 0,
                p50_ns: 0.0,
                p99_ns: 0.0,
                memory_bytes: None,
            });
            slot.requests += p.requests;
            slot.errors += p.errors;
            slot.p50_ns = slot.p50_ns.max(p.p50_ns);
            slot.p99_ns = slot.p99_ns.max(p.p99_ns);
            slot.memory_bytes = match (slot.memory_bytes, p.memory_bytes) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
        }
    }
    by_second.into_values().collect()
}
