//! `perfguard comment`: the comparison a pull request's run saved → the
//! pull request's sticky comment, rendered here (the trusted half of the
//! fork-safe workflow pair).

use super::Outcome;
use crate::cli::CommentArgs;
use crate::error::Error;
use crate::github::{self, Context, GithubError, Inputs};

pub(super) fn comment(args: &CommentArgs) -> Result<Outcome, Error> {
    let Some(comparison) = &args.comparison else {
        // A report is Markdown the untrusted run rendered: posting it with a
        // write token relays whatever that run wrote (a fake pass, mentions,
        // images). There is no safe way to take it, so it is refused.
        let report = args.report.clone().unwrap_or_default();
        return Err(GithubError::Report {
            message: format!(
                "`perfguard comment --report` is no longer supported: it posted the pull request run's Markdown as is. \
                 Pass the comparison saved beside it instead: `perfguard comment --comparison {}` \
                 (the `comparison-path` output; docs/SECURITY.md)",
                github::comparison_path(&report).display()
            ),
            path: report,
        }
        .into());
    };
    let vars = std::env::vars().collect();
    let inputs = Inputs::from_vars(&vars)?;
    if let Some(token) = &inputs.token
        && Context::in_actions(&vars)
    {
        print!("{}", github::commands::add_mask(token.expose()));
    }
    let ctx = Context::from_vars(&vars)?;
    let posted = github::post_comparison(
        comparison,
        args.pr,
        &ctx,
        &inputs,
        github::api::RetryPolicy::from_env(),
    )?;
    eprintln!(
        "perfguard: {} the comment on #{} ({}): {}",
        if posted.written.created {
            "created"
        } else {
            "updated"
        },
        posted.pr,
        match (posted.verdict, posted.accepted) {
            (_, true) => "accepted",
            (crate::compare::Verdict::Pass, false) => "pass",
            (crate::compare::Verdict::Fail, false) => "fail",
        },
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
