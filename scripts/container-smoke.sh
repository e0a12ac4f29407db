#!/usr/bin/env bash
# Build the image's `prebuilt` stage around a locally built perfguard and run
# it the way the Actions runner runs a container action: INPUT_* and GITHUB_*
# variables, the workspace at /github/workspace as the working directory,
# /github/file_commands for GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, the event at
# /github/workflow/event.json, --network=host to reach a local recording
# GitHub stand-in. Checks the exit code, the outputs, the summary and the
# comment request.
#
#   /work/shared/tools/container/setup.sh     # once: podman + local debian:bookworm-slim
#   export CONTAINERS_CONF=/work/shared/tools/container/containers.conf
#   scripts/container-smoke.sh                # PERFGUARD_BIN=path to use another binary,
#                                             # CONTAINER_ENGINE=docker on a GitHub runner
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${CONTAINER_ENGINE:-podman}
bin=${PERFGUARD_BIN:-target/debug/perfguard}
[ -x "$bin" ] || cargo build --locked
tmp=$(mktemp -d)
stub=""
trap '[ -n "$stub" ] && kill "$stub" 2>/dev/null; rm -rf "$tmp"' EXIT

# A build context holding only the binary, where the prebuilt stage expects it.
mkdir -p "$tmp/ctx/target/release"
cp "$bin" "$tmp/ctx/target/release/perfguard"
strip "$tmp/ctx/target/release/perfguard" 2>/dev/null || true
"$engine" build -q --target prebuilt -f Dockerfile -t localhost/perfguard:smoke "$tmp/ctx" >/dev/null
"$engine" run --rm localhost/perfguard:smoke --version

python3 scripts/github-stub.py "$tmp/port" "$tmp/requests.jsonl" & stub=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")

ws="$tmp/workspace"; fc="$tmp/file_commands"; mkdir -p "$ws" "$fc"
: > "$fc/output"; : > "$fc/summary"
run() { # suite sha wall_ns
  printf '{"schema_version":1,"suite":"api","environment":{"key":"ci","os":"linux","arch":"x86_64","cpu_model":"t","cores":2,"memory_bytes":1},"git":{"sha":"%s"},"started_at":"2026-11-21T12:00:00Z","finished_at":"2026-11-21T12:01:00Z","phases":[{"name":"startup","kind":"command","metrics":[{"name":"wall","unit":"ns","direction":"lower","value":%s}]}]}' "$1" "$2"
}
run 1a2b3c4d5e6f70819283746556473829101a2b3c 100000000 > "$ws/baseline.json"
run 36afaef2afdf0ce794d7e4663e7f327664aaa4d7 161000000 > "$ws/current.json"
python3 - "$tmp/event.json" <<'PY'
import json, sys
e = json.load(open("tests/fixtures/github/pull_request_opened.json"))
for side in ("base", "head"):
    e["pull_request"][side]["repo"]["full_name"] = "octo/api"
e["repository"]["full_name"] = "octo/api"
json.dump(e, open(sys.argv[1], "w"))
PY
chmod -R a+rwX "$tmp"

set +e
"$engine" run --rm --network=host \
  -e GITHUB_ACTIONS=true -e CI=true \
  -e GITHUB_EVENT_NAME=pull_request -e GITHUB_EVENT_PATH=/github/workflow/event.json \
  -e GITHUB_REPOSITORY=octo/api -e GITHUB_RUN_ID=777 \
  -e GITHUB_API_URL="http://127.0.0.1:$port" -e GITHUB_SERVER_URL=https://github.com \
  -e GITHUB_WORKSPACE=/github/workspace \
  -e GITHUB_OUTPUT=/github/file_commands/output -e GITHUB_STEP_SUMMARY=/github/file_commands/summary \
  -e INPUT_TOKEN=ghs_smoke_token -e INPUT_FAIL-ON=critical -e INPUT_COMMENT=always \
  -v "$ws:/github/workspace" -v "$fc:/github/file_commands" -v "$tmp/event.json:/github/workflow/event.json:ro" \
  -w /github/workspace \
  localhost/perfguard:smoke compare --baseline baseline.json --current current.json --github \
  > "$tmp/stdout" 2> "$tmp/stderr"
code=$?
set -e

fail() { echo "container smoke: FAIL: $*"; echo "--- stdout"; cat "$tmp/stdout"; echo "--- stderr"; cat "$tmp/stderr"; exit 1; }
[ "$code" = 1 ] || fail "exit $code, expected 1 (critical regression)"
grep -q '^::error title=perfguard api%3A startup wall::critical regression' "$tmp/stdout" || fail "no ::error annotation"
grep -q 'fail: 1 regression (1 critical)' "$fc/summary" || fail "no job summary"
grep -qx 'fail' "$fc/output" || fail "no verdict output"
grep -q 'issuecomment-1000' "$fc/output" || fail "no comment-url output"
grep -q '"method": "POST", "path": "/repos/octo/api/issues/2/comments", "auth": true' "$tmp/requests.jsonl" || fail "no comment request"
[ -f "$ws/perfguard-report/api.md" ] || fail "no saved report"
if grep -v '^::add-mask::' "$tmp/stdout" "$tmp/stderr" | grep -q ghs_smoke_token; then fail "token printed"; fi
echo "container smoke: ok (exit $code; image $("$engine" image ls localhost/perfguard:smoke --format '{{.Size}}'))"
