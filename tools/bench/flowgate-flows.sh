# Sourced by the bench scripts that run flowgate alone (callgrind.sh,
# order-symbols.sh): the Ignite flow, the Kore token service and the
# benchmark variants, with their secrets in a credentials file beside it
# (the Kore flow's in the environment, exported here).
#
#   write_bench_flows DIR SECRET   -> DIR/rsa.pem, DIR/flows.json, DIR/flows_cred.json
write_bench_flows() {
  local dir=$1 secret=$2
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/rsa.pem" 2>/dev/null
  python3 - "$dir" "$secret" <<'PY'
import json, sys
work, secret = sys.argv[1], sys.argv[2]
flows = (json.load(open("flows/ignite-jwt.json")) + json.load(open("tools/bench/flows/flowgate-variants.json"))
         + json.load(open("flows/kore-sts.json")))
json.dump(flows, open(f"{work}/flows.json", "w"))
json.dump({"766dcb94.6ebc04": {"secret": secret}, "hs-config": {"secret": secret},
           "rs-config": {"privatekey": open(f"{work}/rsa.pem").read()}},
          open(f"{work}/flows_cred.json", "w"))
PY
  export KORE_CLIENT_ID=bench-client KORE_CLIENT_SECRET=$secret
}
