//! Feeds the report renderers hostile names: the bytes become the suite,
//! environment, phase, metric and unit names of a baseline and a run that
//! regressed, and whatever they hold, the pull-request comment must carry no
//! link, image, HTML tag or `@` mention from them, and no line of the
//! terminal report or the comment may start a workflow command (`::`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfguard::compare::{Policy, compare};
use perfguard::config::ThresholdsConfig;
use perfguard::metrics::Unit;
use perfguard::report::{View, markdown, terminal};
use perfguard::results::{Direction, Environment, Metric, PhaseKind, PhaseResult, Run};
use std::collections::BTreeMap;

fn run(names: &[String], value: f64) -> Run {
    let name = |i: usize| names.get(i).cloned().unwrap_or_default();
    let samples: Vec<f64> = (0..10).map(|i| value * (1.0 + i as f64 * 0.001)).collect();
    let metric = Metric {
        samples: samples.clone(),
        ..Metric::new(name(3), Unit::from(name(4).as_str()), Direction::Lower, samples[5])
    };
    let mut criteria = BTreeMap::new();
    criteria.insert(name(3), format!("< {}", name(5)));
    Run {
        schema_version: perfguard::results::SCHEMA_VERSION,
        suite: name(0),
        environment: Environment {
            key: name(1),
            os: name(6),
            arch: "x86_64".into(),
            cpu_model: name(7),
            cores: 2,
            memory_bytes: 1,
            runner: None,
        },
        git: None,
        started_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
        finished_at: chrono::DateTime::from_timestamp(1, 0).unwrap(),
        partial: false,
        shard: None,
        phases: vec![PhaseResult {
            metrics: vec![metric],
            ..PhaseResult::new(&name(2), PhaseKind::Command, criteria)
        }],
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let names: Vec<String> = text.split('\u{1f}').map(str::to_owned).collect();
    let c = compare(
        Some(&run(&names, 100.0)),
        &run(&names, 200.0),
        &Policy::new(ThresholdsConfig::default()),
    );
    let view = View::of(&c);
    let md = markdown::render(&view);
    // The marker is an HTML comment, which GitHub does not show: a name in
    // it cannot link or mention. Everything else is what a reader sees.
    let shown: String = md
        .lines()
        .filter(|l| !(l.starts_with("<!-- perfguard:") && l.ends_with("-->")))
        .collect::<Vec<_>>()
        .join("\n");
    for bad in ["<img", "<a ", "<script", "<http", "://", "www.", "<!--"] {
        assert!(!shown.to_ascii_lowercase().contains(bad), "{bad:?} in\n{md}");
    }
    // A link needs an unescaped `](`; `\](` is a literal bracket.
    for (i, _) in shown.match_indices("](") {
        assert!(shown[..i].ends_with('\\'), "a link in\n{md}");
    }
    for (i, _) in shown.match_indices('@') {
        assert!(shown[i..].starts_with("@&#8203;"), "a bare @ in\n{md}");
    }
    for out in [&md, &terminal::render(&view, false)] {
        for line in out.lines() {
            assert!(!line.starts_with("::"), "{line:?} in\n{out}");
        }
    }
});
