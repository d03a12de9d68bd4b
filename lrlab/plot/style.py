"""The book's figure style: one width, one text size, one colour language, and a provenance line under every figure."""

import textwrap

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.colors import LinearSegmentedColormap, LogNorm

from lrlab.config import VALIDATION_IMAGES
from lrlab.plot import legibility
from lrlab.text import schedule_name

# The book's figure style, applied to every figure lrlab makes (and to nothing else: no global side effects).
# Figures are about as wide as the page column (6.4 in), so their text shows near its set size (>= 10 pt).
STYLE = {"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False, "font.size": 11,
         "axes.titlesize": 11, "axes.labelsize": 11, "xtick.labelsize": 10, "ytick.labelsize": 10,
         "legend.fontsize": 10}
WIDTH = 6.4  # inches: the page column
PROVENANCE_IN = 0.32  # inches at the bottom of a figure for its provenance line (up to two lines of 9 pt)
PROVENANCE_CHARS = 100  # characters per line of it: what the page column holds at 9 pt
X_AXIS_IN = 0.62  # inches a bottom panel's tick labels and axis label take below it
# The book's one colour language: a fixed colour per optimizer and per schedule; the LR colour map only for LRs.
OPTIMIZER_COLORS = {"sgd": "#7f7f7f", "momentum": "#8c564b", "rmsprop": "#9467bd", "adam": "#1f77b4",
                    "schedule-free": "#e377c2", "prodigy": "#bcbd22"}
NEUTRAL = "0.35"  # anything without a colour of its own
SCHEDULE_COLORS = {"constant": "#d62728", "step": "#2ca02c", "cosine": "#ff7f0e", "onecycle": "#17becf",
                   "wsd": "#6a3d9a", "wsd-sqrt": "#b07cc6"}
GOOD_BAND = dict(color="#1a9850", alpha=0.12, lw=0)  # the good region of a sweep, shaded on an LR axis
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
    """plt.subplots in the book's style (pyplot is imported here, when a figure is first drawn, not with lrlab)."""
    import matplotlib.pyplot as plt

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


class Runs(list):
    """A figure's runs as a list, still saying whose model and data they are (Sweep.yours), so that the line under
    the figure names the right data."""

    yours = False


def runs_of(runs_or_sweep) -> Runs:
    runs = Runs(getattr(runs_or_sweep, "runs", runs_or_sweep))
    runs.yours = getattr(runs_or_sweep, "yours", False)
    return runs


def _join(values, form: str = "{}", most: int = 6) -> str:
    """The distinct values, sorted and comma-separated; more than `most` of them as a range with their count."""
    values = sorted(set(values))
    if len(values) > most:
        return f"{form.format(values[0])} to {form.format(values[-1])} ({len(values)} values)"
    return ", ".join(form.format(v) for v in values)


def provenance(runs) -> str:
    """One line saying what produced a figure: optimizers, LRs, seeds, epochs, data size, device, profile."""
    yours = getattr(runs, "yours", False)  # a Sweep of your own model (lrlab.custom)
    runs = runs_of(runs)
    configs = [run.config for run in runs]
    data = (f"{_join((c.train_size for c in configs), '{:,}')} train / "
            f"{_join((c.test_size for c in configs), '{:,}')} validation examples of your data"
            if yours else
            f"{_join((c.training_images() for c in configs), '{:,}')} train / "
            f"{_join((c.validation_size or VALIDATION_IMAGES for c in configs), '{:,}')} validation / "
            f"{_join((c.test_size or 10000 for c in configs), '{:,}')} test images")
    return " · ".join([
        "your model" if yours else "the CNN on MNIST",
        f"{len(runs)} runs",
        f"optimizer {_join(c.optimizer for c in configs)}",
        f"lr {_join((c.lr for c in configs), '{:.2g}')}",
        f"seeds {_join(c.seed for c in configs)}",
        f"{_join(c.epochs for c in configs)} epoch(s)",
        f"batch {_join(c.batch_size for c in configs)}",
        data,
        _join(run.device for run in runs),
        f"profile {_join(c.profile for c in configs)}",
    ])


def plain_log_ticks(axis) -> None:
    """Ticks at 1, 2 and 5 of each decade, written as plain numbers (0.05, not 5x10^-2), on a log axis that spans
    too little for its default decade ticks to label more than one value (e.g. ax.yaxis)."""
    axis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1, 2, 5)))
    axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(matplotlib.ticker.NullFormatter())


def bottom_legend(fig, handles, labels, *, ncol: int = 2):
    """One legend for all panels, centred under them and above the provenance line, with exactly the room it needs
    made below the panels (its height is measured, not guessed)."""
    legend = fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=9, frameon=False,
                        bbox_to_anchor=(0.5, PROVENANCE_IN / fig.get_figheight()))
    height = legend.get_window_extent().height / fig.dpi
    fig.subplots_adjust(bottom=(PROVENANCE_IN + height + X_AXIS_IN) / fig.get_figheight())
    return legend


def annotate(fig, text: str, smoke: bool = False):
    """Write the provenance line under the figure, wrapped to the page column, with the room its lines need (the
    legend under the panels and the panels move up when it takes more than PROVENANCE_IN); in the smoke profile
    add a visible warning."""
    lines = textwrap.wrap(text, PROVENANCE_CHARS)
    fig.text(0.01, 0.005, "\n".join(lines), fontsize=9, color="0.3", ha="left", va="bottom")
    extra = len(lines) * 9 * 1.2 / 72 + 0.04 - PROVENANCE_IN  # inches beyond the room bottom_legend left
    if extra > 0:
        height = fig.get_figheight()
        for legend in fig.legends:
            legend.set_bbox_to_anchor((0.5, (PROVENANCE_IN + extra) / height), transform=fig.transFigure)
        fig.subplots_adjust(bottom=fig.subplotpars.bottom + extra / height)
    if smoke:
        fig.text(0.99, 0.99, "SMOKE PROFILE: tiny subset, 1 epoch, not the real experiment", fontsize=9,
                 color="crimson", ha="right", va="top", weight="bold")
    fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, 1.05 / fig.get_figheight()))  # room for the line
    legibility.enforce(fig)  # the book build refuses a figure whose legend covers data or whose labels overlap
    return fig


def annotate_runs(fig, runs):
    return annotate(fig, provenance(runs), smoke=any(run.config.profile == "smoke" for run in runs_of(runs)))


def run_label(run, with_optimizer=False, with_schedule=False) -> str:
    label = f"lr={run.lr:g}"
    if with_optimizer:
        label = f"{run.optimizer} {label}"
    if with_schedule:
        label = f"{schedule_name(run.config)} {label}"
    return label + (" (diverged)" if run.diverged else "")
