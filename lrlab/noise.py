"""Minibatch gradient noise: how far the gradient of one batch lies from the gradient of all the training images.

Each step of minibatch training follows g_B, the mean gradient of B images, an unbiased but noisy estimate of the
full gradient g. Its noise, E ||g_B - g||^2, shrinks like 1/B (for batches drawn without replacement from N images,
exactly by the factor (N - B) / (N - 1) / B). The step eta * g_B therefore carries a random kick whose size grows
with eta and shrinks with B: the reason a constant learning rate settles at a loss floor.
"""

import torch
import torch.nn.functional as F

from lrlab.config import TrainConfig
from lrlab.data import pick_device, train_tensors
from lrlab.model import seeded_cnn


def flat_gradient(model, images, labels, chunk: int = 2000) -> torch.Tensor:
    """The gradient of the mean cross-entropy over all the given images, as one flat vector."""
    params = list(model.parameters())
    total = [torch.zeros_like(p) for p in params]
    for start in range(0, len(labels), chunk):
        loss = F.cross_entropy(model(images[start:start + chunk]), labels[start:start + chunk], reduction="sum")
        for acc, grad in zip(total, torch.autograd.grad(loss, params)):
            acc += grad
    return torch.cat([t.reshape(-1) for t in total]) / len(labels)


def gradient_noise(model, images, labels, batch_sizes, *, batches: int = 20, seed: int = 0) -> dict:
    """Mean squared distance ||g_B - g||^2 between the gradient of a random batch of B images and the full
    gradient g over `images`, averaged over `batches` batches, for each B in batch_sizes; under the key "full",
    ||g||^2 itself (the signal, to compare the noise with)."""
    full = flat_gradient(model, images, labels)
    generator = torch.Generator().manual_seed(seed)
    noise = {}
    for size in batch_sizes:
        distances = []
        for _ in range(batches):
            batch = torch.randperm(len(labels), generator=generator)[:size].to(labels.device)
            distances.append((flat_gradient(model, images[batch], labels[batch]) - full).square().sum().item())
        noise[size] = sum(distances) / batches
    noise["full"] = full.square().sum().item()
    return noise


def noise_at_init(batch_sizes, *, train_size: int = 10_000, batches: int = 20, seed: int = 0, device=None):
    """gradient_noise for the book's CNN with fresh weights (seed) on a fixed subset of the training images."""
    device = pick_device(device)
    images, labels = train_tensors(TrainConfig(train_size=train_size), device)
    return gradient_noise(seeded_cnn(seed).to(device), images, labels, batch_sizes, batches=batches, seed=seed)
