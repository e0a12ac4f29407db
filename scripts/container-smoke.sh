#!/usr/bin/env bash
# Run perfguard's container image the way the Actions runner runs a container
# action: INPUT_* and GITHUB_* variables, the workspace at /github/workspace as
# the working directory, /github/file_commands for GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY, the event at /github/workflow/event.json,
# --network=host to reach a local recording GitHub stand-in, with the action's
# own arguments (`check`) in a git workspace owned by another user. Checks the
# exit code, the outputs, the summary, the comment request, that the token is
# never printed, that a pull request saves nothing and a push saves.
#
#   scripts/container-smoke.sh                       # builds the whole Dockerfile (compile stage included)
#   IMAGE=localhost/perfguard scripts/container-smoke.sh    # an image already built
#   PERFGUARD_BIN=target/release/perfguard scripts/container-smoke.sh
#                                                    # the `prebuilt` stage around that binary
#
# Needs podman (or CONTAINER_ENGINE=docker). BUILD_FLAGS adds flags to the
# build, for example the offline cargo registry mounts of a mirror.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${CONTAINER_ENGINE:-podman}
tmp=$(mktemp -d)
stub=""
trap '[ -n "$stub" ] && kill "$stub" 2>/dev/null; rm -rf "$tmp"' EXIT

if [ -n "${IMAGE:-}" ]; then
  image=$IMAGE
elif [ -n "${PERFGUARD_BIN:-}" ]; then
  # A build context holding only the binary, where the prebuilt stage expects it.
  mkdir -p "$tmp/ctx/target/release"
  cp "$PERFGUARD_BIN" "$tmp/ctx/target/release/perfguard"
  cp Dockerfile "$tmp/ctx/"
  image=localhost/perfguard:smoke
  # shellcheck disable=SC2086
  "$engine" build -q ${BUILD_FLAGS:-} --target prebuilt -t "$image" "$tmp/ctx" >/dev/null
else
  image=localhost/perfguard:smoke
  # shellcheck disable=SC2086
  "$engine" build -q ${BUILD_FLAGS:-} --build-arg GIT_SHA="$(git rev-parse HEAD 2>/dev/null || true)" \
    -t "$image" . >/dev/null
fi
"$engine" run --rm "$image" --version

python3 scripts/github-stub.py "$tmp/port" "$tmp/requests.jsonl" & stub=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
port=$(cat "$tmp/port")

ws="$tmp/workspace"; fc="$tmp/file_commands"; mkdir -p "$ws" "$fc"
: > "$fc/output"; : > "$fc/summary"
# The user's repository, as actions/checkout leaves it: a perfguard.toml whose
# criterion no run can meet, so the verdict is `fail` whatever the timings.
cat > "$ws/perfguard.toml" <<'TOML'
[suite]
name = "api"
environment = "ci"

[[phase]]
name = "startup"
kind = "command"
command = ["true"]
runs = 5
criteria = { "wall" = "< 1ns" }
TOML
git -C "$ws" init -q -b main
git -C "$ws" -c user.name=t -c user.email=t@example.com add perfguard.toml
git -C "$ws" -c user.name=t -c user.email=t@example.com commit -qm init
python3 - "$tmp/event.json" <<'PY'
import json, sys
e = json.load(open("tests/fixtures/github/pull_request_opened.json"))
for side in ("base", "head"):
    e["pull_request"][side]["repo"]["full_name"] = "octo/api"
e["repository"]["full_name"] = "octo/api"
json.dump(e, open(sys.argv[1], "w"))
PY
chmod -R a+rwX "$tmp"
# The runner's workspace belongs to another user than the container's.
chown -R 65534:65534 "$ws" 2>/dev/null || true

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
  "$image" check \
  > "$tmp/stdout" 2> "$tmp/stderr"
code=$?
set -e

fail() { echo "container smoke: FAIL: $*"; echo "--- stdout"; cat "$tmp/stdout"; echo "--- stderr"; cat "$tmp/stderr"; exit 1; }
[ "$code" = 1 ] || fail "exit $code, expected 1 (failed criterion)"
grep -q '^::error title=perfguard api' "$tmp/stdout" || fail "no ::error annotation"
grep -q 'perfguard · api · fail' "$fc/summary" || fail "no job summary"
grep -q 'no baseline yet' "$fc/summary" || fail "summary does not say there is no baseline yet"
grep -qx 'fail' "$fc/output" || fail "no verdict output"
grep -q 'issuecomment-1000' "$fc/output" || fail "no comment-url output"
grep -q '"method": "POST", "path": "/repos/octo/api/issues/2/comments", "auth": true' "$tmp/requests.jsonl" || fail "no comment request"
[ -f "$ws/perfguard-report/api.md" ] || fail "no saved report"
if grep -v '^::add-mask::' "$tmp/stdout" "$tmp/stderr" | grep -q ghs_smoke_token; then fail "token printed"; fi
# A pull request never saves a baseline.
git -c safe.directory="*" -C "$ws" rev-parse -q --verify HEAD >/dev/null || fail "workspace is not readable as a repository"
if git -c safe.directory="*" -C "$ws" rev-parse -q --verify refs/heads/perfguard-baselines >/dev/null; then fail "a pull request saved a baseline"; fi
# A push to the default branch saves the run as a baseline (no remote in this
# workspace: the branch stays in the repository).
python3 - "$tmp/push.json" <<'PY'
import json, sys
e = json.load(open("tests/fixtures/github/push.json"))
e["ref"] = "refs/heads/main"
e["repository"]["full_name"] = "octo/api"
e["repository"]["default_branch"] = "main"
json.dump(e, open(sys.argv[1], "w"))
PY
chmod a+r "$tmp/push.json"
set +e
"$engine" run --rm --network=host \
  -e GITHUB_ACTIONS=true -e CI=true \
  -e GITHUB_EVENT_NAME=push -e GITHUB_EVENT_PATH=/github/workflow/event.json -e GITHUB_REF=refs/heads/main \
  -e GITHUB_REPOSITORY=octo/api -e GITHUB_RUN_ID=778 \
  -e GITHUB_API_URL="http://127.0.0.1:$port" -e GITHUB_SERVER_URL=https://github.com \
  -e GITHUB_WORKSPACE=/github/workspace \
  -e GITHUB_OUTPUT=/github/file_commands/output -e GITHUB_STEP_SUMMARY=/github/file_commands/summary \
  -e INPUT_TOKEN=ghs_smoke_token -e INPUT_SAVE=auto \
  -v "$ws:/github/workspace" -v "$fc:/github/file_commands" -v "$tmp/push.json:/github/workflow/event.json:ro" \
  -w /github/workspace \
  "$image" check \
  > "$tmp/stdout" 2> "$tmp/stderr"
push_code=$?
set -e
[ "$push_code" = 1 ] || fail "push: exit $push_code, expected 1 (failed criterion)"
grep -q 'saved baseline api/ci/runs/' "$tmp/stderr" || fail "push: not saved"
git -c safe.directory="*" -C "$ws" ls-tree -r --name-only perfguard-baselines | grep -q '^api/ci/latest.json$' \
  || fail "push: no api/ci/latest.json on the baseline branch"
if grep -v '^::add-mask::' "$tmp/stdout" "$tmp/stderr" | grep -q ghs_smoke_token; then fail "push: token printed"; fi

echo "container smoke: ok (exit $code; image $image, $("$engine" image ls "$image" --format '{{.Size}}'))"
