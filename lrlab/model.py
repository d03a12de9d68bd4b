"""The seed's small CNN, and a view that runs several of them as one wide network."""

import torch
import torch.nn.functional as F
from torch import nn


class CNN(nn.Module):
    """Conv 1→16, ReLU, MaxPool, Conv 16→32, ReLU, MaxPool, Linear 1568→128, ReLU, Linear 128→10 (206,922 params)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, kernel_size=3, padding=1)  # 28x28 -> 28x28, pooled to 14x14
        self.conv2 = nn.Conv2d(16, 32, kernel_size=3, padding=1)  # 14x14 -> 14x14, pooled to 7x7
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def seeded_cnn(seed: int) -> CNN:
    """A CNN whose initial weights depend only on `seed` (the global RNG is left untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return CNN()


class StackedCNN(nn.Module):
    """K independent CNNs evaluated in one pass over a shared batch: logits of shape [K, B, 10].

    The K models keep their own parameters (so each has its own optimizer, with exact torch.optim semantics); this
    module only concatenates them each step into one wide network: conv1 with 16K output channels on the shared
    input, conv2 as a grouped convolution (group k sees only model k's channels), and the linear layers as batched
    matrix products. Model k's output depends on model k's weights alone, so a run that blows up cannot disturb the
    others, and gradients flow back to each model's own tensors.
    """

    def __init__(self, models: list[CNN]):
        super().__init__()
        self.models = nn.ModuleList(models)

    def _cat(self, name: str) -> torch.Tensor:
        layer, attribute = name.split(".")
        joined = torch.cat([getattr(getattr(m, layer), attribute) for m in self.models])
        # Channels-last weights make the convolutions emit channels-last activations, where max-pooling is ~15x
        # faster on CPU (a 1-channel input alone cannot tell PyTorch which layout to use).
        return joined.contiguous(memory_format=torch.channels_last) if joined.dim() == 4 else joined

    def _stack(self, name: str) -> torch.Tensor:
        layer, attribute = name.split(".")
        return torch.stack([getattr(getattr(m, layer), attribute) for m in self.models])

    def forward(self, x):
        k, batch = len(self.models), x.shape[0]
        # relu(max_pool(x)) equals max_pool(relu(x)), values and gradients, and works on a 4x smaller tensor.
        x = F.relu(F.max_pool2d(F.conv2d(x, self._cat("conv1.weight"), self._cat("conv1.bias"), padding=1), 2))
        x = F.conv2d(x, self._cat("conv2.weight"), self._cat("conv2.bias"), padding=1, groups=k)
        x = F.relu(F.max_pool2d(x, 2))  # [B, 32K, 7, 7]
        x = x.reshape(batch, k, 32 * 7 * 7).transpose(0, 1)  # [K, B, 1568], each model's features in CNN order
        x = torch.baddbmm(self._stack("fc1.bias").unsqueeze(1), x, self._stack("fc1.weight").transpose(1, 2))
        return torch.baddbmm(self._stack("fc2.bias").unsqueeze(1), F.relu(x), self._stack("fc2.weight").transpose(1, 2))


def new_model(seed: int, device) -> CNN:
    """Fresh seeded weights on the device, channels-last (see StackedCNN._cat for why)."""
    return seeded_cnn(seed).to(device, memory_format=torch.channels_last)
