#!/usr/bin/env bash
# Regenerate tools/symbol-order.txt: the functions flowgate runs while it
# starts, loads the Ignite flow and its benchmark variants and serves their
# endpoints, recorded exactly with valgrind's callgrind on a release build.
#
# build.rs hands the list to the linker (lld's --symbol-ordering-file), which
# places those functions side by side at the start of .text: the kernel maps
# executable pages in large runs, so code scattered over the binary makes the
# whole binary resident, while grouped code keeps the resident set small
# (see docs/performance.md). Symbols that no longer exist after a dependency
# or compiler update are skipped by the linker, so a stale list only loses
# some of the effect; rerun this after such updates.
#
#   tools/bench/order-symbols.sh        (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v valgrind >/dev/null || { echo "needs valgrind (apt-get install valgrind)"; exit 1; }
PORT=19831
SECRET="order-secret-0123456789abcdef0123456789abcdef"
WORK=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT

# Without the old list: the functions are recorded by the names this build gives them.
FLOWGATE_SYMBOL_ORDER=none cargo build --release -q -p flowgate
BIN="$WORK/flowgate"
cp target/release/flowgate "$BIN"

source tools/bench/flowgate-flows.sh
write_bench_flows "$WORK" "$SECRET"

valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/callgrind.out" \
  "$BIN" run "$WORK/flows.json" --port "$PORT" >"$WORK/run.log" 2>&1 &
PID=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 240); do curl -fs -o /dev/null "$base/jwt/generate" && break; sleep 0.5; done
token=$(curl -fsS "$base/jwt/generate" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for _ in $(seq 1 20); do
  curl -fs -o /dev/null "$base/jwt/generate"
  curl -fs -o /dev/null -H "Authorization: Bearer $token" "$base/jwt/verify"
  curl -s -o /dev/null -H "Authorization: Bearer x.y.z" "$base/jwt/verify"
  curl -s -o /dev/null "$base/no-such-endpoint"
done
for _ in $(seq 1 3); do curl -fs -o /dev/null "$base/jwt/generate-rs"; done
curl -fs -o /dev/null "$base/flows"
curl -fs -o /dev/null "$base/settings"
kill -INT "$PID"
wait "$PID" || true
PID=""

python3 - "$WORK/callgrind.out" "$BIN" > tools/symbol-order.txt <<'PY'
import re, sys
out, binary = sys.argv[1], sys.argv[2]
objects, functions, current, seen = {}, {}, None, {}
for line in open(out):
    m = re.match(r"^(c?ob|c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if not m:
        continue
    kind, idx, name = m.groups()
    table = objects if kind.endswith("ob") else functions
    if name is not None:
        table[idx] = name
    if kind == "ob":
        current = objects[idx]
    elif kind == "fn" and current == binary:
        seen.setdefault(functions[idx], None)
print("\n".join(seen))
PY
echo "tools/symbol-order.txt: $(wc -l < tools/symbol-order.txt) functions" >&2
