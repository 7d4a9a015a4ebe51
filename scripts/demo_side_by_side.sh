#!/usr/bin/env bash
# The side-by-side part of README command (1), called by scripts/demo.sh (DEMO_ARCH unset): train the lesson's
# GRU (configs/default.yaml -> RUNS/demo) and the Transformer (configs/transformer.yaml -> RUNS/demo-transformer)
# at the same time on the same prepared folder, one core each, for the same budget; then, again one core each,
# score both on the test split with beam 5 (overall and per source) and translate examples/demo_fr.txt, the
# Transformer through its CTranslate2 int8 export; print one side-by-side table and both models' translations.
# Arguments: the --set KEY=VALUE overrides of both trainings (demo.sh passes data.out=PREPARED first).
# Environment (from demo.sh): PY, RUNS, MINUTES, PROGRESS_S. Training logs: RUNS/logs/train-{gru,transformer}.log.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python3}
RUNS=${RUNS:-runs}
MINUTES=${MINUTES:-25}
PROGRESS_S=${PROGRESS_S:-60}
WB=("$PY" -m wordbridge)
GRU="$RUNS/demo"
TR="$RUNS/demo-transformer"
LOGS="$RUNS/logs"
mkdir -p "$LOGS"
step() { printf '\n=== %s\n' "$*"; }
one_core() { OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$@"; }
last_line() { [ -f "$1" ] && tr '\r' '\n' < "$1" | grep -v '^[[:space:]]*$' | tail -n 1 | cut -c1-150 || true; }

set -m  # each background job in its own process group: Ctrl-C here stops both jobs with everything they started
pids=()
stop_children() { for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done; }
trap 'stop_children; wait; exit 130' INT TERM

# run_pair NAME_A LOG_A CMD_A NAME_B LOG_B CMD_B: two shell functions at once, progress every PROGRESS_S seconds
run_pair() {
  local name_a=$1 log_a=$2 fn_a=$3 name_b=$4 log_b=$5 fn_b=$6 failed=0
  "$fn_a" >"$log_a" 2>&1 & pids=($!)
  "$fn_b" >"$log_b" 2>&1 & pids+=($!)
  local waited=0 line pair
  while kill -0 "${pids[0]}" 2>/dev/null || kill -0 "${pids[1]}" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if [ $((waited % PROGRESS_S)) -eq 0 ]; then  # where each job is: the last line of its log
      for pair in "$name_a|$log_a" "$name_b|$log_b"; do
        line=$(last_line "${pair#*|}")
        [ -z "$line" ] || printf '[%d min %02d s] %-12s %s\n' $((waited / 60)) $((waited % 60)) "${pair%%|*}:" "$line"
      done
    fi
  done
  wait "${pids[0]}" || { echo "error: $name_a failed; the end of $log_a:" >&2; tail -n 20 "$log_a" >&2; failed=1; }
  wait "${pids[1]}" || { echo "error: $name_b failed; the end of $log_b:" >&2; tail -n 20 "$log_b" >&2; failed=1; }
  pids=()
  return "$failed"
}

train_gru() {
  one_core "${WB[@]}" train configs/default.yaml "$@" --set train.threads=1 --run-dir "$GRU" \
    --max-minutes "$MINUTES" --overwrite
}
train_transformer() {
  one_core "${WB[@]}" train configs/transformer.yaml "$@" --set train.threads=1 --run-dir "$TR" \
    --max-minutes "$MINUTES" --overwrite
}
SETS=("$@")
gru_job() { train_gru "${SETS[@]}"; }
transformer_job() { train_transformer "${SETS[@]}"; }

step "train the lesson's GRU and the Transformer side by side, one core each, for at most $MINUTES minutes"
echo "logs: $LOGS/train-gru.log, $LOGS/train-transformer.log"
run_pair "GRU" "$LOGS/train-gru.log" gru_job "Transformer" "$LOGS/train-transformer.log" transformer_job
grep -h '^stopped' "$LOGS/train-gru.log" | tail -n 1 | sed 's/^/GRU:         /' || true
grep -h '^stopped' "$LOGS/train-transformer.log" | tail -n 1 | sed 's/^/Transformer: /' || true

gru_eval() {
  one_core "${WB[@]}" evaluate "$GRU" --beam 5 --json > "$GRU/test.beam5.json"
  one_core "${WB[@]}" translate "$GRU" -i examples/demo_fr.txt --beam 5 -o "$GRU/demo_fr.en.txt" --overwrite
}
transformer_eval() {
  one_core "${WB[@]}" export "$TR" --format ctranslate2 --quantization int8 --out "$TR/ctranslate2" --overwrite
  one_core "${WB[@]}" evaluate "$TR/ctranslate2" --beam 5 --json > "$TR/test.beam5.json"
  one_core "${WB[@]}" translate "$TR/ctranslate2" -i examples/demo_fr.txt --beam 5 -o "$TR/demo_fr.en.txt" \
    --overwrite
}

step "test BLEU / chrF with beam 5 (the Transformer through its CTranslate2 int8 export), one core each"
run_pair "GRU" "$LOGS/eval-gru.log" gru_eval "Transformer" "$LOGS/eval-transformer.log" transformer_eval

step "side by side: the lesson's GRU and the Transformer, each trained on one core for at most $MINUTES min"
"$PY" scripts/side_by_side.py --french examples/demo_fr.txt \
  --model "the lesson's GRU" "$GRU" "$GRU/test.beam5.json" "$GRU/demo_fr.en.txt" \
  --model "Transformer (CT2 int8)" "$TR" "$TR/test.beam5.json" "$TR/demo_fr.en.txt"
