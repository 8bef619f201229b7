#!/usr/bin/env bash
# Soak: a bounded loopback load on the Ignite flow for DURATION seconds (default
# 300) with a full redeploy every 10 s. Passes when no request failed and RSS
# and open file descriptors end close to where they started. Run by hand:
#
#   tools/bench/soak.sh [DURATION=300] [CONNECTIONS=32]
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${1:-300}
CONNS=${2:-32}
PORT=18950
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }

cargo build --release -q -p flowgate
cp flows/ignite-jwt.json "$WORK/flows.json"
RUST_LOG=warn target/release/flowgate run "$WORK/flows.json" --port $PORT >"$WORK/log" 2>&1 &
PID=$!
for _ in $(seq 1 500); do curl -fsS -o /dev/null "http://127.0.0.1:$PORT/jwt/generate" && break; sleep 0.01; done

sample() { echo "rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$PID/status) fds=$(ls /proc/$PID/fd | wc -l)"; }
# Warm up so allocator pools and connection buffers are in steady state.
wrk -t2 -c"$CONNS" -d5s "http://127.0.0.1:$PORT/jwt/generate" >/dev/null
START=$(sample)
echo "start: $START"

wrk -t2 -c"$CONNS" -d"${DURATION}"s "http://127.0.0.1:$PORT/jwt/generate" >"$WORK/wrk.out" &
WRK=$!
deploys=0 failed_deploys=0
end=$(( $(date +%s) + DURATION - 5 ))
while [ "$(date +%s)" -lt "$end" ]; do
  sleep 10
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PORT/flows" \
    -H 'content-type: application/json' -H 'Node-RED-Deployment-Type: full' --data-binary @"$WORK/flows.json")
  deploys=$((deploys + 1))
  [ "$code" = 204 ] || failed_deploys=$((failed_deploys + 1))
done
wait $WRK
END=$(sample)
cat "$WORK/wrk.out"
echo "end:   $END"
echo "deploys: $deploys (failed: $failed_deploys)"
non2xx=$(awk '/Non-2xx/ {print $5}' "$WORK/wrk.out")
sockerr=$(grep -c "Socket errors" "$WORK/wrk.out" || true)
echo "non-2xx responses: ${non2xx:-0}; socket error lines: $sockerr"
if [ -n "${non2xx}" ] || [ "$sockerr" != 0 ] || [ "$failed_deploys" != 0 ]; then
  echo "SOAK FAILED"; exit 1
fi
echo "SOAK PASSED"
