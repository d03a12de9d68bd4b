"""The sharpness estimator against oracles: a quadratic with known eigenvalues, and a tiny network's full Hessian."""

import numpy as np
import pytest
import torch

from lrlab.hessian import TOLERANCE, full_batch_gd, sharpness, square_loss, top_eigenvalues


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


def test_full_batch_gd_sharpens_and_is_cached(monkeypatch):
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    run = full_batch_gd(0.1, steps=20, every=10, progress=False)
    assert run.measured_at == [0, 10] and len(run.losses) == 10 and run.train_size == 100
    assert run.losses[-1] < run.losses[0] and all(value > 0 for value in run.sharpness)
    assert full_batch_gd(0.1, steps=20, every=10, progress=False) == run  # from the cache
    assert run.threshold == pytest.approx(20.0)
