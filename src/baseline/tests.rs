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
    assert_eq!(component("linux-x86_64-intel-r-xeon-2.20ghz"), "linux-x86_64-intel-r-xeon-2.20ghz");
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
