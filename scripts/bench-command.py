#!/usr/bin/env python3
"""Command phases: perfguard beside hyperfine (-N) on `true` and `sleep 0.01`.

Runs both tools in one session, alternating, ROUNDS times, and prints a
Markdown table: each tool's reported median, the ratio perfguard/hyperfine,
each tool's fixed cost (its own elapsed time minus what it measured, for one
run) and its per-run overhead: what it spent outside what it measured with
N runs, less the same with N/10 runs, divided by the difference in runs.
The fixed cost cancels out of that difference, so its noise (milliseconds)
does not swamp the overhead (microseconds).

Usage: scripts/bench-command.py [path/to/perfguard]   (default target/release/perfguard)
Needs: hyperfine (apt-get install hyperfine), python3.
"""
import json, os, statistics, subprocess, sys, tempfile, time

PERFGUARD = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/perfguard")
ROUNDS = int(os.environ.get("ROUNDS", "5"))
CASES = [("true", ["true"], 300, 10), ("sleep 0.01", ["sleep", "0.01"], 100, 3)]


def timed(cmd, cwd):
    start = time.perf_counter_ns()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter_ns() - start


def hyperfine_once(argv, runs, warmup, tmp):
    out = os.path.join(tmp, "h.json")
    elapsed = timed(["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                     "--export-json", out, " ".join(argv)], tmp)
    r = json.load(open(out))["results"][0]
    times = [t * 1e9 for t in r["times"]]
    # hyperfine runs the command `warmup` more times, untimed; count them at the median.
    measured = sum(times) + warmup * statistics.median(times)
    return statistics.median(times), elapsed - measured


def perfguard_once(argv, runs, warmup, tmp):
    cfg = os.path.join(tmp, "perfguard.toml")
    with open(cfg, "w") as f:
        f.write('[[phase]]\nname = "case"\nkind = "command"\n')
        f.write("command = %s\nruns = %d\nwarmup = %d\n" % (json.dumps(argv), runs, warmup))
    out = os.path.join(tmp, "p.json")
    elapsed = timed([PERFGUARD, "run", "-c", cfg, "-o", out], tmp)
    m = {x["name"]: x for x in json.load(open(out))["phases"][0]["metrics"]}
    times = m["wall"]["samples"]
    measured = sum(times) + warmup * statistics.median(times)
    return statistics.median(times), elapsed - measured


def measure(tool, argv, runs, warmup, tmp):
    """(median, fixed cost, per-run overhead) of one tool on one command."""
    _, fixed = tool(argv, 1, 0, tmp)
    median, unmeasured = tool(argv, runs, warmup, tmp)
    few = max(1, runs // 10)
    _, unmeasured_few = tool(argv, few, warmup, tmp)
    return median, fixed, (unmeasured - unmeasured_few) / (runs - few)


def main():
    versions = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
    pg_version = subprocess.run([PERFGUARD, "--version"], capture_output=True, text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv, runs, warmup in CASES:
            h, p = [], []
            for _ in range(ROUNDS):
                h.append(measure(hyperfine_once, argv, runs, warmup, tmp))
                p.append(measure(perfguard_once, argv, runs, warmup, tmp))
            med = lambda rows, i: statistics.median(r[i] for r in rows)
            rows.append((name, runs, med(h, 0), med(p, 0), med(p, 0) / med(h, 0),
                         med(h, 1), med(p, 1), med(h, 2), med(p, 2)))
    print(f"{pg_version} beside {versions}, {ROUNDS} alternating rounds, median of rounds; "
          f"{os.cpu_count()} cores.\n")
    print("| command | runs | hyperfine median | perfguard median | perfguard / hyperfine "
          "| fixed cost: hyperfine / perfguard | overhead per run: hyperfine / perfguard |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name, runs, hm, pm, ratio, hf, pf, ho, po in rows:
        print(f"| `{name}` | {runs} | {hm/1e6:.3f} ms | {pm/1e6:.3f} ms | {ratio:.3f}× "
              f"| {hf/1e6:.1f} ms / {pf/1e6:.1f} ms | {ho/1e3:.0f} µs / {po/1e3:.0f} µs |")


if __name__ == "__main__":
    main()
