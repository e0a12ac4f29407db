#!/usr/bin/env bash
# Issue 11's evidence: A/A and A/B branches through `perfguard check` in
# paired mode on this machine beside a CPU hog on one core, and the same A/A
# series in baseline mode against a baseline recorded with no hog.
#
# The command is CPU-bound (an awk loop of ITER iterations, ~30 ms here);
# the A/B branch runs as many more iterations as make it 5 % slower.
# `[thresholds] minor = 3`.
# Prints, per series, how many of N runs graded `wall` minor or worse, how
# many graded `user` (the command's CPU time, which a hog sharing its core
# slows far less than wall time) minor or worse, how many failed (exit 1),
# the rounds paired mode took, the seconds per check, and the load average
# before and after the series.
#
#   scripts/paired-detection.sh [N] [ITER] [MAX_ROUNDS]
#
# MAX_ROUNDS (default 40, perfguard's default) is `[compare] max_rounds`;
# with it set, `max_time` is raised to 120 s so the rounds decide.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
iter=${2:-500000}
max_rounds=${3:-40}
cargo build -q --locked
bin=$PWD/target/debug/perfguard
work=$(mktemp -d)
hog=
cleanup() {
  [[ -n $hog ]] && kill "$hog" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export GIT_CONFIG_GLOBAL=$work/gitconfig GIT_CONFIG_NOSYSTEM=1
printf '[user]\n\tname = study\n\temail = study@example.com\n' > "$GIT_CONFIG_GLOBAL"

repo=$work/repo
mkdir -p "$repo"
cd "$repo"
git init -q -b main
cat > perfguard.toml <<'TOML'
[suite]
name = "study"

[thresholds]
minor = 3
major = 10
critical = 50
fail_on = "minor"

[compare]
confirm = 1
max_rounds = MAX_ROUNDS
max_time = "MAX_TIME"

[[phase]]
name = "cpu"
kind = "command"
command = ["awk", "BEGIN { getline n < \"iterations\"; for (i = 0; i < n; i++) s += i * i }"]
runs = 20
warmup = 2
TOML
sed -i "s/MAX_ROUNDS/$max_rounds/; s/MAX_TIME/$(( max_rounds > 40 ? 120 : 180 ))s/" perfguard.toml
echo "$iter" > iterations
git add -A && git commit -qm base
git checkout -qb aa && git commit -qm "A/A: unchanged" --allow-empty
git checkout -qb ab main
# +5 % of the command's time, not of its loop: awk's start-up does not
# grow with the iterations, so the A/B side gets 5 % of the whole run's
# time in extra iterations (per-iteration cost from runs at 0 and ITER,
# medians of 15 each, measured before the hog starts).
ab_iter=$(python3 - "$iter" <<'PY'
import statistics, subprocess, sys, time
n = int(sys.argv[1])
prog = "BEGIN { for (i = 0; i < %d; i++) s += i * i }"
def t(k):
    out = []
    for _ in range(15):
        s = time.perf_counter()
        subprocess.run(["awk", prog % k], check=True)
        out.append(time.perf_counter() - s)
    return statistics.median(out)
t0, t1 = t(0), t(n)
print(round(n + 0.05 * t1 / ((t1 - t0) / n)))
PY
)
echo "$ab_iter" > iterations
git commit -qam "A/B: 5 % more time"

start_hog() { taskset -c 0 sh -c 'while :; do :; done' & hog=$!; }
stop_hog() { kill "$hog"; wait "$hog" 2>/dev/null || true; hog=; }

# wall's severity, the exit code, the rounds and the seconds of one check.
one() {
  local t0 t1 code
  t0=$(date +%s.%N)
  set +e
  "$bin" --color never check "$@" --format json > "$work/cmp.json" 2> "$work/err.txt"
  code=$?
  set -e
  t1=$(date +%s.%N)
  jq -r --arg code "$code" --arg secs "$(echo "$t1 - $t0" | bc)" \
    '[(.comparisons[] | select(.phase == "cpu" and .metric == "wall") | .severity),
      (.comparisons[] | select(.phase == "cpu" and .metric == "user") | .severity),
      $code, (.provenance.rounds // "-"), $secs] | @tsv' "$work/cmp.json"
}

series() {
  local name=$1; shift
  local graded=0 graded_user=0 failed=0 rounds=() secs=() load
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  for _ in $(seq "$n"); do
    IFS=$'\t' read -r sev usev code r s < <(one "$@")
    case $sev in minor|major|critical) graded=$((graded + 1)) ;; esac
    case $usev in minor|major|critical) graded_user=$((graded_user + 1)) ;; esac
    if (( code == 1 )); then failed=$((failed + 1)); fi
    rounds+=("$r"); secs+=("$s")
  done
  printf '%s: %d runs, wall graded minor or worse in %d, user in %d, failed (exit 1) in %d; rounds %s; seconds per check median %s; load average %s before, %s after\n' \
    "$name" "$n" "$graded" "$graded_user" "$failed" "$(printf '%s\n' "${rounds[@]}" | sort -n | uniq -c | awk '{printf "%s×%s ", $1, $2}')" \
    "$(printf '%s\n' "${secs[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}')" \
    "$load" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "iterations $iter (A/B: $ab_iter), max_rounds $max_rounds, $(nproc) cores, hog on core 0"
start_hog
git checkout -q aa
series "paired A/A beside the hog" --mode paired --base main --no-save
git checkout -q ab
series "paired A/B (+5 %) beside the hog" --mode paired --base main --no-save
stop_hog

# Baseline mode: a quiet baseline of main, then unchanged code beside the hog.
git checkout -q main
"$bin" --color never check --mode baseline --save > /dev/null 2>&1 || true
git checkout -q aa
start_hog
series "baseline A/A, quiet baseline, busy run" --mode baseline --no-save
stop_hog
