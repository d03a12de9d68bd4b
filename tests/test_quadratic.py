import numpy as np
import pytest

from lrlab.quadratic import Bowl, gradient_descent, measured_contraction


def test_one_dimensional_steps_follow_the_closed_form():
    line = Bowl(eigenvalues=(2.0,))
    for lr in (0.1, 0.5, 0.9, 1.1):
        path = gradient_descent(line.grad, [1.0], lr, steps=8)[:, 0]
        np.testing.assert_allclose(path, (1 - lr * 2.0) ** np.arange(9))
    assert line.stability_bound == 1.0


def test_stability_bound_separates_convergence_from_divergence():
    bowl = Bowl(eigenvalues=(1.0, 10.0), angle=30)
    below = gradient_descent(bowl.grad, (-2.0, 1.5), 0.99 * bowl.stability_bound, steps=400)
    above = gradient_descent(bowl.grad, (-2.0, 1.5), 1.01 * bowl.stability_bound, steps=400)
    assert np.linalg.norm(below[-1]) < 1e-2 < 10 < np.linalg.norm(above[-1])


def test_best_fixed_step_is_fastest_and_matches_measurement():
    bowl = Bowl(eigenvalues=(1.0, 10.0), angle=30)
    assert bowl.best_step == pytest.approx(2 / 11)
    assert bowl.contraction(bowl.best_step) == pytest.approx(9 / 11)
    grid = np.linspace(0.01, 0.199, 200)
    assert grid[np.argmin([bowl.contraction(lr) for lr in grid])] == pytest.approx(bowl.best_step, abs=1e-3)
    for lr in (0.05, bowl.best_step, 0.195):
        path = gradient_descent(bowl.grad, (-2.0, 1.5), lr, steps=200)
        assert measured_contraction(path) == pytest.approx(bowl.contraction(lr), abs=0.01)


def test_rotation_keeps_the_eigenvalues():
    assert np.linalg.eigvalsh(Bowl((1.0, 10.0), angle=37).matrix) == pytest.approx([1.0, 10.0])


def test_eigvecs_diagonalise_the_bowl():
    bowl = Bowl((1.0, 10.0), angle=30)
    np.testing.assert_allclose(bowl.eigvecs.T @ bowl.matrix @ bowl.eigvecs, np.diag([1.0, 10.0]), atol=1e-12)
