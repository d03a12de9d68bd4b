"""How the book writes results: learning rates, accuracies, regions and schedules as text, and results tables.

Formatting only: the numbers come from the result layer (lrlab.results: a Sweep and its per-rate summaries), so a
table, a figure and a glued sentence that quote a rate all read the same summary.
"""

import html
import math
from dataclasses import dataclass


def format_lr(lr: float) -> str:
    """The book's one way of writing a learning rate: 1.0e-03, 3.2e-03."""
    return f"{lr:.1e}"


def format_region(region: tuple[float, float] | None) -> str:
    """A good region as text, "1.0e-03 to 1.0e-02" ("none" when there is none)."""
    return f"{format_lr(region[0])} to {format_lr(region[1])}" if region else "none"


def format_accuracy(accuracy: float) -> str:
    """An accuracy (0..1) in percent, "97.25 %" ("-" where there is none: every run diverged)."""
    return "-" if not math.isfinite(accuracy) else f"{100 * accuracy:.2f} %"


def format_loss(loss: float) -> str:
    """A final training loss, "0.0412" ("-" where there is none: every run diverged)."""
    return "-" if not math.isfinite(loss) else f"{loss:.4f}"


def schedule_name(config) -> str:
    """A schedule as the book names it: "cosine", "step + 200-step warm-up"."""
    return config.schedule + (f" + {config.warmup_steps}-step warm-up" if config.warmup_steps else "")


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

    @classmethod
    def of(cls, columns: dict, number: str = "{:.3g}", formats: dict | None = None) -> "Table":
        """A table from its columns, {"lr": [...], "final loss": [...]}, one row per position: text as it is, a
        column named lr (or "... lr") as the book writes rates, one named "... accuracy ..." as percentages (97.25 %),
        whole numbers with thousands separators, other numbers with `number` (or formats[column name]), True and
        False as yes and no, None, nan and inf (every seed diverged) as "-"."""
        def cell(name, value):
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, str):
                return value
            if value is None or (isinstance(value, float) and not math.isfinite(value)):
                return "-"
            if name == "lr" or name.endswith(" lr"):
                return format_lr(value)
            if "accuracy" in name and name not in (formats or {}):
                return format_accuracy(value)
            if name in (formats or {}):
                return formats[name].format(value)
            return f"{value:,}" if isinstance(value, int) else number.format(value)

        names, values = list(columns), [list(column) for column in columns.values()]
        if len({len(column) for column in values}) > 1:
            raise ValueError(f"Table.of: columns of different lengths {[len(c) for c in values]} ({names})")
        return cls([{name: cell(name, column[i]) for name, column in zip(names, values)}
                    for i in range(len(values[0]) if values else 0)])

    def _repr_html_(self):
        header = list(self.rows[0]) if self.rows else []
        head = "".join(f'<th style="{_CELL}">{html.escape(h)}</th>' for h in header)
        rows = "".join("<tr>" + "".join(_td(row[h]) for h in header) + "</tr>" for row in self.rows)
        return (f'<table class="lrlab-table" style="border-collapse:collapse;font-size:0.9em">'
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")


_CELL = "padding:3px 10px;text-align:right;border-bottom:1px solid #ddd"


def _td(value: str) -> str:
    """One cell; short values (numbers, LRs such as 3.0e-03) never break across lines, nor do the two ends of a
    range ("1.0e-03 – 1.0e-02" may break only around its dash)."""
    if len(value) <= 10:
        return f'<td style="{_CELL};white-space:nowrap">{html.escape(value)}</td>'
    parts = value.split(" – ")
    if len(parts) == 2 and all(len(part) <= 10 for part in parts):
        return f'<td style="{_CELL}">' + " – ".join(f'<span style="white-space:nowrap">{html.escape(part)}</span>'
                                                   for part in parts) + "</td>"
    return f'<td style="{_CELL}">{html.escape(value)}</td>'


def _rate_or_none(lr: float | None) -> str:
    return "-" if lr is None else format_lr(lr)


def _range(low: float, high: float, count: int) -> str:
    return f" ({format_accuracy(low)} – {format_accuracy(high)})" if count > 1 else ""


def lr_table(sweep) -> Table:
    """One row per rate (its RateSummary): how many runs and how many diverged, the mean final loss and validation
    accuracy over the runs that finished (with the accuracies' range), and the verdicts."""
    return Table([{
        "lr": format_lr(rate.lr), "runs": str(len(rate.runs)), "diverged": str(rate.diverged),
        "mean final train loss": format_loss(rate.loss),
        "mean validation accuracy (range)": format_accuracy(rate.accuracy) + _range(
            rate.accuracy_min, rate.accuracy_max, len(rate.runs) - rate.diverged),
        "verdicts": ", ".join(str(verdict) for verdict in rate.verdicts),
    } for rate in sweep.summaries()])


def best_table(sweep, key: str = "optimizer") -> Table:
    """One row per optimizer (or other config field): its best rate (lrlab.results, rule 4) and that rate's mean
    final loss over its seeds, its good region, the smallest rate at which every seed diverged, and the chosen rate
    (rule 8: the best mean validation accuracy) with its mean test accuracy, the score to report."""
    rows = []
    for name, members in sweep.split(key).items():
        rate, chosen = members.summary(members.best_lr()), members.summary(members.chosen_lr())
        rows.append({key: str(name), "best lr": format_lr(rate.lr), "mean final train loss": format_loss(rate.loss),
                     "good region": format_region(members.good_region()).replace(" to ", " – "),
                     "all seeds diverged from": _rate_or_none(members.first_diverged()),
                     "chosen lr (validation)": format_lr(chosen.lr), "its test accuracy": format_accuracy(chosen.test)})
    return Table(rows)


def run_table(sweep) -> Table:
    """One row per run: its optimizer (and schedule, where they differ), rate, seed, final loss, validation accuracy
    (lrlab.results, rule 7), seconds and verdict."""
    from lrlab.results import held_out_accuracy  # the result layer imports this module for its tables

    schedules = len({(run.config.schedule, run.config.warmup_steps) for run in sweep.runs}) > 1
    return Table([{
        "optimizer": run.optimizer, **({"schedule": schedule_name(run.config)} if schedules else {}),
        "lr": format_lr(run.lr), "seed": str(run.seed),
        "final train loss": format_loss(run.final_loss),
        "validation accuracy": format_accuracy(held_out_accuracy(run)),
        "seconds": f"{run.seconds:.0f}", "verdict": str(run.verdict),
    } for run in sweep.runs])
