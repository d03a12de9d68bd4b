import numpy as np
import pytest

from lrlab.plot import momentum_explorer
from lrlab.quadratic import (
    THETA0,
    Bowl,
    best_momentum,
    gradient_descent,
    heavy_ball,
    measured_contraction,
    momentum_contraction,
)


def test_one_dimensional_steps_follow_the_closed_form():
    line = Bowl(eigenvalues=(2.0,))
    for lr in (0.1, 0.5, 0.9, 1.1):
        path = gradient_descent(line.grad, [1.0], lr, steps=8)[:, 0]
        np.testing.assert_allclose(path, (1 - lr * 2.0) ** np.arange(9))
    assert line.stability_bound == 1.0


def test_stability_bound_separates_convergence_from_divergence():
    bowl = Bowl(eigenvalues=(1.0, 10.0), angle=30)
    below = gradient_descent(bowl.grad, THETA0, 0.99 * bowl.stability_bound, steps=400)
    above = gradient_descent(bowl.grad, THETA0, 1.01 * bowl.stability_bound, steps=400)
    assert np.linalg.norm(below[-1]) < 1e-2 < 10 < np.linalg.norm(above[-1])


def test_best_fixed_step_is_fastest_and_matches_measurement():
    bowl = Bowl(eigenvalues=(1.0, 10.0), angle=30)
    assert bowl.best_step == pytest.approx(2 / 11)
    assert bowl.contraction(bowl.best_step) == pytest.approx(9 / 11)
    grid = np.linspace(0.01, 0.199, 200)
    assert grid[np.argmin([bowl.contraction(lr) for lr in grid])] == pytest.approx(bowl.best_step, abs=1e-3)
    for lr in (0.05, bowl.best_step, 0.195):
        path = gradient_descent(bowl.grad, THETA0, lr, steps=200)
        assert measured_contraction(path) == pytest.approx(bowl.contraction(lr), abs=0.01)


def test_rotation_keeps_the_eigenvalues():
    assert np.linalg.eigvalsh(Bowl((1.0, 10.0), angle=37).matrix) == pytest.approx([1.0, 10.0])


def test_eigvecs_diagonalise_the_bowl():
    bowl = Bowl((1.0, 10.0), angle=30)
    np.testing.assert_allclose(bowl.eigvecs.T @ bowl.matrix @ bowl.eigvecs, np.diag([1.0, 10.0]), atol=1e-12)


def test_heavy_ball_is_torch_sgd_with_momentum():
    import torch

    bowl = Bowl((1.0, 10.0), angle=30)
    theta = torch.tensor([-2.0, 1.5], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([theta], lr=0.05, momentum=0.8)
    visited = [theta.detach().clone().numpy()]
    for _ in range(30):
        optimizer.zero_grad()
        (0.5 * theta @ torch.as_tensor(bowl.matrix) @ theta).backward()
        optimizer.step()
        visited.append(theta.detach().clone().numpy())
    np.testing.assert_allclose(heavy_ball(bowl.grad, THETA0, 0.05, 0.8, 30), np.array(visited), rtol=1e-12)


def test_momentum_is_stable_below_2_1_plus_beta_over_lambda_max_and_fastest_at_polyaks_choice():
    bowl = Bowl((1.0, 10.0), angle=30)
    for beta in (0.0, 0.5, 0.9):
        bound = 2 * (1 + beta) / 10.0
        assert momentum_contraction(bowl, 0.99 * bound, beta) < 1 < momentum_contraction(bowl, 1.01 * bound, beta)
    lr, beta = best_momentum(bowl)
    root_kappa = np.sqrt(10.0)
    assert momentum_contraction(bowl, lr, beta) == pytest.approx((root_kappa - 1) / (root_kappa + 1), rel=1e-6)
    path = heavy_ball(bowl.grad, THETA0, lr, beta, 200)
    assert measured_contraction(path, burn_in=20) == pytest.approx(momentum_contraction(bowl, lr, beta), abs=0.02)
    grid = [(a, b) for a in np.linspace(0.05, 0.5, 46) for b in np.linspace(0, 0.95, 20)]
    assert min(momentum_contraction(bowl, a, b) for a, b in grid) >= momentum_contraction(bowl, lr, beta) - 1e-3


def test_momentum_explorer_holds_every_path_its_sliders_can_pick():
    bowl = Bowl((1.0, 10.0), angle=30)
    explorer = momentum_explorer(bowl, steps=10, lrs=[0.1, 0.2], betas=[0.0, 0.5])
    eta, beta = explorer.spec["params"]
    assert (eta["bind"]["min"], eta["bind"]["max"], eta["bind"]["step"]) == (0.1, 0.2, 0.1)
    assert (beta["bind"]["min"], beta["bind"]["max"]) == (0.0, 0.5)
    rows = [r for r in explorer.spec["layer"][1]["data"]["values"] if (r["eta"], r["beta"]) == (0.2, 0.5)]
    expected = np.clip(heavy_ball(bowl.grad, THETA0, 0.2, 0.5, 10), -3.5, 3.5)
    np.testing.assert_allclose([[r["x"], r["y"]] for r in sorted(rows, key=lambda r: r["step"])], expected, atol=1e-3)
    labels = {(r["eta"], r["beta"]): r["label"] for r in explorer.spec["layer"][2]["data"]["values"]}
    assert labels[(0.2, 0.5)].endswith("converges") and len(labels) == 4
    html = explorer.html()
    assert '<script src="../vega/vega.min.js">' in html and "vegaEmbed(" in html and "cdn" not in html.lower()


def test_the_momentum_explorer_reaches_divergence_for_every_beta_and_labels_its_values():
    """Its task, 'find the largest eta that converges for each beta', can be done: every beta of the slider has a
    converging and a diverging eta, and the figure says which eta and beta it shows."""
    bowl = Bowl(eigenvalues=(1.0, 10.0), angle=30)
    labels = momentum_explorer(bowl).spec["layer"][2]["data"]["values"]
    for beta in sorted({row["beta"] for row in labels}):
        verdicts = {row["label"].rsplit(", ", 1)[1] for row in labels if row["beta"] == beta}
        assert verdicts == {"converges", "diverges"}, beta
    assert labels[0]["label"].startswith(f"η = {labels[0]['eta']:.2f}, β = {labels[0]['beta']:.1f}")
