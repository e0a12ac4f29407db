//! `check`'s nightly watch: the comparison and the branch's history →
//! findings (change points by commit range, error budgets by level) → the
//! SLO gate on the verdict → the tracking issue and the webhooks; and, on
//! every run, the Pushgateway and the textfile. Deliveries that fail become
//! notes of the report, never a changed verdict.

use crate::compare::{Comparison, Policy, Verdict};
use crate::config::Config;
use crate::error::Error;
use crate::github::{self, Context, Token};
use crate::notify::{self, render, watch::Watch};
use crate::results::Run;
use std::path::Path;

/// Whether this run is the nightly watch: asked for, or in Actions a
/// `schedule` or `workflow_dispatch` run of the default branch.
pub(super) fn is_nightly(asked: bool, actions: Option<&Context>) -> bool {
    asked
        || actions.is_some_and(|c| {
            matches!(c.event_name.as_str(), "schedule" | "workflow_dispatch")
                && c.on_default_branch()
        })
}

/// The context for links and the tracking issue: Actions' own, or read
/// from the same variables elsewhere (`GITHUB_REPOSITORY`,
/// `GITHUB_SERVER_URL`, `GITHUB_API_URL`) for other CI systems.
pub(super) fn context(actions: Option<&Context>) -> Context {
    match actions {
        Some(c) => c.clone(),
        None => {
            let mut vars: std::collections::BTreeMap<String, String> = std::env::vars().collect();
            // Another CI's event file is not GitHub's.
            vars.remove("GITHUB_EVENT_PATH");
            Context::from_vars(&vars).unwrap_or_else(|_| {
                Context::from_vars(&Default::default()).expect("an empty context reads")
            })
        }
    }
}

/// Judges the nightly findings: an SLO at the critical level fails the
/// verdict; then the tracking issue and the webhooks hear of them.
pub(super) fn watch(
    config: &Config,
    comparison: &mut Comparison,
    current: &Run,
    history: &[Run],
    policy: &Policy,
    ctx: &Context,
    token: Option<&str>,
) {
    let mut watch = Watch::of(comparison, current, history, policy, ctx, ctx.run_url());
    let mut warnings = Vec::new();
    if config.notify.issue {
        match tracking_issue(&mut watch, comparison, policy, config, ctx, token) {
            Ok(t) => eprintln!("perfguard: {t}"),
            Err(why) => warnings.push(format!("tracking issue: {why}")),
        }
    }
    for line in render::log_lines(&watch) {
        eprintln!("perfguard: nightly: {line}");
    }
    if watch.budget_critical() {
        comparison.verdict = Verdict::Fail;
        for b in watch
            .budgets
            .iter()
            .filter(|b| b.status == crate::compare::slo::BudgetStatus::Critical)
        {
            comparison.notes.push(format!(
                "SLO `{}` is at the critical level ({:.0} % of the budget left, burn rate {:.1}×): the nightly check fails",
                b.objective,
                b.budget_left * 100.0,
                b.burn_rate
            ));
        }
    }
    for d in notify::webhooks(&config.notify, &watch, comparison) {
        match &d.failure {
            None => eprintln!(
                "perfguard: webhook {} notified (attempts: {})",
                d.target, d.attempts
            ),
            Some(why) => warnings.push(format!("webhook {} not notified: {why}", d.target)),
        }
    }
    for w in warnings {
        eprintln!("perfguard: warning: {w}");
        comparison.notes.push(format!("notification failed: {w}"));
    }
}

/// The tracking issue: its memory carries regressions the metric has not
/// recovered from into `watch`, then it is opened, updated or closed.
fn tracking_issue(
    watch: &mut Watch,
    comparison: &Comparison,
    policy: &Policy,
    config: &Config,
    ctx: &Context,
    token: Option<&str>,
) -> Result<github::issue::Tracking, String> {
    let repo = ctx
        .repo
        .as_ref()
        .ok_or("GITHUB_REPOSITORY is not set (owner/name)")?;
    let token = Token::new(
        token
            .ok_or("no token (the `token` input, --token or GITHUB_TOKEN)")?
            .to_owned(),
    );
    github::block_on(async {
        let api =
            github::api::Api::new(&ctx.api_url, &token, github::api::RetryPolicy::from_env())?;
        let open = github::issue::open_for(&api, repo, &watch.suite).await?;
        if let Some(issue) = open.first() {
            let memory = render::memory_in(issue.body.as_deref().unwrap_or(""));
            watch.carry(&memory.references, comparison, policy);
        }
        let alerts = watch.alerts(config.notify.on);
        github::issue::track(&api, repo, watch, &alerts, &open).await
    })
    .map_err(|e| {
        let hint = if e.is_forbidden() {
            " (the workflow needs `permissions: issues: write`)"
        } else {
            ""
        };
        format!("{e}{hint}")
    })
}

/// Writes the textfile when asked and, for a run that is part of the
/// branch's history (`push`), pushes it to the Pushgateway; a failed push
/// is a warning.
pub(super) fn prometheus(
    config: &Config,
    run: &Run,
    comparison: Option<&mut Comparison>,
    file: Option<&Path>,
    push: bool,
) -> Result<(), Error> {
    let reader = comparison.as_deref();
    if let Some(path) = file {
        let text = notify::prometheus::exposition(run, reader, false);
        notify::prometheus::write_file(path, &text).map_err(|source| Error::Io {
            context: format!("cannot write {}", path.display()),
            source,
        })?;
        eprintln!("perfguard: wrote Prometheus metrics to {}", path.display());
    }
    if !push {
        return Ok(());
    }
    if let Some(d) = notify::push(&config.notify, run, reader) {
        match &d.failure {
            None => eprintln!("perfguard: pushed metrics to the Pushgateway {}", d.target),
            Some(why) => {
                let w = format!("Pushgateway {} not updated: {why}", d.target);
                eprintln!("perfguard: warning: {w}");
                if let Some(c) = comparison {
                    c.notes.push(format!("notification failed: {w}"));
                }
            }
        }
    }
    Ok(())
}
