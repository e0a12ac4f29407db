#!/usr/bin/env python3
"""How `perfguard compare` grows with the number of metrics.

Writes a baseline and a current results file of N metrics each, all in one
phase as `ingest` writes a large harness's output (PHASE_SIZE=1000 splits
them into phases of that many instead), each metric with 5 samples and one
in ten a summary of another, as `run` writes them, then times `perfguard compare --format json`
on them, with its peak RSS (GNU time's %M when /usr/bin/time is installed).

Usage: scripts/bench-compare-scale.py [path/to/perfguard] [N ...]
       (defaults: target/release/perfguard 10000 100000 1000000)
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time


def results(n, seed, shift, size):
    rng = random.Random(seed)
    phases = []
    for start in range(0, n, size):
        metrics = []
        for i in range(start, min(n, start + size)):
            if i % 10 == 9:
                metrics.append({"name": f"m{i - 1}.p95", "unit": "ns", "direction": "lower",
                                "value": 1000.0 * shift, "samples_of": f"m{i - 1}"})
                continue
            samples = [1000.0 * shift * (1 + rng.gauss(0, 0.01)) for _ in range(5)]
            metrics.append({"name": f"m{i}", "unit": "ns", "direction": "lower",
                            "value": sorted(samples)[2], "samples": samples})
        phases.append({"name": f"p{start // size}", "kind": "ingest", "errors": [],
                       "metrics": metrics})
    return {"schema_version": 1, "suite": "scale",
            "environment": {"key": "bench", "os": "Linux", "arch": "x86_64",
                            "cpu_model": "cpu", "cores": 2, "memory_bytes": 0},
            "git": {"sha": "0" * 40}, "started_at": "2026-12-03T00:00:00Z",
            "finished_at": "2026-12-03T00:00:01Z", "phases": phases}


def main():
    args = sys.argv[1:]
    binary = args.pop(0) if args and not args[0].isdigit() else "target/release/perfguard"
    sizes = [int(a) for a in args] or [10_000, 100_000, 1_000_000]
    timer = ["/usr/bin/time", "-f", "%M"] if os.path.exists("/usr/bin/time") else []
    print("| metrics | input (each file) | wall | peak RSS |")
    print("| --: | --: | --: | --: |")
    with tempfile.TemporaryDirectory() as work:
        for n in sizes:
            base, cur = os.path.join(work, "base.json"), os.path.join(work, "cur.json")
            size = int(os.environ.get("PHASE_SIZE", n))
            with open(base, "w") as f:
                json.dump(results(n, 1, 1.0, size), f)
            with open(cur, "w") as f:
                json.dump(results(n, 2, 1.02, size), f)
            start = time.monotonic()
            out = subprocess.run(timer + [binary, "compare", "--baseline", base, "--current", cur,
                                          "--format", "json"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            wall = time.monotonic() - start
            if out.returncode not in (0, 1):
                sys.exit(f"compare of {n} metrics failed ({out.returncode}): {out.stderr[-2000:]}")
            rss = f"{int(out.stderr.split()[-1]) / 1024:.0f} MiB" if timer else "-"
            mb = os.path.getsize(cur) / 1e6
            print(f"| {n:,} | {mb:.1f} MB | {wall:.2f} s | {rss} |", flush=True)


if __name__ == "__main__":
    main()
