"""Figures of training over time: loss curves, learning-rate schedules, sharpness, and the LR range test."""

import numpy as np

from lrlab.plot.style import (
    NEUTRAL,
    OPTIMIZER_COLORS,
    SCHEDULE_COLORS,
    WIDTH,
    annotate,
    annotate_runs,
    bottom_legend,
    lr_color,
    plain_log_ticks,
    run_label,
    runs_of,
    smooth,
    subplots,
)
from lrlab.text import schedule_name


def loss_curves(runs, *, log: bool = True, window: int | None = None, ax=None, title: str | None = None,
                color_by=None, raw: bool = False, legend: bool = True):
    """Per-step training loss: each run's moving average (raw=True adds its per-batch loss as a faint line).

    Dotted lines mark epoch boundaries; the bottom axis counts steps, the top one epochs. A diverged run is drawn to
    the step where it stopped and marked with an x. `color_by(run)` overrides the per-LR colour.
    """
    runs = runs_of(runs)
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
        ax.plot(steps, averaged, color=color, lw=1.8, label=run_label(run, several_optimizers, several_schedules))
        if run.diverged:
            _mark_stop(ax, run, color, longest)
    for boundary in range(steps_per_epoch, longest, steps_per_epoch):
        ax.axvline(boundary, color="0.6", ls=":", lw=0.8)
    if log:
        ax.set_yscale("log")
        plain_log_ticks(ax.yaxis)  # 0.5, 1, 2: not 5x10^-1, which crowds the labels beside it
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
    if legend and owns_figure:  # under the panel, where it covers no curve
        bottom_legend(fig, *ax.get_legend_handles_labels(), ncol=min(4, len(runs)))
    elif legend:
        ax.legend(loc="upper right")
    ax.set_title(title or f"Training loss per step (moving average over {window} steps)", y=1.16)  # over the epochs
    return annotate_runs(fig, runs) if owns_figure else fig


def _mark_stop(ax, run, color, longest: int) -> None:
    """An x where a diverged run stopped, at the top edge (its loss went off the chart), labelled into the panel."""
    stop = len(run.losses)
    ax.plot(stop, 0.97, marker="x", color=color, ms=11, mew=2.5, transform=ax.get_xaxis_transform(), clip_on=False)
    left = stop < longest / 2  # the label reads into the panel, never out past its edge
    ax.annotate(f"lr={run.lr:g} diverged", (stop, 0.97), xycoords=("data", "axes fraction"),
                textcoords="offset points", xytext=(8 if left else -8, -4), color=color, fontsize=9, va="top",
                ha="left" if left else "right")


def lr_and_loss(runs, *, window: int | None = None):
    """Panels sharing the step axis: the learning rate each run used, and its smoothed training loss; where some runs
    have a warm-up, their losses get a panel of their own beside the same schedules without it, so that no panel
    holds more than a handful of curves. A schedule has one colour in every figure; warm-up is drawn dashed; a
    second peak LR is drawn dotted."""
    runs = runs_of(runs)
    warmed = [run for run in runs if run.config.warmup_steps]
    plain = [run for run in runs if not run.config.warmup_steps]
    twins = [run for run in plain if (run.config.schedule, run.lr) in {(w.config.schedule, w.lr) for w in warmed}]
    groups = [(plain, "Training loss without warm-up" if warmed else "Training loss")] + (
        [(twins + warmed, "With warm-up (dashed), without (solid)")] if warmed and plain else [])
    fig, axes = subplots(1 + len(groups), 1, figsize=(WIDTH, 3 + 4.4 * len(groups)), sharex=True,
                         height_ratios=(1, *[2] * len(groups)))
    peak = max(run.lr for run in runs)

    def color_of(run):
        return SCHEDULE_COLORS.get(run.config.schedule, NEUTRAL)

    def style_of(run):
        return ":" if run.lr != peak else "--" if run.config.warmup_steps else "-"

    for run in runs:
        axes[0].plot(np.arange(1, len(run.step_lrs) + 1), run.step_lrs, color=color_of(run), ls=style_of(run),
                     lw=1.8, label=f"{schedule_name(run.config)}, peak η = {run.lr:g}")
    axes[0].set(ylabel="learning rate", title="Learning rate at every step")
    window = window or max(1, max(run.steps_per_epoch for run in runs) // 8)
    for ax, (members, which) in zip(axes[1:], groups):
        loss_curves(members, ax=ax, window=window, color_by=color_of, legend=False,
                    title=f"{which} (moving average, {window} steps)")
        for line, run in zip([ln for ln in ax.lines if ln.get_label() and not ln.get_label().startswith("_")],
                             members):
            line.set_linestyle(style_of(run))
    fig.subplots_adjust(hspace=0.55)
    bottom_legend(fig, *axes[0].get_legend_handles_labels(), ncol=2)
    return annotate_runs(fig, runs)


def sharpness_curves(runs):
    """Top: the sharpness of each full-batch run against the step, with its 2/eta drawn dashed in the same colour.
    Bottom: its full-batch training loss (log scale)."""
    fig, (top, bottom) = subplots(2, 1, figsize=(WIDTH, 6.6), sharex=True, height_ratios=(3, 2))
    for run, marker, style in zip(runs, "os^Dv" * len(runs), ["-", "--", ":", "-."] * len(runs)):
        color = lr_color(run.lr)  # close rates have close colours: markers and line styles tell them apart
        top.plot(run.measured_at, run.sharpness, marker=marker, ls=style, color=color, ms=6, lw=1.6, mec="k", mew=0.5,
                 label=f"η = {run.lr:g} (2/η = {run.threshold:g})")
        top.axhline(run.threshold, color=color, ls="--", lw=0.9, alpha=0.8)
        top.annotate(f"2/η = {run.threshold:g}", (0.0, run.threshold), xycoords=("axes fraction", "data"),
                     xytext=(4, 3), textcoords="offset points", ha="left", va="bottom", color=color, fontsize=9)
        bottom.plot(np.arange(len(run.losses)), run.losses, color=color, ls=style, lw=1.4)
    top.set(ylabel="sharpness λmax", title="Sharpness rises until it reaches 2/η, then hovers there")
    bottom_legend(fig, *top.get_legend_handles_labels(), ncol=min(3, len(runs)))
    bottom.set(xlabel="step of full-batch gradient descent", ylabel="training loss", yscale="log")
    bottom.grid(alpha=0.3, which="both")
    return _annotate_sharpness(fig, runs)


def _kind(run) -> str:
    """How a sharpness run trained, in a few words: "full-batch GD, square loss", "Adam, batch 32, cross-entropy"."""
    how = "GD" if run.optimizer == "gd" else "Adam"
    batches = "full-batch " + how if run.batch_size is None else f"{how}, batch {run.batch_size}"
    return f"{batches}, {run.loss} loss"


def _annotate_sharpness(fig, runs):
    """The provenance line of a figure of lrlab.hessian.SharpnessRun's."""
    kinds = "; ".join(dict.fromkeys(f"{_kind(r)} on {r.train_size:,} images, sharpness every "
                                    f"{r.measured_at[1] - r.measured_at[0] if len(r.measured_at) > 1 else 0} steps"
                                    for r in runs))
    return annotate(fig, f"{len(runs)} runs · {kinds} · lr {', '.join(f'{r.lr:g}' for r in runs)} · seed "
                         f"{', '.join(sorted({str(r.seed) for r in runs}))} · Lanczos, 1 % tolerance · profile "
                         f"{runs[0].profile}", smoke=any(r.profile == "smoke" for r in runs))


def adam_sharpness(runs):
    """Top: the preconditioned sharpness of each Adam run (log scale) with its threshold 38/eta dashed in the same
    colour. Bottom: its plain sharpness. Line style and marker tell full-batch from minibatch runs of one rate."""
    fig, (top, bottom) = subplots(2, 1, figsize=(WIDTH, 7.0), sharex=True, height_ratios=(3, 2))
    thresholds = set()  # each rate's threshold drawn once, however many of its runs
    for run, marker, style in zip(runs, "os^Dv" * len(runs), ["-", "--", ":", "-."] * len(runs)):
        color, label = lr_color(run.lr), f"η = {run.lr:g}, {_kind(run).replace(', square loss', '')}"
        top.plot(run.measured_at, run.preconditioned, marker=marker, ls=style, color=color, ms=6, lw=1.6, mec="k",
                 mew=0.5, label=label)
        bottom.plot(run.measured_at, run.sharpness, marker=marker, ls=style, color=color, ms=5, lw=1.4, mec="k",
                    mew=0.5)
        if run.threshold in thresholds:
            continue
        thresholds.add(run.threshold)
        top.axhline(run.threshold, color=color, ls="--", lw=0.9, alpha=0.8)
        top.annotate(f"38/η = {run.threshold:,.0f}", (1.0, run.threshold), xycoords=("axes fraction", "data"),
                     xytext=(-4, 3), textcoords="offset points", ha="right", va="bottom", color=color, fontsize=9)
    top.set(ylabel="preconditioned sharpness\nλmax(P^-1/2 H P^-1/2)", yscale="log",
            title="Adam's preconditioned sharpness against its threshold 38/η")
    bottom.set(xlabel="step", ylabel="plain sharpness λmax(H)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3, which="both")
    bottom_legend(fig, *top.get_legend_handles_labels(), ncol=1)
    return _annotate_sharpness(fig, runs)


def range_test(tests, *, best_lrs: dict[str, float] | None = None):
    """Loss against LR (log axis) for each test (a list, or a dict's values), with its suggestion, and optionally the
    best LR a sweep found."""
    tests = list(tests)
    fig, ax = subplots(figsize=(WIDTH, 4.4))
    for test in tests:
        color = OPTIMIZER_COLORS.get(test.optimizer, NEUTRAL)
        ax.plot(test.lrs, test.losses, color=color, alpha=0.2, lw=0.7)
        ax.plot(test.lrs, test.smoothed, color=color, lw=2, label=f"{test.optimizer} (smoothed)"
                + ("" if test.turned_up else ": never turned up!"))
        ax.axvline(test.suggestion, color=color, ls="--", lw=1.2, label=f"{test.optimizer}: suggestion (min/10), "
                   f"{test.suggestion:.1e}")  # named in the legend: labels beside close lines would overlap
        at = test.lrs.index(test.steepest)
        ax.plot(test.steepest, test.smoothed[at], "v", color=color, ms=9, mec="k", mew=0.6,
                label=f"{test.optimizer}: steepest descent, {test.steepest:.1e}")
        if best_lrs and test.optimizer in best_lrs:
            ax.axvline(best_lrs[test.optimizer], color=color, ls=":", lw=2,
                       label=f"{test.optimizer}: best rate of the sweep, {best_lrs[test.optimizer]:.1e}")
    top = max(max(t.smoothed[: max(1, len(t.smoothed) // 4)]) for t in tests)
    ax.set(xscale="log", xlabel="learning rate η (grows every step)", ylabel="training loss",
           ylim=(0, 1.6 * top), title="LR range test: where does the loss fall fastest, where does it blow up?")
    bottom_legend(fig, *ax.get_legend_handles_labels(), ncol=2)
    smoke = any(t.profile == "smoke" for t in tests)
    return annotate(fig, f"{len(tests)} range test(s) · {', '.join(t.optimizer for t in tests)} · "
                         f"{tests[0].lrs[0]:.0e} → up to {max(t.lrs[-1] for t in tests):.0e} over ≤ "
                         f"{tests[0].steps_planned} steps of batch {tests[0].batch_size} · {tests[0].data} · "
                         f"{tests[0].device} · "
                         f"profile {tests[0].profile}", smoke=smoke)
