"""Interactive figures: Vega-Lite specs with sliders that need no kernel, drawn by Vega in the HTML book (served
with the book from _vendor/vega, no CDN), in JupyterLab and Notebook 7 (their own renderer) and in Colab."""

import json
import sys
import uuid
from dataclasses import replace
from importlib import resources

import matplotlib.colors
import numpy as np

from lrlab.plot.style import GOOD_BAND, lr_color, runs_of, smooth
from lrlab.quadratic import THETA0, Bowl, heavy_ball, momentum_contraction
from lrlab.results import Sweep

HATCH_SVG = ('<svg width="0" height="0" style="position:absolute"><defs><pattern id="lrlab-hatch" width="8" '
             'height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" '
             'fill="white" fill-opacity="0"/><line x1="0" y1="0" x2="0" y2="8" stroke="crimson" stroke-width="2" '
             'stroke-opacity="0.5"/></pattern></defs></svg>')  # the static figures' diverged hatch, as an SVG fill
URL_STATE_JS = "url_state.js"  # lrlabUrlState(result, values, key, signal): the slider <-> #key=value, both ways


VEGALITE = "application/vnd.vegalite.v5+json"  # the MIME type JupyterLab and Notebook 7 draw themselves
CDN = "https://cdn.jsdelivr.net/npm/"  # Vega for Colab only, which draws no Vega-Lite MIME output (the book: none)
VERSIONS = {"vega": "6.4.0", "vega-lite": "6.4.3", "vega-embed": "7.3.0"}  # those the Makefile vendors


class Explorer:
    """An interactive figure: a Vega-Lite spec with sliders that need no kernel, drawn by Vega.

    Where it is drawn (as a Jupyter display, _repr_mimebundle_):
      1. in the HTML book, by BookExplorer (a myst-nb renderer) with Vega served beside the book, no CDN;
      2. in JupyterLab and Notebook 7, by the front end's own Vega-Lite renderer (the MIME type VEGALITE);
      3. in Colab, as HTML that loads Vega from a CDN (Colab is online, and draws no Vega-Lite MIME type);
      4. anywhere else, as a one-line note (text/plain): the static figure beside it stays.
    url_state=(key, signal, values[, group]) keeps the slider bound to `signal` (an index into `values`) in the
    page's URL as #key=value, both ways, and group=(key, signal, options) a selector's choice beside it (the HTML
    book only)."""

    def __init__(self, spec: dict, note: str, url_state: tuple | None = None):
        self.spec, self.note, self.url_state = spec, note, url_state

    def _repr_mimebundle_(self, include=None, exclude=None):
        spec = {**self.spec, "$schema": "https://vega.github.io/schema/vega-lite/v5.json"}  # the same in v5 and v6
        data = {VEGALITE: spec, "text/plain": self.note}
        if "google.colab" in sys.modules:
            data["text/html"] = self.html(CDN)
        book = {"note": self.note, "url_state": list(self.url_state) if self.url_state else None}
        return data, {VEGALITE: {"embed_options": {"actions": False, "renderer": "svg"}, "lrlab": book}}

    def html(self, vega_from: str = "../") -> str:
        """The explorer as a page fragment: the spec drawn by vegaEmbed into a div, Vega's three scripts loaded from
        `vega_from` (the book: its own copy, ../vega/*.min.js; Colab: a CDN), the note shown until Vega draws."""
        element = f"lrlab-explorer-{uuid.uuid4().hex[:8]}"
        scripts = "".join(f'<script src="{_script_url(vega_from, name)}"></script>' for name in VERSIONS)
        then, data = "", ""
        if self.url_state:
            key, signal, values, *group = self.url_state
            arguments = ", ".join(json.dumps(x) for x in ([float(v) for v in values], key, signal,
                                                          group[0] if group else None))
            then = f".then(function (result) {{ lrlabUrlState(result, {arguments}); }})"
            data = f' data-url-key="{key}" data-values="{[float(v) for v in values]}"'
        return (f'{HATCH_SVG}<div class="lrlab-explorer"{data}>'
                f'<div class="lrlab-controls" id="{element}-controls"></div>'
                f'<div id="{element}"><em>{self.note}</em></div></div>{scripts}<script>{_script(self.url_state)}'
                f'if (window.vegaEmbed) vegaEmbed("#{element}", {json.dumps(self.spec, separators=(",", ":"))}, '
                f'{{actions: false, renderer: "svg", bind: "#{element}-controls"}}){then};</script>')


def _script_url(vega_from: str, name: str) -> str:
    if vega_from == CDN:
        return f"{CDN}{name}@{VERSIONS[name]}/build/{name}.min.js"
    return f"{vega_from}vega/{name}.min.js"


class BookExplorer:
    """The HTML book's renderer of explorers (a myst-nb MIME renderer plugin, registered in pyproject.toml): an
    explorer's Vega-Lite output becomes Explorer.html(), with Vega served beside the book, in place of the MIME
    type myst-nb does not draw."""

    mime_priority_overrides = [("html", VEGALITE, 35)]  # after text/html (30: another library's own HTML stays
    # chosen, e.g. Altair's), before the images (50); an explorer has no text/html outside Colab

    @staticmethod
    def handle_mime(renderer, data, inline):
        book = data.output_metadata.get(VEGALITE, {}).get("lrlab") if isinstance(data.output_metadata, dict) else None
        if inline or data.mime_type != VEGALITE or book is None:
            return None
        from docutils import nodes

        content = json.loads(data.content) if isinstance(data.content, (str, bytes)) else data.content
        spec = {**content, "$schema": "https://vega.github.io/schema/vega-lite/v6.json"}
        url_state = tuple(book["url_state"]) if book.get("url_state") else None
        return [nodes.raw("", Explorer(spec, book["note"], url_state).html(), format="html")]


def _script(url_state) -> str:
    """The JavaScript the explorer needs besides Vega: url_state.js, shipped beside this module, when it keeps
    its slider in the URL."""
    return (resources.files("lrlab.plot") / URL_STATE_JS).read_text() if url_state else ""


def _contour_rows(bowl: Bowl, levels=(0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0)) -> list[dict]:
    """The bowl's level sets ½ θᵀAθ = c, exact ellipses, as rows for a line mark."""
    angles = np.linspace(0, 2 * np.pi, 73)
    rows = []
    for level in levels:
        axes = [np.sqrt(2 * level / lam) for lam in bowl.eigenvalues]
        points = np.stack([axes[0] * np.cos(angles), axes[1] * np.sin(angles)], axis=1) @ bowl.eigvecs.T
        rows += [{"level": level, "i": i, "x": round(x, 3), "y": round(y, 3)} for i, (x, y) in enumerate(points)]
    return rows


def momentum_explorer(bowl: Bowl, theta0=THETA0, steps: int = 25, lrs=None, betas=None) -> Explorer:
    """Heavy-ball momentum on the bowl with two sliders, η and β, over precomputed paths (every combination of
    `lrs` and `betas`), with the shrink factor of the chosen pair; β = 0 is plain gradient descent."""
    # η up to 0.4: past the bound 2(1 + β)/λmax for every β of the slider (3.8/λmax at β = 0.9), so that the largest
    # η that converges can be found for each β
    lrs = np.round(np.arange(0.02, 2 * 1.95 / max(bowl.eigenvalues) + 0.021, 0.02), 2) if lrs is None else lrs
    betas = np.round(np.arange(0.0, 0.91, 0.1), 1) if betas is None else betas
    paths, rates = [], []
    for lr in lrs:
        for beta in betas:
            path = np.clip(heavy_ball(bowl.grad, theta0, lr, beta, steps), -3.5, 3.5)
            paths += [{"eta": float(lr), "beta": float(beta), "step": t, "x": round(x, 3), "y": round(y, 3)}
                      for t, (x, y) in enumerate(path)]
            rate = momentum_contraction(bowl, lr, beta)
            rates.append({"eta": float(lr), "beta": float(beta), "label": f"η = {lr:.2f}, β = {beta:.1f}: shrink "
                          f"factor per step {rate:.3f}, " + ("converges" if rate < 1 else "diverges")})
    pick = [{"filter": "abs(datum.eta - eta) < 1e-6 && abs(datum.beta - beta) < 1e-6"}]
    axis = {"type": "quantitative", "scale": {"domain": [-3, 3]}}
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json", "width": 380, "height": 380,
        "params": [{"name": "eta", "value": float(lrs[len(lrs) // 2]), "bind": {
                        "input": "range", "min": float(lrs[0]), "max": float(lrs[-1]),
                        "step": float(lrs[1] - lrs[0]), "name": "step size η "}},
                   {"name": "beta", "value": 0.0, "bind": {
                        "input": "range", "min": float(betas[0]), "max": float(betas[-1]),
                        "step": float(betas[1] - betas[0]), "name": "momentum β "}}],
        "layer": [
            {"data": {"values": _contour_rows(bowl)}, "mark": {"type": "line", "color": "#cccccc"},
             "encoding": {"x": {"field": "x", **axis, "title": "θ₁"}, "y": {"field": "y", **axis, "title": "θ₂"},
                          "detail": {"field": "level"}, "order": {"field": "i"}}},
            {"data": {"values": paths}, "transform": pick, "name": "path",
             "mark": {"type": "line", "point": True, "color": "#8c564b", "clip": True},
             "encoding": {"x": {"field": "x", **axis}, "y": {"field": "y", **axis}, "order": {"field": "step"}}},
            {"data": {"values": rates}, "transform": pick,
             "mark": {"type": "text", "x": 5, "y": 12, "align": "left", "fontSize": 13},
             "encoding": {"text": {"field": "label"}}}]}
    return Explorer(spec, "Interactive (sliders for η and β) in the HTML book, JupyterLab, Notebook 7 and Colab; "
                          "the static figure is below.")


GROUP_FIELDS = ("optimizer", "schedule", "warmup_steps", "epochs", "batch_size")  # what a selector may choose


def _group_label(config, fields) -> str:
    """How a selector names a group of runs: "adam", "sgd · 2 epochs", "cosine · warm-up 100 steps"."""
    words = {"optimizer": str(config.optimizer), "schedule": str(config.schedule),
             "warmup_steps": f"warm-up {config.warmup_steps} steps", "epochs": f"{config.epochs} epoch(s)",
             "batch_size": f"batch {config.batch_size}"}
    return " · ".join(words[field] for field in fields)


def explorer_groups(sweep: Sweep) -> dict[str, Sweep]:
    """The sweep split by the settings its runs differ in besides rate and seed (GROUP_FIELDS): one group per
    choice the explorer's selector offers, in the order they first appear; {"": sweep} when there is one."""
    fields = _varying(sweep)
    groups: dict[str, list] = {}
    for run in sweep.runs:
        groups.setdefault(_group_label(run.config, fields), []).append(run)
    return {label: replace(sweep, runs=runs) for label, runs in groups.items()}


def _varying(sweep: Sweep) -> list[str]:
    """The GROUP_FIELDS whose value differs between the sweep's runs."""
    return [f for f in GROUP_FIELDS if len({getattr(run.config, f) for run in sweep.runs}) > 1]


def _curve_rows(group: str, runs, index: dict[float, int], points: int) -> list[dict]:
    """Each run's smoothed training loss at about `points` evenly spaced steps, as rows for a line mark."""
    rows = []
    for run in runs:
        window = max(1, run.steps_per_epoch // 20)
        smoothed = smooth(run.losses, window)
        every = max(1, len(smoothed) // points)
        rows += [{"g": group, "i": index[run.lr], "seed": run.seed, "step": step + 1, "loss": float(f"{loss:.4g}")}
                 for step, loss in enumerate(smoothed) if step % every == every - 1 and np.isfinite(loss)]
    return rows


def _rate_rows(group: str, sweep: Sweep, index: dict[float, int]) -> list[dict]:
    """One row per LR of the group, from its summary (lrlab.results.RateSummary): its colour, mean final loss and
    accuracy over the runs that finished (None where all diverged), its verdicts, and the sentence the explorer
    shows for it; a rate of the other groups that this one lacks gets a row that says so."""
    rows = []
    for lr, i in index.items():
        if not sweep.by_lr(lr):
            rows.append({"g": group, "i": i, "lr": lr, "color": "#999999", "loss": None, "accuracy": None,
                         "diverged": False, "label": f"η = {lr:.1e}: not run for {group or 'this sweep'}",
                         "result": ""})
            continue
        rate = sweep.summary(lr)
        finished = len(rate.runs) - rate.diverged
        said = (f"validation accuracy {100 * rate.accuracy:.2f} % ({100 * rate.accuracy_min:.2f} – "
                f"{100 * rate.accuracy_max:.2f} %)" if finished else "every run diverged (stopped at step "
                + ", ".join(str(run.stopped_at) for run in rate.runs) + "): no accuracy")
        rows.append({"g": group, "i": i, "lr": rate.lr, "color": matplotlib.colors.to_hex(lr_color(rate.lr)),
                     "loss": rate.loss if finished else None,
                     "accuracy": 100 * rate.accuracy if finished else None, "diverged": rate.diverged > 0,
                     "label": f"η = {rate.lr:.1e}: {', '.join(v or '-' for v in rate.verdicts)}", "result": said})
    return [{**row, "key": f"{group}|{row['i']}"} for row in rows]


def _ticks(domain) -> list[float]:
    """Log-axis ticks at 1, 2 and 5 of each decade inside `domain`: readable, and not a grid line per tick."""
    return [m * 10.0 ** e for e in range(-6, 4) for m in (1, 2, 5) if domain[0] <= m * 10.0 ** e <= domain[1]]


IN_GROUP = {"filter": "datum.g == group"}  # every layer shows the group the selector chose


def _u_panel(field: str, title: str, rows: list[dict], goods: list[dict], log_y: bool) -> dict:
    """One U-curve panel: the mean over seeds against LR, the good region shaded, rates where a run diverged
    hatched, and a marker at the chosen rate (the chosen group's, GOOD_BAND and hatch as in the static figures)."""
    lrs = [r["lr"] for r in rows]
    x = {"field": "lr", "type": "quantitative", "title": "learning rate η", "axis": {"format": ".0e", "values": [
        10.0 ** e for e in range(-8, 3) if min(lrs) / 2 <= 10.0 ** e <= 2 * max(lrs)]},
         "scale": {"type": "log", "domain": [min(lrs) / 10 ** 0.25, max(lrs) * 10 ** 0.25]}}
    values = [r[field] for r in rows if r[field] is not None]
    scale = {"type": "log"} if log_y else {"type": "linear", "zero": False}
    y = {"field": field, "type": "quantitative", "title": title, "scale": scale}
    if log_y and values:
        y["axis"] = {"values": _ticks([min(values) / 1.5, max(values) * 1.5])}
    band = {"x": {"field": "lo", "type": "quantitative", "scale": x["scale"]}, "x2": {"field": "hi"}}
    bands = [{"g": r["g"], "lo": r["lr"] / 10 ** 0.1, "hi": r["lr"] * 10 ** 0.1} for r in rows if r["diverged"]]
    return {"width": 330, "height": 140, "layer": [
        {"data": {"values": goods}, "transform": [IN_GROUP], "encoding": band,
         "mark": {"type": "rect", "color": GOOD_BAND["color"], "opacity": 0.15}},
        {"data": {"values": bands}, "transform": [IN_GROUP], "encoding": band,
         "mark": {"type": "rect", "fill": "url(#lrlab-hatch)", "stroke": "crimson", "strokeOpacity": 0.4}},
        {"data": {"values": rows}, "transform": [IN_GROUP, {"filter": f"datum.{field} != null"}],
         "mark": {"type": "line", "color": "#595959", "point": {"filled": True, "color": "#595959", "size": 30}},
         "encoding": {"x": x, "y": y}},
        {"data": {"values": rows}, "transform": [IN_GROUP, {"filter": "datum.i == pick"}],
         "mark": {"type": "rule", "color": "#777777", "strokeDash": [4, 3]}, "encoding": {"x": x}},
        {"data": {"values": rows}, "transform": [IN_GROUP, {"filter": f"datum.i == pick && datum.{field} != null"}],
         "name": f"marker_{field}", "mark": {"type": "point", "filled": True, "size": 220, "stroke": "black",
                                              "strokeWidth": 1},
         "encoding": {"x": x, "y": y, "color": {"field": "color", "type": "nominal", "scale": None}}}]}


def _curves_panel(curves: list[dict], rates: list[dict], steps: int, domain) -> dict:
    """The chosen rate's seeds' smoothed training loss (in the rate's colour), its neighbours' behind in grey."""
    role = "datum.i == pick ? 'chosen' : abs(datum.i - pick) == 1 ? 'neighbour' : 'other'"
    chosen = "datum.role == 'chosen'"
    return {
        "width": 330, "height": 200, "data": {"values": curves}, "name": "curves",
        "title": {"text": "the chosen rate's seeds (colour), its neighbours (grey)", "fontSize": 12,
                  "fontWeight": "normal", "anchor": "start"},
        "transform": [IN_GROUP, {"calculate": role, "as": "role"}, {"filter": "datum.role != 'other'"},
                      {"calculate": "datum.g + '|' + datum.i", "as": "key"},
                      {"lookup": "key", "from": {"data": {"values": rates}, "key": "key", "fields": ["color"]}}],
        "mark": {"type": "line", "clip": True},
        "encoding": {"x": {"field": "step", "type": "quantitative", "title": "training step",  # one axis for all
                           "scale": {"domain": [1, steps]}},  # a diverged rate's stub stays short
                     "y": {"field": "loss", "type": "quantitative", "scale": {"type": "log", "domain": domain},
                           "title": "training loss (smoothed)", "axis": {"values": _ticks(domain)}},
                     "detail": [{"field": "i"}, {"field": "seed"}],
                     "color": {"condition": {"test": chosen, "field": "color", "type": "nominal", "scale": None},
                               "value": "#c8c8c8"},
                     "strokeWidth": {"condition": {"test": chosen, "value": 2}, "value": 1.2},
                     "order": {"condition": {"test": chosen, "value": 1}, "value": 0}}}


def _label_panel(rates: list[dict]) -> dict:
    """The chosen rate's verdicts and validation accuracy, in words, above the curves."""
    return {"width": 330, "height": 34, "data": {"values": rates},
            "transform": [IN_GROUP, {"filter": "datum.i == pick"}],
            "layer": [{"mark": {"type": "text", "align": "left", "x": 0, "y": 8, "fontSize": 13,
                                "fontWeight": "bold"}, "encoding": {"text": {"field": "label"}}},
                      {"mark": {"type": "text", "align": "left", "x": 0, "y": 26, "fontSize": 12},
                       "encoding": {"text": {"field": "result"}}}]}


def goldilocks_explorer(sweep: Sweep, points: int = 80) -> Explorer:
    """Scrub through a real sweep: a slider over its learning rates shows the smoothed training loss of the chosen
    rate's seeds (in the rate's colour; its neighbours faded behind), its verdicts and validation accuracy, and a marker
    on the U-curves of final loss and accuracy (good region shaded, rates where a run diverged hatched). When the
    runs differ in optimizer, schedule, warm-up, budget or batch size (explorer_groups), a selector chooses which
    to show. The chosen rate (and group) is kept in the page's URL as #lr=...&group=..., so a link can open it
    there. Curves are downsampled to about `points` steps per run, so the page stays small."""
    groups = explorer_groups(Sweep(runs_of(sweep), yours=runs_of(sweep).yours))
    lrs = sorted({lr for members in groups.values() for lr in members.lrs})
    index = {lr: i for i, lr in enumerate(lrs)}
    first = next(iter(groups.values()))
    rates = [row for label, members in groups.items() for row in _rate_rows(label, members, index)]
    curves = [row for label, members in groups.items() for row in _curve_rows(label, members.runs, index, points)]
    goods = [{"g": label, "lo": good[0] / 10 ** 0.15, "hi": good[1] * 10 ** 0.15} for label, members in groups.items()
             if (good := members.good_region())]
    calm = [v for m in groups.values() for run in m.runs if not run.diverged for v in smooth(run.losses, 20)
            if np.isfinite(v)]
    steps = max(len(run.losses) for m in groups.values() for run in m.runs)
    domain = [0.5 * min(calm), 2 * max(calm)] if calm else [0.01, 10]
    start = min(range(len(lrs)), key=lambda i: abs(np.log(lrs[i] / first.best_lr())))
    slider = {"input": "range", "min": 0, "max": len(lrs) - 1, "step": 1, "name": "learning rate: smaller ◂ ▸ larger "}
    names = {"warmup_steps": "warm-up", "epochs": "budget", "batch_size": "batch size"}
    choose = {"input": "select", "options": list(groups), "name": " · ".join(
        names.get(f, f) for f in _varying(Sweep(runs_of(sweep)))) + ": "} if len(groups) > 1 else None
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v6.json",
            "params": [{"name": "pick", "value": start, "bind": slider},
                       {"name": "group", "value": next(iter(groups)), **({"bind": choose} if choose else {})}],
            "vconcat": [_label_panel(rates), _curves_panel(curves, rates, steps, domain),
                        _u_panel("loss", "final training loss", rates, goods, log_y=True),
                        _u_panel("accuracy", "validation accuracy (%)", rates, goods, log_y=False)],
            "config": {"view": {"stroke": None}, "axis": {"labelFontSize": 11, "titleFontSize": 11}}}
    return Explorer(spec, "Interactive (a slider over this sweep's learning rates) in the HTML book, JupyterLab, "
                          "Notebook 7 and Colab; the static figures are below.",
                    url_state=("lr", "pick", lrs, ("group", "group", list(groups)) if choose else None))
