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

fn run_kind(suite: &str) -> Kind {
    Kind::Run {
        suite: suite.into(),
        environment: "e".into(),
    }
}

#[test]
fn names_dated_past_tomorrow_sort_as_the_oldest() {
    let now = chrono::DateTime::parse_from_rfc3339("2026-12-03T00:00:00Z")
        .unwrap()
        .to_utc();
    let mut v = vec![
        entry("20990101T000000Z-abcdef0.json"),
        entry("20261203T120000Z-abcdef0.json"),
        entry("20261201T000000Z-abcdef0.json"),
    ];
    sort_entries_at(&mut v, now);
    let names: Vec<&str> = v.iter().map(|e| &e.stamp[..8]).collect();
    // Within a day ahead still counts: clocks of runners drift.
    assert_eq!(names, ["20990101", "20261201", "20261203"]);
}

#[test]
fn unreadable_files_are_kept_and_do_not_count_toward_keep() {
    let files = vec![
        (entry("1-a.json"), run_kind("s")),
        (entry("2-a.json"), Kind::Unreadable),
        (entry("3-a.json"), run_kind("s")),
        (entry("4-a.json"), Kind::Unreadable),
    ];
    let plan = retention(&files, 2, None);
    assert!(plan.remove.is_empty(), "{plan:?}");
    assert_eq!(plan.latest, Some(entry("3-a.json")));
    let plan = retention(&files, 1, None);
    assert_eq!(plan.remove, [entry("1-a.json")]);
    assert_eq!(plan.latest, Some(entry("3-a.json")));
}

#[test]
fn the_run_being_saved_stays_and_latest_is_the_newest_that_stays() {
    let files = vec![
        (entry("1-a.json"), run_kind("s")),
        (entry("2-a.json"), run_kind("s")),
        (entry("3-a.json"), run_kind("s")),
    ];
    // Saved late: older than the others, kept all the same.
    let plan = retention(&files, 2, Some(&entry("1-a.json")));
    assert_eq!(plan.remove, [entry("2-a.json")]);
    assert_eq!(plan.latest, Some(entry("3-a.json")));
    let plan = retention(&files, 1, Some(&entry("3-a.json")));
    assert_eq!(plan.remove, [entry("1-a.json"), entry("2-a.json")]);
    assert_eq!(plan.latest, Some(entry("3-a.json")));
    assert_eq!(retention(&[], 3, None), Retention::default());
}

#[test]
fn runs_of_two_names_in_one_directory_are_kept_apart_and_refused() {
    let files = vec![
        (entry("1-a.json"), run_kind("A B")),
        (entry("2-a.json"), run_kind("a-b")),
        (entry("3-a.json"), run_kind("A B")),
    ];
    let plan = retention(&files, 1, None);
    assert_eq!(plan.remove, [entry("1-a.json")]);
    assert!(check_owner(&files[..1], "A B", "e").is_ok());
    let err = check_owner(&files, "A B", "e").unwrap_err().to_string();
    assert!(
        err.contains("suite `A B`") && err.contains("suite `a-b`") && err.contains("a-b/e/"),
        "{err}"
    );
    assert_eq!(check_owner(&files, "a-b", "e").unwrap_err().exit_code(), 2);
}

fn imported(sha: &str, day: u32) -> Run {
    let at = chrono::DateTime::parse_from_rfc3339(&format!("2021-03-{day:02}T00:00:00Z"))
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut run = Run::new(
        "s".into(),
        crate::results::Environment {
            key: "e".into(),
            os: String::new(),
            arch: String::new(),
            cpu_model: String::new(),
            cores: 0,
            memory_bytes: 0,
            runner: None,
        },
        Some(crate::results::GitInfo {
            sha: sha.into(),
            ref_name: None,
            base_sha: None,
            pr: None,
        }),
        at,
        false,
        Vec::new(),
    );
    run.finished_at = at;
    run
}

fn held(run: &Run, existing: &[Entry]) -> Inspected {
    let e = entry(&file_name(run, existing));
    let json = serde_json::to_string(run).unwrap();
    let (kind, id) = inspect(Some(json.as_bytes()), &e.path);
    (e, kind, id)
}

#[test]
fn an_import_skips_runs_already_there_and_twice_in_itself() {
    let old = imported("a000000000", 1);
    let files = vec![held(&old, &[])];
    let runs = [
        imported("a000000000", 1),
        imported("b000000000", 2),
        imported("b000000000", 2),
    ];
    let members: Vec<(usize, &Run)> = runs.iter().enumerate().collect();
    let plan = plan_import("s/e/runs", &files, &members, 10, ("s", "e")).unwrap();
    assert_eq!(plan.duplicates, 2);
    assert_eq!(plan.beyond_keep, 0);
    assert_eq!(plan.add.len(), 1);
    assert_eq!(plan.add[0].1, 1);
    assert_eq!(plan.latest.as_ref(), Some(&plan.add[0].0));
    assert!(plan.remove.is_empty());
}

#[test]
fn an_import_keeps_the_newest_keep_and_writes_nothing_it_would_prune() {
    let saved = imported("c000000000", 20);
    let files = vec![held(&saved, &[])];
    let runs: Vec<Run> = (1..=4)
        .map(|d| imported(&format!("{d}000000000"), d))
        .collect();
    let members: Vec<(usize, &Run)> = runs.iter().enumerate().collect();
    let plan = plan_import("s/e/runs", &files, &members, 3, ("s", "e")).unwrap();
    // The saved run is the newest: it stays, with the two newest imports.
    assert_eq!(plan.beyond_keep, 2);
    let added: Vec<usize> = plan.add.iter().map(|(_, i)| *i).collect();
    assert_eq!(added, [2, 3]);
    assert!(plan.remove.is_empty());
    assert_eq!(plan.latest.as_ref(), Some(&files[0].0));

    // Imports newer than what is there push it out, as a save would.
    let newer: Vec<Run> = (21..=23)
        .map(|d| imported(&format!("{d}00000000"), d))
        .collect();
    let members: Vec<(usize, &Run)> = newer.iter().enumerate().collect();
    let plan = plan_import("s/e/runs", &files, &members, 3, ("s", "e")).unwrap();
    assert_eq!(plan.add.len(), 3);
    assert_eq!(plan.remove, [files[0].0.clone()]);
}
