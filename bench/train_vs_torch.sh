#!/usr/bin/env bash
# Side-by-side training throughput: llmkit vs PyTorch on the same Gemma-3 model, weights and batch
# (f32, forward + backward + AdamW). Needs `scripts/setup.sh --bench` (Debian's python3-torch).
#   bench/train_vs_torch.sh [STEPS] [THREADS]
# PyTorch runs with OMP_WAIT_POLICY=PASSIVE (its OpenMP threads otherwise spin against OpenBLAS's).
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-6}
threads=${2:-2}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ours=$(./build/release/train_throughput_bench "$dir" "$steps" "$threads")
theirs=$(OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/torch_train_bench.py "$dir" "$steps" "$threads")
echo "$ours"
echo "$theirs"
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"first-step loss: llmkit {a['first_loss']:.7f}  pytorch {b['first_loss']:.7f}  "
      f"|diff| {abs(a['first_loss'] - b['first_loss']):.2e}")
print(f"tokens/s: llmkit {a['tokens_per_s']:.0f}  pytorch {b['tokens_per_s']:.0f}  "
      f"ratio {a['tokens_per_s'] / b['tokens_per_s']:.2f}x")
PY
