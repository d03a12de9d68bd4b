"""The learning-rate range test: one short run whose LR grows exponentially, loss recorded against LR.

Smith (2017) ramps the LR linearly over a few epochs; the short exponential ramp with a smoothed loss and the
"minimum / 10" suggestion used here is fastai's variant of it (the lr_find of Howard & Gugger). The loss first stays
flat (steps too small to matter), then falls (the LR is useful), then turns up (too large).

Suggestion rule, written down: take the LR at which the smoothed loss is lowest and divide it by 10. The LR where
the smoothed loss falls fastest is reported too ("steepest"). The smoothing is an exponential moving average over
about 1/(1 - SMOOTHING) = 50 steps, so the smoothed curve lags the raw one by that many steps: `lag_decades` says how
many decades of LR that is, and the smoothed minimum sits up to that far right of where the raw loss bottomed.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lrlab import custom
from lrlab.config import DEFAULTS, active_profile, smoke_caps
from lrlab.data import SUBSET_SEED, pick_device
from lrlab.engine import fast_prepare
from lrlab.loop import train_epoch
from lrlab.model import seeded, seeded_cnn
from lrlab.optim import make_optimizer, training_mode
from lrlab.runs import History
from lrlab.text import Table, format_lr

SMOOTHING = 0.98  # exponential moving average of the loss (debiased), as in fastai's finder
STOP_FACTOR = 4.0  # stop once the smoothed loss exceeds 4x its minimum: the LR is far too large by then
LEARNED, FORGOTTEN = 0.5, 0.9  # ... or once it fell below 50 % of its start and climbed back above 90 % of it


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
    stop_reason: str = ""  # which stop rule ended the test, or that it ran every planned step
    data: str = "60,000 MNIST training images"  # what it trained on (said under its figure)

    @property
    def turned_up(self) -> bool:
        """Whether the loss turned up before the end (a stop rule fired, or it ended 25 % above its minimum).
        Without that, the 'minimum' says nothing about where training breaks: try a larger end_lr."""
        return len(self.lrs) < self.steps_planned or self.smoothed[-1] > 1.25 * min(self.smoothed)

    @property
    def centred_min_lr(self) -> float:
        """The LR at the minimum of a centred moving average of the raw loss (as wide as the smoothing, but with no
        lag): where the loss really bottomed out."""
        width = round(1 / (1 - SMOOTHING))
        losses = np.nan_to_num(np.asarray(self.losses, dtype=float), nan=np.inf, posinf=1e9)
        if len(losses) <= width:
            return self.min_loss_lr
        centred = np.convolve(losses, np.ones(width) / width, mode="valid")  # entry i averages steps i .. i+width-1
        return self.lrs[int(np.argmin(centred)) + width // 2]

    @property
    def lag_decades(self) -> float:
        """How many decades of LR the smoothing averages over (about 1/(1 - SMOOTHING) steps)."""
        return math.log10(self.lrs[1] / self.lrs[0]) / (1 - SMOOTHING) if len(self.lrs) > 1 else 0.0


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



def stop_reason(history: RangeHistory) -> str:
    """Why the range test must stop now, or "" to go on. Rules, in order:
      1. the smoothed loss is not finite;
      2. after 11 steps, it is above STOP_FACTOR x its minimum;
      3. it fell below LEARNED x its start and has climbed back above FORGOTTEN x its start: what the network
         learned is lost (a network pushed to guessing settles near ln 10 = 2.3, which can be below rule 2's
         threshold when the minimum was high).
    """
    last, lowest, start = history.smoothed[-1], min(history.smoothed), history.smoothed[0]
    if not math.isfinite(last):
        return "the smoothed loss became non-finite"
    if len(history.smoothed) > 11 and last > STOP_FACTOR * lowest:
        return f"the smoothed loss passed {STOP_FACTOR:g}x its minimum"
    if lowest < LEARNED * start and last > FORGOTTEN * start:
        return f"the smoothed loss climbed back to {FORGOTTEN:.0%} of its start"
    return ""


def range_should_stop(history: RangeHistory) -> bool:
    """The range test's stop rule for lrlab.loop.train_epoch (instead of the divergence rule of training runs)."""
    return bool(stop_reason(history))


def lr_range_test(*, optimizer: str = "adam", start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 400,
                  batch_size: int = DEFAULTS.batch_size, seed: int = DEFAULTS.seed, device=None,
                  progress: bool = True, model=None, data=None, loss=None) -> RangeTest:
    """Train from fresh weights while the LR grows from start_lr to end_lr by a constant factor per step.

    The ramp is torch.optim.lr_scheduler.ExponentialLR with gamma = (end_lr/start_lr)^(1/steps), and the steps
    are the book's training loop itself (lrlab.loop.train_epoch) over `steps` batches of the training images.
    Stops early by its own rule (stop_reason). LRLAB_PROFILE=smoke caps the steps (lrlab.config.SMOKE).
    model, data, loss: your own model (a function that builds a fresh nn.Module), its training data and loss,
    instead of the CNN on MNIST (what they take: lrlab.custom).
    """
    profile, steps = active_profile(), smoke_caps(range_steps=steps)["range_steps"]
    custom = model is not None or data is not None
    model, images, labels, loss_fn = _start(model, data, loss, seed, device)
    device, data = images.device, f"{len(labels):,} examples of your data" if custom else RangeTest.data
    opt = make_optimizer(model.parameters(), optimizer, start_lr)
    training_mode(opt)
    ramp = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=(end_lr / start_lr) ** (1 / steps))
    shuffle = torch.Generator().manual_seed(seed + SUBSET_SEED)
    order = torch.cat([torch.randperm(len(labels), generator=shuffle)] * math.ceil(steps * batch_size / len(labels)))
    with tqdm(total=steps, disable=not progress, leave=False, desc=f"range test ({optimizer})") as bar:
        history = RangeHistory(bar)
        train_epoch(model, opt, ramp, images, labels, order[:steps * batch_size].to(device), batch_size, history,
                    should_stop=range_should_stop, loss_fn=loss_fn)
    lrs, smoothed = history.step_lrs, history.smoothed
    reason = stop_reason(history) or f"it ran all {steps} planned steps"
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    lowest = int(np.argmin(finite))
    slopes = np.gradient(finite[: lowest + 1], np.log10(lrs[: lowest + 1])) if lowest > 1 else np.array([0.0])
    return RangeTest(optimizer=optimizer, lrs=lrs, losses=history.losses, smoothed=smoothed,
                     suggestion=lrs[lowest] / 10, steepest=lrs[int(np.argmin(slopes))], min_loss_lr=lrs[lowest],
                     device=str(device), profile=profile, steps_planned=steps, batch_size=batch_size,
                     stop_reason=reason, data=data)


def _start(model, data, loss, seed: int, device):
    """The seeded model, training tensors (on the device) and loss of a range test: the book's CNN on all 60,000
    MNIST training images, or your model on your data (checked first, lrlab.custom.check_model)."""
    if model is None and data is None:
        given = fast_prepare(DEFAULTS, device)
        return (seeded_cnn(seed).to(given.device, memory_format=torch.channels_last),  # the engine's faster layout
                given.images, given.labels, F.cross_entropy)
    task = custom.make_task(model, data, validation=None, loss=loss)
    device = pick_device(device)
    return seeded(task.build, seed).to(device), task.inputs.to(device), task.targets.to(device), task.loss


def range_table(tests) -> Table:
    """One row per range test: how many steps it took and why it stopped, where its loss bottomed out (smoothed and
    lag-free), its suggestion and its steepest point."""
    return Table([{"optimizer": test.optimizer, "steps": str(len(test.lrs)), "stopped": test.stop_reason + (
        "" if test.turned_up else " (the loss never turned up: try a larger end_lr)"),
        "smoothed min at": format_lr(test.min_loss_lr), "lag-free min at": format_lr(test.centred_min_lr),
        "suggestion (min/10)": format_lr(test.suggestion), "steepest": format_lr(test.steepest)} for test in tests])
