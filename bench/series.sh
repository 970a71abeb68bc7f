#!/usr/bin/env bash
# Repeats the intake benchmark N times, each after waiting for a quiet machine, so that
# a shared machine's noise shows up as spread rather than as one unlucky number.
# Usage: bench/series.sh N [extra `redress bench intake` options]
# Output: bench/out/series-<stamp>-<i>.log and the JSON summaries beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-3}"; shift || true
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p bench/out
for i in $(seq 1 "$n"); do
    bench/wait-quiet.sh 0.25 900 || true
    target/release/redress bench intake --backend both --clients 16,64 --seconds 10 --rate 2000 --rate-seconds 10 \
        --out bench/out "$@" > "bench/out/series-$stamp-$i.log" 2>&1 || echo "run $i failed" >&2
    grep -E "^machine|closed,|open,|RSS" "bench/out/series-$stamp-$i.log" >&2 || true
done
