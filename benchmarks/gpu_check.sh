#!/usr/bin/env bash
# The GPU path, checked where a GPU exists (not in CI: it has none). On a CUDA machine, from the repository root:
#
#     benchmarks/gpu_check.sh          (about 5 minutes on an H200 after set-up; the set-up itself ~3 minutes)
#
# 1. the engine-vs-reference equivalence test, on CUDA (lrlab picks CUDA by itself: the test names no device);
# 2. the seed sweep (Adam, 3 rates x 5 epochs, full MNIST) timed, with its results;
# 3. one chapter (goldilocks) under nbmake, in the full profile, on CUDA.
# Prints one summary line at the end; exit status 1 when a part failed.
set -uo pipefail
cd "$(dirname "$0")/.."
make setup data >/dev/null || { echo "gpu_check: set-up failed (make setup data)"; exit 1; }
PY=.venv/bin/python
"$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" ||
    { echo "gpu_check: no CUDA device here (torch.cuda.is_available() is False): run it on a GPU machine"; exit 1; }
device=$("$PY" -c "import torch; print(torch.cuda.get_device_name(0))")

start=$(date +%s)
.venv/bin/pytest -q -p no:cacheprovider tests/test_training.py -k "equals_the_reference" > gpu_equivalence.log 2>&1
equivalence=$?
equivalence_s=$(( $(date +%s) - start ))

sweep=$("$PY" - <<'PY' 2>gpu_sweep.log
import time
import lrlab
start = time.perf_counter()
result = lrlab.sweep([1e-4, 1e-3, 1e-2], optimizer="adam", epochs=5, batch_size=32, cache=False, progress=False)
seconds = time.perf_counter() - start
runs = ", ".join(f"{r.lr:g}: loss {r.final_loss:.4f} acc {100 * r.final_accuracy:.2f}% {r.verdict}" for r in result.runs)
print(f"{seconds:.0f} s on {result.runs[0].device} ({runs})")
PY
)
sweep_status=$?

start=$(date +%s)
.venv/bin/pytest -q -p no:cacheprovider --nbmake --nbmake-timeout=1200 book/goldilocks.ipynb > gpu_chapter.log 2>&1
chapter=$?
chapter_s=$(( $(date +%s) - start ))

verdict() { [ "$1" -eq 0 ] && echo passed || echo FAILED; }
echo "gpu_check on ${device}: equivalence $(verdict $equivalence) (${equivalence_s} s, gpu_equivalence.log);" \
     "seed sweep $(verdict $sweep_status): ${sweep:-see gpu_sweep.log};" \
     "goldilocks under nbmake $(verdict $chapter) (${chapter_s} s, gpu_chapter.log)"
[ $equivalence -eq 0 ] && [ $sweep_status -eq 0 ] && [ $chapter -eq 0 ]
