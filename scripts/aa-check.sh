#!/usr/bin/env bash
# A/A checks: unchanged code judged against itself must pass.
#
#   scripts/aa-check.sh [PAIRS] [CHECKS]
#
# 1. PAIRS times (default 20): `perfguard run` the quickstart twice and
#    `perfguard compare` the two with default thresholds; counts passes.
# 2. CHECKS times (default 50): `perfguard check` with default settings in a
#    scratch git repository on `main` (each run saves, so each is judged
#    against the previous run and the history before it); counts exit codes.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-20}
checks=${2:-50}
cargo build -q --locked
bin=$PWD/target/debug/perfguard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pass=0
for i in $(seq 1 "$pairs"); do
  "$bin" run -c examples/quickstart.toml -o "$work/a.json" >/dev/null 2>&1
  "$bin" run -c examples/quickstart.toml -o "$work/b.json" >/dev/null 2>&1
  if "$bin" --color never compare --baseline "$work/a.json" --current "$work/b.json" \
      -c examples/quickstart.toml > "$work/cmp-$i.txt" 2>&1; then
    pass=$((pass + 1))
  else
    echo "pair $i failed:"; cat "$work/cmp-$i.txt"
  fi
done
echo "A/A run+compare: $pass of $pairs pairs passed"

repo=$work/repo
: > "$work/gitconfig"   # an empty global config, never /dev/null
mkdir "$repo"
cp examples/quickstart.toml "$repo/perfguard.toml"
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=aa -c user.email=aa@example.com add perfguard.toml
git -C "$repo" -c user.name=aa -c user.email=aa@example.com commit -qm aa
declare -A codes
for i in $(seq 1 "$checks"); do
  set +e
  (cd "$repo" && GIT_CONFIG_GLOBAL="$work/gitconfig" "$bin" --color never check > "$work/check-$i.txt" 2>&1)
  code=$?
  set -e
  codes[$code]=$(( ${codes[$code]:-0} + 1 ))
  if (( code != 0 )); then echo "check $i exited $code:"; cat "$work/check-$i.txt"; fi
done
echo "A/A check: $checks runs; exit codes:"
for c in "${!codes[@]}"; do echo "  exit $c: ${codes[$c]}"; done | sort
