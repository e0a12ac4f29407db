#!/usr/bin/env python3
"""Command phases: perfguard beside hyperfine (-N) on `true` and `sleep 0.01`.

Runs both tools in one session, alternating, ROUNDS times, and prints a
Markdown table: each tool's reported median, the ratio perfguard/hyperfine,
and each tool's per-run overhead (the tool's own elapsed time minus the time
it measured, divided by the runs it made, warm-ups included).

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


def hyperfine(argv, runs, warmup, tmp):
    out = os.path.join(tmp, "h.json")
    elapsed = timed(["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs", str(runs),
                     "--export-json", out, " ".join(argv)], tmp)
    r = json.load(open(out))["results"][0]
    times = [t * 1e9 for t in r["times"]]
    # hyperfine runs the command `warmup` more times, untimed; count them at the median.
    measured = sum(times) + warmup * statistics.median(times)
    return statistics.median(times), (elapsed - measured) / (runs + warmup)


def perfguard(argv, runs, warmup, tmp):
    cfg = os.path.join(tmp, "perfguard.toml")
    with open(cfg, "w") as f:
        f.write('[[phase]]\nname = "case"\nkind = "command"\n')
        f.write("command = %s\nruns = %d\nwarmup = %d\n" % (json.dumps(argv), runs, warmup))
    out = os.path.join(tmp, "p.json")
    elapsed = timed([PERFGUARD, "run", "-c", cfg, "-o", out], tmp)
    m = {x["name"]: x for x in json.load(open(out))["phases"][0]["metrics"]}
    times = m["wall"]["samples"]
    measured = sum(times) + warmup * statistics.median(times)
    return statistics.median(times), (elapsed - measured) / (runs + warmup)


def main():
    versions = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
    pg_version = subprocess.run([PERFGUARD, "--version"], capture_output=True, text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv, runs, warmup in CASES:
            h_med, h_ovh, p_med, p_ovh = [], [], [], []
            for _ in range(ROUNDS):
                m, o = hyperfine(argv, runs, warmup, tmp); h_med.append(m); h_ovh.append(o)
                m, o = perfguard(argv, runs, warmup, tmp); p_med.append(m); p_ovh.append(o)
            hm, pm = statistics.median(h_med), statistics.median(p_med)
            rows.append((name, runs, hm, pm, pm / hm, statistics.median(h_ovh), statistics.median(p_ovh)))
    print(f"{pg_version} beside {versions}, {ROUNDS} alternating rounds, median of rounds; "
          f"{os.cpu_count()} cores.\n")
    print("| command | runs | hyperfine median | perfguard median | perfguard / hyperfine | hyperfine overhead per run | perfguard overhead per run |")
    print("|---|--:|--:|--:|--:|--:|--:|")
    for name, runs, hm, pm, ratio, ho, po in rows:
        print(f"| `{name}` | {runs} | {hm/1e6:.3f} ms | {pm/1e6:.3f} ms | {ratio:.3f}× | {ho/1e6:.3f} ms | {po/1e6:.3f} ms |")


if __name__ == "__main__":
    main()
