"""Gradient descent you can see: quadratic bowls J(θ) = ½ θᵀAθ, where every step size has an exact consequence.

Along an eigenvector of A with eigenvalue λ, one step multiplies θ by (1 − ηλ). So gradient descent converges iff
|1 − ηλ| < 1 for every λ, that is 0 < η < 2/λ_max; the fixed step that shrinks the slowest direction fastest is
η* = 2/(λ_min + λ_max), which contracts by (κ − 1)/(κ + 1) per step, κ = λ_max/λ_min.
"""

from dataclasses import dataclass

import numpy as np

THETA0 = (-2.0, 1.5)  # where every path on the book's bowls starts: off both axes, so that both directions show


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
