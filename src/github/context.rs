//! Context: turns the `GITHUB_*` and `INPUT_*` variables and the event payload
//! at `GITHUB_EVENT_PATH` into what perfguard needs to know about the run.

use super::GithubError;
use crate::config::FailOn;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl Repo {
    pub fn parse(full: &str) -> Option<Repo> {
        let (owner, name) = full.split_once('/')?;
        let ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        (ok(owner) && ok(name) && name != "." && name != "..").then(|| Repo {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }

    pub fn full(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// The pull request a run belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub base_ref: String,
    pub base_sha: String,
    pub head_ref: String,
    pub head_sha: String,
    pub labels: Vec<String>,
    /// The head lives in another repository: the token is read-only.
    pub fork: bool,
}

/// The run that triggered a `workflow_run` workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowRun {
    pub id: u64,
    /// The triggering run's event (`pull_request`).
    pub event: String,
    pub head_sha: String,
    pub head_branch: Option<String>,
    /// Pull requests GitHub linked to it (empty for fork PRs).
    pub pull_requests: Vec<u64>,
    pub conclusion: Option<String>,
}

/// Everything perfguard reads about the Actions run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    pub event_name: String,
    pub repo: Option<Repo>,
    /// REST API root without a trailing slash (`GITHUB_API_URL`).
    pub api_url: String,
    /// Web root without a trailing slash (`GITHUB_SERVER_URL`).
    pub server_url: String,
    pub run_id: Option<u64>,
    pub sha: Option<String>,
    /// `refs/heads/main`, `refs/pull/2/merge`.
    pub git_ref: Option<String>,
    pub default_branch: Option<String>,
    pub pull_request: Option<PullRequest>,
    pub workflow_run: Option<WorkflowRun>,
    /// A `merge_group` event's base commit (`merge_group.base_sha`).
    pub merge_group_base: Option<String>,
    /// `$GITHUB_STEP_SUMMARY`.
    pub step_summary: Option<PathBuf>,
    /// `$GITHUB_OUTPUT`.
    pub output: Option<PathBuf>,
}

impl Context {
    /// Whether these variables come from a GitHub Actions run.
    pub fn in_actions(vars: &BTreeMap<String, String>) -> bool {
        vars.get("GITHUB_ACTIONS").is_some_and(|v| v == "true")
    }

    /// Reads the context from the process environment.
    pub fn from_env() -> Result<Context, GithubError> {
        Context::from_vars(&std::env::vars().collect())
    }

    /// Reads the context from `vars` and the event file they name.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Context, GithubError> {
        let get = |k: &str| vars.get(k).filter(|v| !v.is_empty()).cloned();
        let trim = |s: String| s.trim_end_matches('/').to_owned();
        let event_name = get("GITHUB_EVENT_NAME").unwrap_or_default();
        let mut ctx = Context {
            repo: get("GITHUB_REPOSITORY").and_then(|r| Repo::parse(&r)),
            api_url: trim(get("GITHUB_API_URL").unwrap_or_else(|| "https://api.github.com".into())),
            server_url: trim(
                get("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()),
            ),
            run_id: get("GITHUB_RUN_ID").and_then(|v| v.parse().ok()),
            sha: get("GITHUB_SHA"),
            git_ref: get("GITHUB_REF"),
            default_branch: None,
            pull_request: None,
            workflow_run: None,
            merge_group_base: None,
            step_summary: get("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output: get("GITHUB_OUTPUT").map(PathBuf::from),
            event_name,
        };
        if let Some(path) = get("GITHUB_EVENT_PATH") {
            let path = PathBuf::from(path);
            let event = read_event(&path)?;
            ctx.apply_event(&event, &path)?;
        }
        Ok(ctx)
    }

    fn apply_event(&mut self, event: &Value, path: &Path) -> Result<(), GithubError> {
        let bad = |key: &str, expected: &str| GithubError::Event {
            path: path.to_owned(),
            message: format!("`{key}` should be {expected}"),
        };
        if let Some(repo) = event.get("repository").filter(|r| !r.is_null()) {
            self.default_branch = repo
                .get("default_branch")
                .and_then(Value::as_str)
                .map(str::to_owned);
            if self.repo.is_none() {
                self.repo = repo
                    .get("full_name")
                    .and_then(Value::as_str)
                    .and_then(Repo::parse);
            }
        }
        match self.event_name.as_str() {
            "pull_request" | "pull_request_target" => {
                let pr = event
                    .get("pull_request")
                    .filter(|v| v.is_object())
                    .ok_or_else(|| bad("pull_request", "an object"))?;
                self.pull_request = Some(parse_pull_request(pr, path)?);
            }
            "merge_group" => {
                self.merge_group_base = Some(
                    event
                        .get("merge_group")
                        .and_then(|m| m.get("base_sha"))
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("merge_group.base_sha", "a string"))?
                        .to_owned(),
                );
            }
            "workflow_run" => {
                let wr = event
                    .get("workflow_run")
                    .filter(|v| v.is_object())
                    .ok_or_else(|| bad("workflow_run", "an object"))?;
                let s = |k: &str| wr.get(k).and_then(Value::as_str).map(str::to_owned);
                self.workflow_run = Some(WorkflowRun {
                    id: wr
                        .get("id")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| bad("workflow_run.id", "a number"))?,
                    event: s("event").unwrap_or_default(),
                    head_sha: s("head_sha")
                        .ok_or_else(|| bad("workflow_run.head_sha", "a string"))?,
                    head_branch: s("head_branch"),
                    pull_requests: wr
                        .get("pull_requests")
                        .and_then(Value::as_array)
                        .map(|prs| {
                            prs.iter()
                                .filter_map(|p| p.get("number").and_then(Value::as_u64))
                                .collect()
                        })
                        .unwrap_or_default(),
                    conclusion: s("conclusion"),
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// The workflow run's page, `GITHUB_SERVER_URL/owner/repo/actions/runs/ID`.
    pub fn run_url(&self) -> Option<String> {
        Some(format!(
            "{}/{}/actions/runs/{}",
            self.server_url,
            self.repo.as_ref()?.full(),
            self.run_id?
        ))
    }

    /// A commit's page, for a SHA that is really one (hex, 7–64 digits).
    pub fn commit_url(&self, sha: &str) -> Option<String> {
        let hex = (7..=64).contains(&sha.len()) && sha.chars().all(|c| c.is_ascii_hexdigit());
        hex.then(|| {
            self.repo
                .as_ref()
                .map(|r| format!("{}/{}/commit/{sha}", self.server_url, r.full()))
        })
        .flatten()
    }

    /// Whether the run is on the default branch (push, schedule, dispatch).
    pub fn on_default_branch(&self) -> bool {
        match (&self.git_ref, &self.default_branch) {
            (Some(r), Some(d)) => r.strip_prefix("refs/heads/") == Some(d.as_str()),
            _ => false,
        }
    }

    pub fn is_pull_request(&self) -> bool {
        matches!(
            self.event_name.as_str(),
            "pull_request" | "pull_request_target"
        ) || self.pull_request.is_some()
    }
}

fn parse_pull_request(pr: &Value, path: &Path) -> Result<PullRequest, GithubError> {
    let bad = |key: &str, expected: &str| GithubError::Event {
        path: path.to_owned(),
        message: format!("`pull_request.{key}` should be {expected}"),
    };
    let s = |v: &Value, k: &str| -> Result<String, GithubError> {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| bad(k, "a string"))
    };
    let number = pr
        .get("number")
        .and_then(Value::as_u64)
        .ok_or_else(|| bad("number", "a positive number"))?;
    let base = pr
        .get("base")
        .filter(|v| v.is_object())
        .ok_or_else(|| bad("base", "an object"))?;
    let head = pr
        .get("head")
        .filter(|v| v.is_object())
        .ok_or_else(|| bad("head", "an object"))?;
    let repo_name = |side: &Value| {
        side.get("repo")
            .and_then(|r| r.get("full_name"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // A deleted fork has `head.repo: null`: it was a fork all the same.
    let fork = match (repo_name(head), repo_name(base)) {
        (Some(h), Some(b)) => h != b,
        (None, _) => true,
        (Some(_), None) => false,
    } || head
        .get("repo")
        .and_then(|r| r.get("fork"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let labels = match pr.get("labels") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(ls)) => ls
            .iter()
            .filter_map(|l| l.get("name").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        Some(_) => return Err(bad("labels", "an array")),
    };
    Ok(PullRequest {
        number,
        base_ref: s(base, "ref").map_err(|_| bad("base.ref", "a string"))?,
        base_sha: s(base, "sha").map_err(|_| bad("base.sha", "a string"))?,
        head_ref: s(head, "ref").map_err(|_| bad("head.ref", "a string"))?,
        head_sha: s(head, "sha").map_err(|_| bad("head.sha", "a string"))?,
        labels,
        fork,
    })
}

fn read_event(path: &Path) -> Result<Value, GithubError> {
    let text = std::fs::read_to_string(path).map_err(|source| GithubError::EventRead {
        path: path.to_owned(),
        source,
    })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| GithubError::Event {
        path: path.to_owned(),
        message: format!(
            "not valid JSON at line {}, column {}: {e}",
            e.line(),
            e.column()
        ),
    })?;
    if !value.is_object() {
        return Err(GithubError::Event {
            path: path.to_owned(),
            message: "should be a JSON object".into(),
        });
    }
    Ok(value)
}

/// When to write the sticky comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentMode {
    /// On every pull-request run.
    Always,
    /// When a metric moved or a criterion failed; an existing comment is
    /// always kept current.
    OnChange,
    /// When there is a regression or a failed criterion; an existing comment
    /// is always kept current.
    OnRegression,
    Never,
}

/// When to save the results as a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// Push to the default branch, or schedule / workflow_dispatch on it.
    Auto,
    /// Every run that is not a pull request.
    Always,
    Never,
}

/// A secret that never shows in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(s: String) -> Token {
        Token(s)
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

/// The action's inputs (`INPUT_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// `config`, when the workflow gives it: it wins over `-c`.
    pub config: Option<PathBuf>,
    pub token: Option<Token>,
    pub fail_on: Option<FailOn>,
    pub comment: CommentMode,
    pub save: SaveMode,
    pub baseline_branch: Option<String>,
    pub accept_label: String,
    pub working_directory: Option<PathBuf>,
    /// The login whose comments are perfguard's (`comment-author` input or
    /// `PERFGUARD_COMMENT_AUTHOR`), for a GitHub App token whose bot login
    /// `GET /user` cannot tell; `None`: ask GitHub.
    pub comment_author: Option<String>,
    /// `upload-report: true`: the action uploads the reports (the HTML one
    /// too) as an artifact of the run, and the comment links there.
    pub upload_report: bool,
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs {
            config: None,
            token: None,
            fail_on: None,
            comment: CommentMode::Always,
            save: SaveMode::Auto,
            baseline_branch: None,
            accept_label: DEFAULT_ACCEPT_LABEL.into(),
            working_directory: None,
            comment_author: None,
            upload_report: false,
        }
    }
}

pub const DEFAULT_ACCEPT_LABEL: &str = "perfguard:accept";

impl Inputs {
    /// Reads the inputs. A container action's variable keeps the input's
    /// hyphen (`INPUT_FAIL-ON`); the underscore form is read too, for shells.
    /// The token falls back to `GITHUB_TOKEN`.
    pub fn from_vars(vars: &BTreeMap<String, String>) -> Result<Inputs, GithubError> {
        let get = |name: &str| {
            let upper = name.to_ascii_uppercase();
            vars.get(&format!("INPUT_{upper}"))
                .or_else(|| vars.get(&format!("INPUT_{}", upper.replace('-', "_"))))
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let bad = |name: &str, value: &str, expected: &str| GithubError::Input {
            name: name.to_owned(),
            message: format!("`{value}` is not one of {expected}"),
        };
        let mut inputs = Inputs {
            config: get("config").map(PathBuf::from),
            token: get("token")
                .or_else(|| vars.get("GITHUB_TOKEN").cloned().filter(|t| !t.is_empty()))
                .map(Token),
            ..Inputs::default()
        };
        if let Some(f) = get("fail-on") {
            inputs.fail_on = Some(
                f.parse()
                    .map_err(|_| bad("fail-on", &f, "never, minor, major, critical"))?,
            );
        }
        if let Some(c) = get("comment") {
            inputs.comment = match c.as_str() {
                "always" => CommentMode::Always,
                "on-change" => CommentMode::OnChange,
                "on-regression" => CommentMode::OnRegression,
                "never" => CommentMode::Never,
                _ => {
                    return Err(bad(
                        "comment",
                        &c,
                        "always, on-change, on-regression, never",
                    ));
                }
            };
        }
        if let Some(s) = get("save") {
            inputs.save = match s.as_str() {
                "auto" => SaveMode::Auto,
                "always" => SaveMode::Always,
                "never" => SaveMode::Never,
                _ => return Err(bad("save", &s, "auto, always, never")),
            };
        }
        inputs.baseline_branch = get("baseline-branch");
        if let Some(l) = get("accept-label") {
            inputs.accept_label = l;
        }
        inputs.working_directory = get("working-directory").map(PathBuf::from);
        if let Some(u) = get("upload-report") {
            inputs.upload_report = match u.as_str() {
                "true" => true,
                "false" => false,
                _ => return Err(bad("upload-report", &u, "true, false")),
            };
        }
        inputs.comment_author = get("comment-author").or_else(|| {
            vars.get("PERFGUARD_COMMENT_AUTHOR")
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        });
        Ok(inputs)
    }

    /// Applies the inputs that override the configuration file:
    /// `baseline-branch` and `fail-on`.
    pub fn apply(&self, config: &mut crate::config::Config) {
        if let Some(branch) = &self.baseline_branch {
            config.baseline.branch = branch.clone();
        }
        if let Some(f) = self.fail_on {
            config.thresholds.fail_on = f;
        }
    }

    /// The save policy the `save` input asks for on this event: never on a
    /// pull request; under `auto`, the `save_on` refs.
    pub fn save_policy(&self, ctx: &Context) -> crate::baseline::SavePolicy {
        use crate::baseline::SavePolicy;
        if !self.should_save(ctx) {
            SavePolicy::Never
        } else if self.save == SaveMode::Always {
            SavePolicy::Always
        } else {
            SavePolicy::OnSaveOnRefs
        }
    }

    /// Whether this run's results become a baseline. Never from a pull
    /// request, whatever `save` says: its code is not trusted yet.
    pub fn should_save(&self, ctx: &Context) -> bool {
        // A merge queue's group is a candidate, like a pull request: it is
        // judged, never recorded.
        if ctx.is_pull_request()
            || matches!(ctx.event_name.as_str(), "workflow_run" | "merge_group")
        {
            return false;
        }
        match self.save {
            SaveMode::Never => false,
            SaveMode::Always => true,
            SaveMode::Auto => {
                matches!(
                    ctx.event_name.as_str(),
                    "push" | "schedule" | "workflow_dispatch"
                ) && ctx.on_default_branch()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PR_EVENT: &str = include_str!("../../tests/fixtures/github/pull_request_opened.json");
    const PUSH_EVENT: &str = include_str!("../../tests/fixtures/github/push.json");

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn with_event(event: &str, text: &str, extra: &[(&str, &str)]) -> Result<Context, GithubError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("event.json");
        std::fs::write(&path, text).unwrap();
        let mut v = vars(&[
            ("GITHUB_EVENT_NAME", event),
            ("GITHUB_EVENT_PATH", path.to_str().unwrap()),
        ]);
        v.extend(vars(extra));
        Context::from_vars(&v)
    }

    #[test]
    fn pull_request_event_gives_number_refs_and_shas() {
        let ctx = with_event("pull_request", PR_EVENT, &[]).unwrap();
        let pr = ctx.pull_request.unwrap();
        assert_eq!(pr.number, 2);
        assert_eq!(pr.base_ref, "trunk");
        assert_eq!(pr.head_sha, "36afaef2afdf0ce794d7e4663e7f327664aaa4d7");
        assert!(!pr.fork);
        assert_eq!(ctx.repo.unwrap().full(), "gagbo/ouro-closures");
        assert_eq!(ctx.default_branch.as_deref(), Some("trunk"));
    }

    #[test]
    fn a_head_in_another_repository_is_a_fork() {
        let mut v: Value = serde_json::from_str(PR_EVENT).unwrap();
        v["pull_request"]["head"]["repo"]["full_name"] = "mallory/ouro-closures".into();
        v["pull_request"]["labels"] = serde_json::json!([{"name": "perfguard:accept"}]);
        let ctx = with_event("pull_request_target", &v.to_string(), &[]).unwrap();
        let pr = ctx.pull_request.unwrap();
        assert!(pr.fork);
        assert_eq!(pr.labels, vec!["perfguard:accept"]);
    }

    #[test]
    fn broken_event_json_names_file_line_and_column() {
        let err = with_event("pull_request", "{\n  \"number\": 2,\n  oops", &[]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("event.json"), "{msg}");
        assert!(msg.contains("line 3"), "{msg}");
    }

    #[test]
    fn a_pull_request_event_without_a_number_is_refused() {
        let mut v: Value = serde_json::from_str(PR_EVENT).unwrap();
        v["pull_request"]["number"] = "two".into();
        let err = with_event("pull_request", &v.to_string(), &[]).unwrap_err();
        assert!(err.to_string().contains("pull_request.number"), "{err}");
    }

    #[test]
    fn auto_saves_on_push_to_the_default_branch_only() {
        let inputs = Inputs::default();
        let main = with_event("push", PUSH_EVENT, &[("GITHUB_REF", "refs/heads/main")]).unwrap();
        assert_eq!(main.default_branch.as_deref(), Some("main"));
        assert!(inputs.should_save(&main));
        let other = with_event("push", PUSH_EVENT, &[("GITHUB_REF", "refs/heads/topic")]).unwrap();
        assert!(!inputs.should_save(&other));
        let nightly =
            with_event("schedule", PUSH_EVENT, &[("GITHUB_REF", "refs/heads/main")]).unwrap();
        assert!(inputs.should_save(&nightly));
        let dispatch = with_event(
            "workflow_dispatch",
            PUSH_EVENT,
            &[("GITHUB_REF", "refs/heads/main")],
        )
        .unwrap();
        assert!(inputs.should_save(&dispatch));
    }

    #[test]
    fn a_pull_request_never_saves_even_with_save_always() {
        let inputs = Inputs {
            save: SaveMode::Always,
            ..Inputs::default()
        };
        let ctx = with_event(
            "pull_request",
            PR_EVENT,
            &[("GITHUB_REF", "refs/heads/trunk")],
        )
        .unwrap();
        assert!(!inputs.should_save(&ctx));
    }

    #[test]
    fn a_merge_group_never_saves_even_with_save_always() {
        let inputs = Inputs {
            save: SaveMode::Always,
            ..Inputs::default()
        };
        let ctx = with_event(
            "merge_group",
            r#"{"merge_group": {"base_sha": "0123456789abcdef0123456789abcdef01234567",
                "head_ref": "refs/heads/gh-readonly-queue/main/pr-1-0123456"},
               "repository": {"full_name": "acme/app"}}"#,
            &[("GITHUB_REF", "refs/heads/main")],
        )
        .unwrap();
        assert!(!inputs.should_save(&ctx));
    }

    #[test]
    fn inputs_read_the_hyphenated_container_form() {
        let v = vars(&[
            ("INPUT_FAIL-ON", "major"),
            ("INPUT_COMMENT", "on-regression"),
            ("INPUT_ACCEPT-LABEL", "perf-ok"),
            ("INPUT_TOKEN", "ghs_secret"),
        ]);
        let inputs = Inputs::from_vars(&v).unwrap();
        assert_eq!(inputs.fail_on, Some(FailOn::Major));
        assert_eq!(inputs.comment, CommentMode::OnRegression);
        assert_eq!(inputs.accept_label, "perf-ok");
        assert!(!format!("{inputs:?}").contains("ghs_secret"));
    }

    #[test]
    fn upload_report_is_true_or_false_and_off_by_default() {
        assert!(!Inputs::from_vars(&vars(&[])).unwrap().upload_report);
        let on = Inputs::from_vars(&vars(&[("INPUT_UPLOAD-REPORT", "true")])).unwrap();
        assert!(on.upload_report);
        let err = Inputs::from_vars(&vars(&[("INPUT_UPLOAD_REPORT", "yes")])).unwrap_err();
        assert!(err.to_string().contains("upload-report"), "{err}");
    }

    #[test]
    fn an_unknown_comment_mode_names_the_input() {
        let err = Inputs::from_vars(&vars(&[("INPUT_COMMENT", "sometimes")])).unwrap_err();
        assert!(err.to_string().contains("comment"), "{err}");
        assert!(err.to_string().contains("sometimes"), "{err}");
    }

    #[test]
    fn run_url_and_commit_url_use_the_server_url() {
        let ctx = Context::from_vars(&vars(&[
            ("GITHUB_SERVER_URL", "https://ghe.example.com/"),
            ("GITHUB_REPOSITORY", "acme/api"),
            ("GITHUB_RUN_ID", "42"),
        ]))
        .unwrap();
        assert_eq!(
            ctx.run_url().as_deref(),
            Some("https://ghe.example.com/acme/api/actions/runs/42")
        );
        assert_eq!(ctx.commit_url("not a sha"), None);
        assert_eq!(
            ctx.commit_url("abc1234").as_deref(),
            Some("https://ghe.example.com/acme/api/commit/abc1234")
        );
    }
}
