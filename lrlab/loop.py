"""The readable training loop: one model, one optimizer, one schedule, one batch at a time.

This is the reference: no stacking and none of the engine's memory or layout tricks (its optimizers come from the
same `lrlab.optim.make_optimizer` as the engine's, torch's one-call kernels for Adam and SGD included). `lrlab.train`
runs it, the experiment chapter prints its
source, and the fast engine that sweeps use (`lrlab.engine`, whose docstring lists how it differs) is tested against
it, step for step.
"""

import math
import time

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from lrlab.config import DEFAULTS, TrainConfig, make_config
from lrlab.data import Tensors, prepare
from lrlab.model import CNN, seeded
from lrlab.optim import current_lr, evaluation_mode, make_optimizer, make_scheduler, training_mode
from lrlab.runs import History, Run, has_diverged
from lrlab.settings import takes_settings


def train_epoch(model, optimizer, scheduler, images, labels, order, batch_size, history, should_stop=has_diverged,
                loss_fn=F.cross_entropy):
    """One pass over the images in `order`: one gradient-descent step per batch."""
    model.train()
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        loss = loss_fn(model(images[batch]), labels[batch])  # forward: J(θ)
        optimizer.zero_grad()
        loss.backward()  # backward: ∇J(θ), for every weight
        optimizer.step()  # step: θ ← θ − η · (the optimizer's direction)
        history.append(loss.item(), current_lr(optimizer))  # bookkeeping
        scheduler.step()  # the schedule sets η for the next step
        if should_stop(history):  # by default: the loss is non-finite, or 10x its first value
            return


@torch.inference_mode()
def evaluate(model, images, labels, batch_size: int = 1000, loss_fn=F.cross_entropy) -> tuple[float, float]:
    """Mean loss and accuracy (0..1) of the model on the given images; the accuracy is nan unless the labels are
    class indices and the model's outputs one score per class."""
    model.eval()
    loss_sum, correct = 0.0, 0
    classes = not labels.is_floating_point()
    for start in range(0, len(labels), batch_size):
        logits, y = model(images[start:start + batch_size]), labels[start:start + batch_size]
        loss_sum += loss_fn(logits, y).item() * len(y)  # the batch's mean, weighted by its size
        classes = classes and logits.ndim == 2 and y.ndim == 1
        correct += (logits.argmax(1) == y).sum().item() if classes else 0
    return loss_sum / len(labels), correct / len(labels) if classes else math.nan


def train_run(config: TrainConfig, *, device=None, progress: bool = True, mnist=None) -> Run:
    """Train the book's CNN on MNIST (`mnist`: lrlab.load_mnist()'s, by default) as `config` says, with the loop
    below, and return its Run (not cached)."""
    return fit(config, CNN, prepare(config, device, mnist), progress=progress)


def fit(config: TrainConfig, build, given: Tensors, *, loss_fn=F.cross_entropy, progress: bool = True) -> Run:
    """Train a fresh model, `build()` seeded by config.seed, on `given`'s training tensors as `config` says (one
    train_epoch per epoch, evaluated on its held-out tensors when config.tests_after says) and return its Run."""
    steps_per_epoch = config.steps_per_epoch(len(given.labels))
    model = seeded(build, config.seed).to(given.device)
    optimizer = make_optimizer(model.parameters(), config.optimizer, config.lr)
    scheduler = make_scheduler(optimizer, config, steps_per_epoch * config.epochs)
    shuffle = torch.Generator().manual_seed(config.seed)  # the batch order depends on the seed alone
    history, started = History(), time.perf_counter()
    train_loss, tests, validations = [], [], []  # each epoch's mean training loss; (loss, accuracy) when evaluated
    for epoch in tqdm(range(1, config.epochs + 1), disable=not progress, leave=False,
                      desc=f"{config.optimizer} lr={config.lr:g}"):
        order = torch.randperm(len(given.labels), generator=shuffle).to(given.device)
        training_mode(optimizer)  # schedule-free trains at one point and is evaluated at another
        train_epoch(model, optimizer, scheduler, given.images, given.labels, order, config.batch_size, history,
                    loss_fn=loss_fn)
        if has_diverged(history):
            break
        train_loss.append(sum(history.losses[-steps_per_epoch:]) / steps_per_epoch)
        if config.tests_after(epoch):
            evaluation_mode(optimizer)
            tests.append(evaluate(model, given.test_images, given.test_labels, loss_fn=loss_fn))
            if given.validation_images is not None:
                validations.append(evaluate(model, given.validation_images, given.validation_labels, loss_fn=loss_fn))
    diverged = has_diverged(history)
    return Run.record(config, history.losses, history.step_lrs, train_loss, tests, validations=validations,
                      seconds=time.perf_counter() - started, n_images=len(given.labels), device=given.device,
                      stopped_at=len(history.losses) - 1 if diverged else None, steps_per_epoch=steps_per_epoch)


@takes_settings
def train(lr: float = DEFAULTS.lr, *, device=None, progress: bool = True, **settings) -> Run:
    """Train the CNN on MNIST with one learning rate, with the plain reference loop, and return its Run; the
    defaults are the seed's experiment. Not cached; lrlab.sweep (the fast engine) caches its runs.

    lr: learning rate η (a number, or a string such as "1e-3"). device: cpu, cuda or mps (None: the best there is).
    settings: any other field of lrlab.TrainConfig, by name (listed below).
    """
    return train_run(make_config(lr, **settings), device=device, progress=progress)
