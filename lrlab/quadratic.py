"""Gradient descent you can see: quadratic bowls J(θ) = ½ θᵀAθ, where every step size has an exact consequence.

Along an eigenvector of A with eigenvalue λ, one step multiplies θ by (1 − ηλ). So gradient descent converges iff
|1 − ηλ| < 1 for every λ, that is 0 < η < 2/λ_max; the fixed step that shrinks the slowest direction fastest is
η* = 2/(λ_min + λ_max), which contracts by (κ − 1)/(κ + 1) per step, κ = λ_max/λ_min.
"""

import json
import math
import uuid
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np

from lrlab.plot import WIDTH, annotate, subplots


@dataclass(frozen=True)
class Bowl:
    """J(θ) = ½ θᵀAθ with A = R diag(eigenvalues) Rᵀ, R a rotation by `angle` degrees (2-D) or 1 (1-D)."""

    eigenvalues: tuple[float, ...]  # curvatures along the principal axes; the largest is L, the smoothness constant
    angle: float = 0.0  # rotation of the principal axes, in degrees

    @property
    def eigvecs(self) -> np.ndarray:
        """The principal axes as columns, in the order of `eigenvalues` (θ @ eigvecs: θ in those axes)."""
        if len(self.eigenvalues) == 1:
            return np.eye(1)
        a = np.radians(self.angle)
        return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])

    @property
    def matrix(self) -> np.ndarray:
        return self.eigvecs @ np.diag(self.eigenvalues) @ self.eigvecs.T

    def value(self, theta) -> np.ndarray:
        theta = np.asarray(theta, dtype=float)
        return 0.5 * np.einsum("...i,ij,...j->...", theta, self.matrix, theta)

    def grad(self, theta) -> np.ndarray:
        return np.asarray(theta, dtype=float) @ self.matrix.T

    @property
    def stability_bound(self) -> float:
        """The largest step that still converges: 2 / λ_max (= 2/L)."""
        return 2 / max(self.eigenvalues)

    @property
    def best_step(self) -> float:
        """The fixed step with the fastest worst-case convergence: 2 / (λ_min + λ_max)."""
        return 2 / (min(self.eigenvalues) + max(self.eigenvalues))

    def contraction(self, lr: float) -> float:
        """Factor by which the slowest direction shrinks per step: max |1 − ηλ| (≥ 1 means no convergence)."""
        return max(abs(1 - lr * lam) for lam in self.eigenvalues)


def gradient_descent(grad, theta0, lr: float, steps: int) -> np.ndarray:
    """The update rule itself, θ ← θ − η ∇J(θ), repeated; returns every θ visited, shape [steps + 1, dim]."""
    path = [np.asarray(theta0, dtype=float)]
    for _ in range(steps):
        path.append(path[-1] - lr * grad(path[-1]))
    return np.array(path)


def heavy_ball(grad, theta0, lr: float, beta: float, steps: int) -> np.ndarray:
    """SGD with momentum as torch.optim.SGD(momentum=beta) runs it: v <- beta v + grad J(θ); θ <- θ - η v.
    (The same as Polyak's heavy ball, θ' = θ - η grad J(θ) + beta (θ - θ_previous).) Returns every θ visited."""
    path, velocity = [np.asarray(theta0, dtype=float)], np.zeros(len(theta0))
    for _ in range(steps):
        velocity = beta * velocity + grad(path[-1])
        path.append(path[-1] - lr * velocity)
    return np.array(path)


def momentum_contraction(bowl: "Bowl", lr: float, beta: float) -> float:
    """Per-step shrink factor of heavy-ball momentum on the bowl: the largest |root| of z² - (1 + β - ηλ) z + β over
    the eigenvalues λ (>= 1: no convergence). Stable iff 0 < ηλ_max < 2 (1 + β), for 0 <= β < 1."""
    return max(max(abs(np.roots([1.0, -(1 + beta - lr * lam), beta]))) for lam in bowl.eigenvalues)


def best_momentum(bowl: "Bowl") -> tuple[float, float]:
    """Polyak's optimal (η, β) for the bowl: η = 4 / (√λmax + √λmin)², β = ((√κ - 1) / (√κ + 1))²; the shrink
    factor is then (√κ - 1) / (√κ + 1) per step, against (κ - 1) / (κ + 1) for the best plain step."""
    low, high = np.sqrt(min(bowl.eigenvalues)), np.sqrt(max(bowl.eigenvalues))
    return 4 / (high + low) ** 2, ((high - low) / (high + low)) ** 2


def measured_contraction(path: np.ndarray, burn_in: int = 5) -> float:
    """Per-step shrink factor of |θ| read off a trajectory (geometric mean after a few steps)."""
    norms = np.linalg.norm(path, axis=1)
    tail = norms[burn_in:]
    return float((tail[-1] / tail[0]) ** (1 / (len(tail) - 1))) if tail[0] > 0 else 0.0


def plot_1d(bowl: Bowl, lrs: dict[str, float], theta0: float = 1.0, steps: int = 12):
    """Left: each step size's path on the parabola. Right: θ over the steps."""
    fig, (left, right) = subplots(1, 2, figsize=(WIDTH, 3.6))
    grid = np.linspace(-2.2 * abs(theta0), 2.2 * abs(theta0), 200)
    left.plot(grid, bowl.value(grid[:, None]), color="0.5", lw=1)
    for (name, lr), color in zip(lrs.items(), plt.cm.viridis(np.linspace(0, 0.9, len(lrs)))):
        path = gradient_descent(bowl.grad, [theta0], lr, steps)[:, 0]
        shown = np.abs(path) < 2.2 * abs(theta0)
        left.plot(path[shown], bowl.value(path[shown, None]), "o-", color=color, ms=4, lw=1, alpha=0.8,
                  label=f"{name}: η={lr:g}")
        right.plot(np.arange(steps + 1), path, "o-", color=color, ms=3, label=f"{name}: η={lr:g}")
    left.set(xlabel="θ", ylabel="J(θ)", title=f"J(θ) = ½·{bowl.eigenvalues[0]:g}·θ²",
             ylim=(-0.1, bowl.value([2.2 * abs(theta0)]) * 1.05))
    right.set(xlabel="step t", ylabel="θ_t", title="θ after each step", ylim=(-3 * abs(theta0), 3 * abs(theta0)))
    right.axhline(0, color="0.6", lw=0.8)
    fig.legend(*left.get_legend_handles_labels(), loc="lower center", ncol=2, fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 0.06))
    fig.subplots_adjust(bottom=0.36, wspace=0.35)
    return annotate(fig, f"1-D quadratic, L = {bowl.eigenvalues[0]:g}, {steps} steps; stability bound 2/L = "
                         f"{bowl.stability_bound:g}; computed live with NumPy")


def plot_2d(bowl: Bowl, lrs: dict[str, float], theta0=(-2.0, 1.5), steps: int = 25):
    """One panel per step size: the bowl's contours and the path gradient descent takes on it."""
    rows = math.ceil(len(lrs) / 2)
    fig, axes = subplots(rows, 2, figsize=(WIDTH, 3.3 * rows + 0.6), sharex=True, sharey=True, squeeze=False)
    xs, ys = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
    values = bowl.value(np.stack([xs, ys], axis=-1))
    for ax in axes.flat[len(lrs):]:
        ax.set_visible(False)
    for ax, (name, lr) in zip(axes.flat, lrs.items()):
        path = gradient_descent(bowl.grad, theta0, lr, steps)
        ax.contour(xs, ys, values, levels=np.geomspace(0.01, values.max(), 14), colors="0.75", linewidths=0.7)
        inside = np.all(np.abs(path) < 3, axis=1)
        ax.plot(path[inside, 0], path[inside, 1], "o-", ms=3, lw=1, color="crimson")
        ax.plot(0, 0, "*", color="k", ms=10)
        ax.set(title=f"{name}\nη = {lr:.3g}, contraction {bowl.contraction(lr):.3f}", xlim=(-3, 3), ylim=(-3, 3),
               aspect="equal")
        ax.title.set_fontsize(10)
    for ax in axes[:, 0]:
        ax.set_ylabel("θ₂")
    for ax in axes[-1]:
        ax.set_xlabel("θ₁")
    return annotate(fig, f"2-D bowl, eigenvalues {bowl.eigenvalues}, axes rotated {bowl.angle:g}°; {steps} steps "
                         f"from θ₀ = {tuple(theta0)}; computed live with NumPy")


def plot_contraction(bowl: Bowl, lrs=None, steps: int = 60):
    """The per-step contraction factor against η: theory as a line, measured from real trajectories as dots."""
    lrs = np.linspace(0.002, 1.15 * bowl.stability_bound, 300) if lrs is None else np.asarray(lrs)
    fig, ax = subplots(figsize=(WIDTH, 4.2))
    ax.plot(lrs, [bowl.contraction(lr) for lr in lrs], color="tab:blue", label="theory: max |1 − ηλ|")
    probes = np.linspace(lrs[0], lrs[-1], 23)
    measured = [measured_contraction(gradient_descent(bowl.grad, (-2.0, 1.5), lr, steps)) for lr in probes]
    ax.plot(probes, measured, "o", color="crimson", ms=4, label=f"measured on {steps}-step trajectories")
    ax.axhline(1, color="0.5", ls="--", lw=0.8)
    ax.axvline(bowl.best_step, color="tab:green", ls=":", label=f"best step 2/(λmin+λmax) = {bowl.best_step:.3f}")
    ax.axvline(bowl.stability_bound, color="crimson", ls=":", label=f"stability bound 2/λmax = "
                                                                      f"{bowl.stability_bound:.3f}")
    ax.set(xlabel="learning rate η", ylabel="shrink factor per step", ylim=(0.5, 1.3),
           title="Below 1 the path converges; the lowest point is the fastest fixed step")
    ax.legend(fontsize=9)
    return annotate(fig, f"2-D bowl, eigenvalues {bowl.eigenvalues}; {len(probes)} measured trajectories of {steps} "
                         "steps; computed live with NumPy")


def plot_momentum(bowl: Bowl, theta0=(-2.0, 1.5), steps: int = 40):
    """Left: the best plain step and Polyak's best momentum on the bowl's contours. Right: |θ| after each step
    (log scale) for both, with the predicted rates as dashed lines."""
    lr_gd, (lr_hb, beta) = bowl.best_step, best_momentum(bowl)
    paths = {f"gradient descent, η = {lr_gd:.3f}": (gradient_descent(bowl.grad, theta0, lr_gd, steps),
                                                    bowl.contraction(lr_gd), "#7f7f7f"),
             f"momentum, η = {lr_hb:.3f}, β = {beta:.3f}": (heavy_ball(bowl.grad, theta0, lr_hb, beta, steps),
                                                          momentum_contraction(bowl, lr_hb, beta), "#8c564b")}
    fig, (left, right) = subplots(1, 2, figsize=(WIDTH, 3.6))
    xs, ys = np.meshgrid(np.linspace(-3, 3, 200), np.linspace(-3, 3, 200))
    values = bowl.value(np.stack([xs, ys], axis=-1))
    left.contour(xs, ys, values, levels=np.geomspace(0.01, values.max(), 14), colors="0.8", linewidths=0.7)
    for label, (path, rate, color) in paths.items():
        left.plot(path[:, 0], path[:, 1], "o-", ms=2.5, lw=1, color=color)
        norms = np.linalg.norm(path, axis=1)
        right.plot(norms, color=color, lw=1.6, label=label)
        right.plot(norms[0] * rate ** np.arange(steps + 1), color=color, ls="--", lw=0.9)
    left.plot(0, 0, "*", color="k", ms=9)
    left.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", xlabel="θ₁", ylabel="θ₂", title="paths")
    right.set(yscale="log", xlabel="step", ylabel="|θ|", title="distance to the minimum")
    fig.legend(*right.get_legend_handles_labels(), loc="lower center", ncol=1, fontsize=9, frameon=False,
               bbox_to_anchor=(0.5, 0.07))
    fig.subplots_adjust(bottom=0.38, wspace=0.4)
    return annotate(fig, f"2-D bowl, eigenvalues {bowl.eigenvalues}; {steps} steps from θ₀ = {tuple(theta0)}; "
                         "computed live with NumPy")


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
