"""Optimizers by name and learning-rate schedules, from torch.optim (and, for the two optimizers that set part of
their own step, from their authors' packages): small factories, no re-implementations."""

import functools
import math

import torch
from torch.optim import lr_scheduler

from lrlab.config import TrainConfig

WARMUP_START = 0.01  # warm-up ramps the LR linearly from 1% of its value
PACKAGES = {"schedule-free": "schedulefree", "prodigy": "prodigyopt"}  # optimizers that come from a package


def make_optimizer(params, name: str, lr: float) -> torch.optim.Optimizer:
    """The optimizer for `name` with its usual defaults; only the learning rate is ours.

    Adam and SGD use torch's fused kernels on CPU and CUDA: the same update rule in one call instead of ~10 small
    ones per tensor (3x faster steps on CPU, see benchmarks/README.md). "schedule-free" is Defazio et al.'s
    schedulefree.AdamWScheduleFree (no weight decay, as Adam here); "prodigy" is Mishchenko & Defazio's
    prodigyopt.Prodigy, whose lr multiplies the step size d it estimates itself (1.0: its own estimate).
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
    if name == "schedule-free":
        from schedulefree import AdamWScheduleFree

        return AdamWScheduleFree(params, lr=lr)
    if name == "prodigy":
        from prodigyopt import Prodigy

        return Prodigy(params, lr=lr)
    raise ValueError(f"unknown optimizer {name!r}")


def current_lr(optimizer) -> float:
    """The step size the optimizer takes now: its learning rate, times the step size d that Prodigy estimates for
    itself (1 for every other optimizer). Prodigy has no bias correction, so d * lr is not yet in Adam's units:
    lrlab.tuning.adam_steps converts it."""
    group = optimizer.param_groups[0]
    return group["lr"] * group.get("d", 1.0)


def training_mode(optimizer) -> None:
    """Put an optimizer that keeps two sets of weights (schedule-free: it trains at y, evaluates at its average x)
    into training mode; every other optimizer has one set and nothing to do."""
    if callable(getattr(optimizer, "train", None)):
        optimizer.train()


def evaluation_mode(optimizer) -> None:
    """The weights to evaluate: schedule-free's average x (undone by training_mode); a no-op for the others."""
    if callable(getattr(optimizer, "eval", None)):
        optimizer.eval()


def wsd_factor(step: int, *, stable: int, decay: int, shape: str) -> float:
    """Warmup-stable-decay (Hägele et al. 2024) after its warm-up: 1 for `stable` steps, then down towards 0 over
    the last `decay` steps, linearly (1 - s/D) or as 1 - sqrt(s/D), s = 0 .. D-1 steps into the decay."""
    into = step - stable
    if into < 0:
        return 1.0
    fraction = min(into, decay) / max(decay, 1)
    return 1 - fraction if shape == "linear" else 1 - math.sqrt(fraction)


def make_scheduler(optimizer, config: TrainConfig, total_steps: int) -> lr_scheduler.LRScheduler:
    """The schedule of `config`, stepped once per update, over `total_steps` updates.

    constant: eta all along.  step: eta, then eta/10 at 50% and eta/100 at 75% of training.
    cosine: eta decays to 0 along half a cosine.  onecycle: rises from eta/25 to eta over the first 30%, then
    anneals to ~0 (Smith & Topin's one-cycle policy).  wsd / wsd-sqrt: eta, then a decay to 0 over the last
    config.decay_fraction of the steps, linear or 1 - sqrt (see wsd_factor). warmup_steps > 0 puts a linear ramp
    from eta/100 in front.
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
    elif config.schedule in ("wsd", "wsd-sqrt"):
        decay = config.decay_steps(total_steps)
        factor = functools.partial(wsd_factor, stable=rest - decay, decay=decay,
                                   shape="linear" if config.schedule == "wsd" else "1-sqrt")
        main = lr_scheduler.LambdaLR(optimizer, factor)
    else:
        raise ValueError(f"unknown schedule {config.schedule!r}")
    if warmup <= 0:
        return main
    ramp = lr_scheduler.LinearLR(optimizer, start_factor=WARMUP_START, end_factor=1.0, total_iters=warmup)
    return lr_scheduler.SequentialLR(optimizer, [ramp, main], milestones=[warmup])
