#!/usr/bin/env bash
# The server's own cost: pdemu serve and the bare handler, each alone on
# core 0 with GOMAXPROCS=1, loaded by wrk alone on core 1, alternating in
# one run (round 1: bare, then pdemu; round 2: pdemu, then bare; ...).
#
#   bench/pinned.sh                      # 3 scenarios, 5 s each, 2 rounds
#   D=10s ROUNDS=4 C=64 bench/pinned.sh  # longer, steadier
#   PROFILE=dir bench/pinned.sh          # also: CPU profiles of both servers under the same load
#   PDEMU_FLAGS='--journal-size 0' bench/pinned.sh   # pdemu serve with other flags
#
# Needs wrk and taskset (Debian: apt-get install wrk util-linux) and two
# cores. Prints a Markdown table: requests per second (median over rounds)
# and the ratio pdemu/bare per round. A response other than 2xx voids the
# scenario. No test runs this: times depend on the machine.
set -euo pipefail

D=${D:-5s}
ROUNDS=${ROUNDS:-2}
C=${C:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
USERS=${USERS:-100}

source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
bench_setup pinned.sh wrk taskset curl
SECRET=$BENCH_SECRET

go build -o "$tmp/pdemu" ./cmd/pdemu
go build -o "$tmp/pdemu-target" ./bench/cmd/pdemu-target

bench_token_lua "$tmp/token.lua"

# start KIND [PROFILE_FILE]: the server alone on SERVER_CPU; sets base and token.
start() {
  local kind=$1 prof=${2:-}
  : > "$tmp/out"
  case $kind in
    bare)
      taskset -c "$SERVER_CPU" env GOMAXPROCS=1 "$tmp/pdemu-target" -target bare ${prof:+-cpuprofile "$prof"} >"$tmp/out" 2>/dev/null &
      ;;
    pdemu)
      if [ -n "$prof" ]; then
        # The same emulator as pdemu serve --freeze-clock, in a process that can profile itself.
        taskset -c "$SERVER_CPU" env GOMAXPROCS=1 "$tmp/pdemu-target" -target emulator -cpuprofile "$prof" >"$tmp/out" 2>/dev/null &
      else
        # pdemu serve at its defaults (journal on, request log at info), the log thrown away.
        taskset -c "$SERVER_CPU" env GOMAXPROCS=1 "$tmp/pdemu" serve --addr 127.0.0.1:0 --freeze-clock \
          --client-id oc_bench --client-secret "$SECRET" --project-id proj_bench ${PDEMU_FLAGS:-} >"$tmp/out" 2>/dev/null &
      fi
      ;;
  esac
  server_pid=$!
  for _ in $(seq 1 200); do
    base=$(sed -nE 's/^# .* listening on (http:\/\/[^ ]+).*/\1/p; s/^export PIPEDREAM_BASE_URL=//p' "$tmp/out" | tail -1)
    if [ -n "$base" ] && { [ "$kind" = bare ] || grep -q "PIPEDREAM_PROJECT_ENVIRONMENT\|listening" "$tmp/out"; }; then break; fi
    sleep 0.05
  done
  [ -n "$base" ] || { echo "pinned.sh: $kind did not start" >&2; exit 1; }
  if [ "$kind" = bare ]; then
    token=bare-token
    return
  fi
  token=$(curl -s "$base/v1/oauth/token" -H 'Content-Type: application/json' \
    -d "{\"grant_type\":\"client_credentials\",\"client_id\":\"oc_bench\",\"client_secret\":\"$SECRET\"}" |
    sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  for i in $(seq 1 "$USERS"); do
    curl -s -o /dev/null -X POST "$base/_emulator/projects/proj_bench/users" -H 'Content-Type: application/json' \
      -d "{\"external_id\":\"user-$i\",\"environment\":\"development\"}"
  done
}

stop() {
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# load SCENARIO DURATION: wrk alone on CLIENT_CPU; prints req/s, or VOID.
load() {
  local scenario=$1 d=$2 out
  case $scenario in
    token) out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$C" -d"$d" -s "$tmp/token.lua" "$base/v1/oauth/token") ;;
    projects) out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$C" -d"$d" -H "Authorization: Bearer $token" "$base/v1/connect/projects") ;;
    users) out=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$C" -d"$d" -H "Authorization: Bearer $token" \
      -H 'x-pd-environment: development' "$base/v1/connect/proj_bench/users?limit=10") ;;
  esac
  if grep -q "Non-2xx" <<<"$out"; then echo VOID; return; fi
  awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

scenarios=(token projects users)
declare -A rps
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order=(bare pdemu); else order=(pdemu bare); fi
  for kind in "${order[@]}"; do
    start "$kind"
    for s in "${scenarios[@]}"; do
      load "$s" 1s >/dev/null # warm-up, unmeasured
      rps[$kind,$s,$round]=$(load "$s" "$D")
    done
    stop
  done
done

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }
goal() { case $1 in token) echo 0.5;; *) echo 0.7;; esac; }

echo "server: core $SERVER_CPU, GOMAXPROCS=1; wrk: core $CLIENT_CPU, -t1 -c$C -d$D; $ROUNDS rounds, alternating"
echo
echo "| scenario | bare req/s | pdemu req/s | ratio (per round) | goal |"
echo "|---|---:|---:|---|---:|"
for s in "${scenarios[@]}"; do
  bare_all=() pdemu_all=() ratios=()
  void=""
  for round in $(seq 1 "$ROUNDS"); do
    b=${rps[bare,$s,$round]} p=${rps[pdemu,$s,$round]}
    if [ "$b" = VOID ] || [ "$p" = VOID ]; then void=" VOID"; continue; fi
    bare_all+=("$b") pdemu_all+=("$p")
    ratios+=("$(awk -v p="$p" -v b="$b" 'BEGIN {printf "%.2f", p/b}')")
  done
  if [ -n "$void" ]; then echo "| $s | | | VOID: a non-2xx answer | $(goal "$s") |"; continue; fi
  bm=$(printf '%s\n' "${bare_all[@]}" | median) pm=$(printf '%s\n' "${pdemu_all[@]}" | median)
  rm_=$(printf '%s\n' "${ratios[@]}" | median)
  printf '| %s | %.0f | %.0f | **%.2fx** (%s) | %sx |\n' "$s" "$bm" "$pm" "$rm_" "${ratios[*]}" "$(goal "$s")"
done

if [ -n "${PROFILE:-}" ]; then
  mkdir -p "$PROFILE"
  for kind in bare pdemu; do
    for s in "${scenarios[@]}"; do
      start "$kind" "$PROFILE/$kind-$s.prof"
      load "$s" "$D" >/dev/null
      stop
    done
  done
  cp "$tmp/pdemu-target" "$PROFILE/"
  echo
  echo "CPU profiles of each server under each scenario's load: $PROFILE/{bare,pdemu}-{token,projects,users}.prof"
  echo "(go tool pprof -top -cum $PROFILE/pdemu-target $PROFILE/pdemu-token.prof)"
fi
