"""lrlab: the experiments behind "Riding the Learning Curve"."""

__version__ = "0.1.0"


def setup() -> str:
    """Figure defaults for the book's pages, and one line saying where the experiments will run."""
    import matplotlib.pyplot as plt
    import torch

    from lrlab.config import active_profile
    from lrlab.train import pick_device

    plt.rcParams.update({"figure.dpi": 110, "axes.spines.top": False, "axes.spines.right": False,
                         "savefig.bbox": "tight"})
    line = (f"lrlab {__version__} · torch {torch.__version__} · device {pick_device()} · "
            f"profile {active_profile()}")
    if active_profile() == "smoke":
        line += " (LRLAB_PROFILE=smoke: tiny quick runs for testing; unset it for the real experiments)"
    return line
