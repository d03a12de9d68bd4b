"""Claims: the sentences of the book that state a result, checked against the numbers computed next to them.

A sentence is written once, in the chapter's Markdown, and marked with a key:

    [1e-3 ends with the lowest training loss of the three]{.claim #exp-best}

and the code below it checks it by that key, in one line over values computed above:

    lrlab.claim("exp-best", result.best_lr() == 1e-3)
    lrlab.glue("best_lr", best.lr, "{:.1e}")   # a number for the prose: {glue:text}`best_lr` in the Markdown

In the book build (`make book` sets LRLAB_CLAIMS=strict) a false claim stops the build with a ClaimError that names
the chapter, the key and the sentence, so a contradiction between the text and its numbers is never published.
Everywhere else (a student's edited notebook, nbmake, the smoke profile, whose tiny runs prove nothing) it prints a
friendly note and the notebook goes on. In the HTML book a checked sentence carries a small check mark (lrlab.css).
"""

import functools
import json
import math
import os
import re
from pathlib import Path

from lrlab.config import active_profile
from lrlab.evidence import Check, every
from lrlab.paths import project_root

MODE_VARIABLE = "LRLAB_CLAIMS"  # "strict": a false claim is an error (the book build); "report": a note, recorded
# as a failure for `make numerics`, which builds on so that one report covers every claim; anything else: a note
REPORT_VARIABLE = "LRLAB_CLAIM_REPORT"  # a file: every claim checked appends a JSON line (make numerics reads it)
MISSING = "(not in your runs)"
SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
TEX = {"eta": "η", "beta": "β", "alpha": "α", "lambda": "λ", "theta": "θ", "epsilon": "ε", "nabla": "∇",
       "approx": "≈", "cdot": "·", "times": "×", "max": "max", "min": "min", "ln": "ln", "le": "≤", "ge": "≥"}
MARKED = re.compile(r"\[((?:[^\[\]]|\[[^\]]*\])+)\]\{\.claim #([A-Za-z][\w-]*)\}")  # [sentence]{.claim #key}
KEY = re.compile(r"[A-Za-z][\w-]*")
QUOTED = re.compile(r"\{glue(?::text)?\}`([^`]+)`")  # {glue:text}`name`: a number the prose quotes
SHIPPED = Path(__file__).with_name("sentences.json")  # the chapters' marked sentences, for a notebook without book/
_GLUED: dict[str, str] = {}  # what glue() made of each name in this kernel, to print sentences as they read


class ClaimError(AssertionError):
    """A sentence of the book is contradicted by the numbers of this build."""


def strict() -> bool:
    """Whether false claims are errors: only in the book build (LRLAB_CLAIMS=strict) of the full profile."""
    return _mode() == "strict" and active_profile() == "full"


def _mode() -> str:
    return os.environ.get(MODE_VARIABLE, "").strip().lower()


def _markdown(folders: tuple[Path, ...]):
    """(chapter, its Markdown text) for every notebook in `folders`."""
    for folder in folders:
        for path in sorted(Path(folder).glob("*.ipynb")):
            cells = json.loads(path.read_text()).get("cells", [])
            yield path.stem, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def marked_sentences(folders: tuple[Path, ...]) -> dict[str, tuple[str, str]]:
    """{key: (chapter, sentence)} for every sentence marked [...]{.claim #key} in the notebooks in `folders`."""
    return {key: (chapter, sentence) for chapter, text in _markdown(folders) for sentence, key in MARKED.findall(text)}


def quoted_names(folders: tuple[Path, ...]) -> set[str]:
    """The glued names the notebooks in `folders` quote in their text, as {glue:text}`name`."""
    return {name for _, text in _markdown(folders) for name in QUOTED.findall(text)}


def shipped_sentences() -> dict[str, tuple[str, str]]:
    """The marked sentences lrlab ships (sentences.json, written by `make sentences` from the chapters and tested to
    be current), so that a chapter run where its Markdown is not on disk (Colab) still prints its sentences."""
    if not SHIPPED.is_file():
        return {}
    return {key: (chapter, sentence) for key, (chapter, sentence) in json.loads(SHIPPED.read_text()).items()}


def write_sentences(folder: Path, to: Path = SHIPPED) -> Path:
    """Write the sentences the chapters in `folder` mark to `to` (sentences.json), sorted by key."""
    found = marked_sentences((Path(folder),))
    part = to.with_name(f".{to.name}.part")  # written whole, then renamed: a kernel never reads half a file
    part.write_text(json.dumps({key: list(found[key]) for key in sorted(found)}, indent=1, ensure_ascii=False) + "\n")
    os.replace(part, to)
    return to


@functools.lru_cache(maxsize=4)
def _book_sentences(cwd: str) -> dict[str, tuple[str, str]]:
    """The chapters on disk (the book/ folder, the working folder) over the shipped sentences."""
    return {**shipped_sentences(), **marked_sentences((project_root() / "book", Path(cwd)))}


@functools.lru_cache(maxsize=4)
def _book_quotes(cwd: str) -> set[str]:
    return quoted_names((project_root() / "book", Path(cwd)))


def readable(sentence: str) -> str:
    """A marked sentence as it reads on the page: glued numbers filled in, Markdown and TeX markers dropped."""
    text = re.sub(r"\{glue:text\}`([^`]+)`", lambda m: _GLUED.get(m.group(1), m.group(1)), sentence)
    text = re.sub(r"\{\w+\}`([^`]+)`", r"\1", text)  # {doc}`experiment` -> experiment
    text = re.sub(r"\^\{?(-?\d+)\}?", lambda m: m.group(1).translate(SUPERSCRIPTS), text)  # 10^{-3} -> 10⁻³
    text = re.sub(r"\\([a-zA-Z]+)", lambda m: TEX.get(m.group(1), m.group(0)), text)  # \eta -> η
    text = re.sub(r"_\{(\w+)\}", r"_\1", text)  # \lambda_{\max} -> λ_max
    text = re.sub(r"(?<![\w*])\*([^*\s][^*]*?)\*(?![\w*])", r"\1", text)  # *raises* -> raises
    return re.sub(r"\s+", " ", text.replace("**", "").replace("$", "")).strip()


def claim(key: str, holds, *, evidence="") -> None:
    """Check the sentence marked `key` in the chapter's text against the numbers: print it with a check mark when it
    holds; when it does not, raise ClaimError in the book build, print a friendly note elsewhere.

    holds: a truth value, or better a check (lrlab.below, above, between, seed_count; a list of them means every one),
    which carries the numbers that decide it and its margin, printed with the sentence and in a failed build's
    error, and recorded for `make numerics`. holds and evidence may also be functions without arguments (lambdas),
    called here: a LookupError, TypeError or ValueError they raise (a run the sentence is about is missing from an
    edited sweep: no such key, None where a number was, max() of nothing) counts as "does not hold"."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ValueError(f"claim({key!r}, ...): the first argument is the key of a sentence marked "
                         "[the sentence]{.claim #key} in the chapter's Markdown, such as 'exp-best'")
    chapter, sentence = _book_sentences(os.getcwd()).get(key, (None, None))
    try:
        holds = holds() if callable(holds) else holds
        holds = every(holds) if isinstance(holds, (list, tuple)) else holds
        evidence = evidence() if callable(evidence) else evidence
    except (LookupError, TypeError, ValueError) as missing:
        holds, evidence = False, f"a run it is about is missing: {missing}"
    if sentence is None and (strict() or _mode() == "report"):
        unmarked = (f"claim {key!r} marks no sentence in the book's chapters: write the sentence in the Markdown as "
                    f"[the sentence]{{.claim #{key}}}")
        _record(chapter, key, False, unmarked)
        if strict():
            raise ClaimError(unmarked)
        print(f"Note: {unmarked}")
        return
    numbers = "; ".join(filter(None, (str(evidence), str(holds) if isinstance(holds, Check) else "")))
    _record(chapter, key, holds, numbers)
    said = readable(sentence) if sentence else f"the sentence marked {key!r}"
    because = f" ({numbers})" if numbers else ""
    if bool(holds):
        print(f"✓ {said}{because}: checked against this run")
    elif strict():
        raise ClaimError(f"{chapter}, claim {key!r}: the text says “{said}”, but this build's numbers say "
                         f"otherwise{because or ' (the claim gave no numbers)'}. Fix the text (or the experiment) "
                         "before publishing.")
    else:
        print(f"Note: the text says “{said}”; your numbers say otherwise{because}. That can happen when you change "
              "the settings (or in the quick smoke profile): the text describes the book's own settings.")


def _record(chapter, key: str, holds, numbers: str) -> None:
    """Append the claim's outcome, margin and numbers to $LRLAB_CLAIM_REPORT, where that is set (make numerics)."""
    path = os.environ.get(REPORT_VARIABLE)
    if not path:
        return
    check = holds if isinstance(holds, Check) else None
    line = {"chapter": chapter, "key": key, "holds": bool(holds), "numbers": numbers,
            "margin": check.margin if check else None, "unit": check.unit if check else None}
    with open(path, "a") as report:
        report.write(json.dumps(line) + "\n")


class _Text:
    """A value that {glue:text}`name` prints exactly as formatted. myst-nb reads a glued value's text/plain (its
    repr) back with ast.literal_eval to strip quotes, so the repr is the quoted string: a bare 5,000 would come back
    as the tuple (5, 0), and 1.0e-03 as 0.001."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return repr(self.text)


def glue(name: str, value, form: str = "{}") -> str:
    """Make `value`, formatted with `form`, available to the prose as {glue:text}`name` (myst-nb's glue); returns
    the text. Where myst-nb is missing (Jupyter, Colab), nothing is printed: the checked sentences that quote the
    number print it in place (claim), so a student reads sentences, not `name = value` lines.

    A dict glues each of its entries under name_KEY (a float key written with :g): glue("drop", {0.01: 2.5})
    makes {glue:text}`drop_0.01`; it returns the texts joined by ", ". A Sweep glues its numbers (glue_sweep).

    value may be a function without arguments (a lambda): when it raises LookupError, TypeError or ValueError
    (formatting None included), or the value is
    None (a run the sentence quotes is missing from an edited sweep), the text is "(not in your runs)", and in the
    book build, when a chapter's text quotes that name, it is a ClaimError: the book never publishes a number it
    does not have (a name glued but quoted nowhere may be missing)."""
    if isinstance(value, dict):
        return ", ".join(glue(f"{name}_{key:g}" if isinstance(key, float) else f"{name}_{key}", item, form)
                         for key, item in value.items())
    if hasattr(value, "summaries"):  # a Sweep
        return ", ".join(glue_sweep(name, value))
    try:
        value = value() if callable(value) else value
        text = MISSING if value is None else form.format(value)
    except (LookupError, TypeError, ValueError):
        text = MISSING
    if text == MISSING and name in _book_quotes(os.getcwd()) and (strict() or _mode() == "report"):
        _record(None, f"glue {name}", False, "the number the text quotes is missing from this build's runs")
        if strict():
            raise ClaimError(f"glue {name!r}: the number the text quotes is missing from this build's runs")
    _GLUED[name] = text
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return text
    myst_glue(name, _Text(text), display=False)
    return text


def glue_sweep(prefix: str, sweep) -> list[str]:
    """Give the prose the numbers of a sweep of one optimizer and schedule (lrlab.glue(prefix, sweep)), read from its
    per-rate summaries (lrlab.results): PREFIX_best_lr, PREFIX_best_loss and PREFIX_best_acc (the best rate's means
    over its seeds), PREFIX_best_acc_range (their range, in %), PREFIX_good (the good region, "1.0e-03 to
    1.0e-02"), PREFIX_good_width (in decades), PREFIX_first_diverged, and every rate's PREFIX_0.001_loss and
    PREFIX_0.001_acc (means over the runs that finished; the rate written with :g), and PREFIX_chosen_lr with
    PREFIX_chosen_test (the rate chosen on the validation split and its mean test accuracy, the score to report;
    lrlab.results rule 8). Accuracies (_acc) are validation accuracies (rule 7). Every name is glued, so the text's
    references always resolve: a number the runs lack reads "(not in your runs)". Returns the names."""
    def best():
        return sweep.summary(sweep.best_lr())

    def finite(value):  # inf or nan: every run at that rate diverged, so the number is not in the runs
        return value if math.isfinite(value) else None

    numbers = {"best_lr": (sweep.best_lr, "{:.1e}"), "best_loss": (lambda: finite(best().loss), "{:.4f}"),
               "best_acc": (lambda: finite(100 * best().accuracy), "{:.2f} %"),
               "best_acc_range": (lambda: finite(best().accuracy) and (100 * best().accuracy_min,
                                                                       100 * best().accuracy_max),
                                  "{0[0]:.2f} – {0[1]:.2f} %"),
               "good": (sweep.good_region, "{0[0]:.1e} to {0[1]:.1e}"), "good_width": (sweep.good_width, "{:.1f}"),
               "first_diverged": (sweep.first_diverged, "{:.1e}"), "chosen_lr": (sweep.chosen_lr, "{:.1e}"),
               "chosen_test": (lambda: finite(100 * sweep.summary(sweep.chosen_lr()).test), "{:.2f} %")}
    for lr in sweep.lrs:
        numbers[f"{lr:g}_loss"] = (lambda lr=lr: finite(sweep.summary(lr).loss), "{:.4f}")
        numbers[f"{lr:g}_acc"] = (lambda lr=lr: finite(100 * sweep.summary(lr).accuracy), "{:.2f} %")
    for name, (value, form) in numbers.items():
        glue(f"{prefix}_{name}", value, form)
    return [f"{prefix}_{name}" for name in numbers]
