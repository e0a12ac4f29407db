//! Environment: turns the machine (sysinfo), the repository (git2) and CI
//! variables into the `environment` and `git` blocks of a run.

use crate::results::{Environment, GitInfo};
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
pub fn git_info(dir: &std::path::Path) -> Option<GitInfo> {
    let from_repo = (|| {
        crate::baseline::git::trust_workspace_owner();
        let repo = git2::Repository::discover(dir).ok()?;
        let head = repo.head().ok()?;
        let sha = head.peel_to_commit().ok()?.id().to_string();
        let ref_name = if head.is_branch() {
            head.name().ok().map(str::to_owned)
        } else {
            None
        };
        Some(GitInfo {
            sha,
            ref_name,
            base_sha: None,
            pr: None,
        })
    })();
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

    #[test]
    fn detects_this_machine() {
        let env = detect("auto");
        assert!(env.cores >= 1);
        assert!(!env.key.is_empty());
        assert_eq!(detect("ci-large").key, "ci-large");
    }
}
