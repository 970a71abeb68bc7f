#!/bin/bash
# Time until a server on a large database has loaded its similar-case index (bench/RESULTS.md,
# "Server start with 1 million cases"). Usage: bench/serve_start.sh BINARY [DATABASE_URL] [INDEX_DIR]
# Prints the wall time, the process's CPU seconds, its RSS and the server's own log line.
set -euo pipefail
B=${1:?usage: bench/serve_start.sh BINARY [DATABASE_URL] [INDEX_DIR]}
DB=${2:-sqlite://bench/out/s1m.db}
IX=${3:-bench/out/ix1m}
LOG=$(mktemp)
"$B" serve --database "$DB" --no-demo --listen 127.0.0.1:0 --index-dir "$IX" >"$LOG" 2>&1 &
P=$!
trap 'kill $P 2>/dev/null || true; rm -f "$LOG"' EXIT
start=$(date +%s.%N)
until grep -q "similar-case index loaded" "$LOG"; do
  if ! kill -0 $P 2>/dev/null; then echo "the server stopped:" >&2; cat "$LOG" >&2; exit 1; fi
  sleep 0.5
done
end=$(date +%s.%N)
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14+$15)/hz}' /proc/$P/stat)
rss=$(awk '/VmRSS/ {print $2 / 1024 " MiB"}' /proc/$P/status)
echo "wall $(echo "$end - $start" | bc) s, CPU $cpu s, RSS $rss"
grep -o 'similar-case index loaded.*' "$LOG"
