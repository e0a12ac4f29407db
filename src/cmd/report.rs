//! `perfguard report --html FILE`: saved results (and a saved comparison,
//! or a baseline to compare with here) → the HTML report.

use super::{Evidence, Outcome};
use crate::cli::ReportArgs;
use crate::compare::{self, Comparison, Policy};
use crate::config::ThresholdsConfig;
use crate::error::Error;
use crate::results::Run;
use std::path::Path;

pub(super) fn report(args: &ReportArgs) -> Result<Outcome, Error> {
    let current = args.current.as_deref().map(Run::read).transpose()?;
    let baseline = args.baseline.as_deref().map(Run::read).transpose()?;
    let mut history = args
        .history
        .iter()
        .map(|p| Run::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    history.sort_by_key(|r| r.started_at);
    let comparison = match (&args.comparison, &current) {
        (Some(path), _) => read_comparison(path)?,
        (None, Some(current)) => {
            let policy = super::optional_config(args.config.as_deref())?
                .as_ref()
                .map_or_else(|| Policy::new(ThresholdsConfig::default()), Policy::of);
            compare::compare_history(baseline.as_ref(), current, &history, &policy)
        }
        (None, None) => unreachable!("clap requires --current or --comparison"),
    };
    let evidence = Evidence {
        baseline: baseline.as_ref(),
        current: current.as_ref(),
    };
    let html = super::html(&comparison, None, &history, evidence);
    super::write_html(&args.html, &html)?;
    Ok(Outcome::Pass)
}

/// A comparison saved by `compare --format json` or the action.
fn read_comparison(path: &Path) -> Result<Comparison, Error> {
    let bytes = crate::input::read(path).map_err(|e| match e {
        crate::input::InputError::Io(source) => Error::Io {
            context: format!("cannot read the comparison {}", path.display()),
            source,
        },
        e @ crate::input::InputError::TooLarge(_) => {
            Error::Usage(format!("comparison {}: {e}", path.display()))
        }
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        Error::Usage(format!(
            "comparison {} is not a comparison JSON (`perfguard compare --format json`): {e}",
            path.display()
        ))
    })
}
