#!/usr/bin/env bash
# Builds the release binary and runs the intake benchmark the way bench/RESULTS.md reports it.
# Usage: bench/run.sh [extra `redress bench intake` options]
#   e.g. bench/run.sh --backend sqlite --clients 16,64
#        bench/run.sh --preload 1000000 --clients 64 --rate 2000      # RSS with 1 million cases
# Needs: a PostgreSQL on 127.0.0.1:5432 reachable as postgres (or REDRESS_BENCH_PG_URL) for the
# postgres backend and the pgbench ceiling; psql and pgbench on PATH; perf or strace (optional)
# for counting fsyncs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p redress-cli
echo "== $(date -Is)  nproc=$(nproc)  kernel=$(uname -r)  load=$(cut -d' ' -f1-3 /proc/loadavg)"
free -g | sed -n 1,2p
df -h . | tail -1
exec target/release/redress bench intake --backend both --clients 16,64 --seconds 10 --rate 2000 --rate-seconds 10 --out bench/out "$@"
