"""Every figure of the book, called one way: `lrlab.plot.<figure>(...)`, returning a matplotlib Figure (or, for an
explorer, an interactive Vega figure) with its provenance written under it.

    style     the book's width, text size and colour language; subplots, the provenance line, one bottom legend
    training  loss_curves, lr_and_loss, sharpness_curves, adam_sharpness, range_test
    versus    metric_vs_lr, final_loss_vs_lr, accuracy_vs_lr, first_step, good_regions, batch_scaling, warmup_edge
    bowls     steps_1d, paths_2d, contraction, momentum (gradient descent on quadratics)
    branches  cooldowns, budgets (warmup-stable-decay against a schedule per budget)
    tuning    settled_rate, tuning_cost (optimizers that set their own step size)
    explorers momentum_explorer, goldilocks_explorer (Vega sliders that work in the static HTML)

matplotlib.pyplot is imported when the first figure is drawn, not before.
"""

from lrlab.plot.bowls import contraction, momentum, paths_2d, steps_1d
from lrlab.plot.branches import budgets, cooldowns
from lrlab.plot.explorers import Explorer, goldilocks_explorer, momentum_explorer
from lrlab.plot.style import (
    OPTIMIZER_COLORS,
    SCHEDULE_COLORS,
    WIDTH,
    annotate,
    bottom_legend,
    lr_color,
    provenance,
    smooth,
    subplots,
)
from lrlab.plot.training import adam_sharpness, loss_curves, lr_and_loss, range_test, sharpness_curves
from lrlab.plot.tuning import settled_rate, tuning_cost
from lrlab.plot.versus import (
    accuracy_vs_lr,
    batch_scaling,
    final_loss_vs_lr,
    first_step,
    good_regions,
    metric_vs_lr,
    warmup_edge,
)

__all__ = [
    "accuracy_vs_lr", "adam_sharpness", "annotate", "batch_scaling", "bottom_legend", "budgets", "contraction",
    "cooldowns", "Explorer", "final_loss_vs_lr", "first_step", "goldilocks_explorer", "good_regions", "loss_curves",
    "lr_and_loss", "lr_color", "metric_vs_lr", "momentum", "momentum_explorer", "OPTIMIZER_COLORS", "paths_2d",
    "provenance", "range_test", "SCHEDULE_COLORS", "settled_rate", "sharpness_curves", "smooth", "steps_1d",
    "subplots", "tuning_cost", "warmup_edge", "WIDTH",
]
