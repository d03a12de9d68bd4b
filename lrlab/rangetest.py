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
from tqdm.auto import tqdm

from lrlab.config import DEFAULTS, active_profile
from lrlab.data import SUBSET_SEED, pick_device, train_tensors
from lrlab.loop import train_epoch
from lrlab.model import new_model
from lrlab.optim import make_optimizer
from lrlab.plot import annotate, subplots
from lrlab.runs import History

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


class RangeHistory(History):
    """The steps of a range test, with the debiased moving average of the loss and the test's own stop rule."""

    def __init__(self, bar=None):
        super().__init__()
        self.smoothed: list[float] = []
        self._average = 0.0
        self._bar = bar  # a progress bar to advance each step, or None

    def append(self, loss: float, lr: float) -> None:
        super().append(loss, lr)
        if self._bar is not None:
            self._bar.update(1)
        self._average = SMOOTHING * self._average + (1 - SMOOTHING) * loss
        self.smoothed.append(self._average / (1 - SMOOTHING ** len(self.losses)))

    def diverged(self) -> bool:
        """Stop once the smoothed loss is non-finite, or (after 11 steps) above STOP_FACTOR x its minimum."""
        last = self.smoothed[-1]
        return not math.isfinite(last) or (len(self.smoothed) > 11 and last > STOP_FACTOR * min(self.smoothed))


def lr_range_test(*, optimizer: str = "adam", start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 400,
                  batch_size: int = DEFAULTS.batch_size, seed: int = DEFAULTS.seed, device=None,
                  progress: bool = True) -> RangeTest:
    """Train from fresh weights while the LR grows from start_lr to end_lr by a constant factor per step.

    The ramp is torch.optim.lr_scheduler.ExponentialLR with gamma = (end_lr/start_lr)^(1/steps), and the steps
    are the book's training loop itself (lrlab.loop.train_epoch) over `steps` batches of the training images.
    Stops early when the smoothed loss passes STOP_FACTOR x its minimum or becomes non-finite.
    LRLAB_PROFILE=smoke uses 60 steps.
    """
    profile = active_profile()
    steps = min(steps, 60) if profile == "smoke" else steps
    device = pick_device(device)
    images, labels = train_tensors(DEFAULTS, device)  # all 60,000 training images
    model = new_model(seed, device)
    opt = make_optimizer(model.parameters(), optimizer, start_lr)
    ramp = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=(end_lr / start_lr) ** (1 / steps))
    shuffle = torch.Generator().manual_seed(seed + SUBSET_SEED)
    order = torch.cat([torch.randperm(len(labels), generator=shuffle)] * math.ceil(steps * batch_size / len(labels)))
    with tqdm(total=steps, disable=not progress, leave=False, desc=f"range test ({optimizer})") as bar:
        history = RangeHistory(bar)
        train_epoch(model, opt, ramp, images, labels, order[:steps * batch_size].to(device), batch_size, history)
    lrs, smoothed = history.step_lrs, history.smoothed
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    lowest = int(np.argmin(finite))
    slopes = np.gradient(finite[: lowest + 1], np.log10(lrs[: lowest + 1])) if lowest > 1 else np.array([0.0])
    return RangeTest(optimizer=optimizer, lrs=lrs, losses=history.losses, smoothed=smoothed,
                     suggestion=lrs[lowest] / 10, steepest=lrs[int(np.argmin(slopes))], min_loss_lr=lrs[lowest],
                     device=str(device), profile=profile, steps_planned=steps, batch_size=batch_size)


def plot_range_test(tests: list[RangeTest], *, best_lrs: dict[str, float] | None = None):
    """Loss against LR (log axis) for each test, with its suggestion, and optionally the best LR a sweep found."""
    fig, ax = subplots(figsize=(8.5, 4.8))
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
