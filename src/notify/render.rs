//! Renders a [`Watch`] as the tracking issue's Markdown, a Slack message
//! and the lines the log shows; user-controlled text (suite, phase and
//! metric names, objectives) is escaped for each (pure).

use super::watch::{BudgetAlert, Reference, StepFinding, Watch, percent};
use crate::compare::slo::BudgetStatus;
use crate::report::markdown::escape;
use base64::Engine as _;

/// The hidden marker that finds a suite's tracking issue among the
/// labelled ones: the suite's bytes in hex, so no two suites share one and
/// no name can end the comment.
pub fn issue_marker(suite: &str) -> String {
    format!(
        "<!-- perfguard:tracking suite={} -->",
        hex_keys(&[suite.to_owned()])
    )
}

/// The tracking issue's title.
pub fn issue_title(suite: &str) -> String {
    // Titles are plain text on GitHub; keep them on one line and short.
    let suite: String = suite.chars().filter(|c| !c.is_control()).take(80).collect();
    format!("perfguard nightly: suite {suite} needs attention")
}

fn short(sha: &str) -> &str {
    sha.get(..7).unwrap_or(sha)
}

fn range_text(s: &StepFinding) -> String {
    match (&s.from_sha, &s.to_sha) {
        (Some(f), Some(t)) => format!("{}..{}", short(f), short(t)),
        (None, Some(t)) => short(t).to_owned(),
        _ => "an unrecorded commit".to_owned(),
    }
}

/// A step's severity, and its age once it no longer alerts.
fn step_age(s: &StepFinding) -> String {
    if s.alerting() || s.severity < crate::compare::Severity::Minor {
        s.severity.to_string()
    } else {
        format!("{}, {} runs ago", s.severity, s.runs_since)
    }
}

fn budget_text(b: &BudgetAlert) -> String {
    format!(
        "{:.0} % of the budget left, burning at {:.1}× over {}",
        b.budget_left * 100.0,
        b.burn_rate,
        b.window
    )
}

fn level(b: &BudgetAlert) -> &'static str {
    match b.status {
        BudgetStatus::Critical => "critical",
        BudgetStatus::Warning => "warning",
        BudgetStatus::Ok => "ok",
        BudgetStatus::NoData => "no data",
    }
}

/// What a tracking issue remembers for the next night, hidden in its body.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Memory {
    /// Version of this layout ([`MEMORY_VERSION`]); a memory of another
    /// version is not read.
    #[serde(default)]
    pub schema_version: u32,
    /// The findings reported, as [`Watch::alerts`] keys.
    #[serde(default)]
    pub alerts: Vec<String>,
    /// The levels the reported regressions are judged against.
    #[serde(default)]
    pub references: Vec<Reference>,
}

const MEMORY: &str = "<!-- perfguard:memory ";

/// The version of [`Memory`] this perfguard writes and reads.
pub const MEMORY_VERSION: u32 = 1;

/// The tracking issue's body: what stands now, with the marker and the
/// memory (hidden) that the next night compares against.
pub fn issue_body(watch: &Watch, keys: &[String]) -> String {
    let mut out = String::new();
    out.push_str(&issue_marker(&watch.suite));
    out.push('\n');
    // Escaped text, not code spans: a code span would show the escapes.
    out.push_str(&format!(
        "## perfguard nightly: suite {} in {}\n\n",
        escape(&watch.suite),
        escape(&watch.environment)
    ));
    if let Some(sha) = &watch.sha {
        out.push_str(&format!("Latest run: commit `{}`", escape(short(sha))));
        if let Some(url) = &watch.run_url {
            out.push_str(&format!(" ([workflow run]({url}))"));
        }
        out.push_str(".\n\n");
    }
    out.push_str(&findings_markdown(watch));
    out.push_str(
        "\nThis issue is kept current by each nightly run and closed when the metrics recover.\n",
    );
    // In a comment GitHub does not render; base64 has no `-`, so nothing
    // in it can end the comment early.
    let memory = Memory {
        schema_version: MEMORY_VERSION,
        alerts: keys.to_vec(),
        references: watch.references(),
    };
    let json = serde_json::to_vec(&memory).expect("memory serializes");
    out.push_str(&format!(
        "{MEMORY}{} -->\n",
        base64::engine::general_purpose::STANDARD.encode(json)
    ));
    out
}

/// The findings as Markdown sections.
pub fn findings_markdown(watch: &Watch) -> String {
    let mut out = String::new();
    if !watch.regressions.is_empty() {
        out.push_str("### Regressions\n\n| metric | before | current | change | severity |\n| --- | --- | --- | --- | --- |\n");
        for r in &watch.regressions {
            // A carried regression is judged against the level an earlier
            // night remembered, not tonight's baseline.
            let before = if r.carried {
                format!("{} (before it regressed)", escape(&r.baseline))
            } else {
                escape(&r.baseline)
            };
            out.push_str(&format!(
                "| {}/{} | {} | {} | {} | {} |\n",
                escape(&r.phase),
                escape(&r.metric),
                before,
                escape(&r.current),
                percent(r.change),
                r.severity
            ));
        }
        out.push('\n');
    }
    if !watch.steps.is_empty() {
        out.push_str("### Change points in the branch's history\n\n| metric | commits | before | after | change | severity |\n| --- | --- | --- | --- | --- | --- |\n");
        for s in &watch.steps {
            let range = range_text(s);
            let range = match &s.url {
                Some(u) => format!("[`{range}`]({u})"),
                None => format!("`{range}`"),
            };
            out.push_str(&format!(
                "| {}/{} | {} | {} | {} | {} | {} |\n",
                escape(&s.phase),
                escape(&s.metric),
                range,
                escape(&s.before),
                escape(&s.after),
                percent(s.change),
                step_age(s)
            ));
        }
        out.push('\n');
    }
    if !watch.budgets.is_empty() {
        out.push_str("### Error budgets\n\n| objective | level | budget left | burn rate | window |\n| --- | --- | --- | --- | --- |\n");
        for b in &watch.budgets {
            out.push_str(&format!(
                "| {} | {} | {:.0} % | {:.1}× | {} |\n",
                escape(&b.objective),
                level(b),
                b.budget_left * 100.0,
                b.burn_rate,
                escape(&b.window)
            ));
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("No regression, change point or budget alert.\n");
    }
    out
}

/// A comment for findings that were not in the issue before (`new` keys).
pub fn news_comment(watch: &Watch, new: &[String]) -> String {
    let mut lines = Vec::new();
    for r in watch.regressions.iter().filter(|r| new.contains(&r.key())) {
        lines.push(format!(
            "{} regression of {}/{}: {} → {} ({})",
            r.severity,
            escape(&r.phase),
            escape(&r.metric),
            escape(&r.baseline),
            escape(&r.current),
            percent(r.change)
        ));
    }
    for st in watch.steps.iter().filter(|st| new.contains(&st.key())) {
        let range = range_text(st);
        let range = match &st.url {
            Some(u) => format!("[`{range}`]({u})"),
            None => format!("`{range}`"),
        };
        lines.push(format!(
            "change point in {}/{} at {range}: {} → {} ({}, {})",
            escape(&st.phase),
            escape(&st.metric),
            escape(&st.before),
            escape(&st.after),
            percent(st.change),
            st.severity
        ));
    }
    for b in watch.budgets.iter().filter(|b| new.contains(&b.key())) {
        lines.push(format!(
            "SLO {} at {}: {}",
            escape(&b.objective),
            level(b),
            escape(&budget_text(b))
        ));
    }
    let mut out = format!(
        "New since the last report ({} finding{}):\n\n",
        lines.len(),
        if lines.len() == 1 { "" } else { "s" }
    );
    for l in lines {
        out.push_str(&format!("- {l}\n"));
    }
    if let Some(url) = &watch.run_url {
        out.push_str(&format!("\n[workflow run]({url})\n"));
    }
    out
}

/// The comment that closes the issue.
pub fn recovery_comment(watch: &Watch) -> String {
    let at = watch
        .sha
        .as_deref()
        .map(|s| format!(" at commit `{}`", escape(short(s))))
        .unwrap_or_default();
    let mut out = format!(
        "Recovered{at}: the nightly run found no regression, change point or budget alert at the notify level. Closing.\n"
    );
    if let Some(url) = &watch.run_url {
        out.push_str(&format!("\n[workflow run]({url})\n"));
    }
    out
}

/// The memory hidden in an issue body by [`issue_body`]; empty when the
/// body has none or someone edited it beyond reading.
pub fn memory_in(body: &str) -> Memory {
    let Some(start) = body.find(MEMORY) else {
        return Memory::default();
    };
    let rest = &body[start + MEMORY.len()..];
    let Some(end) = rest.find(" -->") else {
        return Memory::default();
    };
    base64::engine::general_purpose::STANDARD
        .decode(rest[..end].trim())
        .ok()
        .and_then(|b| serde_json::from_slice::<Memory>(&b).ok())
        .filter(|m| m.schema_version == MEMORY_VERSION)
        .unwrap_or_default()
}

fn hex_keys(keys: &[String]) -> String {
    keys.iter()
        .map(|k| k.bytes().map(|b| format!("{b:02x}")).collect::<String>())
        .collect::<Vec<_>>()
        .join(",")
}

/// Slack's mrkdwn escaping: `&`, `<` and `>` are its only control
/// characters (links and mentions start with `<`).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['\n', '\r'], " ")
}

/// A Slack incoming-webhook message: a `text` fallback and `blocks`.
pub fn slack(watch: &Watch) -> serde_json::Value {
    let suite = slack_escape(&watch.suite);
    let headline = format!(
        "perfguard nightly: suite {suite} ({}) — {}",
        slack_escape(&watch.environment),
        watch.severity()
    );
    let mut lines = Vec::new();
    for r in &watch.regressions {
        lines.push(format!(
            "• {} regression {}/{}: {} → {} ({})",
            r.severity,
            slack_escape(&r.phase),
            slack_escape(&r.metric),
            slack_escape(&r.baseline),
            slack_escape(&r.current),
            percent(r.change)
        ));
    }
    for s in &watch.steps {
        let range = range_text(s);
        let range = match &s.url {
            Some(u) => format!("<{}|{range}>", slack_escape(u)),
            None => range,
        };
        lines.push(format!(
            "• change point {}/{} at {range}: {} → {} ({}, {})",
            slack_escape(&s.phase),
            slack_escape(&s.metric),
            slack_escape(&s.before),
            slack_escape(&s.after),
            percent(s.change),
            s.severity
        ));
    }
    for b in &watch.budgets {
        lines.push(format!(
            "• SLO {} {}: {}",
            slack_escape(&b.objective),
            level(b),
            budget_text(b)
        ));
    }
    let mut blocks = vec![
        serde_json::json!({"type": "header", "text": {"type": "plain_text", "text": format!("perfguard nightly: {}", watch.suite.chars().filter(|c| !c.is_control()).take(120).collect::<String>())}}),
        serde_json::json!({"type": "section", "text": {"type": "mrkdwn", "text": if lines.is_empty() { "No findings.".to_owned() } else { lines.join("\n") }}}),
    ];
    if let Some(url) = &watch.run_url {
        blocks.push(serde_json::json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("<{}|workflow run>", slack_escape(url))}]}));
    }
    serde_json::json!({
        "text": format!("{headline}\n{}", lines.join("\n")),
        "blocks": blocks,
    })
}

/// One line per finding for the log.
pub fn log_lines(watch: &Watch) -> Vec<String> {
    let clean = crate::report::terminal::sanitize_line;
    let mut out = Vec::new();
    for s in &watch.steps {
        out.push(format!(
            "change point in {}/{} at {}: {} → {} ({}, {})",
            clean(&s.phase),
            clean(&s.metric),
            range_text(s),
            clean(&s.before),
            clean(&s.after),
            percent(s.change),
            step_age(s)
        ));
    }
    for b in &watch.budgets {
        out.push(format!(
            "SLO {} at {}: {}",
            clean(&b.objective),
            level(b),
            budget_text(b)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::watch::Regression;

    fn watch() -> Watch {
        Watch {
            suite: "api <b>--> @team".into(),
            environment: "ci".into(),
            sha: Some("0123456789abcdef0123456789abcdef01234567".into()),
            run_url: None,
            regressions: vec![Regression {
                phase: "startup".into(),
                metric: "wall|*x*".into(),
                reference: 100e6,
                carried: false,
                baseline: "100 ms".into(),
                current: "200 ms".into(),
                change: 1.0,
                severity: crate::compare::Severity::Critical,
            }],
            steps: Vec::new(),
            budgets: Vec::new(),
        }
    }

    #[test]
    fn the_issue_body_remembers_its_alerts_and_references() {
        let w = watch();
        let keys = w.alerts(crate::config::FailOn::Major);
        let body = issue_body(&w, &keys);
        let memory = memory_in(&body);
        assert_eq!(memory.alerts, keys);
        assert_eq!(memory.references, w.references());
        assert!(body.starts_with(&issue_marker(&w.suite)));
        // User text cannot end a hidden comment or break the table.
        assert_eq!(body.matches("-->").count(), 2, "{body}");
        assert!(body.contains("wall&#124;\\*x\\*"), "{body}");
        assert!(!body.contains("<b>"), "{body}");
    }

    #[test]
    fn an_edited_memory_reads_as_empty() {
        assert_eq!(
            memory_in("<!-- perfguard:memory !!! -->"),
            Memory::default()
        );
        assert_eq!(memory_in("no memory"), Memory::default());
    }

    #[test]
    fn the_issue_body_and_the_slack_message_render_every_finding() {
        let mut w = watch();
        w.suite = "api".into();
        w.run_url = Some("https://github.com/octo/api/actions/runs/777".into());
        w.steps.push(StepFinding {
            phase: "startup".into(),
            metric: "memory.peak".into(),
            from_sha: Some("1a2b3c4d5e6f70819283746556473829101a2b3c".into()),
            to_sha: Some("36afaef2afdf0ce794d7e4663e7f327664aaa4d7".into()),
            url: Some("https://github.com/octo/api/compare/1a2b3c4d5e6f70819283746556473829101a2b3c...36afaef2afdf0ce794d7e4663e7f327664aaa4d7".into()),
            before: "40.0 MB".into(),
            after: "52.0 MB".into(),
            change: 0.3,
            severity: crate::compare::Severity::Major,
            reference: 40e6,
            runs_since: 3,
        });
        w.budgets.push(BudgetAlert {
            metric: "load/error_rate".into(),
            objective: "error_rate <= 1%".into(),
            window: "30d".into(),
            budget_left: 0.15,
            burn_rate: 2.5,
            status: BudgetStatus::Warning,
        });
        let keys = w.alerts(crate::config::FailOn::Major);
        insta::assert_snapshot!("issue_body", issue_body(&w, &keys));
        insta::assert_snapshot!("news_comment", news_comment(&w, &keys[1..]));
        insta::assert_snapshot!("recovery_comment", recovery_comment(&w));
        insta::assert_json_snapshot!("slack", slack(&w));
    }

    #[test]
    fn slack_text_is_escaped_and_names_the_finding() {
        let msg = slack(&watch());
        let text = msg["text"].as_str().unwrap();
        assert!(text.contains("api &lt;b&gt;--&gt; @team"), "{text}");
        assert!(
            text.contains("critical regression startup/wall|*x*"),
            "{text}"
        );
        assert_eq!(msg["blocks"][0]["type"], "header");
    }
}
