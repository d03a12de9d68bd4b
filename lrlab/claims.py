"""Claims: the sentences of the book that state a result, checked against the numbers computed next to them.

    lrlab.glue("best_lr", best.lr, "{:.1e}")   # a number for the prose: {glue:}`best_lr` in the Markdown
    lrlab.claim("every decaying schedule ends below both constant rates", all(...), evidence="...")

In the book build (`make book` sets LRLAB_CLAIMS=strict) a false claim stops the build with ClaimError, so a
contradiction between the text and its numbers is never published. Everywhere else (a student's edited notebook,
nbmake, the smoke profile, whose tiny runs prove nothing) it prints a friendly note and the notebook goes on.
"""

import os

from lrlab.config import active_profile

MODE_VARIABLE = "LRLAB_CLAIMS"  # "strict": a false claim is an error (the book build); anything else: a note


MISSING = "(not in your runs)"


class ClaimError(AssertionError):
    """A sentence of the book is contradicted by the numbers of this build."""


def strict() -> bool:
    """Whether false claims are errors: only in the book build (LRLAB_CLAIMS=strict) of the full profile."""
    return os.environ.get(MODE_VARIABLE, "").strip().lower() == "strict" and active_profile() == "full"


def claim(statement: str, holds, *, evidence="") -> None:
    """Check one sentence of the text against the numbers: print a check mark when it holds; when it does not,
    raise ClaimError in the book build, print a friendly note elsewhere. Returns nothing, so that a claim at the end
    of a cell shows only its check mark or note.

    holds and evidence may be values or functions without arguments (lambdas), called here: a LookupError they
    raise (a run the sentence is about is missing from an edited sweep) counts as "does not hold"."""
    try:
        holds = holds() if callable(holds) else holds
        evidence = evidence() if callable(evidence) else evidence
    except LookupError as missing:
        holds, evidence = False, f"a run it is about is missing: {missing}"
    because = f" ({evidence})" if evidence else ""
    if bool(holds):
        print(f"✓ checked against this run: {statement}{because}")
        return
    if strict():
        raise ClaimError(f"The text says: {statement}. This build's numbers say otherwise{because}. Fix the text "
                         "(or the experiment) before publishing.")
    print(f"Note: the text above says {statement}; your numbers say otherwise{because}. That can happen when you "
          "change the settings (or in the quick smoke profile): the text describes the book's own settings.")


class _Text:
    """A value that displays as plain text, without quotes, so that {glue:}`name` prints it as it is."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def glue(name: str, value, form: str = "{}") -> str:
    """Make `value`, formatted with `form`, available to the prose as {glue:text}`name` (myst-nb's glue); returns
    the text. Where myst-nb is missing (Colab), the text is printed instead, so a student still sees it.

    value may be a function without arguments (a lambda): when it raises LookupError, or the value is None (a run
    the sentence quotes is missing from an edited sweep), the text is "(not in your runs)"."""
    try:
        value = value() if callable(value) else value
        text = MISSING if value is None else form.format(value)
    except LookupError:
        text = MISSING
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        print(f"{name} = {text}")
        return text
    myst_glue(name, _Text(text), display=False)
    return text
