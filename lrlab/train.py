"""Training: the update loop, run for one learning rate or for a stack of them at once, returning plain records.

Every step is the gradient-descent update theta <- theta - eta * grad J(theta) (or an optimizer's refinement of it):

    loss = cross_entropy(model(x), y)   # J(theta) on one batch
    optimizer.zero_grad()
    loss.backward()                     # grad J(theta)
    optimizer.step()                    # theta moves by a step of size ~eta

`fit` runs K such loops in lock-step over the same batches: K models, K optimizers, one StackedCNN pass.
"""

import math
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lrlab import __version__
from lrlab.config import TrainConfig, apply_profile, parse_lr
from lrlab.data import load_mnist
from lrlab.model import StackedCNN, seeded_cnn
from lrlab.optim import make_optimizer, make_scheduler

DIVERGE_FACTOR = 10.0  # a run whose recent mean loss exceeds 10x its first loss has diverged
DIVERGE_WINDOW = 20  # steps averaged for that test, so one unlucky batch is not called a divergence
CHECK_EVERY = 100  # on CPU, steps between looks for divergence; on a GPU the host looks once per epoch (one sync)
EVAL_SAMPLES = 1024  # test images x stacked models per evaluation pass: ~80 KB of activations each, so ~80 MB
SUBSET_SEED = 1234  # fixed subsets are the same for every run, whatever its seed


def pick_device(device=None) -> torch.device:
    """The given device, else CUDA, else Apple's MPS, else the CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@dataclass
class Run:
    """Everything one training run produced: a plain record that round-trips through JSON."""

    config: TrainConfig
    losses: list[float]  # training loss of every step (the batch mean), up to where the run stopped
    step_lrs: list[float]  # learning rate used at every step (varies under a schedule)
    train_loss: list[float]  # mean training loss of each epoch
    test_loss: list[float]  # test loss after each epoch
    test_accuracy: list[float]  # test accuracy (0..1) after each epoch
    seconds: float  # wall time spent on this run (a stack's time is shared among the runs in it)
    samples_per_s: float  # training images processed per wall second of this run
    device: str
    diverged: bool = False  # the loss became non-finite or exploded; training stopped early
    stopped_at: int | None = None  # the step where a diverged run stopped
    steps_per_epoch: int = 0
    stack_size: int = 1  # how many runs were trained together in one stacked model
    verdict: str | None = None  # too-low / good / too-high / diverged, set by a sweep (see lrlab.sweep.verdicts)
    lrlab_version: str = ""

    @property
    def lr(self) -> float:
        return self.config.lr

    @property
    def optimizer(self) -> str:
        return self.config.optimizer

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def final_loss(self) -> float:
        """Mean training loss of the last epoch that ran (inf for a run that diverged in its first epoch)."""
        return self.train_loss[-1] if self.train_loss else math.inf

    @property
    def final_accuracy(self) -> float:
        return self.test_accuracy[-1] if self.test_accuracy else math.nan

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Run":
        return cls(**{**data, "config": TrainConfig(**data["config"])})


def _subset(n_total: int, size: int | None) -> torch.Tensor | None:
    """Indices of a fixed random subset (the same for every run), or None for all."""
    if size is None or size >= n_total:
        return None
    generator = torch.Generator().manual_seed(SUBSET_SEED)
    return torch.randperm(n_total, generator=generator)[:size]


def to_device_tensors(images, labels, size, device):
    """Images as float [N, 1, 28, 28] in [0, 1] (what ToTensor gives), labels as int64, on the device."""
    index = _subset(len(labels), size)
    if index is not None:
        images, labels = images[index], labels[index]
    x = images.to(device).float().div_(255).unsqueeze(1)  # one float copy of the images, converted in place
    return x.contiguous(memory_format=torch.channels_last), labels.to(device)


def _stacked_losses(net, x, y, k):
    """Mean cross-entropy of each of the k models on one batch: a tensor [k]."""
    logits = net(x)
    if k == 1 and logits.dim() == 2:
        return F.cross_entropy(logits, y).unsqueeze(0)
    per_sample = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.repeat(k), reduction="none")
    return per_sample.view(k, -1).mean(1)


@torch.inference_mode()
def evaluate(models, x, y) -> tuple[list[float], list[float]]:
    """Test loss and accuracy of each model, computed in large batches in one stacked pass."""
    net = _network(models)
    loss_sum = torch.zeros(len(models), device=x.device)
    correct = torch.zeros(len(models), device=x.device)
    per_pass = EVAL_SAMPLES if x.device.type == "cpu" else 16 * EVAL_SAMPLES  # GPUs like large batches
    batch = max(64, per_pass // len(models))  # bounded memory, whatever the stack width
    for start in range(0, len(y), batch):
        xb, yb = x[start:start + batch], y[start:start + batch]
        logits = net(xb).view(len(models), len(yb), -1)
        loss_sum += F.cross_entropy(logits.flatten(0, 1), yb.repeat(len(models)), reduction="none").view(
            len(models), -1).sum(1)
        correct += (logits.argmax(-1) == yb).sum(1)
    return (loss_sum / len(y)).tolist(), (correct / len(y)).tolist()


def _diverged_at(losses: list[float], first: float, start: int = 0) -> int | None:
    """First step from `start` on where the run counts as diverged: a non-finite loss, or a mean over the last
    DIVERGE_WINDOW steps above DIVERGE_FACTOR x its first loss. Entries before `start` only fill the window."""
    for step in range(start, len(losses)):
        if not math.isfinite(losses[step]):
            return step
        window = losses[max(0, step - DIVERGE_WINDOW + 1):step + 1]
        if sum(window) / len(window) > DIVERGE_FACTOR * first:
            return step
    return None


def batch_key(config: TrainConfig) -> tuple:
    """Runs with equal keys see identical batches in identical order, so they can be trained as one stack."""
    return config.seed, config.epochs, config.batch_size, config.train_size, config.test_size, config.profile


def fit(configs: list[TrainConfig], *, device=None, progress: bool = True, data=None) -> list[Run]:
    """Train several runs together, as one stacked model; they must share seed, epochs, batch size and subsets.

    Each run keeps its own model, optimizer and schedule (exact torch.optim semantics for its own LR); only the
    forward/backward pass is shared. A run that diverges is dropped from the stack and the others go on.
    """
    first = configs[0]
    for config in configs[1:]:
        if batch_key(config) != batch_key(first):
            raise ValueError("runs trained together must share seed, epochs, batch size, subsets and profile; got "
                             f"{batch_key(config)} and {batch_key(first)}")
    device = pick_device(device)
    data = load_mnist() if data is None else data
    x_train, y_train = to_device_tensors(data.train_images, data.train_labels, first.train_size, device)
    x_test, y_test = to_device_tensors(data.test_images, data.test_labels, first.test_size, device)
    n, k = len(y_train), len(configs)
    steps_per_epoch = math.ceil(n / first.batch_size)
    total_steps = steps_per_epoch * first.epochs

    # Same seed: identical initial weights. Channels-last: see StackedCNN._cat.
    models = [seeded_cnn(first.seed).to(device, memory_format=torch.channels_last) for _ in configs]
    optimizers = [make_optimizer(m.parameters(), c.optimizer, c.lr) for m, c in zip(models, configs)]
    schedulers = [make_scheduler(o, c, total_steps) for o, c in zip(optimizers, configs)]
    # Losses stay on the device; the host reads them every CHECK_EVERY steps on CPU, once per epoch on a GPU.
    check_every = CHECK_EVERY if device.type == "cpu" else steps_per_epoch
    loss_log = torch.full((k, total_steps), math.nan, device=device)
    lr_log = [[] for _ in range(k)]  # the LR each run used at each step
    active = list(range(k))  # runs still training
    stopped = {}  # run index -> step where it diverged
    first_loss = [None] * k
    seconds = [0.0] * k
    epoch_stats = [[] for _ in range(k)]  # (train loss, test loss, test accuracy) per finished epoch
    order_generator = torch.Generator().manual_seed(first.seed)

    def check(upto: int) -> None:
        """Read the new losses back, stop any run that diverged, and rebuild the stack without it."""
        nonlocal net, rows, checked
        low = max(0, checked - DIVERGE_WINDOW)  # enough history to fill the window
        recent = loss_log[:, low:upto].tolist()
        for i in list(active):
            first_loss[i] = recent[i][0] if first_loss[i] is None else first_loss[i]
            at = _diverged_at(recent[i], first_loss[i], start=checked - low)
            if at is not None:
                stopped[i] = low + at
                active.remove(i)
        if active and len(active) < len(rows):
            rows = torch.tensor(active, device=device)
            net = _network([models[i] for i in active])
        checked = upto

    net, rows, checked = _network(models), torch.arange(k, device=device), 0  # rows: loss_log rows of the stack
    bar = tqdm(total=total_steps, disable=not progress, leave=False,
               desc=f"{first.optimizer} lr={','.join(f'{c.lr:g}' for c in configs)}")
    step = 0
    for epoch in range(first.epochs):
        order = torch.randperm(n, generator=order_generator).to(device)
        for start in range(0, n, first.batch_size):
            tick = time.perf_counter()
            batch = order[start:start + first.batch_size]
            losses = _stacked_losses(net, x_train[batch], y_train[batch], len(active))
            for i in active:
                optimizers[i].zero_grad(set_to_none=True)
            losses.sum().backward()  # runs are independent, so the sum's gradient is each run's own gradient
            for i in active:
                lr_log[i].append(optimizers[i].param_groups[0]["lr"])
                optimizers[i].step()
                schedulers[i].step()
            loss_log[rows, step] = losses.detach()
            step += 1
            if step % check_every == 0 or start + first.batch_size >= n:
                check(step)
            share = (time.perf_counter() - tick) / max(len(active), 1)
            for i in active:
                seconds[i] += share
            bar.update(1)
            if not active:
                break
        if not active:
            break
        tick = time.perf_counter()
        test_loss, test_acc = evaluate([models[i] for i in active], x_test, y_test)
        epoch_losses = loss_log[:, step - steps_per_epoch:step].mean(1).tolist()
        for j, i in enumerate(active):
            epoch_stats[i].append((epoch_losses[i], test_loss[j], test_acc[j]))
            seconds[i] += (time.perf_counter() - tick) / len(active)
    bar.close()

    runs = []
    host_losses = loss_log.tolist()
    for i, config in enumerate(configs):
        ran = stopped[i] + 1 if i in stopped else total_steps
        samples = (ran // steps_per_epoch) * n + min((ran % steps_per_epoch) * first.batch_size, n)
        runs.append(Run(
            config=config,
            losses=host_losses[i][:ran],
            step_lrs=lr_log[i][:ran],
            train_loss=[s[0] for s in epoch_stats[i]],
            test_loss=[s[1] for s in epoch_stats[i]],
            test_accuracy=[s[2] for s in epoch_stats[i]],
            seconds=seconds[i],
            samples_per_s=samples / max(seconds[i], 1e-9),
            device=str(device),
            diverged=i in stopped,
            stopped_at=stopped.get(i),
            steps_per_epoch=steps_per_epoch,
            stack_size=k,
            lrlab_version=__version__,
        ))
    return runs


def _network(models):
    """The plain CNN for one run, the stacked view for several."""
    return models[0] if len(models) == 1 else StackedCNN(models)


def train(lr, *, optimizer: str = "adam", epochs: int = 5, batch_size: int = 32, train_size: int | None = None,
          test_size: int | None = None, seed: int = 0, schedule: str = "constant", warmup_steps: int = 0,
          device=None, progress: bool = True) -> Run:
    """Train the CNN on MNIST with one learning rate; the seed's experiment with the defaults. Returns a Run."""
    config = apply_profile(TrainConfig(
        lr=parse_lr(lr), optimizer=optimizer, epochs=epochs, batch_size=batch_size, train_size=train_size,
        test_size=test_size, seed=seed, schedule=schedule, warmup_steps=warmup_steps))
    return fit([config], device=device, progress=progress)[0]
