#!/usr/bin/env bash
# README command (1): on a fresh machine, install everything, fetch the offline assets, and run the main job on
# the default data: prepare the default corpus, train the lesson's GRU (bidirectional GRU + attention + teacher
# forcing, configs/default.yaml) and the Transformer (configs/transformer.yaml) side by side on the same prepared
# data, one core each, for the same budget; report both models' test BLEU / chrF (overall and per source) in one
# table, export the Transformer to CTranslate2 (int8), print both models' translations of a few French sentences,
# save an attention heatmap, then train the DeViSE head, index a gallery and answer image -> labels and words ->
# images queries.
# DEMO_MINUTES (default 25) bounds the translation training; RUNS (default runs) is where run folders go.
# DEMO_ARCH=gru or DEMO_ARCH=transformer trains that model alone (all cores) in RUNS/demo, as before; the
# Transformer is then exported to CTranslate2 (int8) and reports / translates with the export too.
# For tests and quick looks: DEMO_PREPARED=DIR uses that prepared folder instead of the default corpus,
# DEMO_ONLY=translation skips install, fetch and DeViSE, DEMO_SET="key=value ..." adds --set overrides to every
# training, DEMO_PROGRESS_S (default 60) is how often the side-by-side training prints where each model is.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
MINUTES=${DEMO_MINUTES:-25}
RUNS=${RUNS:-runs}
ARCH=${DEMO_ARCH:-both}
PREPARED=${DEMO_PREPARED:-$RUNS/prepared/default}
ONLY=${DEMO_ONLY:-}
read -r -a EXTRA_SET <<< "${DEMO_SET:-}"
SETS=(--set data.out="$PREPARED")
for kv in "${EXTRA_SET[@]}"; do SETS+=(--set "$kv"); done
case "$ARCH" in
  both) EXTRAS='.[assets,ct2]' ;;
  gru) CONFIG=configs/default.yaml; EXTRAS='.[assets]' ;;
  transformer) CONFIG=configs/transformer.yaml; EXTRAS='.[assets,ct2]' ;;
  *) echo "error: DEMO_ARCH must be both (default), gru or transformer, not '$ARCH'" >&2; exit 2 ;;
esac
case "$ONLY" in
  ""|translation) ;;
  *) echo "error: DEMO_ONLY must be empty or translation, not '$ONLY'" >&2; exit 2 ;;
esac
step() { printf '\n=== %s\n' "$*"; }
WB=("$PY" -m wordbridge)

if [ -z "$ONLY" ]; then
  step "install (pinned CPU torch via constraints.txt)"
  "$PY" -m pip install -q -c constraints.txt -e "$EXTRAS"

  step "fetch offline assets (idempotent: a second run does no work)"
  "${WB[@]}" fetch
  "${WB[@]}" fetch --list
fi

step "prepare the default corpus"
if [ -n "${DEMO_PREPARED:-}" ]; then
  echo "using the prepared folder $PREPARED (DEMO_PREPARED)"
elif [ -f "$PREPARED/stats.json" ]; then
  echo "already prepared: $PREPARED (delete it to redo)"
else
  "${WB[@]}" prepare configs/default.yaml --out "$PREPARED"
fi

if [ "$ARCH" = both ]; then
  RUNS="$RUNS" PY="$PY" MINUTES="$MINUTES" PROGRESS_S="${DEMO_PROGRESS_S:-60}" \
    bash scripts/demo_side_by_side.sh "${SETS[@]}"
  TRANSLATOR="$RUNS/demo-transformer/ctranslate2"
else  # one model alone (DEMO_ARCH=gru or transformer), all cores
TRANSLATOR="$RUNS/demo"
step "train the $ARCH model ($CONFIG) for at most $MINUTES minutes"
"${WB[@]}" train "$CONFIG" "${SETS[@]}" --run-dir "$RUNS/demo" --max-minutes "$MINUTES" --overwrite

step "test BLEU / chrF of the demo model (greedy and beam 5)"
"${WB[@]}" evaluate "$RUNS/demo"  # overall, then one row per source corpus
"${WB[@]}" evaluate "$RUNS/demo" --beam 5 --json

if [ "$ARCH" = transformer ]; then
  step "export the Transformer to CTranslate2 (int8) and score the export"
  "${WB[@]}" export "$RUNS/demo" --format ctranslate2 --quantization int8 --out "$RUNS/demo/ctranslate2" --overwrite
  "${WB[@]}" evaluate "$RUNS/demo/ctranslate2" --json
  "${WB[@]}" translate "$RUNS/demo/ctranslate2" -i examples/demo_fr.txt --beam 5
fi

step "translate a few French sentences (beam 5)"
"${WB[@]}" translate "$RUNS/demo" -i examples/demo_fr.txt --beam 5
fi  # one model alone
"${WB[@]}" translate "$RUNS/demo" "Qu'est-ce que la lumière ?" --plot-attention "$RUNS/demo/attention.png"
if [ -n "$ONLY" ]; then
  step "done (DEMO_ONLY=$ONLY: no DeViSE)"
  exit 0
fi

step "DeViSE: train the head on cached EfficientNet-Lite0 features"
"${WB[@]}" devise train configs/devise.yaml --out "$RUNS/devise" --overwrite
# hit@k per method, the photo check, English (and, with the demo's translator, French) captions -> stamps
"${WB[@]}" devise evaluate "$RUNS/devise" --translator "$TRANSLATOR"

step "DeViSE: index a gallery of the Tux Paint stamps and the photos (wallpapers) side by side"
asset() { "$PY" -c "import wordbridge.asset_paths as a; print(a.path('$1'))"; }
mkdir -p "$RUNS/gallery"  # copied once: a second demo run finds the same files and re-embeds nothing
[ -d "$RUNS/gallery/stamps" ] || cp -r "$(asset tuxpaint-stamps)/stamps" "$RUNS/gallery/stamps"
[ -d "$RUNS/gallery/photos" ] || cp -r "$(asset photos)" "$RUNS/gallery/photos"
"${WB[@]}" devise index "$RUNS/devise" "$RUNS/gallery" --out "$RUNS/devise/indexes/gallery" --overwrite

step "DeViSE: top-5 labels for real photos (scikit-image's cat, coffee, rocket; the run's default method)"
mkdir -p "$RUNS/photos"
"$PY" - "$RUNS/photos" <<'PYEOF'
import sys
from pathlib import Path
from PIL import Image
from skimage import data
for name in ("chelsea", "coffee", "rocket"):
    Image.fromarray(getattr(data, name)()).save(Path(sys.argv[1]) / f"{name}.png")
PYEOF
for photo in chelsea coffee rocket; do
  echo "--- $photo.png"
  "${WB[@]}" devise search "$RUNS/devise" --image "$RUNS/photos/$photo.png" -k 5
done

step "DeViSE: words -> images"
for words in "boat" "engine boat" "cat" "flower" "elephant"; do
  echo "--- \"$words\""
  "${WB[@]}" devise search "$RUNS/devise" --index "$RUNS/devise/indexes/gallery" --text "$words" -k 5
done

step "DeViSE: French -> images and French labels, directly (an e5 run: configs/devise.yaml's vectors)"
if "${WB[@]}" devise search "$RUNS/devise" --image "$RUNS/photos/chelsea.png" -k 5 --lang fr; then
  for words in "un bateau à voile" "une grenouille verte" "une photo de chat"; do
    echo "--- \"$words\""
    "${WB[@]}" devise search "$RUNS/devise" --index "$RUNS/devise/indexes/gallery" --text "$words" -k 5
  done
fi

step "done"
if [ "$ARCH" = both ]; then
  echo "translation run folders: $RUNS/demo (the lesson's GRU; attention heatmap: $RUNS/demo/attention.png)"
  echo "                         $RUNS/demo-transformer (Transformer; CTranslate2 int8: $RUNS/demo-transformer/ctranslate2)"
  SERVE_RUNS="--run $RUNS/demo --run $RUNS/demo-transformer"
else
  echo "translation run folder: $RUNS/demo ($ARCH; attention heatmap: $RUNS/demo/attention.png)"
  if [ "$ARCH" = transformer ]; then echo "CTranslate2 export:     $RUNS/demo/ctranslate2 (wordbridge serve --run it)"; fi
  SERVE_RUNS="--run $RUNS/demo"
fi
echo "DeViSE run folder:      $RUNS/devise (index: $RUNS/devise/indexes/gallery, stamps + photos)"
echo "web app: wordbridge serve $SERVE_RUNS --devise $RUNS/devise --index $RUNS/devise/indexes/gallery"
