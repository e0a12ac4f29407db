#!/usr/bin/env bash
# Soak of a sharded run: SHARDS shards of one HTTP phase (CONNS connections
# split between them) against nginx on 127.0.0.1 for SOAK seconds, lined up
# with --start-at. Each shard's resident memory is read from /proc 5 s into
# the load, half-way and 5 s before the end; then the shards are merged and
# the merged run is summarized.
#
#   cargo build --release --locked
#   scripts/soak-shards.sh                  # SHARDS=2 CONNS=50 SOAK=300
#
# Needs: nginx, python3, curl, bc.
set -euo pipefail
cd "$(dirname "$0")/.."

SHARDS=${SHARDS:-2}
CONNS=${CONNS:-50}
SOAK=${SOAK:-300}
PORT=${PORT:-18091}
PERFGUARD=${PERFGUARD:-$PWD/target/release/perfguard}

for tool in nginx python3 curl bc "$PERFGUARD"; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

work=$(mktemp -d)
chmod 755 "$work"
source "$(dirname "$0")/nginx.sh"
start_nginx "$work" "$PORT"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/index.html" >/dev/null 2>&1 && break; sleep 0.1; done

cat > "$work/perfguard.toml" <<TOML
[suite]
name = "soak"
environment = "bench"

[[phase]]
name = "nginx"
kind = "http"
base_url = "http://127.0.0.1:$PORT"
vus = $CONNS
duration = "${SOAK}s"
[[phase.step]]
path = "/index.html"
TOML

start_at=$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)
for i in $(seq 0 $((SHARDS - 1))); do
  "$PERFGUARD" run -c "$work/perfguard.toml" --shard "$i/$SHARDS" --start-at "$start_at" \
    -o "$work/shard-$i.json" >/dev/null 2>"$work/shard-$i.log" &
  pids+=("$!")
done
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
sample() { for pid in "${pids[@]}"; do printf '%s ' "$(rss "$pid")"; done; }
sleep 8   # up to 3 s until --start-at, then 5 s of load
at_start=$(sample)
sleep $((SOAK / 2 - 5))
at_middle=$(sample)
sleep $((SOAK / 2 - 10))
at_end=$(sample)
for pid in "${pids[@]}"; do wait "$pid"; done
pids=()
files=()
for i in $(seq 0 $((SHARDS - 1))); do files+=("$work/shard-$i.json"); done
"$PERFGUARD" merge "${files[@]}" -o "$work/merged.json" 2>/dev/null

echo "perfguard $("$PERFGUARD" --version | awk '{print $2}'), nginx $(nginx -v 2>&1 | cut -d/ -f2), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
echo "$SHARDS shards sharing $CONNS connections, ${SOAK}s, started together at $start_at"
printf '| shard | RSS at 5 s | at %s s | at %s s | growth | requests |\n| --- | ---: | ---: | ---: | ---: | ---: |\n' $((SOAK / 2)) $((SOAK - 5))
read -r -a s <<< "$at_start"
read -r -a m <<< "$at_middle"
read -r -a e <<< "$at_end"
for i in $(seq 0 $((SHARDS - 1))); do
  requests=$(python3 -c 'import json,sys; print(int(next(m["value"] for m in json.load(open(sys.argv[1]))["phases"][0]["metrics"] if m["name"] == "requests")))' "$work/shard-$i.json")
  printf '| %s/%s | %s MiB | %s MiB | %s MiB | %+.1f MiB | %s |\n' "$i" "$SHARDS" "${s[$i]}" "${m[$i]}" "${e[$i]}" \
    "$(echo "${e[$i]} - ${s[$i]}" | bc -l)" "$requests"
done
python3 - "$work/merged.json" <<'PY'
import json, sys
m = {x["name"]: x["value"] for x in json.load(open(sys.argv[1]))["phases"][0]["metrics"]}
print(f"merged: {int(m['requests'])} requests, {m['throughput']:.0f}/s, p50 {m['latency.p50'] / 1e3:.0f} µs, p99 {m['latency.p99'] / 1e3:.0f} µs, error_rate {m['error_rate']}")
PY
