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


def seeded(build, seed: int) -> nn.Module:
    """The module `build()` returns, its initial weights drawn from the seed alone (the global RNG is left as it
    was): the same seed gives the same weights, whatever ran before."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def seeded_cnn(seed: int) -> CNN:
    """The book's CNN, its initial weights from `seed` alone (seeded)."""
    return seeded(CNN, seed)


class StackedCNN(nn.Module):
    """K independent CNNs evaluated in one pass over a shared batch: logits of shape [K, B, 10].

    One wide network: conv1 with 16K output channels on the shared input, conv2 as a grouped convolution (group k
    sees only model k's channels), the linear layers as batched matrix products. Each layer's K weight tensors live
    in one tensor, and every model's parameters, and their gradients, become views of it: each run keeps its own
    optimizer (exact torch.optim semantics) whose steps write straight into the stacked weights, and no weight or
    gradient is copied per step. Model k's output depends on model k's weights alone, so a run that blows up cannot
    disturb the others. The models stay usable on their own (their parameters keep their values and shapes).
    """

    def __init__(self, models: list[CNN]):
        super().__init__()
        self.models = list(models)  # not submodules: their parameters are views of the stacked ones below
        self.stacked = {name: self._share(name) for name, _ in models[0].named_parameters()}

    def _share(self, name: str) -> torch.Tensor:
        """One tensor holding parameter `name` of every model, which becomes the models' storage (and their .grad's)."""
        params = [model.get_parameter(name) for model in self.models]
        if name.startswith("fc"):  # [K, out, in] for batched matrix products
            joined, pieces = torch.stack([p.detach() for p in params]), torch.Tensor.unbind
        else:  # convolutions: K x out channels
            joined, pieces = torch.cat([p.detach() for p in params]), lambda t: t.chunk(len(params))
        if joined.dim() == 4:
            # Channels-last weights make the convolutions emit channels-last activations, where max-pooling is ~15x
            # faster on CPU (a 1-channel input alone cannot tell PyTorch which layout to use).
            joined = joined.contiguous(memory_format=torch.channels_last)
        joined.requires_grad_()
        joined.grad = torch.zeros_like(joined)  # backward adds into it; zero_grad zeroes it in place
        for param, value, grad in zip(params, pieces(joined.detach()), pieces(joined.grad)):
            param.data, param.grad = value, grad
        return joined

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Zero the stacked gradients in place. The models' .grad are views of them and must stay so: set_to_none=True
        (nn.Module's default) would cut them loose, and is refused."""
        if set_to_none:
            raise ValueError("a StackedCNN zeroes its gradients in place (its models' .grad are views of them); "
                             "call zero_grad() without set_to_none=True")
        for joined in self.stacked.values():
            joined.grad.zero_()

    def forward(self, x):
        k, batch, w = len(self.models), x.shape[0], self.stacked
        # relu(max_pool(x)) equals max_pool(relu(x)), values and gradients, and works on a 4x smaller tensor.
        x = F.relu(F.max_pool2d(F.conv2d(x, w["conv1.weight"], w["conv1.bias"], padding=1), 2))
        x = F.conv2d(x, w["conv2.weight"], w["conv2.bias"], padding=1, groups=k)
        x = F.relu(F.max_pool2d(x, 2))  # [B, 32K, 7, 7]
        x = x.reshape(batch, k, 32 * 7 * 7).permute(1, 2, 0)  # [K, 1568, B], each model's features in CNN order
        # Transposed products (W @ xᵀ) give the weights' gradients in their own layout: gradᵀ @ x, no copy.
        x = F.relu(torch.baddbmm(w["fc1.bias"].unsqueeze(2), w["fc1.weight"], x))  # [K, 128, B]
        return torch.baddbmm(w["fc2.bias"].unsqueeze(2), w["fc2.weight"], x).transpose(1, 2)  # [K, B, 10]

