import matplotlib

matplotlib.use("Agg")

from lrlab import plot  # noqa: E402
from lrlab.sweeps import sweep  # noqa: E402


def _texts(fig):
    return [t.get_text() for t in fig.texts]


def test_figures_carry_provenance_and_mark_diverged_runs_and_the_smoke_profile(monkeypatch):
    result = sweep([1e-3, 50.0], epochs=1, train_size=640, test_size=200, progress=False)
    fig = plot.loss_curves(result)
    assert any("lr 0.001, 50" in t and "640 train" in t and "profile full" in t for t in _texts(fig))
    assert not any("SMOKE" in t for t in _texts(fig))
    ax = fig.axes[0]
    assert any("diverged" in t.get_text() for t in ax.texts)
    assert ax.get_xlabel().startswith("training step") and ax.get_yscale() == "log"
    assert plot.lr_color(1e-3) == plot.lr_color(0.001) != plot.lr_color(1e-2)
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    smoke = sweep([1e-3], progress=False)
    assert any("SMOKE PROFILE" in t for t in _texts(plot.accuracy_vs_lr(smoke)))


def test_smooth_averages_a_trailing_window_and_skips_non_finite_values():
    assert plot.smooth([1, 2, 3, 4], 2).tolist() == [1, 1.5, 2.5, 3.5]
    assert plot.smooth([1, float("nan"), 3], 3).tolist() == [1, 1, 2]
