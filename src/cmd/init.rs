//! `perfguard init`: writes a starting perfguard.toml and workflow from what
//! the repository holds (`crate::init`), never over an existing file.

use super::Outcome;
use crate::cli::InitArgs;
use crate::error::Error;
use crate::init::{self, CONFIG, WORKFLOW};
use std::io::Write;

pub(super) fn init(args: &InitArgs) -> Result<Outcome, Error> {
    let root = &args.dir;
    if !root.is_dir() {
        return Err(Error::Usage(format!(
            "{} is not a directory",
            root.display()
        )));
    }
    let findings = init::detect(root);
    if findings.is_empty() {
        return Err(Error::Usage(format!(
            "found nothing to benchmark in {}: no criterion or #[bench] benches, Rust binary, \
             Go benchmarks, pytest-benchmark, package.json bench script or Dockerfile with EXPOSE. \
             Write perfguard.toml by hand (README, \"Configuration\"); `perfguard schema` prints its schema",
            root.display()
        )));
    }
    for finding in &findings {
        eprintln!("perfguard: found {}", finding.describe());
    }
    let config = init::config(&init::suite_name(root), &findings);
    // What init writes must load: a generated file that perfguard refuses
    // would be the worst first impression.
    crate::config::Config::parse(&config, &root.join(CONFIG))?;
    let workflow = init::workflow(&findings, &init::default_branch(root));

    let mut written = 0;
    for (name, text) in [(CONFIG, &config), (WORKFLOW, &workflow)] {
        let path = root.join(name);
        if args.dry_run {
            println!("# {name}\n{text}");
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| Error::Io {
                context: format!("cannot create {}", parent.display()),
                source,
            })?;
        }
        // create_new: an existing file (or one that appears meanwhile) is
        // left exactly as it is.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut file) => {
                file.write_all(text.as_bytes())
                    .map_err(|source| Error::Io {
                        context: format!("cannot write {}", path.display()),
                        source,
                    })?;
                eprintln!("perfguard: wrote {}", path.display());
                written += 1;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                eprintln!(
                    "perfguard: {} exists; left as it is (`perfguard init --dry-run` prints what init would write)",
                    path.display()
                );
            }
            Err(source) => {
                return Err(Error::Io {
                    context: format!("cannot write {}", path.display()),
                    source,
                });
            }
        }
    }
    if !args.dry_run && written > 0 {
        eprintln!(
            "perfguard: next: `perfguard check` runs the suite here; commit both files to gate pull requests"
        );
    }
    Ok(Outcome::Pass)
}
