//! Fuzzes the two files a user hands perfguard besides a harness's output:
//! results JSON (`compare --baseline/--current`, the baseline branch) and
//! `perfguard.toml`. The first byte picks which; no input may panic. A
//! results file that parses is also compared with itself and rendered, in
//! Markdown and for the terminal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfguard::compare::{Policy, compare};
use perfguard::config::{Config, ThresholdsConfig};
use perfguard::report::{View, markdown, terminal};
use perfguard::results::Run;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if selector % 2 == 0 {
        let _ = Config::parse(text, Path::new("perfguard.toml"));
        return;
    }
    if let Ok(run) = Run::from_json(text, Path::new("results.json")) {
        let c = compare(Some(&run), &run, &Policy::new(ThresholdsConfig::default()));
        let view = View::of(&c);
        let _ = markdown::render(&view);
        let _ = terminal::render(&view, true);
    }
});
