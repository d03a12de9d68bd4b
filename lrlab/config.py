"""One frozen record that says everything a training run depends on, and the smoke profile that shrinks it."""

import math
import numbers
import os
from dataclasses import dataclass, field, fields, replace

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "schedule-free", "prodigy")
SCHEDULES = ("constant", "step", "cosine", "onecycle", "wsd", "wsd-sqrt")

# LRLAB_PROFILE=smoke shrinks every run to a quick check of the mechanics (used by `make test`), never the real book:
# each setting of this name is capped at this value (the one smoke rule, `smoke_caps`, used by every kind of run).
SMOKE = dict(epochs=1, train_size=1024, test_size=512, validation_size=512, warmup_steps=4,
             range_steps=60,  # steps of an LR range test
             gd_steps=10, gd_every=10, gd_train_size=100)  # full-batch gradient descent and its sharpness


MNIST_TRAIN_IMAGES = 60_000  # MNIST's training images; a fixed 5,000 of them are the validation split
VALIDATION_IMAGES = 5_000  # held out of training: rates are chosen on them, the test images only report
TRAIN_POOL = MNIST_TRAIN_IMAGES - VALIDATION_IMAGES  # what runs train on (train_size picks a fixed subset of it)


def setting(default, help: str, **more):
    """A TrainConfig field with the help text that lrlab.train's docstring and the command line show."""
    return field(default=default, metadata=dict(help=help, **more))


@dataclass(frozen=True)
class TrainConfig:
    """What one training run depends on; two runs with equal configs on one device give identical losses on CPU."""

    lr: float = setting(1e-3, "learning rate eta: the step size of every update, e.g. 1e-3")
    optimizer: str = setting("adam", "one of " + ", ".join(OPTIMIZERS) + " (momentum: SGD with momentum 0.9)",
                             choices=OPTIMIZERS)
    epochs: int = setting(5, "full passes over the training images")
    batch_size: int = setting(32, "images per update step")
    train_size: int | None = setting(None, f"a fixed subset of the {TRAIN_POOL:,} training images (None: all)")
    test_size: int | None = setting(None, "a fixed subset of the 10,000 test images (None: all)")
    seed: int = setting(0, "initial weights and batch order")
    schedule: str = setting("constant", "one of " + ", ".join(SCHEDULES) + ", stepped once per update",
                            choices=SCHEDULES)
    warmup_steps: int = setting(0, "a linear warm-up from lr/100 over this many steps (0: none)")
    decay_fraction: float = setting(0.2, "share (0..1] of all steps that the wsd schedules spend decaying to 0")
    test_every: int = setting(0, "also evaluate every this many epochs (0: only after the last, which is always)")
    validation_size: int | None = setting(None, f"a fixed subset of the {VALIDATION_IMAGES:,} validation images "
                                                "(None: all)")
    profile: str = setting("full", "'full', or 'smoke' when LRLAB_PROFILE=smoke shrank this config", cli=False)

    def __post_init__(self):
        problems = []
        if not isinstance(self.lr, float) or not math.isfinite(self.lr) or self.lr <= 0:
            problems.append(f"lr={self.lr!r} must be a finite float > 0 (see parse_lr)")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer={self.optimizer!r} is not one of {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            problems.append(f"schedule={self.schedule!r} is not one of {', '.join(SCHEDULES)}")
        if self.schedule == "onecycle" and self.warmup_steps:
            problems.append("schedule='onecycle' has its own warm-up; use warmup_steps=0 with it")
        for name in ("epochs", "batch_size"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                problems.append(f"{name}={getattr(self, name)!r} must be a whole number >= 1")
        for name in ("train_size", "test_size", "validation_size"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                problems.append(f"{name}={value!r} must be None (all images) or a whole number >= 1")
        for name in ("warmup_steps", "test_every"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 0:
                problems.append(f"{name}={getattr(self, name)!r} must be a whole number >= 0")
        if not isinstance(self.decay_fraction, float) or not 0 < self.decay_fraction <= 1:
            problems.append(f"decay_fraction={self.decay_fraction!r} must be a float in (0, 1], e.g. 0.2")
        if problems:
            raise ValueError("Invalid training config: " + "; ".join(problems))

    def tests_after(self, epoch: int) -> bool:
        """Whether the run is evaluated on the test images after `epoch` (1, 2, ... epochs): the last one always."""
        return epoch == self.epochs or (self.test_every > 0 and epoch % self.test_every == 0)

    def training_images(self, available: int | None = None) -> int:
        """Images one epoch passes over: train_size of the `available` ones (None: MNIST's 55,000), or all of them."""
        available = TRAIN_POOL if available is None else available
        return available if self.train_size is None else min(self.train_size, available)

    def steps_per_epoch(self, available: int | None = None) -> int:
        """Updates per epoch (the last batch may be short); `available` as in training_images."""
        return math.ceil(self.training_images(available) / self.batch_size)

    def total_steps(self, available: int | None = None) -> int:
        """Updates in the whole run (if it does not diverge)."""
        return self.steps_per_epoch(available) * self.epochs

    def decay_steps(self, total_steps: int) -> int:
        """Steps the wsd schedules spend in their cooldown: decay_fraction of all steps, at least 1, after warm-up."""
        after_warmup = total_steps - min(self.warmup_steps, total_steps - 1)
        return min(after_warmup, max(1, round(self.decay_fraction * total_steps)))

    def cooldown_start(self, available: int | None = None) -> int:
        """The first step of a wsd schedule's cooldown (0-based): until it, a wsd run is a constant-rate run."""
        total = self.total_steps(available)
        return total - self.decay_steps(total)


DEFAULTS = TrainConfig()  # the one place defaults live: lrlab.train, lrlab.sweep and the CLI read theirs from here


def config_fields(cli: bool = False) -> list:
    """TrainConfig's fields (cli=True: those the command line sets: all but lr, the sweep's own, and profile)."""
    return [f for f in fields(TrainConfig) if not cli or (f.name != "lr" and f.metadata.get("cli", True))]


def settings_help() -> str:
    """One line per field but lr: its name, default and help text (for docstrings that take **settings)."""
    return "\n" + "\n".join(f"    {f.name}: {f.metadata['help']} (default {f.default!r})."
                             for f in config_fields(cli=True))


def make_config(lr, **settings) -> TrainConfig:
    """The TrainConfig of a run at rate `lr` (parse_lr) with `settings` (field names), as the active profile runs it;
    a name that is not a field is refused with the list of those that are."""
    names = {f.name for f in config_fields()} - {"lr", "profile"}
    unknown = sorted(set(settings) - names)
    if unknown:
        raise TypeError(f"unknown setting(s) {', '.join(unknown)}; a run takes: {', '.join(sorted(names))}")
    return apply_profile(TrainConfig(lr=parse_lr(lr), **settings))


def parse_lr(value, where: str = "learning rate") -> float:
    """A learning rate as a float: real numbers and numeric strings such as "1e-3" are accepted, the rest refused.

    Strings are parsed because a student editing a list may type "1e-3" in quotes; the value is unambiguous.
    Refused with a ValueError naming the value: booleans, non-numbers, NaN, infinities, zero and negatives.
    """
    number = value
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"{where} {value!r} is not a number; write it like 1e-3 or 0.001") from None
    elif isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{where} {value!r} is not a real number; write it like 1e-3 or 0.001")
    number = float(number)
    if not math.isfinite(number) or number <= 0:
        raise ValueError(f"{where} {value!r} must be finite and greater than 0; typical values lie in 1e-5 .. 1")
    return number


def active_profile() -> str:
    """'smoke' when the environment asks for the fast test profile, else 'full'."""
    profile = os.environ.get("LRLAB_PROFILE", "full").strip().lower() or "full"
    if profile not in ("full", "smoke"):
        raise ValueError(f"LRLAB_PROFILE={profile!r}: use 'full' (the default) or 'smoke' (quick test runs)")
    return profile


def smoke_caps(**settings) -> dict:
    """The settings as the active profile runs them: unchanged in 'full'; in 'smoke', each one named in SMOKE capped
    at its value there (None, meaning "all", becomes the cap)."""
    if active_profile() != "smoke":
        return settings
    return {name: value if name not in SMOKE else SMOKE[name] if value is None else min(value, SMOKE[name])
            for name, value in settings.items()}


def apply_profile(settings: TrainConfig) -> TrainConfig:
    """The config as the active profile runs it: unchanged in 'full', cut to a small subset and 1 epoch in 'smoke'."""
    if active_profile() != "smoke" or settings.profile == "smoke":
        return settings
    capped = smoke_caps(epochs=settings.epochs, train_size=settings.train_size, test_size=settings.test_size,
                        validation_size=settings.validation_size, warmup_steps=settings.warmup_steps)
    return replace(settings, **capped, profile="smoke")
