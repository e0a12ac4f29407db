//! `perfguard completions` and `perfguard man`: the shell's view of the clap
//! definitions, generated from them so they never drift.

use super::Outcome;
use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::Error;
use clap::CommandFactory;

pub(super) fn completions(args: &CompletionsArgs) -> Result<Outcome, Error> {
    let mut command = Cli::command();
    let mut out = std::io::stdout().lock();
    clap_complete::generate(args.shell, &mut command, "perfguard", &mut out);
    Ok(Outcome::Pass)
}

pub(super) fn man(args: &ManArgs) -> Result<Outcome, Error> {
    let command = Cli::command();
    match &args.dir {
        Some(dir) => {
            let io = |source| Error::Io {
                context: format!("cannot write the man pages into {}", dir.display()),
                source,
            };
            std::fs::create_dir_all(dir).map_err(io)?;
            clap_mangen::generate_to(command, dir).map_err(io)?;
            eprintln!("perfguard: man pages written to {}", dir.display());
        }
        None => {
            clap_mangen::Man::new(command)
                .render(&mut std::io::stdout().lock())
                .map_err(|source| Error::Io {
                    context: "cannot write the man page".into(),
                    source,
                })?;
        }
    }
    Ok(Outcome::Pass)
}
