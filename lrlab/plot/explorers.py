"""Interactive figures for the HTML book: Vega-Lite specs drawn by Vega (served with the book from _vendor/vega, no
CDN), with sliders that need no kernel."""

import json
import uuid

import numpy as np

from lrlab.quadratic import Bowl, heavy_ball, momentum_contraction


class Explorer:
    """An interactive figure for the HTML book: a Vega-Lite spec drawn by Vega (served with the book, no CDN) with
    sliders that need no kernel. Where Vega is not there (Jupyter, Colab) it shows a one-line note instead."""

    def __init__(self, spec: dict, note: str):
        self.spec, self.note = spec, note

    def _repr_html_(self) -> str:
        element = f"lrlab-explorer-{uuid.uuid4().hex[:8]}"
        scripts = "".join(f'<script src="../vega/{name}.min.js"></script>' for name in ("vega", "vega-lite",
                                                                                        "vega-embed"))
        return (f'<div class="lrlab-explorer" id="{element}"><em>{self.note}</em></div>{scripts}<script>'
                f'if (window.vegaEmbed) vegaEmbed("#{element}", {json.dumps(self.spec)}, '
                '{actions: false, renderer: "svg"});</script>')


def _contour_rows(bowl: Bowl, levels=(0.05, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0)) -> list[dict]:
    """The bowl's level sets ½ θᵀAθ = c, exact ellipses, as rows for a line mark."""
    angles = np.linspace(0, 2 * np.pi, 73)
    rows = []
    for level in levels:
        axes = [np.sqrt(2 * level / lam) for lam in bowl.eigenvalues]
        points = np.stack([axes[0] * np.cos(angles), axes[1] * np.sin(angles)], axis=1) @ bowl.eigvecs.T
        rows += [{"level": level, "i": i, "x": round(x, 3), "y": round(y, 3)} for i, (x, y) in enumerate(points)]
    return rows


def momentum_explorer(bowl: Bowl, theta0=(-2.0, 1.5), steps: int = 25, lrs=None, betas=None) -> Explorer:
    """Heavy-ball momentum on the bowl with two sliders, η and β, over precomputed paths (every combination of
    `lrs` and `betas`), with the shrink factor of the chosen pair; β = 0 is plain gradient descent."""
    lrs = np.round(np.arange(0.02, 0.301, 0.02), 2) if lrs is None else lrs
    betas = np.round(np.arange(0.0, 0.91, 0.1), 1) if betas is None else betas
    paths, rates = [], []
    for lr in lrs:
        for beta in betas:
            path = np.clip(heavy_ball(bowl.grad, theta0, lr, beta, steps), -3.5, 3.5)
            paths += [{"eta": float(lr), "beta": float(beta), "step": t, "x": round(x, 3), "y": round(y, 3)}
                      for t, (x, y) in enumerate(path)]
            rate = momentum_contraction(bowl, lr, beta)
            rates.append({"eta": float(lr), "beta": float(beta), "label": f"shrink factor per step {rate:.3f}: "
                          + ("converges" if rate < 1 else "diverges")})
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
    return Explorer(spec, "Interactive in the HTML book (sliders for η and β); the static figure is below.")
