//! `perfguard merge`: shards' results files → one run of the whole suite,
//! written atomically.

use super::Outcome;
use crate::cli::MergeArgs;
use crate::error::Error;
use crate::merge::{self, Part};
use crate::results::Run;

pub(super) fn merge(args: &MergeArgs) -> Result<Outcome, Error> {
    let parts = args
        .files
        .iter()
        .map(|path| {
            Ok(Part {
                path: path.clone(),
                run: Run::read(path)?,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let count = parts.len();
    let merged = merge::merge(parts)?;
    for w in &merged.warnings {
        eprintln!("perfguard: warning: {w}");
    }
    super::write_results(&merged.run, &args.output)?;
    eprintln!(
        "perfguard: merged {count} shards of suite `{}`",
        crate::report::terminal::sanitize_line(&merged.run.suite)
    );
    Ok(Outcome::measured(&[&merged.run]))
}
