"""The book's structure: every chapter listed, notebooks without outputs, one repository address."""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_MODULES = ("plot", "noise", "hessian", "quadratic", "parallel")  # lrlab.MODULE.name a chapter may use
CHAPTERS = sorted(p for p in (ROOT / "book").iterdir() if p.suffix in (".ipynb", ".md"))


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [entry["file"] for part in toc.get("parts", [toc]) for entry in part["chapters"]]


def test_toc_lists_every_chapter_and_every_listed_chapter_exists():
    listed = _toc_files()
    assert sorted(listed) == sorted(str(p.relative_to(ROOT).with_suffix("")) for p in CHAPTERS)
    assert len(listed) == len(set(listed))


def test_notebooks_are_committed_without_outputs():
    notebooks = [p for p in CHAPTERS if p.suffix == ".ipynb"]
    assert notebooks
    for path in notebooks:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name} carries outputs"


def _code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_every_notebook_starts_with_the_same_short_setup_cell_for_the_configured_repository():
    """At most 4 lines, the same in every chapter, installing from _config.yml's repository address, with its
    output (pip's, on Colab) removed from the HTML by a tag Jupyter Book v1 honours."""
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    notebooks = [p for p in CHAPTERS if p.suffix == ".ipynb"]
    setups = {path.name: _code_cells(path)[0] for path in notebooks}
    sources = {"".join(cell["source"]) for cell in setups.values()}
    assert len(sources) == 1, "the set-up cells differ between chapters"
    (source,) = sources
    assert len(source.strip().splitlines()) <= 4 and "import lrlab" in source
    assert f"git+{url}" in source, "the set-up cells install from another address than _config.yml's: make repository"
    for name, cell in setups.items():
        assert cell["metadata"].get("tags") == ["remove-output"], name  # no empty output toggle on every page
    for path in notebooks:
        code = "".join("".join(c["source"]) for c in _code_cells(path))
        assert not re.search(r"^\s*def |^\s*class ", code, re.M), f"{path.name} defines code"
        assert not re.search(r"^\s*from lrlab\.(?!quadratic\b)", code, re.M), f"{path.name}: use lrlab.NAME"
        shown = re.sub(r"lrlab\.show_source\([\w.]+\)", "", code)  # a page may print any function's source
        for module, name in re.findall(r"\blrlab\.([a-z]\w*)\.(\w+)", shown):
            assert module in CHAPTER_MODULES, f"{path.name}: lrlab.{module}.{name}; use a name of lrlab itself"


def _sweep_settings(path) -> list[dict]:
    """The settings of every lrlab.sweep(...) call in a chapter, evaluated with the chapter's simple assignments
    (LEARNING_RATES = ..., OPTIMIZERS = [...], BUDGET = dict(...)) in scope."""
    import ast

    import numpy as np

    tree = ast.parse("\n".join(re.sub(r"(?m)^\s*[%!].*$", "", "".join(c["source"])) for c in _code_cells(path)[1:]))
    scope = {"np": np}
    for node in tree.body:
        if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
            scope[node.targets[0].id] = eval(compile(ast.Expression(node.value), path.name, "eval"), scope)
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and ast.unparse(n.func) == "lrlab.sweep"]
    evaluate = lambda node: eval(compile(ast.Expression(node), path.name, "eval"), scope)
    settings = []
    for call in calls:
        found = {"lrs": list(evaluate(call.args[0]))}
        for keyword in call.keywords:
            found.update(evaluate(keyword.value) if keyword.arg is None else {keyword.arg: evaluate(keyword.value)})
        settings.append(found)
    return settings


def test_the_optimizers_grid_that_range_test_and_recipe_reuse_is_the_optimizers_chapters():
    """range_test and recipe compare with the optimizers chapter's sweep: the same rates and budget, optimizers
    among its own, so that their runs come from its cache instead of training again (and say the same). The recipe
    adds seeds to that seed 0 (its verdicts are what most seeds did), and trains only those."""
    (grid,) = _sweep_settings(ROOT / "book" / "optimizers.ipynb")
    for chapter in ("range_test", "recipe"):
        (reused,) = [s for s in _sweep_settings(ROOT / "book" / f"{chapter}.ipynb") if "optimizer" in s]
        assert set(reused["optimizer"]) <= set(grid["optimizer"]), chapter
        assert 0 in reused.pop("seeds", [0]), chapter  # the optimizers chapter's seed, from the cache
        assert {k: v for k, v in reused.items() if k != "optimizer"} == {k: v for k, v in grid.items()
                                                                         if k != "optimizer"}, chapter


def _claim_keys(path):
    """(keys the chapter's code claims, keys its Markdown marks as [sentence]{.claim #key})."""
    cells = json.loads(path.read_text())["cells"]
    code = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return re.findall(r"claim\(\s*[\"']([\w-]+)[\"']", code), re.findall(r"\{\.claim #([\w-]+)\}", text)


def test_every_claim_checks_one_marked_sentence_of_its_own_chapter_and_every_marked_sentence_is_checked():
    """A sentence is written once, in the Markdown, marked with its key; the code next to it checks that key."""
    every = []
    for path in (p for p in CHAPTERS if p.suffix == ".ipynb"):
        claimed, marked = _claim_keys(path)
        assert sorted(set(claimed)) == sorted(marked), f"{path.name}: claimed {set(claimed) ^ set(marked)} unmatched"
        every += marked
    assert len(every) == len(set(every)), "a claim key is marked twice in the book"


def test_claim_plumbing_is_at_most_its_share_of_each_chapters_code_and_of_the_book():
    """Issue 15's measure, with issue 22's rule that a print is plumbing: glue/claim/print calls and the statements
    that only feed them, per chapter and over every chapter's code."""
    from plumbing import BOOK_LIMIT, CHAPTER_LIMIT, count

    counts = {p.stem: count(p) for p in CHAPTERS if p.suffix == ".ipynb"}
    over = {name: f"{part / whole:.0%}" for name, (part, whole) in counts.items() if part > CHAPTER_LIMIT * whole}
    assert not over, f"claim plumbing over {CHAPTER_LIMIT:.0%} of the chapter's code: {over} (tests/plumbing.py)"
    share = sum(part for part, _ in counts.values()) / sum(whole for _, whole in counts.values())
    assert share <= BOOK_LIMIT, f"{share:.0%} of the chapters' code is claim plumbing: python tests/plumbing.py"


def test_plumbing_counts_prints_and_what_only_feeds_claims_but_not_what_a_table_shows(tmp_path):
    from plumbing import count

    cells = ["import lrlab", "x = 1\ny = 2\nz = 3", "print(x)", "lrlab.claim('k', y > 1)", "lrlab.Table.of({'z': [z]})"]
    notebook = {"cells": [{"cell_type": "code", "source": source} for source in cells]}
    (tmp_path / "c.ipynb").write_text(json.dumps(notebook))
    assert count(tmp_path / "c.ipynb") == (4, 6)  # x = 1 (read by a print), y = 2 (by a claim), the print, the claim
    cells = ["import lrlab", "s = [1]", "lrlab.Table.of({'s': [s for s in range(2)]})", "lrlab.claim('k', s)",
             "t = {n: 1 for n in 'ab'}", "for n in 'ab':\n    lrlab.Table.of({'n': [n]})", "lrlab.glue('t', t)"]
    notebook = {"cells": [{"cell_type": "code", "source": source} for source in cells]}
    (tmp_path / "d.ipynb").write_text(json.dumps(notebook))
    assert count(tmp_path / "d.ipynb") == (4, 7)  # a comprehension's own `s` and `n` are not the chapter's s and n


def test_execution_is_cached_and_warnings_fail_the_build():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["execute"]["execute_notebooks"] == "cache"
    assert "-W" in (ROOT / "Makefile").read_text()


@pytest.mark.slow
def test_the_book_builds_warning_free(tmp_path, monkeypatch):
    """The real Jupyter Book build, executing every chapter (smoke profile, so it takes a minute) into a scratch
    folder: any cell error or Sphinx warning fails it (-W)."""
    import subprocess
    import sys

    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going", "--path-output",
                             str(tmp_path)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    html = tmp_path / "_build" / "html"
    for page in _toc_files():
        text = (html / f"{page}.html").read_text()
        assert "Traceback (most recent call last)" not in text, page
        notebook = (ROOT / page).with_suffix(".ipynb")
        if notebook.exists():  # every cell that draws a captioned figure shows it (none vanished)
            drawn = sum("figure" in c["metadata"].get("mystnb", {}) for c in _code_cells(notebook))
            assert text.count('src="../_images/') >= drawn > 0, f"{page} shows fewer figures than it draws"
    assert "copybutton" in (html / "book" / "experiment.html").read_text()
    assert "colab.research.google.com" in (html / "book" / "experiment.html").read_text()


@pytest.mark.parametrize("chapter, edit", [
    ("experiment", ("LEARNING_RATES = [1e-4, 1e-3, 1e-2]", "LEARNING_RATES = [3e-4, 1e-2, 2.0]")),
    ("goldilocks", ("SEEDS = [0, 1, 2]", "SEEDS = [5]")),
    ("optimizers", ('OPTIMIZERS = ["sgd", "momentum", "rmsprop", "adam"]', 'OPTIMIZERS = ["adam", "sgd"]')),
    ("range_test", ('OPTIMIZERS = ["adam", "momentum"]', 'OPTIMIZERS = ["rmsprop"]')),
    ("schedules", ("PEAK_LR = 3e-3", "PEAK_LR = 3.0")),
    ("lr_free", ("SEEDS = [0, 1, 2]", "SEEDS = [4]")),
    ("wsd", ("BUDGETS = [1, 2, 4]", "BUDGETS = [2]")),
    ("warmup", ("WARMUPS = [0, 0.05, 0.2]", "WARMUPS = [0.2]")),
    ("noise", ("BATCH_SIZES = [32, 64, 128, 256, 512]", "BATCH_SIZES = [32, 256]")),
    ("sharpness", ("LEARNING_RATES = [0.2, 0.1, 0.05]", "LEARNING_RATES = [0.4]")),
    ("gradient_descent", ("Bowl(eigenvalues=(1.0, 10.0), angle=30)", "Bowl(eigenvalues=(1.0, 100.0), angle=30)")),
    ("your_model", ("RATES = centre * np.logspace(-1.5, 1.5, 7)", "RATES = [1e-5, 1e-4]")),
])
@pytest.mark.slow
def test_a_students_edit_that_breaks_the_texts_claims_gets_notes_not_errors(chapter, edit, monkeypatch):
    """A student edits the marked cell and runs everything: the sentences about rates that are gone become notes
    ("your numbers say otherwise"), glued numbers say "(not in your runs)", and no cell fails."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")  # even so: the smoke profile never enforces
    notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if edit[0] in c.source)
    cell.source = cell.source.replace(*edit)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    printed = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "Note: the text says" in printed and "Traceback" not in printed


def test_a_chapter_refers_to_a_later_one_only_as_a_marked_look_ahead():
    """Read in the toc's order, no chapter leans on a later one unannounced: a {doc} reference to a later chapter is
    followed by "(ahead)" (or ", ahead)" inside parentheses). The intro, the book's map, points everywhere."""
    order = [Path(name).name for name in _toc_files()[1:]]
    unmarked = []
    for position, name in enumerate(order):
        path = ROOT / "book" / f"{name}.ipynb"
        if not path.exists():
            continue
        cells = json.loads(path.read_text())["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        for found in re.finditer(r"\{doc\}`(\w+)`", text):
            later = found.group(1) in order and order.index(found.group(1)) > position
            if later and not re.match(r",? ?\(?ahead\)", text[found.end():]):
                unmarked.append(f"{name} -> {found.group(1)}")
    assert not unmarked, f"references to later chapters without '(ahead)': {unmarked}"


def test_the_html_shows_a_checked_sentence_once_with_its_mark_not_again_in_a_box_below():
    """A folded cell that only glues and checks has its output removed from the HTML (tag remove-output; the ✓ sits
    on the sentence itself, _static/lrlab.css), while Jupyter and Colab still print the sentence with the student's
    numbers or a note."""
    import ast

    for path in (p for p in CHAPTERS if p.suffix == ".ipynb"):
        for cell in _code_cells(path)[1:]:
            source = "".join(cell["source"])
            if "lrlab.claim(" in source or "lrlab.glue(" in source:
                tags = cell["metadata"].get("tags", [])
                last = ast.parse(source).body[-1]
                shows = isinstance(last, ast.Expr) and getattr(last.value, "func", None) is not None and getattr(
                    last.value.func, "attr", "") not in ("glue", "claim")
                assert shows or "hide-input" not in tags or "remove-output" in tags, (path.name, cell["id"])
    assert "span.claim::after" in (ROOT / "_static" / "lrlab.css").read_text()


def test_every_figure_cell_has_a_caption_and_alt_text():
    """A cell that ends by drawing a figure (lrlab.plot.<figure>(...);) carries its caption and alt text in its
    metadata, so the page says what the figure shows (make browser-check checks the built pages too)."""
    import ast

    for path in (p for p in CHAPTERS if p.suffix == ".ipynb"):
        for cell in _code_cells(path)[1:]:
            body = ast.parse("".join(cell["source"])).body
            last = body[-1] if body else None
            call = last.value if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) else None
            if call is not None and ast.unparse(call.func).startswith("lrlab.plot.") and "explorer" not in ast.unparse(
                    call.func):
                figure = cell["metadata"].get("mystnb", {})
                assert figure.get("figure", {}).get("caption") and figure.get("image", {}).get("alt"), (
                    path.name, cell["id"])
