//! Load generation: turns a plan and a load model into iterations on
//! virtual users (closed: each loops; open: arrivals on a schedule, latency
//! from the intended start, as wrk2 corrects coordinated omission), recorded
//! into shared recorders until the deadline.

use super::client::{Client, FailureKind};
use super::plan::{CompiledStep, Plan, Vars};
use super::record::{ErrorKind, Outcome, Recorder, Series};
use super::transport::Transport;
use crate::config::http::{LoadModel, Stage};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;

/// How load is shaped in time.
#[derive(Debug, Clone)]
pub struct Shape {
    pub model: LoadModel,
    /// Closed: VUs; open: iterations per second. Before any stage.
    pub start: f64,
    pub stages: Vec<(Duration, f64)>,
    /// Open model: most iterations in flight.
    pub max_vus: u32,
    pub duration: Duration,
    pub iterations: Option<u64>,
    pub think: Option<Duration>,
    /// `(stride, offset)`: the numbers templates see as `iteration` and `vu`
    /// are `n * stride + offset` (shards keep them unique; else `(1, 0)`).
    pub numbering: (u64, u64),
}

impl Shape {
    pub fn new(
        model: LoadModel,
        start: f64,
        stages: &[Stage],
        max_vus: u32,
        duration: Duration,
        iterations: Option<u64>,
        think: Option<Duration>,
    ) -> Shape {
        Shape {
            model,
            start,
            stages: stages.iter().map(|s| (s.duration.0, s.target)).collect(),
            max_vus,
            duration,
            iterations,
            think,
            numbering: (1, 0),
        }
    }

    /// The target (VUs or rate) at `t`: linear within each stage.
    pub fn target_at(&self, t: Duration) -> f64 {
        let mut from = self.start;
        let mut begin = Duration::ZERO;
        for &(d, to) in &self.stages {
            if t < begin + d {
                let f = (t - begin).as_secs_f64() / d.as_secs_f64().max(1e-9);
                return from + (to - from) * f;
            }
            begin += d;
            from = to;
        }
        from
    }

    /// Virtual users to start: the most the shape ever asks for.
    pub fn vus(&self) -> u32 {
        match self.model {
            LoadModel::Open => self.max_vus,
            LoadModel::Closed => self
                .stages
                .iter()
                .map(|s| s.1)
                .fold(self.start, f64::max)
                .ceil()
                .max(1.0) as u32,
        }
    }

    /// Offsets of arrivals (open model) from `after` on: the next one is one
    /// interval of the current rate later. `None` once past the duration.
    fn next_arrival(&self, after: Duration) -> Option<Duration> {
        let mut t = after;
        loop {
            if t >= self.duration {
                return None;
            }
            let rate = self.target_at(t);
            if rate > 0.0 {
                return Some(t + Duration::from_secs_f64(1.0 / rate));
            }
            // Nothing due while the rate is zero; look again a little later.
            t += Duration::from_millis(10);
        }
    }
}

/// State shared by the virtual users of one phase.
pub struct Shared {
    pub plan: Plan,
    pub shape: Shape,
    pub recorders: Vec<Mutex<Recorder>>,
    pub series: Mutex<Series>,
    pub started: Instant,
    /// How the users' connections speak (HTTP version, TLS).
    pub transport: Arc<Transport>,
    iterations: AtomicU64,
}

impl Shared {
    pub fn new(plan: Plan, shape: Shape, shards: usize, transport: Arc<Transport>) -> Shared {
        let steps = plan.step_names.len();
        Shared {
            recorders: (0..shards.max(1))
                .map(|_| Mutex::new(Recorder::new(steps)))
                .collect(),
            plan,
            shape,
            series: Mutex::new(Series::default()),
            started: Instant::now(),
            transport,
            iterations: AtomicU64::new(0),
        }
    }

    /// Claims the next iteration number, or `None` once `iterations` are given out.
    fn claim(&self) -> Option<u64> {
        let i = self.iterations.fetch_add(1, Ordering::Relaxed);
        match self.shape.iterations {
            Some(max) if i >= max => None,
            _ => Some(i),
        }
    }

    /// Iterations started so far (within the bound).
    pub fn iterations_started(&self) -> u64 {
        let n = self.iterations.load(Ordering::Relaxed);
        self.shape.iterations.map_or(n, |max| n.min(max))
    }

    pub fn second(&self, at: Instant) -> u64 {
        at.saturating_duration_since(self.started).as_secs()
    }

    fn record(&self, vu: u64, o: &Outcome<'_>) {
        let shard = (vu as usize) % self.recorders.len();
        let done = lock(&self.recorders[shard]).record(o);
        if let Some(done) = done {
            lock(&self.series).add(done);
        }
    }

    /// Moves finished seconds into the series and closes those before
    /// `now_second` (called about every 250 ms).
    pub fn close_seconds(&self, now_second: u64, memory: Option<f64>) {
        for r in &self.recorders {
            let stale = lock(r).take_stale(now_second);
            if let Some(done) = stale {
                lock(&self.series).add(done);
            }
        }
        lock(&self.series).close_before(now_second, memory);
    }

    /// Closes every second (at the end of load).
    pub fn close_all(&self, memory: Option<f64>) {
        for r in &self.recorders {
            let current = lock(r).take_current();
            if let Some(done) = current {
                lock(&self.series).add(done);
            }
        }
        lock(&self.series).close_before(u64::MAX, memory);
    }
}

/// Locks, ignoring poisoning: a recorder is plain counters, valid whatever
/// panicked while holding it.
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Runs load until the deadline, the iteration bound, or `stop`.
pub async fn run(shared: Arc<Shared>, stop: watch::Receiver<bool>) {
    let deadline = shared.started + shared.shape.duration;
    let vus = shared.shape.vus();
    let mut tasks = tokio::task::JoinSet::new();
    match shared.shape.model {
        LoadModel::Closed => {
            for vu in 0..vus {
                let shared = Arc::clone(&shared);
                let stop = stop.clone();
                tasks.spawn(bounded(deadline, stop, async move {
                    closed_user(&shared, u64::from(vu)).await;
                }));
            }
        }
        LoadModel::Open => {
            let (tx, rx) = tokio::sync::mpsc::channel::<(u64, Instant)>(vus as usize);
            let rx = Arc::new(tokio::sync::Mutex::new(rx));
            let scheduler = Arc::clone(&shared);
            tasks.spawn(bounded(deadline, stop.clone(), async move {
                schedule(&scheduler, tx).await;
            }));
            for vu in 0..vus {
                let shared = Arc::clone(&shared);
                let rx = Arc::clone(&rx);
                tasks.spawn(bounded(deadline, stop.clone(), async move {
                    open_user(&shared, u64::from(vu), rx).await;
                }));
            }
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// Runs `work` until it ends, the deadline passes, or `stop` turns true;
/// whatever is in flight then is dropped, uncounted.
async fn bounded(
    deadline: Instant,
    mut stop: watch::Receiver<bool>,
    work: impl std::future::Future<Output = ()>,
) {
    tokio::select! {
        () = work => {}
        () = tokio::time::sleep_until(deadline) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

async fn closed_user(shared: &Shared, vu: u64) {
    let mut user = User::new(vu, Arc::clone(&shared.transport));
    loop {
        if !shared.shape.stages.is_empty() {
            let active = shared.shape.target_at(shared.started.elapsed()).round();
            if (vu as f64) >= active {
                // Not needed at this point of the ramp; look again soon.
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        }
        let Some(iteration) = shared.claim() else {
            return;
        };
        let backoff = user.iteration(shared, iteration, None).await;
        if backoff {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if let Some(think) = shared.shape.think {
            tokio::time::sleep(think).await;
        }
    }
}

/// Produces arrivals, `(iteration, intended start)`, on the shape's rate.
async fn schedule(shared: &Shared, tx: tokio::sync::mpsc::Sender<(u64, Instant)>) {
    let mut at = Duration::ZERO;
    // The first arrival is due at once.
    let mut next = Some(Duration::ZERO).filter(|_| shared.shape.target_at(Duration::ZERO) > 0.0);
    if next.is_none() {
        next = shared.shape.next_arrival(at);
    }
    while let Some(t) = next {
        if t >= shared.shape.duration {
            return;
        }
        let Some(iteration) = shared.claim() else {
            return;
        };
        if tx.send((iteration, shared.started + t)).await.is_err() {
            return;
        }
        at = t;
        next = shared.shape.next_arrival(at);
    }
}

async fn open_user(
    shared: &Shared,
    vu: u64,
    rx: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<(u64, Instant)>>>,
) {
    let mut user = User::new(vu, Arc::clone(&shared.transport));
    loop {
        let next = rx.lock().await.recv().await;
        let Some((iteration, intended)) = next else {
            return;
        };
        tokio::time::sleep_until(intended).await;
        user.iteration(shared, iteration, Some(intended)).await;
    }
}

/// One virtual user: its connection, random draws and last target.
struct User {
    vu: u64,
    client: Client,
    rng: u64,
    last_target: Option<String>,
}

impl User {
    fn new(vu: u64, transport: Arc<Transport>) -> User {
        User {
            vu,
            client: Client::new(transport),
            rng: 0x9E37_79B9_7F4A_7C15 ^ (vu.wrapping_add(1)).wrapping_mul(0xBF58_476D_1CE4_E5B9),
            last_target: None,
        }
    }

    /// xorshift64*: cheap, good enough to pick scenarios by weight.
    fn draw(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Runs one iteration; true when it ended on a connection failure (the
    /// closed model then backs off briefly rather than spin).
    async fn iteration(
        &mut self,
        shared: &Shared,
        iteration: u64,
        intended: Option<Instant>,
    ) -> bool {
        let draw = if shared.plan.scenarios.len() > 1 {
            self.draw()
        } else {
            0
        };
        let scenario = shared.plan.pick(draw);
        let (stride, offset) = shared.shape.numbering;
        let mut vars = Vars {
            iteration: iteration * stride + offset,
            vu: self.vu * stride + offset,
            ..Vars::default()
        };
        for (i, step) in scenario.steps.iter().enumerate() {
            let start = match intended {
                Some(t) if i == 0 => t,
                _ => Instant::now(),
            };
            let go_on = self.step(shared, step, &mut vars, start).await;
            match go_on {
                Next::Continue => {}
                Next::Stop => return false,
                Next::Backoff => return true,
            }
            if let Some(think) = step.think {
                tokio::time::sleep(think).await;
            }
        }
        false
    }

    async fn step(
        &mut self,
        shared: &Shared,
        step: &CompiledStep,
        vars: &mut Vars,
        start: Instant,
    ) -> Next {
        let switched = match &step.target {
            Some(t) => {
                let changed = self.last_target.as_ref().is_some_and(|last| last != t);
                if self.last_target.as_ref() != Some(t) {
                    self.last_target = Some(t.clone());
                }
                changed
            }
            None => false,
        };
        let mut outcome = Outcome {
            step: step.name,
            second: 0,
            latency_ns: None,
            error: None,
            checks_passed: 0,
            checks_total: 0,
            bytes_received: 0,
            bytes_sent: 0,
            switched,
        };
        let request = match step.request(vars) {
            Ok(r) => r,
            Err(message) => {
                outcome.second = shared.second(Instant::now());
                outcome.error = Some((ErrorKind::Request, &message));
                shared.record(self.vu, &outcome);
                return Next::Stop;
            }
        };
        outcome.bytes_sent = request.body.len() as u64;
        let result = self
            .client
            .send(&request, step.needs_body(), step.timeout)
            .await;
        let done = Instant::now();
        outcome.second = shared.second(done);
        let response = match result {
            Ok(r) => r,
            Err(f) => {
                let kind = match f.kind {
                    FailureKind::Connect => ErrorKind::Connect,
                    FailureKind::Timeout => ErrorKind::Timeout,
                    FailureKind::Request => ErrorKind::Request,
                };
                outcome.error = Some((kind, &f.message));
                shared.record(self.vu, &outcome);
                return if kind == ErrorKind::Connect {
                    Next::Backoff
                } else {
                    Next::Stop
                };
            }
        };
        let latency = done.saturating_duration_since(start);
        outcome.latency_ns = Some(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
        outcome.bytes_received = response.bytes;

        let checks = &step.checks;
        let mut error: Option<(ErrorKind, String)> = None;
        if checks.status.is_none() && response.status >= 400 {
            error = Some((ErrorKind::Status, format!("status {}", response.status)));
        }
        let mut check = |ok: bool, kind: ErrorKind, what: &dyn Fn() -> String| {
            outcome.checks_total += 1;
            if ok {
                outcome.checks_passed += 1;
            } else if error.is_none() {
                error = Some((kind, what()));
            }
        };
        if let Some(set) = &checks.status {
            check(set.accepts(response.status), ErrorKind::Status, &|| {
                format!("status {}, expected {set}", response.status)
            });
        }
        let body = response.body.as_deref().unwrap_or_default();
        if let Some(contains) = &checks.contains {
            let needle = contains.render(vars).unwrap_or_default();
            let found = contains_bytes(body, needle.as_bytes());
            check(found, ErrorKind::Check, &|| {
                format!("the body does not contain `{needle}`")
            });
        }
        let json: Option<serde_json::Value> =
            if !checks.json.is_empty() || !step.captures.is_empty() {
                serde_json::from_slice(body).ok()
            } else {
                None
            };
        for (path, pointer, expected) in &checks.json {
            let actual = json.as_ref().and_then(|j| j.pointer(pointer));
            check(
                actual == Some(expected),
                ErrorKind::Check,
                &|| match actual {
                    Some(a) => format!("`{path}` is {a}, expected {expected}"),
                    None => format!("`{path}` is missing from the response"),
                },
            );
        }
        if let Some(max) = checks.max_latency {
            check(latency <= max, ErrorKind::Check, &|| {
                format!("took {latency:?}, more than {max:?}")
            });
        }
        let mut next = Next::Continue;
        for (name, pointer, written) in &step.captures {
            let value = json.as_ref().and_then(|j| j.pointer(pointer));
            match value {
                Some(v) => {
                    vars.captured.insert(name.clone(), v.clone());
                }
                None => {
                    let why = if json.is_none() {
                        format!("cannot capture `{name}`: the response body is not JSON")
                    } else {
                        format!("cannot capture `{name}`: `{written}` is not in the response")
                    };
                    if error.is_none() {
                        error = Some((ErrorKind::Capture, why));
                    }
                    next = Next::Stop;
                }
            }
        }
        outcome.error = error.as_ref().map(|(k, m)| (*k, m.as_str()));
        shared.record(self.vu, &outcome);
        next
    }
}

enum Next {
    Continue,
    Stop,
    Backoff,
}

fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(model: LoadModel, start: f64, stages: Vec<(u64, f64)>) -> Shape {
        let stages: Vec<(Duration, f64)> = stages
            .into_iter()
            .map(|(ms, t)| (Duration::from_millis(ms), t))
            .collect();
        let duration = stages
            .iter()
            .map(|s| s.0)
            .sum::<Duration>()
            .max(Duration::from_secs(1));
        Shape {
            model,
            start,
            stages,
            max_vus: 10,
            duration,
            iterations: None,
            think: None,
            numbering: (1, 0),
        }
    }

    #[test]
    fn stages_ramp_linearly_and_hold_the_last_target() {
        let s = shape(
            LoadModel::Closed,
            0.0,
            vec![(1000, 10.0), (1000, 10.0), (500, 0.0)],
        );
        assert_eq!(s.target_at(Duration::ZERO), 0.0);
        assert_eq!(s.target_at(Duration::from_millis(500)), 5.0);
        assert_eq!(s.target_at(Duration::from_millis(1500)), 10.0);
        assert_eq!(s.target_at(Duration::from_millis(2250)), 5.0);
        assert_eq!(s.target_at(Duration::from_secs(9)), 0.0);
        assert_eq!(s.vus(), 10);
    }

    #[test]
    fn open_arrivals_follow_the_rate() {
        let s = shape(LoadModel::Open, 100.0, vec![]);
        let mut n = 0;
        let mut t = Some(Duration::ZERO);
        while let Some(at) = t {
            n += 1;
            t = s.next_arrival(at).filter(|t| *t < s.duration);
        }
        // 100/s for one second: arrivals at 0, 10 ms, …, 990 ms.
        assert_eq!(n, 100);
    }
}
