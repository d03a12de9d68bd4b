"""Evidence for the book's claims: the comparison a sentence rests on, with its numbers and how far it is from
flipping.

Rules (the README's "claims that hold on any machine" says why; tests/test_evidence.py checks each):
  1. A check is `value OP bound` (OP one of <, <=, >, >=) and is true exactly when that comparison is.
  2. Its margin is how far the value is from the bound, on the side that makes it true (negative: false), in units
     of `noise` where one is given (the seeds' spread of the deciding number: "spreads"), else relative to the bound.
     `mean_below`/`mean_above` compare two sets of seeds' values by their means, with the larger range as noise.
  3. A count of seeds (`seed_count`) is a check whose margin is the seeds to spare: how many more seeds would have to
     come out the other way before the sentence is false (0: one more flips it).
  4. `every(checks)` holds when all hold; it is the failing check if one fails, else the weakest, so a claim over
     many comparisons reports that one: the smallest margin in the most telling unit present (spreads, then
     relative, then seeds: a count of "every run" always has 0 to spare, which says little).
A claim given a check prints its numbers (a failed strict build says which number decided it), and the book's
numerics check (`make numerics`) collects the margins of every claim under every numerics.
"""

import math
import operator
import statistics
from dataclasses import dataclass

UNITS = ("spreads", "relative", "seeds")  # margins' units, most telling first (rule 4)
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


@dataclass(frozen=True)
class Check:
    """value OP bound (rule 1), its margin (rule 2) and what the numbers are, for a claim to print."""

    value: float
    op: str
    bound: float
    noise: float | None = None
    what: str = ""
    unit: str = ""  # "spreads", "relative" or "seeds" (rule 3); derived from noise when empty

    def __post_init__(self):
        if self.op not in OPS:
            raise ValueError(f"op={self.op!r}: use one of {', '.join(OPS)}")
        if not self.unit:
            object.__setattr__(self, "unit", "spreads" if self.noise else "relative")

    def __bool__(self) -> bool:
        return bool(OPS[self.op](self.value, self.bound))

    @property
    def margin(self) -> float:
        """Rule 2: the signed distance to the bound, positive when the check holds."""
        gap = self.bound - self.value if self.op in ("<", "<=") else self.value - self.bound
        if not math.isfinite(gap):
            return gap if not math.isnan(gap) else -math.inf
        if self.unit == "seeds":
            return gap
        scale = self.noise if self.noise else (abs(self.bound) or 1.0)
        return gap / scale

    def __str__(self) -> str:
        words = f"{self.what}: " if self.what else ""
        if self.unit == "seeds":
            return f"{words}{self.value:g} {self.op} {self.bound:g} ({self.margin:g} to spare)"
        noise = f", seeds' spread {self.noise:.3g}" if self.noise else ""
        return f"{words}{self.value:.4g} {self.op} {self.bound:.4g} (margin {self.margin:.2f} {self.unit}{noise})"


def below(value, bound, *, noise=None, what: str = "", strict: bool = True) -> Check:
    """value < bound (<= with strict=False): e.g. below(mean_loss[1e-3], mean_loss[1e-2], noise=spread)."""
    return Check(float(value), "<" if strict else "<=", float(bound), _noise(noise), what)


def above(value, bound, *, noise=None, what: str = "", strict: bool = True) -> Check:
    """value > bound (>= with strict=False)."""
    return Check(float(value), ">" if strict else ">=", float(bound), _noise(noise), what)


def between(value, low, high, *, noise=None, what: str = "") -> Check:
    """low <= value <= high: the weaker of the two sides."""
    return every([above(value, low, noise=noise, what=what, strict=False),
                  below(value, high, noise=noise, what=what, strict=False)])


def mean_below(values, others, *, what: str = "") -> Check:
    """The mean of `values` (one per seed) is below the mean of `others`; the noise is the larger of their two ranges
    (largest minus smallest), so the margin says how many seed spreads apart the two means are."""
    mean, other, noise = _means(values, others)
    return below(mean, other, noise=noise, what=what)


def mean_near(values, others, within: float, *, what: str = "") -> Check:
    """The means of two sets of seeds' values differ by less than `within` (as "within half a point": 0.005), in
    units of their larger range."""
    mean, other, noise = _means(values, others)
    return below(abs(mean - other), within, noise=noise, what=what or "difference of the means")


def mean_above(values, others, *, what: str = "") -> Check:
    """The mean of `values` is above the mean of `others` (see mean_below)."""
    mean, other, noise = _means(values, others)
    return above(mean, other, noise=noise, what=what)


def overlap(values, others, *, what: str = "") -> Check:
    """The ranges (smallest to largest) of two sets of seeds' values overlap, so these seeds cannot tell the two
    apart: the check is that the smaller of the two reaches across (max of each minus min of the other) is >= 0,
    in units of the larger range."""
    values, others = _values(values), _values(others)
    reach = min(max(values) - min(others), max(others) - min(values))
    return above(reach, 0.0, noise=max(_range(values), _range(others)), what=what or "the ranges' overlap",
                 strict=False)


def seed_count(count: int, at_least: int, *, of: int, what: str = "seeds") -> Check:
    """Rule 3: `count` of `of` seeds (or runs) did something, and the sentence needs at least `at_least` of them."""
    if not 0 <= count <= of or not 0 <= at_least <= of:
        raise ValueError(f"seeds({count}, at_least={at_least}, of={of}): counts lie between 0 and of")
    return Check(count, ">=", at_least, what=f"{what} ({count} of {of})", unit="seeds")


def every_run(flags, *, what: str = "runs") -> Check:
    """Rule 3 for "every run ...": each flag says whether one run (one seed) did it; none to spare."""
    flags = _flags(flags)
    return seed_count(sum(flags), len(flags), of=len(flags), what=what)


def most_runs(flags, *, what: str = "runs") -> Check:
    """Rule 3 for "most runs ...": more than half of the flags are true."""
    flags = _flags(flags)
    return seed_count(sum(flags), len(flags) // 2 + 1, of=len(flags), what=what)


def every(checks) -> Check:
    """Rule 4: the failing check if one fails, else the weakest; a ValueError when there is none."""
    checks = list(checks)
    if not checks:
        raise ValueError("every() of no checks: the runs the claim is about are missing")
    failed = [check for check in checks if not check]
    return failed[0] if failed else min(checks, key=lambda check: (UNITS.index(check.unit), check.margin))


def _flags(flags) -> list[bool]:
    flags = [bool(flag) for flag in flags]
    if not flags:
        raise ValueError("a count of no runs: the runs the claim is about are missing")
    return flags


def _values(values) -> list[float]:
    values = [float(value) for value in values]
    if not values:
        raise ValueError("a mean of no values: the runs the claim compares are missing")
    return values


def _means(values, others) -> tuple[float, float, float]:
    """(mean of values, mean of others, the larger of their two ranges): what the mean_* checks compare."""
    values, others = _values(values), _values(others)
    return statistics.fmean(values), statistics.fmean(others), max(_range(values), _range(others))


def _range(values: list[float]) -> float:
    return max(values) - min(values)


def _noise(noise):
    if noise is None:
        return None
    noise = float(noise)
    return noise if math.isfinite(noise) and noise > 0 else None
