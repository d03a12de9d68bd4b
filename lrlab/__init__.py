"""lrlab: the experiments behind "Riding the Learning Curve".

    import lrlab
    result = lrlab.sweep([1e-4, 1e-3, 1e-2], epochs=5)   # one run per learning rate: cached, stacked, labelled
    print(result.table())
    lrlab.plot.loss_curves(result)

Modules: claims (the book's checked sentences), config (TrainConfig), data (MNIST), model (CNN), optim (optimizers
and schedules), hessian (sharpness from Hessian-vector products), noise (minibatch gradient noise), loop (the
readable training loop, the reference), engine (the fast stacked loop sweeps use), runs (the Run record), sweeps,
store (the run cache), plot, quadratic (gradient descent on a bowl), rangetest (the LR range test),
parallel (sweeps on a process pool or a Dask cluster).
"""

__version__ = "0.2.0"

from lrlab import hessian, noise, parallel, plot, quadratic  # noqa: E402  (the modules a chapter uses by name)
from lrlab.claims import ClaimError, claim, glue  # noqa: E402
from lrlab.config import DEFAULTS, TrainConfig  # noqa: E402
from lrlab.data import fetch_mnist, load_mnist, pick_device  # noqa: E402
from lrlab.loop import train, train_epoch  # noqa: E402
from lrlab.model import CNN  # noqa: E402
from lrlab.rangetest import RangeTest, lr_range_test  # noqa: E402
from lrlab.runs import Run  # noqa: E402
from lrlab.sweeps import Sweep, run_configs, sweep  # noqa: E402

__all__ = [
    "CNN", "ClaimError", "DEFAULTS", "Run", "RangeTest", "Sweep", "TrainConfig", "claim", "fetch_mnist", "glue",
    "hessian", "load_mnist", "lr_range_test", "noise", "parallel", "pick_device", "plot", "quadratic", "run_configs",
    "show_source", "sweep", "train", "train_epoch",
]


def show_source(obj):
    """The source code of a function or class as it runs, shown as a highlighted code block in Jupyter and in the
    book (a Markdown output, which myst-nb renders like the book's own code blocks)."""
    import inspect

    from IPython.display import Markdown

    return Markdown(f"```python\n{inspect.getsource(obj)}```")
