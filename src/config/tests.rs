use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, Path::new("perfguard.toml"))
}

fn err(text: &str) -> ConfigError {
    parse(text).expect_err("config should be rejected")
}

const PHASE: &str = "[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = [\"true\"]\n";

#[test]
fn minimal_config_gets_defaults() {
    let c = parse(PHASE).unwrap();
    assert_eq!(c.suite.name, "default");
    assert_eq!(c.thresholds.fail_on, FailOn::Critical);
    assert_eq!(
        c.thresholds.levels("p", "wall"),
        Levels {
            minor: 0.1,
            major: 0.2,
            critical: 0.5
        }
    );
    let PhaseConfig::Command(p) = &c.phases[0] else {
        panic!("not a command phase")
    };
    assert_eq!((p.runs, p.warmup), (10, 1));
}

#[test]
fn design_example_parses() {
    let c = parse(
        r#"
[suite]
name = "api"
environment = "auto"

[thresholds]
minor = 10
major = 20
critical = 50
fail_on = "critical"

[thresholds.metric."wall.p95"]
critical = 30

[thresholds.metric."startup/memory.peak"]
minor = 5

[baseline]
branch = "perfguard-baselines"
keep = 500
save_on = ["main"]

[[phase]]
name = "startup"
kind = "command"
command = ["target/release/app", "--version"]
runs = 30
warmup = 3
min_time = "1s"
timeout = "2m"
env = { RUST_LOG = "warn" }
cwd = "sub"
prepare = "sync"
cleanup = ["rm", "-f", "x"]
criteria = { "wall.p95" = "< 50ms", "memory.peak" = "< 200MB" }
"#,
    )
    .unwrap();
    assert_eq!(c.suite.name, "api");
    assert_eq!(c.thresholds.levels("x", "wall.p95").critical, 0.3);
    assert_eq!(c.thresholds.levels("startup", "memory.peak").minor, 0.05);
    assert_eq!(c.thresholds.levels("other", "memory.peak").minor, 0.1);
    let PhaseConfig::Command(p) = &c.phases[0] else {
        panic!("not a command phase")
    };
    assert_eq!(p.runs, 30);
    assert_eq!(p.min_time.unwrap().0, std::time::Duration::from_secs(1));
    assert_eq!(p.timeout.unwrap().0, std::time::Duration::from_secs(120));
    assert_eq!(p.criteria["memory.peak"].limit.value, 200e6);
    assert_eq!(p.prepare, Some(CommandLine::Shell("sync".into())));
}

#[test]
fn unknown_key_names_line_column_and_path() {
    let e = err(&format!("{PHASE}runz = 5\n"));
    assert_eq!(e.location, Some((5, 1)), "{e}");
    assert_eq!(e.key.as_deref(), Some("phase[0].runz"), "{e}");
    assert!(e.message.contains("unknown field `runz`"), "{e}");
    assert!(
        e.to_string()
            .starts_with("perfguard.toml:5:1: `phase[0].runz`"),
        "{e}"
    );

    let e = err(&format!("[suite]\nname = \"x\"\nflavour = 1\n{PHASE}"));
    assert_eq!(e.location, Some((3, 1)), "{e}");
    assert_eq!(e.key.as_deref(), Some("suite.flavour"), "{e}");
}

#[test]
fn wrong_type_is_located() {
    let e = err(&format!("{PHASE}runs = \"ten\"\n"));
    assert_eq!(e.location, Some((5, 8)), "{e}");
    assert_eq!(e.key.as_deref(), Some("phase[0].runs"));
    assert!(e.message.contains("expected"), "{e}");

    let e = err(&format!("[thresholds]\nfail_on = \"sometimes\"\n{PHASE}"));
    assert_eq!(e.location.map(|l| l.0), Some(2), "{e}");
    assert_eq!(e.key.as_deref(), Some("thresholds.fail_on"));
}

#[test]
fn bad_duration_is_located() {
    let e = err(&format!("{PHASE}timeout = \"soon\"\n"));
    assert_eq!(e.location, Some((5, 11)), "{e}");
    assert_eq!(e.key.as_deref(), Some("phase[0].timeout"));
    assert!(e.message.contains("not a number"), "{e}");

    let e = err(&format!("{PHASE}min_time = \"5MB\"\n"));
    assert!(e.message.contains("not a duration"), "{e}");

    let e = err(&format!("{PHASE}timeout = 5\n"));
    assert!(e.message.contains("duration"), "{e}");
}

#[test]
fn bad_criteria_are_rejected() {
    let e = err(&format!("{PHASE}criteria = {{ \"wall\" = \"fast\" }}\n"));
    assert_eq!(e.location.map(|l| l.0), Some(5), "{e}");
    assert_eq!(e.key.as_deref(), Some("phase[0].criteria.wall"), "{e}");
    assert!(e.message.contains("must start with"), "{e}");

    let e = err(&format!(
        "{PHASE}criteria = {{ \"wall.p42\" = \"< 5ms\" }}\n"
    ));
    assert!(e.message.contains("unknown metric `wall.p42`"), "{e}");
    assert_eq!(e.location, Some((5, 27)), "{e}");
    assert_eq!(e.key.as_deref(), Some("phase[0].criteria.\"wall.p42\""));

    let e = err(&format!(
        "{PHASE}criteria = {{ \"memory.peak\" = \"< 5ms\" }}\n"
    ));
    assert!(e.message.contains("does not fit"), "{e}");
}

#[test]
fn empty_or_missing_phase_list_is_rejected() {
    let e = err("[suite]\nname = \"x\"\n");
    assert_eq!(e.key.as_deref(), Some("phase"));
    assert!(e.message.contains("no phases"), "{e}");
    let e = err("phase = []\n");
    assert_eq!(e.location, Some((1, 9)), "{e}");
    assert!(e.message.contains("no phases"), "{e}");
}

#[test]
fn duplicate_phase_names_point_at_the_second() {
    let e = err(&format!("{PHASE}{PHASE}"));
    assert_eq!(e.location, Some((6, 8)), "{e}");
    assert_eq!(e.key.as_deref(), Some("phase[1].name"));
    assert!(e.message.contains("duplicate phase name `p`"), "{e}");
}

#[test]
fn unknown_or_missing_kind_is_rejected() {
    let e = err("[[phase]]\nname = \"p\"\nkind = \"quantum\"\n");
    assert_eq!(e.location, Some((3, 8)), "{e}");
    assert!(e.message.contains("unknown phase kind `quantum`"), "{e}");
    let e = err("[[phase]]\nname = \"p\"\n");
    assert_eq!(e.key.as_deref(), Some("phase[0].kind"));
}

#[test]
fn command_forms_are_checked() {
    let e = err("[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = \"sleep 1\"\n");
    assert!(e.message.contains("shell = true"), "{e}");
    assert_eq!(e.key.as_deref(), Some("phase[0].command"));
    assert!(
        parse("[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = \"sleep 1\"\nshell = true\n")
            .is_ok()
    );
    let e = err("[[phase]]\nname = \"p\"\nkind = \"command\"\ncommand = []\n");
    assert!(e.message.contains("empty"), "{e}");
    let e = err(&format!("{PHASE}runs = 0\n"));
    assert_eq!(e.key.as_deref(), Some("phase[0].runs"));
    assert_eq!(e.location, Some((5, 8)), "{e}");
    let e = err("[[phase]]\nname = \"p\"\nkind = \"command\"\n");
    assert!(e.message.contains("missing field `command`"), "{e}");
}

#[test]
fn thresholds_must_rise_and_be_positive() {
    let e = err(&format!("[thresholds]\nminor = 30\nmajor = 20\n{PHASE}"));
    assert!(e.message.contains("must rise"), "{e}");
    let e = err(&format!("[thresholds]\nminor = -1\n{PHASE}"));
    assert_eq!(e.key.as_deref(), Some("thresholds.minor"));
    let e = err(&format!("[thresholds]\nalpha = 2\n{PHASE}"));
    assert_eq!(e.key.as_deref(), Some("thresholds.alpha"));
    let e = err(&format!("[thresholds.metric.wall]\nminor = 80\n{PHASE}"));
    assert!(e.message.contains("must rise"), "{e}");
}

#[test]
fn toml_syntax_errors_are_located() {
    let e = err("[suite\nname = 1\n");
    assert_eq!(e.location.map(|l| l.0), Some(1), "{e}");
    let e = err(&format!("{PHASE}runs = 5\nruns = 6\n"));
    assert_eq!(e.location.map(|l| l.0), Some(6), "{e}");
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    for text in [
        "\u{0}",
        "[[phase]]\nname = \"\u{202e}\"\nkind = 7\n",
        "phase = 5",
        "phase = [1, 2]",
        &"[".repeat(10_000),
    ] {
        assert!(parse(text).is_err(), "{text:?}");
    }
}

#[test]
fn committed_schema_is_in_step() {
    let committed = include_str!("../../docs/perfguard.schema.json");
    assert!(
        committed == json_schema(),
        "docs/perfguard.schema.json is stale: run `cargo run -- schema > docs/perfguard.schema.json`"
    );
}

const HTTP: &str = "[[phase]]\nname = \"h\"\nkind = \"http\"\nbase_url = \"http://127.0.0.1:9\"\nvus = 1\niterations = 1\n";

#[test]
fn validation_errors_point_at_the_key_however_it_is_written() {
    // A `[table]` section: the message reads as it always has.
    let e = err(&format!(
        "[compare]\nband_k = 1\n  min_history = 1\n{PHASE}"
    ));
    assert_eq!(
        e.to_string(),
        "perfguard.toml:3:3: `compare.min_history`: expected at least 2 earlier runs (a spread needs two), got 1"
    );
    // An inline table, a dotted key and a quoted key name the key too.
    let e = err(&format!("compare = {{ confirm = 11 }}\n{PHASE}"));
    assert_eq!(e.location, Some((1, 13)), "{e}");
    let e = err(&format!("compare.band_k = -1.0\n{PHASE}"));
    assert_eq!(e.location, Some((1, 9)), "{e}");
    let e = err(&format!("[compare]\n\"band_k\" = 0.0\n{PHASE}"));
    assert_eq!(e.location, Some((2, 1)), "{e}");
    // The second `[[slo]]`, not the first.
    let slo = "[[slo]]\nmetric = \"error_rate\"\nobjective = \"<= 1%\"\n";
    let e = err(&format!("{slo}{slo}window = \"soon\"\n{PHASE}"));
    assert_eq!(e.location, Some((7, 1)), "{e}");
    assert_eq!(e.key.as_deref(), Some("slo[1].window"));
}

#[test]
fn threshold_errors_are_located() {
    let e = err(&format!("[thresholds]\nminor = -1\n{PHASE}"));
    assert_eq!(e.location, Some((2, 1)), "{e}");
    // A table-wide problem points at the table's header.
    let e = err(&format!(
        "[suite]\nname = \"x\"\n\n[thresholds.metric.\"wall.p95\"]\nminor = 80\n{PHASE}"
    ));
    assert_eq!(e.key.as_deref(), Some("thresholds.metric.\"wall.p95\""));
    assert_eq!(e.location, Some((4, 1)), "{e}");
    assert!(e.message.contains("must rise"), "{e}");
}

#[test]
fn nested_phase_keys_are_located() {
    // A key inside an array of tables inside a phase: the value's own place.
    let e = err(&format!(
        "{HTTP}[[phase.step]]\npath = \"/\"\n[[phase.step]]\npath = \"/{{{{ id }}}}\"\n"
    ));
    assert_eq!(e.key.as_deref(), Some("phase[0].step[1].path"));
    assert_eq!(e.location, Some((10, 8)), "{e}");
    assert!(e.message.contains("is not captured"), "{e}");
}

#[test]
fn broken_templates_fail_where_they_are_written() {
    let e = err(&format!(
        "{HTTP}[[phase.step]]\npath = \"/\"\nbody = \"{{{{ open\"\n"
    ));
    assert_eq!(e.key.as_deref(), Some("phase[0].step[0].body"));
    assert_eq!(e.location, Some((9, 8)), "{e}");
    assert!(e.message.contains("without closing"), "{e}");
    let e = err(&format!(
        "{HTTP}[[phase.step]]\npath = \"/\"\njson = {{ a = [1, \"{{{{ no good }}}}\"] }}\n"
    ));
    assert_eq!(e.key.as_deref(), Some("phase[0].step[0].json"));
    assert!(e.message.contains("not a variable name"), "{e}");
}

#[test]
fn http_durations_are_stored_with_their_defaults() {
    let c = parse(&format!(
        "{HTTP}service = {{ command = [\"srv\"] }}\n[[phase.step]]\npath = \"/a/{{{{ vu }}}}\"\n"
    ))
    .unwrap();
    let PhaseConfig::Http(p) = &c.phases[0] else {
        panic!("not an http phase")
    };
    let secs = |d: crate::metrics::units::Duration| d.0.as_secs_f64();
    assert_eq!(secs(p.timeout), 10.0);
    assert_eq!(secs(p.sample_interval), 0.2);
    let s = p.service.as_ref().unwrap();
    assert_eq!(
        (secs(s.ready_timeout), secs(s.stop_timeout), secs(s.settle)),
        (30.0, 5.0, 1.0)
    );
    let path = p.step[0].path.as_ref().unwrap();
    assert_eq!(path.vars().collect::<Vec<_>>(), ["vu"]);
}

#[test]
fn schema_shows_the_defaults() {
    let schema: serde_json::Value = serde_json::from_str(&json_schema()).unwrap();
    let defs = &schema["$defs"];
    // Phases are inlined in `PhaseConfig`, one `oneOf` entry per kind.
    let http = defs["PhaseConfig"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["properties"]["kind"]["const"] == "http")
        .expect("an http phase in the schema");
    assert_eq!(http["properties"]["timeout"]["default"], "10s");
    assert_eq!(http["properties"]["sample_interval"]["default"], "200ms");
    let service = &defs["ServiceConfig"]["properties"];
    assert_eq!(service["ready_timeout"]["default"], "30s");
    assert_eq!(service["stop_timeout"]["default"], "5s");
    assert_eq!(service["settle"]["default"], "1s");
    assert_eq!(
        defs["MonitorConfig"]["properties"]["settle"]["default"],
        "1s"
    );
    // Each default reads back as the configuration would.
    for text in ["10s", "200ms", "30s", "5s", "1s"] {
        assert!(crate::metrics::units::Duration::parse(text).is_ok());
    }
}

#[test]
fn broken_toml_is_a_located_error() {
    for (text, line) in [
        ("[suite]\nname = \"unterminated\n", 2),
        ("[compare]\nconfirm = 1\n[compare]\n", 3),
        ("compare = 1\n[compare]\nconfirm = 1\n", 2),
        ("[[slo]]\nmetric = 1 2\n", 2),
        (
            "a = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n",
            1,
        ),
        ("[suite]\nname = \"\u{202e}\"\nname = \"twice\"\n", 3),
    ] {
        let e = err(text);
        assert_eq!(e.location.map(|l| l.0), Some(line), "{text:?}: {e}");
        assert!(!e.message.is_empty(), "{text:?}");
    }
}

#[test]
fn a_suite_name_that_cannot_name_a_directory_is_refused_before_anything_runs() {
    let e = err(&format!("[suite]\nname = \"api\\u0000x\"\n{PHASE}"));
    assert_eq!(e.key.as_deref(), Some("suite.name"), "{e}");
    assert_eq!(e.location, Some((2, 1)), "{e}");
    assert!(e.to_string().contains("control characters"), "{e}");
    let e = err(&format!("[suite]\nname = \"api\\n::warning::x\"\n{PHASE}"));
    assert!(e.to_string().contains("control characters"), "{e}");
    let long = "a".repeat(5000);
    let e = err(&format!("[suite]\nname = \"{long}\"\n{PHASE}"));
    assert!(
        e.to_string()
            .contains("is 5000 characters long; at most 100"),
        "{e}"
    );
    let e = err(&format!("[suite]\nenvironment = \" \"\n{PHASE}"));
    assert_eq!(e.key.as_deref(), Some("suite.environment"), "{e}");
    assert!(parse(&format!("[suite]\nname = \"api · v2\"\n{PHASE}")).is_ok());
}

#[test]
fn notify_defaults_to_major_slack_and_no_issue() {
    let c = parse(PHASE).unwrap();
    assert_eq!(c.notify.on, FailOn::Major);
    assert_eq!(c.notify.webhook_format, WebhookFormat::Slack);
    assert!(c.notify.webhooks.is_empty() && c.notify.pushgateway.is_none() && !c.notify.issue);
}

#[test]
fn notify_reads_urls_and_environment_names() {
    let c = parse(&format!(
        "[notify]\non = \"critical\"\nwebhook = [\"env:SLACK_WEBHOOK_URL\", \"https://hooks.example.com/T/B/x\"]\nwebhook_format = \"json\"\npushgateway = \"http://127.0.0.1:9091\"\nissue = true\n{PHASE}"
    ))
    .unwrap();
    assert_eq!(c.notify.on, FailOn::Critical);
    assert_eq!(
        c.notify.webhooks,
        vec![
            Endpoint::Env("SLACK_WEBHOOK_URL".into()),
            Endpoint::Url("https://hooks.example.com/T/B/x".into())
        ]
    );
    assert_eq!(c.notify.webhooks[1].describe(), "https://hooks.example.com");
    assert_eq!(c.notify.webhook_format, WebhookFormat::Json);
    assert!(c.notify.issue);
}

#[test]
fn a_bad_notify_value_names_file_line_and_key() {
    let e = err(&format!(
        "[notify]\nwebhook = [\n  \"https://ok.example.com\",\n  \"ftp://files.example.com\",\n]\n{PHASE}"
    ));
    assert_eq!(e.key.as_deref(), Some("notify.webhook[1]"), "{e}");
    assert!(e.message.contains("http or https"), "{e}");
    assert_eq!(e.location, Some((4, 3)), "the element itself: {e}");
    let e = err(&format!("[notify]\npushgateway = \"env:9X\"\n{PHASE}"));
    assert_eq!(e.key.as_deref(), Some("notify.pushgateway"), "{e}");
    assert_eq!(e.location, Some((2, 1)), "{e}");
    let e = err(&format!("[notify]\non = \"loud\"\n{PHASE}"));
    assert_eq!(e.key.as_deref(), Some("notify.on"), "{e}");
    assert_eq!(e.location.map(|l| l.0), Some(2), "{e}");
    let e = err(&format!("[notify]\nwebhooks = []\n{PHASE}"));
    assert_eq!(e.key.as_deref(), Some("notify.webhooks"), "{e}");
}

#[test]
fn the_nightly_example_parses_with_its_notify_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/nightly.toml");
    let c = Config::load(&path).unwrap();
    assert!(c.notify.issue);
    assert_eq!(
        c.notify.pushgateway,
        Some(Endpoint::Env("PUSHGATEWAY_URL".into()))
    );
    assert_eq!(c.slos.len(), 1);
}
