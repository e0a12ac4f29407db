#!/usr/bin/env python3
"""Per-run overhead of hyperfine (-N) and of one or two perfguard builds.

Each tool's elapsed time outside what it measured with many runs, less the
same with a tenth of the runs, per extra run: the fixed cost cancels out.
Alternating, ROUNDS times (default 3); prints the median per tool.

Usage: scripts/bench-per-run.py path/to/perfguard [path/to/other/perfguard]
Needs: hyperfine, python3. Writes its files in a temporary directory.
"""
import json, os, statistics, subprocess, sys, tempfile, time

PERFGUARDS = [os.path.abspath(p) for p in sys.argv[1:3]]
os.chdir(tempfile.mkdtemp())


def timed(cmd):
    s = time.perf_counter_ns(); subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); return time.perf_counter_ns() - s
def pg(binary, argv, n):
    with open("c.toml", "w") as f:
        f.write('[[phase]]\nname = "case"\nkind = "command"\ncommand = %s\nruns = %d\nwarmup = 0\n' % (json.dumps(argv), n))
    e = timed([binary, "run", "-c", "c.toml", "-o", "p.json"])
    m = {x["name"]: x for x in json.load(open("p.json"))["phases"][0]["metrics"]}
    return e - sum(m["wall"]["samples"])
def hf(argv, n):
    e = timed(["hyperfine", "-N", "--style", "none", "--warmup", "0", "--runs", str(n), "--export-json", "h.json", " ".join(argv)])
    return e - sum(t * 1e9 for t in json.load(open("h.json"))["results"][0]["times"])
tools = {"hyperfine": hf}
for path in PERFGUARDS:
    tools[path] = lambda a, n, path=path: pg(path, a, n)
for argv, lo, hi in [(["true"], 200, 2000), (["sleep", "0.001"], 100, 1000)]:
    res = {k: [] for k in tools}
    for _ in range(int(os.environ.get("ROUNDS", "3"))):
        for k, f in tools.items():
            res[k].append((f(argv, hi) - f(argv, lo)) / (hi - lo))
    print(" ".join(argv), {k: "%.1f µs" % (statistics.median(v) / 1e3) for k, v in res.items()})
