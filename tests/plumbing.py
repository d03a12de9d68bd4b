"""How much of a chapter's code is claim plumbing: statements that are `glue`/`claim` calls, or `print` calls (a
number printed in a line of text is plumbing too: the evidence a reader sees is a table or a figure, issue 22), or
that exist only to feed them (every name they bind is read by plumbing alone). Counted in code lines outside the
set-up cell.

    python tests/plumbing.py book/*.ipynb   (tests/test_book.py holds each chapter and the book to the limits)
"""

import ast
import json
import sys
from pathlib import Path

# Shares of code lines (issue 22): a chapter shows its evidence in visible tables that the prose quotes, and its
# folded cells only glue and check, so that plumbing is at most 35 % of each chapter's code and of the book's.
BOOK_LIMIT = 0.35
CHAPTER_LIMIT = 0.35
CALLS = {"glue", "claim", "print"}


def code_cells(path: Path) -> list[str]:
    """The chapter's code cells after its set-up cell, with IPython magics (%pip ...) blanked."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"][1:]
    return ["\n".join("" if line.lstrip().startswith(("%", "!")) else line
                      for line in "".join(c["source"]).splitlines()) for c in cells]


def _is_call(statement: ast.stmt) -> bool:
    """A glue/claim/print call, or a loop, branch or with-block made of nothing else."""
    if isinstance(statement, (ast.For, ast.If, ast.With)):
        return all(_is_call(s) for s in statement.body + getattr(statement, "orelse", []))
    value = statement.value if isinstance(statement, ast.Expr) else None
    func = value.func if isinstance(value, ast.Call) else None
    return isinstance(func, (ast.Attribute, ast.Name)) and getattr(func, "attr", getattr(func, "id", "")) in CALLS


def _local(statement: ast.stmt) -> set[str]:
    """The names local to a statement's comprehensions and lambdas (`for name in ...` inside a comprehension binds
    and reads no chapter variable called name)."""
    local = {n.id for node in ast.walk(statement) if isinstance(node, ast.comprehension)
             for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return local | {a.arg for node in ast.walk(statement) if isinstance(node, ast.Lambda) for a in node.args.args}


def _bound(statement: ast.stmt) -> set[str]:
    """The chapter variables a statement binds (a table whose comprehension loops over `name` binds none)."""
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)} - _local(
        statement)


def _read(statement: ast.stmt) -> set[str]:
    """The names a statement reads from the chapter: its loads, less its comprehensions' and lambdas' own."""
    return {n.id for n in ast.walk(statement) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - _local(
        statement)


def count(path: Path) -> tuple[int, int]:
    """(plumbing lines, code lines) of one notebook."""
    statements = [s for source in code_cells(path) for s in ast.parse(source).body]
    lines = {id(s): s.end_lineno - s.lineno + 1 for s in statements}
    plumbing = {id(s) for s in statements if _is_call(s)}
    changed = True
    while changed:  # a statement whose bound names are read only by plumbing is plumbing too
        changed = False
        for s in statements:
            bound = _bound(s)
            if id(s) in plumbing or not bound or _is_call(s):
                continue
            readers = [r for r in statements if r is not s and bound & _read(r)]
            if readers and all(id(r) in plumbing for r in readers):
                plumbing.add(id(s))
                changed = True
    return sum(lines[i] for i in plumbing), sum(lines.values())


def main(paths) -> None:
    total = [0, 0]
    for path in map(Path, paths):
        part, whole = count(path)
        total[0], total[1] = total[0] + part, total[1] + whole
        print(f"{path.stem:>18}: {part:3d} of {whole:3d} code lines are claim plumbing ({part / max(whole, 1):.0%})")
    print(f"{'all chapters':>18}: {total[0]:3d} of {total[1]:3d} ({total[0] / max(total[1], 1):.0%})")


if __name__ == "__main__":
    main(sys.argv[1:])
