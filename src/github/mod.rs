//! GitHub: turns a comparison and the Actions context into what GitHub shows:
//! the sticky pull-request comment, the job summary, step outputs and
//! annotations, degrading (never failing the verdict) when GitHub refuses.

pub mod api;
pub mod commands;
pub mod comment;
pub mod context;
pub mod issue;
pub mod untrusted;

use crate::compare::{Comparison, Verdict};
use crate::report::View;
use crate::report::markdown::{self, Acceptance, Decorations};
use crate::results::Run;
use commands::{Annotation, Level};
pub use context::{CommentMode, Context, Inputs, SaveMode, Token};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What can go wrong talking to GitHub or reading its context.
#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("cannot read the event payload {path}: {source}")]
    EventRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("event payload {path}: {message}")]
    Event { path: PathBuf, message: String },
    #[error("action input `{name}`: {message}")]
    Input { name: String, message: String },
    #[error("saved report {path}: {message}")]
    Report { path: PathBuf, message: String },
    #[error("saved comparison {path}: {message}")]
    Comparison { path: PathBuf, message: String },
    #[error("github client: {0}")]
    Client(String),
    /// Something the command needs from its environment is not set: a
    /// usage error, not an outage.
    #[error("{0}")]
    Missing(String),
    #[error("{what}: could not reach GitHub: {message}")]
    Transport { what: String, message: String },
    #[error("{what}: GitHub answered {status}{}{}", if message.is_empty() { "" } else { ": " }, message)]
    Status {
        what: String,
        status: u16,
        message: String,
        rate_limited: bool,
    },
    #[error("{what}: unexpected response from GitHub: {message}")]
    Shape { what: String, message: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl GithubError {
    /// The error with every occurrence of `token` hidden.
    pub fn redacted(self, token: &str) -> GithubError {
        let r = |s: String| redact(&s, token);
        match self {
            GithubError::Client(m) => GithubError::Client(r(m)),
            GithubError::Missing(m) => GithubError::Missing(r(m)),
            GithubError::Transport { what, message } => GithubError::Transport {
                what: r(what),
                message: r(message),
            },
            GithubError::Status {
                what,
                status,
                message,
                rate_limited,
            } => GithubError::Status {
                what: r(what),
                status,
                message: r(message),
                rate_limited,
            },
            GithubError::Shape { what, message } => GithubError::Shape {
                what: r(what),
                message: r(message),
            },
            other => other,
        }
    }

    /// 2 when perfguard was given bad input, 3 when GitHub or the machine failed.
    pub fn exit_code(&self) -> u8 {
        match self {
            GithubError::Event { .. }
            | GithubError::EventRead { .. }
            | GithubError::Input { .. }
            | GithubError::Report { .. }
            | GithubError::Comparison { .. }
            | GithubError::Missing(_) => 2,
            _ => 3,
        }
    }

    /// A token without write access (fork pull request, missing
    /// `pull-requests: write`), as opposed to an outage.
    pub fn is_forbidden(&self) -> bool {
        matches!(
            self,
            GithubError::Status {
                status: 403 | 404,
                rate_limited: false,
                ..
            }
        )
    }
}

/// How to publish.
#[derive(Debug, Clone)]
pub struct Options {
    pub inputs: Inputs,
    pub retry: api::RetryPolicy,
    /// Where the rendered report, its `.json` and the comparison are saved.
    pub report_dir: PathBuf,
    /// The HTML report, saved beside the Markdown one as `SUITE.html`.
    pub html: Option<String>,
}

impl Options {
    pub fn new(inputs: Inputs, working_dir: &Path) -> Options {
        Options {
            inputs,
            retry: api::RetryPolicy::from_env(),
            report_dir: working_dir.join("perfguard-report"),
            html: None,
        }
    }
}

/// What happened to the pull-request comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentStatus {
    Created,
    Updated,
    /// Not written, on purpose (why).
    Skipped(String),
    /// The token may not write (fork PR): the report is saved for `perfguard comment`.
    Forbidden(String),
    /// GitHub failed (after retries).
    Failed(String),
}

/// What `publish` did.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishOutcome {
    /// The verdict after the accept label.
    pub verdict: Verdict,
    pub accepted: Option<Acceptance>,
    pub comment: CommentStatus,
    pub comment_url: Option<String>,
    /// The comment body as rendered (and saved at `report_path`).
    pub body: String,
    pub report_path: Option<PathBuf>,
    /// The comparison JSON saved for `perfguard comment --comparison`.
    pub comparison_path: Option<PathBuf>,
    pub summary_written: bool,
    /// Workflow commands (annotations) for stdout.
    pub commands: String,
    /// Human messages for stderr.
    pub warnings: Vec<String>,
}

impl PublishOutcome {
    /// True when something GitHub-side could not be done.
    pub fn degraded(&self) -> bool {
        matches!(
            self.comment,
            CommentStatus::Forbidden(_) | CommentStatus::Failed(_)
        )
    }
}

/// The regressions and failed criteria that the pull request's accept label
/// lets pass; `None` when the run passes anyway or the label is absent.
pub fn acceptance(c: &Comparison, ctx: &Context, label: &str) -> Option<Acceptance> {
    accepted_by(c, &ctx.pull_request.as_ref()?.labels, label)
}

/// The regressions and failed criteria that `label`, among the pull
/// request's `labels`, lets pass.
pub fn accepted_by(c: &Comparison, labels: &[String], label: &str) -> Option<Acceptance> {
    if c.verdict != Verdict::Fail || !labels.iter().any(|l| l == label) {
        return None;
    }
    let mut items: Vec<String> = c
        .regressions()
        .map(|m| {
            let change = crate::report::change_text(m);
            format!("{} {} ({}, {change})", m.phase, m.metric, m.severity)
        })
        .collect();
    items.extend(
        c.failed_criteria()
            .map(|o| format!("{} {} {}", o.phase, o.metric, o.criterion)),
    );
    Some(Acceptance {
        label: label.to_owned(),
        items,
    })
}

/// The report's links for this run.
pub fn decorations(c: &Comparison, ctx: &Context, accepted: Option<Acceptance>) -> Decorations {
    Decorations {
        report_url: None,
        baseline_url: c
            .baseline
            .as_ref()
            .and_then(|b| b.sha.as_deref())
            .and_then(|sha| ctx.commit_url(sha)),
        run_url: ctx.run_url(),
        accepted,
    }
}

/// The annotations for regressions and failed criteria: errors for what
/// fails the check, warnings for the rest and for what a label accepted.
pub fn annotations(c: &Comparison, accepted: bool) -> Vec<Annotation> {
    let mut out = Vec::new();
    for m in c.regressions() {
        let fails = m.severity.reaches(c.fail_on) && !accepted;
        out.push(Annotation {
            level: if fails { Level::Error } else { Level::Warning },
            title: format!("perfguard {}: {} {}", c.suite, m.phase, m.metric),
            message: format!(
                "{} regression of {} {}: {} (baseline {}, current {}){}",
                m.severity,
                m.phase,
                m.metric,
                crate::report::change_text(m),
                m.baseline
                    .map_or("–".into(), |v| crate::metrics::units::human(v, &m.unit)),
                m.current
                    .map_or("–".into(), |v| crate::metrics::units::human(v, &m.unit)),
                if accepted { "; accepted by label" } else { "" }
            ),
        });
    }
    for o in c.failed_criteria() {
        out.push(Annotation {
            level: if accepted {
                Level::Warning
            } else {
                Level::Error
            },
            title: format!("perfguard {}: {} {}", c.suite, o.phase, o.metric),
            message: format!(
                "criterion {} {} failed: {}",
                o.metric,
                o.criterion,
                match (&o.reason, o.actual) {
                    (Some(r), _) => r.clone(),
                    (None, Some(v)) =>
                        format!("measured {}", crate::metrics::units::human(v, &o.unit)),
                    (None, None) => "not measured".into(),
                }
            ),
        });
    }
    out
}

/// A file name for the suite: letters, digits, `.`, `-`, `_` only.
pub fn slug(suite: &str) -> String {
    let s: String = suite
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_start_matches('.').to_owned();
    if s.is_empty() { "suite".into() } else { s }
}

/// The most of the job summary one report takes, in bytes.
const SUMMARY_BYTES: usize = 512 * 1024;

/// What is saved beside a report, so `perfguard comment` knows where it goes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportMeta {
    /// Version of this JSON layout.
    pub schema_version: u32,
    /// The suite the report is about.
    pub suite: String,
    /// `owner/name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The pull request the report belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pr: Option<u64>,
    /// The pull request's head commit when the report was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub head_sha: Option<String>,
}

/// The `.json` beside a report file.
pub fn meta_path(report: &Path) -> PathBuf {
    report.with_extension("json")
}

/// How a saved comparison's name ends: `SUITE.comparison.json`.
pub const COMPARISON_SUFFIX: &str = ".comparison.json";

/// The comparison saved beside a report file.
pub fn comparison_path(report: &Path) -> PathBuf {
    let stem = report.file_stem().unwrap_or_default().to_string_lossy();
    report.with_file_name(format!("{stem}{COMPARISON_SUFFIX}"))
}

/// The metadata `.json` saved beside a comparison (`SUITE.json` beside
/// `SUITE.comparison.json`); `None` for a comparison named otherwise.
pub fn comparison_meta_path(comparison: &Path) -> Option<PathBuf> {
    let name = comparison.file_name()?.to_str()?;
    let stem = name.strip_suffix(COMPARISON_SUFFIX)?;
    Some(comparison.with_file_name(format!("{stem}.json")))
}

/// Publishes a comparison: job summary (always), report file, comment,
/// outputs, annotations. Never fails: what GitHub refuses is reported in the
/// outcome, and the verdict stands.
pub fn publish(c: &Comparison, history: &[Run], ctx: &Context, opts: &Options) -> PublishOutcome {
    let accepted = acceptance(c, ctx, &opts.inputs.accept_label);
    let verdict = if accepted.is_some() {
        Verdict::Pass
    } else {
        c.verdict
    };
    let view = View::with_history(c, history);
    let mut deco = decorations(c, ctx, accepted.clone());
    let mut warnings = Vec::new();
    let html_path = opts.html.as_deref().and_then(|html| {
        let path = opts.report_dir.join(format!("{}.html", slug(&c.suite)));
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&path, html));
        match written {
            Ok(()) => Some(path),
            Err(e) => {
                warnings.push(format!(
                    "cannot write the HTML report {}: {e}",
                    path.display()
                ));
                None
            }
        }
    });
    // The action uploads the report directory as the run's artifact: the
    // run's page lists it.
    if html_path.is_some() && opts.inputs.upload_report {
        deco.report_url = ctx.run_url().map(|u| format!("{u}#artifacts"));
    }
    let body = markdown::render_within(&view, &deco, comment::MAX_BODY_CHARS);

    // The summary first: whatever GitHub's API does next, the verdict is shown.
    let summary_written = match &ctx.step_summary {
        // GitHub takes up to 1 MiB of summary per step; leave room for other suites.
        Some(path) => match append(
            path,
            &format!(
                "{}\n",
                markdown::summary_within(&view, &deco, SUMMARY_BYTES, str::len)
            ),
        ) {
            Ok(()) => true,
            Err(e) => {
                warnings.push(e.to_string());
                false
            }
        },
        None => false,
    };

    let report_path = opts.report_dir.join(format!("{}.md", slug(&c.suite)));
    let (comparison_path, report_path) = match save_report(&report_path, &body, c, ctx) {
        Ok(()) => (Some(comparison_path(&report_path)), Some(report_path)),
        Err(e) => {
            warnings.push(e.to_string());
            (None, None)
        }
    };

    let (comment, comment_url) = post(c, &view, &body, ctx, opts);
    match &comment {
        CommentStatus::Forbidden(why) => warnings.push(format!(
            "could not write the pull-request comment ({why}); a fork pull request's token is read-only, \
             and a same-repository run needs `permissions: pull-requests: write`. The job summary has the report; \
             the comparison is saved{} for `perfguard comment --comparison FILE` in a workflow_run workflow (docs/GITHUB.md)",
            comparison_path
                .as_ref()
                .map(|p| format!(" at {}", p.display()))
                .unwrap_or_default()
        )),
        CommentStatus::Failed(why) => warnings.push(format!(
            "could not write the pull-request comment: {why}; the verdict and job summary stand"
        )),
        _ => {}
    }

    let mut commands = String::new();
    for a in annotations(c, accepted.is_some()) {
        commands.push_str(&a.command());
    }
    if let Some(out) = &ctx.output {
        let outputs = [
            (
                "verdict",
                match (verdict, &accepted) {
                    (_, Some(_)) => "accepted",
                    (Verdict::Pass, None) => "pass",
                    (Verdict::Fail, None) => "fail",
                }
                .to_owned(),
            ),
            ("regressions", c.regressions().count().to_string()),
            ("worst-severity", c.worst.as_str().to_owned()),
            ("comment-url", comment_url.clone().unwrap_or_default()),
            (
                "report-path",
                report_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            (
                "html-report-path",
                html_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
            (
                "comparison-path",
                comparison_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ),
        ];
        if let Err(e) = append(out, &commands::output_entries(&outputs)) {
            warnings.push(e.to_string());
        }
    }
    PublishOutcome {
        verdict,
        accepted,
        comment,
        comment_url,
        body,
        report_path,
        comparison_path,
        summary_written,
        commands,
        warnings,
    }
}

fn post(
    c: &Comparison,
    view: &View,
    body: &str,
    ctx: &Context,
    opts: &Options,
) -> (CommentStatus, Option<String>) {
    let skip = |why: &str| (CommentStatus::Skipped(why.to_owned()), None);
    let create = match opts.inputs.comment {
        CommentMode::Never => return skip("the comment input is `never`"),
        CommentMode::Always => true,
        CommentMode::OnChange => !view.changed.is_empty() || c.failed_criteria().next().is_some(),
        CommentMode::OnRegression => {
            c.regressions().next().is_some() || c.failed_criteria().next().is_some()
        }
    };
    let Some(pr) = &ctx.pull_request else {
        return skip("not a pull request");
    };
    let Some(repo) = &ctx.repo else {
        return skip("GITHUB_REPOSITORY is not set");
    };
    let Some(token) = &opts.inputs.token else {
        return skip("no token (the `token` input or GITHUB_TOKEN)");
    };
    let result = block_on(async {
        let api = api::Api::new(&ctx.api_url, token, opts.retry)?;
        comment::upsert(
            &api,
            repo,
            pr.number,
            &markdown::marker(&c.suite),
            &mut comment::Author::new(opts.inputs.comment_author.as_deref()),
            body,
            create,
        )
        .await
    });
    match result {
        Ok(Some(w)) => (
            if w.created {
                CommentStatus::Created
            } else {
                CommentStatus::Updated
            },
            Some(w.url),
        ),
        Ok(None) => skip("nothing to say yet and no earlier comment"),
        Err(e) if e.is_forbidden() => (CommentStatus::Forbidden(e.to_string()), None),
        Err(e) => (CommentStatus::Failed(e.to_string()), None),
    }
}

/// Runs a future on the process's one GitHub runtime (the pipeline is
/// synchronous).
pub fn block_on<T>(
    f: impl std::future::Future<Output = Result<T, GithubError>>,
) -> Result<T, GithubError> {
    api::runtime()?.block_on(f)
}

fn append(path: &Path, text: &str) -> Result<(), GithubError> {
    let io = |source| GithubError::Io {
        path: path.to_owned(),
        source,
    };
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(io)
}

fn save_report(path: &Path, body: &str, c: &Comparison, ctx: &Context) -> Result<(), GithubError> {
    let io = |p: &Path| {
        let p = p.to_owned();
        move |source| GithubError::Io { path: p, source }
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let meta = ReportMeta {
        schema_version: 1,
        suite: c.suite.clone(),
        repository: ctx.repo.as_ref().map(context::Repo::full),
        pr: ctx.pull_request.as_ref().map(|p| p.number),
        head_sha: ctx.pull_request.as_ref().map(|p| p.head_sha.clone()),
    };
    std::fs::write(path, body).map_err(io(path))?;
    let saved = comparison_path(path);
    std::fs::write(&saved, crate::report::json(c)).map_err(io(&saved))?;
    let meta_file = meta_path(path);
    std::fs::write(
        &meta_file,
        serde_json::to_string_pretty(&meta).expect("meta serializes") + "\n",
    )
    .map_err(io(&meta_file))
}

/// What `perfguard comment` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub pr: u64,
    /// The verdict perfguard recomputed from the comparison.
    pub verdict: Verdict,
    /// The pull request's accept label lets that failing verdict pass.
    pub accepted: bool,
    pub written: comment::Written,
}

/// Renders and posts the comparison a pull request's run saved as its
/// suite's sticky comment (the trusted half of the fork recipe). The saved
/// comparison is untrusted: it is bounded and parsed strictly, its verdict is
/// recomputed (`untrusted::comparison`), and the comment is perfguard's own
/// rendering of it, every string escaped; no Markdown from that run is
/// posted. The PR number comes from `pr`, else the `workflow_run` payload,
/// else the `SUITE.json` saved beside it; inside a `workflow_run`, the pull
/// request's head must be the run's head commit, so a comparison cannot be
/// aimed at another pull request. The accept label is read from the pull
/// request as GitHub has it.
pub fn post_comparison(
    path: &Path,
    pr: Option<u64>,
    ctx: &Context,
    inputs: &Inputs,
    retry: api::RetryPolicy,
) -> Result<Posted, GithubError> {
    let bad = |message: String| GithubError::Comparison {
        path: path.to_owned(),
        message,
    };
    let limit = crate::input::max_bytes()
        .map_err(|e| bad(e.to_string()))?
        .min(untrusted::MAX_BYTES);
    let bytes = std::fs::File::open(path)
        .map_err(|e| bad(format!("cannot read it: {e}")))
        .and_then(|f| crate::input::read_bounded(f, limit).map_err(|e| bad(e.to_string())))?;
    let c = untrusted::comparison(&bytes).map_err(bad)?;
    let meta_file = comparison_meta_path(path);
    let meta: Option<ReportMeta> = match meta_file
        .as_ref()
        .and_then(|m| std::fs::File::open(m).ok().map(|f| (m, f)))
    {
        Some((m, f)) => {
            let meta_bad = |message: String| GithubError::Comparison {
                path: m.clone(),
                message,
            };
            let bytes =
                crate::input::read_bounded(f, 64 << 10).map_err(|e| meta_bad(e.to_string()))?;
            let meta: ReportMeta = serde_json::from_slice(&bytes).map_err(|e| {
                meta_bad(format!(
                    "not valid JSON at line {}, column {}: {e}",
                    e.line(),
                    e.column()
                ))
            })?;
            if meta.suite != c.suite {
                return Err(meta_bad(format!(
                    "is for suite `{}`, but the comparison is for `{}`; refusing to post it",
                    crate::report::terminal::sanitize_line(&meta.suite),
                    crate::report::terminal::sanitize_line(&c.suite)
                )));
            }
            Some(meta)
        }
        None => None,
    };
    let repo = ctx
        .repo
        .as_ref()
        .ok_or_else(|| GithubError::Missing("GITHUB_REPOSITORY is not set".into()))?;
    if let Some(saved) = meta.as_ref().and_then(|m| m.repository.as_deref())
        && saved != repo.full()
    {
        return Err(GithubError::Comparison {
            path: meta_file.clone().unwrap_or_else(|| path.to_owned()),
            message: format!(
                "was made for repository {}, not {}; refusing to post it",
                crate::report::terminal::sanitize_line(saved),
                repo.full()
            ),
        });
    }
    let pr = pr
        .or_else(|| ctx.workflow_run.as_ref()?.pull_requests.first().copied())
        .or_else(|| meta.as_ref()?.pr)
        .ok_or_else(|| {
            bad(format!(
                "no pull request number: pass --pr, run it from a workflow_run of a pull request, or keep {} beside it",
                meta_file.as_ref().map_or_else(
                    || format!("SUITE.json (and name the comparison SUITE{COMPARISON_SUFFIX})"),
                    |m| m.display().to_string()
                )
            ))
        })?;
    let token = inputs.token.as_ref().ok_or_else(|| {
        GithubError::Missing("no token: set GITHUB_TOKEN or the `token` input".into())
    })?;
    // The run that measured, not this one that only posts.
    let run_url = match &ctx.workflow_run {
        Some(run) => ctx
            .repo
            .as_ref()
            .map(|r| format!("{}/{}/actions/runs/{}", ctx.server_url, r.full(), run.id)),
        None => ctx.run_url(),
    };
    block_on(async {
        let api = api::Api::new(&ctx.api_url, token, retry)?;
        // The pull request as GitHub has it now, not as the saved files say.
        let current = api.pull_request(repo, pr).await?;
        if let Some(run) = &ctx.workflow_run
            && current.head.sha != run.head_sha
        {
            return Err(bad(format!(
                "pull request #{pr} is at {}, but the workflow run that made this comparison built {}; refusing to post it there",
                current.head.sha, run.head_sha
            )));
        }
        let labels: Vec<String> = current
            .labels
            .unwrap_or_default()
            .into_iter()
            .map(|l| l.name)
            .collect();
        let accepted = accepted_by(&c, &labels, &inputs.accept_label);
        let deco = Decorations {
            baseline_url: c
                .baseline
                .as_ref()
                .and_then(|b| b.sha.as_deref())
                .and_then(|sha| ctx.commit_url(sha)),
            run_url,
            report_url: None,
            accepted: accepted.clone(),
        };
        let body = markdown::render_within(&View::of(&c), &deco, comment::MAX_BODY_CHARS);
        let written = comment::upsert(
            &api,
            repo,
            pr,
            &markdown::marker(&c.suite),
            &mut comment::Author::new(inputs.comment_author.as_deref()),
            &body,
            true,
        )
        .await?
        .expect("create is true");
        Ok(Posted {
            pr,
            verdict: c.verdict,
            accepted: accepted.is_some(),
            written,
        })
    })
}

/// `text` with every occurrence of `token` replaced by `***`.
pub fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        text.to_owned()
    } else {
        text.replace(token, "***")
    }
}
