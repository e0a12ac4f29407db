//! Save policy: turns what was asked (flags, the action's `save` input,
//! `save_on`) and the run itself into a decision to save it as a baseline.

use crate::results::Run;

/// When a run is saved as a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavePolicy {
    Never,
    /// Whatever the ref (`--save`, the action's `save: always`).
    Always,
    /// When the run's ref is in `save_on` (default: the default branch).
    OnSaveOnRefs,
}

/// What a [`SavePolicy`] makes of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveDecision {
    Save,
    /// Saving was not asked for.
    NotAsked,
    /// Saving was asked for, and this is why the run does not save.
    Refused(String),
}

impl SavePolicy {
    /// `--save` and `--no-save` win over what the environment asks for.
    pub fn from_flags(save: bool, no_save: bool, otherwise: SavePolicy) -> SavePolicy {
        if no_save {
            SavePolicy::Never
        } else if save {
            SavePolicy::Always
        } else {
            otherwise
        }
    }

    /// Never a failed or partial run; under `OnSaveOnRefs`, only a run of a
    /// `save_on` ref (`default_branch` is asked only when `save_on` is empty).
    pub fn decide(
        self,
        run: &Run,
        save_on: &[String],
        default_branch: &dyn Fn() -> String,
    ) -> SaveDecision {
        if self == SavePolicy::Never {
            return SaveDecision::NotAsked;
        }
        if run.partial || run.has_errors() {
            return SaveDecision::Refused("a phase failed or the run was interrupted".into());
        }
        let ref_name = run.git.as_ref().and_then(|g| g.ref_name.as_deref());
        if self == SavePolicy::Always || saves_on(ref_name, save_on, default_branch) {
            SaveDecision::Save
        } else {
            SaveDecision::Refused(format!(
                "ref `{}` is not in save_on (pass --save to save anyway)",
                ref_name.unwrap_or("(detached)")
            ))
        }
    }
}

/// Whether a run of `ref_name` saves: its branch is in `save_on`, or, when
/// `save_on` is empty, it is the default branch.
pub fn saves_on(
    ref_name: Option<&str>,
    save_on: &[String],
    default_branch: &dyn Fn() -> String,
) -> bool {
    let Some(r) = ref_name else { return false };
    let branch = r.strip_prefix("refs/heads/");
    let matches = |want: &str| {
        let want_branch = want.strip_prefix("refs/heads/").unwrap_or(want);
        r == want || branch == Some(want_branch)
    };
    if save_on.is_empty() {
        matches(&default_branch())
    } else {
        save_on.iter().any(|w| matches(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Environment, GitInfo};

    fn run(ref_name: Option<&str>) -> Run {
        let env = crate::environment::detect("test");
        let now = chrono::Utc::now();
        Run::new(
            "s".into(),
            Environment { ..env },
            ref_name.map(|r| GitInfo {
                sha: "abc".into(),
                ref_name: Some(r.into()),
                base_sha: None,
                pr: None,
            }),
            now,
            false,
            Vec::new(),
        )
    }

    fn main_branch() -> String {
        "main".into()
    }

    #[test]
    fn flags_win_over_the_environment() {
        assert_eq!(
            SavePolicy::from_flags(false, true, SavePolicy::Always),
            SavePolicy::Never
        );
        assert_eq!(
            SavePolicy::from_flags(true, false, SavePolicy::Never),
            SavePolicy::Always
        );
        assert_eq!(
            SavePolicy::from_flags(false, false, SavePolicy::OnSaveOnRefs),
            SavePolicy::OnSaveOnRefs
        );
    }

    #[test]
    fn saves_the_default_branch_and_refuses_others_with_a_reason() {
        let p = SavePolicy::OnSaveOnRefs;
        assert_eq!(
            p.decide(&run(Some("refs/heads/main")), &[], &main_branch),
            SaveDecision::Save
        );
        let SaveDecision::Refused(why) =
            p.decide(&run(Some("refs/heads/topic")), &[], &main_branch)
        else {
            panic!("a topic branch saved");
        };
        assert!(why.contains("refs/heads/topic"), "{why}");
        assert!(matches!(
            p.decide(&run(None), &[], &main_branch),
            SaveDecision::Refused(why) if why.contains("(detached)")
        ));
        assert_eq!(
            SavePolicy::Always.decide(&run(None), &[], &main_branch),
            SaveDecision::Save
        );
        assert_eq!(
            SavePolicy::Never.decide(&run(Some("refs/heads/main")), &[], &main_branch),
            SaveDecision::NotAsked
        );
    }

    #[test]
    fn never_saves_a_partial_or_failed_run() {
        let mut partial = run(Some("refs/heads/main"));
        partial.partial = true;
        assert!(matches!(
            SavePolicy::Always.decide(&partial, &[], &main_branch),
            SaveDecision::Refused(_)
        ));
    }
}
