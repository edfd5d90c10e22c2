#!/usr/bin/env bash
# What a handler's own work costs in the pinned-core ratio: the bare handler
# against itself plus a busy loop of W per request, each alone on core 0
# with GOMAXPROCS=1, loaded by wrk alone on core 1, alternating in one run.
#
#   bench/curve.sh                               # W = 1 2 4 8 17.5 µs, 3 s each, 2 rounds
#   WORK='3us 5us' D=5s ROUNDS=4 bench/curve.sh
#
# A ratio of 1.0 would mean the work is free. The token row's 17.5 µs is one
# Ed25519 signature on the machine these figures were taken on (measure
# yours: go test -run XXX -bench Sign ./emulator/internal/token). Prints a
# Markdown table. No test runs this: times depend on the machine.
set -euo pipefail

D=${D:-3s}
ROUNDS=${ROUNDS:-2}
C=${C:-64}
WORK=${WORK:-1us 2us 4us 8us 17.5us}

source "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib.sh"
bench_setup curve.sh wrk taskset
go build -o "$tmp/pdemu-target" ./bench/cmd/pdemu-target
bench_token_lua "$tmp/post.lua"

# rps WORK SCENARIO: req/s of the bare handler with WORK per request.
rps() {
  taskset -c 0 env GOMAXPROCS=1 "$tmp/pdemu-target" -target bare -work "$1" >"$tmp/out" 2>/dev/null &
  server_pid=$!
  local base=""
  for _ in $(seq 1 100); do
    base=$(sed -nE 's/^# .* listening on (http:\/\/[^ ]+).*/\1/p' "$tmp/out")
    [ -n "$base" ] && break
    sleep 0.05
  done
  [ -n "$base" ] || { echo "curve.sh: pdemu-target did not start" >&2; exit 1; }
  local args=(-H "Authorization: Bearer x" "$base/v1/connect/projects")
  [ "$2" = post ] && args=(-s "$tmp/post.lua" "$base/v1/oauth/token")
  taskset -c 1 wrk -t1 -c"$C" -d1s "${args[@]}" >/dev/null
  taskset -c 1 wrk -t1 -c"$C" -d"$D" "${args[@]}" | awk '/^Requests\/sec:/ {print $2}'
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

echo "bare handler + W of busy work per request, over the bare handler: core 0, GOMAXPROCS=1; wrk: core 1, -t1 -c$C -d$D; $ROUNDS rounds, alternating"
echo
echo "| W | GET ratio (per round) | GET µs per request, bare -> with W | POST ratio (per round) |"
echo "|---:|---|---|---|"
for w in $WORK; do
  row="| $w |"
  for s in get post; do
    ratios=() us=""
    for round in $(seq 1 "$ROUNDS"); do
      if [ $((round % 2)) = 1 ]; then b=$(rps 0 $s); x=$(rps "$w" $s); else x=$(rps "$w" $s); b=$(rps 0 $s); fi
      ratios+=("$(awk -v x="$x" -v b="$b" 'BEGIN {printf "%.2f", x/b}')")
      [ -z "$us" ] && us=$(awk -v x="$x" -v b="$b" 'BEGIN {printf "%.1f -> %.1f", 1e6/b, 1e6/x}')
    done
    med=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}')
    if [ $s = get ]; then row+=" **${med}x** (${ratios[*]}) | $us |"; else row+=" **${med}x** (${ratios[*]}) |"; fi
  done
  echo "$row"
done
