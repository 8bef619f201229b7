#!/usr/bin/env bash
# Requests per second and latency through HAProxy with 1, 2 and 3 flowgate
# replicas in cluster mode on one Redis (all on this machine, loopback), in
# interleaved rounds, next to one replica served directly (HAProxy's own
# cost). The flow is the Ignite token flow (GET /jwt/generate, HS256).
# Run by hand, not in CI:
#
#   tools/bench/cluster.sh [ROUNDS=3] [DURATION=10] [CONNECTIONS=64]
#
# On a machine with fewer cores than replicas, the replicas share the same
# cores with each other, Redis, HAProxy and wrk: the figures show what the
# cluster costs there, not how it scales.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
DURATION=${2:-10}
CONNS=${3:-64}
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.3; rm -rf "$WORK"; }
trap cleanup EXIT
for tool in wrk redis-server curl; do command -v "$tool" >/dev/null || { echo "needs $tool"; exit 1; }; done
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ -x "$HAPROXY" ] || { echo "needs haproxy"; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== building the release binary" >&2
cargo build --release -q -p flowgate
FG=target/release/flowgate
export FLOWGATE_CREDENTIAL_SECRET="bench-credential-secret-0123456789abcdef"

RPORT=$(free_port)
redis-server --save "" --appendonly no --bind 127.0.0.1 --port "$RPORT" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
sleep 0.5

PORTS=()
for i in 1 2 3; do
  port=$(free_port)
  mkdir -p "$WORK/r$i"
  cp flows/ignite-jwt.json "$WORK/r$i/flows.json"
  "$FG" run "$WORK/r$i/flows.json" --port "$port" --cluster "redis://127.0.0.1:$RPORT/0" \
    --replica-name "r$i" --metrics-public >"$WORK/r$i.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/jwt/generate" && break; sleep 0.1; done
  PORTS+=("$port")
done

# One HAProxy per cluster size, each balancing over the first N replicas.
declare -A FRONT
for n in 1 2 3; do
  fport=$(free_port)
  {
    printf 'global\n  maxconn 4096\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n'
    printf 'frontend f\n  bind 127.0.0.1:%s\n  default_backend b\nbackend b\n  balance roundrobin\n  option httpchk GET /health\n' "$fport"
    for i in $(seq 1 "$n"); do printf '  server r%s 127.0.0.1:%s check inter 1s\n' "$i" "${PORTS[$((i-1))]}"; done
  } >"$WORK/haproxy$n.cfg"
  "$HAPROXY" -db -f "$WORK/haproxy$n.cfg" >"$WORK/haproxy$n.log" 2>&1 &
  PIDS+=($!)
  FRONT[$n]=$fport
done
sleep 1.5

RESULTS="$WORK/results.tsv"
: >"$RESULTS"
for round in $(seq 1 "$ROUNDS"); do
  for setup in direct 1 2 3; do
    if [ "$setup" = direct ]; then url="http://127.0.0.1:${PORTS[0]}/jwt/generate"; else url="http://127.0.0.1:${FRONT[$setup]}/jwt/generate"; fi
    wrk -t2 -c"$CONNS" -d3s "$url" >/dev/null
    out=$(wrk -t2 -c"$CONNS" -d"${DURATION}"s --latency "$url")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v} else {sub(/s$/,"",v); print v*1000}}'; }
    p50=$(awk '/ 50%/ {print $2}' <<<"$out" | to_ms)
    p99=$(awk '/ 99%/ {print $2}' <<<"$out" | to_ms)
    errs=$(awk '/Non-2xx/ {print $4}' <<<"$out")
    printf '%s\t%s\t%s\t%s\t%s\n' "$setup" "$round" "$rps" "$p50" "$p99" >>"$RESULTS"
    echo "round $round, $setup: $rps req/s, p50 $p50 ms, p99 $p99 ms ${errs:+non-2xx $errs}" >&2
  done
done

python3 - "$RESULTS" "$CONNS" "$DURATION" <<'PY'
import sys, statistics, os, datetime, subprocess
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
conns, dur = sys.argv[2], sys.argv[3]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
print(f"Cluster benchmark {datetime.date.today()}, commit {commit}: {os.cpu_count()} cores ({cpu}), {mem} GiB RAM; "
      f"wrk -t2 -c{conns}, {dur} s per run, medians of {len(rows)//4} interleaved rounds.\n")
print("| setup | req/s | p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
names = {"direct": "one replica, no balancer", "1": "HAProxy, 1 replica", "2": "HAProxy, 2 replicas", "3": "HAProxy, 3 replicas"}
for setup in ["direct", "1", "2", "3"]:
    rs = [r for r in rows if r[0] == setup]
    med = lambda i: statistics.median(float(r[i]) for r in rs)
    print(f"| {names[setup]} | {med(2):,.0f} | {med(3):.2f} | {med(4):.2f} |")
PY
