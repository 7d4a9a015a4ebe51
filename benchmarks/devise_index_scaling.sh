#!/bin/bash
# Embedding images/s of `wordbridge devise index` with 1 and 2 processes (torchrun, gloo), one after the other.
#   bash benchmarks/devise_index_scaling.sh RUN_DIR IMAGE_FOLDER [WORK_DIR]
# Wall clock includes model loading and the index build; divide the image count by it. Each run starts afresh.
set -euo pipefail
RUN=$1 FOLDER=$2 WORK=${3:-$(mktemp -d)}
N_IMAGES=$(python3 -c "import sys; from wordbridge.devise.index.gallery import list_files; from pathlib import Path; print(len(list_files(Path(sys.argv[1]))[0]))" "$FOLDER")
for n in 1 2 1; do
  rm -rf "$WORK/idx_p$n" "$WORK/.idx_p$n.parts"; sleep 1
  start=$(date +%s.%N)
  if [ "$n" = 1 ]; then nice python3 -m wordbridge devise index "$RUN" "$FOLDER" --out "$WORK/idx_p$n" --workers 1
  else OMP_NUM_THREADS=1 nice python3 -m torch.distributed.run --nproc_per_node=2 --master_addr=127.0.0.1 \
         --master_port=29533 -m wordbridge devise index "$RUN" "$FOLDER" --out "$WORK/idx_p$n" --workers 1; fi
  end=$(date +%s.%N)
  echo "processes=$n images=$N_IMAGES wall_s=$(echo "$end - $start" | bc) images_per_s=$(echo "$N_IMAGES / ($end - $start)" | bc -l | cut -c1-6) load=$(cut -d' ' -f1 /proc/loadavg)"
done
