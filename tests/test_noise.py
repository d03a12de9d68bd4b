"""Gradient noise against its oracle: for batches drawn without replacement, E||g_B - g||^2 = s2 (N - B) / (B (N - 1))
where s2 is the mean squared distance of single-image gradients from g."""

import pytest
import torch

from lrlab.noise import flat_gradient, gradient_noise


def test_noise_follows_the_sampling_formula_on_a_linear_model():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 3).double()
    images, labels = torch.randn(200, 5, dtype=torch.float64), torch.randint(0, 3, (200,))
    full = flat_gradient(model, images, labels)
    singles = torch.stack([flat_gradient(model, images[i:i + 1], labels[i:i + 1]) for i in range(200)])
    s2 = (singles - full).square().sum(1).mean().item()
    measured = gradient_noise(model, images, labels, [4, 16, 64], batches=400)
    assert measured.pop("full") == pytest.approx(full.square().sum().item())
    for size, value in measured.items():
        assert value == pytest.approx(s2 * (200 - size) / (size * 199), rel=0.15)
    assert measured[4] > 3 * measured[16] > 9 * measured[64]  # about 4x less noise per 4x larger batch


def test_flat_gradient_is_the_mean_over_chunks():
    torch.manual_seed(1)
    model = torch.nn.Linear(4, 2)
    images, labels = torch.randn(50, 4), torch.randint(0, 2, (50,))
    torch.testing.assert_close(flat_gradient(model, images, labels, chunk=7), flat_gradient(model, images, labels))
