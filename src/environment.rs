//! Environment: turns the machine (sysinfo), the repository (git2) and CI
//! variables into the `environment` and `git` blocks of a run.

use crate::results::{Environment, GitInfo};
use std::path::{Path, PathBuf};
use sysinfo::{CpuRefreshKind, MemoryRefreshKind, RefreshKind, System};

/// Describes this machine; `configured` is `[suite] environment` (`auto`
/// derives the key from os, arch and CPU model).
pub fn detect(configured: &str) -> Environment {
    let refresh = RefreshKind::nothing()
        .with_cpu(CpuRefreshKind::nothing())
        .with_memory(MemoryRefreshKind::nothing().with_ram());
    let (cpu_model, cores, memory_bytes) = match System::new_with_specifics(refresh) {
        Ok(sys) => (
            sys.cpus()
                .first()
                .map(|c| c.brand().trim().to_owned())
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| "unknown".into()),
            sys.cpus().len().max(1),
            sys.total_memory(),
        ),
        Err(_) => (
            "unknown".into(),
            std::thread::available_parallelism().map_or(1, |n| n.get()),
            0,
        ),
    };
    let os = System::long_os_version()
        .or_else(|_| System::name())
        .unwrap_or_else(|_| std::env::consts::OS.to_owned());
    let arch = std::env::consts::ARCH.to_owned();
    let key = if configured.is_empty() || configured == "auto" {
        slug(&format!("{}-{}-{}", std::env::consts::OS, arch, cpu_model))
    } else {
        configured.to_owned()
    };
    Environment {
        key,
        os,
        arch,
        cpu_model,
        cores,
        memory_bytes,
        runner: std::env::var("RUNNER_NAME").ok().filter(|s| !s.is_empty()),
    }
}

/// Lower-case ASCII letters, digits and single dashes: safe in a path.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out
        .trim_end_matches('-')
        .replace("(r)", "")
        .replace("(tm)", "");
    if out.is_empty() {
        "unknown".into()
    } else {
        out
    }
}

/// The commit being measured: HEAD of the repository around `dir`, or
/// `GITHUB_SHA` / `GITHUB_REF` when there is no repository.
pub fn git_info(dir: &Path) -> Option<GitInfo> {
    // The repository's files first: libgit2's start-up alone (it loads the
    // system's CA bundle) costs more than a whole short command phase.
    let head = match read_head(dir) {
        Head::Found(head) => Some(head),
        Head::NoRepository => None,
        Head::Unknown => head_from_libgit2(dir),
    };
    let from_repo = head.map(|(sha, ref_name)| GitInfo {
        sha,
        ref_name,
        base_sha: None,
        pr: None,
    });
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match from_repo {
        Some(mut info) => {
            if info.ref_name.is_none() {
                info.ref_name = env("GITHUB_REF");
            }
            Some(info)
        }
        None => env("GITHUB_SHA").map(|sha| GitInfo {
            sha,
            ref_name: env("GITHUB_REF"),
            base_sha: None,
            pr: None,
        }),
    }
}

/// HEAD's commit and, on a branch, the branch's full ref name.
type HeadInfo = (String, Option<String>);

/// What the repository's files say of HEAD.
#[derive(Debug, PartialEq)]
enum Head {
    Found(HeadInfo),
    /// No `.git` in `dir` or above it.
    NoRepository,
    /// A repository this reader does not follow (an unborn branch, another
    /// ref storage): libgit2 decides.
    Unknown,
}

/// Reads HEAD the way git lays it out: `.git` (a directory, or a file
/// naming one, as in worktrees and submodules), `commondir`, loose refs,
/// then `packed-refs`.
fn read_head(dir: &Path) -> Head {
    let Some(git_dir) = discover(dir) else {
        return Head::NoRepository;
    };
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.clone());
    let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD")) else {
        return Head::Unknown;
    };
    let head = head.trim();
    match head.strip_prefix("ref:") {
        // HEAD on a branch, as `git checkout` leaves it; anything else
        // (a symbolic chain, a tag) is libgit2's to name and peel.
        Some(name) if name.trim().starts_with("refs/heads/") => {
            let name = name.trim();
            match resolve(&git_dir, &common, name) {
                Some(sha) => Head::Found((sha, Some(name.to_owned()))),
                None => Head::Unknown,
            }
        }
        Some(_) => Head::Unknown,
        None if is_object_id(head) => Head::Found((head.to_owned(), None)),
        None => Head::Unknown,
    }
}

/// The git directory of the work tree (or bare repository) around `dir`.
fn discover(dir: &Path) -> Option<PathBuf> {
    let dir = dir.canonicalize().ok()?;
    for d in dir.ancestors() {
        let dot_git = d.join(".git");
        if dot_git.join("HEAD").is_file() {
            return Some(dot_git);
        }
        if dot_git.is_file() {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.trim().strip_prefix("gitdir:")?.trim();
            return Some(d.join(target));
        }
        if d.join("HEAD").is_file() && d.join("objects").is_dir() && d.join("refs").is_dir() {
            return Some(d.to_owned());
        }
    }
    None
}

/// A branch's object id: loose in the worktree's or the common directory,
/// else in `packed-refs`. A symbolic branch is left to libgit2.
fn resolve(git_dir: &Path, common: &Path, name: &str) -> Option<String> {
    if name.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    for base in [git_dir, common] {
        if let Ok(text) = std::fs::read_to_string(base.join(name)) {
            let text = text.trim();
            return is_object_id(text).then(|| text.to_owned());
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        .filter_map(|l| l.split_once(' '))
        .find(|(_, n)| *n == name)
        .and_then(|(sha, _)| is_object_id(sha).then(|| sha.to_owned()))
}

/// A full SHA-1 or SHA-256 object id.
fn is_object_id(text: &str) -> bool {
    matches!(text.len(), 40 | 64) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// HEAD through libgit2, for what [`read_head`] does not follow.
fn head_from_libgit2(dir: &Path) -> Option<HeadInfo> {
    crate::baseline::git::prepare_libgit2();
    let repo = git2::Repository::discover(dir).ok()?;
    let head = repo.head().ok()?;
    let sha = head.peel_to_commit().ok()?.id().to_string();
    let ref_name = if head.is_branch() {
        head.name().ok().map(str::to_owned)
    } else {
        None
    };
    Some((sha, ref_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_path_safe() {
        assert_eq!(
            slug("linux-x86_64-Intel(R) Xeon(R) CPU @ 2.20GHz"),
            "linux-x86_64-intel-r-xeon-r-cpu-2.20ghz"
        );
        assert_eq!(slug("../../etc"), "..-..-etc");
        assert_eq!(slug("///"), "unknown");
    }

    /// Runs git in `dir` with no user or system configuration.
    fn git(dir: &Path, args: &[&str]) -> String {
        let empty = dir.parent().unwrap().join("empty-gitconfig");
        std::fs::write(&empty, "").unwrap();
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", &empty)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// The files' answer and libgit2's agree, whatever the layout.
    fn same_as_libgit2(dir: &Path) -> HeadInfo {
        let Head::Found(found) = read_head(dir) else {
            panic!("no HEAD read in {}", dir.display());
        };
        assert_eq!(Some(found.clone()), head_from_libgit2(dir));
        found
    }

    #[test]
    fn reads_head_as_libgit2_does() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        // An unborn branch is libgit2's to answer (no commit).
        assert_eq!(read_head(&repo), Head::Unknown);
        assert_eq!(
            git_info(&repo).map(|g| g.sha),
            std::env::var("GITHUB_SHA").ok()
        );
        git(&repo, &["commit", "-q", "--allow-empty", "-m", "one"]);
        let first = git(&repo, &["rev-parse", "HEAD"]);
        std::fs::create_dir_all(repo.join("sub/dir")).unwrap();
        let (sha, name) = same_as_libgit2(&repo.join("sub/dir"));
        assert_eq!(
            (sha.as_str(), name.as_deref()),
            (first.as_str(), Some("refs/heads/main"))
        );
        // Packed refs only.
        git(&repo, &["pack-refs", "--all", "--prune"]);
        assert!(!repo.join(".git/refs/heads/main").exists());
        assert_eq!(same_as_libgit2(&repo).0, first);
        // Detached.
        git(&repo, &["commit", "-q", "--allow-empty", "-m", "two"]);
        git(&repo, &["checkout", "-q", "--detach", &first]);
        assert_eq!(same_as_libgit2(&repo), (first.clone(), None));
        // A linked worktree: `.git` is a file, refs live in the common dir.
        let wt = tmp.path().join("wt");
        git(
            &repo,
            &[
                "worktree",
                "add",
                "-q",
                "-b",
                "topic",
                wt.to_str().unwrap(),
                "main",
            ],
        );
        let second = git(&repo, &["rev-parse", "main"]);
        assert_eq!(
            same_as_libgit2(&wt),
            (second, Some("refs/heads/topic".to_owned()))
        );
    }

    #[test]
    fn outside_a_repository_there_is_no_head() {
        let tmp = tempfile::tempdir().unwrap();
        // A temp dir is not inside a repository (unless the system's is).
        if head_from_libgit2(tmp.path()).is_none() {
            assert_eq!(read_head(tmp.path()), Head::NoRepository);
        }
    }

    #[test]
    fn hostile_refs_are_not_followed_out_of_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["commit", "-q", "--allow-empty", "-m", "one"]);
        let outside = tmp.path().join("secret");
        std::fs::write(&outside, "0123456789012345678901234567890123456789\n").unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref: ../../secret\n").unwrap();
        assert_eq!(read_head(&repo), Head::Unknown);
        std::fs::write(repo.join(".git/HEAD"), "not a ref\n").unwrap();
        assert_eq!(read_head(&repo), Head::Unknown);
        // Not a branch: libgit2 names it (or not), as before.
        std::fs::write(repo.join(".git/HEAD"), "ref: refs/tags/v1\n").unwrap();
        assert_eq!(read_head(&repo), Head::Unknown);
    }

    #[test]
    fn detects_this_machine() {
        let env = detect("auto");
        assert!(env.cores >= 1);
        assert!(!env.key.is_empty());
        assert_eq!(detect("ci-large").key, "ci-large");
    }
}
