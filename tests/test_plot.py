import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lrlab import plot  # noqa: E402
from lrlab.sweeps import sweep  # noqa: E402


def _texts(fig):
    return [" ".join(t.get_text().split()) for t in fig.texts]  # a provenance line is wrapped to the column


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


def test_the_explorers_script_is_valid_javascript_and_every_url_state_explorer_calls_it():
    import json
    import subprocess
    from pathlib import Path

    from lrlab.plot.explorers import URL_STATE_JS, Explorer

    script = Path(plot.explorers.__file__).with_name(URL_STATE_JS)
    checked = subprocess.run(["node", "--check", str(script)], capture_output=True, text=True)  # node: as make lint
    assert checked.returncode == 0, checked.stderr
    html = Explorer({"mark": "point"}, "a note", url_state=("lr", "i", [1e-3, 1e-2])).html()
    assert script.read_text() in html and 'lrlabUrlState(result, [0.001, 0.01], "lr", "i", null)' in html
    assert "lrlabUrlState" not in Explorer({"mark": "point"}, "a note").html()
    assert json.dumps({"mark": "point"}, separators=(",", ":")) in html


def test_first_step_draws_each_optimizers_loss_after_one_update_and_rmsprop_at_eta_takes_adams_step_at_ten_eta():
    result = sweep([1e-3, 1e-2], optimizer=["adam", "rmsprop"], epochs=1, train_size=320, test_size=100,
                   progress=False)
    fig = plot.first_step(result)
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    assert list(lines["adam"].get_ydata()) == [result.at(lr, optimizer="adam").losses[1] for lr in (1e-3, 1e-2)]
    assert lines["the loss at the start, " + f"{result.runs[0].losses[0]:.2f}"].get_ydata()[0] > 2
    # torch's RMSprop has no bias correction: its first step is 10x eta * sign(g), Adam's is eta * sign(g)
    rmsprop, adam = result.at(1e-3, optimizer="rmsprop").losses[1], result.at(1e-2, optimizer="adam").losses[1]
    assert abs(rmsprop / adam - 1) < 1e-3
    assert any("lr 0.001, 0.01" in t for t in _texts(fig))


def test_diverged_marks_say_whose_runs_and_what_they_count():
    from lrlab.plot.versus import _what_diverged

    result = sweep([1e-3, 30.0], optimizer=["sgd", "adam"], epochs=1, train_size=320, test_size=100, progress=False)
    fig = plot.final_loss_vs_lr(result, by="optimizer")  # one curve per optimizer: an x in the colour of whose runs
    crosses = [line for line in fig.axes[0].get_lines() if line.get_marker() == "x" and len(line.get_xdata())]
    diverged = {(run.optimizer, run.lr) for run in result.runs if run.diverged}
    assert len(crosses) == len(diverged) >= 1
    assert {line.get_color() for line in crosses} <= {plot.OPTIMIZER_COLORS[name] for name, _ in diverged}
    assert not any("diverged" in text.get_text() for text in fig.axes[0].texts)  # no band counting across curves
    seeds = sweep([30.0], seeds=[0, 1], epochs=1, train_size=320, test_size=100, progress=False).runs
    assert _what_diverged(seeds) == f"{sum(r.diverged for r in seeds)} of 2 seeds diverged"
    assert _what_diverged(result.where(lr=30.0).runs).endswith("of 2 runs diverged")  # two optimizers: runs


def test_an_explorer_is_vega_lite_for_jupyterlab_html_with_a_cdn_for_colab_and_the_books_own_vega_in_the_book(
        monkeypatch):
    """One display, four front ends (lrlab.plot.explorers.Explorer): JupyterLab and Notebook 7 draw the Vega-Lite
    MIME type themselves (no text/html beside it, which they would prefer); Colab gets HTML that loads the Vega
    versions the book vendors from a CDN; the book's myst-nb renderer turns the MIME output into the page fragment
    with the Vega served beside the book; any other front end prints the note."""
    import re
    import sys
    import types
    from importlib.metadata import entry_points
    from pathlib import Path

    from myst_nb.core.render import MimeData

    from lrlab.plot.explorers import CDN, VEGALITE, VERSIONS, BookExplorer, Explorer

    explorer = Explorer({"mark": "point", "$schema": "v6"}, "a note", url_state=("lr", "i", [1e-3, 1e-2]))
    data, metadata = explorer._repr_mimebundle_()
    assert set(data) == {VEGALITE, "text/plain"} and data["text/plain"] == "a note"
    assert data[VEGALITE]["$schema"].endswith("vega-lite/v5.json")  # the version JupyterLab 4 bundles
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    colab = explorer._repr_mimebundle_()[0]["text/html"]
    assert all(f"{CDN}{name}@{version}/build/{name}.min.js" in colab for name, version in VERSIONS.items())
    makefile = (Path(plot.__file__).parents[2] / "Makefile").read_text()
    pinned = dict(re.findall(r"(vega(?:-lite|-embed)?)@([\d.]+):", makefile))
    assert pinned == VERSIONS, "the CDN's versions are not those the Makefile vendors for the book"
    nodes = BookExplorer.handle_mime(None, MimeData(VEGALITE, data[VEGALITE], output_metadata=metadata), False)
    page = nodes[0].astext()
    assert '<script src="../vega/vega.min.js">' in page and "cdn" not in page.lower() and "lrlabUrlState(" in page
    assert '"$schema":"https://vega.github.io/schema/vega-lite/v6.json"' in page
    assert BookExplorer.handle_mime(None, MimeData(VEGALITE, {"mark": "bar"}), False) is None  # not an explorer's
    assert "lrlab.plot.explorers:BookExplorer" in [e.value for e in entry_points(group="myst_nb.mime_renderers")]


def test_legibility_rule_1_a_legend_over_data_is_found_and_a_legend_under_the_panels_is_not():
    from lrlab.plot import legibility
    from lrlab.plot.style import bottom_legend, subplots

    fig, ax = subplots(figsize=(6.4, 4))
    x = np.logspace(-5, 0, 50)
    ax.plot(x, 1 / x, label="a curve that fills the upper left")
    ax.set(xscale="log", yscale="log", title="panel")
    ax.legend(loc="upper left")
    assert any("legend covers" in problem for problem in legibility.problems(fig))
    ax.get_legend().remove()
    bottom_legend(fig, *ax.get_legend_handles_labels())
    assert legibility.problems(fig) == []


def test_legibility_rule_2_overlapping_labels_are_found(monkeypatch):
    from lrlab.plot import legibility
    from lrlab.plot.style import annotate, subplots

    fig, ax = subplots(figsize=(6.4, 4))
    ax.plot([0, 1], [0, 1])
    ax.text(0.5, 0.5, "first label")
    ax.text(0.52, 0.5, "second label")
    assert any("'first label' and 'second label' overlap" in p for p in legibility.problems(fig))
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")  # the book build refuses such a figure
    with pytest.raises(legibility.FigureError, match="overlap"):
        annotate(fig, "provenance")


def test_the_goldilocks_explorer_offers_a_selector_over_what_its_runs_differ_in_and_keeps_it_in_the_url():
    from lrlab.plot.explorers import explorer_groups, goldilocks_explorer

    result = sweep([1e-3, 1e-2], optimizer=["sgd", "adam"], epochs=1, train_size=320, test_size=100, progress=False)
    assert list(explorer_groups(result)) == ["sgd", "adam"]
    explorer = goldilocks_explorer(result)
    group = next(p for p in explorer.spec["params"] if p["name"] == "group")
    assert group["bind"] == {"input": "select", "options": ["sgd", "adam"], "name": "optimizer: "}
    assert explorer.url_state[3] == ("group", "group", ["sgd", "adam"])
    assert 'lrlabUrlState(result, [0.001, 0.01], "lr", "pick", ["group", "group", ["sgd", "adam"]])' in explorer.html()
    single = goldilocks_explorer(result.where(optimizer="adam"))
    assert "bind" not in next(p for p in single.spec["params"] if p["name"] == "group")  # nothing to choose
    assert list(explorer_groups(result.where(optimizer="adam"))) == [""]
