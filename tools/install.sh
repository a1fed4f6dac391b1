#!/usr/bin/env bash
# One-command, idempotent install of the OpenMMLab stack + mmssl_det into ./.venv.
#
#   bash tools/install.sh            # install (a second run takes seconds)
#   MMSSL_DET_FORCE=1 bash tools/install.sh   # redo every step
#
# Environment knobs (all optional):
#   MMSSL_DET_PYTHON      python interpreter to build the venv from   (default: python3)
#   MMSSL_DET_VENV        virtual env folder                          (default: <repo>/.venv)
#   MMSSL_DET_TORCH       pip requirement for torch                   (default: torch==2.13.0)
#   MMSSL_DET_WHEEL_CACHE where built mmcv wheels are kept            (default: ~/.cache/mmssl_det/wheels)
#   MMSSL_DET_MMCV_FIND_LINKS  a folder or URL with a ready mmcv 2.1.0 wheel, e.g. OpenMMLab's
#                         https://download.openmmlab.com/mmcv/dist/cu121/torch2.1/index.html
#   MAX_JOBS              parallel compile jobs for mmcv              (default: nproc)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${MMSSL_DET_PYTHON:-python3}"
VENV="${MMSSL_DET_VENV:-$REPO/.venv}"
TORCH_REQ="${MMSSL_DET_TORCH:-torch==2.13.0}"
CACHE="${MMSSL_DET_WHEEL_CACHE:-$HOME/.cache/mmssl_det/wheels}"
MMCV_VERSION=2.1.0
STAMP="$VENV/.mmssl_det_install_stamp"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
die() { printf '\033[31m[install] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

# ---- preflight: fail early with a message that names what is missing -------------------------
command -v "$PY" >/dev/null 2>&1 || die "no '$PY' on PATH. Install Python 3.9-3.12 or set MMSSL_DET_PYTHON=/path/to/python3.11."
PYVER="$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
case "$PYVER" in
  3.9|3.10|3.11|3.12) ;;
  *) die "Python $PYVER is not supported (mmcv $MMCV_VERSION / mmdet 3.3.0 build for 3.9-3.12). Set MMSSL_DET_PYTHON to a python3.11 interpreter." ;;
esac
"$PY" -c 'import venv, ensurepip' 2>/dev/null || die "Python $PYVER lacks venv/ensurepip. On Debian/Ubuntu: apt-get install python$PYVER-venv"

# Everything pinned here and in setup.py; the stamp lets a second run skip all work.
want_stamp="$(cat "$REPO/tools/install.sh" "$REPO/setup.py" | sha256sum | cut -c1-16) $TORCH_REQ"
if [[ -z "${MMSSL_DET_FORCE:-}" && -f "$STAMP" && "$(cat "$STAMP")" == "$want_stamp" ]]; then
  say "already installed in $VENV (delete $STAMP or set MMSSL_DET_FORCE=1 to reinstall)"
  exit 0
fi

START=$(date +%s)
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating virtual env $VENV (Python $PYVER)"
  "$PY" -m venv "$VENV"
fi
VPY="$VENV/bin/python"
pip_install() { "$VPY" -m pip install --disable-pip-version-check "$@"; }

# setuptools<81: mmcv's setup.py and mmengine's `mmdet::` config lookup import pkg_resources.
say "build tools"
pip_install -q --upgrade pip 'setuptools>=77.0.3,<81' wheel ninja

say "torch ($TORCH_REQ)"
pip_install -q $TORCH_REQ  # unquoted: may carry --index-url
TORCH_VER="$("$VPY" -c 'import torch; print(torch.__version__)')"
CUDA_TAG="$("$VPY" -c 'import torch; print("cu" + torch.version.cuda.replace(".", "") if torch.version.cuda else "cpu")')"

say "mmengine, pycocotools, runtime deps"
pip_install -q 'mmengine==0.10.7' 'pycocotools>=2.0.7' 'opencv-python>=4.8' 'numpy<2.3'

# ---- mmcv with compiled ops -------------------------------------------------------------------
mmcv_ok() { "$VPY" - <<'PYEOF' 2>/dev/null
import torch, mmcv
from mmcv.ops import nms
assert mmcv.__version__ == "2.1.0", mmcv.__version__
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
assert keep.tolist() == [0, 2], keep
PYEOF
}

# The cache key holds everything the compiled ops depend on: a wheel built against another torch
# (or without ops) must never be reused -- pip's own cache keys by sdist URL only.
KEY_DIR="$CACHE/mmcv-$MMCV_VERSION-torch$TORCH_VER-py$PYVER-$(uname -m)"
if mmcv_ok; then
  say "mmcv $MMCV_VERSION with ops already installed"
else
  wheel="$(ls "$KEY_DIR"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
  if [[ -n "$wheel" ]]; then
    say "mmcv: cached wheel $wheel"
    pip_install -q --no-deps --force-reinstall "$wheel"
  elif [[ -n "${MMSSL_DET_MMCV_FIND_LINKS:-}" ]]; then
    say "mmcv: from $MMSSL_DET_MMCV_FIND_LINKS"
    pip_install -q --no-deps --only-binary mmcv --find-links "$MMSSL_DET_MMCV_FIND_LINKS" "mmcv==$MMCV_VERSION"
  else
    command -v "${CXX:-g++}" >/dev/null 2>&1 || die "no C++ compiler (${CXX:-g++}) to build mmcv ops. On Debian/Ubuntu: apt-get install build-essential; or pass a prebuilt wheel with MMSSL_DET_MMCV_FIND_LINKS."
    "$VPY" -c 'import sysconfig, os, sys; h = sysconfig.get_paths()["include"]; sys.exit(0 if os.path.exists(os.path.join(h, "Python.h")) else 1)' \
      || die "Python.h not found: install the Python headers (apt-get install python$PYVER-dev)."
    say "mmcv: building $MMCV_VERSION with CPU ops against torch $TORCH_VER (~10 min on 2 cores, once; cached in $KEY_DIR)"
    mkdir -p "$KEY_DIR"
    tmp="$(mktemp -d)"
    # --no-build-isolation: mmcv's setup.py must see our torch, or it silently builds without ops.
    # CFLAGS replaces the default flags, so restate -O3 -DNDEBUG; -g0 keeps the build fast and small.
    MMCV_WITH_OPS=1 FORCE_CUDA="${FORCE_CUDA:-0}" MAX_JOBS="${MAX_JOBS:-$(nproc)}" \
    CFLAGS="${CFLAGS:--O3 -DNDEBUG -fwrapv -g0}" \
      "$VPY" -m pip wheel --disable-pip-version-check --no-deps --no-build-isolation --no-cache-dir \
        --no-binary mmcv -w "$tmp" "mmcv==$MMCV_VERSION"
    mv "$tmp"/mmcv-*.whl "$KEY_DIR"/
    rm -rf "$tmp"
    pip_install -q --no-deps --force-reinstall "$(ls "$KEY_DIR"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
  fi
  # mmcv's own runtime deps (without letting pip touch torch or rebuild mmcv)
  pip_install -q addict packaging Pillow pyyaml yapf
  mmcv_ok || die "mmcv $MMCV_VERSION installed but 'from mmcv.ops import nms' fails. Remove $KEY_DIR and rerun."
fi

say "mmdet 3.3.0 and mmssl_det (editable, with dev extras)"
pip_install -q 'mmdet==3.3.0'
pip_install -q --no-build-isolation -e "$REPO[dev]"

"$VPY" -c 'import mmssl_det, mmdet; from mmcv.ops import nms; print("mmssl_det", mmssl_det.__version__, "| mmdet", mmdet.__version__)'
echo "$want_stamp" > "$STAMP"
say "done in $(( $(date +%s) - START )) s  (torch $TORCH_VER, $CUDA_TAG). Activate with: source $VENV/bin/activate"
