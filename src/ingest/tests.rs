//! Ingest tests: every format against a real output of its tool (the
//! fixtures under tests/fixtures/ingest), values checked against the numbers
//! the tool itself printed or exported, unit for unit; then broken and
//! hostile inputs.

use super::*;
use serde_json::Value;

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ingest")
        .join(name)
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixture_path(name)).unwrap()
}

fn json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

fn ingest(name: &str) -> Vec<Metric> {
    read_path(&fixture_path(name), None).unwrap().metrics
}

fn get<'a>(metrics: &'a [Metric], name: &str) -> &'a Metric {
    metrics.iter().find(|m| m.name == name).unwrap_or_else(|| {
        let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
        panic!("no metric `{name}` in {names:?}")
    })
}

/// Equal to within floating-point rounding of a unit conversion.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-12)
}

/// Equal to within the digits a tool printed (`2.8198 µs`: five).
fn close_printed(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-4 * a.abs().max(b.abs())
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

#[test]
fn every_fixture_is_detected_as_its_format() {
    for (file, format) in [
        ("cargo-bench.txt", Format::CargoBench),
        ("criterion", Format::Criterion),
        ("criterion/fib 15/new/estimates.json", Format::Criterion),
        ("cargo-criterion.jsonl", Format::Criterion),
        ("hyperfine.json", Format::Hyperfine),
        ("go-bench.txt", Format::Go),
        ("libtest.json", Format::CargoBench),
        ("go-test-json-packages.jsonl", Format::Go),
        ("google-benchmark.json", Format::GoogleBenchmark),
        ("google-benchmark-single.json", Format::GoogleBenchmark),
        ("pytest-benchmark.json", Format::PytestBenchmark),
        ("jmh.json", Format::Jmh),
        ("benchmarkdotnet.json", Format::BenchmarkDotNet),
        ("catch2.xml", Format::Catch2),
        ("catch2-console.txt", Format::Catch2),
        ("benchmarkjs.txt", Format::BenchmarkJs),
        ("k6-summary.json", Format::K6),
        ("generic.json", Format::Generic),
        ("bmf.json", Format::Bmf),
        ("vitest.json", Format::Vitest),
        ("asv.json", Format::Asv),
        ("ruby-benchmark.txt", Format::Ruby),
        ("ruby-benchmark-ips.txt", Format::Ruby),
        ("ruby-benchmark-ips.json", Format::Ruby),
        ("iai-callgrind.txt", Format::IaiCallgrind),
        ("iai-callgrind-compared.txt", Format::IaiCallgrind),
        ("julia-benchmarktools.json", Format::Julia),
        ("luau-bench.txt", Format::Luau),
        ("dart-benchmark-harness.txt", Format::Dart),
        ("js-time-console.txt", Format::JsTime),
        ("js-time-shell.txt", Format::JsTime),
    ] {
        let path = fixture_path(file);
        if !path.exists() && file.ends_with(".jsonl") {
            continue;
        }
        let got = read_path(&path, None).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(got.format, format, "{file}");
        assert!(!got.metrics.is_empty(), "{file}");
        for m in &got.metrics {
            assert!(m.value.is_finite() && m.value >= 0.0, "{file}: {m:?}");
        }
    }
}

#[test]
fn cargo_bench_values_equal_libtest_lines() {
    let text = fixture("cargo-bench.txt");
    let metrics = ingest("cargo-bench.txt");
    let mut seen = 0;
    for line in text.lines().filter(|l| l.contains(" ... bench:")) {
        let name = line
            .trim_start_matches("test ")
            .split(" ... ")
            .next()
            .unwrap()
            .trim();
        let after = line.split("bench:").nth(1).unwrap();
        let printed = number(after.split_whitespace().next().unwrap()).unwrap();
        let m = get(&metrics, name);
        assert_eq!(
            (m.value, &m.unit, m.direction),
            (printed, &Unit::Ns, Direction::Lower)
        );
        if let Some(tp) = line.split(" = ").nth(1) {
            let mb = number(tp.split_whitespace().next().unwrap()).unwrap();
            let t = get(&metrics, &format!("{name}.throughput"));
            assert_eq!((t.value, &t.unit), (mb * 1e6, &Unit::PerSecond));
        }
        seen += 1;
    }
    assert_eq!(seen, 2);
}

/// criterion's console line `NAME  time: [low typical high]`, typical in ns.
fn criterion_printed(console: &str) -> Vec<(String, f64, Option<f64>)> {
    let mut out: Vec<(String, f64, Option<f64>)> = Vec::new();
    for line in console.lines() {
        // `change:` blocks repeat `time:`/`thrpt:` in percent, without a name.
        if line.contains('%') {
            continue;
        }
        if let Some((name, rest)) = line.split_once("time:")
            && !name.trim().is_empty()
        {
            let w: Vec<&str> = rest
                .trim()
                .trim_matches(['[', ']'])
                .split_whitespace()
                .collect();
            let ns = number(w[2]).unwrap() * ns_per(w[3]).unwrap();
            out.push((name.trim().to_owned(), ns, None));
        } else if let Some((_, rest)) = line.split_once("thrpt:") {
            let w: Vec<&str> = rest
                .trim()
                .trim_matches(['[', ']'])
                .split_whitespace()
                .collect();
            let scale = match w[3].chars().next().unwrap() {
                'G' => 1e9,
                'M' => 1e6,
                'K' => 1e3,
                _ => 1.0,
            };
            out.last_mut().unwrap().2 = Some(number(w[2]).unwrap() * scale);
        }
    }
    out
}

#[test]
fn criterion_values_equal_its_printed_time_and_samples_are_per_iteration() {
    let metrics = ingest("criterion");
    let printed = criterion_printed(&fixture("criterion-console.txt"));
    assert_eq!(printed.len(), 3);
    for (name, ns, thrpt) in printed {
        let m = get(&metrics, &name);
        assert!(
            close_printed(m.value, ns),
            "{name}: {} vs printed {ns}",
            m.value
        );
        assert_eq!(m.unit, Unit::Ns);
        if let Some(t) = thrpt {
            let got = get(&metrics, &format!("{name}.throughput"));
            assert!(close_printed(got.value, t), "{name}: {} vs {t}", got.value);
            assert_eq!(got.direction, Direction::Higher);
        }
    }
    let sample = json("criterion/fib 15/new/sample.json");
    let m = get(&metrics, "fib 15");
    let iters = sample["iters"].as_array().unwrap();
    let times = sample["times"].as_array().unwrap();
    assert_eq!(m.samples.len(), iters.len());
    for ((s, n), t) in m.samples.iter().zip(iters).zip(times) {
        assert!(close(*s, f(t) / f(n)));
    }
    // The estimates file alone gives the same value.
    let alone = ingest("criterion/fib 15/new/estimates.json");
    assert_eq!(alone[0].value, m.value);
    assert_eq!(alone[0].name, "fib 15");
}

#[test]
fn cargo_criterion_messages_equal_its_printed_time() {
    let metrics = ingest("cargo-criterion.jsonl");
    let printed = criterion_printed(&fixture("cargo-criterion-console.txt"));
    assert_eq!(printed.len(), 3);
    for (name, ns, thrpt) in printed {
        let m = get(&metrics, &name);
        assert!(
            close_printed(m.value, ns),
            "{name}: {} vs printed {ns}",
            m.value
        );
        if let Some(t) = thrpt {
            assert!(close_printed(
                get(&metrics, &format!("{name}.throughput")).value,
                t
            ));
        }
    }
    let first: Value =
        serde_json::from_str(fixture("cargo-criterion.jsonl").lines().next().unwrap()).unwrap();
    let m = get(&metrics, first["id"].as_str().unwrap());
    let n = first["iteration_count"].as_array().unwrap();
    let v = first["measured_values"].as_array().unwrap();
    assert_eq!(m.samples.len(), n.len());
    assert!(
        m.samples
            .iter()
            .zip(n)
            .zip(v)
            .all(|((s, n), v)| close(*s, f(v) / f(n)))
    );
}

#[test]
fn hyperfine_seconds_become_nanoseconds() {
    let export = json("hyperfine.json");
    let metrics = ingest("hyperfine.json");
    for r in export["results"].as_array().unwrap() {
        let cmd = r["command"].as_str().unwrap();
        let m = get(&metrics, cmd);
        assert!(close(m.value, f(&r["median"]) * 1e9));
        let times: Vec<f64> = r["times"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| f(t) * 1e9)
            .collect();
        assert_eq!(m.samples.len(), times.len());
        assert!(m.samples.iter().zip(&times).all(|(a, b)| close(*a, *b)));
        let mean = get(&metrics, &format!("{cmd}.mean"));
        assert!(close(mean.value, f(&r["mean"]) * 1e9));
        assert_eq!(mean.samples_of.as_deref(), Some(cmd));
        assert!(close(
            get(&metrics, &format!("{cmd}.user")).value,
            f(&r["user"]) * 1e9
        ));
        assert!(close(
            get(&metrics, &format!("{cmd}.system")).value,
            f(&r["system"]) * 1e9
        ));
    }
}

#[test]
fn go_lines_become_samples_with_benchmem_metrics_of_their_own() {
    let text = fixture("go-bench.txt");
    let metrics = ingest("go-bench.txt");
    // Per benchmark: its ns/op, B/op and allocs/op lines, in order.
    type Lines = (String, Vec<f64>, Vec<f64>, Vec<f64>);
    let mut per_name: Vec<Lines> = Vec::new();
    for line in text.lines().filter(|l| l.starts_with("Benchmark")) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let find = |unit: &str| number(w[w.iter().position(|x| *x == unit).unwrap() - 1]).unwrap();
        let entry = match per_name.iter_mut().find(|e| e.0 == w[0]) {
            Some(e) => e,
            None => {
                per_name.push((w[0].to_owned(), vec![], vec![], vec![]));
                per_name.last_mut().unwrap()
            }
        };
        entry.1.push(find("ns/op"));
        entry.2.push(find("B/op"));
        entry.3.push(find("allocs/op"));
    }
    assert_eq!(per_name.len(), 4);
    for (name, ns, bytes, allocs) in per_name {
        let m = get(&metrics, &name);
        assert_eq!(m.samples, ns, "{name}");
        assert_eq!(m.value, crate::stats::summary::median(&ns).unwrap());
        assert_eq!(m.unit, Unit::Ns);
        let b = get(&metrics, &format!("{name}.B/op"));
        assert_eq!((b.unit.clone(), b.samples.clone()), (Unit::Bytes, bytes));
        let a = get(&metrics, &format!("{name}.allocs/op"));
        assert_eq!((a.unit.clone(), a.samples.clone()), (Unit::Count, allocs));
    }
    let mbs = get(&metrics, "BenchmarkJoin-2.MB/s");
    assert_eq!(
        (mbs.unit.clone(), mbs.direction),
        (Unit::PerSecond, Direction::Higher)
    );
    assert_eq!(
        get(&metrics, "BenchmarkSizes/n=64-2.elems/op").unit,
        Unit::Other("elems/op".into())
    );
}

#[test]
fn google_benchmark_repetitions_are_samples_and_the_median_aggregate_the_value() {
    let out = json("google-benchmark.json");
    let metrics = ingest("google-benchmark.json");
    let entries = out["benchmarks"].as_array().unwrap();
    let factor = |e: &Value| ns_per(e["time_unit"].as_str().unwrap()).unwrap();
    for agg in entries.iter().filter(|e| e["aggregate_name"] == "median") {
        let run = agg["run_name"].as_str().unwrap();
        let m = get(&metrics, run);
        assert!(close(m.value, f(&agg["real_time"]) * factor(agg)), "{run}");
        let reps: Vec<f64> = entries
            .iter()
            .filter(|e| e["run_name"] == run && e["run_type"] == "iteration")
            .map(|e| f(&e["real_time"]) * factor(e))
            .collect();
        assert_eq!(reps.len(), 3);
        assert!(m.samples.iter().zip(&reps).all(|(a, b)| close(*a, *b)));
        assert!(close(
            get(&metrics, &format!("{run}.cpu")).value,
            f(&agg["cpu_time"]) * factor(agg)
        ));
        let mean = entries
            .iter()
            .find(|e| e["run_name"] == run && e["aggregate_name"] == "mean")
            .unwrap();
        assert!(close(
            get(&metrics, &format!("{run}.mean")).value,
            f(&mean["real_time"]) * factor(mean)
        ));
        if let Some(items) = agg.get("items_per_second") {
            assert!(close(
                get(&metrics, &format!("{run}.items_per_second")).value,
                f(items)
            ));
        }
    }
    // Complexity fits carry no times and are skipped, not refused.
    let bigo = r#"{"context": {}, "benchmarks": [
        {"name": "BM_Sort/8", "run_name": "BM_Sort/8", "run_type": "iteration", "real_time": 10.0, "cpu_time": 9.0, "time_unit": "us"},
        {"name": "BM_Sort_BigO", "run_name": "BM_Sort", "run_type": "aggregate", "aggregate_name": "BigO", "cpu_coefficient": 1.2, "real_coefficient": 1.3, "big_o": "NlgN", "time_unit": "ns"},
        {"name": "BM_Sort_RMS", "run_name": "BM_Sort", "run_type": "aggregate", "aggregate_name": "RMS", "rms": 0.01}]}"#;
    let metrics = Format::GoogleBenchmark.parse(bigo).unwrap();
    assert_eq!(get(&metrics, "BM_Sort/8").value, 10e3);
    assert_eq!(metrics.len(), 2);
    let failed = r#"{"benchmarks": [{"name": "BM_X", "run_type": "iteration", "error_occurred": true, "error_message": "boom"}]}"#;
    assert!(
        Format::GoogleBenchmark
            .parse(failed)
            .unwrap_err()
            .message
            .contains("boom")
    );
    // Without repetitions: one entry per benchmark, no samples.
    let single = json("google-benchmark-single.json");
    let metrics = ingest("google-benchmark-single.json");
    for e in single["benchmarks"].as_array().unwrap() {
        let m = get(&metrics, e["name"].as_str().unwrap());
        assert!(close(m.value, f(&e["real_time"]) * factor(e)));
        assert!(m.samples.is_empty());
    }
}

#[test]
fn pytest_benchmark_keeps_saved_data_as_samples() {
    let out = json("pytest-benchmark.json");
    let metrics = ingest("pytest-benchmark.json");
    for b in out["benchmarks"].as_array().unwrap() {
        let name = b["fullname"].as_str().unwrap();
        let stats = &b["stats"];
        let m = get(&metrics, name);
        assert!(close(m.value, f(&stats["median"]) * 1e9));
        let data = stats["data"].as_array().unwrap();
        assert_eq!(m.samples.len(), data.len());
        assert!(
            m.samples
                .iter()
                .zip(data)
                .all(|(a, b)| close(*a, f(b) * 1e9))
        );
        assert!(close(
            get(&metrics, &format!("{name}.mean")).value,
            f(&stats["mean"]) * 1e9
        ));
        let ops = get(&metrics, &format!("{name}.ops"));
        assert!(close(ops.value, f(&stats["ops"])));
        assert_eq!(ops.direction, Direction::Higher);
    }
    let nodata = ingest("pytest-benchmark-nodata.json");
    assert!(nodata.iter().all(|m| m.samples.is_empty()));
}

#[test]
fn jmh_scores_convert_by_their_unit_and_keep_raw_data() {
    let out = json("jmh.json");
    let metrics = ingest("jmh.json");
    let thrpt = get(&metrics, "org.example.ParseBench.parseJson(size=100)");
    assert!(close(thrpt.value, f(&out[0]["primaryMetric"]["score"])));
    assert_eq!(
        (thrpt.unit.clone(), thrpt.direction),
        (Unit::PerSecond, Direction::Higher)
    );
    assert_eq!(thrpt.samples.len(), 6);
    let avgt = get(&metrics, "org.example.ParseBench.tokenize");
    assert!(close(
        avgt.value,
        f(&out[1]["primaryMetric"]["score"]) * 1e3
    ));
    assert_eq!(
        (avgt.unit.clone(), avgt.direction),
        (Unit::Ns, Direction::Lower)
    );
    let raw: Vec<f64> = out[1]["primaryMetric"]["rawData"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|fork| fork.as_array().unwrap().iter().map(|v| f(v) * 1e3))
        .collect();
    assert!(avgt.samples.iter().zip(&raw).all(|(a, b)| close(*a, *b)));
    let gc = get(
        &metrics,
        "org.example.ParseBench.tokenize:·gc.alloc.rate.norm",
    );
    assert_eq!(gc.unit, Unit::Bytes);
}

#[test]
fn benchmarkdotnet_mean_is_the_value_and_original_values_the_samples() {
    let out = json("benchmarkdotnet.json");
    let metrics = ingest("benchmarkdotnet.json");
    for b in out["Benchmarks"].as_array().unwrap() {
        let name = b["FullName"].as_str().unwrap();
        let m = get(&metrics, name);
        assert_eq!(m.value, f(&b["Statistics"]["Mean"]));
        let originals: Vec<f64> = b["Statistics"]["OriginalValues"]
            .as_array()
            .unwrap()
            .iter()
            .map(f)
            .collect();
        assert_eq!(m.samples, originals);
        let alloc = get(&metrics, &format!("{name}.allocated"));
        assert_eq!(
            (alloc.value, alloc.unit.clone()),
            (f(&b["Memory"]["BytesAllocatedPerOperation"]), Unit::Bytes)
        );
    }
}

#[test]
fn catch2_xml_and_console_means_are_the_values() {
    let xml = fixture("catch2.xml");
    let metrics = ingest("catch2.xml");
    let means: Vec<f64> = xml
        .lines()
        .filter(|l| l.trim_start().starts_with("<mean "))
        .map(|l| {
            number(
                l.split("value=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap(),
            )
            .unwrap()
        })
        .collect();
    assert_eq!(metrics.iter().map(|m| m.value).collect::<Vec<_>>(), means);
    // Names keep their HTML and Markdown verbatim (the XML unescaped).
    assert_eq!(metrics[1].name, "fib <b>20</b> | *md*");

    let console = fixture("catch2-console.txt");
    let metrics = ingest("catch2-console.txt");
    let lines: Vec<&str> = console.lines().collect();
    let mut checked = 0;
    for (i, line) in lines.iter().enumerate() {
        let Some(m) = metrics
            .iter()
            .find(|m| line.starts_with(m.name.as_str()) && line.len() > m.name.len() + 10)
        else {
            continue;
        };
        let w: Vec<&str> = lines[i + 1].split_whitespace().collect();
        assert!(
            close(m.value, number(w[0]).unwrap() * ns_per(w[1]).unwrap()),
            "{}",
            m.name
        );
        checked += 1;
    }
    assert_eq!(checked, 2);
}

#[test]
fn benchmarkjs_rates_are_operations_per_second() {
    let text = fixture("benchmarkjs.txt");
    let metrics = ingest("benchmarkjs.txt");
    let printed: Vec<(String, f64)> = text
        .lines()
        .filter(|l| l.contains(" ops/sec"))
        .map(|l| {
            let (name, rest) = l.split_once(" x ").unwrap();
            (
                name.to_owned(),
                number(rest.split_whitespace().next().unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(printed.len(), 2);
    for (name, rate) in printed {
        let m = get(&metrics, &name);
        assert_eq!(
            (m.value, m.unit.clone(), m.direction),
            (rate, Unit::PerSecond, Direction::Higher)
        );
    }
}

#[test]
fn k6_trends_in_milliseconds_become_nanoseconds() {
    let out = json("k6-summary.json");
    let metrics = ingest("k6-summary.json");
    let d = &out["metrics"]["http_req_duration"];
    for stat in ["avg", "min", "med", "max", "p(90)", "p(95)"] {
        let m = get(&metrics, &format!("http_req_duration.{stat}"));
        assert!(close(m.value, f(&d[stat]) * 1e6), "{stat}");
        assert_eq!(m.unit, Unit::Ns);
    }
    let reqs = get(&metrics, "http_reqs.rate");
    assert_eq!(
        (reqs.value, reqs.direction),
        (f(&out["metrics"]["http_reqs"]["rate"]), Direction::Higher)
    );
    let failed = get(&metrics, "http_req_failed");
    assert_eq!(
        (failed.value, failed.unit.clone(), failed.direction),
        (0.005, Unit::Ratio, Direction::Lower)
    );
    assert_eq!(get(&metrics, "checks").direction, Direction::Higher);
    assert!(
        metrics.iter().all(|m| !m.name.starts_with("vus")),
        "gauges are left out"
    );
    assert!(metrics.iter().all(|m| !m.name.contains("thresholds")));

    // handleSummary's shape: stats under `values`, with `type` and `contains`.
    let text = r#"{"metrics": {"http_req_duration": {"type": "trend", "contains": "time",
        "values": {"avg": 2.5, "p(95)": 4.0}}, "custom_trend": {"type": "trend",
        "contains": "default", "values": {"avg": 7}}}, "state": {"testRunDurationMs": 1000}}"#;
    let metrics = Format::K6.parse(text).unwrap();
    assert_eq!(get(&metrics, "http_req_duration.p(95)").value, 4e6);
    assert_eq!(get(&metrics, "custom_trend.avg").unit, Unit::Count);
}

#[test]
fn generic_units_normalize_and_direction_defaults_by_unit() {
    let metrics = ingest("generic.json");
    let parse = get(&metrics, "parse/small");
    assert_eq!((parse.value, parse.unit.clone()), (1.25e6, Unit::Ns));
    assert!(close(parse.samples[2], 1.31e6));
    assert_eq!(get(&metrics, "requests").direction, Direction::Higher);
    assert!(close(get(&metrics, "cache hit rate").value, 0.935));
    assert_eq!(get(&metrics, "binary size").value, 3.5 * 1024.0 * 1024.0);

    let err = Format::Generic
        .parse(r#"{"benchmarks": [{"name": "x", "value": 1, "unit": "count"}]}"#)
        .unwrap_err();
    assert!(err.message.contains("direction"), "{err:?}");
    let err = Format::Generic
        .parse("[\n{\"name\": \"x\", \"value\": 1,\n \"unit\": \"parsecs\"}]")
        .unwrap_err();
    assert_eq!(err.line, Some(3));
    assert!(err.message.contains("unknown unit `parsecs`"), "{err:?}");
    let err = Format::Generic
        .parse(r#"[{"name": "x", "value": 5, "unit": "ms", "lower": 1, "upper": 2}]"#)
        .unwrap_err();
    assert!(err.message.contains("outside"), "{err:?}");
    let err = Format::Generic
        .parse(r#"[{"name": "x", "value": 5, "unit": "ms", "colour": "red"}]"#)
        .unwrap_err();
    assert!(err.message.contains("colour"), "{err:?}");
}

#[test]
fn empty_input_is_an_error_for_every_format() {
    for format in Format::ALL {
        for text in ["", "   \n\n", "{}", "[]"] {
            let err = format.parse(text).unwrap_err();
            assert!(!err.message.is_empty(), "{format} {text:?}");
        }
    }
    assert!(detect("").unwrap_err().contains("empty"));
}

#[test]
fn truncated_json_names_the_line() {
    for file in [
        "hyperfine.json",
        "google-benchmark.json",
        "pytest-benchmark-nodata.json",
        "jmh.json",
        "benchmarkdotnet.json",
        "k6-summary.json",
        "generic.json",
    ] {
        let text = fixture(file);
        let cut = &text[..text.floor_char_boundary(text.len() / 2)];
        let format = read_path(&fixture_path(file), None).unwrap().format;
        let err = format.parse(cut).unwrap_err();
        assert_eq!(err.line, Some(cut.lines().count()), "{file}: {err:?}");
    }
}

#[test]
fn truncated_text_outputs_are_errors_or_partial_never_wrong() {
    // A Go line cut after its value has no unit.
    let err = Format::Go
        .parse("BenchmarkX-2   \t  100\t  12.5 ns/op\t 8")
        .unwrap_err();
    assert_eq!(err.line, Some(1));
    // Catch2's console cut after a benchmark's first row.
    let console = fixture("catch2-console.txt");
    let head: String = console
        .lines()
        .take_while(|l| !l.starts_with("fib 15"))
        .chain(console.lines().filter(|l| l.starts_with("fib 15")))
        .map(|l| format!("{l}\n"))
        .collect();
    let err = Format::Catch2.parse(&head).unwrap_err();
    assert!(err.message.contains("truncated"), "{err:?}");
    // Catch2's XML cut inside a benchmark.
    let xml = fixture("catch2.xml");
    let cut = &xml[..xml.find("<standardDeviation").unwrap()];
    let err = Format::Catch2.parse(cut).unwrap_err();
    assert!(
        err.line.is_some() && err.message.contains("never closes"),
        "{err:?}"
    );
}

#[test]
fn wrong_format_is_an_error_not_empty_results() {
    let hyperfine = fixture("hyperfine.json");
    for format in [
        Format::Go,
        Format::CargoBench,
        Format::BenchmarkJs,
        Format::Catch2,
        Format::Jmh,
        Format::GoogleBenchmark,
    ] {
        assert!(format.parse(&hyperfine).is_err(), "{format}");
    }
    assert!(Format::Hyperfine.parse(&fixture("go-bench.txt")).is_err());
    let err = detect("just some words\nand more").unwrap_err();
    assert!(err.contains("no line looks like"), "{err}");
}

#[test]
fn negative_and_non_finite_values_are_refused_with_their_line() {
    let text = "{\"results\": [{\"command\": \"x\",\n\"mean\": -1.0, \"median\": 1.0}]}";
    let err = Format::Hyperfine.parse(text).unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.message.contains("negative"), "{err:?}");
    let err = Format::Go.parse("BenchmarkX-2 100 -5 ns/op").unwrap_err();
    assert!(err.message.contains("negative"), "{err:?}");
    let err = Format::CargoBench
        .parse("\ntest x ... bench: NaN ns/iter (+/- 1)")
        .unwrap_err();
    assert_eq!(err.line, Some(2));
    let err = Format::Catch2
        .parse("<Catch>\n<BenchmarkResults name=\"x\">\n<mean value=\"nan\"/>\n</BenchmarkResults></Catch>")
        .unwrap_err();
    assert_eq!(err.line, Some(3));
    let err = Format::BenchmarkJs
        .parse("a x -3 ops/sec ±1% (5 runs sampled)")
        .unwrap_err();
    assert!(err.message.contains("negative"), "{err:?}");
    // JSON has no NaN; Google Benchmark writing one is a syntax error.
    let err = Format::GoogleBenchmark
        .parse("{\"benchmarks\": [{\"name\": \"a\",\n \"real_time\": NaN}]}")
        .unwrap_err();
    assert_eq!(err.line, Some(2));
    let err = Format::K6
        .parse(r#"{"metrics": {"x": {"count": -2, "rate": 1}}}"#)
        .unwrap_err();
    assert!(
        err.message.contains("negative") && err.line == Some(1),
        "{err:?}"
    );
}

#[test]
fn oversized_input_is_refused_before_it_is_parsed() {
    let huge = std::io::repeat(b' ').take((64 << 20) + 1);
    let err = bounded_text_within(huge, Path::new("big.json"), 64 << 20).unwrap_err();
    assert!(matches!(err, IngestError::TooLarge { .. }));
    assert!(
        err.to_string().contains("big.json") && err.to_string().contains("64 MiB"),
        "{err}"
    );
    let bom = bounded_text(&b"\xef\xbb\xbf{}"[..], Path::new("bom.json")).unwrap();
    assert_eq!(bom, "{}");
    let exact = std::io::repeat(b' ').take(1024);
    assert_eq!(bounded_text(exact, Path::new("ok")).unwrap().len(), 1024);
}

#[test]
fn errors_name_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\"results\": [\n  {\"command\": \"x\",\n   \"mean\": \"slow\"}]}",
    )
    .unwrap();
    let err = read_path(&path, Some(Format::Hyperfine))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("broken.json:3: hyperfine output: at `results[0].mean`"),
        "{err}"
    );
    let err = read_path(&dir.path().join("missing.txt"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.txt"), "{err}");
    std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
    assert!(
        read_path(&path, None)
            .unwrap_err()
            .to_string()
            .contains("not UTF-8")
    );
}

#[test]
fn fuzz_found_inputs_are_errors_not_panics() {
    // cargo fuzz, run 1: a libtest line with no name panicked.
    let err = Format::CargoBench
        .parse("test ... bench: 1 ns/iter (+/- 1)")
        .unwrap_err();
    assert!(err.message.contains("without a name"), "{err:?}");
}

#[test]
fn duplicate_names_are_refused() {
    let err = Format::BenchmarkJs
        .parse("a x 5 ops/sec ±1% (5 runs sampled)\na x 6 ops/sec ±1% (5 runs sampled)")
        .unwrap_err();
    assert!(err.message.contains("`a` appears twice"), "{err:?}");
}

#[test]
fn hostile_names_are_kept_verbatim() {
    let name = "<script>alert(1)</script> | **bold** [x](http://e)";
    let text = format!("{name} x 5 ops/sec ±1% (5 runs sampled)");
    let metrics = Format::BenchmarkJs.parse(&text).unwrap();
    assert_eq!(metrics[0].name, name);
}

#[test]
fn criterion_directory_without_results_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let err = read_path(dir.path(), None).unwrap_err().to_string();
    assert!(err.contains("no `*/new/estimates.json`"), "{err}");
    let bench = dir.path().join("b/new");
    std::fs::create_dir_all(&bench).unwrap();
    std::fs::write(
        bench.join("estimates.json"),
        "{\"mean\": {\"point_estimate\": 5.0}}",
    )
    .unwrap();
    std::fs::write(
        bench.join("sample.json"),
        "{\"iters\": [1.0, 2.0], \"times\": [3.0]}",
    )
    .unwrap();
    let err = read_path(dir.path(), None).unwrap_err().to_string();
    assert!(
        err.contains("sample.json") && err.contains("`iters` has 2 entries"),
        "{err}"
    );
    std::fs::remove_file(bench.join("sample.json")).unwrap();
    let metrics = read_path(dir.path(), None).unwrap().metrics;
    assert_eq!((metrics[0].name.as_str(), metrics[0].value), ("b", 5.0));
    assert!(read_path(dir.path(), Some(Format::Go)).is_err());
}

#[test]
fn cargo_criterion_messages_become_metrics() {
    // The `benchmark-complete` message as cargo-criterion documents it.
    let text = concat!(
        r#"{"reason":"benchmark-complete","id":"parse/64","report_directory":"target/criterion/reports/parse/64","iteration_count":[10,20],"measured_values":[1000.0,2200.0],"unit":"ns","throughput":[{"per_iteration":64,"unit":"bytes"}],"typical":{"estimate":105.0,"lower_bound":100.0,"upper_bound":110.0,"unit":"ns"},"mean":{"estimate":105.0,"lower_bound":100.0,"upper_bound":110.0,"unit":"ns"},"median":{"estimate":104.0,"lower_bound":100.0,"upper_bound":110.0,"unit":"ns"},"median_abs_dev":{"estimate":1.0,"lower_bound":0.5,"upper_bound":1.5,"unit":"ns"},"slope":{"estimate":105.0,"lower_bound":100.0,"upper_bound":110.0,"unit":"ns"},"change":null}"#,
        "\n",
        r#"{"reason":"group-complete","group_name":"parse","benchmarks":["parse/64"],"report_directory":"target/criterion/reports/parse"}"#,
        "\n"
    );
    let metrics = Format::Criterion.parse(text).unwrap();
    assert_eq!(metrics[0].name, "parse/64");
    assert_eq!(metrics[0].value, 105.0);
    assert_eq!(metrics[0].samples, vec![100.0, 110.0]);
    assert!(close(metrics[1].value, 64.0 / 105e-9));
    let err = Format::Criterion
        .parse("{\"reason\":\"benchmark-complete\"}\n")
        .unwrap_err();
    assert_eq!(err.line, Some(1));
}

#[test]
fn json_numbers_keep_every_bit() {
    // serde_json's default parser rounds the last bit of some numbers
    // (54.648447036743164 became 54.64844703674317); `float_roundtrip` keeps
    // them exact, so an ingested value is the value the tool wrote.
    for value in [
        54.648447036743164_f64,
        0.1,
        1.0000000000000002,
        2.2250738585072014e-308,
    ] {
        let text = format!(r#"[{{"name": "x", "value": {value:?}, "unit": "ns"}}]"#);
        let metrics = Format::Generic.parse(&text).unwrap();
        assert_eq!(metrics[0].value.to_bits(), value.to_bits(), "{text}");
    }
    let text = r#"{"results": [{"command": "x", "mean": 0.054648447036743164, "median": 0.054648447036743164, "times": [0.054648447036743164]}]}"#;
    let metrics = Format::Hyperfine.parse(text).unwrap();
    // Rust's own parser rounds correctly: the reference value.
    let seconds: f64 = "0.054648447036743164".parse().unwrap();
    assert_eq!(metrics[0].samples[0], seconds * 1e9);
}

/// The values of `metrics` by name.
fn by_name(metrics: &[Metric]) -> std::collections::HashMap<&str, f64> {
    metrics.iter().map(|m| (m.name.as_str(), m.value)).collect()
}

#[test]
fn go_names_shared_by_packages_are_qualified_by_package() {
    // `go test ./...` over two packages that both define BenchmarkAppend.
    let text = fixture("go-bench-packages.txt");
    let metrics = ingest("go-bench-packages.txt");
    for (package, ns, bytes) in [
        ("example.com/multi/alpha", [154.9, 229.4], 64.0),
        ("example.com/multi/beta", [82.55, 62.48], 4.0),
    ] {
        let name = format!("{package}.BenchmarkAppend-2");
        let m = get(&metrics, &name);
        assert_eq!(m.samples, ns, "{name}");
        assert!(close(m.value, (ns[0] + ns[1]) / 2.0), "{name}");
        assert_eq!(get(&metrics, &format!("{name}.B/op")).value, bytes);
    }
    let mbs = get(&metrics, "example.com/multi/beta.BenchmarkAppend-2.MB/s");
    assert_eq!(mbs.samples, [193.83e6, 256.07e6]);
    assert!(
        metrics
            .iter()
            .all(|m| !m.name.starts_with("BenchmarkAppend"))
    );
    assert!(text.contains("pkg: example.com/multi/alpha"));
    // A name unique in its output keeps Go's own name, as earlier runs saved it.
    let single = ingest("go-bench.txt");
    assert!(single.iter().any(|m| m.name == "BenchmarkFib15-2"));
}

/// Every cut of `text` that ends inside a line for which `inside` holds.
fn mid_line_cuts(text: &str, inside: impl Fn(&str) -> bool) -> Vec<(usize, &str)> {
    let mut cuts = Vec::new();
    let mut start = 0;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let body = line.trim_end_matches('\n');
        if inside(body) {
            for end in (start + 1..start + body.len()).filter(|e| text.is_char_boundary(*e)) {
                cuts.push((n + 1, &text[..end]));
            }
        }
        start += line.len();
    }
    cuts
}

#[test]
fn go_lines_cut_anywhere_are_errors_at_their_line() {
    let text = fixture("go-bench.txt");
    let cuts = mid_line_cuts(&text, |l| l.starts_with("Benchmark"));
    assert!(cuts.len() > 500);
    for (line, cut) in cuts {
        let err = Format::Go.parse(cut).unwrap_err();
        assert_eq!(
            err.line,
            Some(line),
            "{:?}: {err:?}",
            &cut[cut.len() - 20..]
        );
    }
    // The cases that came out as values before: cut after `ns/`, after `MB`.
    let err = Format::Go
        .parse("BenchmarkX-16 \t 100\t 12.5 ns/\nBenchmarkY-16 100 1 ns/op\n")
        .unwrap_err();
    assert!(
        err.line == Some(1) && err.message.contains("`ns/` is cut short"),
        "{err:?}"
    );
    let err = Format::Go
        .parse("BenchmarkX-2 100 60.34 ns/op 116.02 MB\nPASS\n")
        .unwrap_err();
    assert!(err.message.contains("`MB` is cut short"), "{err:?}");
    // Cut in the middle of the text (two outputs interleaved): still an error.
    let err = Format::Go
        .parse("BenchmarkX-2 100 12.\nBenchmarkY-2 100 1 ns/op\n")
        .unwrap_err();
    assert_eq!(err.line, Some(1));
    // A custom unit that merely starts like Go's is not flagged.
    let ok = Format::Go
        .parse("BenchmarkX-2 100 1 ns/op 3 nsamples\n")
        .unwrap();
    assert_eq!(get(&ok, "BenchmarkX-2.nsamples").value, 3.0);
}

#[test]
fn failed_benchmarks_are_run_failures_naming_the_line() {
    // libtest: `test broken ... FAILED` (a #[bench] that panicked).
    let err = read_path(&fixture_path("cargo-bench-failed.txt"), None).unwrap_err();
    let IngestError::Failed { line, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*line, Some(3));
    assert!(message.contains("`broken` FAILED"), "{message}");
    assert_eq!(err.exit_code(), 3);
    assert!(
        err.to_string()
            .contains("cargo-bench-failed.txt:3: cargo-bench output")
    );
    // Go: `--- FAIL: BenchmarkBroken` after b.Fatal.
    let err = read_path(&fixture_path("go-bench-failed.txt"), None).unwrap_err();
    assert!(
        matches!(&err, IngestError::Failed { line: Some(6), message, .. } if message.contains("`BenchmarkBroken` failed")),
        "{err:?}"
    );
    // Go: a benchmark that panics has no `--- FAIL` line; its panic and the
    // package's `FAIL` line say so (this was silently left out before).
    let err = read_path(&fixture_path("go-bench-panic.txt"), None).unwrap_err();
    assert!(
        matches!(&err, IngestError::Failed { line: Some(6), message, .. }
            if message.contains("`BenchmarkPanics` failed (`panic: boom`)")),
        "{err:?}"
    );
    let without_panic: String = fixture("go-bench-panic.txt")
        .lines()
        .filter(|l| !l.starts_with("panic:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let err = Format::Go.parse(&without_panic).unwrap_err();
    assert!(err.failed && err.line == Some(17), "{err:?}");
    // benchmark.js: `broken: ` (the error's enumerable properties: none).
    let err = read_path(&fixture_path("benchmarkjs-failed.txt"), None).unwrap_err();
    assert!(
        matches!(&err, IngestError::Failed { line: Some(2), message, .. } if message.contains("`broken` failed")),
        "{err:?}"
    );
    // Catch2's console: the row says `Benchmark failed (…)`.
    let console = "benchmark name   samples   iterations   estimated\n\
                   -------------------------------------------------------------------------------\n\
                   parse             Benchmark failed (bad input)\n";
    let err = Format::Catch2.parse(console).unwrap_err();
    assert!(err.failed && err.line == Some(3), "{err:?}");
    // Malformed input stays exit 2.
    let err = read_path(&fixture_path("go-bench.txt"), Some(Format::Hyperfine)).unwrap_err();
    assert_eq!(err.exit_code(), 2);
}

#[test]
fn benchmarkjs_line_cut_anywhere_is_an_error_or_left_out_never_wrong() {
    let text = fixture("benchmarkjs.txt");
    let full = Format::BenchmarkJs.parse(&text).unwrap();
    let full = by_name(&full);
    for (line, cut) in mid_line_cuts(&text, |l| l.contains(" x ")) {
        match Format::BenchmarkJs.parse(cut) {
            Err(err) => assert!(
                err.line.is_some() || err.message.starts_with("no benchmark results"),
                "{cut:?}: {err:?}"
            ),
            Ok(metrics) => {
                for m in &metrics {
                    assert_eq!(Some(&m.value), full.get(m.name.as_str()), "{cut:?}");
                }
            }
        }
        // Cut inside the rate: the benchmark must not vanish silently.
        let last = cut.lines().last().unwrap();
        if !last.contains(" ops/sec") && last.contains(" x 1") {
            assert_eq!(Format::BenchmarkJs.parse(cut).unwrap_err().line, Some(line));
        }
    }
}

#[test]
fn catch2_console_cut_anywhere_is_an_error_or_partial_never_wrong() {
    for file in ["catch2-console.txt", "catch2-names-console.txt"] {
        let text = fixture(file);
        let full = Format::Catch2.parse(&text).unwrap();
        let full = by_name(&full);
        let table_rows = |l: &str| !l.trim().is_empty() && !l.contains("---") && !l.contains("===");
        let mut errors = 0;
        for (line, cut) in mid_line_cuts(&text, table_rows) {
            match Format::Catch2.parse(cut) {
                Err(err) => {
                    errors += 1;
                    assert!(
                        err.line.is_some() || err.message.starts_with("no benchmark results"),
                        "{file} {cut:?}: {err:?}"
                    );
                }
                Ok(metrics) => {
                    // A name shared by test cases is qualified only once the
                    // second test case is in the text.
                    for m in &metrics {
                        let same = full.iter().any(|(name, v)| {
                            (*name == m.name || name.ends_with(&format!("/{}", m.name)))
                                && *v == m.value
                        });
                        assert!(same, "{file}:{line}: {m:?}");
                    }
                }
            }
        }
        assert!(errors > 0, "{file}");
    }
    // The case that vanished before: cut inside a name row.
    let text = fixture("catch2-console.txt");
    let row = text.find("fib <b>20</b>").unwrap();
    let cut = &text[..row + "fib <b>20</b> | *md*          ".len() + 18];
    let err = Format::Catch2.parse(cut).unwrap_err();
    assert!(err.message.contains("truncated"), "{err:?}");
    assert_eq!(err.line, Some(cut.lines().count()));
}

#[test]
fn catch2_wrapped_names_and_names_shared_by_test_cases() {
    // Catch2 2.13.10's console wraps the long name onto two lines; the XML
    // has it whole. "small" is a BENCHMARK in two TEST_CASEs.
    let long = "a benchmark name long enough for the console reporter to wrap it";
    let console = ingest("catch2-names-console.txt");
    let xml = ingest("catch2-names.xml");
    let names = |ms: &[Metric]| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&console), [long, "parse/small", "render/small"]);
    assert_eq!(names(&xml), names(&console));
    // Values: the console's printed means, the XML's <mean value>.
    assert!(close(get(&console, long).value, 394.654));
    assert!(close(get(&console, "parse/small").value, 11.4416));
    assert!(close(get(&console, "render/small").value, 324.281));
    assert_eq!(get(&xml, long).value, 274.039);
    assert_eq!(get(&xml, "parse/small").value, 10.2851);
    assert_eq!(get(&xml, "render/small").value, 183.316);
    // The same name twice in one test case: an error naming both lines.
    let text = fixture("catch2-names-console.txt");
    let small = "small                                           20          3310     1.1916 ms \n";
    let group_end = text.find(small).unwrap() + small.len();
    let group: String = text[text.find(small).unwrap()..]
        .lines()
        .take(4)
        .map(|l| format!("{l}\n"))
        .collect();
    let twice = format!(
        "{}{group}{}",
        &text[..group_end - small.len()],
        &text[group_end - small.len()..]
    );
    let err = Format::Catch2.parse(&twice).unwrap_err();
    let first = text[..group_end].lines().count();
    assert!(
        err.line == Some(first + 4) && err.message.contains(&format!("first at line {first}")),
        "{err:?}"
    );
    let xml = fixture("catch2-names.xml");
    let render = xml.find("<TestCase name=\"render\"").unwrap();
    let renamed = format!(
        "{}<TestCase name=\"parse\"{}",
        &xml[..render],
        &xml[render + 24..]
    );
    let err = Format::Catch2.parse(&renamed).unwrap_err();
    assert!(
        err.line == Some(20) && err.message.contains("first at line 11"),
        "{err:?}"
    );
}

#[test]
fn benchmarkdotnet_0_9_names_are_built_as_later_full_names() {
    // Built from BenchmarkDotNet 0.9.x's exporter layout (handmade/build.py).
    let raw = json("benchmarkdotnet-0.9.json");
    let metrics = ingest("benchmarkdotnet-0.9.json");
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "StringBench.Concat",
            "StringBench.Join(N: 16, Separator: ,)",
            "Example.Benchmarks.StringBench.Split"
        ]
    );
    for (m, b) in metrics.iter().zip(raw["Benchmarks"].as_array().unwrap()) {
        assert_eq!(m.value, f(&b["Statistics"]["Mean"]), "{}", m.name);
        assert!(m.samples.is_empty());
    }
    // A later report of the same benchmark (FullName) pairs with it.
    let later = ingest("benchmarkdotnet.json");
    assert_eq!(later[0].name, "Example.Benchmarks.StringBench.Concat");
    // Neither a name nor its parts: an error.
    let err = Format::BenchmarkDotNet
        .parse(r#"{"Benchmarks": [{"Method": "X", "Statistics": {"Mean": 1}}]}"#)
        .unwrap_err();
    assert!(err.message.contains("`Type` and `Method`"), "{err:?}");
}

#[test]
fn criterion_custom_measurements_keep_their_unit() {
    // cargo-criterion's `benchmark-complete` message for a custom
    // measurement (criterion-cycles-per-byte): values are cycles, not time.
    let text = concat!(
        r#"{"reason":"benchmark-complete","id":"hash/64","report_directory":"r","iteration_count":[10,20],"measured_values":[12000.0,25000.0],"unit":"cycles/iter","throughput":[{"per_iteration":64,"unit":"bytes"}],"typical":{"estimate":1230.5,"lower_bound":1200.0,"upper_bound":1260.0,"unit":"cycles/iter"},"mean":{"estimate":1230.5,"lower_bound":1200.0,"upper_bound":1260.0,"unit":"cycles/iter"},"median":{"estimate":1229.0,"lower_bound":1200.0,"upper_bound":1260.0,"unit":"cycles/iter"},"median_abs_dev":{"estimate":1.0,"lower_bound":0.5,"upper_bound":1.5,"unit":"cycles/iter"},"slope":null,"change":null}"#,
        "\n",
        r#"{"reason":"benchmark-complete","id":"parse/64","report_directory":"r","iteration_count":[10],"measured_values":[1000.0],"unit":"ns","throughput":[],"typical":{"estimate":105.0,"lower_bound":100.0,"upper_bound":110.0,"unit":"ns"},"mean":{"estimate":105.0,"lower_bound":100.0,"upper_bound":110.0,"unit":"ns"},"median":{"estimate":104.0,"lower_bound":100.0,"upper_bound":110.0,"unit":"ns"},"median_abs_dev":{"estimate":1.0,"lower_bound":0.5,"upper_bound":1.5,"unit":"ns"},"slope":null,"change":null}"#,
        "\n"
    );
    let metrics = Format::Criterion.parse(text).unwrap();
    let cycles = get(&metrics, "hash/64");
    assert_eq!(
        cycles.unit,
        crate::metrics::Unit::Other("cycles/iter".into())
    );
    assert_eq!(cycles.value, 1230.5);
    assert_eq!(cycles.samples, [1200.0, 1250.0]);
    // No throughput per second can be made from cycles.
    assert!(metrics.iter().all(|m| m.name != "hash/64.throughput"));
    assert_eq!(get(&metrics, "parse/64").value, 105.0);
}

#[test]
fn criterion_console_text_values_equal_its_printed_numbers() {
    // `cargo bench`'s own console (criterion 0.5.1) and cargo-criterion's.
    for file in ["criterion-console.txt", "cargo-criterion-console.txt"] {
        let input = read_path(&fixture_path(file), None).unwrap();
        assert_eq!(input.format, Format::Criterion, "{file}");
        let printed = criterion_printed(&fixture(file));
        assert!(!printed.is_empty());
        let mut expected = 0;
        for (name, ns, thrpt) in printed {
            assert!(close(get(&input.metrics, &name).value, ns), "{file} {name}");
            expected += 1;
            if let Some(per_s) = thrpt {
                let m = get(&input.metrics, &format!("{name}.throughput"));
                assert!(close(m.value, per_s), "{file} {name}");
                expected += 1;
            }
        }
        assert_eq!(input.metrics.len(), expected, "{file}");
    }
    // Agrees with the directory criterion wrote in the same run, to the
    // digits printed.
    let dir = ingest("criterion");
    let console = ingest("criterion-console.txt");
    for m in &console {
        assert!(
            close_printed(m.value, get(&dir, &m.name).value),
            "{}",
            m.name
        );
    }
    // A name too long for criterion's column is on its own line; custom
    // measurement and formatter units are kept as printed.
    let text = "a very long benchmark name/with parameter 4096\n\
                \x20                       time:   [1.0000 ms 1.2500 ms 1.5000 ms]\n\
                hash/64                 time:   [1229.1 cycles/iter 1230.5 cycles/iter 1232.0 cycles/iter]\n\
                \x20                       thrpt:  [51.950 MS/s 52.010 MS/s 52.070 MS/s]\n";
    let metrics = Format::Criterion.parse(text).unwrap();
    assert_eq!(
        get(&metrics, "a very long benchmark name/with parameter 4096").value,
        1.25e6
    );
    let cycles = get(&metrics, "hash/64");
    assert_eq!(
        (cycles.value, &cycles.unit),
        (1230.5, &crate::metrics::Unit::Other("cycles/iter".into()))
    );
    assert_eq!(get(&metrics, "hash/64.throughput").value, 52.010);
    // Cut inside the bracket: an error at that line.
    let err = Format::Criterion
        .parse("fib 15                  time:   [6.5889 µs 7.92")
        .unwrap_err();
    assert!(
        err.line == Some(1) && err.message.contains("truncated"),
        "{err:?}"
    );
}

/// The JSON objects of a JSON-lines fixture whose `key` is `value`.
fn events(text: &str, key: &str, value: &str) -> Vec<(usize, Value)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| Some((i + 1, serde_json::from_str::<Value>(l).ok()?)))
        .filter(|(_, v)| v[key] == value)
        .collect()
}

#[test]
fn libtest_json_values_equal_its_bench_events() {
    let text = fixture("libtest.json");
    let metrics = ingest("libtest.json");
    let benches = events(&text, "type", "bench");
    assert_eq!(benches.len(), 3);
    for (_, b) in &benches {
        let name = b["name"].as_str().unwrap();
        let m = get(&metrics, name);
        // Exactly libtest's printed median, unit for unit.
        assert_eq!(
            (m.value, &m.unit, m.direction),
            (f(&b["median"]), &Unit::Ns, Direction::Lower)
        );
        if let Some(mb) = b.get("mib_per_second") {
            let t = get(&metrics, &format!("{name}.throughput"));
            assert_eq!(
                (t.value, &t.unit, t.direction),
                (f(mb) * 1e6, &Unit::PerSecond, Direction::Higher)
            );
        }
    }
    assert_eq!(metrics.len(), 4);
    // The names are the text form's, so switching to JSON keeps history.
    let text_names: Vec<String> = ingest("cargo-bench.txt")
        .into_iter()
        .map(|m| m.name)
        .collect();
    for name in &text_names {
        get(&metrics, name);
    }
    get(&metrics, "parse_name_with_odd_chars_µs_and_spaces");
    // cargo's status lines on merged standard error are skipped.
    let merged = format!("   Compiling x v0.1.0\n     Running benches/x.rs\n{text}");
    assert_eq!(detect(&merged), Ok(Format::CargoBench));
    assert_eq!(Format::CargoBench.parse(&merged).unwrap(), metrics);
}

#[test]
fn libtest_json_failed_benchmark_is_a_run_failure_naming_its_line() {
    let err = Format::CargoBench
        .parse(&fixture("libtest-failed.json"))
        .unwrap_err();
    assert!(err.failed && err.line == Some(3), "{err:?}");
    assert!(
        err.message.contains("`broken` failed") && err.message.contains("panicked"),
        "{err:?}"
    );
}

#[test]
fn libtest_json_hostile_inputs_are_errors_naming_the_line() {
    let text = fixture("libtest.json");
    // Cut anywhere before the suite's end event: an error at a line, never
    // fewer benchmarks.
    let end = text.rfind("{ \"type\": \"suite\"").unwrap();
    for cut in (1..end + 10).filter(|c| text.is_char_boundary(*c)) {
        let err = Format::CargoBench.parse(&text[..cut]).unwrap_err();
        assert!(err.line.is_some(), "cut at {cut}: {err:?}");
    }
    let suite = "{ \"type\": \"suite\", \"event\": \"started\", \"test_count\": 2 }\n";
    let ok = "{ \"type\": \"suite\", \"event\": \"ok\" }\n";
    let bench = |name: &str, median: &str| {
        format!(
            "{{ \"type\": \"bench\", \"name\": {name}, \"median\": {median}, \"deviation\": 1 }}\n"
        )
    };
    // The same name twice (two bench targets in one output): both lines.
    let twice = format!(
        "{suite}{}{ok}{suite}{}{ok}",
        bench("\"a\"", "1"),
        bench("\"a\"", "2")
    );
    let err = Format::CargoBench.parse(&twice).unwrap_err();
    assert!(
        err.line == Some(5) && err.message.contains("first at line 2"),
        "{err:?}"
    );
    // Negative, NaN (not JSON), a number as a name, no median.
    for (median, name, what) in [
        ("-3", "\"a\"", "negative"),
        ("NaN", "\"a\"", "expected value"),
        ("1", "7", "invalid type"),
        ("1, \"x\": 1", "\"\"", "without a `name`"),
    ] {
        let err = Format::CargoBench
            .parse(&format!("{suite}{}{ok}", bench(name, median)))
            .unwrap_err();
        assert!(
            err.line == Some(2) && err.message.contains(what),
            "{median} {name}: {err:?}"
        );
    }
    let err = Format::CargoBench
        .parse(&format!(
            "{suite}{{ \"type\": \"bench\", \"name\": \"a\" }}\n{ok}"
        ))
        .unwrap_err();
    assert!(err.message.contains("without `median`"), "{err:?}");
    // Odd characters stay verbatim.
    let odd = "\"<b>x</b> | *y* \\u0007 \\\"q\\\"\"";
    let metrics = Format::CargoBench
        .parse(&format!("{suite}{}{ok}", bench(odd, "5")))
        .unwrap();
    assert_eq!(metrics[0].name, "<b>x</b> | *y* \u{7} \"q\"");
    // Only a started suite: truncated, not empty results.
    let err = Format::CargoBench.parse(suite).unwrap_err();
    assert!(err.message.contains("truncated"), "{err:?}");
}

#[test]
fn go_test_json_values_equal_its_printed_lines_qualified_by_package() {
    let metrics = ingest("go-test-json-packages.jsonl");
    // The numbers go test printed in each package's `output` events.
    for (package, ns, mbs, bytes) in [
        (
            "example.com/multi/alpha",
            [219.9, 103.6],
            [72.76, 154.37],
            64.0,
        ),
        (
            "example.com/multi/beta",
            [41.65, 38.53],
            [384.14, 415.24],
            4.0,
        ),
    ] {
        let name = format!("{package}.BenchmarkAppend-2");
        let m = get(&metrics, &name);
        assert_eq!((m.samples.as_slice(), &m.unit), (&ns[..], &Unit::Ns));
        assert_eq!(m.value, (ns[0] + ns[1]) / 2.0);
        let t = get(&metrics, &format!("{name}.MB/s"));
        assert_eq!(t.samples, mbs.map(|v| v * 1e6));
        assert_eq!(get(&metrics, &format!("{name}.B/op")).value, bytes);
        assert_eq!(get(&metrics, &format!("{name}.allocs/op")).value, 1.0);
    }
    assert_eq!(metrics.len(), 8);
    // The text form of the same events gives the same metrics.
    let text: String = events(&fixture("go-test-json-packages.jsonl"), "Action", "output")
        .iter()
        .map(|(_, e)| e["Output"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(Format::Go.parse(&text).unwrap(), metrics);
}

#[test]
fn go_test_json_failures_and_cuts_are_errors_naming_the_json_line() {
    let err = Format::Go
        .parse(&fixture("go-test-json-failed.jsonl"))
        .unwrap_err();
    assert!(err.failed && err.line == Some(10), "{err:?}");
    assert!(err.message.contains("BenchmarkBroken"), "{err:?}");
    // A package that fails without a `--- FAIL` line (a panic) fails too.
    let panicked = concat!(
        "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"BenchmarkX-2   \\t\"}\n",
        "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"panic: boom\\n\"}\n",
        "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"BenchmarkY-2 \\t 10\\t 5 ns/op\\n\"}\n",
        "{\"Action\":\"fail\",\"Package\":\"p\",\"Elapsed\":0.1}\n",
    );
    let err = Format::Go.parse(panicked).unwrap_err();
    assert!(err.failed && err.line == Some(4), "{err:?}");
    // Cut anywhere before the last package's end event: an error at a line,
    // unless the cut falls right after a package's own end event, which
    // leaves the complete output of the packages before it.
    let text = fixture("go-test-json-packages.jsonl");
    let end = text.rfind("{\"Time\"").unwrap();
    let mut whole_packages = 0;
    for cut in (1..end + 10).filter(|c| text.is_char_boundary(*c)) {
        let part = &text[..cut];
        match Format::Go.parse(part) {
            Err(err) => assert!(err.line.is_some(), "cut at {cut}: {err:?}"),
            Ok(metrics) => {
                let last: Value = serde_json::from_str(part.lines().last().unwrap()).unwrap();
                assert!(
                    last["Action"] == "pass" && last.get("Test").is_none(),
                    "{cut}"
                );
                let alpha = get(&metrics, "BenchmarkAppend-2");
                assert_eq!(alpha.samples, [219.9, 103.6]);
                whole_packages += 1;
            }
        }
    }
    assert_eq!(whole_packages, 2, "before and after its newline");
    // A result line whose numbers are bad points at the event it came from.
    let bad = text.replacen("219.9 ns/op", "-219.9 ns/op", 1);
    let err = Format::Go.parse(&bad).unwrap_err();
    assert!(
        err.line == Some(7) && err.message.contains("negative"),
        "{err:?}"
    );
    let nan = text.replacen("219.9 ns/op", "NaN ns/op", 1);
    assert_eq!(Format::Go.parse(&nan).unwrap_err().line, Some(7));
    // Not an event: the line is named.
    let err = Format::Go
        .parse("{\"Action\":\"output\",\"Package\":\"p\",\"Output\":\"x\"}\n{\"Action\": 3}\n")
        .unwrap_err();
    assert_eq!(err.line, Some(2), "{err:?}");
}

#[test]
fn github_action_benchmark_custom_values_and_direction_from_the_tool_name() {
    let text = fixture("github-action-benchmark-custom.json");
    let entries = json("github-action-benchmark-custom.json");
    for (format, direction) in [
        (Format::CustomBiggerIsBetter, Direction::Higher),
        (Format::CustomSmallerIsBetter, Direction::Lower),
    ] {
        let metrics = read_path(
            &fixture_path("github-action-benchmark-custom.json"),
            Some(format),
        )
        .unwrap()
        .metrics;
        assert_eq!(metrics.len(), 5);
        assert!(metrics.iter().all(|m| m.direction == direction));
        for (e, (unit, factor)) in entries.as_array().unwrap().iter().zip([
            (Unit::Other("Percent".into()), 1.0),
            (Unit::Other("Megabytes".into()), 1.0),
            (Unit::Ns, 1e6),
            (Unit::Ns, 1.0),
            (Unit::PerSecond, 1.0),
        ]) {
            let m = get(&metrics, e["name"].as_str().unwrap());
            assert_eq!((&m.unit, m.value), (&unit, f(&e["value"]) * factor));
        }
    }
    // Ingested today, imported from the same tool's data.js: the same metrics.
    let data_js = format!(
        "window.BENCHMARK_DATA = {{\"lastUpdate\": 1, \"repoUrl\": \"x\", \"entries\": {{\"s\": [\
         {{\"commit\": {{\"id\": \"{}\"}}, \"date\": 1700000000000, \"tool\": \"customSmallerIsBetter\", \"benches\": {text}}}]}}}}",
        "a".repeat(40)
    );
    let runs =
        crate::baseline::import::parse_data_js(&data_js, Path::new("data.js"), "s", "ci").unwrap();
    assert_eq!(
        runs[0].phases[0].metrics,
        Format::CustomSmallerIsBetter.parse(&text).unwrap()
    );
    // Detection will not guess the direction.
    let err = read_path(&fixture_path("github-action-benchmark-custom.json"), None).unwrap_err();
    assert!(err.to_string().contains("custom-bigger-is-better"), "{err}");
}

#[test]
fn github_action_benchmark_custom_hostile_inputs_name_the_line() {
    let format = Format::CustomSmallerIsBetter;
    let text = fixture("github-action-benchmark-custom.json");
    // Cut anywhere: an error at the line where the JSON stops.
    for cut in (1..text.trim_end().len()).filter(|c| text.is_char_boundary(*c)) {
        let err = format.parse(&text[..cut]).unwrap_err();
        assert_eq!(
            err.line,
            Some(text[..cut].matches('\n').count() + 1),
            "cut at {cut}: {err:?}"
        );
    }
    let err = format
        .parse("[\n{\"name\": \"a\", \"unit\": \"ms\", \"value\": 1},\n{\"name\": \"a\", \"unit\": \"ms\", \"value\": 2}\n]")
        .unwrap_err();
    assert!(
        err.line == Some(3) && err.message.contains("`a` again (first at `[0]`)"),
        "{err:?}"
    );
    for (value, line, what) in [
        ("-1", 2, "negative"),
        ("NaN", 2, "expected value"),
        ("\"5\"", 2, "invalid type"),
    ] {
        let err = format
            .parse(&format!(
                "[\n{{\"name\": \"a\", \"unit\": \"ms\", \"value\": {value}}}\n]"
            ))
            .unwrap_err();
        assert!(
            err.line == Some(line) && err.message.contains(what),
            "{value}: {err:?}"
        );
    }
    let err = format
        .parse("[{\"name\": \" \", \"unit\": \"ms\", \"value\": 1}]")
        .unwrap_err();
    assert!(err.message.contains("[0].name"), "{err:?}");
    let err = format
        .parse("[{\"name\": \"a\", \"value\": 1}]")
        .unwrap_err();
    assert!(err.message.contains("unit"), "{err:?}");
    // Odd characters stay verbatim; a value too large once in ns is refused.
    let odd = format
        .parse(r#"[{"name": "a\u0000|*b*<i>", "unit": "x", "value": 0}]"#)
        .unwrap();
    assert_eq!(odd[0].name, "a\u{0}|*b*<i>");
    assert!(
        format
            .parse(r#"[{"name": "a", "unit": "s", "value": 1e308}]"#)
            .is_err()
    );
}

#[test]
fn bmf_values_equal_its_numbers_latency_is_the_benchmark_itself() {
    let doc = json("bmf.json");
    let metrics = ingest("bmf.json");
    let mut seen = 0;
    for (name, measures) in doc.as_object().unwrap() {
        for (slug, m) in measures.as_object().unwrap() {
            let (metric, unit, factor, direction) = match slug.as_str() {
                "latency" => (name.clone(), Unit::Ns, 1.0, Direction::Lower),
                "throughput" => (
                    format!("{name}.{slug}"),
                    Unit::PerSecond,
                    1.0,
                    Direction::Higher,
                ),
                "file-size" => (format!("{name}.{slug}"), Unit::Bytes, 1.0, Direction::Lower),
                "build-time" => (format!("{name}.{slug}"), Unit::Ns, 1e9, Direction::Lower),
                "instructions" | "estimated-cycles" => {
                    (format!("{name}.{slug}"), Unit::Count, 1.0, Direction::Lower)
                }
                other => (
                    format!("{name}.{slug}"),
                    Unit::Other(other.into()),
                    1.0,
                    Direction::Lower,
                ),
            };
            let got = get(&metrics, &metric);
            assert_eq!(
                (&got.unit, got.value, got.direction),
                (&unit, f(&m["value"]) * factor, direction),
                "{metric}"
            );
            seen += 1;
        }
    }
    assert_eq!((seen, metrics.len()), (8, 8));
    // Exact to the last bit, and a negative lower_value (value − deviation,
    // as Bencher's adapters write it) is not an error.
    assert_eq!(get(&metrics, "bencher::mock_0").value, 54.648447036743164);
}

#[test]
fn bmf_hostile_inputs_name_the_line() {
    let text = fixture("bmf.json");
    for cut in (1..text.trim_end().len()).filter(|c| text.is_char_boundary(*c)) {
        let err = Format::Bmf.parse(&text[..cut]).unwrap_err();
        assert_eq!(
            err.line,
            Some(text[..cut].matches('\n').count() + 1),
            "cut at {cut}: {err:?}"
        );
    }
    // A name twice: serde_json would keep the last; here it is an error.
    let twice = "{\n\"a\": {\"latency\": {\"value\": 1}},\n\"a\": {\"latency\": {\"value\": 2}}\n}";
    let err = Format::Bmf.parse(twice).unwrap_err();
    assert!(
        err.line == Some(3) && err.message.contains("`a` appears twice"),
        "{err:?}"
    );
    let err = Format::Bmf
        .parse("{\"a\": {\n\"latency\": {\"value\": 1},\n\"latency\": {\"value\": 2}}}")
        .unwrap_err();
    assert!(
        err.line == Some(3) && err.message.contains("at `a`"),
        "{err:?}"
    );
    for (value, what) in [
        ("-1", "negative"),
        ("NaN", "expected value"),
        ("\"1\"", "invalid type"),
    ] {
        let err = Format::Bmf
            .parse(&format!(
                "{{\"a\": {{\n\"latency\": {{\"value\": {value}}}}}}}"
            ))
            .unwrap_err();
        assert!(
            err.line == Some(2)
                && err.message.contains(what)
                && err.message.contains("a.latency.value"),
            "{value}: {err:?}"
        );
    }
    let err = Format::Bmf.parse("{\"a\": {\"latency\": {}}}").unwrap_err();
    assert!(err.message.contains("value"), "{err:?}");
    let err = Format::Bmf.parse("{\"a\": {}}").unwrap_err();
    assert!(err.message.contains("no measures"), "{err:?}");
    let err = Format::Bmf
        .parse("{\"\": {\"latency\": {\"value\": 1}}}")
        .unwrap_err();
    assert!(err.message.contains("empty name"), "{err:?}");
    // Odd characters stay verbatim.
    let odd = Format::Bmf
        .parse(r#"{"a|*b*\n<i>": {"latency": {"value": 0}}}"#)
        .unwrap();
    assert_eq!(odd[0].name, "a|*b*\n<i>");
}

/// vitest's console rows: (group, name, hz, mean ms) as printed.
fn vitest_printed(console: &str) -> Vec<(String, String, f64, f64)> {
    let mut group = String::new();
    let mut rows = Vec::new();
    for line in console.lines() {
        let t = line.trim();
        if let Some(g) = t.strip_prefix("✓ ") {
            // `bench/x.bench.js > parse 533ms`
            group = g.rsplit_once(' ').unwrap().0.to_owned();
        } else if let Some(row) = t.strip_prefix("· ") {
            let words: Vec<&str> = row.split_whitespace().collect();
            let n = words.len();
            // name … hz min max mean p75 p99 p995 p999 rme samples
            let name = words[..n - 10].join(" ");
            rows.push((
                group.clone(),
                name,
                number(words[n - 10]).unwrap(),
                number(words[n - 7]).unwrap(),
            ));
        }
    }
    rows
}

#[test]
fn vitest_values_equal_its_printed_hz_and_mean() {
    let metrics = ingest("vitest.json");
    let printed = vitest_printed(&fixture("vitest-console.txt"));
    assert_eq!(printed.len(), 3);
    for (group, name, hz, mean_ms) in &printed {
        let full = format!("{group} > {name}");
        let m = get(&metrics, &full);
        assert_eq!((&m.unit, m.direction), (&Unit::Ns, Direction::Lower));
        // Within the digits printed: mean to 4 decimals of ms, hz to 2.
        assert!(
            (m.value / 1e6 - mean_ms).abs() <= 0.00005,
            "{full}: {}",
            m.value
        );
        let h = get(&metrics, &format!("{full}.hz"));
        assert!((h.value - hz).abs() <= 0.005, "{full}: {}", h.value);
        assert_eq!(
            (&h.unit, h.direction),
            (&Unit::PerSecond, Direction::Higher)
        );
    }
    // Exactly the JSON's numbers, ms → ns.
    let doc = json("vitest.json");
    let b = &doc["files"][0]["groups"][1]["benchmarks"][0];
    let m = get(&metrics, "bench/fixture.bench.js > render > small");
    assert_eq!(m.value, f(&b["mean"]) * 1e6);
    let median = get(&metrics, "bench/fixture.bench.js > render > small.median");
    assert_eq!(median.value, f(&b["median"]) * 1e6);
    assert_eq!(
        get(&metrics, "bench/fixture.bench.js > render > small.p99").value,
        f(&b["p99"]) * 1e6
    );
    // `small` in two describe blocks: two benchmarks; 3 × 4 metrics.
    get(&metrics, "bench/fixture.bench.js > parse > small");
    assert_eq!(metrics.len(), 12);
    // Samples, when vitest writes them, are the primary metric's (ms → ns).
    let with =
        fixture("vitest.json").replacen("\"samples\": []", "\"samples\": [0.0005, 0.0007]", 1);
    let m = Format::Vitest.parse(&with).unwrap();
    assert_eq!(m[0].samples, [0.0005 * 1e6, 0.0007 * 1e6]);
}

#[test]
fn vitest_failed_and_hostile_inputs_name_the_line() {
    // A task that throws: vitest exits 0 and writes the name only.
    let err = read_path(&fixture_path("vitest-failed.json"), None).unwrap_err();
    assert!(
        matches!(&err, IngestError::Failed { line: Some(36), message, .. } if message.contains("`bench/failed.bench.js > broken`")),
        "{err:?}"
    );
    assert_eq!(err.exit_code(), 3);
    let text = fixture("vitest.json");
    for cut in (1..text.trim_end().len()).filter(|c| text.is_char_boundary(*c)) {
        let err = Format::Vitest.parse(&text[..cut]).unwrap_err();
        assert_eq!(
            err.line,
            Some(text[..cut].matches('\n').count() + 1),
            "cut at {cut}: {err:?}"
        );
    }
    let one = |name: &str, mean: &str| format!("{{\"name\": {name}, \"mean\": {mean}, \"hz\": 5}}");
    let doc = |benches: &str| {
        format!(
            "{{\"files\": [{{\"groups\": [{{\"fullName\": \"f > g\", \"benchmarks\": [\n{benches}\n]}}]}}]}}"
        )
    };
    let err = Format::Vitest
        .parse(&doc(&format!(
            "{},\n{}",
            one("\"a\"", "1"),
            one("\"a\"", "2")
        )))
        .unwrap_err();
    assert!(
        err.line == Some(3) && err.message.contains("`f > g > a` appears twice"),
        "{err:?}"
    );
    for (mean, what) in [
        ("-1", "negative"),
        ("NaN", "expected value"),
        ("\"1\"", "invalid type"),
    ] {
        let err = Format::Vitest.parse(&doc(&one("\"a\"", mean))).unwrap_err();
        assert!(
            err.line == Some(2) && err.message.contains(what),
            "{mean}: {err:?}"
        );
    }
    let odd = Format::Vitest
        .parse(&doc(&one("\"<b>|*x*\\u0000\"", "1")))
        .unwrap();
    assert_eq!(odd[0].name, "f > g > <b>|*x*\u{0}");
}

/// asv's printed number (`128±10ns`, `1.45±0.2μs`, `8.06k`, `25.9M`, `42`)
/// in ns for times, as a plain number otherwise.
fn asv_printed(text: &str) -> f64 {
    let head = text.split('±').next().unwrap();
    let unit_of = |t: &str| {
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        (t[..split].parse::<f64>().unwrap(), t[split..].to_owned())
    };
    let (value, unit) = unit_of(head);
    let unit = if unit.is_empty() {
        unit_of(text).1
    } else {
        unit
    };
    let unit = unit.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.' || c == '±');
    value
        * match unit {
            "" => 1.0,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "ns" => 1.0,
            "μs" | "us" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            other => panic!("unit {other:?} in {text}"),
        }
}

#[test]
fn asv_values_equal_its_printed_numbers_with_samples() {
    let metrics = ingest("asv.json");
    let console = fixture("asv-console.txt");
    let mut checked = 0;
    let mut table_of = None;
    for line in console.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if let [_, "···", name, value] = words[..]
            && name.starts_with("bench.")
        {
            if matches!(value, "ok" | "n/a") {
                table_of = (value == "ok").then(|| name.to_owned());
                continue;
            }
            let m = get(&metrics, name);
            let printed = asv_printed(value);
            assert!(
                (m.value - printed).abs() <= 0.005 * printed,
                "{name}: {} vs {value}",
                m.value
            );
            checked += 1;
        } else if let (Some(name), [param, value]) = (&table_of, &words[..])
            && param.parse::<u64>().is_ok()
        {
            let m = get(&metrics, &format!("{name}({param})"));
            let printed = asv_printed(value);
            assert!(
                (m.value - printed).abs() <= 0.005 * printed,
                "{name}({param}): {}",
                m.value
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 8);
    // Exactly the file's numbers; samples from --record-samples, s → ns.
    let raw = fixture("asv.json");
    let doc: Value = serde_json::from_str(&raw.replace("NaN", "null")).unwrap();
    let row = &doc["results"]["bench.time_fib15"];
    let m = get(&metrics, "bench.time_fib15");
    assert_eq!(m.value, f(&row[0][0]) * 1e9);
    let samples: Vec<f64> = row[11][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| f(v) * 1e9)
        .collect();
    assert_eq!((m.samples.len(), &m.samples), (10, &samples));
    let mem = get(&metrics, "bench.peakmem_list");
    assert_eq!(
        (&mem.unit, mem.value),
        (&Unit::Bytes, f(&doc["results"]["bench.peakmem_list"][0][0]))
    );
    assert_eq!(get(&metrics, "bench.track_answer").unit, Unit::Count);
    get(&metrics, "bench.time_sum(10000)");
    // The skipped benchmark (NaN, `n/a`) has no value and is left out.
    assert!(metrics.iter().all(|m| !m.name.contains("Skipped")));
    assert_eq!(metrics.len(), 8);
}

#[test]
fn asv_failed_and_hostile_inputs_are_errors_naming_the_benchmark() {
    let err = read_path(&fixture_path("asv-failed.json"), None).unwrap_err();
    assert!(
        matches!(&err, IngestError::Failed { message, .. } if message.contains("`bench.time_broken`: failed")),
        "{err:?}"
    );
    // A failed combination of a parameterized benchmark names it.
    let pair = fixture("asv-failed.json").replace(
        "\"bench.time_broken\": [null,",
        "\"bench.time_broken_gone\": [[1.0],",
    );
    let err = Format::Asv.parse(&pair).unwrap_err();
    assert!(
        err.failed && err.message.contains("`bench.time_pair(2, 'y')` failed"),
        "{err:?}"
    );
    let text = fixture("asv.json");
    for cut in (1..text.trim_end().len())
        .step_by(7)
        .filter(|c| text.is_char_boundary(*c))
    {
        let err = Format::Asv.parse(&text[..cut]).unwrap_err();
        assert_eq!(err.line, Some(1), "cut at {cut}: {err:?}");
    }
    let doc = |results: &str| {
        format!(
            "{{\"version\": 2, \"result_columns\": [\"result\", \"params\", \"samples\"],\n\"results\": {{\n{results}\n}}}}"
        )
    };
    let err = Format::Asv
        .parse(&doc(
            "\"b.time_a\": [[1.0], []],\n\"b.time_a\": [[2.0], []]",
        ))
        .unwrap_err();
    assert!(
        err.line == Some(4) && err.message.contains("appears twice"),
        "{err:?}"
    );
    for (value, what) in [
        ("-1.0", "negative"),
        ("Infinity", "not a number"),
        ("\"x\"", "not a number"),
    ] {
        let err = Format::Asv
            .parse(&doc(&format!("\"b.time_a\": [[{value}], []]")))
            .unwrap_err();
        assert!(
            err.line == Some(3) && err.message.contains(what),
            "{value}: {err:?}"
        );
    }
    let err = Format::Asv
        .parse(&doc("\"b.time_a\": [[1.0, 2.0, 3.0], [[\"1\", \"2\"]]]"))
        .unwrap_err();
    assert!(
        err.message
            .contains("3 results for 2 parameter combinations"),
        "{err:?}"
    );
    let err = Format::Asv
        .parse(&doc("\"b.time_a\": [[1.0], [], [[1.0, -2.0]]]"))
        .unwrap_err();
    assert!(err.message.contains("sample"), "{err:?}");
    let err = Format::Asv
        .parse("{\"version\": 1, \"results\": {\"b.time_a\": 1.0}}")
        .unwrap_err();
    assert!(err.message.contains("asv update"), "{err:?}");
    // `NaN` inside a name is text, not a skip; odd names stay verbatim.
    let odd = Format::Asv
        .parse(&doc("\"b.time_NaN <b>|*x*\": [[2.0], []]"))
        .unwrap();
    assert_eq!(
        (odd[0].name.as_str(), odd[0].value),
        ("b.time_NaN <b>|*x*", 2e9)
    );
}

#[test]
fn fuzz_seeds_list_every_format_in_order() {
    // fuzz/seed.py prefixes each fixture with its format's index in
    // Format::ALL; a format added here must be added there, in order.
    let seed = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seed.py"))
        .unwrap();
    let order = &seed[seed.find("ORDER = [").unwrap()..];
    let order = &order[..order.find(']').unwrap()];
    let listed: Vec<&str> = order.split('"').skip(1).step_by(2).collect();
    assert_eq!(listed, Format::ALL.map(Format::as_str));
    for format in Format::ALL {
        assert!(seed.contains(&format!("\"{format}\": [")), "{format}");
    }
}

#[test]
fn ruby_benchmark_values_equal_its_printed_seconds() {
    let text = fixture("ruby-benchmark.txt");
    let metrics = ingest("ruby-benchmark.txt");
    let mut rows = 0;
    let mut rehearsal = false;
    for line in text.lines() {
        rehearsal = (rehearsal || line.starts_with("Rehearsal")) && !line.contains("total:");
        let Some((head, real)) = line.strip_suffix(')').and_then(|l| l.rsplit_once('(')) else {
            continue;
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        let n = words.len();
        let name = words[..n - 3].join(" ");
        if rehearsal {
            // bmbm's rehearsal is discarded, by bmbm and here: the value is
            // the second section's.
            assert_ne!(
                get(&metrics, &name).value,
                number(real.trim()).unwrap() * 1e9
            );
            continue;
        }
        let m = get(&metrics, &name);
        assert_eq!(
            (m.value, &m.unit),
            (number(real.trim()).unwrap() * 1e9, &Unit::Ns)
        );
        for (suffix, at) in [("user", n - 3), ("system", n - 2), ("total", n - 1)] {
            let v = get(&metrics, &format!("{name}.{suffix}")).value;
            assert_eq!(v, number(words[at]).unwrap() * 1e9, "{name}.{suffix}");
        }
        rows += 1;
    }
    assert_eq!((rows, metrics.len()), (5, 20));
    get(&metrics, "times: a*10");
    get(&metrics, "<b>upto</b>");
}

#[test]
fn benchmark_ips_text_and_json_equal_its_numbers() {
    let text = ingest("ruby-benchmark-ips.txt");
    let json_report = ingest("ruby-benchmark-ips.json");
    let doc = json("ruby-benchmark-ips.json");
    let printed = fixture("ruby-benchmark-ips.txt");
    for e in doc.as_array().unwrap() {
        let name = e["name"].as_str().unwrap();
        let exact = get(&json_report, name);
        assert_eq!(
            (exact.value, &exact.unit, exact.direction),
            (
                f(&e["central_tendency"]),
                &Unit::PerSecond,
                Direction::Higher
            )
        );
        // The text's rate as printed (`15.465k`: 5 digits) and the
        // comparison's (`15465.3 i/s`) agree with the exact value.
        let t = get(&text, name);
        assert!(
            close_printed(t.value, exact.value),
            "{name}: {} vs {}",
            t.value,
            exact.value
        );
        let compared = printed
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("{name}:")))
            .unwrap();
        let compared = number(compared.split_whitespace().next().unwrap()).unwrap();
        assert!((compared - exact.value).abs() <= 0.05, "{name}");
    }
    assert_eq!((text.len(), json_report.len()), (3, 3));
    // The wrapped long label is one benchmark.
    get(&text, "a very long benchmark name that wraps");
}

#[test]
fn ruby_cuts_and_hostile_inputs_are_errors_naming_the_line() {
    for file in ["ruby-benchmark.txt", "ruby-benchmark-ips.txt"] {
        let text = fixture(file);
        let whole = ingest(file);
        let cuts = mid_line_cuts(&text, |l| {
            l.ends_with(')') || l.contains(" i/s") || l.starts_with("a very long")
        });
        assert!(cuts.len() > 100, "{file}");
        for (line, cut) in cuts {
            match Format::Ruby.parse(cut) {
                Err(err) => assert_eq!(
                    err.line,
                    Some(line),
                    "{file} {:?}: {err:?}",
                    &cut[cut.len().saturating_sub(30)..]
                ),
                // Only a cut in the warm-up section (before any result) can
                // leave whole results, and those must equal the whole file's.
                Ok(part) => {
                    for m in part {
                        assert_eq!(m.value, get(&whole, &m.name).value, "{file}");
                    }
                }
            }
        }
    }
    let header = "              user     system      total        real\n";
    let row = |name: &str, real: &str| format!("{name:<12}0.1   0.0   0.1 ({real})\n");
    let err = Format::Ruby
        .parse(&format!("{header}{}{}", row("a", "0.2"), row("a", "0.3")))
        .unwrap_err();
    assert!(
        err.line == Some(3) && err.message.contains("first at line 2"),
        "{err:?}"
    );
    for (real, what) in [
        ("-0.2", "negative"),
        ("NaN", "expected"),
        ("0.2x", "expected"),
    ] {
        let err = Format::Ruby
            .parse(&format!("{header}{}", row("a", real)))
            .unwrap_err();
        assert!(
            err.line == Some(2) && err.message.contains(what),
            "{real}: {err:?}"
        );
    }
    let err = Format::Ruby
        .parse(&format!("{header}{}", row("", "0.2")))
        .unwrap_err();
    assert_eq!(err.line, Some(2), "{err:?}");
    let odd = Format::Ruby
        .parse(&format!("{header}{}", row("a|*b* <i>", "0.2")))
        .unwrap();
    assert_eq!(odd[0].name, "a|*b* <i>");
    let ips = "Calculating -------------------------------------\n";
    let err = Format::Ruby
        .parse(&format!(
            "{ips}                   x     -1.000k (± 1.0%) i/s -  1.0k in 1.0s\n"
        ))
        .unwrap_err();
    assert!(err.message.contains("negative"), "{err:?}");
    let err = Format::Ruby
        .parse("[{\"name\": \"a\", \"ips\": 1},\n{\"name\": \"a\", \"ips\": 2}]")
        .unwrap_err();
    assert!(
        err.line == Some(2) && err.message.contains("again"),
        "{err:?}"
    );
}

#[test]
fn iai_callgrind_counts_equal_its_printed_numbers() {
    for file in ["iai-callgrind.txt", "iai-callgrind-compared.txt"] {
        let text = fixture(file);
        let metrics = ingest(file);
        let mut name = "";
        let mut checked = 0;
        for line in text.lines() {
            if line.starts_with("iai::") {
                name = line;
            } else if let Some((key, rest)) = line.trim().split_once(':')
                && line.starts_with("  ")
            {
                let new: f64 = rest.split('|').next().unwrap().trim().parse().unwrap();
                let metric = if key == "Instructions" {
                    name.to_owned()
                } else {
                    format!("{name}.{key}")
                };
                let m = get(&metrics, &metric);
                assert_eq!(
                    (m.value, &m.unit, m.direction),
                    (new, &Unit::Count, Direction::Lower)
                );
                checked += 1;
            }
        }
        assert_eq!((checked, metrics.len()), (18, 18), "{file}");
    }
    // The new value, not iai-callgrind's old one.
    let compared = ingest("iai-callgrind-compared.txt");
    assert_eq!(
        get(&compared, "iai::fib_group::bench_fib long:21").value,
        336510.0
    );
}

#[test]
fn iai_callgrind_cuts_and_hostile_inputs_are_errors_naming_the_line() {
    for file in ["iai-callgrind.txt", "iai-callgrind-compared.txt"] {
        let text = fixture(file);
        let whole = ingest(file);
        let cuts = mid_line_cuts(&text, |l| l.starts_with("iai::") || l.contains('|'));
        assert!(cuts.len() > 500, "{file}");
        for (line, cut) in cuts {
            let err = Format::IaiCallgrind.parse(cut).unwrap_err();
            assert_eq!(
                err.line,
                Some(line),
                "{file} {:?}: {err:?}",
                &cut[cut.len().saturating_sub(30)..]
            );
        }
        // Cut at a line's end: the benchmarks read are whole and equal.
        let upto = &text[..text.find("  RAM Hits").unwrap()];
        for m in Format::IaiCallgrind.parse(upto).unwrap() {
            assert_eq!(m.value, get(&whole, &m.name).value);
        }
    }
    let block =
        |name: &str, n: &str| format!("{name}\n  Instructions:     {n}|N/A     (*********)\n");
    let err = Format::IaiCallgrind
        .parse(&format!("{}{}", block("a::b", "1"), block("a::b", "2")))
        .unwrap_err();
    assert!(
        err.line == Some(3) && err.message.contains("first at line 1"),
        "{err:?}"
    );
    for (n, what) in [("1e400", "not a count"), ("1x", "not a count")] {
        let err = Format::IaiCallgrind.parse(&block("a::b", n)).unwrap_err();
        assert!(
            err.line == Some(2) && err.message.contains(what),
            "{n}: {err:?}"
        );
    }
    // A negative or NaN count does not start like a number: no result at all.
    assert!(Format::IaiCallgrind.parse(&block("a::b", "-1")).is_err());
    assert!(Format::IaiCallgrind.parse(&block("a::b", "NaN")).is_err());
    let odd = Format::IaiCallgrind
        .parse(&block("m::<b>|*x* y:1", "5"))
        .unwrap();
    assert_eq!(odd[0].name, "m::<b>|*x* y:1");
}

#[test]
fn julia_trials_are_median_and_samples_estimates_their_time() {
    let metrics = ingest("julia-benchmarktools.json");
    let doc = json("julia-benchmarktools.json");
    let group = &doc[1][0][1]["data"];
    let small = &group["parse"][1]["data"]["small"][1];
    let times: Vec<f64> = small["times"].as_array().unwrap().iter().map(f).collect();
    let m = get(&metrics, "parse/small");
    assert_eq!((m.value, &m.samples, &m.unit), (1003.5, &times, &Unit::Ns));
    assert_eq!(
        get(&metrics, "parse/small.memory").value,
        f(&small["memory"])
    );
    assert_eq!(
        get(&metrics, "parse/small.allocs").value,
        f(&small["allocs"])
    );
    // A tuple key stays as BenchmarkTools wrote it; numbers keep every bit.
    assert_eq!(get(&metrics, "parse/(1, \"x\")").value, 54.648447036743164);
    let fib = get(&metrics, "fib 20");
    assert_eq!(
        (fib.value, fib.samples.len()),
        (f(&group["fib 20"][1]["time"]), 0)
    );
    assert_eq!(metrics.len(), 9);
}

#[test]
fn julia_hostile_inputs_are_errors_naming_the_line() {
    let text = fixture("julia-benchmarktools.json");
    for cut in (1..text.trim_end().len()).filter(|c| text.is_char_boundary(*c)) {
        let err = Format::Julia.parse(&text[..cut]).unwrap_err();
        assert_eq!(
            err.line,
            Some(text[..cut].matches('\n').count() + 1),
            "cut at {cut}: {err:?}"
        );
    }
    let doc = |data: &str| {
        format!(
            "[{{\"BenchmarkTools\": \"1.5.0\"}}, [[\"BenchmarkGroup\", {{\"tags\": [], \"data\": {{\n{data}\n}}}}]]]"
        )
    };
    let est =
        |t: &str| format!("[\"TrialEstimate\", {{\"time\": {t}, \"memory\": 0, \"allocs\": 0}}]");
    let err = Format::Julia
        .parse(&doc(&format!("\"a\": {},\n\"a\": {}", est("1"), est("2"))))
        .unwrap_err();
    assert!(
        err.line == Some(3) && err.message.contains("`a` appears twice"),
        "{err:?}"
    );
    for (t, what) in [
        ("-1", "negative"),
        ("NaN", "expected value"),
        ("\"1\"", "not a number"),
    ] {
        let err = Format::Julia
            .parse(&doc(&format!("\"a\": {}", est(t))))
            .unwrap_err();
        assert!(
            err.line == Some(2) && err.message.contains(what),
            "{t}: {err:?}"
        );
    }
    let err = Format::Julia
        .parse(&doc("\"a\": [\"TrialJudgement\", {}]"))
        .unwrap_err();
    assert!(err.message.contains("not a measurement"), "{err:?}");
    let err = Format::Julia
        .parse(&doc(
            "\"a\": [\"Trial\", {\"times\": [], \"memory\": 0, \"allocs\": 0}]",
        ))
        .unwrap_err();
    assert!(err.message.contains("no times"), "{err:?}");
    let odd = Format::Julia
        .parse(&doc(&format!("\"<b>|*x*\\u0000\": {}", est("5"))))
        .unwrap();
    assert_eq!(odd[0].name, "<b>|*x*\u{0}");
}

/// Cuts `text` at every character boundary: each cut parses to an error,
/// or to metrics the whole text also gives (a metric with samples may hold
/// fewer of them, each one of the whole's).
fn cut_anywhere_is_an_error_or_a_part(format: Format, text: &str) {
    let whole = format.parse(text).unwrap();
    for at in (0..text.len()).filter(|at| text.is_char_boundary(*at)) {
        let Ok(part) = format.parse(&text[..at]) else {
            continue;
        };
        for m in &part {
            let full = whole
                .iter()
                .find(|w| w.name == m.name)
                .unwrap_or_else(|| panic!("cut at {at}: new metric {m:?}"));
            if full.samples.len() > 1 {
                assert!(
                    m.samples.iter().all(|s| full.samples.contains(s)) || m.samples.is_empty(),
                    "cut at {at}: {m:?}"
                );
            } else {
                assert_eq!(m.value, full.value, "cut at {at}: {}", m.name);
            }
        }
    }
}

#[test]
fn luau_values_equal_bench_py_averages_and_runs_are_samples() {
    let text = fixture("luau-bench.txt");
    let metrics = ingest("luau-bench.txt");
    assert_eq!(metrics.len(), 3);
    // bench.py's own summary: `SUCCESS: NAME (padded): AVG ms`.
    for line in fixture("luau-bench-summary.txt").lines() {
        let (name, avg) = line
            .strip_prefix("SUCCESS: ")
            .unwrap()
            .rsplit_once(": ")
            .unwrap();
        let m = get(&metrics, name.trim_end());
        assert_eq!(m.unit, Unit::Ns);
        assert_eq!(m.direction, Direction::Lower);
        assert_eq!(format!("{:8.3}ms", m.value / 1e6), avg, "{name}");
        // Every printed run is a sample, in ns.
        let record = text
            .lines()
            .find(|l| l.starts_with(&format!("|><|{}|><|", name.trim_end())))
            .unwrap();
        let runs: Vec<f64> = record
            .trim_end_matches("||_||")
            .split("|><|")
            .skip(2)
            .map(|v| v.parse::<f64>().unwrap() * 1e6)
            .collect();
        assert_eq!(runs.len(), 20);
        assert_eq!(m.samples, runs, "{name}");
    }
}

#[test]
fn luau_cuts_and_hostile_records_are_errors_naming_the_line() {
    cut_anywhere_is_an_error_or_a_part(Format::Luau, &fixture("luau-bench.txt"));
    for (text, line, what) in [
        (
            "x\n|><|a|><|1|><|2||_||\n|><|a|><|3||_||\n",
            3,
            "again (first at line 2)",
        ),
        ("|><|a|><|1|><|nan||_||\n", 1, "`nan` is not a time"),
        ("|><|a|><|1|><|inf||_||\n", 1, "`inf` is not a time"),
        ("|><|a|><|-1||_||\n", 1, "negative"),
        ("|><|a||_||\n", 1, "no run times"),
        ("|><||><|1||_||\n", 1, "empty benchmark name"),
        (
            "|><|a|><|1||_||\n|><|b|><|1|><|2\n",
            2,
            "no `||_||` after it",
        ),
        ("|><|a|><|1\n|><|b|><|2||_||\n", 1, "not a time"),
        ("noise ||_||\n", 1, "no `|><|NAME`"),
    ] {
        let e = Format::Luau.parse(text).unwrap_err();
        assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
        assert!(e.message.contains(what), "{text:?}: {e:?}");
    }
    // bench.py's callgrind form: records with no line end between them.
    let m = Format::Luau
        .parse("|><|a b|><|0.5||_|||><|c/d|><|1e-05||_||")
        .unwrap();
    assert_eq!(m[0].name, "a b");
    assert_eq!(m[0].value, 0.5e6);
    assert!(close(m[1].value, 10.0));
    assert_eq!(Format::Luau.parse("").unwrap_err().line, None);
}

#[test]
fn dart_values_equal_its_printed_run_time() {
    let text = fixture("dart-benchmark-harness.txt");
    let metrics = ingest("dart-benchmark-harness.txt");
    let printed: Vec<(&str, f64)> = text
        .lines()
        .filter_map(|l| l.strip_suffix(" us."))
        .map(|l| {
            let (name, us) = l.rsplit_once("(RunTime): ").unwrap();
            (name, us.parse::<f64>().unwrap())
        })
        .collect();
    assert_eq!(printed.len(), 5);
    assert_eq!(metrics.len(), printed.len());
    for (name, us) in printed {
        let m = get(&metrics, name);
        assert_eq!(m.unit, Unit::Ns);
        assert_eq!(m.direction, Direction::Lower);
        assert!(close(m.value, us * 1e3), "{name}: {} vs {us} us", m.value);
    }
    assert!(close(get(&metrics, "Parse(json)").value, 27_548.0));
    assert!(close(get(&metrics, "Tiny").value, 2.5e-4));
}

#[test]
fn dart_cuts_and_hostile_lines_are_errors_naming_the_line() {
    cut_anywhere_is_an_error_or_a_part(Format::Dart, &fixture("dart-benchmark-harness.txt"));
    for (text, line, what) in [
        (
            "A(RunTime): 1.0 us.\nA(RunTime): 2.0 us.\n",
            2,
            "again (first at line 1)",
        ),
        ("A(RunTime): NaN us.\n", 1, "`NaN` is not a number"),
        ("A(RunTime): Infinity us.\n", 1, "not a number"),
        ("A(RunTime): -3.0 us.\n", 1, "negative"),
        ("A(RunTime): 1.0 s.\n", 1, "unit `s.`"),
        (
            "x\nA(RunTime): 1.0\n",
            2,
            "expected `NAME(RunTime): VALUE us.`",
        ),
        ("A(RunTime): 1.0 us.\nB(RunTi", 2, "ends inside this line"),
    ] {
        let e = Format::Dart.parse(text).unwrap_err();
        assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
        assert!(e.message.contains(what), "{text:?}: {e:?}");
    }
    // Other metrics of ScoreEmitterV2 are `NAME.METRIC`; odd names verbatim.
    let m = Format::Dart
        .parse("ü <b>|*(RunTime): 1.0 us.\nA(Memory): 2.0 ns.\n")
        .unwrap();
    assert_eq!((m[0].name.as_str(), m[0].value), ("ü <b>|*", 1000.0));
    assert_eq!((m[1].name.as_str(), m[1].value), ("A.Memory", 2.0));
}

#[test]
fn js_time_values_equal_nodes_and_the_shells_printed_times() {
    let m = ingest("js-time-console.txt");
    let names: Vec<&str> = m.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "parse config",
            "loop/json",
            "ünïcode <b> | *x*",
            "step: two",
            "sleep"
        ]
    );
    assert!(close(get(&m, "parse config").value, 3.369e6));
    assert!(close(get(&m, "ünïcode <b> | *x*").value, 0.719e6));
    // timeLog's line carries extra data: not a result; timeEnd's is.
    assert!(close(get(&m, "step: two").value, 0.596e6));
    assert!(close(get(&m, "sleep").value, 1.147e9));
    let looped = get(&m, "loop/json");
    let printed = [0.308e6, 0.266e6, 0.249e6, 0.267e6, 0.267e6];
    assert_eq!(looped.samples.len(), 5);
    for (s, p) in looped.samples.iter().zip(printed) {
        assert!(close(*s, p), "{s} vs {p}");
    }
    assert!(close(looped.value, 0.267e6));
    assert!(
        m.iter()
            .all(|m| m.unit == Unit::Ns && m.direction == Direction::Lower)
    );

    let m = ingest("js-time-shell.txt");
    let real = get(&m, "real");
    assert!(close(real.samples[0], 0.255e9) && close(real.samples[1], 0.144e9));
    assert!(close(real.value, (0.255e9 + 0.144e9) / 2.0));
    assert!(close(get(&m, "user").samples[0], 0.163e9));
    assert!(close(get(&m, "sys").samples[1], 0.019e9));
}

#[test]
fn js_time_clock_forms_cuts_and_hostile_lines() {
    cut_anywhere_is_an_error_or_a_part(Format::JsTime, &fixture("js-time-console.txt"));
    cut_anywhere_is_an_error_or_a_part(Format::JsTime, &fixture("js-time-shell.txt"));
    // Node's formatTime from a minute and an hour; a browser's `1.5 ms`;
    // `time -p`'s plain seconds; bash's minutes.
    let m = Format::JsTime
        .parse(concat!(
            "a: 1:02.345 (m:ss.mmm)\n",
            "b: 1:01:02.345 (h:mm:ss.mmm)\n",
            "c: 1.5 ms\n",
            "real 0.09\n",
            "user\t2m0.500s\n",
        ))
        .unwrap();
    let v = by_name(&m);
    assert!(close(v["a"], 62.345e9));
    assert!(close(v["b"], 3662.345e9));
    assert!(close(v["c"], 1.5e6));
    assert!(close(v["real"], 0.09e9));
    assert!(close(v["user"], 120.5e9));
    for (text, line, what) in [
        ("a: NaNms\n", 1, "not a number"),
        ("x\na: -1.2ms\n", 2, "negative"),
        ("a: Infinitys\n", 1, "not a number"),
        ("a: 1:2:3 (m:ss.mmm)\n", 1, "not a number"),
        ("a: 1.5ms\nb: 2.", 2, "ends inside this line"),
    ] {
        let e = Format::JsTime.parse(text).unwrap_err();
        assert_eq!(e.line, Some(line), "{text:?}: {e:?}");
        assert!(e.message.contains(what), "{text:?}: {e:?}");
    }
    // Prose that merely ends in `s` or `ms` is not a result.
    assert!(
        Format::JsTime
            .parse("status: yes\nnote: 1 items\n")
            .is_err()
    );
    assert_eq!(
        detect("status: yes\n").unwrap_err(),
        "no line looks like any known harness's results"
    );
}

#[test]
fn new_text_formats_do_not_take_other_formats_outputs() {
    // Lines of other formats that also look like `LABEL: 1.2ms` stay theirs:
    // the loose shapes are tried only after every other format.
    for file in [
        "vitest-console.txt",
        "criterion-console.txt",
        "asv-console.txt",
        "go-bench.txt",
    ] {
        let text = fixture(file);
        let format = detect(&text);
        assert!(
            !matches!(format, Ok(Format::JsTime | Format::Luau | Format::Dart)),
            "{file}: {format:?}"
        );
    }
    assert_eq!(detect("x: 1.5ms\n"), Ok(Format::JsTime));
    assert_eq!(detect("out |><|a|><|1||_||"), Ok(Format::Luau));
    assert_eq!(detect("A(RunTime): 1.0 us.\n"), Ok(Format::Dart));
}
