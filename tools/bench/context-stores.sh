#!/usr/bin/env bash
# Cost per message of a context store: one function node doing a global
# get + set per request, served with the memory store and with a Redis store
# (a redis-server of its own on a free loopback port), measured with wrk at
# one connection (latency per message) and at 16 (throughput), in
# interleaved rounds.
#   tools/bench/context-stores.sh [path/to/flowgate] [rounds]
set -euo pipefail
BIN="${1:-target/release/flowgate}"
ROUNDS="${2:-3}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cat > "$WORK/flows.json" <<'JSON'
[{"id":"t","type":"tab"},
 {"id":"in","type":"http in","z":"t","url":"/c","method":"get","wires":[["fn"]]},
 {"id":"fn","type":"function","z":"t","func":"var n = (global.get('count') || 0) + 1;\nglobal.set('count', n);\nmsg.payload = { n: n };\nreturn msg;","outputs":1,"wires":[["out"]]},
 {"id":"out","type":"http response","z":"t","wires":[]}]
JSON
RPORT="$(free_port)"
redis-server --save "" --appendonly no --bind 127.0.0.1 --port "$RPORT" >/dev/null &
PIDS+=($!)
sleep 0.5
start() { # name spec -> port
  local port; port="$(free_port)"
  "$BIN" run "$WORK/flows.json" --port "$port" --context "default=$2" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/c" && break; sleep 0.1; done
  echo "$port"
}
MEM="$(start memory memory)"
RED="$(start redis "redis://127.0.0.1:$RPORT/0")"
for r in $(seq 1 "$ROUNDS"); do
  for s in memory redis; do
    port=$MEM; [ "$s" = redis ] && port=$RED
    c1="$(wrk -t1 -c1 -d5s --latency "http://127.0.0.1:$port/c" | awk '/Requests\/sec/{print $2} / 50%/{print "p50="$2} / 99%/{print "p99="$2}' | tr '\n' ' ')"
    c16="$(wrk -t1 -c16 -d5s "http://127.0.0.1:$port/c" | awk '/Requests\/sec/{print $2}')"
    echo "round $r $s: c1 req/s $c1| c16 req/s $c16"
  done
done
