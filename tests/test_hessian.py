"""The sharpness estimator against oracles: a quadratic with known eigenvalues, and a tiny network's full Hessian."""

import numpy as np
import pytest
import torch

from lrlab.hessian import (
    TOLERANCE,
    adam_preconditioner,
    sharpness,
    sharpness_run,
    square_loss,
    top_eigenvalues,
)


def test_top_eigenvalues_of_a_quadratic_with_two_close_ones_on_top():
    generator = torch.Generator().manual_seed(0)
    eigenvalues = torch.cat([torch.linspace(0.1, 40, 48), torch.tensor([49.0, 50.0])]).double()
    basis, _ = torch.linalg.qr(torch.randn(50, 50, generator=generator, dtype=torch.float64))
    matrix = basis @ torch.diag(eigenvalues) @ basis.T
    theta = torch.randn(50, dtype=torch.float64, generator=generator, requires_grad=True)
    values, vectors = top_eigenvalues(0.5 * theta @ matrix @ theta, [theta], k=2)
    assert values == pytest.approx([50.0, 49.0], rel=TOLERANCE)
    top = torch.as_tensor(vectors[:, 0])
    assert abs(float(top @ basis[:, -1])) == pytest.approx(1.0, abs=1e-3)  # the right eigenvector too


def test_sharpness_of_a_tiny_network_matches_its_full_hessian():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 10)).double()
    images, labels = torch.randn(40, 6, dtype=torch.float64), torch.randint(0, 10, (40,))
    shapes = [p.shape for p in model.parameters()]

    def loss_of(flat):
        chunks = torch.split(flat, [int(np.prod(s)) for s in shapes])
        weights = [c.reshape(s) for c, s in zip(chunks, shapes)]
        hidden = torch.tanh(images @ weights[0].T + weights[1])
        return square_loss(hidden @ weights[2].T + weights[3], labels)

    flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
    exact = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss_of, flat)).max().item()
    estimate, _ = sharpness(model, square_loss, images, labels)
    assert estimate == pytest.approx(exact, rel=0.01)


def test_square_loss_sums_over_classes_and_averages_over_images():
    logits = torch.zeros(4, 10)
    assert square_loss(logits, torch.tensor([0, 1, 2, 3])).item() == pytest.approx(0.5)  # not 0.05 (mse_loss)


def test_sharpness_run_of_gd_sharpens_and_is_cached(monkeypatch):
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    run = sharpness_run(0.1, steps=20, every=10, progress=False)
    assert run.measured_at == [0, 10] and len(run.losses) == 10 and run.train_size == 100
    assert run.losses[-1] < run.losses[0] and all(value > 0 for value in run.sharpness)
    assert sharpness_run(0.1, steps=20, every=10, progress=False) == run  # from the cache
    assert run.threshold == pytest.approx(20.0)


def test_preconditioned_sharpness_of_a_quadratic_is_the_top_eigenvalue_of_p_half_a_p_half():
    """The oracle: for J = ½ θᵀAθ and a diagonal P, the top eigenvalue of P^-1/2 A P^-1/2, computed densely."""
    generator = torch.Generator().manual_seed(1)
    basis, _ = torch.linalg.qr(torch.randn(30, 30, generator=generator, dtype=torch.float64))
    matrix = basis @ torch.diag(torch.linspace(0.5, 20, 30, dtype=torch.float64)) @ basis.T
    preconditioner = torch.rand(30, generator=generator, dtype=torch.float64) + 0.1
    model = torch.nn.Linear(30, 1, bias=False).double()
    quadratic = lambda out, _: 0.5 * model.weight[0] @ matrix @ model.weight[0] + 0 * out.sum()  # noqa: E731
    value, _ = sharpness(model, quadratic, torch.zeros(1, 30, dtype=torch.float64), None,
                         preconditioner=preconditioner)
    scale = torch.diag(preconditioner.rsqrt())
    assert value == pytest.approx(torch.linalg.eigvalsh(scale @ matrix @ scale).max().item(), rel=TOLERANCE)
    plain, _ = sharpness(model, quadratic, torch.zeros(1, 30, dtype=torch.float64), None)
    assert plain == pytest.approx(20.0, rel=TOLERANCE)


def test_adams_preconditioner_is_its_bias_corrected_second_moment():
    torch.manual_seed(0)
    weights = torch.randn(5, requires_grad=True)
    optimizer = torch.optim.Adam([weights], lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        (weights ** 4).sum().backward()
        optimizer.step()
    v = optimizer.state[weights]["exp_avg_sq"]
    expected = (1 - 0.9 ** 3) * ((v / (1 - 0.999 ** 3)).sqrt() + 1e-8)
    torch.testing.assert_close(adam_preconditioner(optimizer), expected)


def test_an_adam_run_records_both_sharpnesses_against_38_over_eta(monkeypatch):
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    run = sharpness_run(1e-3, optimizer="adam", steps=20, every=10, progress=False)
    assert run.measured_at == [10] and len(run.preconditioned) == len(run.sharpness) == 1
    assert run.threshold == pytest.approx(38 / 1e-3) and run.watched == run.preconditioned
    assert run.preconditioned[0] > run.sharpness[0] > 0  # Adam divides by sqrt(v) << 1: much sharper
    minibatch = sharpness_run(1e-3, optimizer="adam", batch_size=32, loss="cross-entropy", steps=20, every=10,
                              progress=False)
    assert minibatch.batch_size == 32 and len(minibatch.losses) == 10
    with pytest.raises(ValueError, match="use optimizer 'gd' or 'adam'"):
        sharpness_run(1e-3, optimizer="sgd")
