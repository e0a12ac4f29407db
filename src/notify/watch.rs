//! The nightly watch: turns a comparison and the branch's history into
//! findings (regressions, change points named by their commit range, error
//! budgets at a level) graded by severity, and keys that tell a new finding
//! from one already reported (pure).

use crate::compare::slo::BudgetStatus;
use crate::compare::{Comparison, Policy, Severity};
use crate::metrics::units::human;
use crate::results::{Direction, Run, RunIndex};

/// What one nightly run found.
#[derive(Debug, Clone, PartialEq)]
pub struct Watch {
    pub suite: String,
    pub environment: String,
    /// The commit the run measured.
    pub sha: Option<String>,
    /// The workflow run's page, when known.
    pub run_url: Option<String>,
    pub regressions: Vec<Regression>,
    pub steps: Vec<StepFinding>,
    pub budgets: Vec<BudgetAlert>,
}

/// A metric past a threshold against the baseline, or against the level
/// an earlier night's tracking issue remembered (`carried`).
#[derive(Debug, Clone, PartialEq)]
pub struct Regression {
    pub phase: String,
    pub metric: String,
    /// The level it is judged against, in the metric's base unit.
    pub reference: f64,
    /// Judged against a level remembered from an earlier night.
    pub carried: bool,
    pub baseline: String,
    pub current: String,
    /// Signed so that positive is worse.
    pub change: f64,
    pub severity: Severity,
}

/// The last step in a metric's history, with the commits around it.
#[derive(Debug, Clone, PartialEq)]
pub struct StepFinding {
    pub phase: String,
    pub metric: String,
    /// The commit of the last run at the old level.
    pub from_sha: Option<String>,
    /// The commit of the first run at the new level.
    pub to_sha: Option<String>,
    /// The range's page (`…/compare/from...to`), or the commit's.
    pub url: Option<String>,
    pub before: String,
    pub after: String,
    /// Signed so that positive is worse.
    pub change: f64,
    /// Graded like a regression; `improved` for a step the better way.
    pub severity: Severity,
    /// The median before the step, in the metric's base unit.
    pub reference: f64,
    /// Runs at the new level, tonight's included.
    pub runs_since: usize,
}

/// A step alerts while it is this many runs old or younger: Pettitt's test
/// finds a clear step once about five runs sit at the new level, so this
/// leaves a working week of nightlies. After that the tracking issue carries
/// it as a regression against the level before it, until the metric
/// recovers or someone closes the issue (which accepts it).
pub const RECENT_STEP_RUNS: usize = 10;

/// An `[[slo]]` whose budget is at the warning or critical level.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetAlert {
    pub metric: String,
    pub objective: String,
    pub window: String,
    pub budget_left: f64,
    pub burn_rate: f64,
    pub status: BudgetStatus,
}

impl Regression {
    /// Its key among the alerts (the same while the metric stays regressed).
    pub fn key(&self) -> String {
        format!("regression {}/{}", self.phase, self.metric)
    }
}

impl StepFinding {
    /// A step the worse way, young enough to be news.
    pub fn alerting(&self) -> bool {
        self.runs_since <= RECENT_STEP_RUNS && self.severity >= Severity::Minor
    }

    /// Its key among the alerts (the step's first commit names it).
    pub fn key(&self) -> String {
        format!(
            "step {}/{} {}",
            self.phase,
            self.metric,
            self.to_sha.as_deref().unwrap_or("-")
        )
    }
}

impl BudgetAlert {
    /// Its key among the alerts: a change of level is news.
    pub fn key(&self) -> String {
        format!("slo {} {:?}", self.metric, self.status).to_lowercase()
    }

    /// A warning notifies as a major regression does, critical as critical.
    pub fn severity(&self) -> Severity {
        match self.status {
            BudgetStatus::Critical => Severity::Critical,
            BudgetStatus::Warning => Severity::Major,
            BudgetStatus::Ok | BudgetStatus::NoData => Severity::Unchanged,
        }
    }
}

/// Links to the repository's web pages (`GITHUB_SERVER_URL/owner/repo`).
pub trait Links {
    fn commit(&self, sha: &str) -> Option<String>;
    fn range(&self, from: &str, to: &str) -> Option<String>;
}

impl Links for crate::github::Context {
    fn commit(&self, sha: &str) -> Option<String> {
        self.commit_url(sha)
    }
    fn range(&self, from: &str, to: &str) -> Option<String> {
        let hex = |s: &str| (7..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit());
        (hex(from) && hex(to)).then(|| {
            self.repo
                .as_ref()
                .map(|r| format!("{}/{}/compare/{from}...{to}", self.server_url, r.full()))
        })?
    }
}

impl Watch {
    /// The findings of `comparison` over `history` (oldest first, without
    /// the current run).
    pub fn of(
        comparison: &Comparison,
        current: &Run,
        history: &[Run],
        policy: &Policy,
        links: &dyn Links,
        run_url: Option<String>,
    ) -> Watch {
        let regressions = comparison
            .comparisons
            .iter()
            .filter(|m| m.effective_severity() >= Severity::Minor)
            .filter_map(|m| {
                Some(Regression {
                    phase: m.phase.clone(),
                    metric: m.metric.clone(),
                    reference: m.baseline?,
                    carried: false,
                    baseline: human(m.baseline?, &m.unit),
                    current: human(m.current?, &m.unit),
                    change: m.change?,
                    severity: m.effective_severity(),
                })
            })
            .collect();

        // Only a metric's last step tells where it stands now; an earlier
        // one it has since left is history.
        let mut steps: Vec<StepFinding> = Vec::new();
        for step in comparison.change_points.iter().rev() {
            if steps
                .iter()
                .any(|s| s.phase == step.phase && s.metric == step.metric)
            {
                continue;
            }
            let Some(m) = comparison
                .comparisons
                .iter()
                .find(|m| m.phase == step.phase && m.metric == step.metric)
            else {
                continue;
            };
            let Some(relative) = step.change else {
                continue;
            };
            let change = match m.direction {
                Direction::Lower => relative,
                Direction::Higher => -relative,
            };
            let levels = policy.thresholds.levels(&step.phase, &step.metric);
            let severity = grade(change, levels);
            let series = series_of(history, current, &step.phase, &step.metric);
            let from_sha = step
                .index
                .checked_sub(1)
                .and_then(|i| series.get(i))
                .and_then(|r| r.git.as_ref().map(|g| g.sha.clone()));
            let runs_since = series.len().saturating_sub(step.index);
            let url = match (&from_sha, &step.sha) {
                (Some(f), Some(t)) => links.range(f, t),
                (None, Some(t)) => links.commit(t),
                _ => None,
            };
            steps.push(StepFinding {
                phase: step.phase.clone(),
                metric: step.metric.clone(),
                from_sha,
                to_sha: step.sha.clone(),
                url,
                before: human(step.before, &m.unit),
                after: human(step.after, &m.unit),
                change,
                severity,
                reference: step.before,
                runs_since,
            });
        }
        steps.reverse();

        let budgets = comparison
            .slos
            .iter()
            .filter(|s| matches!(s.status, BudgetStatus::Warning | BudgetStatus::Critical))
            .map(|s| BudgetAlert {
                metric: s.metric.clone(),
                objective: s.objective.clone(),
                window: s.window.clone(),
                budget_left: s.budget_left,
                burn_rate: s.burn_rate,
                status: s.status,
            })
            .collect();

        Watch {
            suite: current.suite.clone(),
            environment: current.environment.key.clone(),
            sha: current.git.as_ref().map(|g| g.sha.clone()),
            run_url,
            regressions,
            steps,
            budgets,
        }
    }

    /// The levels the regressions are judged against, for the next night.
    pub fn references(&self) -> Vec<Reference> {
        let mut out: Vec<Reference> = self
            .regressions
            .iter()
            .map(|r| Reference {
                phase: r.phase.clone(),
                metric: r.metric.clone(),
                value: r.reference,
            })
            .collect();
        for s in self.steps.iter().filter(|s| s.alerting()) {
            if !out
                .iter()
                .any(|r| r.phase == s.phase && r.metric == s.metric)
            {
                out.push(Reference {
                    phase: s.phase.clone(),
                    metric: s.metric.clone(),
                    value: s.reference,
                });
            }
        }
        out
    }

    /// Keys of the regressions carried from an earlier night: reported
    /// before, so never news.
    pub fn carried_keys(&self) -> Vec<String> {
        self.regressions
            .iter()
            .filter(|r| r.carried)
            .map(Regression::key)
            .collect()
    }

    /// Adds the regressions an earlier night reported (`remembered`) that
    /// the metric has not recovered from: the current value is still past
    /// the minor threshold against the level before the regression. The
    /// baseline moves every night, so without this a slowdown would look
    /// fixed the night after it landed.
    pub fn carry(&mut self, remembered: &[Reference], comparison: &Comparison, policy: &Policy) {
        for r in remembered {
            let covered = self
                .regressions
                .iter()
                .any(|x| x.phase == r.phase && x.metric == r.metric)
                || self
                    .steps
                    .iter()
                    .any(|x| x.alerting() && x.phase == r.phase && x.metric == r.metric);
            if covered {
                continue;
            }
            let Some(m) = comparison
                .comparisons
                .iter()
                .find(|m| m.phase == r.phase && m.metric == r.metric)
            else {
                continue;
            };
            let Some(current) = m.current else {
                continue;
            };
            if r.value == 0.0 || !r.value.is_finite() {
                continue;
            }
            let relative = current / r.value - 1.0;
            let change = match m.direction {
                Direction::Lower => relative,
                Direction::Higher => -relative,
            };
            let severity = grade(change, policy.thresholds.levels(&r.phase, &r.metric));
            if severity >= Severity::Minor {
                self.regressions.push(Regression {
                    phase: r.phase.clone(),
                    metric: r.metric.clone(),
                    reference: r.value,
                    carried: true,
                    baseline: human(r.value, &m.unit),
                    current: human(current, &m.unit),
                    change,
                    severity,
                });
            }
        }
    }

    /// The worst severity among the findings (`unchanged` when none).
    pub fn severity(&self) -> Severity {
        self.regressions
            .iter()
            .map(|r| r.severity)
            .chain(
                self.steps
                    .iter()
                    .filter(|s| s.alerting())
                    .map(|s| s.severity),
            )
            .chain(self.budgets.iter().map(BudgetAlert::severity))
            .max()
            .unwrap_or(Severity::Unchanged)
            .max(Severity::Unchanged)
    }

    /// The findings at or above `on`, as keys that stay the same from one
    /// night to the next while a problem lasts: a new key is news.
    pub fn alerts(&self, on: crate::config::FailOn) -> Vec<String> {
        let regressions = self
            .regressions
            .iter()
            .filter(|r| r.severity.reaches(on))
            .map(Regression::key);
        let steps = self
            .steps
            .iter()
            .filter(|s| s.alerting() && s.severity.reaches(on))
            .map(StepFinding::key);
        let budgets = self
            .budgets
            .iter()
            .filter(|b| b.severity().reaches(on))
            .map(BudgetAlert::key);
        regressions.chain(steps).chain(budgets).collect()
    }

    /// Whether an SLO is at the critical level: the nightly check fails.
    pub fn budget_critical(&self) -> bool {
        self.budgets
            .iter()
            .any(|b| b.status == BudgetStatus::Critical)
    }
}

/// A regressed metric's level before the regression, kept in the
/// tracking issue from one night to the next.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reference {
    pub phase: String,
    pub metric: String,
    pub value: f64,
}

/// `change` (positive is worse) against a metric's thresholds.
fn grade(change: f64, levels: crate::config::Levels) -> Severity {
    if change >= levels.critical {
        Severity::Critical
    } else if change >= levels.major {
        Severity::Major
    } else if change >= levels.minor {
        Severity::Minor
    } else if change <= -levels.minor {
        Severity::Improved
    } else {
        Severity::Unchanged
    }
}

/// The series a step was found in: the history and the current run,
/// keeping the runs that measured the metric (as `compare::steps` builds it).
fn series_of<'a>(history: &'a [Run], current: &'a Run, phase: &str, metric: &str) -> Vec<&'a Run> {
    history
        .iter()
        .chain(std::iter::once(current))
        .filter(|r| RunIndex::new(r).metric(phase, metric).is_some())
        .collect()
}

/// `x` as a percentage with its sign (`+35.0 %`).
pub fn percent(x: f64) -> String {
    format!("{:+.1} %", x * 100.0)
}
