"""Figures of runs and sweeps. Every function returns a matplotlib Figure with its provenance written under it."""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, LogNorm

# The book's figure style, applied to every figure lrlab makes (and to nothing else: no global side effects).
STYLE = {"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False}
LR_RANGE = (1e-5, 1.0)  # the colour scale of learning rates, fixed so a LR has one colour in every figure
_LR_NORM = LogNorm(*LR_RANGE)
# One anchor colour per decade: cool blues for small steps, green near Adam's sweet spot, hot reds for large ones.
_LR_CMAP = LinearSegmentedColormap.from_list(
    "lr", ["#313695", "#4575b4", "#1a9850", "#f46d43", "#d73027", "#67001f"])


def lr_color(lr: float):
    """The colour of a learning rate, the same in every figure of the book (blue: small ... red: large)."""
    return _LR_CMAP(_LR_NORM(min(max(lr, LR_RANGE[0]), LR_RANGE[1])))


def subplots(*args, **kwargs):
    """plt.subplots in the book's style."""
    with plt.style.context(STYLE):
        return plt.subplots(*args, **kwargs)


def smooth(values, window: int) -> np.ndarray:
    """Trailing moving average over `window` steps (fewer at the start); non-finite values are left out."""
    values = np.asarray(values, dtype=float)
    finite = np.isfinite(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    end = np.arange(1, len(values) + 1)
    start = np.maximum(end - max(1, int(window)), 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sums[end] - sums[start]) / (counts[end] - counts[start])


def _runs(runs_or_sweep):
    return list(getattr(runs_or_sweep, "runs", runs_or_sweep))


def _join(values, form: str = "{}") -> str:
    return ", ".join(form.format(v) for v in sorted(set(values)))


def provenance(runs) -> str:
    """One line saying what produced a figure: optimizers, LRs, seeds, epochs, data size, device, profile."""
    runs = _runs(runs)
    configs = [run.config for run in runs]
    return " · ".join([
        f"{len(runs)} runs",
        f"optimizer {_join(c.optimizer for c in configs)}",
        f"lr {_join((c.lr for c in configs), '{:.2g}')}",
        f"seeds {_join(c.seed for c in configs)}",
        f"{_join(c.epochs for c in configs)} epoch(s)",
        f"batch {_join(c.batch_size for c in configs)}",
        f"{_join((c.train_size or 60000 for c in configs), '{:,}')} train / "
        f"{_join((c.test_size or 10000 for c in configs), '{:,}')} test images",
        _join(run.device for run in runs),
        f"profile {_join(c.profile for c in configs)}",
    ])


def annotate(fig, text: str, smoke: bool = False):
    """Write the provenance line under the figure; in the smoke profile add a visible warning."""
    fig.text(0.01, 0.005, text, fontsize=7, color="0.35", ha="left", va="bottom", wrap=True)
    if smoke:
        fig.text(0.99, 0.99, "SMOKE PROFILE: tiny subset, 1 epoch, not the real experiment", fontsize=9,
                 color="crimson", ha="right", va="top", weight="bold")
    fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, 0.9 / fig.get_figheight()))  # room for the line
    return fig


def _annotate_runs(fig, runs):
    return annotate(fig, provenance(runs), smoke=any(run.config.profile == "smoke" for run in _runs(runs)))


def _label(run, with_optimizer=False, with_schedule=False) -> str:
    label = f"lr={run.lr:g}"
    if with_optimizer:
        label = f"{run.optimizer} {label}"
    if with_schedule:
        label = f"{run.config.schedule} {label}" + (
            f" + {run.config.warmup_steps}-step warm-up" if run.config.warmup_steps else "")
    return label + (" (diverged)" if run.diverged else "")


def loss_curves(runs, *, log: bool = True, window: int | None = None, ax=None, title: str | None = None,
                color_by=None, raw: bool = True, legend: bool = True):
    """Per-step training loss: each run's raw loss as a light line and its moving average on top.

    Dotted lines mark epoch boundaries; the bottom axis counts steps, the top one epochs. A diverged run is drawn to
    the step where it stopped and marked with an x. `color_by(run)` overrides the per-LR colour.
    """
    runs = _runs(runs)
    owns_figure = ax is None
    fig, ax = subplots(figsize=(9, 5)) if owns_figure else (ax.figure, ax)
    several_optimizers = len({run.optimizer for run in runs}) > 1
    several_schedules = len({(run.config.schedule, run.config.warmup_steps) for run in runs}) > 1
    longest = max(len(run.losses) for run in runs)
    steps_per_epoch = max(run.steps_per_epoch for run in runs) or longest
    window = window or max(1, steps_per_epoch // 20)
    smoothed = [smooth(run.losses, window) for run in runs]
    for run, averaged in zip(runs, smoothed):
        color = color_by(run) if color_by else lr_color(run.lr)
        steps = np.arange(1, len(run.losses) + 1)
        losses = np.asarray(run.losses, dtype=float)
        if raw:
            ax.plot(steps, np.where(np.isfinite(losses), losses, np.nan), color=color, alpha=0.18, lw=0.6)
        ax.plot(steps, averaged, color=color, lw=1.8, label=_label(run, several_optimizers, several_schedules))
        if run.diverged:  # an x where it stopped, at the top edge when the loss went off the chart
            ax.plot(len(losses), 0.97, marker="x", color=color, ms=11, mew=2.5,
                    transform=ax.get_xaxis_transform(), clip_on=False)
            ax.annotate(f"lr={run.lr:g} diverged", (len(losses), 0.97), xycoords=("data", "axes fraction"),
                        textcoords="offset points", xytext=(8, -4), color=color, fontsize=8, va="top")
    for boundary in range(steps_per_epoch, longest, steps_per_epoch):
        ax.axvline(boundary, color="0.6", ls=":", lw=0.8)
    if log:
        ax.set_yscale("log")
    calm = [averaged for run, averaged in zip(runs, smoothed) if not run.diverged and len(run.losses)]
    if calm and np.isfinite(max(np.nanmax(c) for c in calm)):
        # Frame the smoothed curves: a diverged run's explosion, or single batches with a loss near 0 on the log
        # axis, would otherwise squash everything that matters into a thin band.
        ax.set_ylim(top=2 * max(np.nanmax(c) for c in calm))
        if log:
            ax.set_ylim(bottom=0.3 * min(np.nanmin(c) for c in calm))
    ax.set_xlabel("training step (one batch each)")
    ax.set_ylabel("training loss (cross-entropy)")
    top = ax.secondary_xaxis("top", functions=(lambda s: s / steps_per_epoch, lambda e: e * steps_per_epoch))
    top.set_xlabel("epoch")
    ax.set_xlim(0, longest)
    if legend:
        ax.legend(fontsize=8, loc="upper right")
    ax.set_title(title or f"Training loss per step (moving average over {window} steps on top of the raw loss)",
                 fontsize=10, y=1.14)  # above the epoch axis
    return _annotate_runs(fig, runs) if owns_figure else fig


def _by_lr(runs, metric):
    """Per LR: mean, min and max of metric(run) over its non-diverged runs, and the LRs where any run diverged."""
    table = {}
    for run in runs:
        table.setdefault(run.lr, []).append(run)
    lrs = sorted(table)
    stats, diverged = [], []
    for lr in lrs:
        values = [metric(run) for run in table[lr] if not run.diverged and math.isfinite(metric(run))]
        stats.append((np.mean(values), np.min(values), np.max(values)) if values else (np.nan,) * 3)
        if any(run.diverged for run in table[lr]):
            diverged.append(lr)
    return np.array(lrs), np.array(stats).reshape(-1, 3), diverged


def metric_vs_lr(runs, metric, ylabel: str, *, by: str | None = None, ax=None, log_y=False, title=None):
    """metric(run) against the learning rate (log axis): mean over seeds with a min-max band; red bars mark LRs
    where a run diverged. by="optimizer" draws one curve per optimizer."""
    runs = _runs(runs)
    owns_figure = ax is None
    fig, ax = subplots(figsize=(7.5, 4.8)) if owns_figure else (ax.figure, ax)
    groups = {}
    for run in runs:
        groups.setdefault(getattr(run.config, by) if by else None, []).append(run)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (name, members), color in zip(groups.items(), colors):
        lrs, stats, diverged = _by_lr(members, metric)
        ax.fill_between(lrs, stats[:, 1], stats[:, 2], color=color, alpha=0.2, lw=0)
        ax.plot(lrs, stats[:, 0], "-", color=color, lw=1.5, label=name)
        edge = [lr_color(lr) for lr in lrs] if name is None else color
        ax.scatter(lrs, stats[:, 0], c=edge, s=50, zorder=3, edgecolors="k", linewidths=0.5)
        for lr in diverged:
            ax.axvline(lr, color="crimson", alpha=0.15, lw=6)
            ax.plot(lr, 0.97, marker="x", color=color, ms=8, mew=2, transform=ax.get_xaxis_transform())
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel("learning rate η")
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"{ylabel} against the learning rate" + (" (x: a run diverged)" if any(
        r.diverged for r in runs) else ""), fontsize=10)
    ax.grid(alpha=0.3, which="both")
    if by:
        ax.legend(fontsize=8)
    return _annotate_runs(fig, runs) if owns_figure else fig


def accuracy_vs_lr(runs, **kwargs):
    """Final test accuracy (%) against the learning rate."""
    return metric_vs_lr(runs, lambda run: 100 * run.final_accuracy, "test accuracy (%)", **kwargs)


def final_loss_vs_lr(runs, **kwargs):
    """Final training loss (mean over the last epoch) against the learning rate."""
    return metric_vs_lr(runs, lambda run: run.final_loss, "final training loss", log_y=True, **kwargs)


def lr_and_loss(runs, *, window: int | None = None):
    """Two panels sharing the step axis: the learning rate each run used, and its smoothed training loss."""
    runs = _runs(runs)
    fig, (top, bottom) = subplots(2, 1, figsize=(10, 8), sharex=True, height_ratios=(1, 2))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    color_of = {id(run): colors[i % len(colors)] for i, run in enumerate(runs)}
    for run in runs:
        top.plot(np.arange(1, len(run.step_lrs) + 1), run.step_lrs, color=color_of[id(run)], lw=1.8,
                 label=_label(run, with_schedule=True))
    top.set_ylabel("learning rate")
    top.set_title("Learning rate at every step", fontsize=10)
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    window = window or max(1, max(run.steps_per_epoch for run in runs) // 8)
    loss_curves(runs, ax=bottom, window=window, color_by=lambda run: color_of[id(run)], raw=False, legend=False,
                title=f"Training loss under each schedule (moving average over {window} steps)")
    fig.subplots_adjust(hspace=0.45, right=0.72)
    return _annotate_runs(fig, runs)
