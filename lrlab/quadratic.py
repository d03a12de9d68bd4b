"""Gradient descent you can see: quadratic bowls J(θ) = ½ θᵀAθ, where every step size has an exact consequence.

Along an eigenvector of A with eigenvalue λ, one step multiplies θ by (1 − ηλ). So gradient descent converges iff
|1 − ηλ| < 1 for every λ, that is 0 < η < 2/λ_max; the fixed step that shrinks the slowest direction fastest is
η* = 2/(λ_min + λ_max), which contracts by (κ − 1)/(κ + 1) per step, κ = λ_max/λ_min.
"""

import math
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
