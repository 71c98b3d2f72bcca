#!/usr/bin/env bash
# The GPU checks: Ember's CUDA (CuPy) backend against its CPU backend, on a machine with
# an NVIDIA GPU, CuPy, NumPy, pluggy and pytest (PyTorch optional, for interop checks).
# Usage, from the repository root:  bash tools/gpu_check.sh [out-dir]
# Logs go to out-dir (default /tmp/ember-gpu-check); the summary goes to stdout.
set -u
out=${1:-${OUT:-/tmp/ember-gpu-check}}
mkdir -p "$out"
export PYTHONPATH=packages/core/src:packages/nn/src:packages/optim/src:packages/vision/src
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
py=${PYTHON:-python3}
nvidia-smi -L
$py -c "import sys, cupy, numpy; print(sys.version.split()[0], 'cupy', cupy.__version__, 'numpy', numpy.__version__, 'gpu', cupy.cuda.is_available())"
$py -m ember info 2>&1 | head -20
pytest_args=(-q -p no:cacheprovider --import-mode=importlib -rfE --tb=short)
if $py -c "import xdist" 2>/dev/null; then pytest_args+=(-n 4); fi
if $py -c "import pytest_timeout" 2>/dev/null; then pytest_args+=(--timeout=180); fi

echo "== CUDA tests (packages/*/tests/test_cuda*.py)"
timeout 270 $py -m pytest packages/*/tests/test_cuda*.py "${pytest_args[@]}" \
  >"$out/cuda-tests.log" 2>&1
grep -E "^(FAILED|ERROR)|passed|failed" "$out/cuda-tests.log" | tail -80

echo "== conformance suite on cuda"
timeout 120 $py -m pytest -p ember.testing.pytest_plugin --ember-backend=cuda "${pytest_args[@]}" \
  >"$out/conformance.log" 2>&1
grep -E "^(FAILED|ERROR)|passed|failed|unsupported|declared" "$out/conformance.log" | tail -40

echo "== demo on cuda"
timeout 100 $py -m ember.vision.demo --device cuda --epochs 3 --out /tmp/ember-demo --quiet \
  >"$out/demo.log" 2>&1
tail -8 "$out/demo.log"
