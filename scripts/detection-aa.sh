#!/usr/bin/env bash
# A/A run for docs/DETECTION.md: measures unchanged code N times (default
# 50) with default settings and judges every run against the one before it
# and the runs before that, as `perfguard check` will (baseline = previous
# run, history = earlier runs) and confirms a failure by one rerun
# (`[compare] confirm = 1`, the default). Prints how many failed before and
# after confirmation.
#
#   scripts/detection-aa.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
cargo build -q --locked
bin=$PWD/target/debug/perfguard
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/perfguard.toml" <<'TOML'
[suite]
name = "aa"

[[phase]]
name = "sort"
kind = "command"
command = ["sh", "-c", "seq 1 30000 | sort -rn | head -n 1 > /dev/null"]
runs = 30
warmup = 3
TOML
mkdir -p "$work/runs"
fail=0
first=0
declare -A seen
for i in $(seq -w 1 "$n"); do
  "$bin" --color never run -c "$work/perfguard.toml" -o "$work/runs/$i.json" >/dev/null 2>&1
  runs=("$work"/runs/*.json)
  if (( ${#runs[@]} > 1 )); then
    prev=${runs[-2]}
    hist=()
    for h in "${runs[@]:0:${#runs[@]}-1}"; do hist+=(--history "$h"); done
    set +e
    "$bin" --color never compare -c "$work/perfguard.toml" --baseline "$prev" \
      --current "$work/runs/$i.json" "${hist[@]}" --format json > "$work/cmp.json"
    code=$?
    set -e
    if (( code == 1 )); then
      first=$((first + 1))
      "$bin" --color never run -c "$work/perfguard.toml" -o "$work/rerun.json" >/dev/null 2>&1
      set +e
      "$bin" --color never compare -c "$work/perfguard.toml" --baseline "$prev" \
        --current "$work/rerun.json" "${hist[@]}" --format json > /dev/null
      (( $? == 1 )) && fail=$((fail + 1))
      set -e
    fi
    for s in $(grep -o '"severity": "[a-z]*"' "$work/cmp.json" | cut -d'"' -f4); do
      seen[$s]=$(( ${seen[$s]:-0} + 1 ))
    done
  fi
done
echo "A/A: $n runs, $((10#$n - 1)) comparisons: $first failing before confirmation, $fail after (exit 1)"
for s in "${!seen[@]}"; do echo "  $s: ${seen[$s]} metric comparisons"; done | sort
