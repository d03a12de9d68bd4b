"""Minibatch gradient noise: how far the gradient of one batch lies from the gradient of all the training images.

Each step of minibatch training follows g_B, the mean gradient of B images, an unbiased but noisy estimate of the
full gradient g. Its noise, E ||g_B - g||^2, shrinks like 1/B (for batches drawn without replacement from N images,
exactly by the factor (N - B) / (N - 1) / B). The step eta * g_B therefore carries a random kick whose size grows
with eta and shrinks with B: the reason a constant learning rate settles at a loss floor.
"""

import torch
import torch.nn.functional as F

from lrlab.config import TrainConfig
from lrlab.engine import fast_prepare
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
    given = fast_prepare(TrainConfig(train_size=train_size), device)
    return gradient_noise(seeded_cnn(seed).to(given.device), given.images, given.labels, batch_sizes,
                          batches=batches, seed=seed)


# How a learning rate tuned at BASE_BATCH images per step is moved to a batch of b images.
RULES = {"linear": lambda ratio: ratio, "square root": lambda ratio: ratio ** 0.5, "unchanged": lambda ratio: 1.0}
BASE_BATCH = 32


def scaled_lr(base_lr: float, batch_size: int, rule: str) -> float:
    """The rate for `batch_size` under a scaling rule: linear (Goyal et al. 2017, for SGD), square root (often used
    for Adam), or unchanged."""
    return base_lr * RULES[rule](batch_size / BASE_BATCH)


def scaling_configs(base_lrs: dict[str, float], batch_sizes, **budget) -> list[TrainConfig]:
    """One config per (optimizer, batch size, rule), each optimizer starting from its base rate at BASE_BATCH;
    configs that coincide (every rule gives the base rate at BASE_BATCH) appear once."""
    configs = {}
    for optimizer, base in base_lrs.items():
        for size in batch_sizes:
            for rule in RULES:
                lr = scaled_lr(base, size, rule)
                configs.setdefault((optimizer, size, round(lr, 12)), TrainConfig(
                    lr=lr, optimizer=optimizer, batch_size=size, **budget))
    return list(configs.values())


def final_loss_by_rule(runs, base_lrs: dict[str, float], batch_sizes) -> dict:
    """{(optimizer, rule): [final loss at each batch size]} from the runs of scaling_configs."""
    found = {(r.optimizer, r.config.batch_size, round(r.lr, 12)): r.final_loss for r in runs}
    return {(optimizer, rule): [found[(optimizer, size, round(scaled_lr(base, size, rule), 12))]
                                for size in batch_sizes]
            for optimizer, base in base_lrs.items() for rule in RULES}
