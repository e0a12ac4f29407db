//! `perfguard comment`: a saved report → the pull request's sticky comment
//! (the trusted half of the fork-safe workflow pair).

use super::Outcome;
use crate::cli::CommentArgs;
use crate::error::Error;
use crate::github::{self, Context, Inputs};

pub(super) fn comment(args: &CommentArgs) -> Result<Outcome, Error> {
    let vars = std::env::vars().collect();
    let inputs = Inputs::from_vars(&vars)?;
    if let Some(token) = &inputs.token
        && Context::in_actions(&vars)
    {
        print!("{}", github::commands::add_mask(token.expose()));
    }
    let ctx = Context::from_vars(&vars)?;
    let posted = github::post_saved_report(
        &args.report,
        args.pr,
        &ctx,
        &inputs,
        github::api::RetryPolicy::from_env(),
    )?;
    eprintln!(
        "perfguard: {} the comment on #{}: {}",
        if posted.written.created {
            "created"
        } else {
            "updated"
        },
        posted.pr,
        posted.written.url
    );
    if let Some(out) = &ctx.output {
        let text = github::commands::output_entries(&[("comment-url", posted.written.url.clone())]);
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(out)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
            .map_err(|source| Error::Io {
                context: format!("cannot write {}", out.display()),
                source,
            })?;
    }
    Ok(Outcome::Pass)
}
