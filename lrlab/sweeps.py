"""Learning-rate sweeps: validate the LR list, train every (lr, seed) run (stacked, cached), and label each run."""

import html
import json
import math
import statistics
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from lrlab import parallel, store
from lrlab.claims import glue
from lrlab.config import DEFAULTS, TrainConfig, apply_profile, parse_lr
from lrlab.data import pick_device
from lrlab.engine import train_stack
from lrlab.evidence import Check, mean_below
from lrlab.runs import Run

GOOD_FACTOR = 2.0  # a run is "good" when its final training loss is within 2x of the best run's
HIGHER_IS_BETTER = {"final_accuracy"}  # Run attributes that Sweep.best maximises (the others it minimises)
CHANCE_ACCURACY = 0.1  # what a diverged run's model is worth on ten digits: guessing
STACK_WIDTH = {"cpu": 8, "cuda": 16, "mps": 8}  # runs trained together per stack (see benchmarks/README.md)


def validate_lrs(lrs) -> list[float]:
    """The learning rates as floats, or a ValueError naming the bad entry.

    Accepted: a non-empty list (or tuple, NumPy array...) of real numbers, finite and > 0, without duplicates.
    Numeric strings such as "1e-3" are parsed (a quoted number in an edited list is unambiguous); anything else
    that is not a number is refused.
    """
    if isinstance(lrs, (str, bytes)) or not isinstance(lrs, Iterable):
        raise ValueError(f"learning rates must be a list such as [1e-4, 1e-3, 1e-2]; got {lrs!r}")
    values = list(lrs)
    if not values:
        raise ValueError("the list of learning rates is empty; give at least one, such as [1e-3]")
    parsed = []
    for position, value in enumerate(values, start=1):
        lr = parse_lr(value, f"learning rate #{position}")
        if lr in parsed:
            raise ValueError(f"learning rate #{position} ({value!r}) repeats #{parsed.index(lr) + 1}; "
                             "each learning rate is run once, so remove the duplicate")
        parsed.append(lr)
    return parsed


UNGROUPED = ("lr", "seed", "test_every")  # config fields that runs compared in one verdict group may differ in


def verdict_group(config: TrainConfig) -> tuple:
    """The runs a run is compared with: those whose config equals its own in every field but lr, seed and test_every
    (the same optimizer, schedule, warm-up, budget, batch size, data...), so that a 1-epoch run is never called
    too-high for losing to a 4-epoch run at the same rate."""
    return tuple((name, value) for name, value in sorted(asdict(config).items()) if name not in UNGROUPED)


def verdicts(runs: list[Run]) -> list[str]:
    """Label each run, comparing it with the best run of its group (verdict_group: every setting but lr and seed).

    Rules, in order:
      1. diverged  - the run stopped early: its loss became non-finite or exceeded 10x its first loss.
      2. The best run of a group is its non-diverged run with the lowest final training loss (the mean loss of its
         last epoch).
      3. good      - final training loss at most 2x the best run's (the best run is always good).
      4. too-low   - otherwise, when its LR is below the best run's: it learns, but too slowly.
      5. too-high  - otherwise, when its LR is above the best run's: it bounces around or stalls.
    """
    def group(run):
        return verdict_group(run.config)

    best = {}
    for run in runs:
        if not run.diverged and math.isfinite(run.final_loss):
            key = group(run)
            if key not in best or run.final_loss < best[key].final_loss:
                best[key] = run
    labels = []
    for run in runs:
        top = best.get(group(run))
        if run.diverged or top is None or not math.isfinite(run.final_loss):
            labels.append("diverged" if run.diverged else "too-high")
        elif run.final_loss <= GOOD_FACTOR * top.final_loss:
            labels.append("good")
        else:
            labels.append("too-low" if run.lr < top.lr else "too-high")
    return labels


@dataclass
class Table:
    """Rows of a results table (already formatted as text); prints as text and shows as a styled HTML table in
    Jupyter and in the book, numbers right-aligned, so nothing scrolls sideways."""

    rows: list[dict[str, str]]

    def __str__(self):
        header = list(self.rows[0]) if self.rows else []
        body = [[row[name] for name in header] for row in self.rows]
        widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in body]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        header = list(self.rows[0]) if self.rows else []
        cell = "padding:3px 10px;text-align:right;border-bottom:1px solid #ddd"
        head = "".join(f'<th style="{cell}">{html.escape(h)}</th>' for h in header)
        def td(text):  # short values (numbers, LRs such as 3.0e-03) never break across lines
            return f'<td style="{cell}{";white-space:nowrap" if len(text) <= 10 else ""}">{html.escape(text)}</td>'

        rows = "".join("<tr>" + "".join(td(row[h]) for h in header) + "</tr>" for row in self.rows)
        return (f'<table class="lrlab-table" style="border-collapse:collapse;font-size:0.9em">'
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


def expected_best_of(values, k: int) -> float:
    """The expected best (largest) of k values drawn at random without replacement from `values`: the value a
    random search of k trials finds on average (Dodge et al. 2019's expected validation performance), exact.
    Sorted best first, the i-th value (i = 1..n) is the best of the draw when it is drawn and the k - 1 others come
    from the n - i below it: probability C(n - i, k - 1) / C(n, k)."""
    ranked = sorted(values, reverse=True)
    n = len(ranked)
    if not 1 <= k <= n:
        raise ValueError(f"k={k}: draw between 1 and the {n} values there are")
    return sum(v * math.comb(n - i, k - 1) for i, v in enumerate(ranked, start=1)) / math.comb(n, k)


def trains(run: Run, bound: float) -> bool:
    """Whether a run trained: it did not diverge and its final training loss is below `bound` (guessing among ten
    digits scores ln 10 = 2.30, so a run that stalls there has not trained, even though it did not blow up)."""
    return not run.diverged and run.final_loss < bound


PRODIGY_BETAS = (0.9, 0.999)  # prodigyopt.Prodigy's defaults, which lrlab uses (lrlab.optim.make_optimizer)


def adam_steps(run: Run) -> list[float]:
    """Each step's size in Adam's units: the learning rate at which torch's Adam, with its bias correction, would take
    the same step. For every optimizer but Prodigy that is its recorded rate. Prodigy by default has no bias
    correction (prodigyopt's use_bias_correction=False): its step is d * lr * m / sqrt(v), where Adam's is
    lr * m_hat / sqrt(v_hat) = lr * sqrt(1 - b2^t) / (1 - b1^t) * m / sqrt(v). So Prodigy's d * lr at step t (what
    lrlab records) is Adam's rate d * lr * (1 - b1^t) / sqrt(1 - b2^t): 3.2 times d * lr at t = 1, about 6.6 near
    t = 12, 1.9 at t = 313, 1.5 at t = 626. (Exact while d holds still: prodigyopt averages d * g and d^2 * g^2. And
    lrlab reads d after each step, when Prodigy has already updated it for the next one: a lag of one step, which
    changes no settled rate visibly.)"""
    if run.optimizer != "prodigy":
        return list(run.step_lrs)
    b1, b2 = PRODIGY_BETAS
    return [lr * (1 - b1 ** t) / math.sqrt(1 - b2 ** t) for t, lr in enumerate(run.step_lrs, start=1)]


def settled_lr(run: Run) -> float:
    """The median step size of a run's last epoch, in Adam's units (adam_steps): where an optimizer that sets its own
    step size settled (Prodigy's d * lr, converted); the LR itself under a constant schedule."""
    last = sorted(adam_steps(run)[-max(1, run.steps_per_epoch):])
    return last[len(last) // 2] if last else math.nan


def format_lr(lr: float) -> str:
    """The book's one way of writing a learning rate: 1.0e-03, 3.2e-03."""
    return f"{lr:.1e}"


def schedule_name(config: TrainConfig) -> str:
    """A schedule as the book names it: "cosine", "step + 200-step warm-up"."""
    return config.schedule + (f" + {config.warmup_steps}-step warm-up" if config.warmup_steps else "")


def format_region(region: tuple[float, float] | None) -> str:
    """A good region as text, "1.0e-03 to 1.0e-02" ("none" when there is none)."""
    return f"{format_lr(region[0])} to {format_lr(region[1])}" if region else "none"


def format_accuracy(accuracy: float) -> str:
    return "-" if not math.isfinite(accuracy) else f"{100 * accuracy:.2f} %"


@dataclass
class Sweep:
    """The runs of a sweep, each with its verdict, in the order they were asked for, and the questions a chapter asks
    of them: `at(lr)`, `where(optimizer=...)`, `best()`, `best_lr()`, `best_lrs(by=...)`, `good_region()`,
    `first_diverged()`. A question about a run the sweep lacks raises LookupError (a claim then says so)."""

    runs: list[Run]

    @property
    def lrs(self) -> list[float]:
        return sorted({run.lr for run in self.runs})

    def __add__(self, other: "Sweep") -> "Sweep":
        """The runs of both sweeps, as one (e.g. Adam's and schedule-free's, to draw on one figure)."""
        return Sweep(self.runs + other.runs)

    def by_lr(self, lr: float) -> list[Run]:
        """The runs at this LR (one per seed), possibly none."""
        return [run for run in self.runs if math.isclose(run.lr, parse_lr(lr), rel_tol=1e-9)]

    def where(self, **fields) -> "Sweep":
        """The runs whose config has these values, e.g. where(optimizer="sgd"), where(lr=1e-3, seed=0)."""
        wanted = {name: parse_lr(value) if name == "lr" else value for name, value in fields.items()}
        return Sweep([run for run in self.runs if all(
            math.isclose(run.lr, value, rel_tol=1e-9) if name == "lr" else getattr(run.config, name) == value
            for name, value in wanted.items())])

    def at(self, lr, **fields) -> Run:
        """The one run with this LR (and optimizer, seed, schedule... where given); LookupError when there is none,
        or more than one, so that a sentence about "the run at 1e-3" cannot silently read another run."""
        found = self.where(lr=lr, **fields).runs
        if len(found) != 1:
            given = ", ".join(f"{name}={value}" for name, value in fields.items())
            raise LookupError(f"{len(found)} runs match lr={parse_lr(lr):g}{', ' + given if given else ''}; the "
                              f"sweep has lrs {', '.join(f'{x:g}' for x in self.lrs)}")
        return found[0]

    def mean_final_loss(self, lr: float) -> float:
        """Mean final training loss over the runs at this LR (inf when one of them diverged)."""
        runs = self.by_lr(lr)
        if not runs:
            raise LookupError(f"no run at lr={parse_lr(lr):g}; the sweep has lrs "
                              f"{', '.join(f'{x:g}' for x in self.lrs)}")
        return sum(run.final_loss for run in runs) / len(runs)

    def spread(self, lr: float, metric: str = "final_accuracy") -> float:
        """Largest minus smallest value of a Run attribute over the runs at this LR (its seeds)."""
        values = [getattr(run, metric) for run in self.by_lr(lr)]
        if not values:
            raise LookupError(f"no run at lr={parse_lr(lr):g}")
        return max(values) - min(values)

    def best(self, by: str = "final_loss") -> Run:
        """The best run among those that did not diverge: lowest final_loss, or highest final_accuracy."""
        finished = [run for run in self.runs if not run.diverged] or self.runs
        if not finished:
            raise LookupError("the sweep has no runs")
        sign = -1 if by in HIGHER_IS_BETTER else 1
        return min(finished, key=lambda run: sign * getattr(run, by))

    def best_lr(self) -> float:
        """The LR whose runs (its seeds) have the lowest mean final training loss."""
        return min(self.lrs, key=self.mean_final_loss)

    def best_runs(self, by: str = "optimizer") -> dict:
        """The best run (lowest final training loss, not diverged) of each optimizer (or other config field)."""
        names = dict.fromkeys(getattr(run.config, by) for run in self.runs)  # in the order they first appear
        return {name: self.where(**{by: name}).best() for name in names}

    def best_lrs(self, by: str = "optimizer") -> dict:
        """The best LR (by mean final loss over the seeds) of each optimizer (or other config field)."""
        return {name: self.where(**{by: name}).best_lr() for name in self.best_runs(by)}

    def good_region(self) -> tuple[float, float] | None:
        """The lowest and highest LR where most runs are 'good', or None when there is none."""
        good = [lr for lr in self.lrs if 2 * sum(r.verdict == "good" for r in self.by_lr(lr)) > len(self.by_lr(lr))]
        return (min(good), max(good)) if good else None

    def in_good_region(self, lr: float) -> bool:
        """Whether the LR lies between the ends of the good region (inclusive)."""
        region = self.good_region()
        return region is not None and region[0] <= parse_lr(lr) <= region[1]

    def first_diverged(self, every: bool = True) -> float | None:
        """The smallest LR where every run (every=False: any run) diverged, or None."""
        test = all if every else any
        return min((lr for lr in self.lrs if test(run.diverged for run in self.by_lr(lr))), default=None)

    def largest_trainable(self, bound: float, most: bool = False) -> float | None:
        """The largest LR at which every run (most=True: more than half of its runs, its seeds) trained (see
        trains), or None where none did."""
        return max((lr for lr in self.lrs if self._trains_at(lr, bound, most)), default=None)

    def first_untrainable(self, bound: float, most: bool = False) -> float | None:
        """The smallest LR above the best one at which some run (most=True: at least half of its runs) did not
        train: where the edge begins."""
        above = [lr for lr in self.lrs if lr > self.best_lr()]
        return min((lr for lr in above if not self._trains_at(lr, bound, most)), default=None)

    def trained_count(self, lr: float, bound: float) -> int:
        """How many runs at this LR (its seeds) trained (see trains)."""
        return sum(trains(run, bound) for run in self.by_lr(lr))

    def _trains_at(self, lr: float, bound: float, most: bool) -> bool:
        runs = self.by_lr(lr)
        return 2 * self.trained_count(lr, bound) > len(runs) if most else all(trains(run, bound) for run in runs)

    def settled_lrs(self) -> list[float]:
        """The step size each run settled on over its last epoch (see settled_lr), in the order of the runs."""
        return [settled_lr(run) for run in self.runs]

    def best_of(self, k: int, seed: int) -> float:
        """The test accuracy that tuning by k trials finds, on average: the expected best final accuracy of k of
        this sweep's rates picked at random (one seed's runs; a diverged run counts as guessing, CHANCE_ACCURACY).
        k = len(self.lrs) is the whole grid's best; k = 1 is an untuned pick."""
        runs = self.where(seed=seed).runs
        if not runs:
            raise LookupError(f"no run with seed={seed}; the sweep has seeds {sorted({r.seed for r in self.runs})}")
        return expected_best_of([CHANCE_ACCURACY if r.diverged else r.final_accuracy for r in runs], k)

    def final_losses(self, lr: float) -> list[float]:
        """The final training losses at this LR of the runs that did not diverge (a diverged run has none)."""
        return [run.final_loss for run in self.by_lr(lr) if not run.diverged]

    def lower(self, lr: float, other: float) -> Check:
        """The check that the mean final loss at `lr` is below that at `other` (over the seeds that did not
        diverge), with the seeds' spread as its noise (lrlab.evidence.mean_below)."""
        return mean_below(self.final_losses(lr), self.final_losses(other),
                          what=f"mean final loss, {parse_lr(lr):.1e} vs {parse_lr(other):.1e}")

    def accuracies(self, lr: float) -> list[float]:
        """The final test accuracies at this LR of the runs that did not diverge (a diverged run has none)."""
        return [run.final_accuracy for run in self.by_lr(lr) if not run.diverged]

    def good_width(self) -> float | None:
        """How wide the good region is, in decades of the LR (0: one rate; None: there is none)."""
        region = self.good_region()
        return math.log10(region[1] / region[0]) if region else None

    def glue(self, prefix: str) -> list[str]:
        """Give the prose the numbers of a sweep of one optimizer and schedule, as {glue:text}`NAME`:
        PREFIX_best_lr, PREFIX_best_loss (its mean final training loss), PREFIX_best_acc and PREFIX_best_acc_range
        (its seeds' mean test accuracy and range, in %), PREFIX_good (the good region, "1.0e-03 to 1.0e-02"),
        PREFIX_good_width (in decades), PREFIX_first_diverged, and every LR's PREFIX_0.001_loss and PREFIX_0.001_acc
        (means over its runs; the accuracy over those that did not diverge), the LR written with :g. Every name is
        glued, so the text's references always resolve: a number the runs lack (no rate diverged, every seed of a
        rate did) reads "(not in your runs)", which the book build refuses. Returns the names."""
        names = []

        def put(name, value, form):  # value: a function, so that a number the runs lack reads "(not in your runs)"
            names.append(f"{prefix}_{name}")
            glue(names[-1], value, form)

        def best_accuracies():
            return [100 * accuracy for accuracy in self.accuracies(self.best_lr())] or None

        put("best_lr", self.best_lr, "{:.1e}")
        put("best_loss", lambda: self.mean_final_loss(self.best_lr()), "{:.4f}")
        put("best_acc", lambda: statistics.fmean(best_accuracies()), "{:.2f} %")
        put("best_acc_range", lambda: (min(best_accuracies()), max(best_accuracies())), "{0[0]:.2f} – {0[1]:.2f} %")
        put("good", self.good_region, "{0[0]:.1e} to {0[1]:.1e}")
        put("good_width", self.good_width, "{:.1f}")
        put("first_diverged", self.first_diverged, "{:.1e}")
        for lr in self.lrs:  # every name, always: a number this sweep lacks reads "(not in your runs)"
            put(f"{lr:g}_loss", self.mean_final_loss(lr), "{:.4f}")
            put(f"{lr:g}_acc", lambda lr=lr: 100 * statistics.fmean(self.accuracies(lr)), "{:.2f} %")
        return names

    def lr_table(self) -> Table:
        """One row per LR: mean final loss and test accuracy over its runs (with their range), and the verdicts."""
        rows = []
        for lr in self.lrs:
            runs = self.by_lr(lr)
            accuracies = sorted(self.accuracies(lr))
            spread = f" ({format_accuracy(accuracies[0])} – {format_accuracy(accuracies[-1])})" if len(
                accuracies) > 1 else ""
            rows.append({"lr": format_lr(lr), "runs": str(len(runs)),
                         "mean final train loss": f"{self.mean_final_loss(lr):.4f}",
                         "mean test accuracy (range)": (format_accuracy(sum(accuracies) / len(accuracies)) + spread
                                                        if accuracies else "-"),
                         "verdicts": ", ".join(str(run.verdict) for run in runs)})
        return Table(rows)

    def best_table(self, key: str = "optimizer") -> Table:
        """One row per optimizer (or other config field): its best LR, that run's numbers, and its good region."""
        rows = []
        for name, best in self.best_runs(key).items():
            good = self.where(**{key: name}).good_region()
            rows.append({key: str(name), "best lr": format_lr(best.lr), "final train loss": f"{best.final_loss:.4f}",
                         "test accuracy": format_accuracy(best.final_accuracy),
                         "good region": f"{format_lr(good[0])} – {format_lr(good[1])}" if good else "-"})
        return Table(rows)

    def table(self) -> Table:
        schedules = len({(run.config.schedule, run.config.warmup_steps) for run in self.runs}) > 1
        return Table([{
            "optimizer": run.optimizer, **({"schedule": schedule_name(run.config)} if schedules else {}),
            "lr": format_lr(run.lr), "seed": str(run.seed),
            "final train loss": f"{run.final_loss:.4f}", "test accuracy": format_accuracy(run.final_accuracy),
            "seconds": f"{run.seconds:.0f}", "verdict": str(run.verdict),
        } for run in self.runs])

    def save(self, folder) -> Path:
        """Write every run as JSON to `folder`/runs.json."""
        path = Path(folder) / "runs.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([run.to_dict() for run in self.runs], indent=1))
        return path


def sweep_configs(configs: list[TrainConfig], *, cache: bool = True, stack: int | None = None, device=None,
                  progress: bool = True, executor=None) -> Sweep:
    """Train every config with the fast engine (cached ones are loaded), stacking runs that share their batches.

    stack: how many runs to train together (None: a width measured to be fast on this kind of device; 1: one by one).
    executor: None trains here; any concurrent.futures executor (lrlab.parallel.local_pool(n), a Dask client's
    get_executor()) gets one task per stack. Every finished run is cached at once, so an interrupted sweep resumes.
    """
    device = pick_device(device)
    configs = [apply_profile(config) for config in configs]
    keys = [store.run_key(config, device.type) for config in configs]
    done = {key: store.load(key) for key in keys} if cache else {}
    todo = {key: config for key, config in zip(keys, configs) if done.get(key) is None}  # each config once
    chunks = parallel.stacks(todo, stack or STACK_WIDTH.get(device.type, 4))
    finished = (_in_process(chunks, device, progress) if executor is None
                else parallel.on_executor(executor, chunks, device.type, progress))
    for key, run in finished:
        done[key] = run
        if cache:
            store.save(run, key)  # each finished run at once: an interrupted sweep keeps it
    runs = [done[key] for key in keys]
    runs = [replace(run, verdict=verdict) for run, verdict in zip(runs, verdicts(runs))]
    return Sweep(runs)


def _in_process(chunks, device, progress):
    for chunk in chunks:
        yield from zip([key for key, _ in chunk], train_stack([config for _, config in chunk], device=device,
                                                               progress=progress))


def sweep(lrs, *, optimizer: str | list[str] = DEFAULTS.optimizer, epochs: int = DEFAULTS.epochs,
          batch_size: int = DEFAULTS.batch_size, train_size: int | None = DEFAULTS.train_size,
          test_size: int | None = DEFAULTS.test_size, seeds=(DEFAULTS.seed,), schedule: str = DEFAULTS.schedule,
          warmup_steps: int = DEFAULTS.warmup_steps, decay_fraction: float = DEFAULTS.decay_fraction,
          test_every: int = DEFAULTS.test_every, cache: bool = True, stack: int | None = None, device=None,
          progress: bool = True, executor=None) -> Sweep:
    """Train the CNN on MNIST once per (optimizer, lr, seed), with the same settings otherwise; return a Sweep.

    lrs: the learning rates, a list such as [1e-4, 1e-3, 1e-2] ("1e-3" in quotes works too).
    optimizer: one of lrlab.config.OPTIMIZERS (sgd, momentum, rmsprop, adam, schedule-free, prodigy), or a list of
    them. seeds: one run per seed for every LR.
    epochs, batch_size, train_size, test_size, schedule, warmup_steps, decay_fraction, test_every: as in
    lrlab.TrainConfig
    (defaults: the seed's experiment). cache: load finished runs from the run cache and save new ones (LRLAB_CACHE).
    stack: runs trained together (None: a width measured to be fast on this device). device: cpu, cuda or mps
    (None: the best there is). executor: None trains in this process; a concurrent.futures executor (a local
    pool, lrlab.parallel.local_pool(n); a Dask cluster, client.get_executor()) trains one stack per task.
    Each run gets a verdict: too-low, good, too-high or diverged (see verdicts).
    """
    lrs = validate_lrs(lrs)
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    optimizers = [optimizer] if isinstance(optimizer, str) else list(optimizer)
    configs = [TrainConfig(lr=lr, optimizer=name, seed=seed, epochs=epochs, batch_size=batch_size,
                           train_size=train_size, test_size=test_size, schedule=schedule, warmup_steps=warmup_steps,
                           decay_fraction=decay_fraction, test_every=test_every)
               for name in optimizers for lr in lrs for seed in seeds]
    return sweep_configs(configs, cache=cache, stack=stack, device=device, progress=progress, executor=executor)
