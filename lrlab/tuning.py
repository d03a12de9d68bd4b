"""What tuning costs and what tuning-free methods settle on (the LR-free chapter): the expected best of k trials,
and step sizes in Adam's units."""

import math

from lrlab.results import held_out_accuracy
from lrlab.runs import Run

CHANCE_ACCURACY = 0.1  # what a diverged run's model is worth on ten digits: guessing
PRODIGY_BETAS = (0.9, 0.999)  # prodigyopt.Prodigy's defaults, which lrlab uses (lrlab.optim.make_optimizer)


def expected_best_of(values, k: int) -> float:
    """The expected best (largest) of k values drawn at random without replacement from `values`: the value a
    random search of k trials finds on average (Dodge et al. 2019's expected validation performance), exact."""
    return expected_pick(sorted(values, reverse=True), k)


def expected_pick(ranked, k: int) -> float:
    """The expected value of the first-ranked of k entries drawn at random without replacement from `ranked` (a
    list in the order of preference, best first), exact. The i-th entry (i = 1..n) is the one kept when it is drawn
    and the k - 1 others come from the n - i after it: probability C(n - i, k - 1) / C(n, k)."""
    n = len(ranked)
    if not 1 <= k <= n:
        raise ValueError(f"k={k}: draw between 1 and the {n} values there are")
    return sum(v * math.comb(n - i, k - 1) for i, v in enumerate(ranked, start=1)) / math.comb(n, k)


def best_of(sweep, k: int, seed: int) -> float:
    """The test accuracy that tuning by k trials finds, on average: k of the sweep's rates picked at random (one
    seed's runs), the one with the highest validation accuracy kept (lrlab.results, rule 8), its test accuracy
    reported (expected_pick). The test set never chooses: choosing on it would report the luckiest of k test
    scores, not what the choice is worth on new data. A diverged run ranks last and counts as guessing
    (CHANCE_ACCURACY). k = len(sweep.lrs) is the grid's choice; k = 1 an untuned pick."""
    runs = sweep.where(seed=seed).runs
    if not runs:
        raise LookupError(f"no run with seed={seed}; the sweep has seeds {sorted({r.seed for r in sweep.runs})}")
    ranked = sorted(runs, key=lambda r: math.inf if r.diverged else -held_out_accuracy(r))
    return expected_pick([CHANCE_ACCURACY if r.diverged else r.final_accuracy for r in ranked], k)


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


def settled_lrs(sweep) -> list[float]:
    """The step size each run of a sweep settled on over its last epoch (settled_lr), in the order of the runs."""
    return [settled_lr(run) for run in sweep.runs]
