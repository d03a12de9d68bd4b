"""The fast engine behind sweeps: K runs that share their batches, trained in lock-step as one stacked model.

Per step it does what the reference loop (`lrlab.loop.train_epoch`) does for one run: forward, backward, step, then
bookkeeping, with the same optimizers and schedules (`lrlab.optim`) and the same divergence rule (`lrlab.runs`);
tests/test_training.py checks both give the same losses, for every optimizer and schedule. How it differs:

1. K runs in one pass: StackedCNN evaluates K models on the shared batch as one wide network; each run keeps its own
   model, torch.optim optimizer and schedule, whose steps write into the stacked weights.
2. Channels-last layout of the images and convolution weights (max-pooling is ~15x faster so on CPU).
3. glibc keeps freed memory for the next step (`lrlab.allocator`): no fresh pages per step.
4. Losses stay on the device and are read back every CHECK_EVERY steps on CPU (once per epoch on a GPU, one sync);
   a run found diverged is cut at the step where the rule fired, exactly as if it had been checked every step,
   and dropped from the stack while the others go on.
5. ReLU after max-pooling (the same values and gradients, on a 4x smaller tensor); linear layers as W @ xᵀ.
6. Evaluation in passes of EVAL_SAMPLES images x models (bounded memory, whatever the stack width); every run of the
   stack is switched to its evaluation weights for it (schedule-free), also those not due a test.
"""

import math
import time

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lrlab.allocator import keep_freed_memory
from lrlab.config import TrainConfig
from lrlab.data import Tensors, prepare
from lrlab.model import StackedCNN, seeded_cnn
from lrlab.optim import current_lr, evaluation_mode, make_optimizer, make_scheduler, training_mode
from lrlab.runs import DIVERGE_WINDOW, Run, diverged_at

CHECK_EVERY = 100  # on CPU, steps between looks for divergence; on a GPU the host looks once per epoch (one sync)
EVAL_SAMPLES = 512  # test images x stacked models per pass: ~40 MB of activations (1,024: slower, cache-bound)


def fast_prepare(config: TrainConfig, device=None, mnist=None) -> Tensors:
    """lrlab.data.prepare with the engine's speed settings: glibc keeps freed memory, images channels-last."""
    keep_freed_memory()
    given = prepare(config, device, mnist)
    layout = torch.channels_last
    return Tensors(given.device, given.images.contiguous(memory_format=layout), given.labels,
                   given.test_images.contiguous(memory_format=layout), given.test_labels,
                   given.validation_images.contiguous(memory_format=layout), given.validation_labels)


def batch_key(config: TrainConfig) -> tuple:
    """Runs with equal keys see identical batches in identical order, so they can be trained as one stack."""
    return (config.seed, config.epochs, config.batch_size, config.train_size, config.test_size,
            config.validation_size, config.profile)


def _stacked_losses(net, x, y, k):
    """Mean cross-entropy of each of the k models on one batch: a tensor [k]."""
    logits = net(x)
    per_sample = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.repeat(k), reduction="none")
    return per_sample.view(k, -1).mean(1)


@torch.inference_mode()
def evaluate_stack(net: StackedCNN, x, y) -> tuple[list[float], list[float]]:
    """Loss and accuracy of each stacked model on held-out images (test or validation), in large batches."""
    k = len(net.models)
    loss_sum, correct = torch.zeros(k, device=x.device), torch.zeros(k, device=x.device)
    per_pass = EVAL_SAMPLES if x.device.type == "cpu" else 16 * EVAL_SAMPLES  # GPUs like large batches
    batch = max(64, per_pass // k)  # bounded memory, whatever the stack width
    for start in range(0, len(y), batch):
        xb, yb = x[start:start + batch], y[start:start + batch]
        logits = net(xb)
        loss_sum += F.cross_entropy(logits.flatten(0, 1), yb.repeat(k), reduction="none").view(k, -1).sum(1)
        correct += (logits.argmax(-1) == yb).sum(1)
    return (loss_sum / len(y)).tolist(), (correct / len(y)).tolist()


class Stack:
    """The state of K runs training together. Losses stay on the device until `check` reads them back."""

    def __init__(self, configs: list[TrainConfig], device: torch.device, steps_per_epoch: int):
        k, first = len(configs), configs[0]
        self.configs, self.device, self.steps_per_epoch = configs, device, steps_per_epoch
        total_steps = steps_per_epoch * first.epochs
        self.models = [seeded_cnn(first.seed).to(device) for _ in configs]  # same seed: identical initial weights
        self.optimizers = [make_optimizer(m.parameters(), c.optimizer, c.lr) for m, c in zip(self.models, configs)]
        self.schedulers = [make_scheduler(o, c, total_steps) for o, c in zip(self.optimizers, configs)]
        for optimizer in self.optimizers:
            training_mode(optimizer)  # schedule-free trains at one point and is evaluated at another
        self.loss_log = torch.full((k, total_steps), math.nan, device=device)
        self.lr_log = [[] for _ in range(k)]  # the LR each run used at each step
        self.train_loss = [[] for _ in range(k)]  # mean training loss of each finished epoch
        self.tests = [[] for _ in range(k)]  # (test loss, test accuracy) after each evaluated epoch
        self.validations = [[] for _ in range(k)]  # the same on the validation split
        self.seconds = [0.0] * k
        self.active = list(range(k))  # runs still training
        self.stopped = {}  # run index -> step where it diverged
        self.first_loss = [None] * k
        self.step = self.checked = 0  # steps taken; steps already checked for divergence
        self._restack()

    def _restack(self) -> None:
        self.rows = torch.tensor(self.active, device=self.device)  # loss_log rows of the active runs
        self.net = StackedCNN([self.models[i] for i in self.active])  # one run too: its layers are the fast ones

    def train_step(self, images, labels) -> None:
        losses = _stacked_losses(self.net, images, labels, len(self.active))  # forward: J(θ) of each run
        self.net.zero_grad()  # every run's gradients at once (they are views of the stack's)
        losses.sum().backward()  # backward: runs are independent, so the sum's gradient is each run's own
        for i in self.active:
            self.optimizers[i].step()  # step: each run with its own optimizer and η
            self.lr_log[i].append(current_lr(self.optimizers[i]))  # bookkeeping
            self.schedulers[i].step()
        self.loss_log[self.rows, self.step] = losses.detach()
        self.step += 1

    def check(self) -> None:
        """Read the new losses back, stop any run that diverged, and rebuild the stack without it."""
        low = max(0, self.checked - DIVERGE_WINDOW)  # enough history to fill the window
        recent = self.loss_log[:, low:self.step].tolist()
        for i in list(self.active):
            if self.first_loss[i] is None:
                self.first_loss[i] = recent[i][0]
            at = diverged_at(recent[i], self.first_loss[i], start=self.checked - low)
            if at is not None:
                self.stopped[i] = low + at
                self.active.remove(i)
        if self.active and len(self.active) < len(self.rows):
            self._restack()
        self.checked = self.step

    def charge(self, seconds: float) -> None:
        """Share wall time equally among the runs still training."""
        for i in self.active:
            self.seconds[i] += seconds / len(self.active)

    def end_epoch(self, epoch: int, given: Tensors) -> None:
        """Record the epoch's mean training loss of the active runs; evaluate those due a test (tests_after) on the
        test images and the validation split."""
        epoch_losses = self.loss_log[:, self.step - self.steps_per_epoch:self.step].mean(1).tolist()
        for i in self.active:
            self.train_loss[i].append(epoch_losses[i])
        if any(self.configs[i].tests_after(epoch) for i in self.active):
            for i in self.active:
                evaluation_mode(self.optimizers[i])
            tests = zip(*evaluate_stack(self.net, given.test_images, given.test_labels))
            validations = zip(*evaluate_stack(self.net, given.validation_images, given.validation_labels))
            for i, test, validation in zip(list(self.active), tests, validations):
                training_mode(self.optimizers[i])
                if self.configs[i].tests_after(epoch):
                    self.tests[i].append(test)
                    self.validations[i].append(validation)

    def runs(self, n_images: int) -> list[Run]:
        host_losses = self.loss_log.tolist()
        runs = []
        for i, config in enumerate(self.configs):
            ran = self.stopped[i] + 1 if i in self.stopped else len(host_losses[i])
            runs.append(Run.record(config, host_losses[i][:ran], self.lr_log[i][:ran], self.train_loss[i],
                                   self.tests[i], seconds=self.seconds[i], n_images=n_images, device=self.device,
                                   stopped_at=self.stopped.get(i), steps_per_epoch=self.steps_per_epoch,
                                   stack_size=len(self.configs), validations=self.validations[i]))
        return runs


def _shared(configs: list[TrainConfig]) -> TrainConfig:
    """The first config, after checking that every config shares its batches."""
    for config in configs[1:]:
        if batch_key(config) != batch_key(configs[0]):
            raise ValueError("runs trained together must share seed, epochs, batch size, subsets and profile; got "
                             f"{batch_key(config)} and {batch_key(configs[0])}")
    return configs[0]


def train_stack(configs: list[TrainConfig], *, device=None, progress: bool = True, mnist=None) -> list[Run]:
    """Train several runs together as one stack with the fast engine (not cached: lrlab.sweep caches); they must
    share seed, epochs, batch size and subsets (batch_key). A run that diverges is dropped, the others go on."""
    first = _shared(configs)
    given = fast_prepare(first, device, mnist)
    device, images, labels = given.device, given.images, given.labels
    n, batch_size = len(labels), first.batch_size
    stack = Stack(configs, device, steps_per_epoch=first.steps_per_epoch(n))
    check_every = CHECK_EVERY if device.type == "cpu" else stack.steps_per_epoch  # host reads = syncs
    shuffle = torch.Generator().manual_seed(first.seed)
    bar = tqdm(total=stack.steps_per_epoch * first.epochs, disable=not progress, leave=False,
               desc=f"{first.optimizer} lr={','.join(f'{c.lr:g}' for c in configs)}")
    for epoch in range(1, first.epochs + 1):
        order = torch.randperm(n, generator=shuffle).to(device)
        for start in range(0, n, batch_size):
            tick = time.perf_counter()
            batch = order[start:start + batch_size]
            stack.train_step(images[batch], labels[batch])
            if stack.step % check_every == 0 or start + batch_size >= n:
                stack.check()
            stack.charge(time.perf_counter() - tick)
            bar.update(1)
            if not stack.active:
                break
        if not stack.active:
            break
        tick = time.perf_counter()
        stack.end_epoch(epoch, given)
        stack.charge(time.perf_counter() - tick)
    bar.close()
    return stack.runs(n)
