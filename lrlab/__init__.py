"""lrlab: the experiments behind "Riding the Learning Curve".

    import lrlab
    result = lrlab.sweep([1e-4, 1e-3, 1e-2], epochs=5)   # one run per learning rate: cached, stacked, labelled
    print(result.table())
    lrlab.plot.loss_curves(result)

Modules: claims (the book's checked sentences), evidence (the checks they rest on, with their margins), config
(TrainConfig), settings (its fields as keyword arguments and command-line options), data (MNIST and its validation
split), model (CNN), optim (optimizers, schedule-free AdamW and Prodigy included, and
schedules, wsd included), hessian (sharpness from Hessian-vector
products), noise (minibatch gradient noise), loop (the readable training loop, the reference: lrlab.train), engine
(the fast stacked loop lrlab.sweep uses), runs (the Run record), sweeps (running a sweep), results (its result, the
Sweep, and what "best", "good" and a verdict mean), text (tables and numbers as text), tuning (the cost of tuning,
step sizes in Adam's units), store (the run cache), plot (every figure), quadratic (gradient descent on a bowl),
rangetest (the LR range test), parallel (sweeps on a process pool or a Dask cluster), custom (your own model and
data: lrlab.sweep(lrs, model=..., data=...)). `plot` and `hessian` are
imported on first use, so that `import lrlab` (a worker, `python -m lrlab fetch-data`) loads neither matplotlib's
pyplot nor SciPy.
"""

import importlib
import warnings

with warnings.catch_warnings():  # tqdm's notebook bars need ipywidgets; without it tqdm draws text bars, and says so
    warnings.filterwarnings("ignore", message="IProgress not found")  # in a red box atop every chapter: not needed
    import tqdm.auto  # noqa: F401  (imported here first, so that lrlab's modules get it without the warning)

from lrlab import noise, parallel, quadratic  # noqa: I001, E402  (the modules a chapter uses by name)
from lrlab._version import __version__
from lrlab.claims import ClaimError, claim, glue
from lrlab.config import DEFAULTS, VALIDATION_IMAGES, TrainConfig
from lrlab.data import fetch_mnist, load_mnist, pick_device
from lrlab.evidence import (
    above,
    below,
    between,
    every,
    every_run,
    mean_above,
    mean_below,
    mean_near,
    most_runs,
    overlap,
    seed_count,
)
from lrlab.loop import train, train_epoch
from lrlab.model import CNN
from lrlab.rangetest import RangeTest, lr_range_test, range_table
from lrlab.results import RateSummary, Sweep, first_step_shock, same_first_step, trains
from lrlab.runs import Run
from lrlab.sweeps import sweep, sweep_configs
from lrlab.text import Table, format_lr, format_region
from lrlab.tuning import adam_steps, best_of, settled_lrs

LAZY = ("plot", "hessian")  # modules imported when first used: lrlab.plot.loss_curves(...) imports lrlab.plot

__all__ = [
    "CNN", "ClaimError", "DEFAULTS", "RangeTest", "RateSummary", "Run", "Sweep", "Table", "TrainConfig",
    "VALIDATION_IMAGES", "__version__", "above", "adam_steps", "below", "best_of", "between", "claim", "every",
    "every_run", "fetch_mnist", "first_step_shock", "format_lr", "format_region", "glue", "hessian", "load_mnist",
    "lr_range_test", "mean_above", "mean_below", "mean_near", "most_runs", "noise", "overlap", "parallel",
    "pick_device", "plot", "quadratic", "range_table", "same_first_step", "seed_count", "settled_lrs", "show_source",
    "sweep", "sweep_configs", "trains", "train", "train_epoch",
]


def __getattr__(name: str):
    if name in LAZY:
        return importlib.import_module(f"lrlab.{name}")
    raise AttributeError(f"module 'lrlab' has no attribute {name!r}")


def show_source(obj):
    """The source code of a function or class as it runs, shown as a highlighted code block in Jupyter and in the
    book (a Markdown output, which myst-nb renders like the book's own code blocks)."""
    import inspect

    from IPython.display import Markdown

    return Markdown(f"```python\n{inspect.getsource(obj)}```")
