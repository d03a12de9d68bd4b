"""Figures of results against a setting: loss or accuracy against the learning rate, good regions per optimizer,
final loss against the batch size."""


import matplotlib.ticker
import numpy as np

from lrlab.plot.style import (
    DIVERGED_STYLE,
    GOOD_BAND,
    NEUTRAL,
    OPTIMIZER_COLORS,
    SCHEDULE_COLORS,
    WIDTH,
    annotate_runs,
    bottom_legend,
    lr_color,
    plain_log_ticks,
    runs_of,
    subplots,
)
from lrlab.results import Sweep, trains, verdict_group


def _by_lr(runs, field: str, scale: float):
    """Per LR, from its summary (lrlab.results.RateSummary): the mean, smallest and largest `field` ("loss" or
    "accuracy", times `scale`) over the runs that finished, and the LRs where any run diverged."""
    rates = Sweep(list(runs)).summaries()
    stats = [[scale * getattr(rate, name) for name in (field, f"{field}_min", f"{field}_max")] for rate in rates]
    stats = np.where(np.isfinite(stats), stats, np.nan).reshape(-1, 3)  # every run diverged: no value to draw
    return np.array([rate.lr for rate in rates]), stats, [rate.lr for rate in rates if rate.diverged]


def _what_diverged(at_lr) -> str:
    """How many of the runs at one rate diverged, saying what was counted: seeds where the runs differ only in their
    seed, runs otherwise ("2 of 3 seeds diverged", "1 of 8 runs diverged")."""
    what = "seeds" if len({verdict_group(run.config) for run in at_lr}) == 1 else "runs"
    return f"{sum(run.diverged for run in at_lr)} of {len(at_lr)} {what} diverged"


def _mark_diverged(ax, runs, lrs_with_divergence):
    """A hatched band across the whole height at each LR where a run diverged (it has no value to plot), with a
    count of how many there diverged and of what (_what_diverged); one legend entry explains it."""
    for lr in lrs_with_divergence:
        at_lr = [run for run in runs if run.lr == lr]
        ax.axvspan(lr / 10 ** 0.1, lr * 10 ** 0.1, **DIVERGED_STYLE)
        ax.annotate(_what_diverged(at_lr), (lr, 0.5), rotation=90,
                    xycoords=("data", "axes fraction"), ha="center", va="center", color="crimson", fontsize=9,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.8))
    if lrs_with_divergence:
        ax.fill_between([], [], [], label="run(s) diverged: no value", **DIVERGED_STYLE)


def _mark_diverged_per_curve(ax, groups: dict) -> None:
    """With one curve per optimizer (or schedule), a band would not say whose runs diverged: instead an x in the
    curve's colour at the top of the axes, at each rate where that curve's runs diverged (stacked per curve)."""
    marked = False
    if any(run.diverged for members in groups.values() for run in members):  # headroom above the data for the x's
        low, high = ax.get_ylim()
        ax.set_ylim(low, high * (high / low) ** 0.35 if ax.get_yscale() == "log" else high + 0.35 * (high - low))
    for row, ((_, color, _), members) in enumerate(groups.items()):
        for lr in sorted({run.lr for run in members if run.diverged}):
            ax.plot(lr, 0.97 - 0.04 * row, "x", color=color, ms=8, mew=2.2, transform=ax.get_xaxis_transform(),
                    clip_on=False)
            marked = True
    if marked:
        ax.plot([], [], "x", color=NEUTRAL, ms=8, mew=2.2, label="x: that curve's run(s) diverged there (no value)")


def _group_style(run, fields: tuple[str, ...]) -> tuple[str, str, str]:
    """(label, colour, line style) of a run's curve when curves are drawn per value of `fields`: the optimizer's
    colour (or the schedule's, when only schedules differ), dashed when a non-constant schedule joins an optimizer."""
    config = run.config
    label = ", ".join(str(getattr(config, field)) for field in fields)
    if "optimizer" in fields:
        color = OPTIMIZER_COLORS.get(config.optimizer, NEUTRAL)
    else:
        color = SCHEDULE_COLORS.get(config.schedule, NEUTRAL) if "schedule" in fields else NEUTRAL
    dashed = "schedule" in fields and len(fields) > 1 and config.schedule != "constant"
    return label, color, "--" if dashed else "-"


def metric_vs_lr(runs, field: str, ylabel: str, *, scale: float = 1.0, by: str | tuple[str, ...] | None = None,
                 ax=None, log_y=False, title=None):
    """A rate summary's `field` ("loss": the final training loss, or "accuracy": the validation accuracy; times `scale`)
    against the learning rate (log axis): the mean over seeds with a min-max band (lrlab.results, rule 2). LRs where
    a run diverged are hatched (such a run has no value; the mean is over the others). by="optimizer" draws one curve
    per optimizer, in its fixed colour; by=("optimizer", "schedule") one per pair (non-constant schedules dashed)."""
    runs = runs_of(runs)
    fields = (by,) if isinstance(by, str) else tuple(by or ())
    owns_figure = ax is None
    fig, ax = subplots(figsize=(WIDTH, 4.2)) if owns_figure else (ax.figure, ax)
    groups = {}
    for run in runs:
        groups.setdefault(_group_style(run, fields), []).append(run)
    diverged_lrs = set()
    for (name, color, style), members in groups.items():
        lrs, stats, diverged = _by_lr(members, field, scale)
        diverged_lrs.update(diverged)
        ax.fill_between(lrs, stats[:, 1], stats[:, 2], color=color, alpha=0.2, lw=0)
        ax.plot(lrs, stats[:, 0], style, color=color, lw=1.5, label=name or None)
        dots = [lr_color(lr) for lr in lrs] if not fields else color
        ax.scatter(lrs, stats[:, 0], c=dots, s=45, zorder=3, edgecolors="k", linewidths=0.5)
    ax.set(xscale="log", yscale="log" if log_y else "linear")
    if log_y:
        plain_log_ticks(ax.yaxis)  # 0.2, 0.5, 1, 2: narrow labels that leave the axis title room
    if fields:
        _mark_diverged_per_curve(ax, groups)
    else:
        _mark_diverged(ax, runs, sorted(diverged_lrs))
        good = Sweep(list(runs)).good_region()  # shaded as in the explorer (lrlab.results, rule 5)
        if good:
            ax.axvspan(good[0] / 10 ** 0.15, good[1] * 10 ** 0.15, **GOOD_BAND, label="good region")
    ax.set(xlabel="learning rate η", ylabel=ylabel, title=title or f"{ylabel} against the learning rate")
    ax.grid(alpha=0.3, which="both")
    handles, labels = ax.get_legend_handles_labels()
    if handles and owns_figure:  # under the panel, where it covers no data
        bottom_legend(fig, handles, labels, ncol=min(3, len(handles)) if len(handles) < 5 else 2)
    elif handles:
        ax.legend(loc="best")
    return annotate_runs(fig, runs) if owns_figure else fig


def accuracy_vs_lr(runs, **kwargs):
    """Final validation accuracy (%) against the learning rate. The axis spans the data, not 0 to 100; its label
    says so."""
    fig = metric_vs_lr(runs, "accuracy", "validation accuracy (%)", scale=100, **kwargs)
    ax = kwargs.get("ax") or fig.axes[0]
    if ax.get_ylim()[0] > 0:
        ax.set_ylabel(f"validation accuracy (%)\n(the axis starts at {ax.get_ylim()[0]:.3g} %, not 0)")
    return fig


def final_loss_vs_lr(runs, **kwargs):
    """Final training loss (lrlab.results, rule 1) against the learning rate."""
    return metric_vs_lr(runs, "loss", "final training loss", log_y=True, **kwargs)


def first_step(runs, *, by: str = "optimizer"):
    """The first-step shock: the training loss after one update (the loss of a run's second batch, the median over
    its seeds) against the learning rate, one line per optimizer (or other config field), with the loss at the start
    dotted. Where one update throws the loss far above its start, the run diverges at once (lrlab.runs.diverged_at)."""
    runs = runs_of(runs)
    fig, ax = subplots(figsize=(WIDTH, 4.2))
    for name, members in Sweep(runs).split(by).items():
        after = [np.median([run.losses[1] if len(run.losses) > 1 else np.inf for run in members.by_lr(lr)])
                 for lr in members.lrs]
        color = OPTIMIZER_COLORS.get(name, NEUTRAL) if by == "optimizer" else NEUTRAL
        ax.plot(members.lrs, np.where(np.isfinite(after), after, np.nan), "o-", color=color, ms=5, lw=1.5,
                label=str(name))
    start = float(np.median([run.losses[0] for run in runs if run.losses]))
    ax.axhline(start, color=NEUTRAL, ls=":", lw=1.2, label=f"the loss at the start, {start:.2f}")
    ax.set(xscale="log", yscale="log", xlabel="learning rate η", ylabel="training loss after one update",
           title="The first step: the loss after a single update")
    ax.grid(alpha=0.3, which="both")
    bottom_legend(fig, *ax.get_legend_handles_labels(), ncol=3)
    return annotate_runs(fig, runs)


def good_regions(runs, *, key: str = "optimizer"):
    """A cheat sheet: for each optimizer (or other config field), its good region as a bar on the LR axis and its
    best rate as a dot, in the optimizer's colour (lrlab.results: the meanings of both)."""
    sweep = Sweep(runs_of(runs))
    names = list(sweep.split(key))
    fig, ax = subplots(figsize=(WIDTH, 0.6 * len(names) + 1.8))
    for row, name in enumerate(names):
        members = sweep.where(**{key: name})
        color = OPTIMIZER_COLORS.get(name, NEUTRAL) if key == "optimizer" else NEUTRAL
        good = members.good_region()
        if good:
            ax.plot(good, [row, row], color=color, lw=9, alpha=0.35, solid_capstyle="butt")
        best = members.best_lr()  # the best rate: the lowest mean over seeds (lrlab.results, rule 4)
        ax.plot(best, row, "o", color=color, ms=10, mec="k", mew=0.6)
        ax.annotate(f"best {best:.1e}", (best, row), xytext=(0, 11), textcoords="offset points", ha="center",
                    fontsize=9)
    ax.set(xscale="log", yticks=range(len(names)), yticklabels=names, ylim=(-0.7, len(names) - 0.3),
           xlabel="learning rate η", title=f"Where to start: the good region (bar) and best rate (dot) of each {key}")
    ax.grid(alpha=0.3, axis="x", which="both")
    return annotate_runs(fig, sweep)


def batch_scaling(runs, base_lrs: dict[str, float], batch_sizes):
    """Final training loss against the batch size, one panel per optimizer, one line per scaling rule of the rate."""
    from lrlab.noise import RULES, final_loss_by_rule

    runs = runs_of(runs)
    losses = final_loss_by_rule(runs, base_lrs, batch_sizes)
    fig, axes = subplots(1, len(base_lrs), figsize=(WIDTH, 3.8), sharey=True, squeeze=False)
    for ax, (optimizer, base) in zip(axes[0], base_lrs.items()):
        for (rule, style), marker in zip(zip(RULES, ["-", "--", ":"]), "os^"):
            ax.plot(batch_sizes, losses[(optimizer, rule)], ls=style, marker=marker, lw=1.6, ms=6,
                    color=OPTIMIZER_COLORS.get(optimizer, NEUTRAL), mec="k", mew=0.5, label=f"η {rule}")
        ax.set(yscale="log", xlabel="batch size", title=f"{optimizer}, η = {base:g} at batch 32")
        ax.set_xscale("log", base=2)
        ax.set_xticks(batch_sizes, [str(size) for size in batch_sizes])
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.grid(alpha=0.3, which="both")
    axes[0][0].set_ylabel("final training loss")
    fig.subplots_adjust(wspace=0.12)
    bottom_legend(fig, *axes[0][0].get_legend_handles_labels(), ncol=3)
    return annotate_runs(fig, runs)


TRAINED, SOME_TRAINED, STALLED = "#a6d96a", "#e6f5d0", "0.85"  # warm-up cells: every / some / no seed trained


def warmup_edge(runs, bound: float):
    """One panel per optimizer: a grid of peak LR (columns) by warm-up length (rows). Each cell counts its seeds:
    how many trained (did not diverge, final loss < `bound`), and how many diverged. Green: every seed trained;
    pale green: some did; grey: none did; hatched: every seed diverged. Outlined in each row: the largest LR at which
    most seeds trained (lrlab.results.trains, the same test as Sweep.largest_trainable(bound, most=True))."""
    from matplotlib.patches import Rectangle

    runs = runs_of(runs)
    optimizers = list(dict.fromkeys(run.optimizer for run in runs))
    fig, axes = subplots(len(optimizers), 1, figsize=(WIDTH, 2.2 + 1.9 * len(optimizers)), squeeze=False)
    for ax, optimizer in zip(axes[:, 0], optimizers):
        members = [run for run in runs if run.optimizer == optimizer]
        lrs = sorted({run.lr for run in members})
        warmups = sorted({run.config.warmup_steps for run in members})
        for y, warmup in enumerate(warmups):
            row = [run for run in members if run.config.warmup_steps == warmup]
            most = [lr for lr in lrs if _warmup_cell(ax, lrs.index(lr), y, [r for r in row if r.lr == lr], bound)]
            if most:  # outline the edge: the largest LR of the row at which most seeds trained
                ax.add_patch(Rectangle((lrs.index(max(most)) - 0.5, y - 0.5), 1, 1, fill=False, ec="k", lw=2))
        total = max((len(run.step_lrs) for run in members if not run.diverged), default=0)
        ax.set(xlim=(-0.5, len(lrs) - 0.5), ylim=(-0.5, len(warmups) - 0.5), xticks=range(len(lrs)),
               xticklabels=[f"{lr:.2g}" for lr in lrs], yticks=range(len(warmups)),
               yticklabels=[f"{w} ({w / total:.0%})" if total else str(w) for w in warmups],
               xlabel=f"peak learning rate η ({optimizer})", ylabel="warm-up steps")
        seeds = len({run.seed for run in members})
        ax.set_title(f"{optimizer}: how many of {seeds} seeds trained (final loss < {bound:g})")
    handles = [Rectangle((0, 0), 1, 1, facecolor=color) for color in (TRAINED, SOME_TRAINED, STALLED)]
    handles += [Rectangle((0, 0), 1, 1, **DIVERGED_STYLE), Rectangle((0, 0), 1, 1, fill=False, ec="k", lw=2)]
    fig.subplots_adjust(hspace=0.6)
    bottom_legend(fig, handles, ["every seed trained", "some seeds trained", "no seed trained",
                                 "every seed diverged", "outlined: largest rate most seeds trained at"], ncol=2)
    return annotate_runs(fig, runs)


def _warmup_cell(ax, x: int, y: int, cell: list, bound: float) -> bool:
    """Draw one cell of warmup_edge (its seeds' count of trained and diverged runs); whether most seeds trained."""
    from matplotlib.patches import Rectangle

    trained, diverged = sum(trains(run, bound) for run in cell), sum(run.diverged for run in cell)
    if cell and diverged == len(cell):
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, **DIVERGED_STYLE))
    else:
        color = TRAINED if trained == len(cell) else SOME_TRAINED if trained else STALLED
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=color, edgecolor="white", lw=1.5))
    text = f"{trained}/{len(cell)} trained" + (f"\n{diverged} diverged" if diverged else "")
    ax.text(x, y, text, ha="center", va="center", fontsize=9, color="crimson" if diverged == len(cell) else "black")
    return 2 * trained > len(cell)
