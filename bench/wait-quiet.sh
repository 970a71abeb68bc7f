#!/usr/bin/env bash
# Waits until the machine is nearly idle (busy CPU below THRESHOLD cores over 5 s), so a
# benchmark measures the code and not someone else's build. Gives up after MAX_WAIT seconds.
# Usage: bench/wait-quiet.sh [THRESHOLD=0.3] [MAX_WAIT=1800] && bench/run.sh ...
set -euo pipefail
threshold="${1:-0.3}"
max_wait="${2:-1800}"
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
start=$(date +%s)
while :; do
    read -r b0 i0 < <(busy); sleep 5; read -r b1 i1 < <(busy)
    cores=$(awk -v b="$((b1 - b0))" -v n="$(nproc)" -v i="$((i1 - i0))" 'BEGIN { printf "%.2f", (b + i) ? n * b / (b + i) : 0 }')
    if awk -v c="$cores" -v t="$threshold" 'BEGIN { exit !(c < t) }'; then
        echo "quiet: ${cores} cores busy" >&2
        exit 0
    fi
    if [ $(( $(date +%s) - start )) -ge "$max_wait" ]; then
        echo "still busy after ${max_wait}s (${cores} cores); measuring anyway" >&2
        exit 1
    fi
    echo "busy: ${cores} cores; waiting" >&2
    sleep 25
done
