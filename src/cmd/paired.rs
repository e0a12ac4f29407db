//! Paired mode of `check` (and `perfguard paired`, its alias): the base
//! chosen → a worktree of it → both sides built → interleaved rounds →
//! paired comparison, a failing regression confirmed by more rounds.

use crate::cli::CheckArgs;
use crate::compare::{self, Comparison, Mode, Policy, Provenance};
use crate::config::Config;
use crate::error::Error;
use crate::github::Context;
use crate::interrupt::Interrupt;
use crate::paired::{self as pm, Base, BaseRequest, Budget, Worktree};
use crate::results::{Run, short_sha};
use std::path::PathBuf;

/// What paired mode makes of this checkout.
pub(super) enum Plan {
    /// Measure HEAD against `base`.
    Paired { repo: PathBuf, base: Base },
    /// HEAD is the base (a push to the base branch, a schedule): baseline
    /// mode, so that history keeps growing. The reason, for the log.
    Baseline(String),
}

/// Chooses the base: `--base REF`; in Actions, the pull request's or merge
/// queue's base; on a push to a `save_on` branch none (baseline mode);
/// else the first `save_on` branch, or the default branch (the event's, or
/// `origin`'s HEAD, or `init.defaultBranch`, or `main`).
pub(super) fn plan(
    config: &Config,
    explicit: Option<&str>,
    ctx: Option<&Context>,
) -> Result<Plan, Error> {
    let repo = pm::repository_root(&config.base_dir())?;
    let head = pm::head_sha(&repo)?;
    let request = match (explicit, ctx) {
        (Some(reference), _) => BaseRequest::MergeBase(reference.to_owned()),
        (None, Some(ctx)) if ctx.is_pull_request() || ctx.merge_group_base.is_some() => {
            BaseRequest::Event {
                base_sha: ctx
                    .pull_request
                    .as_ref()
                    .map(|pr| pr.base_sha.clone())
                    .or_else(|| ctx.merge_group_base.clone()),
            }
        }
        (None, Some(ctx))
            if crate::baseline::saves_on(
                ctx.git_ref.as_deref(),
                &config.baseline.save_on,
                &|| ctx.default_branch.clone().unwrap_or_default(),
            ) =>
        {
            return Ok(Plan::Baseline(format!(
                "{} is a base branch",
                ctx.git_ref.as_deref().unwrap_or_default()
            )));
        }
        (None, ctx) => BaseRequest::MergeBase(
            match config
                .baseline
                .save_on
                .first()
                .cloned()
                .or_else(|| ctx.and_then(|c| c.default_branch.clone()))
            {
                Some(b) => b,
                None => pm::default_branch(&repo)?,
            },
        ),
    };
    let base = pm::resolve_base(&repo, &request)?;
    if base.sha == head {
        return Ok(Plan::Baseline(format!(
            "HEAD ({}) is the base",
            short_sha(&head, 12)
        )));
    }
    Ok(Plan::Paired { repo, base })
}

/// The paired comparison of HEAD against `base`, and the base and head runs.
pub(super) fn measure(
    config: &Config,
    repo: &std::path::Path,
    base: &Base,
    args: &CheckArgs,
    interrupt: &Interrupt,
) -> Result<(Comparison, Run, Run), Error> {
    eprintln!(
        "perfguard: paired mode: base {} ({})",
        short_sha(&base.sha, 12),
        base.how
    );
    let worktree = Worktree::add(repo, &base.sha)?;
    let base_config = pm::rerooted(config, repo, &worktree.path);
    let head_git = crate::environment::git_info(&config.base_dir());
    let head_sha = head_git.as_ref().map(|g| g.sha.clone());
    if let Some(build) = &config.compare.build {
        let head_label = head_sha.clone().unwrap_or_default();
        for (side, sha, dir) in [
            ("base", base.sha.as_str(), base_config.base_dir()),
            ("head", head_label.as_str(), config.base_dir()),
        ] {
            eprintln!("perfguard: building {side}: {build}");
            pm::build(side, sha, build, &dir, interrupt)?;
        }
    }
    let policy = Policy::of(config);
    let environment = crate::environment::detect(&config.suite.environment);
    let base_git = pm::base_git(&base.sha, &base.reference);
    // Base and head of the named phases, measured in interleaved rounds.
    let measure_pairs = |phases: &[String], budget: Budget| {
        let started_at = chrono::Utc::now();
        eprintln!(
            "perfguard: running base and head interleaved{}",
            if phases.is_empty() {
                String::new()
            } else {
                format!(" ({})", phases.join(", "))
            }
        );
        let pairs = pm::run_interleaved(&base_config, config, phases, budget, &policy, interrupt);
        for (phase, rounds) in &pairs.rounds {
            eprintln!("perfguard: phase {phase}: {rounds} rounds");
        }
        let side = |phases, git| {
            Run::new(
                config.suite.name.clone(),
                environment.clone(),
                git,
                started_at,
                interrupt.is_set(),
                phases,
            )
        };
        let rounds = pairs.rounds.iter().map(|(_, r)| *r).max();
        (
            side(pairs.base, Some(base_git.clone())),
            side(pairs.head, head_git.clone()),
            rounds,
        )
    };

    let budget = Budget {
        max_rounds: config.compare.max_rounds,
        max_time: config.compare.max_time.0,
    };
    let (base_run, head_run, rounds) = measure_pairs(&args.phases, budget);
    if let Some(dir) = &args.save_pairs {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            context: format!("cannot create {}", dir.display()),
            source,
        })?;
        base_run.write(&dir.join("base.json"))?;
        head_run.write(&dir.join("head.json"))?;
    }
    if let Some(out) = &args.output {
        super::write_results(&head_run, out)?;
    }
    let first = compare::paired::compare_paired(&base_run, &head_run, &policy);
    let mut comparison = crate::confirm::confirm(first, policy.compare.confirm, |phases| {
        eprintln!("perfguard: confirming by rerunning {}", phases.join(", "));
        // The rerun gets the first measurement's budget and is judged with
        // the first's pairs in front of its own (`pooled`): a fresh fluke in
        // either half is outweighed, and a real change near a threshold is
        // not dropped for being measured twice as noisily as it could be.
        let (b, h, _) = measure_pairs(phases, budget);
        let (b, h) = (pm::pooled(&base_run, &b), pm::pooled(&head_run, &h));
        Ok::<_, Error>(compare::paired::compare_paired(&b, &h, &policy))
    })?;
    drop(worktree);
    comparison.provenance = Some(Provenance {
        mode: Mode::Paired,
        base_sha: Some(base.sha.clone()),
        head_sha,
        rounds,
        history_runs: None,
        noise_floor: Provenance::noise_floor_of(&comparison.comparisons),
        thin_history: false,
        fallback: None,
    });
    Ok((comparison, base_run, head_run))
}
