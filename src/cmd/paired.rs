//! `perfguard paired`: merge-base worktree → build both sides → interleaved
//! rounds → paired comparison, a failing regression confirmed by more
//! rounds → report.

use super::Outcome;
use crate::cli::PairedArgs;
use crate::compare::{self, Policy};
use crate::config::Config;
use crate::error::Error;
use crate::paired::{self as pm, Worktree};
use crate::results::Run;

pub(super) fn paired(args: &PairedArgs, color: bool) -> Result<Outcome, Error> {
    let config = Config::load(&args.config)?;
    super::run::check_phase_names(&config, &args.phases)?;
    let repo = pm::repository_root(&config.base_dir())?;
    let sha = pm::merge_base(&repo, &args.base)?;
    eprintln!(
        "perfguard: base {} (merge-base of HEAD and {})",
        crate::results::short_sha(&sha, 12),
        args.base
    );
    let worktree = Worktree::add(&repo, &sha)?;
    let base_config = pm::rerooted(&config, &repo, &worktree.path);
    // Before the build: Ctrl-C stops a build too (it runs in its own
    // process group, out of the terminal's reach).
    let interrupt = super::interrupt()?;
    if let Some(build) = &config.compare.build {
        for (side, dir) in [
            ("base", base_config.base_dir()),
            ("head", config.base_dir()),
        ] {
            eprintln!("perfguard: building {side}: {build}");
            pm::build(build, &dir, &interrupt)?;
        }
    }
    let policy = Policy::of(&config);
    let environment = crate::environment::detect(&config.suite.environment);
    let head_git = crate::environment::git_info(&config.base_dir());
    let base_git = pm::base_git(&sha, &args.base);
    // Base and head of the named phases, measured in interleaved rounds.
    let measure_pairs = |phases: &[String]| {
        let started_at = chrono::Utc::now();
        eprintln!(
            "perfguard: running base and head interleaved{}",
            if phases.is_empty() {
                String::new()
            } else {
                format!(" ({})", phases.join(", "))
            }
        );
        let pairs = pm::run_interleaved(&base_config, &config, phases, &interrupt);
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
        (
            side(pairs.base, Some(base_git.clone())),
            side(pairs.head, head_git.clone()),
        )
    };

    let (base, head) = measure_pairs(&args.phases);
    if let Some(dir) = &args.save {
        std::fs::create_dir_all(dir).map_err(|source| Error::Io {
            context: format!("cannot create {}", dir.display()),
            source,
        })?;
        base.write(&dir.join("base.json"))?;
        head.write(&dir.join("head.json"))?;
    }
    let first = compare::paired::compare_paired(&base, &head, &policy);
    let comparison = crate::confirm::confirm(first, policy.compare.confirm, |phases| {
        eprintln!("perfguard: confirming by rerunning {}", phases.join(", "));
        let (b, h) = measure_pairs(phases);
        Ok::<_, Error>(compare::paired::compare_paired(&b, &h, &policy))
    })?;
    drop(worktree);
    print!(
        "{}",
        super::render(&comparison, None, &[], args.format, color)
    );
    Ok(Outcome::of(&comparison, &[&base, &head]))
}
