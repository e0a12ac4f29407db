//! Markdown: turns a report view into the pull-request comment (the verdict
//! at a glance, details folded) and the job summary (everything), every
//! user-controlled string escaped.

use super::{Row, View};
use crate::compare::Verdict;
use crate::compare::slo::BudgetStatus;
use std::fmt::Write;

/// The most characters a comment takes: under GitHub's 65,536, with room
/// for a reader to quote it.
pub const COMMENT_BUDGET: usize = 60_000;

/// The hidden marker that identifies a suite's comment.
pub fn marker(suite: &str) -> String {
    // `--` would end the HTML comment early, and a line break would put the
    // rest of a suite name on a line of its own (on stdout, a line such as
    // `::warning::` is a workflow command); the suite name is user text.
    format!(
        "<!-- perfguard:{} -->",
        suite
            .replace("--", "-\u{200b}-")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace(|c: char| c.is_control(), " ")
    )
}

/// Escapes text for a Markdown table cell or paragraph: HTML is inert, table
/// pipes and emphasis are literal, nothing becomes a link, an image or an
/// `@` mention, and it stays on one line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '|' => out.push_str("&#124;"),
            // A backslash-escaped `@` still renders as `@` and GitHub
            // mentions whoever follows; a zero-width space after it does not.
            '@' => out.push_str("@&#8203;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    // GitHub links bare `http://…` and `www.…` (the autolink extension); a
    // character reference is not a raw `:` or `.`, so it does not trigger.
    break_autolinks(&out.replace("://", "&#58;//"))
}

/// `www.` in any case (`WwW.`) with its dot as a character reference, so no
/// renderer's extended autolink starts there.
fn break_autolinks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest
        .as_bytes()
        .windows(4)
        .position(|w| w[..3].eq_ignore_ascii_case(b"www") && w[3] == b'.')
    {
        out.push_str(&rest[..i + 3]);
        out.push_str("&#46;");
        rest = &rest[i + 4..];
    }
    out.push_str(rest);
    out
}

/// Links and decisions around a report that only CI knows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decorations {
    /// The baseline commit's page.
    pub baseline_url: Option<String>,
    /// The workflow run's page.
    pub run_url: Option<String>,
    /// Where the HTML report is (the run's artifacts), when it was uploaded.
    pub report_url: Option<String>,
    /// The regressions a pull-request label accepted.
    pub accepted: Option<Acceptance>,
}

/// Regressions and failed criteria a label let pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub label: String,
    /// `phase metric (critical, +61.0 %)` or `phase metric < 200ms`.
    pub items: Vec<String>,
}

/// Renders the pull-request comment.
pub fn render(view: &View) -> String {
    render_decorated(view, &Decorations::default())
}

/// Renders the pull-request comment with CI's links and acceptance: the
/// headline, the provenance line, regressions and improvements, failed or
/// nearly failed criteria, what the data could not judge, one line counting
/// the rest, and the rest folded in `<details>`.
pub fn render_decorated(view: &View, deco: &Decorations) -> String {
    let rows = decisive_rows(view);
    let mut s = comment_top(view, deco, &rows, true);
    trend_charts(&mut s, &rows);
    let counts = counts_line(view);
    if !counts.is_empty() {
        let _ = writeln!(s, "\n{counts}");
    }
    details(&mut s, view, true);
    s
}

/// The comment in at most `limit` characters (and never over
/// `COMMENT_BUDGET`): the whole one when it fits, else a compact one without
/// the other metrics' table, then without the fold, then with fewer
/// regressions (whole rows, the rest counted), so a table is never cut
/// mid-row; a line says what was left out.
pub fn render_within(view: &View, deco: &Decorations, limit: usize) -> String {
    let limit = limit.min(COMMENT_BUDGET);
    let measure = |t: &str| t.chars().count();
    let full = render_decorated(view, deco);
    if measure(&full) <= limit {
        return full;
    }
    let rows = decisive_rows(view);
    // First without the table of the other metrics (the evidence behind
    // every row shown stays), then without the fold, then with fewer rows.
    let text = compact_comment(view, deco, &rows, rows.len(), true);
    if measure(&text) <= limit {
        return text;
    }
    let mut keep = rows.len();
    loop {
        let text = compact_comment(view, deco, &rows, keep, false);
        if measure(&text) <= limit {
            return text;
        }
        if keep == 0 {
            return minimal(view, deco, limit, &measure);
        }
        keep = keep.saturating_sub((keep / 4).max(1));
    }
}

/// Regressions first (worst first), then improvements.
fn decisive_rows(view: &View) -> Vec<&Row> {
    view.decisive().collect()
}

/// Failed or nearly failed criteria listed above the fold; the rest are
/// counted and left to the job summary.
const MAX_CRITERIA: usize = 50;
/// Undecided metrics listed in the comment; the rest counted.
const MAX_UNDECIDED: usize = 10;

/// Everything above the fold: header, phase errors (with stderr tails when
/// `tails`), the decisive rows, the criteria worth showing, the undecided
/// metrics.
fn comment_top(view: &View, deco: &Decorations, rows: &[&Row], tails: bool) -> String {
    let mut s = String::new();
    header(&mut s, view, deco, false);
    errors(&mut s, view, tails);
    if !rows.is_empty() {
        let _ = writeln!(s);
        decisive_table(&mut s, rows);
    }
    let shown: Vec<_> = view.criteria.iter().filter(|c| c.worth_showing()).collect();
    if !shown.is_empty() {
        let _ = writeln!(s, "\n| | Criterion | Actual |\n|:-:|---|--:|");
        for c in shown.iter().take(MAX_CRITERIA) {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                if c.passed {
                    "⚠️ near limit"
                } else {
                    "❌ failed"
                },
                escape(&format!("{} {} {}", c.phase, c.metric, c.criterion)),
                escape(&c.actual)
            );
        }
        if shown.len() > MAX_CRITERIA {
            let _ = writeln!(
                s,
                "\n{} more failed or nearly failed criteria are in the job summary.",
                shown.len() - MAX_CRITERIA
            );
        }
    }
    if !view.undecided.is_empty() {
        let _ = writeln!(s);
        for u in view.undecided.iter().take(MAX_UNDECIDED) {
            let _ = writeln!(s, "- {}", escape(u));
        }
        if view.undecided.len() > MAX_UNDECIDED {
            let _ = writeln!(
                s,
                "- and {} more metrics without enough data (job summary)",
                view.undecided.len() - MAX_UNDECIDED
            );
        }
    }
    s
}

/// `6 within noise · 8 unchanged · 3 criteria met`, or nothing when every
/// metric and criterion is shown above.
fn counts_line(view: &View) -> String {
    let mut parts = Vec::new();
    let folded = view.counts.folded();
    if !folded.is_empty() {
        parts.push(folded);
    }
    let met = view.criteria.iter().filter(|c| !c.worth_showing()).count();
    if met > 0 {
        parts.push(format!(
            "{met} criteri{} met",
            if met == 1 { "on" } else { "a" }
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    let lead = if view.decisive().next().is_some() {
        "Also"
    } else {
        "Metrics"
    };
    format!("{lead}: {}.", parts.join(" · "))
}

/// The fold: evidence for the rows above, the other metrics (when
/// `with_others`), the met criteria, budgets and steps, and where the
/// sampling advice is.
fn details(s: &mut String, view: &View, with_others: bool) {
    let decisive: Vec<&Row> = view.decisive().collect();
    let others: Vec<&Row> = if with_others {
        view.undecisive().chain(&view.unchanged).collect()
    } else {
        Vec::new()
    };
    let met: Vec<_> = view
        .criteria
        .iter()
        .filter(|c| !c.worth_showing())
        .collect();
    if decisive.is_empty()
        && others.is_empty()
        && met.is_empty()
        && view.slos.is_empty()
        && view.steps.is_empty()
        && view.recommendations.is_empty()
    {
        return;
    }
    let mut what = Vec::new();
    if !decisive.is_empty() {
        what.push("evidence".to_owned());
    }
    if !others.is_empty() {
        what.push(format!(
            "{} other metric{}",
            others.len(),
            plural(others.len())
        ));
    }
    if !met.is_empty() {
        what.push(format!(
            "{} met criteri{}",
            met.len(),
            if met.len() == 1 { "on" } else { "a" }
        ));
    }
    if !view.slos.is_empty() {
        what.push("error budgets".into());
    }
    if !view.steps.is_empty() {
        what.push("steps in history".into());
    }
    if what.is_empty() {
        what.push("advice".into());
    }
    let _ = writeln!(
        s,
        "\n<details><summary>Details: {}</summary>\n",
        what.join(", ")
    );
    if !decisive.is_empty() {
        let _ = writeln!(s, "| Metric | Evidence | Method |\n|---|---|---|");
        for r in &decisive {
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                row_name(r),
                escape(&r.note),
                escape(r.method.as_deref().unwrap_or("–"))
            );
        }
        let _ = writeln!(s);
    }
    if !others.is_empty() {
        let owned: Vec<Row> = others.iter().map(|r| (*r).clone()).collect();
        table(s, &owned);
        let _ = writeln!(s);
    }
    if !met.is_empty() {
        let _ = writeln!(s, "| | Criterion | Actual |\n|:-:|---|--:|");
        for c in met {
            let _ = writeln!(
                s,
                "| ✅ | {} | {} |",
                escape(&format!("{} {} {}", c.phase, c.metric, c.criterion)),
                escape(&c.actual)
            );
        }
        let _ = writeln!(s);
    }
    budgets_and_steps(s, view);
    if !view.recommendations.is_empty() {
        let _ = writeln!(
            s,
            "{} sampling and configuration hint{} in the job summary.\n",
            view.recommendations.len(),
            plural(view.recommendations.len())
        );
    }
    let _ = writeln!(s, "</details>");
}

/// The compact comment: above the fold with the first `keep` of the
/// decisive `rows`, the fold without the other metrics' table when
/// `with_fold`, and a line saying what it left out.
fn compact_comment(
    view: &View,
    deco: &Decorations,
    rows: &[&Row],
    keep: usize,
    with_fold: bool,
) -> String {
    let mut s = comment_top(view, deco, &rows[..keep], with_fold);
    let mut omitted = Vec::new();
    let (improvements, regressions): (Vec<&Row>, Vec<&Row>) = rows[keep..]
        .iter()
        .partition(|r| r.severity == crate::compare::Severity::Improved);
    for (n, what) in [
        (regressions.len(), "regression"),
        (improvements.len(), "improvement"),
    ] {
        if n > 0 {
            omitted.push(format!("{n} more {what}{}", plural(n)));
        }
    }
    let folded = view.counts.folded();
    if !folded.is_empty() {
        omitted.push(format!("the table of the other metrics ({folded})"));
    }
    if !with_fold {
        let met = view.criteria.iter().filter(|c| !c.worth_showing()).count();
        if met > 0 {
            omitted.push(format!(
                "{met} met criteri{}",
                if met == 1 { "on" } else { "a" }
            ));
        }
        if keep > 0 {
            omitted.push("the evidence behind each change".into());
        }
    }
    let where_ = match &deco.run_url {
        Some(u) => format!("the [job summary]({})", url_escape(u)),
        None => "the job summary".into(),
    };
    let _ = writeln!(
        s,
        "\nThis comment is compact to stay under {} characters. Left out: {}. Everything is in {where_}.",
        group_thousands(COMMENT_BUDGET),
        if omitted.is_empty() {
            "nothing".to_owned()
        } else {
            omitted.join("; ")
        },
    );
    if with_fold {
        details(&mut s, view, false);
    }
    s
}

fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The job summary: everything, in the comment's order (headline,
/// provenance, criteria, every metric that moved with its evidence, error
/// budgets, steps, sampling and configuration advice, the unchanged folded).
pub fn summary(view: &View, deco: &Decorations) -> String {
    let mut s = String::new();
    header(&mut s, view, deco, true);
    errors(&mut s, view, true);
    criteria(&mut s, view, false);
    if !view.changed.is_empty() {
        let _ = writeln!(s);
        table(&mut s, &view.changed);
        let decisive: Vec<&Row> = view.decisive().collect();
        trend_charts(&mut s, &decisive);
    }
    let _ = writeln!(s);
    budgets_and_steps(&mut s, view);
    if !view.recommendations.is_empty() {
        let _ = writeln!(s, "**Recommendations**\n");
        for r in &view.recommendations {
            let _ = writeln!(s, "- {}", escape(r));
        }
    }
    if !view.unchanged.is_empty() {
        let n = view.unchanged.len();
        let _ = writeln!(
            s,
            "\n<details><summary>{n} unchanged metric{}</summary>\n",
            plural(n)
        );
        table(&mut s, &view.unchanged);
        let _ = writeln!(s, "\n</details>");
    }
    s
}

/// The job summary in at most `limit` (as `measure` counts: bytes for the
/// summary file): the full one when it fits, else a compact one with only
/// regressions and failed criteria (whole rows, the rest counted).
pub fn summary_within(
    view: &View,
    deco: &Decorations,
    limit: usize,
    measure: impl Fn(&str) -> usize,
) -> String {
    let full = summary(view, deco);
    if measure(&full) <= limit {
        return full;
    }
    let regressions: Vec<&Row> = view
        .changed
        .iter()
        .filter(|r| r.severity.is_regression())
        .collect();
    let mut keep = regressions.len();
    loop {
        let text = compact_summary(view, deco, &regressions[..keep]);
        if measure(&text) <= limit {
            return text;
        }
        if keep == 0 {
            return minimal(view, deco, limit, &measure);
        }
        // Shrink geometrically, then the count line says how many were left out.
        keep = keep.saturating_sub((keep / 4).max(1));
    }
}

/// The last resort when even the compact report is too big (thousands of
/// phase errors or criteria): the verdict line and where to look.
fn minimal(
    view: &View,
    deco: &Decorations,
    limit: usize,
    measure: &impl Fn(&str) -> usize,
) -> String {
    let mut s = format!("{}\n", marker(&view.suite));
    let headline: String = escape(&title(view, deco)).chars().take(500).collect();
    let suite: String = escape(&view.suite).chars().take(200).collect();
    let _ = writeln!(s, "### perfguard · {suite} · {headline}\n");
    let _ = writeln!(
        s,
        "The report is too large for a comment; it is in the job summary{}.",
        deco.run_url
            .as_ref()
            .map(|u| format!(" of the [workflow run]({})", url_escape(u)))
            .unwrap_or_default()
    );
    if measure(&s) <= limit {
        s
    } else {
        marker(&view.suite)
    }
}

fn compact_summary(view: &View, deco: &Decorations, regressions: &[&Row]) -> String {
    let mut s = String::new();
    header(&mut s, view, deco, true);
    errors(&mut s, view, false);
    criteria(&mut s, view, true);
    let all_regressions = view
        .changed
        .iter()
        .filter(|r| r.severity.is_regression())
        .count();
    if !regressions.is_empty() {
        let _ = writeln!(s);
        let rows: Vec<Row> = regressions.iter().map(|r| (*r).clone()).collect();
        table(&mut s, &rows);
    }
    let other_changed = view.changed.len() - all_regressions;
    let mut omitted = Vec::new();
    if regressions.len() < all_regressions {
        omitted.push(format!(
            "{} more regression{}",
            all_regressions - regressions.len(),
            plural(all_regressions - regressions.len())
        ));
    }
    if other_changed > 0 {
        omitted.push(format!(
            "{other_changed} other changed metric{}",
            plural(other_changed)
        ));
    }
    if !view.unchanged.is_empty() {
        omitted.push(format!("{} unchanged", view.unchanged.len()));
    }
    let passed = view.criteria.iter().filter(|c| c.passed).count();
    if passed > 0 {
        omitted.push(format!(
            "{passed} met criteri{}",
            if passed == 1 { "on" } else { "a" }
        ));
    }
    let where_ = match &deco.run_url {
        Some(u) => format!("the [workflow run]({})", url_escape(u)),
        None => "the workflow run".into(),
    };
    let _ = writeln!(
        s,
        "\nThe full report is over the job summary's limit; this shows regressions and failed criteria only. Not shown: {}. The results are in {where_}'s artifacts and log.",
        if omitted.is_empty() {
            "nothing".to_owned()
        } else {
            omitted.join(", ")
        },
    );
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The headline as the reader sees it: named for the accept label when it
/// let a failure pass.
fn title(view: &View, deco: &Decorations) -> String {
    match (&deco.accepted, view.verdict) {
        (Some(a), Verdict::Fail) => format!(
            "accepted by the label {}: {}",
            a.label.replace(['\n', '\r'], " "),
            view.headline
        ),
        _ => view.headline.clone(),
    }
}

/// The headline and the provenance line; in the job summary (`full`) also
/// the two runs and how the verdict was measured, in full.
fn header(s: &mut String, view: &View, deco: &Decorations, full: bool) {
    let icon = match (&deco.accepted, view.verdict) {
        (Some(_), Verdict::Fail) => "☑️",
        (_, Verdict::Pass) => "✅",
        (None, Verdict::Fail) => "❌",
    };
    let _ = writeln!(s, "{}", marker(&view.suite));
    let _ = writeln!(
        s,
        "### {icon} perfguard · {} · {}",
        escape(&view.suite),
        escape(&title(view, deco))
    );
    let _ = writeln!(s);
    let mut line = escape(&view.basis);
    if let Some(u) = &deco.baseline_url {
        let _ = write!(line, " · [baseline commit]({})", url_escape(u));
    }
    if let Some(u) = &deco.run_url {
        let _ = write!(line, " · [workflow run]({})", url_escape(u));
    }
    if let Some(u) = &deco.report_url {
        let _ = write!(line, " · [HTML report with charts]({})", url_escape(u));
    }
    let _ = writeln!(s, "{line}");
    if full {
        let _ = writeln!(
            s,
            "\nBaseline {} · current {}",
            view.baseline
                .as_deref()
                .map_or("none yet".to_owned(), escape),
            escape(&view.current)
        );
        if let Some(p) = &view.provenance {
            let _ = writeln!(s, "Measured {}", escape(p));
        }
    }
    if let Some(a) = &deco.accepted {
        let _ = writeln!(
            s,
            "\n> [!NOTE]\n> Accepted by the label `{}`, so this check passes: {}.",
            a.label.replace('`', "'").replace(['\n', '\r'], " "),
            listed(&a.items, MAX_LISTED)
        );
    }
    for note in &view.notes {
        let _ = writeln!(s, "\n> [!WARNING]\n> {}", escape(note));
    }
}

/// Phase errors, with their stderr tails when `tails`.
fn errors(s: &mut String, view: &View, tails: bool) {
    if view.errors.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n**Phase errors**\n");
    for (phase, message, tail) in &view.errors {
        if !tails {
            let short: String = message.chars().take(300).collect();
            let _ = writeln!(s, "- **{}**: {}", escape(phase), escape(&short));
            continue;
        }
        let _ = writeln!(s, "- **{}**: {}", escape(phase), escape(message));
        if let Some(tail) = tail {
            // Four-space indentation would be fragile inside a list;
            // a fenced block whose fence is longer than any run of
            // backticks in the text cannot be broken out of.
            let fence = "`".repeat(longest_backtick_run(tail).max(2) + 1);
            let _ = writeln!(
                s,
                "\n  {fence}text\n{}\n  {fence}",
                indent(&tail.replace('\r', ""), "  ")
            );
        }
    }
}

fn budgets_and_steps(s: &mut String, view: &View) {
    if !view.slos.is_empty() {
        let _ = writeln!(
            s,
            "**Error budgets**\n\n| | Metric | Objective | Budget left | Burn rate |\n|:-:|---|---|--:|--:|"
        );
        for r in &view.slos {
            let icon = match r.status {
                BudgetStatus::Ok => "🟢",
                BudgetStatus::Warning => "🟡",
                BudgetStatus::Critical => "🔴",
                BudgetStatus::NoData => "⚪",
            };
            let _ = writeln!(
                s,
                "| {icon} {} | {} | {} | {} | {} |",
                r.status.as_str(),
                escape(&r.metric),
                escape(&r.objective),
                r.budget_left,
                r.burn_rate
            );
        }
        let _ = writeln!(s);
    }
    if !view.steps.is_empty() {
        let _ = writeln!(
            s,
            "**Steps in history**\n\n| Phase | Metric | Change | Level | First run |\n|---|---|--:|---|---|"
        );
        for r in &view.steps {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                escape(&r.phase),
                escape(&r.metric),
                r.change,
                escape(&r.levels),
                escape(&r.at)
            );
        }
        let _ = writeln!(s);
    }
}

fn criteria(s: &mut String, view: &View, failed_only: bool) {
    let rows: Vec<_> = view
        .criteria
        .iter()
        .filter(|c| !failed_only || !c.passed)
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n| | Phase | Criterion | Actual |\n|:-:|---|---|---|");
    for c in rows {
        let _ = writeln!(
            s,
            "| {} | {} | {} {} | {} |",
            if c.passed { "✅" } else { "❌" },
            escape(&c.phase),
            escape(&c.metric),
            escape(&c.criterion),
            escape(&c.actual)
        );
    }
}

/// A URL as a Markdown link target: nothing that ends the target or starts markup.
fn url_escape(url: &str) -> String {
    url.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .map(|c| match c {
            '(' => "%28".to_owned(),
            ')' => "%29".to_owned(),
            '<' => "%3C".to_owned(),
            '>' => "%3E".to_owned(),
            '"' => "%22".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// Accepted items listed by name; the rest counted.
const MAX_LISTED: usize = 25;

fn listed(items: &[String], max: usize) -> String {
    let mut parts: Vec<String> = items.iter().take(max).map(|i| escape(i)).collect();
    if items.len() > max {
        parts.push(format!("and {} more", items.len() - max));
    }
    parts.join("; ")
}

/// Regressions whose trend chart is shown open; the next ones' are folded.
const OPEN_CHARTS: usize = 3;
/// Regressions with a trend chart at all.
const MAX_CHARTS: usize = 10;
/// The most recent values a trend chart shows.
const CHART_POINTS: usize = 30;

/// Trend charts (Mermaid `xychart-beta`, which GitHub renders) of the
/// regressions among `rows` that have a history: the first few open,
/// the rest folded.
fn trend_charts(s: &mut String, rows: &[&Row]) {
    let charts: Vec<(&Row, String)> = rows
        .iter()
        .filter(|r| r.severity.is_regression() || r.counts_as.is_some())
        .filter_map(|r| Some((*r, mermaid_trend(r)?)))
        .take(MAX_CHARTS)
        .collect();
    for (i, (r, chart)) in charts.iter().enumerate() {
        if i == OPEN_CHARTS {
            let more = charts.len() - OPEN_CHARTS;
            let _ = writeln!(
                s,
                "\n<details><summary>Trends of {more} more regression{}</summary>",
                plural(more)
            );
        }
        let _ = writeln!(
            s,
            "\n**{}**, the last {} runs:\n\n{chart}",
            row_name(r),
            r.trend.len().min(CHART_POINTS)
        );
    }
    if charts.len() > OPEN_CHARTS {
        let _ = writeln!(s, "\n</details>");
    }
}

/// A Mermaid `xychart-beta` of a row's recent trend, in a fenced block; none
/// without two finite, non-negative values. Only syntax Mermaid has
/// accepted since 10.x: `title`, `x-axis [...]`, `y-axis "…" a --> b`, `line`.
pub fn mermaid_trend(r: &Row) -> Option<String> {
    let start = r.trend.len().saturating_sub(CHART_POINTS);
    let values = &r.trend[start..];
    if values.len() < 2 || values.iter().any(|v| !v.is_finite() || *v < 0.0) {
        return None;
    }
    let max = values.iter().copied().fold(0.0, f64::max);
    let (scale, unit) = chart_unit(&r.unit, max);
    let scaled: Vec<f64> = values.iter().map(|v| v / scale).collect();
    let lo = scaled.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = scaled.iter().copied().fold(0.0, f64::max);
    let pad = ((hi - lo) * 0.1).max(hi.abs() * 0.01).max(1e-9);
    // Categories must differ: Mermaid's band scale merges equal ones (two
    // runs of one commit), and the line would lose its points.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let labels: Vec<String> = (start..r.trend.len())
        .map(|i| {
            let label = mermaid_text(r.trend_labels.get(i).map_or("", String::as_str));
            let n = seen.entry(label.clone()).or_insert(0);
            *n += 1;
            match *n {
                1 => format!("\"{label}\""),
                n => format!("\"{label} ({n})\""),
            }
        })
        .collect();
    let numbers: Vec<String> = scaled.iter().map(|v| chart_number(*v)).collect();
    Some(format!(
        "```mermaid\nxychart-beta\n  title \"{}\"\n  x-axis [{}]\n  y-axis \"{}\" {} --> {}\n  line [{}]\n```",
        mermaid_text(&format!("{}/{}", r.phase, r.metric)),
        labels.join(", "),
        mermaid_text(&unit),
        chart_number((lo - pad).max(0.0)),
        chart_number(hi + pad),
        numbers.join(", ")
    ))
}

/// Text for a quoted Mermaid label: only characters that cannot end the
/// string, the statement, the fenced block or a link, or be read as HTML
/// or an entity (`"`, `[`, `]`, backticks, `<`, `>`, `&`, `#`, `;`, `%`,
/// `\\`, line breaks and `-->` are replaced), at most 60 characters.
pub fn mermaid_text(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| match c {
            '"' | '`' => '\'',
            '[' | '{' | '<' => '(',
            ']' | '}' | '>' => ')',
            '&' | '#' | ';' | '%' | '\\' | '|' => ' ',
            c if c.is_control() => ' ',
            c => c,
        })
        .take(60)
        .collect();
    // `-->` is the axis range's arrow.
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out
}

/// A value as Mermaid reads a number: plain decimal, four significant digits.
fn chart_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// The divisor and unit name that put `max` in a readable range.
fn chart_unit(unit: &crate::metrics::Unit, max: f64) -> (f64, String) {
    use crate::metrics::Unit;
    match unit {
        Unit::Ns if max >= 1e9 => (1e9, "s".into()),
        Unit::Ns if max >= 1e6 => (1e6, "ms".into()),
        Unit::Ns if max >= 1e3 => (1e3, "µs".into()),
        Unit::Ns => (1.0, "ns".into()),
        Unit::Bytes if max >= 1_073_741_824.0 => (1_073_741_824.0, "GiB".into()),
        Unit::Bytes if max >= 1_048_576.0 => (1_048_576.0, "MiB".into()),
        Unit::Bytes if max >= 1024.0 => (1024.0, "KiB".into()),
        Unit::Bytes => (1.0, "bytes".into()),
        Unit::Ratio => (0.01, "percent".into()),
        Unit::PerSecond => (1.0, "per second".into()),
        Unit::Count => (1.0, "count".into()),
        Unit::Other(u) => (1.0, u.clone()),
    }
}

/// Eight-level bars from the minimum to the maximum of `values`.
pub fn sparkline(values: &[f64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    values
        .iter()
        .map(|v| {
            if max > min {
                let i = ((v - min) / (max - min) * 7.0).round() as usize;
                BARS[i.min(7)]
            } else {
                BARS[3]
            }
        })
        .collect()
}

fn row_name(r: &Row) -> String {
    escape(&format!("{}/{}", r.phase, r.metric))
}

/// Regressions and improvements: the grade, the metric, the change with its
/// interval, the two values.
fn decisive_table(s: &mut String, rows: &[&Row]) {
    let trend = rows.iter().any(|r| r.trend.len() >= 2);
    let _ = writeln!(
        s,
        "| | Metric | Change (interval) | Baseline → current |{}",
        if trend { " Trend |" } else { "" }
    );
    let _ = writeln!(s, "|:--|:--|--:|--:|{}", if trend { ":--|" } else { "" });
    for r in rows {
        let grade = match r.counts_as {
            Some(c) if !r.severity.is_regression() => {
                format!("{} (not enough data)", severity_label(c))
            }
            _ => severity_label(r.severity),
        };
        let _ = write!(
            s,
            "| {grade} | {} | {} | {} → {} |",
            row_name(r),
            r.change_phrase,
            escape(&r.baseline),
            escape(&r.current)
        );
        if trend {
            let _ = write!(s, " {} |", sparkline(&r.trend));
        }
        let _ = writeln!(s);
    }
}

fn table(s: &mut String, rows: &[Row]) {
    let trend = rows.iter().any(|r| r.trend.len() >= 2);
    let _ = writeln!(
        s,
        "| Phase | Metric | Baseline | Current | Change | Severity | Evidence |{}",
        if trend { " Trend |" } else { "" }
    );
    let _ = writeln!(
        s,
        "|---|---|--:|--:|--:|---|---|{}",
        if trend { "---|" } else { "" }
    );
    for r in rows {
        let _ = write!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            escape(&r.phase),
            escape(&r.metric),
            escape(&r.baseline),
            escape(&r.current),
            r.change,
            severity_label(r.severity),
            escape(&r.note)
        );
        if trend {
            let _ = write!(s, " {} |", sparkline(&r.trend));
        }
        let _ = writeln!(s);
    }
}

fn severity_label(s: crate::compare::Severity) -> String {
    use crate::compare::Severity::*;
    match s {
        Critical => "🔴 critical".into(),
        Major => "🟠 major".into(),
        Minor => "🟡 minor".into(),
        Improved => "🟢 improved".into(),
        Insufficient => "⚪ insufficient".into(),
        other => other.as_str().into(),
    }
}

fn longest_backtick_run(s: &str) -> usize {
    s.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn indent(text: &str, pad: &str) -> String {
    text.lines()
        .map(|l| format!("{pad}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod github_tests {
    use super::*;
    use crate::compare::{Policy, compare};
    use crate::config::ThresholdsConfig;
    use crate::metrics::Unit;
    use crate::results::{Direction, Environment, Metric, PhaseKind, PhaseResult, Run};

    fn run(values: &[(&str, f64)]) -> Run {
        Run {
            schema_version: 1,
            suite: "api".into(),
            environment: Environment {
                key: "ci".into(),
                os: "linux".into(),
                arch: "x86_64".into(),
                cpu_model: "t".into(),
                cores: 2,
                memory_bytes: 1,
                runner: None,
            },
            git: None,
            started_at: chrono::DateTime::UNIX_EPOCH,
            finished_at: chrono::DateTime::UNIX_EPOCH,
            partial: false,
            shard: None,
            phases: vec![PhaseResult {
                name: "p".into(),
                kind: PhaseKind::Command,
                errors: vec![],
                // Ten tight samples each, so a change is judged on evidence.
                metrics: values
                    .iter()
                    .map(|(n, v)| Metric {
                        samples: (0..10).map(|i| v * (1.0 + f64::from(i) * 1e-4)).collect(),
                        ..Metric::new(*n, Unit::Ns, Direction::Lower, *v)
                    })
                    .collect(),
                criteria: Default::default(),
                series: Vec::new(),
                load_started_at: None,
            }],
        }
    }

    fn policy() -> Policy {
        Policy::new(ThresholdsConfig::default())
    }

    #[test]
    fn sparkline_spans_min_to_max_and_is_flat_for_constant_values() {
        assert_eq!(sparkline(&[1.0, 2.0, 3.0, 8.0]), "▁▂▃█");
        assert_eq!(sparkline(&[5.0, 5.0]), "▄▄");
        assert_eq!(sparkline(&[]), "");
    }

    #[test]
    fn history_adds_a_trend_column_ending_with_the_current_value() {
        let history = [run(&[("wall", 100.0)]), run(&[("wall", 110.0)])];
        let c = compare(Some(&history[1]), &run(&[("wall", 200.0)]), &policy());
        let view = View::with_history(&c, &history);
        assert_eq!(view.changed[0].trend, vec![100.0, 110.0, 200.0]);
        let md = render(&view);
        assert!(md.contains("| Trend |"), "{md}");
        assert!(md.contains("| ▁▂█ |"), "{md}");
        assert!(!render(&View::of(&c)).contains("Trend"));
    }

    #[test]
    fn accepted_report_names_the_label_and_escapes_what_it_lists() {
        let c = compare(
            Some(&run(&[("wall", 100.0)])),
            &run(&[("wall", 200.0)]),
            &policy(),
        );
        let deco = Decorations {
            accepted: Some(Acceptance {
                label: "ok`<b>".into(),
                items: vec!["p <script> wall".into()],
            }),
            ..Decorations::default()
        };
        let md = render_decorated(&View::of(&c), &deco);
        assert!(
            md.contains(
                "### ☑️ perfguard · api · accepted by the label ok\\`&lt;b&gt;: 1 regression"
            ),
            "{md}"
        );
        assert!(md.contains("label `ok'<b>`"), "{md}");
        assert!(md.contains("p &lt;script&gt; wall"), "{md}");
    }

    #[test]
    fn a_report_within_the_limit_is_the_full_one() {
        let c = compare(
            Some(&run(&[("wall", 100.0)])),
            &run(&[("wall", 200.0)]),
            &policy(),
        );
        let v = View::of(&c);
        let d = Decorations::default();
        assert_eq!(render_within(&v, &d, 65_536), render_decorated(&v, &d));
    }

    #[test]
    fn a_compact_report_drops_whole_rows_and_counts_them() {
        let names: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
        let base: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 100.0)).collect();
        let cur: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 300.0)).collect();
        let c = compare(Some(&run(&base)), &run(&cur), &policy());
        let v = View::of(&c);
        let d = Decorations::default();
        let text = render_within(&v, &d, 2_000);
        assert!(text.chars().count() <= 2_000, "{}", text.chars().count());
        let rows = text
            .lines()
            .filter(|l| l.starts_with("| 🔴 critical | p/m"))
            .count();
        assert!(rows > 0 && rows < 50);
        assert!(
            text.contains(&format!("{} more regressions", 50 - rows)),
            "{text}"
        );
    }

    #[test]
    fn when_nothing_else_fits_the_comment_is_the_verdict_and_a_pointer() {
        let names: Vec<String> = (0..50).map(|i| format!("m{i}")).collect();
        let base: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 100.0)).collect();
        let cur: Vec<(&str, f64)> = names.iter().map(|n| (n.as_str(), 300.0)).collect();
        let c = compare(Some(&run(&base)), &run(&cur), &policy());
        let text = render_within(&View::of(&c), &Decorations::default(), 300);
        assert!(text.chars().count() <= 300, "{text}");
        assert!(
            text.starts_with("<!-- perfguard:api -->\n### perfguard · api · 50 regressions"),
            "{text}"
        );
        assert!(!text.contains('|'), "{text}");
    }

    #[test]
    fn a_long_acceptance_lists_some_and_counts_the_rest() {
        let c = compare(
            Some(&run(&[("wall", 100.0)])),
            &run(&[("wall", 200.0)]),
            &policy(),
        );
        let deco = Decorations {
            accepted: Some(Acceptance {
                label: "perfguard:accept".into(),
                items: (0..100).map(|i| format!("p m{i}")).collect(),
            }),
            ..Decorations::default()
        };
        let md = render_decorated(&View::of(&c), &deco);
        assert!(md.contains("p m24; and 75 more."), "{md}");
        assert!(!md.contains("p m25;"), "{md}");
    }
}
