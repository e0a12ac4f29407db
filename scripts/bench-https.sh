#!/usr/bin/env bash
# HTTPS and HTTP/2 load benchmark: perfguard beside oha against nginx on
# 127.0.0.1 serving a 612-byte static file over TLS (a certificate made here
# with openssl: a leaf, CA:FALSE, as rustls refuses a CA certificate used as
# the server's own), with the same connections and duration: HTTP/1.1 over TLS,
# then HTTP/2 (one stream per connection for both tools, oha's default).
# Both tools run interleaved in every round, so they see the same machine.
# Prints requests per second per round and the medians, as ratios.
#
#   cargo build --release --locked
#   scripts/bench-https.sh                  # CONNS=50 DURATION=10 ROUNDS=3
#
# Needs: nginx (with the ssl and http2 modules, as Debian's), openssl, oha
# (cargo install oha --locked), python3, curl, bc.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNS=${CONNS:-50}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-18443}
PERFGUARD=${PERFGUARD:-$PWD/target/release/perfguard}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}

for tool in nginx openssl "$OHA" "$PERFGUARD" python3 curl bc; do
  command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 2; }
done

work=$(mktemp -d)
chmod 755 "$work"
source "$(dirname "$0")/nginx.sh"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
start_nginx "$work" "$PORT" " ssl http2" "ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;"
trap 'kill "$(cat "$work/nginx.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
URL="https://127.0.0.1:$PORT/index.html"
for _ in $(seq 50); do curl -fsk "$URL" >/dev/null 2>&1 && break; sleep 0.1; done

run_oha() { # extra oha flags
  "$OHA" -c "$CONNS" -z "${DURATION}s" --no-tui --insecure --output-format json "$@" "$URL" 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["summary"]["requestsPerSec"])'
}
run_perfguard() { # http_version
  cat > "$work/perfguard.toml" <<TOML
[[phase]]
name = "nginx"
kind = "http"
base_url = "https://127.0.0.1:$PORT"
ca_file = "cert.pem"
http_version = "$1"
vus = $CONNS
duration = "${DURATION}s"
[[phase.step]]
path = "/index.html"
TOML
  "$PERFGUARD" run -c "$work/perfguard.toml" -o "$work/pg.json" >/dev/null 2>&1 || true
  python3 - "$work/pg.json" <<'PY'
import json, sys
m = {x["name"]: x["value"] for x in json.load(open(sys.argv[1]))["phases"][0]["metrics"]}
assert m["error_rate"] == 0, m
print(m["throughput"])
PY
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "nginx $(nginx -v 2>&1 | cut -d/ -f2), $("$OHA" --version), perfguard $("$PERFGUARD" --version | awk '{print $2}')"
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)); $CONNS connections, ${DURATION}s, $ROUNDS rounds, nginx 1 worker"
for mode in h1 h2; do
  : > "$work/oha-$mode"
  : > "$work/pg-$mode"
done
for round in $(seq "$ROUNDS"); do
  run_oha >> "$work/oha-h1"
  run_perfguard "1.1" >> "$work/pg-h1"
  run_oha --http2 >> "$work/oha-h2"
  run_perfguard "2" >> "$work/pg-h2"
  echo "round $round: https/1.1 oha $(tail -1 "$work/oha-h1")/s perfguard $(tail -1 "$work/pg-h1")/s; http/2 oha $(tail -1 "$work/oha-h2")/s perfguard $(tail -1 "$work/pg-h2")/s" >&2
done
printf '| protocol | oha requests/s | perfguard requests/s | perfguard ÷ oha |\n| --- | ---: | ---: | ---: |\n'
for mode in h1 h2; do
  oha_rps=$(median < "$work/oha-$mode")
  pg_rps=$(median < "$work/pg-$mode")
  if [ "$mode" = h1 ]; then label="HTTP/1.1 over TLS"; else label="HTTP/2 over TLS"; fi
  printf '| %s | %.0f | %.0f | %.2f× |\n' "$label" "$oha_rps" "$pg_rps" "$(echo "$pg_rps / $oha_rps" | bc -l)"
done
