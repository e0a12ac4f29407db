//! HTTP phases: turns a `kind = "http"` plan into latency, throughput, error
//! and service metrics: starts or finds the service, generates load, samples
//! the service's processes, and stops what it started.

pub mod client;
pub mod load;
pub mod plan;
pub mod record;
pub mod service;
pub mod transport;

use super::progress::{LoadStatus, Progress};
use crate::config::criteria_text;
use crate::config::http::{HttpPhase, LoadModel};
use crate::interrupt::Interrupt;
use crate::metrics::Unit;
use crate::results::{Direction, Metric, PhaseError, PhaseKind, PhaseResult};
use load::{Shape, Shared, lock};
use plan::Plan;
use record::{ErrorKind, Recorder};
use service::{Probe, Sampler, Service, StopOutcome};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// When only `iterations` bound the load, it still ends after this long.
pub const ITERATIONS_CAP: Duration = Duration::from_secs(600);

/// Runs an HTTP phase. Never fails as a whole: what went wrong lands in the
/// result's `errors`; failed requests are metrics.
pub fn run(
    phase: &HttpPhase,
    base_dir: &Path,
    interrupt: &Interrupt,
    progress: &mut dyn Progress,
) -> PhaseResult {
    let mut result = PhaseResult::new(&phase.name, PhaseKind::Http, criteria_text(&phase.criteria));
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            result
                .errors
                .push(error(format!("cannot start the load runtime: {e}")));
            return result;
        }
    };
    runtime.block_on(measure(phase, base_dir, interrupt, progress, &mut result));
    // Connections still open belong to the finished load; drop them now.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

fn error(message: String) -> PhaseError {
    PhaseError {
        message,
        exit_code: None,
        stderr_tail: None,
    }
}

async fn measure(
    phase: &HttpPhase,
    base_dir: &Path,
    interrupt: &Interrupt,
    progress: &mut dyn Progress,
    result: &mut PhaseResult,
) {
    let transport = Arc::new(transport::Transport::new(
        phase.http_version,
        phase.ca_file.as_ref().map(|f| base_dir.join(f)),
        phase.insecure,
    ));
    // TLS asked for by name is built now, so a bad `ca_file` fails the
    // phase before anything starts.
    let https = phase
        .base_url
        .as_deref()
        .is_some_and(|u| u.starts_with("https://"));
    if (https || phase.ca_file.is_some())
        && let Err(e) = transport.tls()
    {
        result.errors.push(error(e));
        return;
    }
    // The service: started here, or found by its pid file.
    let mut service = None;
    let root_pid = if let Some(cfg) = &phase.service {
        let mut s = match Service::start(cfg, base_dir) {
            Ok(s) => s,
            Err(e) => {
                result.errors.push(error(e.to_string()));
                return;
            }
        };
        let base = phase.base_url.as_deref().unwrap_or_default();
        let timeout = cfg.ready_timeout.0;
        if let Err(message) = wait_ready(
            &mut s,
            base,
            cfg.ready.as_deref(),
            timeout,
            interrupt,
            &transport,
        )
        .await
        {
            let tail = s.output_tail();
            let _ = s.stop(stop_grace(phase));
            result.errors.push(PhaseError {
                message,
                exit_code: None,
                stderr_tail: tail,
            });
            return;
        }
        let pid = s.pid();
        service = Some(s);
        Some(pid)
    } else if let Some(m) = &phase.monitor {
        match service::read_pid_file(&base_dir.join(&m.pid_file)) {
            Ok(pid) => Some(pid),
            Err(e) => {
                result.errors.push(error(e));
                return;
            }
        }
    } else {
        None
    };

    let probe = match root_pid.map(Probe::new).transpose() {
        Ok(p) => p,
        Err(e) => {
            result.errors.push(error(e));
            None
        }
    };
    let interval = phase.sample_interval.0;
    let sampler = probe.map(|p| Sampler::start(p, interval));
    // The sampler's first reading, taken before any load.
    let baseline_memory = sampler.as_ref().map(Sampler::latest);

    let shared = Arc::new(Shared::new(
        Plan::of(phase),
        shape(phase),
        4 * threads(),
        Arc::clone(&transport),
    ));
    let load_started = Instant::now();
    result.load_started_at = Some(chrono::Utc::now());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut load = tokio::spawn(load::run(Arc::clone(&shared), stop_rx));
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut last_report = Instant::now();
    let planned = shared.shape.duration;
    loop {
        tokio::select! {
            _ = &mut load => break,
            _ = tick.tick() => {
                let memory = sampler.as_ref().map(Sampler::latest);
                shared.close_seconds(shared.second(tokio::time::Instant::now()), memory.map(|m| m as f64));
                if interrupt.is_set() {
                    let _ = stop_tx.send(true);
                }
                if last_report.elapsed() >= Duration::from_secs(1) {
                    last_report = Instant::now();
                    progress.load_status(&phase.name, &status(&shared, load_started, planned, memory));
                }
            }
        }
    }
    let elapsed = load_started
        .elapsed()
        .min(planned.max(Duration::from_millis(1)));
    let memory_now = sampler.as_ref().map(Sampler::latest);
    shared.close_all(memory_now.map(|m| m as f64));

    let mut merged = Recorder::new(shared.plan.step_names.len());
    for r in &shared.recorders {
        merged.merge(&lock(r));
    }
    result.metrics = record::metrics(
        &merged,
        &shared.plan.step_names,
        elapsed.as_secs_f64(),
        shared.plan.has_targets,
    );
    result.series = std::mem::take(&mut lock(&shared.series).points);
    // Failed requests are data; a phase where no request got any response
    // at all measured nothing, and fails by name.
    let unanswered: u64 = [ErrorKind::Connect, ErrorKind::Timeout, ErrorKind::Request]
        .iter()
        .filter_map(|k| merged.errors.get(k))
        .sum();
    if merged.requests > 0 && unanswered == merged.requests {
        let kinds: Vec<String> = merged
            .errors
            .iter()
            .map(|(k, n)| {
                let example = merged.examples.get(k).map_or("", String::as_str);
                format!("{} {n}× ({example})", k.name())
            })
            .collect();
        result.errors.push(error(format!(
            "no request got a response ({} of {} failed): {}",
            merged.failed,
            merged.requests,
            kinds.join("; ")
        )));
    } else if merged.requests == 0 && !interrupt.is_set() {
        result
            .errors
            .push(error("no request completed before the phase ended".into()));
    }

    // The service: peak and CPU over load, then memory once it settled.
    if let Some(sampler) = sampler {
        let (probe, sampled) = sampler.finish();
        let settle = phase
            .service
            .as_ref()
            .map(|s| s.settle)
            .or(phase.monitor.as_ref().map(|m| m.settle))
            // A sampler runs only for a started or a monitored service.
            .map_or(Duration::ZERO, |d| d.0);
        if !interrupt.is_set() {
            tokio::time::sleep(settle).await;
        }
        let after = probe.and_then(|mut p| p.read());
        let mut push = |name: &str, unit: Unit, value: f64| {
            result
                .metrics
                .push(Metric::new(name, unit, Direction::Lower, value));
        };
        if let Some(b) = baseline_memory {
            push("memory.baseline", Unit::Bytes, b as f64);
        }
        let peak = after.map_or(sampled.peak, |a| sampled.peak.max(a.memory));
        push("memory.peak", Unit::Bytes, peak as f64);
        match after {
            Some(a) => push("memory.after", Unit::Bytes, a.memory as f64),
            // A started service that died is reported when it is stopped.
            None if service.is_none() => result.errors.push(error(
                "the monitored service exited during the phase; memory.after was not measured"
                    .into(),
            )),
            None => {}
        }
        push("cpu.mean", Unit::Ratio, sampled.cpu_mean);
    }
    if let Some(mut s) = service {
        let exited = s.exited();
        let tail = s.output_tail();
        match (exited, s.stop(stop_grace(phase))) {
            (Some(status), _) => result.errors.push(PhaseError {
                message: format!("the service exited during the phase ({status})"),
                exit_code: status.code(),
                stderr_tail: tail,
            }),
            (None, StopOutcome::Killed) => result.errors.push(error(format!(
                "the service ignored SIGTERM for {:?} and was killed",
                stop_grace(phase)
            ))),
            _ => {}
        }
    }
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn stop_grace(phase: &HttpPhase) -> Duration {
    phase
        .service
        .as_ref()
        // Only a started service is ever stopped.
        .map_or(Duration::ZERO, |s| s.stop_timeout.0)
}

fn shape(phase: &HttpPhase) -> Shape {
    let model = phase.load_model();
    let start = match model {
        LoadModel::Closed => phase.vus.map_or(0.0, f64::from),
        LoadModel::Open => phase.rate.unwrap_or(0.0),
    };
    Shape {
        numbering: phase.numbering,
        ..Shape::new(
            model,
            start,
            &phase.stages,
            phase.max_vus.unwrap_or(100),
            phase.planned_duration().unwrap_or(ITERATIONS_CAP),
            phase.iterations,
            phase.think_time.map(|d| d.0),
        )
    }
}

fn status(shared: &Shared, started: Instant, planned: Duration, memory: Option<u64>) -> LoadStatus {
    let series = lock(&shared.series);
    let last = series.points.last();
    LoadStatus {
        elapsed: started.elapsed(),
        planned,
        iterations: (shared.iterations_started(), shared.shape.iterations),
        requests: series.points.iter().map(|p| p.requests).sum(),
        errors: series.points.iter().map(|p| p.errors).sum(),
        last_second_requests: last.map_or(0, |p| p.requests),
        last_second_p99_ns: last.map_or(0.0, |p| p.p99_ns),
        service_memory: memory,
    }
}

/// Polls until the service answers: a 2xx at `ready`, or an accepted
/// connection without it. Fails when it exits, the time is up, or perfguard
/// is interrupted.
async fn wait_ready(
    service: &mut Service,
    base_url: &str,
    ready: Option<&str>,
    timeout: Duration,
    interrupt: &Interrupt,
    transport: &Arc<transport::Transport>,
) -> Result<(), String> {
    let base = base_url.trim_end_matches('/');
    let request = plan::get_request(&format!("{base}{}", ready.unwrap_or("/")))
        .map_err(|e| format!("cannot build the readiness request: {e}"))?;
    let until = Instant::now() + timeout;
    let mut last = String::from("no answer yet");
    loop {
        if let Some(status) = service.exited() {
            return Err(format!("the service exited before it was ready ({status})"));
        }
        if interrupt.is_set() {
            return Err("interrupted while waiting for the service".into());
        }
        if Instant::now() >= until {
            let what = ready.map_or_else(
                || format!("accept connections at {base}"),
                |r| format!("answer 2xx at {base}{r}"),
            );
            return Err(format!(
                "the service did not {what} within {timeout:?} (last: {last})"
            ));
        }
        let mut client = client::Client::new(Arc::clone(transport));
        match ready {
            Some(_) => match client.send(&request, false, Duration::from_secs(1)).await {
                Ok(r) if (200..300).contains(&r.status) => return Ok(()),
                Ok(r) => last = format!("status {}", r.status),
                Err(f) => last = f.message,
            },
            None => match tokio::net::TcpStream::connect(&request.authority).await {
                Ok(_) => return Ok(()),
                Err(e) => last = e.to_string(),
            },
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
