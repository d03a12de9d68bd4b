"""Figures of training budgets: cooldown branches from one constant-rate trunk against a schedule retrained for
each budget (warmup-stable-decay against cosine), and what each budget's runs reached."""

import matplotlib.ticker
import numpy as np

from lrlab.plot.style import (
    NEUTRAL,
    SCHEDULE_COLORS,
    WIDTH,
    annotate_runs,
    bottom_legend,
    plain_log_ticks,
    runs_of,
    smooth,
    subplots,
)
from lrlab.text import schedule_name

BUDGET_STYLES = ["-", "--", ":", "-."]  # one line style per budget, in one colour per schedule


def cooldowns(runs, *, window: int | None = None):
    """Top: the learning rate of every run, step by step; bottom: its smoothed training loss. One colour per
    schedule, one line style per budget (run length), so that branches sharing a trunk show where they leave it; a
    constant-rate run (the trunk) is drawn wide and pale underneath, so that the branches on it stay visible."""
    runs = sorted(runs_of(runs), key=lambda run: (run.config.schedule != "constant", run.config.epochs))
    budgets = sorted({run.config.epochs for run in runs})
    fig, (top, bottom) = subplots(2, 1, figsize=(WIDTH, 7.4), sharex=True, height_ratios=(1, 2))
    window = window or max(1, max(run.steps_per_epoch for run in runs) // 8)
    for run in runs:
        color = SCHEDULE_COLORS.get(run.config.schedule, NEUTRAL)
        style = BUDGET_STYLES[budgets.index(run.config.epochs) % len(BUDGET_STYLES)]
        trunk = dict(ls="-", lw=3.5, alpha=0.45) if run.config.schedule == "constant" else dict(ls=style, lw=1.6)
        steps = np.arange(1, len(run.losses) + 1)
        label = f"{schedule_name(run.config)}, {run.config.epochs} epoch(s)"
        top.plot(steps, run.step_lrs, color=color, label=label, **trunk)
        bottom.plot(steps, smooth(run.losses, window), color=color, **trunk)
    top.set(ylabel="learning rate", title="The learning rate of each run")
    bottom.set(yscale="log", xlabel="training step (one batch each)", ylabel="training loss (cross-entropy)",
               title=f"Training loss (moving average over {window} steps)")
    for ax in (top, bottom):
        ax.grid(alpha=0.3, which="both")
    fig.subplots_adjust(hspace=0.3)
    bottom_legend(fig, *top.get_legend_handles_labels(), ncol=2)
    return annotate_runs(fig, runs)


def budgets(runs, *, trunk: str = "constant"):
    """Validation loss after each budget (epochs of training): one line per schedule, the mean over seeds with their
    range shaded. A `trunk` run evaluated after every epoch (test_every=1) gives its own value at every budget: the
    model you get by stopping the constant rate there, without a cooldown."""
    runs = runs_of(runs)
    fig, ax = subplots(figsize=(WIDTH, 4.4))
    schedules = dict.fromkeys(run.config.schedule for run in runs)
    for schedule in schedules:
        members = [run for run in runs if run.config.schedule == schedule]
        if schedule == trunk:  # one long run, tested after every epoch
            points = {epoch: [run.validation_loss[epoch - 1] for run in members if len(run.validation_loss) >= epoch]
                      for epoch in range(1, max(run.config.epochs for run in members) + 1)}
        else:
            points = {}
            for run in members:
                points.setdefault(run.config.epochs, []).append(run.validation_loss[-1])
        epochs = sorted(points)
        values = [points[epoch] for epoch in epochs]
        color = SCHEDULE_COLORS.get(schedule, NEUTRAL)
        ax.fill_between(epochs, [min(v) for v in values], [max(v) for v in values], color=color, alpha=0.2, lw=0)
        ax.plot(epochs, [np.mean(v) for v in values], "o-", color=color, mec="k", mew=0.5, ms=6,
                label=f"{schedule}{' (the trunk, no cooldown)' if schedule == trunk else ''}")
    ax.set(xscale="log", yscale="log", xlabel="training budget (epochs)", ylabel="validation loss after the budget",
           title="What each budget reached, by schedule")
    ax.set_xticks(sorted({run.config.epochs for run in runs}), [str(e) for e in sorted({run.config.epochs
                                                                                        for run in runs})])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    plain_log_ticks(ax.yaxis)
    ax.grid(alpha=0.3, which="both")
    bottom_legend(fig, *ax.get_legend_handles_labels(), ncol=2)
    return annotate_runs(fig, runs)
