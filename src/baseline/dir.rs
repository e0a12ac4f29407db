//! Local directory store: turns a plain directory (for projects outside
//! any git repository) into a [`Store`] with the branch's layout.

use super::{
    BaselineError, Entry, SavedRun, Store, component, excess, file_name, latest_path, runs_dir,
    sort_entries,
};
use crate::results::{Run, write_atomic};
use std::io::Write;
use std::path::{Path, PathBuf};

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
        // create_new claims the name atomically, so two saves never share a file.
        let (name, mut file) = loop {
            let name = file_name(run, &self.entries(&run.suite, &run.environment.key)?);
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(abs.join(&name))
            {
                Ok(f) => break (name, f),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Self::io(format!("cannot write in {}", abs.display()))(e)),
            }
        };
        file.write_all(json.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(Self::io(format!(
                "cannot write {}",
                abs.join(&name).display()
            )))?;
        let entries = self.entries(&run.suite, &run.environment.key)?;
        let path = format!("{dir}/{name}");
        if entries.last().is_some_and(|e| e.path == path) {
            let latest = self
                .root
                .join(latest_path(&run.suite, &run.environment.key));
            write_atomic(&latest, json.as_bytes())
                .map_err(Self::io(format!("cannot write {}", latest.display())))?;
        }
        let others: Vec<Entry> = entries.into_iter().filter(|e| e.path != path).collect();
        for old in excess(&others, keep.max(1) - 1) {
            let p = self.root.join(&old.path);
            std::fs::remove_file(&p).map_err(Self::io(format!("cannot remove {}", p.display())))?;
        }
        Ok(SavedRun {
            path,
            commit: None,
            run: run.clone(),
        })
    }

    fn prune(&mut self, keep: usize) -> Result<usize, BaselineError> {
        let mut pruned = 0;
        for (suite, env) in self.keys()? {
            let entries = self.entries(&component(&suite), &component(&env))?;
            for old in excess(&entries, keep.max(1)) {
                let p = self.root.join(&old.path);
                std::fs::remove_file(&p)
                    .map_err(Self::io(format!("cannot remove {}", p.display())))?;
                pruned += 1;
            }
        }
        Ok(pruned)
    }
}
