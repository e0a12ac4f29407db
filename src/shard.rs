//! Shards: one suite split across N machines (a CI matrix, a Kubernetes
//! Indexed Job) with no coordinator. `--shard I/N` turns the configuration
//! into shard I's share of it: every HTTP phase with 1/N of its load, and
//! every N-th of the other phases.
//!
//! The rule, stable for a given configuration:
//! - HTTP phases run on every shard, first, in configuration order (so that
//!   with `--start-at` their load overlaps), each with its share of the
//!   load: `vus`, `max_vus`, `iterations` and whole stage targets are split
//!   as integers, the remainder going one each to the lowest shards (so the
//!   shares add up exactly); `rate` and fractional stage targets are divided
//!   by N. `{{ iteration }}` and `{{ vu }}` stay unique across shards
//!   (shard I numbers them I, I + N, I + 2N, …).
//! - Command and ingest phases run on exactly one shard: the k-th of them in
//!   configuration order (counting from 0) runs on shard k mod N.

use crate::config::http::{HttpPhase, LoadModel};
use crate::config::{Config, ConfigError, PhaseConfig};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The environment variable a Kubernetes Indexed Job sets to the pod's index.
pub const INDEX_VAR: &str = "JOB_COMPLETION_INDEX";

/// How far in the past `--start-at` may be before it is refused: shards that
/// start a moment late still start, a stale time (a re-run job) does not.
pub const START_AT_GRACE: Duration = Duration::from_secs(10);

/// One shard of N, counting from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    /// `I/N` (0 ≤ I < N), or `env/N` where `index_var` (the value of
    /// JOB_COMPLETION_INDEX) gives I.
    pub fn parse(text: &str, index_var: Option<&str>) -> Result<Shard, String> {
        let (i, n) = text
            .split_once('/')
            .ok_or_else(|| format!("`{text}` is not a shard: expected I/N (e.g. 0/4) or env/N"))?;
        let count: u32 = n.trim().parse().ok().filter(|&n| n >= 1).ok_or_else(|| {
            format!("`{n}` in `{text}` is not a shard count: expected a whole number of at least 1")
        })?;
        let index: u32 = if i.trim() == "env" {
            let value = index_var.ok_or_else(|| {
                format!("`{text}`: {INDEX_VAR} is not set (a Kubernetes Indexed Job sets it)")
            })?;
            value
                .trim()
                .parse()
                .map_err(|_| format!("`{text}`: {INDEX_VAR}={value:?} is not a whole number"))?
        } else {
            i.trim().parse().map_err(|_| {
                format!("`{i}` in `{text}` is not a shard index: expected a whole number")
            })?
        };
        if index >= count {
            return Err(format!(
                "shard {index}/{count} does not exist: shards count from 0, so {count} shards are 0/{count} … {}/{count}",
                count - 1
            ));
        }
        Ok(Shard { index, count })
    }

    /// This shard's share of `total`: `total / N`, plus one for the first
    /// `total % N` shards, so the shares of all shards add up to `total`.
    pub fn share(self, total: u64) -> u64 {
        let n = u64::from(self.count);
        total / n + u64::from(u64::from(self.index) < total % n)
    }

    /// Whether the k-th command or ingest phase (counting from 0) is this
    /// shard's.
    pub fn owns(self, k: usize) -> bool {
        k % self.count as usize == self.index as usize
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Shard `shard`'s configuration: its HTTP phases (every one, first, with
/// this shard's share of the load), then its command and ingest phases.
/// Load too small to give every shard some is refused, naming the key.
pub fn configure(config: &Config, shard: Shard) -> Result<Config, ConfigError> {
    let mut http = Vec::new();
    let mut others = Vec::new();
    let mut k = 0;
    for (at, phase) in config.phases.iter().enumerate() {
        match phase {
            PhaseConfig::Http(p) => {
                http.push(PhaseConfig::Http(split_http(config, at, p, shard)?));
            }
            other => {
                if shard.owns(k) {
                    others.push(other.clone());
                }
                k += 1;
            }
        }
    }
    let mut sharded = config.clone();
    sharded.phases = http.into_iter().chain(others).collect();
    Ok(sharded)
}

fn split_http(
    config: &Config,
    at: usize,
    phase: &HttpPhase,
    shard: Shard,
) -> Result<HttpPhase, ConfigError> {
    let n = shard.count;
    let too_small = |key: &str, what: String| {
        config.error_at(
            &format!("phase[{at}].{key}"),
            format!(
                "{what} cannot be split across {n} shards: each shard needs a share of at least 1; use fewer shards"
            ),
        )
    };
    let mut p = phase.clone();
    match phase.load_model() {
        LoadModel::Closed => {
            let peak = phase
                .stages
                .iter()
                .map(|s| s.target)
                .fold(f64::from(phase.vus.unwrap_or(0)), f64::max);
            if peak < f64::from(n) {
                let key = if phase.stages.is_empty() {
                    "vus"
                } else {
                    "stages"
                };
                return Err(too_small(key, format!("a peak of {peak} virtual users")));
            }
            p.vus = phase.vus.map(|v| shard.share(u64::from(v)) as u32);
            for s in &mut p.stages {
                s.target = if s.target.fract() == 0.0 {
                    shard.share(s.target as u64) as f64
                } else {
                    s.target / f64::from(n)
                };
            }
        }
        LoadModel::Open => {
            let max_vus = phase.max_vus.unwrap_or(100);
            if max_vus < n {
                return Err(too_small("max_vus", format!("max_vus = {max_vus}")));
            }
            p.max_vus = Some(shard.share(u64::from(max_vus)) as u32);
            p.rate = phase.rate.map(|r| r / f64::from(n));
            for s in &mut p.stages {
                s.target /= f64::from(n);
            }
        }
    }
    if let Some(total) = phase.iterations {
        if total < u64::from(n) {
            return Err(too_small("iterations", format!("iterations = {total}")));
        }
        p.iterations = Some(shard.share(total));
    }
    p.numbering = (u64::from(n), u64::from(shard.index));
    Ok(p)
}

/// Parses `--start-at` (RFC 3339, e.g. `2026-05-04T12:00:00Z`).
pub fn parse_start_at(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{text}` is not an RFC 3339 time such as 2026-05-04T12:00:00Z: {e}"))
}

/// How long to wait until `start_at`, seen at `now`: zero when it has just
/// passed, an error when it passed more than [`START_AT_GRACE`] ago.
pub fn wait_for(start_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Duration, String> {
    match (start_at - now).to_std() {
        Ok(wait) => Ok(wait),
        Err(_) => {
            let late = (now - start_at).to_std().unwrap_or_default();
            if late <= START_AT_GRACE {
                Ok(Duration::ZERO)
            } else {
                Err(format!(
                    "--start-at {} is {:.0} s in the past (more than {} s): the shards would not overlap; give a time in the future",
                    start_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    late.as_secs_f64(),
                    START_AT_GRACE.as_secs()
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(text: &str) -> Config {
        Config::parse(text, Path::new("perfguard.toml")).unwrap()
    }

    const SUITE: &str = r#"
[suite]
name = "s"

[[phase]]
name = "a"
kind = "command"
command = ["true"]

[[phase]]
name = "load"
kind = "http"
base_url = "http://127.0.0.1:9"
vus = 10
iterations = 1003
duration = "1s"
  [[phase.step]]
  path = "/"

[[phase]]
name = "b"
kind = "command"
command = ["true"]

[[phase]]
name = "c"
kind = "command"
command = ["true"]

[[phase]]
name = "open"
kind = "http"
base_url = "http://127.0.0.1:9"
rate = 100.0
max_vus = 7
stages = [{ duration = "1s", target = 50 }]
  [[phase.step]]
  path = "/"
"#;

    fn http(c: &Config, name: &str) -> HttpPhase {
        c.phases
            .iter()
            .find_map(|p| match p {
                PhaseConfig::Http(h) if h.name == name => Some(h.clone()),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn parses_indexes_counts_and_the_environment() {
        assert_eq!(Shard::parse("2/4", None), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(
            Shard::parse("env/3", Some("1")),
            Ok(Shard { index: 1, count: 3 })
        );
        let err = Shard::parse("4/4", None).unwrap_err();
        assert!(err.contains("0/4 … 3/4"), "{err}");
        assert!(Shard::parse("env/2", None).unwrap_err().contains(INDEX_VAR));
        assert!(
            Shard::parse("env/2", Some("x"))
                .unwrap_err()
                .contains("\"x\"")
        );
        assert!(
            Shard::parse("1/0", None)
                .unwrap_err()
                .contains("at least 1")
        );
        assert!(Shard::parse("1", None).unwrap_err().contains("I/N"));
    }

    #[test]
    fn shares_add_up_exactly() {
        for total in [0u64, 1, 7, 10, 1003] {
            for count in 1..=6u32 {
                let sum: u64 = (0..count)
                    .map(|index| Shard { index, count }.share(total))
                    .sum();
                assert_eq!(sum, total, "{total} over {count}");
            }
        }
    }

    #[test]
    fn every_phase_runs_once_and_load_is_split() {
        let c = config(SUITE);
        let count = 2;
        let shards: Vec<Config> = (0..count)
            .map(|index| configure(&c, Shard { index, count }).unwrap())
            .collect();
        let names = |c: &Config| {
            c.phases
                .iter()
                .map(|p| p.name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&shards[0]), ["load", "open", "a", "c"]);
        assert_eq!(names(&shards[1]), ["load", "open", "b"]);
        let vus: Vec<_> = shards
            .iter()
            .map(|s| http(s, "load").vus.unwrap())
            .collect();
        assert_eq!(vus, [5, 5]);
        let iterations: Vec<_> = shards
            .iter()
            .map(|s| http(s, "load").iterations.unwrap())
            .collect();
        assert_eq!(iterations, [502, 501]);
        let open = http(&shards[1], "open");
        assert_eq!(open.rate, Some(50.0));
        assert_eq!(open.max_vus, Some(3));
        assert_eq!(open.stages[0].target, 25.0);
        assert_eq!(http(&shards[0], "open").max_vus, Some(4));
        assert_eq!(http(&shards[1], "load").numbering, (2, 1));
    }

    #[test]
    fn load_too_small_to_split_names_the_key() {
        let c = config(SUITE);
        let err = configure(
            &c,
            Shard {
                index: 0,
                count: 11,
            },
        )
        .unwrap_err();
        assert_eq!(err.key.as_deref(), Some("phase[1].vus"));
        assert!(err.location.is_some());
        assert!(err.to_string().contains("across 11 shards"), "{err}");
        let err = configure(&c, Shard { index: 0, count: 8 }).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("phase[4].max_vus"), "{err}");
    }

    #[test]
    fn start_times_in_the_past_are_refused_beyond_the_grace() {
        let now = parse_start_at("2026-05-04T12:00:00Z").unwrap();
        let later = parse_start_at("2026-05-04T14:00:05+02:00").unwrap();
        assert_eq!(wait_for(later, now), Ok(Duration::from_secs(5)));
        let just = parse_start_at("2026-05-04T11:59:58Z").unwrap();
        assert_eq!(wait_for(just, now), Ok(Duration::ZERO));
        let stale = parse_start_at("2026-05-04T11:00:00Z").unwrap();
        assert!(
            wait_for(stale, now)
                .unwrap_err()
                .contains("3600 s in the past")
        );
        assert!(parse_start_at("noon").unwrap_err().contains("RFC 3339"));
    }
}
