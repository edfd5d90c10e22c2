# Shared by bench/pinned.sh and bench/curve.sh (sourced, not run): the
# checks both need, a temporary directory that goes with the script, the
# server process it stops on the way out, and wrk's token request.

# bench_setup NAME TOOL...: cd to the repository, require the tools and two
# cores, make $tmp, and stop $server_pid and remove $tmp on exit.
bench_setup() {
  local name=$1 tool
  shift
  cd "$(dirname "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")")"
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$name: $tool is missing (apt-get install wrk util-linux curl)" >&2; exit 2; }
  done
  if [ "$(nproc --all)" -lt 2 ]; then echo "$name: needs two cores" >&2; exit 2; fi
  tmp=$(mktemp -d)
  server_pid=""
  trap bench_cleanup EXIT
}

bench_cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}

# BENCH_SECRET is the bench client's secret (pdemu-target seeds it; pinned.sh
# gives it to pdemu serve).
BENCH_SECRET=bench-secret-0123456789abcdef

# bench_token_lua FILE: a wrk script that POSTs the bench client's token
# request as JSON.
bench_token_lua() {
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.body = '{"grant_type":"client_credentials","client_id":"oc_bench","client_secret":"$BENCH_SECRET"}'
wrk.headers["Content-Type"] = "application/json"
LUA
}
