"""Figures of gradient descent on quadratic bowls (lrlab.quadratic): paths, shrink factors, momentum."""

import math

import matplotlib
import numpy as np

from lrlab.plot.style import WIDTH, annotate, bottom_legend, subplots
from lrlab.quadratic import (
    THETA0,
    Bowl,
    best_momentum,
    gradient_descent,
    heavy_ball,
    measured_contraction,
    momentum_contraction,
)


def steps_1d(bowl: Bowl, lrs: dict[str, float], theta0: float = 1.0, steps: int = 12):
    """Left: each step size's path on the parabola. Right: θ over the steps."""
    fig, (left, right) = subplots(1, 2, figsize=(WIDTH, 3.6))
    grid = np.linspace(-2.2 * abs(theta0), 2.2 * abs(theta0), 200)
    left.plot(grid, bowl.value(grid[:, None]), color="0.5", lw=1)
    for (name, lr), color in zip(lrs.items(), matplotlib.colormaps["viridis"](np.linspace(0, 0.9, len(lrs)))):
        path = gradient_descent(bowl.grad, [theta0], lr, steps)[:, 0]
        shown = np.abs(path) < 2.2 * abs(theta0)
        left.plot(path[shown], bowl.value(path[shown, None]), "o-", color=color, ms=4, lw=1, alpha=0.8,
                  label=f"{name}: η={lr:g}")
        right.plot(np.arange(steps + 1), path, "o-", color=color, ms=3, label=f"{name}: η={lr:g}")
    left.set(xlabel="θ", ylabel="J(θ)", title=f"J(θ) = ½·{bowl.eigenvalues[0]:g}·θ²",
             ylim=(-0.1, bowl.value([2.2 * abs(theta0)]) * 1.05))
    right.set(xlabel="step t", ylabel="θ_t", title="θ after each step", ylim=(-3 * abs(theta0), 3 * abs(theta0)))
    right.axhline(0, color="0.6", lw=0.8)
    fig.subplots_adjust(wspace=0.35)
    bottom_legend(fig, *left.get_legend_handles_labels(), ncol=2)
    return annotate(fig, f"1-D quadratic, L = {bowl.eigenvalues[0]:g}, {steps} steps; stability bound 2/L = "
                         f"{bowl.stability_bound:g}; computed live with NumPy")


def paths_2d(bowl: Bowl, lrs: dict[str, float], theta0=THETA0, steps: int = 25):
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


def contraction(bowl: Bowl, lrs=None, steps: int = 60):
    """The per-step contraction factor against η: theory as a line, measured from real trajectories as dots."""
    lrs = np.linspace(0.002, 1.15 * bowl.stability_bound, 300) if lrs is None else np.asarray(lrs)
    fig, ax = subplots(figsize=(WIDTH, 4.2))
    ax.plot(lrs, [bowl.contraction(lr) for lr in lrs], color="tab:blue", label="theory: max |1 − ηλ|")
    probes = np.linspace(lrs[0], lrs[-1], 23)
    measured = [measured_contraction(gradient_descent(bowl.grad, THETA0, lr, steps)) for lr in probes]
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


def momentum(bowl: Bowl, theta0=THETA0, steps: int = 40):
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
    fig.subplots_adjust(wspace=0.4)
    bottom_legend(fig, *right.get_legend_handles_labels(), ncol=1)
    return annotate(fig, f"2-D bowl, eigenvalues {bowl.eigenvalues}; {steps} steps from θ₀ = {tuple(theta0)}; "
                         "computed live with NumPy")
