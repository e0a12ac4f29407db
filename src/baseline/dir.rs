//! Local directory store: turns a plain directory (for projects outside
//! any git repository) into a [`Store`] with the branch's layout. Saves and
//! prunes of one suite and environment hold a lock file, so concurrent
//! processes take turns.

use super::{
    BaselineError, Entry, Imported, Kind, SavedRun, Store, by_directory, check_owner, component,
    file_name, inspect, latest_path, plan_import, retention, runs_dir, sort_entries,
};
use crate::results::{Run, write_durable};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The lock file in a `<suite>/<environment>` directory.
const LOCK: &str = ".perfguard.lock";
/// A lock older than this was left by a process that died: it is broken.
const STALE: Duration = Duration::from_secs(120);
/// How long a save waits for the lock before giving up.
const WAIT: Duration = Duration::from_secs(300);

/// A lock file created with `create_new`, removed when dropped.
struct Lock {
    path: PathBuf,
}

impl Lock {
    fn take(dir: &Path) -> Result<Lock, BaselineError> {
        let path = dir.join(LOCK);
        let start = Instant::now();
        let mut attempt = 0u32;
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(_) => return Ok(Lock { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(BaselineError::Io {
                        context: format!("cannot create the lock file {}", path.display()),
                        source: e,
                    });
                }
            }
            let age = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok());
            if age.is_some_and(|a| a > STALE) {
                let _ = std::fs::remove_file(&path);
                continue;
            }
            if start.elapsed() > WAIT {
                return Err(BaselineError::Contended {
                    target: format!("directory {} (lock file {LOCK})", dir.display()),
                    attempts: attempt,
                });
            }
            attempt += 1;
            std::thread::sleep(Duration::from_millis(5 + u64::from(attempt.min(20)) * 2));
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Baselines under a directory (`.perfguard/baselines` beside the config).
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    pub fn new(root: impl Into<PathBuf>) -> DirStore {
        DirStore { root: root.into() }
    }

    fn io(context: String) -> impl FnOnce(std::io::Error) -> BaselineError {
        move |source| BaselineError::Io { context, source }
    }

    /// Each run file of a suite and environment with what it holds.
    fn classify(&self, entries: &[Entry]) -> Vec<(Entry, Kind)> {
        entries
            .iter()
            .map(|e| {
                let kind = std::fs::read(self.root.join(&e.path))
                    .map_or(Kind::Unreadable, |b| Kind::of(&b, &e.path));
                (e.clone(), kind)
            })
            .collect()
    }

    /// Deletes what `plan` removes (a file already gone is fine) and points
    /// `latest.json` at the newest run that stays; returns how many went.
    fn apply(
        &self,
        plan: &super::Retention,
        latest: &Path,
        saved: Option<(&Entry, &[u8])>,
    ) -> Result<usize, BaselineError> {
        if let Some(newest) = &plan.latest {
            let bytes = match saved {
                Some((entry, bytes)) if entry == newest => bytes.to_vec(),
                _ => {
                    let p = self.root.join(&newest.path);
                    std::fs::read(&p).map_err(Self::io(format!("cannot read {}", p.display())))?
                }
            };
            if std::fs::read(latest).ok().as_deref() != Some(bytes.as_slice()) {
                write_durable(latest, &bytes)
                    .map_err(Self::io(format!("cannot write {}", latest.display())))?;
            }
        }
        let mut removed = 0;
        for old in &plan.remove {
            let p = self.root.join(&old.path);
            match std::fs::remove_file(&p) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Self::io(format!("cannot remove {}", p.display()))(e)),
            }
        }
        Ok(removed)
    }

    fn subdirs(path: &Path) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(path) else {
            return Vec::new();
        };
        let mut names: Vec<String> = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
    }
}

impl Store for DirStore {
    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }

    fn refresh(&mut self) -> Result<(), BaselineError> {
        Ok(())
    }

    fn keys(&self) -> Result<Vec<(String, String)>, BaselineError> {
        let mut keys = Vec::new();
        for suite in Self::subdirs(&self.root) {
            for env in Self::subdirs(&self.root.join(&suite)) {
                keys.push((suite.clone(), env));
            }
        }
        Ok(keys)
    }

    fn entries(&self, suite: &str, environment: &str) -> Result<Vec<Entry>, BaselineError> {
        let dir = runs_dir(suite, environment);
        let Ok(rd) = std::fs::read_dir(self.root.join(&dir)) else {
            return Ok(Vec::new());
        };
        let mut entries: Vec<Entry> = rd
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| Entry::parse(&dir, e.file_name().to_str()?, None))
            .collect();
        sort_entries(&mut entries);
        Ok(entries)
    }

    fn read(&self, entry: &Entry) -> Result<Vec<u8>, BaselineError> {
        let path = self.root.join(&entry.path);
        std::fs::read(&path).map_err(Self::io(format!("cannot read {}", path.display())))
    }

    fn save(&mut self, run: &Run, keep: usize) -> Result<SavedRun, BaselineError> {
        let dir = runs_dir(&run.suite, &run.environment.key);
        let abs = self.root.join(&dir);
        std::fs::create_dir_all(&abs)
            .map_err(Self::io(format!("cannot create {}", abs.display())))?;
        let json = serde_json::to_string_pretty(run).expect("results serialize") + "\n";
        let key_dir = abs.parent().expect("runs sits in its environment");
        let _lock = Lock::take(key_dir)?;
        let mut entries = self.entries(&run.suite, &run.environment.key)?;
        let mut files = self.classify(&entries);
        check_owner(&files, &run.suite, &run.environment.key)?;
        let name = file_name(run, &entries);
        let new = Entry::parse(&dir, &name, None).expect("a .json name");
        // Written whole, then renamed: a reader never sees half a run.
        let file = abs.join(&name);
        write_durable(&file, json.as_bytes())
            .map_err(Self::io(format!("cannot write {}", file.display())))?;
        entries.push(new.clone());
        sort_entries(&mut entries);
        files.push((
            new.clone(),
            Kind::Run {
                suite: run.suite.clone(),
                environment: run.environment.key.clone(),
            },
        ));
        files.sort_by_key(|(e, _)| entries.iter().position(|o| o == e));
        let plan = retention(&files, keep, Some(&new));
        let latest = self
            .root
            .join(latest_path(&run.suite, &run.environment.key));
        self.apply(&plan, &latest, Some((&new, json.as_bytes())))?;
        Ok(SavedRun {
            path: new.path,
            commit: None,
            run: run.clone(),
        })
    }

    fn import(&mut self, runs: &[Run], keep: usize) -> Result<Imported, BaselineError> {
        let keep = keep.max(1);
        let mut done = Imported::default();
        for ((suite, environment), members) in by_directory(runs) {
            let dir = runs_dir(&suite, &environment);
            let abs = self.root.join(&dir);
            std::fs::create_dir_all(&abs)
                .map_err(Self::io(format!("cannot create {}", abs.display())))?;
            let _lock = Lock::take(abs.parent().expect("runs sits in its environment"))?;
            let files: Vec<_> = self
                .entries(&suite, &environment)?
                .into_iter()
                .map(|e| {
                    let bytes = std::fs::read(self.root.join(&e.path)).ok();
                    let (kind, id) = inspect(bytes.as_deref(), &e.path);
                    (e, kind, id)
                })
                .collect();
            let plan = plan_import(&dir, &files, &members, keep, (&suite, &environment))?;
            done.duplicates += plan.duplicates;
            done.beyond_keep += plan.beyond_keep;
            if plan.add.is_empty() {
                continue;
            }
            // Each file written whole, then renamed; when one fails, those
            // already written go again, so no import is left half done.
            let mut written: Vec<std::path::PathBuf> = Vec::new();
            let mut latest_bytes = None;
            for (entry, index) in &plan.add {
                let json =
                    serde_json::to_string_pretty(&runs[*index]).expect("results serialize") + "\n";
                let file = self.root.join(&entry.path);
                if let Err(e) = write_durable(&file, json.as_bytes()) {
                    for w in &written {
                        let _ = std::fs::remove_file(w);
                    }
                    return Err(Self::io(format!("cannot write {}", file.display()))(e));
                }
                written.push(file);
                if plan.latest.as_ref() == Some(entry) {
                    latest_bytes = Some((entry.clone(), json));
                }
                done.added.push(entry.path.clone());
            }
            let retention = super::Retention {
                remove: plan.remove.clone(),
                latest: plan.latest.clone(),
            };
            let latest = self.root.join(latest_path(&suite, &environment));
            done.pruned += self.apply(
                &retention,
                &latest,
                latest_bytes.as_ref().map(|(e, j)| (e, j.as_bytes())),
            )?;
        }
        Ok(done)
    }

    fn prune(&mut self, keep: usize) -> Result<usize, BaselineError> {
        let mut pruned = 0;
        for (dir_suite, dir_env) in self.keys()? {
            let _lock = Lock::take(&self.root.join(&dir_suite).join(&dir_env))?;
            let (suite, env) = (component(&dir_suite), component(&dir_env));
            let entries = self.entries(&suite, &env)?;
            let plan = retention(&self.classify(&entries), keep, None);
            let latest = self.root.join(latest_path(&suite, &env));
            pruned += self.apply(&plan, &latest, None)?;
        }
        Ok(pruned)
    }
}
