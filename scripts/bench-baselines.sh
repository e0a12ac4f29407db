#!/usr/bin/env bash
# Baseline store benchmark (docs/BENCHMARKS.md, "## Baseline store").
#
# Builds a bare remote whose perfguard-baselines branch holds RUNS runs of
# METRICS metrics each (one commit per save, as perfguard writes it), serves
# it with `git daemon` on loopback, clones the main branch only, and times
# `perfguard compare --baseline latest --current …` in the clone, fetch
# included (/usr/bin/time -v: wall time and peak RSS). Then compares what a
# clone pays for that branch with a github-action-benchmark style gh-pages
# branch whose single data.js grows with every run.
#
# Needs: git (with git-daemon), python3, gzip, /usr/bin/time (GNU time).
# Usage: scripts/bench-baselines.sh [RUNS] [METRICS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000}
METRICS=${2:-200}
HISTORY_RUNS=${HISTORY_RUNS:-100}   # runs in the like-for-like history comparison

cargo build --release --locked -q
BIN=$PWD/target/release/perfguard
WORK=$(mktemp -d)
trap 'kill "${DAEMON:-0}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
# An empty global config, never /dev/null: as root, a global config write
# would rename a regular file over /dev/null.
: > "$WORK/gitconfig"
export GIT_CONFIG_GLOBAL=$WORK/gitconfig GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset GITHUB_TOKEN PERFGUARD_TOKEN GITHUB_BASE_REF || true

# gen.py MODE N: a git fast-import stream of N saves.
#   perfguard: <suite>/<env>/runs/<stamp>-<sha>.json + latest.json, one commit each
#   datajs:    one data.js (github-action-benchmark's format) rewritten each save
cat > "$WORK/gen.py" <<'PY'
import json, random, sys, hashlib
mode, n, metrics = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout.buffer
rng = random.Random(7)
phases = 10
per_phase = metrics // phases
def sha(i): return hashlib.sha1(f"commit {i}".encode()).hexdigest()
def stamp(i): return 1767225600 + i * 3600  # 2026-01-01 + i hours
def iso(t):
    import datetime
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
def run(i):
    ph = []
    for p in range(phases):
        ms = []
        for m in range(per_phase):
            v = 1e6 * (1 + p) * (1 + m / 10) * rng.uniform(0.95, 1.05)
            metric = {"name": f"m{m:02}", "unit": "ns", "direction": "lower", "value": round(v, 1)}
            if m == 0:
                metric["samples"] = [round(v * rng.uniform(0.9, 1.1), 1) for _ in range(20)]
            ms.append(metric)
        ph.append({"name": f"phase{p}", "kind": "command", "errors": [], "metrics": ms})
    return {"schema_version": 1, "suite": "bench",
            "environment": {"key": "ci", "os": "Linux", "arch": "x86_64", "cpu_model": "Bench CPU",
                            "cores": 2, "memory_bytes": 8 << 30},
            "git": {"sha": sha(i), "ref": "refs/heads/main"},
            "started_at": iso(stamp(i)), "finished_at": iso(stamp(i) + 60), "phases": ph}
def data(b):
    out.write(b"data %d\n" % len(b)); out.write(b); out.write(b"\n")
entries = []
for i in range(n):
    r = run(i)
    if mode == "perfguard":
        name = "%s-%s.json" % (__import__("time").strftime("%Y%m%dT%H%M%SZ", __import__("time").gmtime(stamp(i))), sha(i)[:7])
        body = (json.dumps(r, indent=2) + "\n").encode()
        out.write(b"blob\nmark :%d\n" % (2 * i + 1)); data(body)
        out.write(b"commit refs/heads/perfguard-baselines\nmark :%d\n" % (2 * i + 2))
        out.write(b"committer perfguard <p@example.com> %d +0000\n" % stamp(i))
        data(f"perfguard: save bench/ci {name}".encode())
        if i: out.write(b"from :%d\n" % (2 * i))
        out.write(f"M 100644 :{2*i+1} bench/ci/runs/{name}\n".encode())
        out.write(f"M 100644 :{2*i+1} bench/ci/latest.json\n\n".encode())
    else:
        entries.append({"commit": {"author": {"name": "dev", "username": "dev"}, "committer": {"name": "dev"},
                                   "distinct": True, "id": sha(i), "message": "change",
                                   "timestamp": iso(stamp(i)), "tree_id": sha(i + 10**6),
                                   "url": f"https://github.com/o/r/commit/{sha(i)}"},
                        "date": stamp(i) * 1000, "tool": "customSmallerIsBetter",
                        "benches": [{"name": f"{p['name']}/{m['name']}", "value": m["value"], "unit": "ns"}
                                    for p in r["phases"] for m in p["metrics"]]})
        doc = {"lastUpdate": stamp(i) * 1000, "repoUrl": "https://github.com/o/r",
               "entries": {"Benchmark": entries}}
        if mode == "datajs-final":
            if i == n - 1:
                out.write(("window.BENCHMARK_DATA = " + json.dumps(doc, indent=2) + "\n").encode())
            continue
        body = ("window.BENCHMARK_DATA = " + json.dumps(doc, indent=2) + "\n").encode()
        out.write(b"commit refs/heads/gh-pages\nmark :%d\n" % (i + 1))
        out.write(b"committer bench <b@example.com> %d +0000\n" % stamp(i))
        data(b"add benchmark data")
        if i: out.write(b"from :%d\n" % i)
        out.write(b"M 100644 inline dev/bench/data.js\n"); data(body); out.write(b"\n")
PY

# The project: one commit on main, and a bare remote holding the baselines.
mkdir "$WORK/seed"
git -C "$WORK/seed" init -q -b main
printf '[suite]\nname = "bench"\nenvironment = "ci"\n\n[[phase]]\nname = "noop"\nkind = "command"\ncommand = ["true"]\n' > "$WORK/seed/perfguard.toml"
git -C "$WORK/seed" add . && git -C "$WORK/seed" commit -q -m init
git clone -q --bare "$WORK/seed" "$WORK/remote.git"
python3 "$WORK/gen.py" perfguard "$RUNS" "$METRICS" | git -C "$WORK/remote.git" fast-import --quiet
git -C "$WORK/remote.git" gc -q

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git daemon --reuseaddr --export-all --listen=127.0.0.1 --port="$PORT" --base-path="$WORK" "$WORK" 2>/dev/null &
DAEMON=$!
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
URL="git://127.0.0.1:$PORT/remote.git"

# The current results: the newest run's shape, a little slower, on the clone's HEAD.
git clone -q --single-branch -b main "$URL" "$WORK/clone"
HEAD_SHA=$(git -C "$WORK/clone" rev-parse HEAD)
git -C "$WORK/remote.git" show perfguard-baselines:bench/ci/latest.json \
  | python3 -c "import json,sys; r=json.load(sys.stdin); r['git']['sha']='$HEAD_SHA'; [m.__setitem__('value', m['value']*1.03) for p in r['phases'] for m in p['metrics']]; json.dump(r, open('$WORK/current.json','w'))"

measure() { # label, then the command
  local label=$1; shift
  /usr/bin/time -v "$@" > "$WORK/out.txt" 2> "$WORK/time.txt" || true
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$WORK/time.txt" | awk '{print $NF}')
  rss=$(grep 'Maximum resident set size' "$WORK/time.txt" | awk '{print $NF}')
  printf '%-52s wall %8s   peak RSS %7.1f MB\n' "$label" "$wall" "$(echo "$rss/1024" | bc -l)"
}

echo "== perfguard compare --baseline latest: $RUNS runs x $METRICS metrics, via git daemon =="
cd "$WORK/clone"
PACK_BEFORE=$(git count-objects -v | awk '/size-pack/{print $2}')
measure "first (fetches the whole branch)" "$BIN" compare --baseline latest --current "$WORK/current.json"
grep -q "perfguard" "$WORK/out.txt" || { cat "$WORK/out.txt" "$WORK/time.txt"; exit 1; }
PACK_AFTER=$(git count-objects -v | awk '/size-pack/{print $2}')
measure "second (branch already fetched)" "$BIN" compare --baseline latest --current "$WORK/current.json"
for i in 1 2 3; do
  rm -rf "$WORK/c$i"; git clone -q --single-branch -b main "$URL" "$WORK/c$i"
  (cd "$WORK/c$i" && measure "fresh clone, run $i" "$BIN" compare --baseline latest --current "$WORK/current.json")
done
head -3 "$WORK/out.txt"
# Reference: git itself fetching the same branch into a fresh clone (what any
# git-branch store pays before it reads a byte).
rm -rf "$WORK/g"; git clone -q --single-branch -b main "$URL" "$WORK/g"
(cd "$WORK/g" && measure "reference: git fetch of the same branch" git fetch -q origin "+refs/heads/perfguard-baselines:refs/remotes/origin/perfguard-baselines")
cd - >/dev/null
echo "perfguard branch fetched into the clone: $((PACK_AFTER - PACK_BEFORE)) KiB of pack"

size_of_branch() { # repo-dir branch -> KiB of a single-branch bare clone's pack
  rm -rf "$WORK/sz.git"
  git clone -q --bare --single-branch -b "$2" "file://$1" "$WORK/sz.git"
  git -C "$WORK/sz.git" count-objects -v | awk '/size-pack/{print $2}'
}

echo "== what a clone pays: perfguard-baselines vs a growing gh-pages data.js =="
echo "perfguard-baselines, $RUNS runs, full history:  $(size_of_branch "$WORK/remote.git" perfguard-baselines) KiB"
git -C "$WORK/remote.git" show perfguard-baselines:bench/ci/latest.json > "$WORK/latest.json"
# data.js holding all RUNS runs (its final version): what even a depth-1
# gh-pages clone pays; a full clone pays every earlier version's delta too.
python3 "$WORK/gen.py" datajs-final "$RUNS" "$METRICS" > "$WORK/data.js"
RAW=$(($(stat -c %s "$WORK/data.js") / 1024))
GZ=$(($(gzip -9c "$WORK/data.js" | wc -c) / 1024))
echo "data.js with $RUNS runs (final file alone):       $RAW KiB raw, $GZ KiB gzip -9"

echo "== like for like, full history of $HISTORY_RUNS saves each =="
mkdir "$WORK/h1.git" "$WORK/h2.git"
git -C "$WORK/h1.git" init -q --bare && git -C "$WORK/h2.git" init -q --bare
python3 "$WORK/gen.py" perfguard "$HISTORY_RUNS" "$METRICS" | git -C "$WORK/h1.git" fast-import --quiet
python3 "$WORK/gen.py" datajs "$HISTORY_RUNS" "$METRICS" | git -C "$WORK/h2.git" fast-import --quiet
git -C "$WORK/h1.git" gc -q && git -C "$WORK/h2.git" gc -q
echo "perfguard-baselines, $HISTORY_RUNS saves:  $(size_of_branch "$WORK/h1.git" perfguard-baselines) KiB"
echo "gh-pages data.js,    $HISTORY_RUNS saves:  $(size_of_branch "$WORK/h2.git" gh-pages) KiB"
