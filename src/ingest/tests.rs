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
    let huge = std::io::repeat(b' ').take(MAX_INPUT_BYTES + 1);
    let err = bounded_text(huge, Path::new("big.json")).unwrap_err();
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
