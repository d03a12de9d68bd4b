"""The result of a sweep: its runs, one summary per learning rate, and the answers a chapter asks of them.

What the book's words mean, defined here once; every table (lrlab.text), figure, explorer and glued number reads
them from the same per-rate summary (RateSummary):

  1. A run's final loss is its mean training loss over its last FINAL_SHARE (10 %) of steps, and at least the
     steps that see FINAL_IMAGES (1,600) training images (final_loss; inf for a run that diverged). The same share
     of every run, whatever its length or batch size: not the last epoch, which is half of a 2-epoch run, so a
     schedule that decays late (wsd) would be judged on losses from before its decay; not a single step, which is
     one noisy batch (the floor keeps at least 50 batches of 32 in a short run). The per-step losses are stored,
     so this rule can change without retraining a run.
  2. A diverged run has no final loss and no accuracy: every mean, minimum and maximum at a rate is over the runs
     that finished, and the summary counts the diverged runs beside them.
  3. The best run (Sweep.best_run) is the finished run with the lowest final loss (or highest accuracy).
  4. The best rate (Sweep.best_lr) is the rate with the fewest diverged runs (normally none) and, among those, the
     lowest mean final loss over its seeds: a rate at which a seed blows up is not the best while another is safe.
  5. A run is good when it finished with a final loss at most GOOD_FACTOR times the mean final loss of the best
     rate of its group (verdict_group: the runs that differ from it only in lr and seed); the good region is the
     lowest to the highest rate at which most runs are good.
  6. A run trained (trains) when it finished with a final loss below a bound; the edge of training is the largest
     rate at which every run (or most runs) trained (Sweep.largest_trainable).
  7. A run's accuracy is measured on held-out data it never trained on: the validation split (held_out_accuracy;
     for MNIST, 5,000 training images set aside; for a model of your own, its validation= share). The test images
     are used only to report the chosen rate: choosing on them would make the reported score optimistic.
  8. The chosen rate (Sweep.chosen_lr) is the rate a tuner would deploy: the fewest diverged runs and, among those,
     the highest mean validation accuracy. It usually lies at or next to the best rate (rule 4), which is about
     optimization (the training loss); the chosen rate is about the model (what generalises). Its test accuracy
     (RateSummary.test) is the score to report.
  9. A run's first-step shock is its loss after the first update as a multiple of its loss before it
     (first_step_shock). Above lrlab.runs.DIVERGE_FACTOR (10) that one update put the run past the divergence
     rule: Adam's full-size first step at too high a rate. Two optimizers take the same first step when their
     losses after it agree within 1 % (same_first_step).
"""

import json
import math
import statistics
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from lrlab import text
from lrlab.config import TrainConfig, parse_lr
from lrlab.evidence import Check, below, mean_below
from lrlab.runs import Run

FINAL_SHARE, FINAL_IMAGES = 0.1, 1_600  # rule 1: the last 10 % of the steps, at least 1,600 images' worth
GOOD_FACTOR = 2.0  # rule 5: a run is "good" within 2x of its group's best rate's mean final loss
UNGROUPED = ("lr", "seed", "test_every", "test_size", "validation_size")  # fields a verdict group may differ in:
# the rate and seed, and what only the evaluation uses (the verdicts read the training loss)


def held_out_accuracy(run: Run) -> float:
    """Rule 7: the run's accuracy on its validation split after the last epoch (a run of your own model keeps its
    validation share where the test images would be); nan if it never got there."""
    return run.final_validation_accuracy if run.validation_accuracy else run.final_accuracy


def final_loss(run: Run) -> float:
    """Rule 1: the mean training loss over the run's last FINAL_SHARE of steps, and at least the steps that see
    FINAL_IMAGES images (or all of a shorter run); inf for a run that diverged or took no step."""
    if run.diverged or not run.losses:
        return math.inf
    steps = max(round(FINAL_SHARE * len(run.losses)), math.ceil(FINAL_IMAGES / run.config.batch_size))
    return statistics.fmean(run.losses[-steps:])


@dataclass(frozen=True)
class RateSummary:
    """The runs at one learning rate (its seeds) and what they say: how many diverged, and the mean, smallest and
    largest final loss and validation accuracy over the runs that finished (rules 2 and 7; inf and nan where none
    did), and their mean test accuracy (nan for a model of your own: its only held-out data is the validation)."""

    lr: float
    runs: tuple[Run, ...]
    diverged: int
    loss: float
    loss_min: float
    loss_max: float
    accuracy: float
    accuracy_min: float
    accuracy_max: float
    verdicts: tuple[str | None, ...]
    test: float

    @classmethod
    def of(cls, lr: float, runs) -> "RateSummary":
        finished = [run for run in runs if not run.diverged and math.isfinite(run.final_loss)]
        losses = [run.final_loss for run in finished]
        accuracies = [value for value in map(held_out_accuracy, finished) if math.isfinite(value)]
        tests = [run.final_accuracy for run in finished if run.validation_accuracy]
        def stats(values, none):
            return (statistics.fmean(values), min(values), max(values)) if values else (none,) * 3

        return cls(lr, tuple(runs), len(runs) - len(finished), *stats(losses, math.inf), *stats(accuracies, math.nan),
                   tuple(run.verdict for run in runs), statistics.fmean(tests) if tests else math.nan)

    @property
    def good(self) -> bool:
        """Rule 5: whether most runs at this rate are good (the rates of the good region)."""
        return 2 * self.verdicts.count("good") > len(self.runs)

    @property
    def spread(self) -> float:
        """How far apart the seeds' validation accuracies are: the largest minus the smallest (nan if none finished)."""
        return self.accuracy_max - self.accuracy_min

    @property
    def rank(self) -> tuple[int, float]:
        """Rule 4's order: fewest diverged runs first, then the lowest mean final loss."""
        return self.diverged, self.loss


def verdict_group(config: TrainConfig) -> tuple:
    """The runs a run is compared with: those whose config equals its own in every field but UNGROUPED's (the same
    optimizer, schedule, warm-up, budget, batch size, training data...), so that a 1-epoch run is never called
    too-high for losing to a 4-epoch run at the same rate."""
    return tuple((name, value) for name, value in sorted(asdict(config).items()) if name not in UNGROUPED)


def verdicts(runs: list[Run]) -> list[str]:
    """Label each run, comparing it with the best rate of its group (verdict_group: every setting but lr and seed).

    Rules, in order:
      1. diverged  - the run stopped early: its loss became non-finite or exceeded 10x its first loss.
      2. The best rate of a group is its rate with the fewest diverged runs and, among those, the lowest mean final
         training loss over its seeds (lrlab.results, rule 4).
      3. good      - final training loss at most 2x the best rate's mean (the best rate's runs usually are good).
      4. too-low   - otherwise, when its LR is below the best rate: it learns, but too slowly.
      5. too-high  - otherwise, when its LR is above the best rate: it bounces around or stalls.
    """
    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        groups.setdefault(verdict_group(run.config), []).append(run)
    best = {key: min(Sweep(members).summaries(), key=lambda rate: rate.rank) for key, members in groups.items()}
    labels = []
    for run in runs:
        top = best[verdict_group(run.config)]
        if run.diverged or not math.isfinite(top.loss) or not math.isfinite(run.final_loss):
            labels.append("diverged" if run.diverged else "too-high")
        elif run.final_loss <= GOOD_FACTOR * top.loss:
            labels.append("good")
        else:
            labels.append("too-low" if run.lr < top.lr else "too-high")
    return labels


def _no(why: str):
    raise LookupError(why)


def _matches(run: Run, wanted: dict) -> bool:
    return all(math.isclose(run.lr, value, rel_tol=1e-9) if name == "lr" else getattr(run.config, name) == value
               for name, value in wanted.items())


def _trained_enough(runs: list[Run], bound: float, most: bool) -> bool:
    """Whether every run (most=True: more than half of them) trained (rule 6)."""
    trained = sum(trains(run, bound) for run in runs)
    return trained >= (len(runs) // 2 + 1 if most else len(runs))


def trains(run: Run, bound: float) -> bool:
    """Whether a run trained: it did not diverge and its final training loss is below `bound` (guessing among ten
    digits scores ln 10 = 2.30, so a run that stalls there has not trained, even though it did not blow up)."""
    return not run.diverged and run.final_loss < bound


def first_step_shock(run: Run) -> float:
    """Rule 9: the loss after the run's first update over its loss before it (nan for a run of one step). Above
    lrlab.runs.DIVERGE_FACTOR (10) the first update alone threw the run past the divergence rule."""
    return run.losses[1] / run.losses[0] if len(run.losses) > 1 else math.nan


def same_first_step(runs: "Sweep", others: "Sweep", *, scale: float = 1.0, within: float = 0.01) -> list[Check]:
    """Rule 9: for each run of `runs` that has a run of `others` with the same seed at `scale` times its rate, the
    check that their losses after the first update agree within `within` (relative): one check per pair, none when
    no run has a partner. RMSprop's first step at lr is Adam's at 10 lr (scale=10)."""
    return [below(abs(run.losses[1] / other.losses[1] - 1), within, what=f"{run.optimizer} at {run.lr:.0e} over "
                  f"{other.optimizer} at {other.lr:.0e}, seed {run.seed}, minus 1")
            for run in runs.runs for other in others.where(seed=run.seed).by_lr(scale * run.lr)]


@dataclass
class Sweep:
    """The runs of a sweep, each with its verdict, in the order they were asked for, and the questions a chapter asks
    of them (what "best", "good" and "the edge" mean: this module's docstring). A question about a run the sweep
    lacks raises LookupError (a claim then says so)."""

    runs: list[Run]
    yours: bool = False  # a sweep of your own model and data (lrlab.custom), not the CNN on MNIST

    @property
    def lrs(self) -> list[float]:
        return sorted({run.lr for run in self.runs})

    def __add__(self, other: "Sweep") -> "Sweep":
        """The runs of both sweeps, as one (e.g. Adam's and schedule-free's, to draw on one figure)."""
        return replace(self, runs=self.runs + other.runs)

    def by_lr(self, lr: float) -> list[Run]:
        """The runs at this LR (one per seed), possibly none."""
        return [run for run in self.runs if math.isclose(run.lr, parse_lr(lr), rel_tol=1e-9)]

    def where(self, **fields) -> "Sweep":
        """The runs whose config has these values, e.g. where(optimizer="sgd"), where(lr=1e-3, seed=0)."""
        wanted = {name: parse_lr(value) if name == "lr" else value for name, value in fields.items()}
        return replace(self, runs=[run for run in self.runs if _matches(run, wanted)])

    def split(self, by: str = "optimizer") -> dict:
        """One Sweep per value of a config field ({"sgd": ..., "adam": ...}), in the order they first appear."""
        return {name: self.where(**{by: name}) for name in dict.fromkeys(getattr(r.config, by) for r in self.runs)}

    def at(self, lr, **fields) -> Run:
        """The one run with this LR (and seed, optimizer... where given); LookupError when none or several match."""
        found = self.where(lr=lr, **fields).runs
        if len(found) != 1:
            given = "".join(f", {name}={value}" for name, value in fields.items())
            raise LookupError(f"{len(found)} runs match lr={parse_lr(lr):g}{given}; the sweep has lrs {self._lrs()}")
        return found[0]

    def _lrs(self) -> str:
        return ", ".join(f"{x:g}" for x in self.lrs)

    def summary(self, lr: float) -> RateSummary:
        """The summary of the runs at this LR (rule 2); LookupError when there are none."""
        if not self.by_lr(lr):
            raise LookupError(f"no run at lr={parse_lr(lr):g}; the sweep has lrs {self._lrs()}")
        return RateSummary.of(parse_lr(lr), self.by_lr(lr))

    def summaries(self) -> list[RateSummary]:
        return [self.summary(lr) for lr in self.lrs]

    def final_losses(self, lr: float) -> list[float]:
        return [run.final_loss for run in self.by_lr(lr) if not run.diverged]

    def accuracies(self, lr: float) -> list[float]:
        """The validation accuracy (rule 7) of each run at this LR that finished."""
        return [held_out_accuracy(run) for run in self.by_lr(lr) if not run.diverged]

    def best_run(self, by: str = "final_loss") -> Run:
        """Rule 3: the finished run with the lowest final loss (by="accuracy": the highest validation accuracy)."""
        finished = [run for run in self.runs if not run.diverged] or _no("no run of the sweep finished")
        return min(finished, key=lambda run: -held_out_accuracy(run) if by == "accuracy" else run.final_loss)

    def best_lr(self) -> float:
        """Rule 4: the rate with the fewest diverged runs and, among those, the lowest mean final loss."""
        return min(self.summaries(), key=lambda rate: rate.rank).lr

    def chosen_lr(self) -> float:
        """Rule 8: the rate a tuner deploys: the fewest diverged runs, then the highest mean validation accuracy."""
        def order(rate):
            return rate.diverged, -rate.accuracy if math.isfinite(rate.accuracy) else math.inf

        return min(self.summaries(), key=order).lr

    def best_lrs(self, by: str = "optimizer") -> dict:
        """The best rate (rule 4) of each optimizer (or other config field)."""
        return {name: members.best_lr() for name, members in self.split(by).items()}

    def good_region(self) -> tuple[float, float] | None:
        """Rule 5: the lowest and highest LR at which most runs are 'good', or None when there is none."""
        good = [rate.lr for rate in self.summaries() if rate.good]
        return (min(good), max(good)) if good else None

    def in_good_region(self, lr: float) -> bool:
        return self.good_region() is not None and self.good_region()[0] <= parse_lr(lr) <= self.good_region()[1]

    def good_width(self) -> float | None:
        """How wide the good region is, in decades of the LR (0: one rate; None: there is none)."""
        return math.log10(self.good_region()[1] / self.good_region()[0]) if self.good_region() else None

    def first_diverged(self, every: bool = True) -> float | None:
        """The smallest LR where every run (every=False: any run) diverged, or None."""
        return min((lr for lr in self.lrs if (all if every else any)(run.diverged for run in self.by_lr(lr))),
                   default=None)

    def trained_count(self, lr: float, bound: float) -> int:
        """How many runs at this LR (its seeds) trained (rule 6, trains)."""
        return sum(trains(run, bound) for run in self.by_lr(lr))

    def largest_trainable(self, bound: float, most: bool = False) -> float | None:
        """Rule 6, the edge: the largest LR at which every run (most=True: more than half) trained, or None."""
        return max((lr for lr in self.lrs if _trained_enough(self.by_lr(lr), bound, most)), default=None)

    def first_untrainable(self, bound: float, most: bool = False) -> float | None:
        """The smallest LR above the best rate at which some run (most=True: at least half) did not train."""
        above = [lr for lr in self.lrs if lr > self.best_lr()]
        return min((lr for lr in above if not _trained_enough(self.by_lr(lr), bound, most)), default=None)

    def lower(self, lr: float, other: float) -> Check:
        """The check that the mean final loss at `lr` is below that at `other` (lrlab.evidence.mean_below)."""
        return mean_below(self.final_losses(lr), self.final_losses(other),
                          what=f"mean final loss, {parse_lr(lr):.1e} vs {parse_lr(other):.1e}")

    lr_table, best_table, table = text.lr_table, text.best_table, text.run_table  # tables of this sweep

    def save(self, folder) -> Path:
        """Write every run as JSON to `folder`/runs.json."""
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "runs.json").write_text(json.dumps([run.to_dict() for run in self.runs], indent=1))
        return Path(folder) / "runs.json"
