#!/usr/bin/env bash
# The main job, on CPU in minutes: install → demo data → PixPro-FPN pretraining (ResNet-18,
# unlabelled tiles) → export to an mmdet Faster R-CNN → fine-tune on the labelled tiles →
# COCO mAP on the held-out test tiles (pycocotools).
#   bash tools/run_demo.sh            # steps already done are skipped
#   MMSSL_DET_FORCE=1 bash tools/run_demo.sh   # redo every step
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash tools/install.sh
PY="${MMSSL_DET_VENV:-$REPO/.venv}/bin/python"
WD="${MMSSL_DET_DEMO_DIR:-work_dirs/demo}"
FT_CONFIG=configs/benchmarks/faster-rcnn_r18_fpn_demo.py
step() { printf '\n\033[1m[demo] %s\033[0m\n' "$*"; }
todo() { [[ -n "${MMSSL_DET_FORCE:-}" || ! -e "$1" ]]; }
last() { cat "$1/last_checkpoint"; }

step "1/5 demo data (DeepForest tree crowns, tiled; data/demo)"
"$PY" tools/prepare_demo_data.py

step "2/5 PixPro-FPN pretraining on data/demo/unlabeled (no labels)"
todo "$WD/pretrain/last_checkpoint" && \
  "$PY" tools/train.py configs/pixpro_fpn_demo.py --work-dir "$WD/pretrain" --seed 0

step "3/5 export backbone + FPN to the mmdet Faster R-CNN"
todo "$WD/pixpro_fpn_frcnn_r18.pth" && \
  "$PY" tools/export_detector.py "$(last "$WD/pretrain")" --config "$FT_CONFIG" \
    --out "$WD/pixpro_fpn_frcnn_r18.pth"

step "4/5 fine-tune Faster R-CNN R18-FPN on the labelled train tiles"
todo "$WD/finetune/last_checkpoint" && \
  "$PY" tools/train.py "$FT_CONFIG" --work-dir "$WD/finetune" --seed 0 \
    --cfg-options load_from="$WD/pixpro_fpn_frcnn_r18.pth"

step "5/5 COCO evaluation on the held-out test tiles"
"$PY" tools/test.py "$FT_CONFIG" "$(last "$WD/finetune")" --work-dir "$WD/test" \
  --out-json "$WD/test_metrics.json"
"$PY" - "$WD/test_metrics.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
print('\n[demo] test tiles, Faster R-CNN R18-FPN from PixPro-FPN pretraining:')
print('       ' + '  '.join(f'{k.split("/")[-1]}={v:.3f}' for k, v in m.items()
                           if k.startswith('coco/bbox_mAP')))
PYEOF
