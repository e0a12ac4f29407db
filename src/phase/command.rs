//! Command phases: turns a `kind = "command"` plan into wall, CPU and memory
//! metrics over repeated runs (hyperfine-like).

use super::progress::Progress;
use crate::config::{CommandLine, CommandPhase, criteria_text};
use crate::interrupt::Interrupt;
use crate::metrics::Unit;
use crate::process::{Executor, Exit, Invocation, ProcessError, RunOutcome};
use crate::results::{Direction, Metric, PhaseError, PhaseKind, PhaseResult};
use crate::stats::summary::{mean, median, outliers, percentile};
use std::path::Path;
use std::time::{Duration, Instant};

/// Samples of the timed runs.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    pub wall: Vec<f64>,
    pub user: Vec<f64>,
    pub sys: Vec<f64>,
    pub rss: Vec<f64>,
}

/// How long `cleanup` may run when the phase sets no `timeout`.
pub const CLEANUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs a command phase: warm-up, timed runs, cleanup. Never fails as a
/// whole: what went wrong lands in the result's `errors`.
pub fn run(
    phase: &CommandPhase,
    base_dir: &Path,
    executor: &mut dyn Executor,
    interrupt: &Interrupt,
    progress: &mut dyn Progress,
) -> PhaseResult {
    let mut errors = Vec::new();
    // A missing directory would otherwise read as "cannot start" the program.
    if let Some(cwd) = &phase.cwd {
        let dir = base_dir.join(cwd);
        if !dir.is_dir() {
            errors.push(PhaseError {
                message: format!(
                    "the phase's `cwd` {} is not a directory{}",
                    dir.display(),
                    if dir.exists() {
                        ""
                    } else {
                        " (it does not exist)"
                    }
                ),
                exit_code: None,
                stderr_tail: None,
            });
            return PhaseResult {
                errors,
                ..PhaseResult::new(
                    &phase.name,
                    PhaseKind::Command,
                    criteria_text(&phase.criteria),
                )
            };
        }
    }
    let samples = measure(phase, base_dir, executor, interrupt, progress, &mut errors);
    if let Some(cleanup) = &phase.cleanup {
        // Cleanup runs even after an interrupt or a timeout, so it has a
        // bound of its own: the phase's `timeout`, or a minute.
        let limit = phase.timeout.map_or(CLEANUP_TIMEOUT, |t| t.0);
        let inv = invocation(cleanup, phase, base_dir);
        let outcome = executor.execute(&inv, Some(Instant::now() + limit));
        let timed_out = matches!(&outcome, Ok(o) if o.exit == Exit::TimedOut);
        if let Err(mut e) = expect_success(outcome, "cleanup command") {
            if timed_out {
                e.message = format!(
                    "cleanup command was killed after {} s (its limit is the phase's `timeout`, else {} s)",
                    limit.as_secs_f64(),
                    CLEANUP_TIMEOUT.as_secs()
                );
            }
            errors.push(e);
        }
    }
    PhaseResult {
        errors,
        metrics: metrics(&samples),
        ..PhaseResult::new(
            &phase.name,
            PhaseKind::Command,
            criteria_text(&phase.criteria),
        )
    }
}

fn measure(
    phase: &CommandPhase,
    base_dir: &Path,
    executor: &mut dyn Executor,
    interrupt: &Interrupt,
    progress: &mut dyn Progress,
    errors: &mut Vec<PhaseError>,
) -> Samples {
    let mut samples = Samples::default();
    let deadline = phase.timeout.map(|t| Instant::now() + t.0);
    let command = invocation(&phase.command, phase, base_dir);
    let prepare = phase
        .prepare
        .as_ref()
        .map(|p| invocation(p, phase, base_dir));
    // One round: the prepare command (if any), then the command.
    let steps: Vec<&Invocation> = prepare.iter().chain([&command]).collect();
    let command_step = steps.len() - 1;
    let min_time = phase.min_time.map_or(Duration::ZERO, |d| d.0);
    let mut timed = Duration::ZERO;
    let mut run_index: u32 = 0;
    let warmup = phase.warmup;
    let mut stop = false;

    loop {
        let planned = warmup + phase.runs;
        if stop || interrupt.is_set() || (run_index >= planned && timed >= min_time) {
            break;
        }
        // The planned runs in one go; then, for `min_time`, as many as the
        // time still missing holds at the slowest run so far (at least one),
        // so the rounds never run past what the loop would have stopped at.
        let rounds = if run_index < planned {
            planned - run_index
        } else if samples.wall.is_empty() {
            1
        } else {
            let slowest = samples.wall.iter().copied().fold(1.0, f64::max);
            let missing = (min_time - timed).as_nanos() as f64;
            ((missing / slowest).floor() as u32).max(1)
        };
        let before = run_index;
        executor.execute_rounds(&steps, rounds, deadline, &mut |step, outcome| {
            let warming = run_index < warmup;
            let counted = run_index.saturating_sub(warmup);
            if step != command_step {
                if let Err(e) = expect_success(outcome, "prepare command") {
                    errors.push(e);
                    stop = true;
                }
                return !stop;
            }
            let outcome = match outcome {
                Ok(o) => o,
                Err(e) => {
                    errors.push(PhaseError {
                        message: e.to_string(),
                        exit_code: None,
                        stderr_tail: None,
                    });
                    stop = true;
                    return false;
                }
            };
            match outcome.exit {
                Exit::Code(0) => {}
                Exit::Interrupted => {
                    stop = true;
                    return false;
                }
                other => {
                    let what = if warming {
                        format!("warm-up run {}", run_index + 1)
                    } else {
                        format!("run {}", counted + 1)
                    };
                    errors.push(failure(&what, other, phase, outcome.stderr_tail));
                    stop = true;
                    return false;
                }
            }
            if !warming {
                timed += Duration::from_nanos(outcome.wall_ns as u64);
                samples.wall.push(outcome.wall_ns);
                samples.user.push(outcome.user_ns);
                samples.sys.push(outcome.sys_ns);
                samples.rss.push(outcome.max_rss_bytes);
                progress.run_done(&phase.name, counted + 1, phase.runs);
            }
            run_index += 1;
            true
        });
        if run_index == before && !stop {
            // Nothing ran and nothing said why: the executor gave up.
            break;
        }
    }
    samples
}

fn failure(
    what: &str,
    exit: Exit,
    phase: &CommandPhase,
    stderr_tail: Option<String>,
) -> PhaseError {
    let (message, exit_code) = match exit {
        Exit::Code(c) => (
            format!("{what} of `{}` exited with code {c}", phase.command),
            Some(c),
        ),
        Exit::Signal(s) => (
            format!("{what} of `{}` was killed by signal {s}", phase.command),
            None,
        ),
        Exit::TimedOut => (
            format!(
                "{what} of `{}` passed the phase timeout of {:?}; its process group was killed",
                phase.command,
                phase.timeout.map(|t| t.0).unwrap_or_default()
            ),
            None,
        ),
        Exit::Interrupted => (format!("{what} was interrupted"), None),
    };
    PhaseError {
        message,
        exit_code,
        stderr_tail: stderr_tail.filter(|s| !s.trim().is_empty()),
    }
}

fn expect_success(outcome: Result<RunOutcome, ProcessError>, what: &str) -> Result<(), PhaseError> {
    match outcome {
        Ok(RunOutcome {
            exit: Exit::Code(0),
            ..
        }) => Ok(()),
        Ok(o) => Err(PhaseError {
            message: match o.exit {
                Exit::Code(c) => format!("{what} exited with code {c}"),
                Exit::Signal(s) => format!("{what} was killed by signal {s}"),
                Exit::TimedOut => format!("{what} passed the phase timeout"),
                Exit::Interrupted => format!("{what} was interrupted"),
            },
            exit_code: match o.exit {
                Exit::Code(c) => Some(c),
                _ => None,
            },
            stderr_tail: o.stderr_tail.filter(|s| !s.trim().is_empty()),
        }),
        Err(e) => Err(PhaseError {
            message: format!("{what}: {e}"),
            exit_code: None,
            stderr_tail: None,
        }),
    }
}

/// The program and arguments of a command line: argument arrays run
/// directly, strings by `sh -c`. Every phase's commands are split here.
pub fn split(line: &CommandLine) -> Invocation {
    match line {
        CommandLine::Argv(argv) => Invocation::argv(argv),
        CommandLine::Shell(s) => Invocation::shell(s),
    }
}

/// Builds a command phase's invocation, with the program found on PATH.
pub fn invocation(line: &CommandLine, phase: &CommandPhase, base_dir: &Path) -> Invocation {
    let mut inv = split(line);
    // Searching PATH is the harness's work, not the command's: done once
    // here rather than by every timed spawn.
    let path = phase
        .env
        .get("PATH")
        .cloned()
        .or_else(|| std::env::var("PATH").ok());
    if let Some(found) = resolve(&inv.program, path.as_deref()) {
        inv.program = found;
    }
    let cwd = match &phase.cwd {
        Some(c) => Some(base_dir.join(c)),
        None if base_dir != Path::new(".") && base_dir != Path::new("") => {
            Some(base_dir.to_owned())
        }
        None => None,
    };
    inv.env(&phase.env).cwd(cwd)
}

/// The first executable `program` on `path`, for a bare program name.
fn resolve(program: &str, path: Option<&str>) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    if program.contains('/') {
        return None;
    }
    path?.split(':').filter(|d| !d.is_empty()).find_map(|dir| {
        let candidate = Path::new(dir).join(program);
        let meta = std::fs::metadata(&candidate).ok()?;
        (meta.is_file() && meta.permissions().mode() & 0o111 != 0)
            .then(|| candidate.to_string_lossy().into_owned())
    })
}

/// The metrics of a command phase from its samples.
pub fn metrics(s: &Samples) -> Vec<Metric> {
    if s.wall.is_empty() {
        return Vec::new();
    }
    let sampled = |name: &str, unit: Unit, values: &[f64], value: f64| Metric {
        samples: values.to_vec(),
        outliers: Some(outliers(values)),
        ..Metric::new(name, unit, Direction::Lower, value)
    };
    let summary = |name: &str, value: f64| Metric {
        samples_of: Some("wall".into()),
        ..Metric::new(name, Unit::Ns, Direction::Lower, value)
    };
    let peak = s.rss.iter().copied().fold(0.0, f64::max);
    vec![
        sampled("wall", Unit::Ns, &s.wall, median(&s.wall).unwrap_or(0.0)),
        summary("wall.mean", mean(&s.wall).unwrap_or(0.0)),
        summary("wall.p95", percentile(&s.wall, 95.0).unwrap_or(0.0)),
        summary("wall.p99", percentile(&s.wall, 99.0).unwrap_or(0.0)),
        sampled("user", Unit::Ns, &s.user, median(&s.user).unwrap_or(0.0)),
        sampled("sys", Unit::Ns, &s.sys, median(&s.sys).unwrap_or(0.0)),
        sampled("memory.peak", Unit::Bytes, &s.rss, peak),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, PhaseConfig};
    use crate::phase::progress::Silent;
    use std::path::PathBuf;

    /// Replays scripted outcomes and records what it was asked to run.
    struct Scripted {
        outcomes: Vec<RunOutcome>,
        calls: Vec<Invocation>,
    }

    impl Executor for Scripted {
        fn execute(
            &mut self,
            inv: &Invocation,
            _: Option<Instant>,
        ) -> Result<RunOutcome, ProcessError> {
            self.calls.push(inv.clone());
            Ok(if self.outcomes.is_empty() {
                ok(1e6)
            } else {
                self.outcomes.remove(0)
            })
        }
    }

    fn ok(wall_ns: f64) -> RunOutcome {
        RunOutcome {
            exit: Exit::Code(0),
            wall_ns,
            user_ns: wall_ns / 2.0,
            sys_ns: wall_ns / 4.0,
            max_rss_bytes: 1e6,
            stderr_tail: None,
        }
    }

    fn phase(toml_phase: &str) -> CommandPhase {
        let text = format!("[[phase]]\nname = \"p\"\nkind = \"command\"\n{toml_phase}");
        match Config::parse(&text, &PathBuf::from("t.toml"))
            .unwrap()
            .phases
            .remove(0)
        {
            PhaseConfig::Command(c) => c,
            other => panic!("not a command phase: {other:?}"),
        }
    }

    fn run_scripted(p: &CommandPhase, outcomes: Vec<RunOutcome>) -> (PhaseResult, Vec<Invocation>) {
        let mut ex = Scripted {
            outcomes,
            calls: vec![],
        };
        let r = run(p, Path::new("."), &mut ex, &Interrupt::never(), &mut Silent);
        (r, ex.calls)
    }

    #[test]
    fn warmup_runs_are_not_counted() {
        let p = phase("command = [\"x\"]\nruns = 3\nwarmup = 2");
        let (r, calls) = run_scripted(&p, vec![ok(9e9), ok(9e9), ok(1.0), ok(2.0), ok(3.0)]);
        assert_eq!(calls.len(), 5);
        let wall = r.metric("wall").unwrap();
        assert_eq!(wall.samples, vec![1.0, 2.0, 3.0]);
        assert_eq!(wall.value, 2.0);
    }

    #[test]
    fn prepare_runs_before_every_run_and_cleanup_once() {
        let p = phase(
            "command = [\"x\"]\nruns = 2\nwarmup = 0\nprepare = \"echo prep\"\ncleanup = [\"rm\", \"-f\", \"tmp\"]",
        );
        let (_, calls) = run_scripted(&p, vec![]);
        // Programs found on PATH are resolved once, before any timing.
        let programs: Vec<&str> = calls
            .iter()
            .map(|c| c.program.rsplit('/').next().unwrap())
            .collect();
        assert_eq!(programs, ["sh", "x", "sh", "x", "rm"]);
        assert!(calls[0].program.starts_with('/'), "{}", calls[0].program);
        assert_eq!(
            calls[1].program, "x",
            "not on PATH: left for spawn to report"
        );
    }

    #[test]
    fn min_time_adds_runs_until_reached() {
        let p = phase("command = [\"x\"]\nruns = 2\nwarmup = 0\nmin_time = \"10ms\"");
        let (r, _) = run_scripted(&p, vec![]);
        // Each scripted run takes 1 ms.
        assert_eq!(r.metric("wall").unwrap().samples.len(), 10);
    }

    #[test]
    fn a_failing_run_is_a_phase_error_with_stderr() {
        let p = phase("command = [\"x\"]\nruns = 3\nwarmup = 0");
        let failed = RunOutcome {
            exit: Exit::Code(2),
            stderr_tail: Some("boom".into()),
            ..ok(1.0)
        };
        let (r, _) = run_scripted(&p, vec![ok(1.0), failed]);
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].exit_code, Some(2));
        assert_eq!(r.errors[0].stderr_tail.as_deref(), Some("boom"));
        assert!(
            r.errors[0].message.contains("run 2"),
            "{}",
            r.errors[0].message
        );
    }

    #[test]
    fn summary_metrics_point_at_wall_samples() {
        let p = phase("command = [\"x\"]\nruns = 5\nwarmup = 0");
        let (r, _) = run_scripted(&p, vec![]);
        let names: Vec<&str> = r.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "wall",
                "wall.mean",
                "wall.p95",
                "wall.p99",
                "user",
                "sys",
                "memory.peak"
            ]
        );
        assert_eq!(
            r.metric("wall.p95").unwrap().samples_of.as_deref(),
            Some("wall")
        );
    }
}
