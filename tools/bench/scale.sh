#!/usr/bin/env bash
# Scale of the release binary on generated flows (the shape nodes/benches/scale.rs
# uses: `http in` → 8 junctions → `http response` groups): for 100, 1,000 and
# 10,000 nodes, the wall time and peak RSS of `flowgate check` (parse +
# validate + build every node), and the RSS of `flowgate run` once it serves.
# The in-process timings (load/validate, route lookup with 10 vs 1,000
# endpoints, 50-node chain) are the criterion benches: `cargo bench --bench scale`.
#
#   tools/bench/scale.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -q -p flowgate
FG=target/release/flowgate
WORK=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=19851

echo "| nodes | endpoints | check wall ms (best of 5) | check peak RSS MiB | serving RSS MiB |"
echo "|---:|---:|---:|---:|---:|"
for n in 100 1000 10000; do
  python3 - "$n" "$WORK/flow-$n.json" <<'PY'
import json, sys
n, path = int(sys.argv[1]), sys.argv[2]
nodes = [{"id": "tab", "type": "tab", "label": "generated"}]
i = 0
while len(nodes) < n:
    chain = [f"j{i}_{k}" for k in range(8)]
    nodes.append({"id": f"in{i}", "type": "http in", "z": "tab", "url": f"/ep/{i}/:id",
                  "method": "get", "x": 100, "y": i * 40, "wires": [[chain[0]]]})
    for k, cid in enumerate(chain):
        nxt = chain[k + 1] if k + 1 < len(chain) else f"out{i}"
        nodes.append({"id": cid, "type": "junction", "z": "tab", "x": 200 + k * 20, "y": i * 40, "wires": [[nxt]]})
    nodes.append({"id": f"out{i}", "type": "http response", "z": "tab", "statusCode": "",
                  "headers": {}, "x": 400, "y": i * 40, "wires": []})
    i += 1
nodes = nodes[:n]
ids = {x["id"] for x in nodes}
for x in nodes:
    if "wires" in x:
        x["wires"] = [[t for t in port if t in ids] for port in x["wires"]]
json.dump(nodes, open(path, "w"))
PY
  best=""; peak=0
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N)
    /usr/bin/time -f %M -o "$WORK/rss" "$FG" check "$WORK/flow-$n.json" > "$WORK/out"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ -z "$best" ] || [ "$ms" -lt "$best" ] && best=$ms
    peak=$(cat "$WORK/rss")
  done
  endpoints=$(grep -o '[0-9]* endpoints' "$WORK/out" | awk '{print $1}')
  RUST_LOG=warn "$FG" run "$WORK/flow-$n.json" --port $PORT --no-admin > /dev/null 2>&1 & PID=$!
  for _ in $(seq 1 500); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/ep/0/x" && break; sleep 0.01; done
  serving=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
  printf '| %s | %s | %s | %.1f | %.1f |\n' "$n" "$endpoints" "$best" "$(echo "$peak/1024" | bc -l)" "$(echo "$serving/1024" | bc -l)"
done
