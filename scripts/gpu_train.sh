#!/usr/bin/env bash
# One prepared GPU run: the paper's BOSSbase training settings (paper-bossbase: 256x256,
# Adam 1e-4, lambdas 0.8,1,1) and hider v2 at GPU size (gpu-v2), side by side on one CUDA
# device (PRESETS="..." picks others), each stopped (checkpointed, resumable) after MINUTES.
#   usage: scripts/gpu_train.sh CORPUS OUT [MINUTES]      CORPUS: from `advstego data prepare`
# Writes OUT/device.txt, OUT/<preset>/ (run folder) and OUT/<preset>.log. Runs from a checkout
# with no install (PYTHONPATH), so a bare GPU machine with PyTorch needs nothing else.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 CORPUS OUT [MINUTES]" >&2; exit 2; }
corpus=$1 out=$2 minutes=${3:-10}
py=${PYTHON:-python3} device=${DEVICE:-cuda} presets=${PRESETS:-paper-bossbase gpu-v2}
export PYTHONPATH="$(cd "$(dirname "$0")/.." && pwd)${PYTHONPATH:+:$PYTHONPATH}"
mkdir -p "$out"
"$py" - <<PY | tee "$out/device.txt"
import torch
dev = "$device"
name = torch.cuda.get_device_name(0) if dev.startswith("cuda") else "cpu"
print(f"device: {name}; torch {torch.__version__}")
PY
pids=()
for preset in $presets; do
  # the training API, not the CLI: the CLI's registries import the steganalysis libraries
  "$py" - "$corpus" "$out/$preset" "$preset" "$device" "$minutes" >"$out/$preset.log" 2>&1 <<'PY' &
import sys
from advstego.game.gan import make_config, train
data, run, preset, device, minutes = sys.argv[1:]
last, _ = train(data, run, make_config(preset), device=device, max_minutes=float(minutes))
print(f"{run}: val stego {last['stego_psnr_uint8']:.2f} dB, secret {last['secret_psnr_uint8']:.2f} dB")
PY
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
for preset in $presets; do
  echo "== $preset"; tail -n 3 "$out/$preset.log"
done
exit $rc
