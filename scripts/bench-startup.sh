#!/usr/bin/env bash
# What perfguard costs before it measures anything: each subcommand's whole
# wall time, timed by hyperfine (-N, no shell), beside hyperfine's own start-up
# (`hyperfine --runs 1` of `true`, which is almost all fixed cost).
#
# Usage: scripts/bench-startup.sh [path/to/perfguard]   (default target/release/perfguard)
# Needs: hyperfine (apt-get install hyperfine), python3.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(realpath "${1:-target/release/perfguard}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cp tests/fixtures/ingest/cargo-bench.txt "$WORK/bench.txt"
printf '[[phase]]\nname = "a"\nkind = "command"\ncommand = ["true"]\nruns = 1\nwarmup = 0\n' > "$WORK/perfguard.toml"
# A git repository, as in CI: `run` records HEAD.
git -C "$WORK" init -q -b main
git -C "$WORK" -c user.name=b -c user.email=b@example.com commit -q --allow-empty -m bench
cd "$WORK"
hyperfine -N --style none --warmup 5 --runs "${RUNS:-100}" --export-json "$WORK/h.json" \
  "$BIN --version" \
  "$BIN run -o $WORK/r.json" \
  "$BIN ingest --format cargo-bench bench.txt -o $WORK/i.json" \
  "$BIN schema" \
  "hyperfine -N --runs 1 --style none true" >/dev/null
python3 - "$WORK/h.json" "$BIN" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"]
print("| command | median | mean ± σ |")
print("|---|--:|--:|")
for r in rows:
    cmd = r["command"].replace(sys.argv[2], "perfguard")
    cmd = " ".join(w if "/" not in w else w.rsplit("/", 1)[1] for w in cmd.split())
    print(f"| `{cmd}` | {r['median']*1e3:.2f} ms | {r['mean']*1e3:.2f} ± {r['stddev']*1e3:.2f} ms |")
PY
