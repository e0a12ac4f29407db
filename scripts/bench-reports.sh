#!/usr/bin/env bash
# Report and dashboard benchmark (docs/REPORTS.md, "Size and speed").
#
# 1. The HTML report of a three-phase suite (a command, an HTTP load against
#    examples/service.py, an ingested hyperfine file), measured twice for a
#    baseline and a current run: its size in bytes, and how much of it is uPlot.
# 2. `perfguard dashboard` over a baseline branch of RUNS runs x METRICS
#    metrics (one commit per save, as perfguard writes them; every fifth
#    metric steps up by 30 % at run 600): wall time of three builds, peak RSS,
#    and the size of the site.
#
# Needs: git, python3, GNU time (/usr/bin/time).
# Usage: scripts/bench-reports.sh [RUNS] [METRICS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000}
METRICS=${2:-200}
ROOT=$PWD

cargo build --release --locked -q
BIN=$ROOT/target/release/perfguard
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
: > "$WORK/gitconfig"
export GIT_CONFIG_GLOBAL=$WORK/gitconfig GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset GITHUB_TOKEN PERFGUARD_TOKEN GITHUB_SERVER_URL GITHUB_REPOSITORY CI || true

echo "== HTML report of a three-phase suite =="
mkdir "$WORK/suite"
cp tests/fixtures/ingest/hyperfine.json "$WORK/suite/"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/suite/perfguard.toml" <<EOF
[suite]
name = "demo"

[[phase]]
name = "startup"
kind = "command"
command = ["sh", "-c", "head -c 2000000 /dev/zero | tail -c 1 >/dev/null"]
runs = 20

[[phase]]
name = "load"
kind = "http"
base_url = "http://127.0.0.1:$PORT"
service = { command = ["python3", "$ROOT/examples/service.py", "--port", "$PORT"], ready = "/health" }
vus = 4
duration = "5s"
  [[phase.step]]
  name = "health"
  path = "/health"

[[phase]]
name = "parser"
kind = "ingest"
format = "hyperfine"
files = ["hyperfine.json"]
EOF
(cd "$WORK/suite" && "$BIN" run -o base.json >/dev/null 2>&1 && "$BIN" run -o current.json >/dev/null 2>&1 &&
  "$BIN" report --html report.html --baseline base.json --current current.json 2>/dev/null)
SIZE=$(wc -c < "$WORK/suite/report.html")
UPLOT=$(wc -c < assets/uplot/uPlot.iife.min.js)
CHARTS=$(grep -o 'class="chart"' "$WORK/suite/report.html" | wc -l)
GZ=$(gzip -9c "$WORK/suite/report.html" | wc -c)
printf 'report.html: %d bytes (%d gzipped), %d charts; uPlot is %d bytes of it\n' "$SIZE" "$GZ" "$CHARTS" "$UPLOT"

echo "== perfguard dashboard: $RUNS runs x $METRICS metrics on the baseline branch =="
cat > "$WORK/gen.py" <<'PY'
import json, random, sys, hashlib, time
n, metrics = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout.buffer
rng = random.Random(7)
phases = 10
per_phase = metrics // phases
def sha(i): return hashlib.sha1(f"commit {i}".encode()).hexdigest()
def stamp(i): return 1767225600 + i * 3600
def iso(t): return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
def run(i):
    ph = []
    for p in range(phases):
        ms = []
        for m in range(per_phase):
            step = 1.3 if (m % 5 == 0 and i >= 600) else 1.0
            v = 1e6 * (1 + p) * (1 + m / 10) * step * rng.uniform(0.97, 1.03)
            ms.append({"name": f"m{m:02}", "unit": "ns", "direction": "lower", "value": round(v, 1)})
        ph.append({"name": f"phase{p}", "kind": "command", "errors": [], "metrics": ms})
    return {"schema_version": 1, "suite": "bench",
            "environment": {"key": "ci", "os": "Linux", "arch": "x86_64", "cpu_model": "Bench CPU",
                            "cores": 2, "memory_bytes": 8 << 30},
            "git": {"sha": sha(i), "ref": "refs/heads/main"},
            "started_at": iso(stamp(i)), "finished_at": iso(stamp(i) + 60), "phases": ph}
def data(b):
    out.write(b"data %d\n" % len(b)); out.write(b); out.write(b"\n")
for i in range(n):
    name = "%s-%s.json" % (time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(stamp(i))), sha(i)[:7])
    body = (json.dumps(run(i), indent=2) + "\n").encode()
    out.write(b"blob\nmark :%d\n" % (2 * i + 1)); data(body)
    out.write(b"commit refs/heads/perfguard-baselines\nmark :%d\n" % (2 * i + 2))
    out.write(b"committer perfguard <p@example.com> %d +0000\n" % stamp(i))
    data(f"perfguard: save bench/ci {name}".encode())
    if i: out.write(b"from :%d\n" % (2 * i))
    out.write(f"M 100644 :{2*i+1} bench/ci/runs/{name}\n".encode())
    out.write(f"M 100644 :{2*i+1} bench/ci/latest.json\n\n".encode())
PY
mkdir "$WORK/repo"
git -C "$WORK/repo" init -q -b main
printf '[suite]\nname = "bench"\n\n[[phase]]\nname = "noop"\nkind = "command"\ncommand = ["true"]\n' > "$WORK/repo/perfguard.toml"
git -C "$WORK/repo" add . && git -C "$WORK/repo" commit -q -m init
python3 "$WORK/gen.py" "$RUNS" "$METRICS" | git -C "$WORK/repo" fast-import --quiet
git -C "$WORK/repo" gc -q

cd "$WORK/repo"
for i in 1 2 3; do
  /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$BIN" dashboard -o site --repo-url https://github.com/o/r 2>/dev/null
  read -r wall rss < "$WORK/time.txt"
  printf 'build %d: wall %s s, peak RSS %.1f MB\n' "$i" "$wall" "$(echo "$rss/1024" | bc -l)"
done
SITE=$(wc -c < site/index.html)
printf 'site/index.html: %d bytes (%d gzipped); series with change points: %s\n' "$SITE" \
  "$(gzip -9c site/index.html | wc -c)" \
  "$(grep -o '"steps":\[{' site/index.html | wc -l)"
if [ -n "${KEEP_SITE:-}" ]; then rm -rf "$KEEP_SITE"; cp -r site "$KEEP_SITE"; echo "site kept in $KEEP_SITE"; fi
if [ -n "${KEEP_REPORT:-}" ]; then cp "$WORK/suite/report.html" "$KEEP_REPORT"; echo "report kept in $KEEP_REPORT"; fi
