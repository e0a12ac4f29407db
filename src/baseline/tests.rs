use super::*;

fn entry(name: &str) -> Entry {
    Entry::parse("s/e/runs", name, None).unwrap()
}

#[test]
fn entries_sort_by_time_then_save_order() {
    let mut v = vec![
        entry("20261121T120000Z-abcdef0-2.json"),
        entry("20261121T120001Z-0000000.json"),
        entry("20261121T120000Z-abcdef0.json"),
        entry("20261121T120000Z-abcdef0-10.json"),
    ];
    sort_entries(&mut v);
    let names: Vec<&str> = v.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "s/e/runs/20261121T120000Z-abcdef0.json",
            "s/e/runs/20261121T120000Z-abcdef0-2.json",
            "s/e/runs/20261121T120000Z-abcdef0-10.json",
            "s/e/runs/20261121T120001Z-0000000.json",
        ]
    );
    assert_eq!(v[0].short_sha, "abcdef0");
    assert!(Entry::parse("d", "latest.txt", None).is_none());
}

#[test]
fn components_cannot_escape_the_layout() {
    assert_eq!(component("api"), "api");
    assert_eq!(
        component("linux-x86_64-intel-r-xeon-2.20ghz"),
        "linux-x86_64-intel-r-xeon-2.20ghz"
    );
    assert_eq!(component(".."), "_..");
    assert_eq!(component("a/../../b"), "a-..-..-b");
    assert_eq!(component("My Suite"), "my-suite");
    assert_eq!(component(""), "unknown");
}

#[test]
fn excess_drops_the_oldest() {
    let v = vec![entry("1-a.json"), entry("2-a.json"), entry("3-a.json")];
    assert_eq!(excess(&v, 2), &v[..1]);
    assert!(excess(&v, 5).is_empty());
}

#[test]
fn only_save_on_refs_save() {
    let main = || "main".to_owned();
    assert!(saves_on(Some("refs/heads/main"), &[], &main));
    assert!(!saves_on(Some("refs/heads/topic"), &[], &main));
    assert!(!saves_on(Some("refs/pull/7/merge"), &[], &main));
    assert!(!saves_on(None, &[], &main));
    let list = vec!["release".to_owned(), "refs/heads/nightly".to_owned()];
    assert!(saves_on(Some("refs/heads/release"), &list, &main));
    assert!(saves_on(Some("refs/heads/nightly"), &list, &main));
    assert!(!saves_on(Some("refs/heads/main"), &list, &main));
}

#[test]
fn tokens_and_url_credentials_are_redacted() {
    let text = "failed to fetch https://user:ghs_abc@github.com/o/r: token ghs_abc refused";
    let out = git::redact(text, Some("ghs_abc"));
    assert!(!out.contains("ghs_abc"), "{out}");
    assert!(out.contains("https://***@github.com/o/r"), "{out}");
    assert_eq!(git::redact("plain", None), "plain");
}

#[test]
fn later_saves_of_one_commit_and_second_sort_after_earlier_ones() {
    let run: Run = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "suite": "s",
        "environment": {"key": "e", "os": "l", "arch": "x", "cpu_model": "c", "cores": 1, "memory_bytes": 1},
        "git": {"sha": "abcdef0123"},
        "started_at": "2026-11-21T12:00:00Z", "finished_at": "2026-11-21T12:00:00Z",
        "phases": []
    }))
    .unwrap();
    assert_eq!(file_name(&run, &[]), "20261121T120000Z-abcdef0.json");
    let first = entry("20261121T120000Z-abcdef0.json");
    assert_eq!(
        file_name(&run, std::slice::from_ref(&first)),
        "20261121T120000Z-abcdef0-2.json"
    );
    // The first was pruned: numbering still moves forward.
    let third = entry("20261121T120000Z-abcdef0-3.json");
    assert_eq!(file_name(&run, &[third]), "20261121T120000Z-abcdef0-4.json");
}

#[test]
fn the_listing_shows_time_commit_ref_and_metric_count() {
    let run: Run = serde_json::from_value(serde_json::json!({
        "schema_version": 1, "suite": "api",
        "environment": {"key": "ci", "os": "l", "arch": "x", "cpu_model": "c", "cores": 1, "memory_bytes": 1},
        "git": {"sha": "abcdef0123", "ref": "refs/heads/main"},
        "started_at": "2026-11-21T12:00:00Z", "finished_at": "2026-11-21T12:00:00Z",
        "phases": [{"name": "p", "kind": "command", "metrics": [
            {"name": "wall", "unit": "ns", "direction": "lower", "value": 1.0},
            {"name": "user", "unit": "ns", "direction": "lower", "value": 1.0}]}]
    }))
    .unwrap();
    let saved = SavedRun {
        path: "api/ci/runs/20261121T120000Z-abcdef0.json".into(),
        commit: Some("9".repeat(40)),
        run,
    };
    insta::assert_snapshot!(listing::render(&[saved]), @r"
    ┌─────────────────────┬───────┬─────────────┬─────────┬─────────────────┬─────────┬───────────────────────────────┐
    │ Time (UTC)          ┆ Suite ┆ Environment ┆ Commit  ┆ Ref             ┆ Metrics ┆ File                          │
    ╞═════════════════════╪═══════╪═════════════╪═════════╪═════════════════╪═════════╪═══════════════════════════════╡
    │ 2026-11-21 12:00:00 ┆ api   ┆ ci          ┆ abcdef0 ┆ refs/heads/main ┆ 2       ┆ 20261121T120000Z-abcdef0.json │
    └─────────────────────┴───────┴─────────────┴─────────┴─────────────────┴─────────┴───────────────────────────────┘
    ");
}
