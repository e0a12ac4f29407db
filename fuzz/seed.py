"""Seeds fuzz/corpus/parsers with every ingest fixture: once prefixed by its
format's index in `Format::ALL` (that parser), once by len(ORDER) (detection).
Run from the repository root: python3 fuzz/seed.py"""
import os

ORDER = ["cargo-bench", "criterion", "hyperfine", "go", "google-benchmark", "pytest-benchmark",
         "jmh", "benchmarkdotnet", "catch2", "benchmarkjs", "k6", "generic",
         "custom-bigger-is-better", "custom-smaller-is-better", "bmf", "vitest", "asv", "ruby", "iai-callgrind", "julia",
         "luau", "dart", "js-time"]
FILES = {
    "cargo-bench": ["cargo-bench.txt", "libtest.json", "libtest-failed.json"],
    "criterion": ["cargo-criterion.jsonl"],
    "hyperfine": ["hyperfine.json"],
    "go": ["go-bench.txt", "go-bench-packages.txt", "go-bench-panic.txt",
           "go-test-json-packages.jsonl", "go-test-json-failed.jsonl"],
    "google-benchmark": ["google-benchmark.json", "google-benchmark-single.json"],
    "pytest-benchmark": ["pytest-benchmark-nodata.json"],
    "jmh": ["jmh.json"],
    "benchmarkdotnet": ["benchmarkdotnet.json"],
    "catch2": ["catch2.xml", "catch2-console.txt"],
    "benchmarkjs": ["benchmarkjs.txt"],
    "k6": ["k6-summary.json"],
    "generic": ["generic.json"],
    "custom-bigger-is-better": ["github-action-benchmark-custom.json"],
    "custom-smaller-is-better": ["github-action-benchmark-custom.json"],
    "bmf": ["bmf.json"],
    "vitest": ["vitest.json", "vitest-failed.json"],
    "asv": ["asv.json", "asv-failed.json"],
    "ruby": ["ruby-benchmark.txt", "ruby-benchmark-ips.txt", "ruby-benchmark-ips.json"],
    "iai-callgrind": ["iai-callgrind.txt", "iai-callgrind-compared.txt"],
    "julia": ["julia-benchmarktools.json"],
    "luau": ["luau-bench.txt"],
    "dart": ["dart-benchmark-harness.txt"],
    "js-time": ["js-time-console.txt", "js-time-shell.txt"],
}
src = "tests/fixtures/ingest"
out = "fuzz/corpus/parsers"
os.makedirs(out, exist_ok=True)
for i, fmt in enumerate(ORDER):
    for name in FILES[fmt]:
        data = open(os.path.join(src, name), "rb").read()
        open(os.path.join(out, f"seed-{fmt}-{name}"), "wb").write(bytes([i]) + data)
        open(os.path.join(out, f"seed-detect-{name}"), "wb").write(bytes([len(ORDER)]) + data)
