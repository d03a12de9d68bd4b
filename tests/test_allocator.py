"""lrlab.allocator: glibc keeps freed tensors' memory, so a training step stops page-faulting (same numbers)."""

import os
import subprocess
import sys
import textwrap

import pytest

STEPS = textwrap.dedent("""
    import resource, sys, torch
    torch.manual_seed(0)
    from lrlab.allocator import keep_freed_memory
    from lrlab.config import TrainConfig
    from lrlab.engine import Stack
    kept = keep_freed_memory() if sys.argv[1] == "keep" else False
    stack = Stack([TrainConfig(lr=lr) for lr in (1e-4, 1e-3, 1e-2)], torch.device("cpu"), steps_per_epoch=100)
    images, labels = torch.randn(32, 1, 28, 28), torch.randint(0, 10, (32,))
    for _ in range(10):
        stack.train_step(images, labels)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        stack.train_step(images, labels)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20
    print(kept, faults, stack.loss_log[:, :30].sum().item())
""")


def steps(mode, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "LD_PRELOAD"}
    result = subprocess.run([sys.executable, "-c", STEPS, mode], capture_output=True, text=True, check=True,
                            env={**environment, **env})
    kept, faults, total = result.stdout.split()
    return kept == "True", float(faults), float(total)


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc is what this tunes; other systems skip it")
def test_kept_memory_ends_the_page_faults_of_each_step_and_changes_no_number():
    kept, faults, total = steps("keep")
    plain_kept, plain_faults, plain_total = steps("plain")
    assert kept and not plain_kept
    assert faults < plain_faults / 5  # measured: 0-20 per step with it, 350-600 without (three stacked CNNs)
    assert total == plain_total  # the same losses, bit for bit


def test_a_user_s_own_malloc_settings_are_left_alone():
    kept, _, _ = steps("keep", MALLOC_MMAP_THRESHOLD_="131072")
    assert not kept
