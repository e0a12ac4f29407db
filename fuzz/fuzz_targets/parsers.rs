//! Fuzzes every ingest parser: the first byte picks the format (or format
//! detection), the rest is the text. No input may panic, and every metric
//! that comes out must be finite and not negative.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfguard::ingest::{Format, detect};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let format = match Format::ALL.get(usize::from(selector) % (Format::ALL.len() + 1)) {
        Some(f) => *f,
        None => match detect(text) {
            Ok(f) => f,
            Err(_) => return,
        },
    };
    if let Ok(metrics) = format.parse(text) {
        for m in metrics {
            assert!(m.value.is_finite() && m.value >= 0.0, "{format}: {m:?}");
            assert!(m.samples.iter().all(|s| s.is_finite() && *s >= 0.0), "{format}: {m:?}");
        }
    }
});
