"""Optimizers by name and learning-rate schedules, all from torch.optim: small factories, no re-implementations."""

import torch
from torch.optim import lr_scheduler

from lrlab.config import TrainConfig

WARMUP_START = 0.01  # warm-up ramps the LR linearly from 1% of its value


def make_optimizer(params, name: str, lr: float) -> torch.optim.Optimizer:
    """torch.optim's optimizer for `name` with its usual defaults; only the learning rate is ours.

    Adam and SGD use torch's fused kernels on CPU and CUDA: the same update rule in one call instead of ~10 small
    ones per tensor (3x faster steps on CPU, see benchmarks/README.md).
    """
    params = list(params)
    fused = params[0].device.type in ("cpu", "cuda")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, fused=fused)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, fused=fused)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, fused=fused)
    raise ValueError(f"unknown optimizer {name!r}")


def make_scheduler(optimizer, config: TrainConfig, total_steps: int) -> lr_scheduler.LRScheduler:
    """The schedule of `config`, stepped once per update, over `total_steps` updates.

    constant: eta all along.  step: eta, then eta/10 at 50% and eta/100 at 75% of training.
    cosine: eta decays to 0 along half a cosine.  onecycle: rises from eta/25 to eta over the first 30%, then
    anneals to ~0 (Smith & Topin's one-cycle policy). warmup_steps > 0 puts a linear ramp from eta/100 in front.
    """
    warmup = min(config.warmup_steps, total_steps - 1)
    rest = total_steps - warmup
    if config.schedule == "onecycle":
        return lr_scheduler.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total_steps)
    if config.schedule == "constant":
        main = lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    elif config.schedule == "step":
        main = lr_scheduler.MultiStepLR(optimizer, milestones=[rest // 2, (3 * rest) // 4], gamma=0.1)
    elif config.schedule == "cosine":
        main = lr_scheduler.CosineAnnealingLR(optimizer, T_max=rest)
    else:
        raise ValueError(f"unknown schedule {config.schedule!r}")
    if warmup <= 0:
        return main
    ramp = lr_scheduler.LinearLR(optimizer, start_factor=WARMUP_START, end_factor=1.0, total_iters=warmup)
    return lr_scheduler.SequentialLR(optimizer, [ramp, main], milestones=[warmup])
