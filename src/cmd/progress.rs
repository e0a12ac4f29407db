//! Terminal progress: turns the phases' progress reports into a bar on a
//! terminal, or a status line every few seconds in a CI log.

use crate::metrics::{Unit, units::human};
use crate::phase::progress::{LoadStatus, Progress};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often a load phase's status line goes to a non-terminal stderr.
const LOG_EVERY: Duration = Duration::from_secs(5);

/// A progress bar on a terminal; a status line now and then elsewhere.
pub(super) struct TerminalProgress {
    bar: Option<indicatif::ProgressBar>,
    tty: bool,
    /// When the last status line went to a non-terminal stderr.
    last_line: Option<Instant>,
}

impl TerminalProgress {
    pub(super) fn new() -> Self {
        TerminalProgress {
            bar: None,
            tty: std::io::stderr().is_terminal(),
            last_line: None,
        }
    }

    /// Clears the bar at the end of a phase.
    pub(super) fn finish(&mut self) {
        self.last_line = None;
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn bar(&mut self, length: u64, template: &str, label: &str) -> &indicatif::ProgressBar {
        self.bar.get_or_insert_with(|| {
            let bar = indicatif::ProgressBar::new(length);
            bar.set_style(
                indicatif::ProgressStyle::with_template(template)
                    .expect("valid template")
                    .progress_chars("=> "),
            );
            bar.set_prefix(label.to_owned());
            bar
        })
    }
}

impl Progress for TerminalProgress {
    fn run_done(&mut self, phase: &str, done: u32, planned: u32) {
        if !self.tty {
            return;
        }
        let bar = self.bar(
            u64::from(planned),
            "  {prefix} [{bar:30}] {pos}/{len} runs",
            phase,
        );
        if u64::from(done) > bar.length().unwrap_or(0) {
            bar.set_length(u64::from(done));
        }
        bar.set_position(u64::from(done));
    }

    fn load_status(&mut self, phase: &str, s: &LoadStatus) {
        let mut line = format!(
            "{} requests, {} errors, {}/s, p99 {}",
            s.requests,
            s.errors,
            s.last_second_requests,
            human(s.last_second_p99_ns, &Unit::Ns)
        );
        if let Some(m) = s.service_memory {
            line.push_str(&format!(", service {}", human(m as f64, &Unit::Bytes)));
        }
        if self.tty {
            let (position, length) = match s.iterations {
                (done, Some(bound)) => (done, bound),
                _ => (s.elapsed.as_millis() as u64, s.planned.as_millis() as u64),
            };
            let bar = self.bar(length, "  {prefix} [{bar:30}] {elapsed}  {msg}", phase);
            bar.set_position(position);
            bar.set_message(line);
        } else if self.last_line.is_none_or(|t| t.elapsed() >= LOG_EVERY) {
            self.last_line = Some(Instant::now());
            let at = match s.iterations {
                (done, Some(bound)) => format!("{done}/{bound} iterations"),
                _ => format!(
                    "{:.0}s/{:.0}s",
                    s.elapsed.as_secs_f64(),
                    s.planned.as_secs_f64()
                ),
            };
            eprintln!("perfguard: {phase}: {at}, {line}");
        }
    }
}
