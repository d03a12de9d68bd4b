"""Your model and your data: what lrlab.sweep and lrlab.lr_range_test train when given model= and data=.

    result = lrlab.sweep([1e-4, 1e-3, 1e-2], model=make_model, data=(inputs, targets), seeds=[0, 1])

`model` is a function that builds a fresh torch.nn.Module (a class such as `MyNet`, or `lambda: nn.Sequential(...)`):
each run calls it under its own seed, so every run starts from its own seeded weights, as the book's CNN does.
`data` is the training data: a pair of tensors (or NumPy arrays) `(inputs, targets)`, a torch Dataset, or a
DataLoader (its dataset is used; lrlab shuffles it with the run's seed, so that runs are reproducible). It is held in
memory. `loss` is any function loss(outputs, targets) -> a scalar tensor (default: cross-entropy, targets are class
indices).

Validation, not test. A rate is chosen by comparing runs, and what the choice is made on is no longer an unbiased
measure of the model: choose on the test set and the test score flatters. So a custom sweep holds out a validation
split of `data` (validation=0.2: a fixed random 20 %, the same for every run) or takes one (validation=(inputs,
targets)); the runs are evaluated on it, tables say "validation", and your test set stays untouched for the end.

Runs are trained by the book's reference loop (lrlab.loop.fit: one model, one batch at a time) and never cached:
a cache key would have to capture the model's code, the data and the loss, and a stale result served for an edited
model is worse than a retrained one. An executor (lrlab.parallel.local_pool(n), a Dask client's get_executor())
trains one run per task; a process pool needs `model` importable by its workers (defined in a module, not in a
notebook), Dask pickles it by value.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, Dataset, default_collate

from lrlab.config import TrainConfig
from lrlab.data import Tensors, _subset, pick_device
from lrlab.loop import fit
from lrlab.model import seeded
from lrlab.runs import Run

VALIDATION_SEED = 4321  # the validation split is the same for every run and seed
DEFAULT_VALIDATION = 0.2  # share of `data` held out when no validation set is given


class ModelError(ValueError):
    """The model, data or loss given to a custom sweep cannot work together; the message says how to fix it."""


@dataclass(frozen=True)
class Task:
    """A model function, its training and validation tensors (on the CPU) and its loss: a custom sweep's set-up."""

    build: Callable[[], nn.Module]
    inputs: torch.Tensor
    targets: torch.Tensor
    validation_inputs: torch.Tensor
    validation_targets: torch.Tensor
    loss: Callable = F.cross_entropy

    def tensors(self, config: TrainConfig, device) -> Tensors:
        """The training and validation tensors on `device`, cut to config.train_size / test_size (a fixed subset,
        as for MNIST: the smoke profile's caps work the same way)."""
        def cut(x, y, size):
            index = _subset(len(y), size)
            return (x, y) if index is None else (x[index], y[index])

        train = cut(self.inputs, self.targets, config.train_size)
        held = cut(self.validation_inputs, self.validation_targets, config.test_size)
        return Tensors(torch.device(device), *(t.to(device) for t in (*train, *held)))

    def train(self, config: TrainConfig, device=None, progress: bool = False) -> Run:
        """One run of this task as `config` says (its lr, optimizer, schedule, epochs, batch size and seed)."""
        device = pick_device(device)
        given = self.tensors(config, device)
        sizes = dict(train_size=len(given.labels), test_size=len(given.test_labels))  # recorded: what it really used
        return fit(replace(config, **sizes), self.build, given, loss_fn=self.loss, progress=progress)


def as_tensors(data, what: str = "data") -> tuple[torch.Tensor, torch.Tensor]:
    """`data` as two tensors (inputs, targets): from a pair of tensors or arrays, a Dataset or a DataLoader."""
    if isinstance(data, DataLoader):
        data = data.dataset
    if isinstance(data, Dataset):
        if len(data) == 0:
            raise ModelError(f"{what} is an empty dataset: give it at least one example")
        inputs, targets = default_collate([data[i] for i in range(len(data))])
        return inputs, targets
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ModelError(f"{what} must be (inputs, targets), a torch Dataset or a DataLoader, not a "
                         f"{type(data).__name__}; write for example data=(X_train, y_train)")
    inputs, targets = (torch.from_numpy(x) if isinstance(x, np.ndarray) else x for x in data)
    if not (isinstance(inputs, torch.Tensor) and isinstance(targets, torch.Tensor)):
        raise ModelError(f"{what}: inputs and targets must be tensors or NumPy arrays")
    if len(inputs) == 0 or len(inputs) != len(targets):
        raise ModelError(f"{what} has {len(inputs)} inputs and {len(targets)} targets: give as many of each, "
                         "and at least one")
    return inputs, targets


def split(inputs, targets, validation) -> tuple:
    """(train inputs, train targets, validation inputs, validation targets): `validation` is a share of the data to
    hold out (a fixed random subset, VALIDATION_SEED), its own data, or None: none (a range test needs none)."""
    if validation is None:
        return inputs, targets, inputs[:0], targets[:0]
    if not isinstance(validation, float):
        return inputs, targets, *as_tensors(validation, "validation")
    if not 0 < validation < 1 or round(validation * len(targets)) < 1 or round(validation * len(targets)) >= len(
            targets):
        raise ModelError(f"validation={validation!r} must be a share in (0, 1) that leaves examples on both sides "
                         f"of {len(targets)}; e.g. validation=0.2, or validation=(X_val, y_val)")
    order = torch.randperm(len(targets), generator=torch.Generator().manual_seed(VALIDATION_SEED))
    held, kept = order[:round(validation * len(targets))], order[round(validation * len(targets)):]
    return inputs[kept], targets[kept], inputs[held], targets[held]


def check_model(build, inputs, targets, loss) -> None:
    """Refuse, with the fix, what cannot train: a model function that is not one, returns the same module (or the
    same parameters) twice, a model already on another device than the data, outputs the loss cannot compare with
    the targets, or a loss that is not one number."""
    if not callable(build) or isinstance(build, nn.Module):
        raise ModelError("model= takes a function that builds a fresh model, not a model: write model=MyNet "
                         "(the class) or model=lambda: nn.Sequential(...), so that every run starts from new weights")
    first, second = seeded(build, 0), seeded(build, 1)
    if not isinstance(first, nn.Module):
        raise ModelError(f"model() returned a {type(first).__name__}, not a torch.nn.Module")
    shared = {id(p) for p in first.parameters()} & {id(p) for p in second.parameters()}
    if first is second or shared:
        raise ModelError("model() returned the same module (or modules sharing parameters) twice, so every run would "
                         "continue the last one's training: build the layers inside the function, e.g. "
                         "model=lambda: nn.Sequential(nn.Flatten(), nn.Linear(64, 10))")
    devices = {p.device.type for p in first.parameters()}
    if devices - {"cpu", inputs.device.type}:
        raise ModelError(f"model() built a model on {', '.join(sorted(devices))}, the data is on "
                         f"{inputs.device.type}: build it on the CPU (lrlab moves model and data to the device it "
                         "trains on; choose it with device=)")
    _check_loss(first, inputs, targets, loss)


def _check_loss(model, inputs, targets, loss) -> None:
    with torch.no_grad():
        outputs = model(inputs[:2])
    if not targets.is_floating_point() and outputs.ndim == 2 and int(targets.max()) >= outputs.shape[1]:
        raise ModelError(f"the targets go up to class {int(targets.max())} but the model outputs "
                         f"{outputs.shape[1]} scores per example: give it {int(targets.max()) + 1} outputs")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # torch warns, then broadcasts, when outputs and targets differ in shape
            value = loss(outputs, targets[:2])
    except (RuntimeError, ValueError, IndexError, TypeError, UserWarning) as error:
        raise ModelError(f"the loss cannot compare the model's outputs (shape {tuple(outputs.shape)}) with the "
                         f"targets (shape {tuple(targets[:2].shape)}, {targets.dtype}): {error} For classes, the "
                         "model outputs one score per class and the targets are class indices 0..C-1 "
                         "(torch.long); for numbers, pass loss=torch.nn.functional.mse_loss and targets shaped "
                         "like the outputs") from None
    if not isinstance(value, torch.Tensor) or value.ndim != 0:
        raise ModelError(f"the loss returned {getattr(value, 'shape', value)!r}, not one number: use the batch "
                         "mean (reduction='mean', the default of torch's losses)")


def make_task(model, data, *, validation=DEFAULT_VALIDATION, loss=None) -> Task:
    """The Task of a custom sweep or range test, checked (check_model) before any run starts."""
    if data is None:
        raise ModelError("model= needs its data too: add data=(inputs, targets) (or a Dataset or DataLoader)")
    if model is None:
        raise ModelError("data= needs its model too: add model=MyNet, a function that builds a fresh model")
    loss = F.cross_entropy if loss is None else loss
    parts = split(*as_tensors(data), validation)
    check_model(model, parts[0], parts[1], loss)
    return Task(model, *parts, loss=loss)


def train_runs(task: Task, configs: list[TrainConfig], *, device=None, progress: bool = True,
               executor=None) -> list[Run]:
    """Every config's run of the task, in order: here one after the other, or one task each on `executor`."""
    device = pick_device(device)
    if executor is None:
        from tqdm.auto import tqdm

        return [task.train(config, device) for config in tqdm(configs, disable=not progress, desc="runs")]
    futures = [executor.submit(task.train, config, device.type) for config in configs]
    return [future.result() for future in futures]
