"""Figures of fewer learning-rate decisions: where an optimizer that sets its own step size settles on a tuned
optimizer's U-curve, and what tuning by k trials buys against one run that needs no rate."""

import numpy as np

from lrlab.plot.style import (
    GOOD_BAND,
    NEUTRAL,
    OPTIMIZER_COLORS,
    WIDTH,
    annotate_runs,
    bottom_legend,
    plain_log_ticks,
    subplots,
)
from lrlab.plot.versus import final_loss_vs_lr
from lrlab.results import Sweep
from lrlab.tuning import adam_steps, best_of, settled_lr

SEED_STYLES = ["-", "--", ":", "-."]  # one line style per seed, in one colour per optimizer


def _shade_good(ax, tuned: Sweep, axis: str = "x", band: bool = True):
    """The tuned sweep's good region as a green band (unless band=False: already shaded) and its best rate as a
    dashed line, on an LR axis."""
    good, best = tuned.good_region(), tuned.best_lr()
    span, line = (ax.axvspan, ax.axvline) if axis == "x" else (ax.axhspan, ax.axhline)
    if good and band:
        span(good[0], good[1], **GOOD_BAND, label=f"{tuned.runs[0].optimizer}'s good region")
    line(best, color=OPTIMIZER_COLORS.get(tuned.runs[0].optimizer, NEUTRAL), ls="--", lw=1.2,
         label=f"{tuned.runs[0].optimizer}'s best rate, {best:.1e}")


def settled_rate(tuned: Sweep, free: Sweep):
    """Top: the step size each run of `free` took, step by step, in Adam's units (lrlab.tuning.adam_steps: Prodigy's
    d * lr with Adam's bias correction undone; one line style per seed), against the good region (shaded) and best
    rate (dashed) of `tuned`. Bottom: `tuned`'s final loss against the LR, with each `free` run drawn at the rate it
    settled on (lrlab.tuning.settled_lr) and its own final loss."""
    fig, (top, bottom) = subplots(2, 1, figsize=(WIDTH, 7.6), height_ratios=(2, 3))
    for run, style in zip(free.runs, SEED_STYLES * len(free.runs)):
        top.plot(np.arange(1, len(run.step_lrs) + 1), adam_steps(run), ls=style, lw=1.4,
                 color=OPTIMIZER_COLORS.get(run.optimizer, NEUTRAL), label=f"{run.optimizer}, seed {run.seed}")
    _shade_good(top, tuned, axis="y")
    top.set(xscale="log", yscale="log", xlabel="step (log scale)", ylabel="step size (Adam's units)",
            title=f"The step size {free.runs[0].optimizer} chose for itself")
    top.grid(alpha=0.3, which="both")
    top.legend(loc="lower right", fontsize=9)
    fig.subplots_adjust(hspace=0.45)
    final_loss_vs_lr(tuned, ax=bottom, title=f"Where it settled, on {tuned.runs[0].optimizer}'s U-curve")
    _shade_good(bottom, tuned, band=False)  # final_loss_vs_lr shaded the good region already
    for run in free.runs:
        bottom.scatter([settled_lr(run)], [run.final_loss], marker="D", s=60, zorder=4, edgecolors="k",
                       linewidths=0.6, color=OPTIMIZER_COLORS.get(run.optimizer, NEUTRAL))
    bottom.scatter([], [], marker="D", color=OPTIMIZER_COLORS.get(free.runs[0].optimizer, NEUTRAL), edgecolors="k",
                   label=f"{free.runs[0].optimizer}: its settled rate and final loss")
    if bottom.get_legend():
        bottom.get_legend().remove()
    bottom_legend(fig, *bottom.get_legend_handles_labels(), ncol=2)
    return annotate_runs(fig, tuned + free)


def tuning_cost(tuned: Sweep, untuned: dict[str, Sweep], ks=(1, 3, 5, 11)):
    """Test error against the number of training runs spent on choosing the rate: tuning `tuned` by k runs at
    rates picked at random from its grid (lrlab.tuning.best_of, the mean over seeds with their range shaded), against
    each entry of `untuned` (one run per seed, no choice of rate: its mean as a line, its seeds' range shaded).
    A k larger than the grid has no value and is left out."""
    ks = [k for k in ks if k <= len(tuned.lrs)]
    fig, ax = subplots(figsize=(WIDTH, 4.6))
    seeds = sorted({run.seed for run in tuned.runs})
    errors = np.array([[100 * (1 - best_of(tuned, k, seed)) for seed in seeds] for k in ks])
    color = OPTIMIZER_COLORS.get(tuned.runs[0].optimizer, NEUTRAL)
    ax.fill_between(ks, errors.min(axis=1), errors.max(axis=1), color=color, alpha=0.2, lw=0)
    ax.plot(ks, errors.mean(axis=1), "o-", color=color, mec="k", mew=0.5, ms=7,
            label=f"{tuned.runs[0].optimizer}, tuned: best of k rates")
    for (name, runs), style in zip(untuned.items(), ["--", ":", "-."] * len(untuned)):
        error = np.array([100 * (1 - run.final_accuracy) for run in runs.runs])
        run_color = OPTIMIZER_COLORS.get(runs.runs[0].optimizer, NEUTRAL)
        ax.axhspan(error.min(), error.max(), color=run_color, alpha=0.15, lw=0)
        ax.axhline(error.mean(), color=run_color, ls=style, lw=1.6, label=f"{name}: one run")
    ax.set(xscale="log", yscale="log", xticks=list(ks), xticklabels=[str(k) for k in ks],
           xlabel="training runs spent choosing the rate (k)", ylabel="test error (%), lower is better",
           title="What tuning buys: the best of k rates against no choice at all")
    ax.minorticks_off()
    plain_log_ticks(ax.yaxis)
    ax.grid(alpha=0.3, which="both")
    bottom_legend(fig, *ax.get_legend_handles_labels(), ncol=2)
    return annotate_runs(fig, tuned.runs + [run for runs in untuned.values() for run in runs.runs])
