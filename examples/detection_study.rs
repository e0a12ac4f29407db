//! Detection study: turns synthetic benchmark series with known answers
//! into false-positive and detection rates for perfguard and for the two
//! rules peers use, printed as the Markdown tables of docs/DETECTION.md.
//!
//!     cargo run --example detection_study -- [trials per cell, default 1000]
//!
//! The last table is issue 11's: baseline mode with thin history (with and
//! without the `runner_noise` allowance) and with a history band, against
//! paired mode, when runners differ between runs and the machine's speed
//! wanders within one job.
//!
//! Every series is drawn from a fixed seed (SplitMix64 + Box-Muller), so
//! the output is the same on every machine.

use perfguard::compare::paired::compare_paired;
use perfguard::compare::{Policy, compare_history};
use perfguard::config::ThresholdsConfig;
use perfguard::metrics::Unit;
use perfguard::results::{Direction, Environment, Metric, PhaseKind, PhaseResult, Run};
use perfguard::stats::summary::median;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

/// Samples per side, as the issue asks.
const SAMPLES: usize = 30;
/// Earlier runs of the metric (the baseline is the newest of them).
const HISTORY: usize = 10;
/// Chance that a sample is an outlier, and how much slower it then is.
const OUTLIER_RATE: f64 = 0.02;
const NOISES: [f64; 3] = [0.01, 0.05, 0.10];
const CHANGES: [f64; 6] = [0.0, 0.05, 0.10, 0.20, 0.50, 1.00];

struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        // SplitMix64 (Steele, Lea & Flood, 2014).
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        // Box-Muller.
        let u1 = self.uniform().max(f64::MIN_POSITIVE);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Normal,
    LogNormal,
}

/// One run's samples around `mean` with coefficient of variation `cv`.
fn samples(rng: &mut Rng, shape: Shape, mean: f64, cv: f64) -> Vec<f64> {
    (0..SAMPLES)
        .map(|_| {
            let z = rng.normal();
            let x = match shape {
                Shape::Normal => mean * (1.0 + cv * z),
                Shape::LogNormal => {
                    let s = (1.0 + cv * cv).ln().sqrt();
                    mean * (s * z - s * s / 2.0).exp()
                }
            };
            if rng.uniform() < OUTLIER_RATE {
                x * (1.5 + 1.5 * rng.uniform())
            } else {
                x
            }
            .max(mean * 1e-3)
        })
        .collect()
}

fn run(day: i64, s: Vec<f64>) -> Run {
    let t = chrono::DateTime::from_timestamp(1_700_000_000 + day * 86_400, 0).unwrap();
    Run {
        schema_version: perfguard::results::SCHEMA_VERSION,
        suite: "study".into(),
        environment: Environment {
            key: "study".into(),
            os: "synthetic".into(),
            arch: "x86_64".into(),
            cpu_model: "synthetic".into(),
            cores: 2,
            memory_bytes: 0,
            runner: None,
        },
        git: None,
        started_at: t,
        finished_at: t,
        partial: false,
        shard: None,
        phases: vec![PhaseResult {
            name: "bench".into(),
            kind: PhaseKind::Command,
            series: Vec::new(),
            load_started_at: None,
            errors: vec![],
            metrics: vec![Metric {
                value: median(&s).unwrap(),
                samples: s,
                ..Metric::new("wall", Unit::Ns, Direction::Lower, 0.0)
            }],
            criteria: BTreeMap::new(),
        }],
    }
}

fn value(r: &Run) -> f64 {
    r.phases[0].metrics[0].value
}

/// The rules compared, each answering "regression?" for one trial.
const RULES: [&str; 6] = [
    "perfguard (history + samples)",
    "perfguard (samples only)",
    "perfguard, minor = 3 %",
    "ratio ≥ 2.0 on last value (github-action-benchmark default)",
    "ratio ≥ 1.1 on last value",
    "t-test vs history, 0.99 (Bencher default)",
];

fn judge(history: &[Run], current: &Run, policies: &[Policy; 2]) -> [bool; 6] {
    let baseline = history.last().unwrap();
    let perf = |h: &[Run], p: &Policy| {
        compare_history(Some(baseline), current, h, p).comparisons[0]
            .effective_severity()
            .is_regression()
    };
    let ratio = value(current) / value(baseline);
    // Bencher's Student's t-test: upper limit mean + t(0.99, n−1)·s of the
    // history's values.
    let v: Vec<f64> = history.iter().map(value).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let t = StudentsT::new(0.0, 1.0, n - 1.0).unwrap().inverse_cdf(0.99);
    [
        perf(history, &policies[0]),
        perf(&[], &policies[0]),
        perf(history, &policies[1]),
        ratio >= 2.0,
        ratio >= 1.1,
        value(current) > mean + t * sd,
    ]
}

fn main() {
    let trials: usize = std::env::args()
        .nth(1)
        .map_or(1000, |a| a.parse().expect("trials: a whole number"));
    let default = Policy::new(ThresholdsConfig::default());
    let sensitive = Policy::new(ThresholdsConfig {
        minor: 3.0,
        major: 10.0,
        critical: 50.0,
        ..ThresholdsConfig::default()
    });
    let policies = [default, sensitive];
    let mut rng = Rng(0x5EED_2026);
    println!(
        "Trials per cell: {trials}; {SAMPLES} samples a side; {HISTORY} earlier runs; outliers: {:.0} % of samples ×1.5–3.\n",
        OUTLIER_RATE * 100.0
    );
    let mut scenarios = Vec::new();
    for (shape, shape_name) in [(Shape::Normal, "normal"), (Shape::LogNormal, "log-normal")] {
        for noise in NOISES {
            scenarios.push((shape, shape_name, noise, 0.0));
        }
    }
    // Shared CI runners: each run's level also moves by a normal 5 %
    // between runs (machines differ), which samples inside one run cannot see.
    scenarios.push((Shape::Normal, "normal", 0.05, 0.05));
    for (shape, shape_name, noise, drift) in scenarios {
        {
            let mut hits = [[0usize; 6]; CHANGES.len()];
            for (ci, change) in CHANGES.iter().enumerate() {
                for _ in 0..trials {
                    let level = |rng: &mut Rng| 100.0 * (1.0 + drift * rng.normal());
                    let history: Vec<Run> = (0..HISTORY)
                        .map(|d| {
                            let mean = level(&mut rng);
                            run(d as i64, samples(&mut rng, shape, mean, noise))
                        })
                        .collect();
                    let mean = level(&mut rng) * (1.0 + change);
                    let current = run(HISTORY as i64, samples(&mut rng, shape, mean, noise));
                    for (k, hit) in judge(&history, &current, &policies).iter().enumerate() {
                        hits[ci][k] += usize::from(*hit);
                    }
                }
            }
            if drift > 0.0 {
                println!(
                    "### {shape_name} noise, CV {:.0} %, and runs moving {:.0} % between runners\n",
                    noise * 100.0,
                    drift * 100.0
                );
            } else {
                println!("### {shape_name} noise, CV {:.0} %\n", noise * 100.0);
            }
            print!("| rule | FP (0 %) |");
            for c in &CHANGES[1..] {
                print!(" {:.0} % |", c * 100.0);
            }
            println!();
            println!("|---|--:|--:|--:|--:|--:|--:|");
            for (k, name) in RULES.iter().enumerate() {
                print!("| {name} |");
                for row in &hits {
                    print!(" {:.1} % |", row[k] as f64 * 100.0 / trials as f64);
                }
                println!();
            }
            println!();
        }
    }
    shared_runner(trials, &mut rng);
}

/// One run's samples whose round `i` runs at `levels[i]` of its speed.
fn rounds(rng: &mut Rng, levels: &[f64], mean: f64, cv: f64) -> Vec<f64> {
    levels
        .iter()
        .map(|l| {
            let x = mean * l * (1.0 + cv * rng.normal());
            if rng.uniform() < OUTLIER_RATE {
                x * (1.5 + 1.5 * rng.uniform())
            } else {
                x
            }
            .max(mean * 1e-3)
        })
        .collect()
}

/// Issue 11's scenario: each job runs on another runner (its level moves by
/// a normal 5 % between jobs), and within a job the speed wanders (each
/// round's level moves by a normal 5 %, as a neighbour comes and goes);
/// samples have a CV of 5 %. Baseline mode compares a job of the head with
/// an earlier job of the base; paired mode runs base and head in the same
/// job, round by round.
fn shared_runner(trials: usize, rng: &mut Rng) {
    const BETWEEN: f64 = 0.05;
    const WITHIN: f64 = 0.05;
    const NOISE: f64 = 0.05;
    let policy = |minor: f64, cross_runner: bool, runner_noise: f64| {
        let mut p = Policy::new(ThresholdsConfig {
            minor,
            ..ThresholdsConfig::default()
        });
        p.cross_runner = cross_runner;
        p.compare.runner_noise = runner_noise;
        p
    };
    let defaults = ThresholdsConfig::default();
    let thin_off = policy(defaults.minor, true, 0.0);
    let thin = policy(defaults.minor, true, 7.5);
    let paired = policy(defaults.minor, false, 0.0);
    let paired_3 = policy(3.0, false, 0.0);
    let rules = [
        "baseline mode, 1 earlier run, no allowance",
        "baseline mode, 1 earlier run, `runner_noise` 7.5 % (thin history)",
        "baseline mode, 10 earlier runs (history band)",
        "paired mode, 30 interleaved rounds",
        "paired mode, 30 interleaved rounds, minor = 3 %",
    ];
    let mut hits = [[0usize; 5]; CHANGES.len()];
    for (ci, change) in CHANGES.iter().enumerate() {
        for _ in 0..trials {
            let job = |rng: &mut Rng, mean: f64| {
                let level = 1.0 + BETWEEN * rng.normal();
                let levels: Vec<f64> = (0..SAMPLES)
                    .map(|_| level * (1.0 + WITHIN * rng.normal()))
                    .collect();
                rounds(rng, &levels, mean, NOISE)
            };
            let history: Vec<Run> = (0..HISTORY)
                .map(|d| run(d as i64, job(rng, 100.0)))
                .collect();
            let current = run(HISTORY as i64, job(rng, 100.0 * (1.0 + change)));
            let last = history.last().unwrap();
            let graded = |c: perfguard::compare::Comparison| {
                c.comparisons[0].effective_severity().is_regression()
            };
            // Paired: one job, both sides in each round at its level.
            let level = 1.0 + BETWEEN * rng.normal();
            let levels: Vec<f64> = (0..SAMPLES)
                .map(|_| level * (1.0 + WITHIN * rng.normal()))
                .collect();
            let base = run(0, rounds(rng, &levels, 100.0, NOISE));
            let head = run(1, rounds(rng, &levels, 100.0 * (1.0 + change), NOISE));
            let answers = [
                graded(compare_history(Some(last), &current, &[], &thin_off)),
                graded(compare_history(Some(last), &current, &[], &thin)),
                graded(compare_history(Some(last), &current, &history, &thin)),
                graded(compare_paired(&base, &head, &paired)),
                graded(compare_paired(&base, &head, &paired_3)),
            ];
            for (k, hit) in answers.iter().enumerate() {
                hits[ci][k] += usize::from(*hit);
            }
        }
    }
    println!(
        "### Shared runners: jobs moving {:.0} % between runners, rounds {:.0} % within a job, CV {:.0} %\n",
        BETWEEN * 100.0,
        WITHIN * 100.0,
        NOISE * 100.0
    );
    print!("| rule | FP (0 %) |");
    for c in &CHANGES[1..] {
        print!(" {:.0} % |", c * 100.0);
    }
    println!();
    println!("|---|--:|--:|--:|--:|--:|--:|");
    for (k, name) in rules.iter().enumerate() {
        print!("| {name} |");
        for row in &hits {
            print!(" {:.1} % |", row[k] as f64 * 100.0 / trials as f64);
        }
        println!();
    }
    println!();
}
