"""Figures of runs and sweeps. Every function returns a matplotlib Figure with its provenance written under it."""

import math

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, LogNorm

from lrlab.sweeps import schedule_name

# The book's figure style, applied to every figure lrlab makes (and to nothing else: no global side effects).
# Figures are about as wide as the page column (6.4 in), so their text shows near its set size (>= 10 pt).
STYLE = {"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False, "font.size": 11,
         "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10, "ytick.labelsize": 10,
         "legend.fontsize": 10}
WIDTH = 6.4  # inches: the page column
# The book's one colour language: a fixed colour per optimizer and per schedule; the LR colour map only for LRs.
OPTIMIZER_COLORS = {"sgd": "#7f7f7f", "momentum": "#8c564b", "rmsprop": "#9467bd", "adam": "#1f77b4"}
SCHEDULE_COLORS = {"constant": "#d62728", "step": "#2ca02c", "cosine": "#ff7f0e", "onecycle": "#17becf"}
DIVERGED_STYLE = dict(facecolor="none", edgecolor="crimson", hatch="///", lw=0, alpha=0.5)
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
        figure = plt.subplots(*args, **kwargs)
        interactive = matplotlib.is_interactive()  # the first figure may have just switched Jupyter's backend on
    matplotlib.interactive(interactive)  # and the style's restore must not switch it off again (figures would vanish)
    return figure


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
    fig.text(0.01, 0.005, text, fontsize=9, color="0.3", ha="left", va="bottom", wrap=True)
    if smoke:
        fig.text(0.99, 0.99, "SMOKE PROFILE: tiny subset, 1 epoch, not the real experiment", fontsize=9,
                 color="crimson", ha="right", va="top", weight="bold")
    fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, 1.05 / fig.get_figheight()))  # room for the line
    return fig


def _annotate_runs(fig, runs):
    return annotate(fig, provenance(runs), smoke=any(run.config.profile == "smoke" for run in _runs(runs)))


def _label(run, with_optimizer=False, with_schedule=False) -> str:
    label = f"lr={run.lr:g}"
    if with_optimizer:
        label = f"{run.optimizer} {label}"
    if with_schedule:
        label = f"{schedule_name(run.config)} {label}"
    return label + (" (diverged)" if run.diverged else "")


def loss_curves(runs, *, log: bool = True, window: int | None = None, ax=None, title: str | None = None,
                color_by=None, raw: bool = False, legend: bool = True):
    """Per-step training loss: each run's moving average (raw=True adds its per-batch loss as a faint line).

    Dotted lines mark epoch boundaries; the bottom axis counts steps, the top one epochs. A diverged run is drawn to
    the step where it stopped and marked with an x. `color_by(run)` overrides the per-LR colour.
    """
    runs = _runs(runs)
    owns_figure = ax is None
    fig, ax = subplots(figsize=(WIDTH, 4.4)) if owns_figure else (ax.figure, ax)
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
            ax.plot(steps, np.where(np.isfinite(losses), losses, np.nan), color=color, alpha=0.1, lw=0.5)
        ax.plot(steps, averaged, color=color, lw=1.8, label=_label(run, several_optimizers, several_schedules))
        if run.diverged:  # an x where it stopped, at the top edge when the loss went off the chart
            ax.plot(len(losses), 0.97, marker="x", color=color, ms=11, mew=2.5,
                    transform=ax.get_xaxis_transform(), clip_on=False)
            ax.annotate(f"lr={run.lr:g} diverged", (len(losses), 0.97), xycoords=("data", "axes fraction"),
                        textcoords="offset points", xytext=(-8, -4), color=color, fontsize=9, va="top", ha="right")
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
        ax.legend(loc="upper right")
    ax.set_title(title or f"Training loss per step (moving average over {window} steps)", y=1.16)  # over the epochs
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


def _mark_diverged(ax, runs, lrs_with_divergence):
    """A hatched band across the whole height at each LR where a run diverged (it has no value to plot), with a
    count of how many runs there diverged; one legend entry explains it."""
    for lr in lrs_with_divergence:
        at_lr = [run for run in runs if run.lr == lr]
        ax.axvspan(lr / 10 ** 0.1, lr * 10 ** 0.1, **DIVERGED_STYLE)
        ax.annotate(f"{sum(r.diverged for r in at_lr)}/{len(at_lr)} diverged", (lr, 0.5), rotation=90,
                    xycoords=("data", "axes fraction"), ha="center", va="center", color="crimson", fontsize=9,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    if lrs_with_divergence:
        ax.fill_between([], [], [], label="run(s) diverged: no value", **DIVERGED_STYLE)


def metric_vs_lr(runs, metric, ylabel: str, *, by: str | None = None, ax=None, log_y=False, title=None):
    """metric(run) against the learning rate (log axis): mean over seeds with a min-max band. LRs where a run
    diverged are hatched (such a run has no value; the mean is over the others). by="optimizer" draws one curve
    per optimizer, in its fixed colour."""
    runs = _runs(runs)
    owns_figure = ax is None
    fig, ax = subplots(figsize=(WIDTH, 4.2)) if owns_figure else (ax.figure, ax)
    groups = {}
    for run in runs:
        groups.setdefault(getattr(run.config, by) if by else None, []).append(run)
    diverged_lrs = set()
    for name, members in groups.items():
        color = OPTIMIZER_COLORS.get(name, "0.35") if by == "optimizer" else "0.35"
        lrs, stats, diverged = _by_lr(members, metric)
        diverged_lrs.update(diverged)
        ax.fill_between(lrs, stats[:, 1], stats[:, 2], color=color, alpha=0.2, lw=0)
        ax.plot(lrs, stats[:, 0], "-", color=color, lw=1.5, label=name)
        dots = [lr_color(lr) for lr in lrs] if name is None else color
        ax.scatter(lrs, stats[:, 0], c=dots, s=45, zorder=3, edgecolors="k", linewidths=0.5)
    _mark_diverged(ax, runs, sorted(diverged_lrs))
    ax.set_xscale("log")
    if log_y:
        ax.set_yscale("log")
    ax.set(xlabel="learning rate η", ylabel=ylabel, title=title or f"{ylabel} against the learning rate")
    ax.grid(alpha=0.3, which="both")
    if by or diverged_lrs:
        ax.legend(loc="best")
    return _annotate_runs(fig, runs) if owns_figure else fig


def accuracy_vs_lr(runs, **kwargs):
    """Final test accuracy (%) against the learning rate. The axis is zoomed to the data; the label says so."""
    fig = metric_vs_lr(runs, lambda run: 100 * run.final_accuracy, "test accuracy (%)", **kwargs)
    ax = kwargs.get("ax") or fig.axes[0]
    if ax.get_ylim()[0] > 0:
        ax.set_ylabel(f"test accuracy (%)\n(zoomed: axis starts at {ax.get_ylim()[0]:.3g} %)")
    return fig


def final_loss_vs_lr(runs, **kwargs):
    """Final training loss (mean over the last epoch) against the learning rate."""
    return metric_vs_lr(runs, lambda run: run.final_loss, "final training loss", log_y=True, **kwargs)


def lr_and_loss(runs, *, window: int | None = None):
    """Two panels sharing the step axis: the learning rate each run used, and its smoothed training loss. A
    schedule has one colour in every figure; warm-up is drawn dashed; a second peak LR is drawn dotted."""
    runs = _runs(runs)
    fig, (top, bottom) = subplots(2, 1, figsize=(WIDTH, 7.4), sharex=True, height_ratios=(1, 2))
    peak = max(run.lr for run in runs)

    def color_of(run):
        return SCHEDULE_COLORS.get(run.config.schedule, "0.3")

    def style_of(run):
        return ":" if run.lr != peak else "--" if run.config.warmup_steps else "-"

    for run in runs:
        top.plot(np.arange(1, len(run.step_lrs) + 1), run.step_lrs, color=color_of(run), ls=style_of(run), lw=1.8,
                 label=f"{schedule_name(run.config)}, peak η = {run.lr:g}")
    top.set(ylabel="learning rate", title="Learning rate at every step")
    window = window or max(1, max(run.steps_per_epoch for run in runs) // 8)
    loss_curves(runs, ax=bottom, window=window, color_by=color_of, legend=False,
                title=f"Training loss under each schedule (moving average over {window} steps)")
    for line, run in zip([ln for ln in bottom.lines if ln.get_label() and not ln.get_label().startswith("_")], runs):
        line.set_linestyle(style_of(run))
    fig.legend(*top.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=9,
               bbox_to_anchor=(0.5, 0.045), frameon=False)
    fig.subplots_adjust(hspace=0.5, bottom=0.27)
    return _annotate_runs(fig, runs)


def good_regions(runs, *, key: str = "optimizer"):
    """A cheat sheet: for each optimizer (or other config field), its good region as a bar on the LR axis and its
    best LR as a dot, in the optimizer's colour."""
    from lrlab.sweeps import Sweep

    sweep = Sweep(_runs(runs))
    names = list(sweep.best_by(key))
    fig, ax = subplots(figsize=(WIDTH, 0.6 * len(names) + 1.8))
    for row, name in enumerate(names):
        members = Sweep([run for run in sweep.runs if getattr(run.config, key) == name])
        color = OPTIMIZER_COLORS.get(name, "0.35") if key == "optimizer" else "0.35"
        good = members.good_region()
        if good:
            ax.plot(good, [row, row], color=color, lw=9, alpha=0.35, solid_capstyle="butt")
        best = members.best().lr
        ax.plot(best, row, "o", color=color, ms=10, mec="k", mew=0.6)
        ax.annotate(f"best {best:.1e}", (best, row), xytext=(0, 11), textcoords="offset points", ha="center",
                    fontsize=9)
    ax.set(xscale="log", yticks=range(len(names)), yticklabels=names, ylim=(-0.7, len(names) - 0.3),
           xlabel="learning rate η", title=f"Where to start: the good region (bar) and best rate (dot) of each {key}")
    ax.grid(alpha=0.3, axis="x", which="both")
    return _annotate_runs(fig, sweep.runs)


def sharpness_curves(runs):
    """Top: the sharpness of each full-batch run against the step, with its 2/eta drawn dashed in the same colour.
    Bottom: its full-batch training loss (log scale)."""
    fig, (top, bottom) = subplots(2, 1, figsize=(WIDTH, 6.6), sharex=True, height_ratios=(3, 2))
    for run, marker, style in zip(runs, "os^Dv" * len(runs), ["-", "--", ":", "-."] * len(runs)):
        color = lr_color(run.lr)  # close rates have close colours: markers and line styles tell them apart
        top.plot(run.steps, run.sharpness, marker=marker, ls=style, color=color, ms=6, lw=1.6, mec="k", mew=0.5,
                 label=f"η = {run.lr:g} (2/η = {run.threshold:g})")
        top.axhline(run.threshold, color=color, ls="--", lw=0.9, alpha=0.8)
        top.annotate(f"2/η = {run.threshold:g}", (0.0, run.threshold), xycoords=("axes fraction", "data"),
                     xytext=(4, 3), textcoords="offset points", ha="left", va="bottom", color=color, fontsize=9)
        bottom.plot(np.arange(len(run.losses)), run.losses, color=color, ls=style, lw=1.4)
    top.set(ylabel="sharpness λmax", title="Sharpness rises until it reaches 2/η, then hovers there")
    fig.legend(*top.get_legend_handles_labels(), loc="lower center", ncol=min(3, len(runs)), fontsize=9,
               bbox_to_anchor=(0.5, 0.06), frameon=False)
    fig.subplots_adjust(bottom=0.2)
    bottom.set(xlabel="step of full-batch gradient descent", ylabel="training loss", yscale="log")
    bottom.grid(alpha=0.3, which="both")
    first = runs[0]
    return annotate(fig, f"{len(runs)} runs · full-batch gradient descent · lr {', '.join(f'{r.lr:g}' for r in runs)}"
                         f" · square loss · {first.train_size:,} fixed train images · seed {first.seed} · sharpness "
                         f"by Lanczos every {first.steps[1] - first.steps[0] if len(first.steps) > 1 else 0} steps · "
                         f"profile {first.profile}", smoke=first.profile == "smoke")


def batch_scaling(runs, base_lrs: dict[str, float], batch_sizes):
    """Final training loss against the batch size, one panel per optimizer, one line per scaling rule of the rate."""
    from lrlab.noise import RULES, final_loss_by_rule

    runs = _runs(runs)
    losses = final_loss_by_rule(runs, base_lrs, batch_sizes)
    fig, axes = subplots(1, len(base_lrs), figsize=(WIDTH, 3.8), sharey=True, squeeze=False)
    for ax, (optimizer, base) in zip(axes[0], base_lrs.items()):
        for (rule, style), marker in zip(zip(RULES, ["-", "--", ":"]), "os^"):
            ax.plot(batch_sizes, losses[(optimizer, rule)], ls=style, marker=marker, lw=1.6, ms=6,
                    color=OPTIMIZER_COLORS.get(optimizer, "0.3"), mec="k", mew=0.5, label=f"η {rule}")
        ax.set(yscale="log", xlabel="batch size", title=f"{optimizer}, η = {base:g} at batch 32")
        ax.set_xscale("log", base=2)
        ax.set_xticks(batch_sizes, [str(size) for size in batch_sizes])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("final training loss")
    fig.legend(*axes[0][0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 0.16))
    fig.subplots_adjust(bottom=0.42, wspace=0.12)
    return _annotate_runs(fig, runs)
