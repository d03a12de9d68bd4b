"""What a training run produces (the `Run` record) and when a run counts as diverged: shared by both loops."""

import math
from dataclasses import asdict, dataclass, field

from lrlab._version import __version__
from lrlab.config import TrainConfig

DIVERGE_FACTOR = 10.0  # a run whose recent mean loss exceeds 10x its first loss has diverged
DIVERGE_WINDOW = 20  # steps averaged for that test, so one unlucky batch is not called a divergence


@dataclass
class Run:
    """Everything one training run produced: a plain record that round-trips through JSON."""

    config: TrainConfig
    losses: list[float]  # training loss of every step (the batch mean), up to where the run stopped
    step_lrs: list[float]  # learning rate used at every step (varies under a schedule)
    train_loss: list[float]  # mean training loss of each epoch
    test_loss: list[float]  # test loss after each evaluated epoch (config.test_every; always the last)
    test_accuracy: list[float]  # test accuracy (0..1) after each evaluated epoch
    seconds: float  # wall time spent on this run (a stack's time is shared among the runs in it)
    samples_per_s: float  # training images processed per wall second of this run
    device: str
    diverged: bool = False  # the loss became non-finite or exploded; training stopped early
    stopped_at: int | None = None  # the step where a diverged run stopped
    steps_per_epoch: int = 0
    stack_size: int = 1  # how many runs were trained together in one stacked model
    verdict: str | None = None  # too-low / good / too-high / diverged, set by a sweep (see lrlab.results.verdicts)
    lrlab_version: str = ""
    validation_loss: list[float] = field(default_factory=list)  # on the validation split, when tested (MNIST)
    validation_accuracy: list[float] = field(default_factory=list)  # what rates are chosen on; test only reports

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
        """The run's final training loss as lrlab.results defines it (rule 1); inf for a run that diverged."""
        from lrlab.results import final_loss  # the meaning lives with the others, outside the run cache's code

        return final_loss(self)

    @property
    def final_accuracy(self) -> float:
        """Test accuracy after the last epoch (nan if the run never got there)."""
        return self.test_accuracy[-1] if self.test_accuracy else math.nan

    @property
    def final_validation_accuracy(self) -> float:
        """Validation accuracy after the last epoch (nan without a validation split, or if it never got there)."""
        return self.validation_accuracy[-1] if self.validation_accuracy else math.nan

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def record(cls, config: TrainConfig, losses, step_lrs, train_loss, tests, *, seconds: float, n_images: int,
               device, stopped_at: int | None, steps_per_epoch: int, stack_size: int = 1, validations=()) -> "Run":
        """The Run of a finished training: `tests` and `validations` hold (loss, accuracy) of each evaluated epoch
        on the test images and the validation split; a run with a `stopped_at` step diverged there."""
        seen = samples_seen(len(losses), steps_per_epoch, n_images, config.batch_size)
        return cls(config=config, losses=losses, step_lrs=step_lrs, train_loss=train_loss,
                   test_loss=[t[0] for t in tests], test_accuracy=[t[1] for t in tests], seconds=seconds,
                   samples_per_s=seen / max(seconds, 1e-9), device=str(device), diverged=stopped_at is not None,
                   stopped_at=stopped_at, steps_per_epoch=steps_per_epoch, stack_size=stack_size,
                   lrlab_version=__version__, validation_loss=[v[0] for v in validations],
                   validation_accuracy=[v[1] for v in validations])

    @classmethod
    def from_dict(cls, data: dict) -> "Run":
        return cls(**{**data, "config": TrainConfig(**data["config"])})


def diverged_at(losses: list[float], first: float, start: int = 0) -> int | None:
    """First step from `start` on where the run counts as diverged: a non-finite loss, or a mean over the last
    DIVERGE_WINDOW steps above DIVERGE_FACTOR x its first loss. Entries before `start` only fill the window."""
    for step in range(start, len(losses)):
        if not math.isfinite(losses[step]):
            return step
        window = losses[max(0, step - DIVERGE_WINDOW + 1):step + 1]
        if sum(window) / len(window) > DIVERGE_FACTOR * first:
            return step
    return None


def samples_seen(steps: int, steps_per_epoch: int, n: int, batch_size: int) -> int:
    """Training images processed in `steps` updates (the last batch of an epoch may be short)."""
    return (steps // steps_per_epoch) * n + min((steps % steps_per_epoch) * batch_size, n)


class History:
    """The bookkeeping of one run as it trains: the loss and learning rate of every step."""

    def __init__(self):
        self.losses: list[float] = []
        self.step_lrs: list[float] = []

    def append(self, loss: float, lr: float) -> None:
        self.losses.append(loss)
        self.step_lrs.append(lr)


def has_diverged(history: History) -> bool:
    """The training loops' stop rule: whether the newest step makes the run count as diverged (see diverged_at)."""
    return bool(history.losses) and diverged_at(history.losses, history.losses[0],
                                                start=len(history.losses) - 1) is not None
