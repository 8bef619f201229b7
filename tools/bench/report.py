#!/usr/bin/env python3
"""The tables of docs/performance.md from a tools/bench/compare.sh run.

    report.py RESULTS_TSV STARTS_TSV VARIANTS_TSV

RESULTS_TSV: variant, server, round, req/s, p50, p99 (wrk units), peak RSS
kB, first response ms, anonymous RSS kB, non-2xx; STARTS_TSV: server, ms;
VARIANTS_TSV: variant, "METHOD /path". The run's conditions come from the
environment compare.sh sets (CPU, CORES, MEM, KERNEL, versions, COMMIT,
ROUNDS, DURATION, CONNS, WARMUP).
"""
import datetime
import os
import statistics
import sys

SERVERS = ("flowgate", "nodered", "limit-aws-lc", "limit-rustcrypto")
LABEL = {"flowgate": "flowgate", "nodered": "Node-RED",
         "limit-aws-lc": "limit (AWS-LC)", "limit-rustcrypto": "limit (RustCrypto)"}


def ms(v):
    v = v.strip()
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit):
            return float(v[: -len(unit)]) * f
    return float(v)


def main():
    rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
    starts = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip()]
    variants = [l.rstrip("\n").split("\t") for l in open(sys.argv[3]) if l.strip()]
    env = os.environ.get
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"Run of {now}, commit `{env('COMMIT')}`.\n")
    print(f"- Machine: {env('CPU')}, {env('CORES')} cores, {env('MEM')} GiB RAM, Linux {env('KERNEL')}.")
    print(f"- Versions: flowgate {env('FG_VERSION')} (release build, rustc {env('RUSTC')}); "
          f"Node-RED {env('NR_VERSION')} with node-red-contrib-jwt {env('CONTRIB_VERSION')} "
          f"on Node.js {env('NODE_VERSION')}.")
    print(f"- Load: `wrk -t2 -c{env('CONNS')}`, {env('WARMUP')} s warm-up + {env('DURATION')} s "
          f"measured, median of {env('ROUNDS')} interleaved rounds.\n")

    def of(variant, server):
        return [r for r in rows if r[0] == variant and r[1] == server]

    med = statistics.median
    print("| variant | server | req/s | p50 ms | p99 ms | peak RSS MiB | anon MiB | first response ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for variant, request in variants:
        first = True
        for server in SERVERS:
            rs = of(variant, server)
            if not rs:
                continue
            name = f"{variant} (`{request}`)" if first else ""
            first = False
            print(f"| {name} | {LABEL[server]} | {med(float(r[3]) for r in rs):,.0f} "
                  f"| {med(ms(r[4]) for r in rs):.2f} | {med(ms(r[5]) for r in rs):.2f} "
                  f"| {med(int(r[6]) for r in rs) / 1024:.1f} | {med(int(r[8]) for r in rs) / 1024:.1f} "
                  f"| {med(int(r[7]) for r in rs):.0f} |")

    # Ratios per round (the servers of one round ran back to back, so they
    # share that moment's noise), then the median over rounds.
    def ratio(variant, a, b, col, conv=float):
        ra = {r[2]: r for r in of(variant, a)}
        rb = {r[2]: r for r in of(variant, b)}
        pairs = [conv(ra[k][col]) / conv(rb[k][col]) for k in ra if k in rb and conv(rb[k][col])]
        return med(pairs) if pairs else None

    def fmt(value, kind):
        if value is None:
            return "–"
        return f"{100 * value:.0f} %" if kind == "%" else f"{value:.2f}×" if kind == "x2" else f"{value:.1f}×"

    print("\nRatios: the median over rounds of each round's ratio.\n")
    print("| variant | flowgate / Node-RED req/s | flowgate / limit (AWS-LC) req/s "
          "| flowgate / limit (RustCrypto) req/s | p99 flowgate / Node-RED | p99 flowgate / limit (AWS-LC) "
          "| peak RSS flowgate / limit (AWS-LC) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for variant, _ in variants:
        if not of(variant, "flowgate"):
            continue
        print(f"| {variant} | {fmt(ratio(variant, 'flowgate', 'nodered', 3), 'x')} "
              f"| {fmt(ratio(variant, 'flowgate', 'limit-aws-lc', 3), '%')} "
              f"| {fmt(ratio(variant, 'flowgate', 'limit-rustcrypto', 3), '%')} "
              f"| {fmt(ratio(variant, 'flowgate', 'nodered', 5, ms), 'x2')} "
              f"| {fmt(ratio(variant, 'flowgate', 'limit-aws-lc', 5, ms), 'x2')} "
              f"| {fmt(ratio(variant, 'flowgate', 'limit-aws-lc', 6), 'x2')} |")

    print("\nFirst response after a cold start, from exec to the first `200`:\n")
    print("| server | cold starts | median ms | p90 ms | worst ms |")
    print("|---|---:|---:|---:|---:|")
    for server in SERVERS:
        times = sorted(int(r[1]) for r in starts if r[0] == server)
        if times:
            p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
            print(f"| {LABEL[server]} | {len(times)} | {med(times):.0f} | {p90} | {times[-1]} |")

    failed = [r for r in rows if r[9] not in ("", "0")]
    for r in failed:
        print(f"\nWarning: {LABEL[r[1]]} answered {r[9]} non-2xx responses on {r[0]} in round {r[2]}.")


if __name__ == "__main__":
    main()
