#!/usr/bin/env bash
# Side-by-side benchmark: flowgate vs Node-RED 4 (node-red-contrib-jwt) vs a
# hand-written axum + jsonwebtoken handler ("limit"), one server at a time on
# loopback, under the same wrk load, in interleaved rounds (A B C A B C ...)
# so machine noise hits all three alike. Run by hand, not in CI:
#
#   tools/bench/compare.sh [ROUNDS=3] [DURATION=10] [CONNECTIONS=64]
#
# VARIANTS="hs256 compute" runs only those endpoints (default: all). The
# compute variants (`compute`: a body with a loop, string building and
# JSON.stringify; `kore`: the Kore token service, POST with a JSON
# identity) run the same function bodies on flowgate and Node-RED; the limit
# has no such endpoint and sits them out.
#
# NODE_RED_DIR=<folder with node_modules/node-red and node-red-contrib-jwt>
# reuses an existing install instead of installing into a temporary folder.
#
# Prints a markdown table (req/s, p50, p99, peak RSS, anonymous memory at the
# end of the run, start-to-first-response)
# and the ratios flowgate/Node-RED and flowgate/limit from the medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
DURATION=${2:-10}
CONNS=${3:-64}
WARMUP=3
PORT_FG=19801 PORT_NR=19802 PORT_LIMIT=19803
SECRET="bench-secret-0123456789abcdef0123456789abcdef"
WORK=$(mktemp -d)
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)"; exit 1; }
command -v openssl >/dev/null || { echo "needs openssl"; exit 1; }

echo "== building release binaries" >&2
cargo build --release -q -p flowgate -p flowgate-limit
FG=target/release/flowgate LIMIT=target/release/flowgate-limit

if [ -n "${NODE_RED_DIR:-}" ]; then
  NR_DIR=$(cd "$NODE_RED_DIR" && pwd)
else
  NR_DIR="$WORK/nr"
  echo "== installing Node-RED 4 + node-red-contrib-jwt into $NR_DIR" >&2
  mkdir -p "$NR_DIR" && (cd "$NR_DIR" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund node-red@4 node-red-contrib-jwt >/dev/null)
fi
NR_VERSION=$(node -p "require('$NR_DIR/node_modules/node-red/package.json').version")

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/rsa.pem" 2>/dev/null

# flowgate: the Ignite flow and the Kore token service verbatim plus the
# RS256 / verify / compute variants, with the secrets in the credentials
# file (the Kore flow reads its own from the environment).
python3 - "$WORK" "$SECRET" <<'PY'
import json, sys
work, secret = sys.argv[1], sys.argv[2]
ignite = json.load(open("flows/ignite-jwt.json"))
variants = json.load(open("tools/bench/flows/flowgate-variants.json"))
kore = json.load(open("flows/kore-sts.json"))
json.dump(ignite + variants + kore, open(f"{work}/fg.json", "w"))
pem = open(f"{work}/rsa.pem").read()
json.dump({"766dcb94.6ebc04": {"secret": secret}, "hs-config": {"secret": secret},
           "rs-config": {"privatekey": pem}}, open(f"{work}/fg_cred.json", "w"))
nr = open("tools/bench/flows/nodered-jwt.json").read()
nr = nr.replace("__SECRET__", secret).replace("__RSA_KEY_PATH__", f"{work}/rsa.pem")
open(f"{work}/nr.json", "w").write(nr)
PY
# The Kore token service's request: a JSON identity plus claims that pass
# through or are dropped.
KORE_BODY='{"identity":"user@example.com","isAnonymous":false,"locale":"en-GB","iss":"ignored"}'
printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = %s\n' \
  "'$KORE_BODY'" > "$WORK/kore.lua"
mkdir -p "$WORK/nr-user"

PIDS=()
start_server() { # name url-path -> "pid start-ms" once it answers the path with 200
  local name=$1 path=$2 port
  port=$(port_of "$name")
  case $name in
    flowgate) KORE_CLIENT_ID=bench-client KORE_CLIENT_SECRET=$SECRET RUST_LOG=warn tools/bench/start_probe.py "$port" "$path" -- "$FG" run "$WORK/fg.json" --port "$PORT_FG" ;;
    nodered)  tools/bench/start_probe.py "$port" "$path" --cwd "$NR_DIR" -- node node_modules/node-red/red.js -u "$WORK/nr-user" -p "$PORT_NR" "$WORK/nr.json" ;;
    limit)    BENCH_SECRET=$SECRET BENCH_RSA_KEY="$WORK/rsa.pem" tools/bench/start_probe.py "$port" "$path" -- "$LIMIT" "$PORT_LIMIT" ;;
  esac
}

stop_server() { # pid: stop it and wait until it is gone
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 500); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.01; done
  kill -9 "$1" 2>/dev/null || true
}

port_of() { case $1 in flowgate) echo $PORT_FG;; nodered) echo $PORT_NR;; limit) echo $PORT_LIMIT;; esac; }

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
TOKEN=""
for variant in ${VARIANTS:-hs256 rs256 verify compute kore}; do
  servers="limit flowgate nodered"
  case $variant in
    hs256) path=/jwt/generate ;;
    rs256) path=/jwt/generate-rs ;;
    verify) path=/jwt/verify ;;
    compute) path=/compute servers="flowgate nodered" ;;
    kore) path=/api/users/sts/ servers="flowgate nodered" ;;
  esac
  for round in $(seq 1 "$ROUNDS"); do
    for server in $servers; do
      port=$(port_of $server)
      url="http://127.0.0.1:$port$path"
      hdr=()
      if [ $variant = kore ]; then
        # POST: curl sends the body, wrk its script; the probe GETs Ignite's endpoint.
        hdr=(-H "Content-Type: application/json" -d "$KORE_BODY")
        read -r pid startms < <(start_server $server /jwt/generate)
      elif [ $variant = verify ]; then
        if [ -z "$TOKEN" ]; then
          read -r lp _ < <(start_server limit /jwt/generate)
          PIDS+=("$lp")
          TOKEN=$(curl -fsS "http://127.0.0.1:$PORT_LIMIT/jwt/generate" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
          stop_server "$lp"
        fi
        hdr=(-H "Authorization: Bearer $TOKEN")
        # First response: the plain generate endpoint (no token needed).
        read -r pid startms < <(start_server $server /jwt/generate)
      else
        read -r pid startms < <(start_server $server "$path")
      fi
      PIDS+=("$pid")
      # Every server must give the same kind of answer before it is timed.
      code=$(curl -s -o /dev/null -w '%{http_code}' "${hdr[@]}" "$url")
      [ "$code" = 200 ] || { echo "$server answered $code on $path" >&2; exit 1; }
      # Both servers ran the same body: their answers must match.
      if [ $variant = compute ]; then
        curl -fsS "$url" > "$WORK/compute.$server"
        [ ! -f "$WORK/compute.flowgate" ] || [ ! -f "$WORK/compute.nodered" ] \
          || cmp -s "$WORK/compute.flowgate" "$WORK/compute.nodered" \
          || { echo "flowgate and Node-RED answer /compute differently" >&2; exit 1; }
      fi
      # The Kore token: signed with the secret, for the posted identity, with
      # the claims that pass through and without the registered ones posted.
      if [ $variant = kore ]; then
        curl -fsS "${hdr[@]}" "$url" | python3 -c '
import base64, hashlib, hmac, json, sys
token = json.load(sys.stdin)["jwt"]
head, body, sig = token.split(".")
pad = lambda s: s + "=" * (-len(s) % 4)
mac = hmac.new(sys.argv[1].encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
assert base64.urlsafe_b64decode(pad(sig)) == mac, "signature does not verify"
claims = json.loads(base64.urlsafe_b64decode(pad(body)))
assert claims["sub"] == "user@example.com" and claims["locale"] == "en-GB", claims
assert claims.get("iss") != "ignored", claims
' "$SECRET" || { echo "$server: the Kore token does not verify" >&2; exit 1; }
      fi
      load=("${hdr[@]}")
      [ $variant = kore ] && load=(-s "$WORK/kore.lua")
      wrk -t2 -c"$CONNS" -d${WARMUP}s "${load[@]}" "$url" >/dev/null
      out=$(wrk -t2 -c"$CONNS" -d"${DURATION}"s --latency "${load[@]}" "$url")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p50=$(awk '$1=="50%" {print $2}' <<<"$out")
      p99=$(awk '$1=="99%" {print $2}' <<<"$out")
      errs=$(awk '/Non-2xx/ {print $5}' <<<"$out")
      rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
      anon=$(awk '/RssAnon/ {print $2}' /proc/$pid/status 2>/dev/null || echo 0)
      stop_server "$pid"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$server" "$round" "$rps" "$p50" "$p99" "$rss" "$startms" "$anon" >> "$RESULTS"
      echo "$variant round $round $server: $rps req/s, p50 $p50, p99 $p99, rss ${rss}kB (anon ${anon}kB), start ${startms}ms ${errs:+non-2xx $errs}" >&2
      sleep 1
    done
  done
done

# Start-up on its own: STARTS cold starts of each server, interleaved, each
# timed from just before exec to the first 200 on the Ignite endpoint. The
# load rounds above time one start each, right after another server's load
# run, where a loaded machine makes single readings noisy.
STARTS=${STARTS:-10}
: > "$WORK/starts.tsv"
for _ in $(seq 1 "$STARTS"); do
  for server in limit flowgate nodered; do
    read -r pid startms < <(start_server $server /jwt/generate)
    PIDS+=("$pid")
    stop_server "$pid"
    printf '%s\t%s\n' "$server" "$startms" >> "$WORK/starts.tsv"
  done
done

FG_VERSION="$("$FG" --version | awk '{print $2}') ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
CPU=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
python3 - "$RESULTS" "$NR_VERSION" "$(nproc)" "$(free -g | awk '/Mem:/ {print $2}')" "$DURATION" "$CONNS" \
  "$FG_VERSION" "$(node --version)" "$CPU" "$ROUNDS" "$WORK/starts.tsv" <<'PY'
import sys, statistics, datetime
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
nr_version, cores, mem, dur, conns, fg_version, node_version, cpu, rounds, starts_file = sys.argv[2:]
starts = [l.rstrip("\n").split("\t") for l in open(starts_file)]
def ms(v):
    v = v.strip()
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)
def med(vals): return statistics.median(vals)
print(f"Benchmark {datetime.date.today()}: {cores} cores ({cpu}), {mem} GiB RAM; wrk -t2 -c{conns}, "
      f"3 s warm-up + {dur} s, median of {rounds} interleaved rounds; flowgate {fg_version}, "
      f"Node-RED {nr_version} on Node.js {node_version} with node-red-contrib-jwt.\n")
print("| endpoint | server | req/s | p50 ms | p99 ms | peak RSS MiB | anon MiB | first response ms |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
summary = {}
for variant in ("hs256", "rs256", "verify", "compute", "kore"):
    for server in ("flowgate", "nodered", "limit"):
        rs = [r for r in rows if r[0] == variant and r[1] == server]
        if not rs: continue
        rps = med([float(r[3]) for r in rs]); p50 = med([ms(r[4]) for r in rs]); p99 = med([ms(r[5]) for r in rs])
        rss = med([int(r[6]) for r in rs]) / 1024; start = med([int(r[7]) for r in rs])
        anon = med([int(r[8]) for r in rs]) / 1024
        summary[(variant, server)] = (rps, p99, rss)
        print(f"| {variant} | {server} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {rss:.1f} | {anon:.1f} | {start:.0f} |")
# Ratios per round (the three servers of one round ran back to back, so they
# share that moment's machine noise), then the median over rounds.
def by_round(variant, server):
    return {r[2]: r for r in rows if r[0] == variant and r[1] == server}
def ratio(variant, a, b, col, conv=float):
    ra, rb = by_round(variant, a), by_round(variant, b)
    pairs = [conv(ra[k][col]) / conv(rb[k][col]) for k in ra if k in rb and conv(rb[k][col])]
    return med(pairs) if pairs else float("nan")
print("\nRatios: median over rounds of each round's ratio.\n")
print("| endpoint | flowgate / Node-RED req/s | flowgate / limit req/s | p99 flowgate / limit | peak RSS flowgate / limit | p99 Node-RED / flowgate |")
print("|---|---:|---:|---:|---:|---:|")
for variant in ("hs256", "rs256", "verify", "compute", "kore"):
    if not by_round(variant, "flowgate"):
        continue
    print(f"| {variant} | {ratio(variant, 'flowgate', 'nodered', 3):.1f}x "
          f"| {100 * ratio(variant, 'flowgate', 'limit', 3):.0f} % "
          f"| {ratio(variant, 'flowgate', 'limit', 5, ms):.2f}x "
          f"| {ratio(variant, 'flowgate', 'limit', 6):.2f}x "
          f"| {ratio(variant, 'nodered', 'flowgate', 5, ms):.1f}x |")
print("\n| server | cold starts | first response ms: median | p90 | worst |")
print("|---|---:|---:|---:|---:|")
for server in ("flowgate", "nodered", "limit"):
    ms_ = sorted(int(r[1]) for r in starts if r[0] == server)
    if ms_:
        p90 = ms_[min(len(ms_) - 1, int(round(0.9 * (len(ms_) - 1))))]
        print(f"| {server} | {len(ms_)} | {statistics.median(ms_):.0f} | {p90} | {ms_[-1]} |")
PY
