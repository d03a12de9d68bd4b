"""Smith's learning-rate range test: one short run whose LR grows exponentially, loss recorded against LR.

The loss first stays flat (steps too small to matter), then falls (the LR is useful), then shoots up (too large).
Suggestion rule, written down: take the LR at which the smoothed loss is lowest and divide it by 10 (one decade
back from the edge of instability). The LR where the smoothed loss falls fastest is reported too ("steepest").
"""

import math
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lrlab.config import active_profile
from lrlab.data import load_mnist
from lrlab.model import seeded_cnn
from lrlab.optim import make_optimizer
from lrlab.plot import annotate
from lrlab.train import SUBSET_SEED, pick_device, to_device_tensors

SMOOTHING = 0.98  # exponential moving average of the loss (debiased), as in fastai's finder
STOP_FACTOR = 4.0  # stop once the smoothed loss exceeds 4x its minimum: the LR is far too large by then


@dataclass
class RangeTest:
    """The LRs tried (one per step), their raw and smoothed losses, and the suggested LR."""

    optimizer: str
    lrs: list[float]
    losses: list[float]
    smoothed: list[float]
    suggestion: float  # LR at the smoothed minimum / 10
    steepest: float  # LR where the smoothed loss falls fastest (per decade of LR)
    min_loss_lr: float
    device: str
    profile: str
    steps_planned: int
    batch_size: int


def lr_range_test(*, optimizer: str = "adam", start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 400,
                  batch_size: int = 32, seed: int = 0, device=None, progress: bool = True) -> RangeTest:
    """Train from fresh weights while the LR grows from start_lr to end_lr by a constant factor per step.

    The ramp is torch.optim.lr_scheduler.ExponentialLR with gamma = (end_lr/start_lr)^(1/steps). Stops early when
    the smoothed loss passes STOP_FACTOR x its minimum or becomes non-finite. LRLAB_PROFILE=smoke uses 60 steps.
    """
    profile = active_profile()
    steps = min(steps, 60) if profile == "smoke" else steps
    device = pick_device(device)
    data = load_mnist()
    x, y = to_device_tensors(data.train_images, data.train_labels, None, device)
    model = seeded_cnn(seed).to(device, memory_format=torch.channels_last)
    opt = make_optimizer(model.parameters(), optimizer, start_lr)
    ramp = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=(end_lr / start_lr) ** (1 / steps))
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed + SUBSET_SEED)).to(device)
    lrs, losses, smoothed, average = [], [], [], 0.0
    for step in tqdm(range(steps), disable=not progress, leave=False, desc=f"range test ({optimizer})"):
        batch = order[(step * batch_size) % len(y):][:batch_size]
        loss = F.cross_entropy(model(x[batch]), y[batch])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        ramp.step()
        losses.append(loss.item())  # a sync per step: this test is a few hundred steps, not a training run
        average = SMOOTHING * average + (1 - SMOOTHING) * losses[-1]
        smoothed.append(average / (1 - SMOOTHING ** (step + 1)))
        if not math.isfinite(smoothed[-1]) or (step > 10 and smoothed[-1] > STOP_FACTOR * min(smoothed)):
            break
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    lowest = int(np.argmin(finite))
    slopes = np.gradient(finite[: lowest + 1], np.log10(lrs[: lowest + 1])) if lowest > 1 else np.array([0.0])
    return RangeTest(optimizer=optimizer, lrs=lrs, losses=losses, smoothed=smoothed,
                     suggestion=lrs[lowest] / 10, steepest=lrs[int(np.argmin(slopes))], min_loss_lr=lrs[lowest],
                     device=str(device), profile=profile, steps_planned=steps, batch_size=batch_size)


def plot_range_test(tests: list[RangeTest], *, best_lrs: dict[str, float] | None = None):
    """Loss against LR (log axis) for each test, with its suggestion, and optionally the best LR a sweep found."""
    fig, ax = plt.subplots(figsize=(8.5, 4.8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for test, color in zip(tests, colors):
        ax.plot(test.lrs, test.losses, color=color, alpha=0.2, lw=0.7)
        ax.plot(test.lrs, test.smoothed, color=color, lw=2, label=f"{test.optimizer} (smoothed)")
        ax.axvline(test.suggestion, color=color, ls="--", lw=1.2)
        ax.annotate(f"suggestion {test.suggestion:.1e}", (test.suggestion, 0.02), xycoords=("data", "axes fraction"),
                    rotation=90, fontsize=8, color=color, ha="right", va="bottom")  # left of its line
        if best_lrs and test.optimizer in best_lrs:
            ax.axvline(best_lrs[test.optimizer], color=color, ls=":", lw=2)
            ax.annotate(f"best in sweep {best_lrs[test.optimizer]:.1e}", (best_lrs[test.optimizer], 0.98),
                        xycoords=("data", "axes fraction"), rotation=90, fontsize=8, color=color, ha="left",
                        va="top")  # right of its line
    top = max(max(t.smoothed[: max(1, len(t.smoothed) // 4)]) for t in tests)
    ax.set(xscale="log", xlabel="learning rate η (grows every step)", ylabel="training loss",
           ylim=(0, 1.6 * top), title="LR range test: where does the loss fall fastest, where does it blow up?")
    ax.legend(fontsize=8, loc="upper left")
    smoke = any(t.profile == "smoke" for t in tests)
    return annotate(fig, f"{len(tests)} range test(s) · {', '.join(t.optimizer for t in tests)} · "
                         f"{tests[0].lrs[0]:.0e} → up to {max(t.lrs[-1] for t in tests):.0e} over ≤ "
                         f"{tests[0].steps_planned} steps of batch {tests[0].batch_size} · 60,000 train images · "
                         f"{tests[0].device} · "
                         f"profile {tests[0].profile}", smoke=smoke)
