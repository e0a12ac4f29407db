//! Listing: turns saved runs into the `perfguard baseline list` table (pure).

use super::SavedRun;
use crate::report::terminal::sanitize_line;
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};

/// One row per run: time, suite, environment, commit, ref, metrics, file.
pub fn render(runs: &[SavedRun]) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED).force_no_tty();
    t.set_header(vec![
        "Time (UTC)",
        "Suite",
        "Environment",
        "Commit",
        "Ref",
        "Metrics",
        "File",
    ]);
    for s in runs {
        let r = &s.run;
        let git = r.git.as_ref();
        t.add_row(vec![
            r.started_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            sanitize_line(&r.suite),
            sanitize_line(&r.environment.key),
            git.map_or_else(
                || "–".into(),
                |g| crate::results::short_sha(&g.sha, 7).to_owned(),
            ),
            git.and_then(|g| g.ref_name.as_deref())
                .map_or_else(|| "–".into(), sanitize_line),
            r.phases
                .iter()
                .map(|p| p.metrics.len())
                .sum::<usize>()
                .to_string(),
            s.path.rsplit('/').next().unwrap_or(&s.path).to_owned(),
        ]);
    }
    let mut out = t.to_string();
    out.push('\n');
    out
}
