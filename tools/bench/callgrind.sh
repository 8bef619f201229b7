#!/usr/bin/env bash
# Instructions per request, counted by valgrind's callgrind: a measure of the
# request path that does not move with machine noise, for comparing builds
# (before/after a change) where wrk's req/s cannot tell a few percent apart.
#
#   tools/bench/callgrind.sh [BINARY=target/release/flowgate] [PATH=/jwt/generate]
#
# KEEP=FILE keeps the longer run's profile there (for callgrind_annotate).
# BODY='{"identity":"a@b.c"}' POSTs that JSON body instead of a GET (the Kore
# token service at /api/users/sts/).
#
# Runs BINARY on the Ignite flow (plus the benchmark variants) twice under
# callgrind, once answering 20 requests and once 1,020; the difference over
# 1,000 is the cost of one request with start-up taken out. Prints that and
# the functions with the largest inclusive share of the longer run.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)"; exit 1; }
BIN=$(realpath "${1:-target/release/flowgate}")
ENDPOINT=${2:-/jwt/generate}
PORT=19832
SECRET="callgrind-secret-0123456789abcdef0123456789abcdef"
WORK=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
source tools/bench/flowgate-flows.sh
write_bench_flows "$WORK" "$SECRET"

run() { # requests -> total instructions
  local n=$1 out="$WORK/cg.$1" base="http://127.0.0.1:$PORT"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN" run "$WORK/flows.json" --port "$PORT" >/dev/null 2>&1 &
  PID=$!
  for _ in $(seq 1 240); do curl -fs -o /dev/null "$base/jwt/generate" && break; sleep 0.5; done
  local hdr=()
  if [ -n "${BODY:-}" ]; then
    hdr=(-H "Content-Type: application/json" -d "$BODY")
  fi
  if [ "$ENDPOINT" = /jwt/verify ]; then
    hdr=(-H "Authorization: Bearer $(curl -fsS "$base/jwt/generate" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')")
  fi
  # One connection, keep-alive, like a load generator's.
  local urls=()
  for _ in $(seq 1 "$n"); do urls+=("$base$ENDPOINT"); done
  curl -fs "${hdr[@]}" "${urls[@]}" >/dev/null
  kill -INT "$PID"; wait "$PID" || true; PID=""
  awk '/^summary:|^totals:/ {print $2; exit}' "$out"
}
# The metrics recorder calibrates its clock (quanta) at start-up by reading
# the time in a loop for as long as it takes, so each run's start-up costs a
# different number of instructions (±4,000 per request in the difference).
# The second figure leaves that loop out of both runs: compare builds by it.
calibration() { # callgrind file -> instructions in the once-only initializers
  callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
    awk '/OnceCell<T>::initialize::\{\{closure\}\} / { gsub(",", "", $1); if ($1 > m) m = $1 } END { print m + 0 }'
}
short=$(run 20)
long=$(run 1020)
steady=$(( (long - $(calibration "$WORK/cg.1020")) - (short - $(calibration "$WORK/cg.20")) ))
echo "$(basename "$BIN") $ENDPOINT: $(( (long - short) / 1000 )) instructions per request ($(( steady / 1000 )) without the start-up clock calibration)"
[ -n "${KEEP:-}" ] && cp "$WORK/cg.1020" "$KEEP"
callgrind_annotate --inclusive=yes "$WORK/cg.1020" 2>/dev/null | grep -E "^ *[0-9,]+ \\([ 0-9.]+%\\) " | grep -E "flowgate_|jsonwebtoken|rhai::|serde_json::(ser|de)::|hyper::proto::h1::role" | head -25
