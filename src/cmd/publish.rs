//! Publishing in GitHub Actions: turns a comparison into the job summary,
//! the sticky comment, outputs and annotations, and the accept label into
//! the exit. Shared by `check` and `compare --github`.

use super::Outcome;
use crate::compare::Comparison;
use crate::error::Error;
use crate::github::{self, Context, Inputs};
use crate::results::Run;

/// In GitHub Actions, the context and the action's inputs, with the token
/// masked before anything else reaches the log; `None` elsewhere.
pub(super) fn actions_context() -> Result<Option<(Context, Inputs)>, Error> {
    let vars = std::env::vars().collect();
    if !Context::in_actions(&vars) {
        return Ok(None);
    }
    let inputs = Inputs::from_vars(&vars)?;
    if let Some(token) = &inputs.token {
        print!("{}", github::commands::add_mask(token.expose()));
    }
    let ctx = Context::from_vars(&vars)?;
    Ok(Some((ctx, inputs)))
}

/// The action's `working-directory`: changes the process's directory, so
/// every relative path after this is relative to it.
pub(super) fn enter_working_directory(inputs: &Inputs) -> Result<(), Error> {
    match &inputs.working_directory {
        Some(dir) => std::env::set_current_dir(dir).map_err(|source| Error::Io {
            context: format!("cannot enter working-directory {}", dir.display()),
            source,
        }),
        None => Ok(()),
    }
}

/// Publishes to GitHub (summary, sticky comment, outputs, annotations) and
/// applies the accept label to the exit: an accepted regression passes; a
/// phase failure still fails. `html`, the HTML report, is saved beside
/// the Markdown one.
pub(super) fn publish(
    comparison: &Comparison,
    history: &[Run],
    html: Option<String>,
    ctx: &Context,
    inputs: Inputs,
    outcome: Outcome,
) -> Result<Outcome, Error> {
    let dir = std::env::current_dir().map_err(|source| Error::Io {
        context: "cannot read the working directory".into(),
        source,
    })?;
    let published = github::publish(
        comparison,
        history,
        ctx,
        &github::Options {
            html,
            ..github::Options::new(inputs, &dir)
        },
    );
    announce(&published);
    Ok(
        if outcome == Outcome::Regression && published.accepted.is_some() {
            Outcome::Pass
        } else {
            outcome
        },
    )
}

fn announce(p: &github::PublishOutcome) {
    print!("{}", p.commands);
    for w in &p.warnings {
        println!(
            "::warning title=perfguard::{}",
            github::commands::escape_data(w)
        );
        eprintln!(
            "perfguard: warning: {}",
            crate::report::terminal::sanitize_line(w)
        );
    }
    match (&p.comment, &p.comment_url) {
        (github::CommentStatus::Created, Some(url)) => eprintln!("perfguard: commented {url}"),
        (github::CommentStatus::Updated, Some(url)) => eprintln!("perfguard: updated {url}"),
        (github::CommentStatus::Skipped(why), _) => eprintln!("perfguard: no comment: {why}"),
        _ => {}
    }
    if let Some(a) = &p.accepted {
        eprintln!(
            "perfguard: label `{}` accepts: {}",
            crate::report::terminal::sanitize_line(&a.label),
            crate::report::terminal::sanitize_line(&a.items.join("; "))
        );
    }
    if let Some(path) = &p.report_path {
        eprintln!("perfguard: report saved to {}", path.display());
    }
}
