#!/usr/bin/env bash
# HTTP load benchmark: perfguard beside wrk and oha against nginx serving a
# small static file on 127.0.0.1, with the same connections and duration.
# Prints requests per second (median of ROUNDS, as ratios), perfguard's CPU
# time per request and peak memory, then perfguard's memory at the start,
# middle and end of a SOAK-second run.
#
#   cargo build --release --locked
#   scripts/bench-http.sh                  # CONNS=50 DURATION=10 ROUNDS=3 SOAK=300
#
# Needs: nginx, wrk (apt-get install nginx wrk), oha (cargo install oha
# --locked), python3, GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-50}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
SOAK=${SOAK:-300}
PORT=${PORT:-18090}
PERFGUARD=${PERFGUARD:-$PWD/target/release/perfguard}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
THREADS=${THREADS:-$(nproc)}

for tool in nginx wrk "$OHA" "$PERFGUARD" python3 /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

work=$(mktemp -d)
chmod 755 "$work"
source "$(dirname "$0")/nginx.sh"
start_nginx "$work" "$PORT"
trap 'kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
URL="http://127.0.0.1:$PORT/index.html"
for _ in $(seq 50); do curl -fs "$URL" >/dev/null 2>&1 && break; sleep 0.1; done

pg_config() { # duration
  cat > "$work/perfguard.toml" <<EOF
[[phase]]
name = "nginx"
kind = "http"
base_url = "http://127.0.0.1:$PORT"
vus = $CONNS
duration = "$1s"
[[phase.step]]
path = "/index.html"
EOF
}

run_wrk() {
  wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" "$URL" | awk '/Requests\/sec/ {print $2}'
}
run_oha() {
  "$OHA" -c "$CONNS" -z "${DURATION}s" --no-tui --output-format json "$URL" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["requestsPerSec"])'
}
run_perfguard() { # prints: rps cpu_seconds max_rss_kib requests
  pg_config "$DURATION"
  /usr/bin/time -f "%U %S %M" -o "$work/time" \
    "$PERFGUARD" run -c "$work/perfguard.toml" -o "$work/pg.json" >/dev/null 2>&1 || true
  python3 - "$work/pg.json" "$work/time" <<'EOF'
import json, sys
m = {x["name"]: x["value"] for x in json.load(open(sys.argv[1]))["phases"][0]["metrics"]}
u, s, rss = open(sys.argv[2]).read().split()[-3:]
print(m["throughput"], float(u) + float(s), rss, int(m["requests"]))
EOF
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "nginx $(nginx -v 2>&1 | cut -d/ -f2), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $("$OHA" --version), perfguard $("$PERFGUARD" --version | awk '{print $2}')"
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $CONNS connections, ${DURATION}s, $ROUNDS rounds, nginx 1 worker"
: > "$work/wrk"; : > "$work/oha"; : > "$work/pg"
for round in $(seq "$ROUNDS"); do
  run_wrk >> "$work/wrk"
  run_oha >> "$work/oha"
  run_perfguard >> "$work/pg"
  echo "round $round: wrk $(tail -1 "$work/wrk")/s, oha $(tail -1 "$work/oha")/s, perfguard $(tail -1 "$work/pg" | awk '{print $1}')/s" >&2
done
wrk_rps=$(median < "$work/wrk")
oha_rps=$(median < "$work/oha")
pg_rps=$(awk '{print $1}' "$work/pg" | median)
cpu_us=$(awk '{print $2 / $4 * 1e6}' "$work/pg" | median)
rss_mib=$(awk '{print $3 / 1024}' "$work/pg" | sort -g | tail -1)
printf '| tool | requests/s (median) | perfguard ÷ tool |\n| --- | ---: | ---: |\n'
printf '| wrk | %.0f | %.2f× |\n' "$wrk_rps" "$(echo "$pg_rps / $wrk_rps" | bc -l)"
printf '| oha | %.0f | %.2f× |\n' "$oha_rps" "$(echo "$pg_rps / $oha_rps" | bc -l)"
printf '| perfguard | %.0f | 1.00× |\n' "$pg_rps"
printf '\nperfguard CPU time per request: %.2f µs; peak RSS: %.1f MiB\n' "$cpu_us" "$rss_mib"

if [ "$SOAK" -gt 0 ]; then
  pg_config "$SOAK"
  "$PERFGUARD" run -c "$work/perfguard.toml" -o "$work/soak.json" >/dev/null 2>&1 &
  pid=$!
  rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
  sleep 5; start=$(rss)
  sleep $((SOAK / 2 - 5)); middle=$(rss)
  sleep $((SOAK / 2 - 10)); end=$(rss)
  wait "$pid" || true
  soak_rps=$(python3 -c 'import json,sys; print(round(next(m["value"] for m in json.load(open(sys.argv[1]))["phases"][0]["metrics"] if m["name"] == "throughput")))' "$work/soak.json")
  printf '\nsoak %ss at %s connections (%s requests/s): perfguard RSS start (5s) %s MiB, middle (%ss) %s MiB, end (%ss) %s MiB\n' \
    "$SOAK" "$CONNS" "$soak_rps" "$start" $((SOAK / 2)) "$middle" $((SOAK - 5)) "$end"
fi
