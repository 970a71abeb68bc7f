#!/usr/bin/env bash
# Routing classifier benchmark, in one run: builds the release binary, trains on
# ../shared/data/messages-train.csv (timed), evaluates on messages-dev.csv as pre-segmented text
# and as raw text (the same messages with their spaces removed, through jieba), runs the
# scikit-learn reference (bench/text_baseline.py) and prints both macro-F1 side by side.
# Usage: bench/text.sh [--record]    --record appends the summary to bench/RESULTS.md
# Output: bench/out/text-*.log, bench/out/routing.model, bench/out/text-summary.md
set -euo pipefail
cd "$(dirname "$0")/.."
data="${REDRESS_TEXT_DATA:-../shared/data}"
out=bench/out
mkdir -p "$out"
record=false
[ "${1:-}" = "--record" ] && record=true

cargo build --release -p redress-cli
bin=target/release/redress

# Raw-text form of the dev set: subject empty, content = the text with its spaces removed.
python3 - "$data/messages-dev.csv" "$out/messages-dev-raw.csv" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f, open(sys.argv[2], "w", newline="", encoding="utf-8") as g:
    w = csv.writer(g)
    w.writerow(["subject", "content", "label"])
    for r in csv.DictReader(f):
        w.writerow(["", "".join(r["text"].split()), r["label"]])
EOF

# Measure on a quiet machine if possible (other benchmarks share it).
quiet="not checked"
if [ -x bench/wait-quiet.sh ]; then
    quiet=$(bench/wait-quiet.sh 0.3 "${REDRESS_TEXT_WAIT:-600}" 2>&1 | tail -1 || true)
fi
load=$(cut -d' ' -f1-3 /proc/loadavg)

if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$bin" model train --data "$data/messages-train.csv" --out "$out/routing.model" \
        > "$out/text-train.log" 2> "$out/text-train.time"
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$out/text-train.time")
    rss_mb=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$out/text-train.time")
    train_time="${wall} wall, peak RSS ${rss_mb} MB"
else
    start=$(date +%s.%N)
    "$bin" model train --data "$data/messages-train.csv" --out "$out/routing.model" > "$out/text-train.log"
    train_time="$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s wall"
fi
cat "$out/text-train.log"
fit_seconds=$(sed -n 's/^训练用时：\([0-9.]*\) s$/\1/p' "$out/text-train.log")
model_mb=$(awk -v b="$(stat -c %s "$out/routing.model")" 'BEGIN { printf "%.1f", b / 1e6 }')

"$bin" model eval --model "$out/routing.model" --data "$data/messages-dev.csv" | tee "$out/text-eval.log"
"$bin" model eval --model "$out/routing.model" --data "$out/messages-dev-raw.csv" > "$out/text-eval-raw.log"
python3 bench/text_baseline.py "$data" | tee "$out/text-baseline.log"

ours=$(tail -1 "$out/text-eval.log" | sed 's/^macro-F1: //')
raw=$(tail -1 "$out/text-eval-raw.log" | sed 's/^macro-F1: //')
base=$(tail -1 "$out/text-baseline.log" | sed 's/^macro-F1: //')
field() { sed -n "s/^$1.*$2 \([0-9.]*\).*/\1/p" "$3"; }
acc=$(sed -n 's/^accuracy: \([0-9.]*\).*/\1/p' "$out/text-eval.log")
raw_acc=$(sed -n 's/^accuracy: \([0-9.]*\).*/\1/p' "$out/text-eval-raw.log")
top3=$(field accuracy: 'top-3 accuracy:' "$out/text-eval.log")
conf=$(field accuracy: '平均置信度:' "$out/text-eval.log")
ece=$(field accuracy: '(ECE):' "$out/text-eval.log")
base_acc=$(field min_df=2: 'accuracy' "$out/text-baseline.log")
base_time=$(field min_df=2: 'train' "$out/text-baseline.log")
base1=$(field min_df=1: 'macro-F1' "$out/text-baseline.log")
base1_acc=$(field min_df=1: 'accuracy' "$out/text-baseline.log")
base1_time=$(field min_df=1: 'train' "$out/text-baseline.log")
diff=$(awk -v a="$ours" -v b="$base" 'BEGIN { printf "%+.4f", a - b }')

{
    echo
    echo "## Routing classifier"
    echo
    echo "- date: $(date -Is)"
    echo "- machine: nproc $(nproc), $(free -g | awk '/^Mem:/ {print $2 " GiB RAM"}'), load average before training $load (other work: $quiet)"
    echo "- command: \`bench/text.sh --record\` (release build; trains on messages-train.csv, reports on messages-dev.csv)"
    echo "- ours: TF-IDF over word 1–2-grams + character 2–3-grams (min_df 2, 200k strongest features kept), one-vs-rest"
    echo "  L2-loss linear SVMs (dual coordinate descent, C=1, balanced class weights), softmax temperature fitted on"
    echo "  3-fold out-of-fold margins"
    echo
    echo "| | dev macro-F1 | dev accuracy | training |"
    echo "|---|---|---|---|"
    echo "| redress-text, pre-segmented \`text\` | **$ours** | $acc | ${fit_seconds} s |"
    echo "| redress-text, raw input (dev text with its spaces removed, cut by jieba) | $raw | $raw_acc | same model |"
    echo "| scikit-learn TF-IDF word 1–2-grams + LinearSVC, min_df=2 (reference) | $base | $base_acc | ${base_time} s |"
    echo "| scikit-learn TF-IDF word 1–2-grams + LinearSVC, min_df=1 (defaults) | $base1 | $base1_acc | ${base1_time} s |"
    echo
    echo "- difference, ours − reference: **$diff** macro-F1"
    echo "- training: ${fit_seconds} s in \`Model::train\` including the 3 calibration folds; whole \`redress model train\`"
    echo "  process ${train_time}"
    echo "- model file: ${model_mb} MB"
    echo "- confidence on dev: mean top-1 confidence $conf against accuracy $acc (ECE $ece); top-3 accuracy $top3"
} > "$out/text-summary.md"

echo
echo "== macro-F1 on messages-dev.csv: ours $ours   reference $base   difference $diff   (raw input: $raw)"
cat "$out/text-summary.md"
if $record; then
    [ -f bench/RESULTS.md ] || printf '# Benchmark results\n' > bench/RESULTS.md
    cat "$out/text-summary.md" >> bench/RESULTS.md
    echo "appended to bench/RESULTS.md"
fi
