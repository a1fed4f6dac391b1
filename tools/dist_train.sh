#!/usr/bin/env bash
# Distributed training with torchrun:  bash tools/dist_train.sh CONFIG NUM_PROCS [train.py args]
# CPU works too (gloo backend): e.g. bash tools/dist_train.sh configs/pixpro_fpn_demo.py 2
set -euo pipefail
CONFIG=$1
NPROC=$2
shift 2
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$(command -v python)}"
exec "$PYTHON" -m torch.distributed.run \
  --nnodes="${NNODES:-1}" --node_rank="${NODE_RANK:-0}" \
  --master_addr="${MASTER_ADDR:-127.0.0.1}" --master_port="${PORT:-29500}" \
  --nproc_per_node="$NPROC" \
  "$REPO/tools/train.py" "$CONFIG" --launcher pytorch "$@"
