"""Every chapter run as a student's Colab runs it (issue 21): lrlab installed from its wheel (not this checkout),
no myst-nb (Colab has none), a working folder with no book/ beside the notebook, MNIST in that folder's data/, the
chapter executed cell by cell by nbclient (the library Jupyter runs notebooks with) in the smoke profile.

It fails on any cell error, and on what a Colab student would see wrong: a `name = value` line printed by glue, a
claim that prints its key instead of its sentence, raw MyST markup in an output."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
# Colab has no myst-nb: this sitecustomize, on the kernel's path, makes `import myst_nb` fail as it would there.
NO_MYST_NB = '''import importlib.abc, sys
class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "myst_nb" or name.startswith("myst_nb."):
            raise ModuleNotFoundError(f"No module named {name!r} (as on Colab)", name=name)
sys.meta_path.insert(0, _Absent())
'''
SEEN_WRONG = {
    "a glued `name = value` line": re.compile(r"^[a-z]\w* = \S", re.M),
    "a claim's key in place of its sentence": re.compile(r"the sentence marked"),
    "raw MyST markup": re.compile(r"\{glue:text\}|\{\.claim #"),
}


@pytest.fixture(scope="session")
def colab(wheel, tmp_path_factory) -> Path:
    """A Colab-like folder: site/ (lrlab from its wheel, and no myst-nb), work/data/ (MNIST, as the set-up cell's
    `python -m lrlab fetch-data` would leave it)."""
    folder = tmp_path_factory.mktemp("colab")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder / "site"),
                    str(wheel)], check=True, capture_output=True)
    (folder / "site" / "sitecustomize.py").write_text(NO_MYST_NB)
    shutil.copytree(ROOT / "data" / "MNIST" / "raw", folder / "work" / "data" / "MNIST" / "raw")
    return folder


def _outputs(notebook) -> str:
    """Everything the student sees under the code cells: printed text and the text of displayed results."""
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", "") + output.get("data", {}).get("text/plain", ""))
    return "\n".join(texts)


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS, ids=[path.stem for path in CHAPTERS])
def test_the_chapter_runs_as_on_colab(chapter, colab, monkeypatch):
    import nbformat
    from nbclient import NotebookClient

    work = colab / "work"
    shutil.copy(chapter, work / chapter.name)  # no book/ beside it
    for name in ("LRLAB_DATA", "LRLAB_CACHE", "LRLAB_CLAIMS", "PYTHONPATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", str(colab / "site"))
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(work / chapter.name, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    where = json.loads(subprocess.run(
        [sys.executable, "-c", "import lrlab, json; print(json.dumps(lrlab.__file__))"], cwd=work,
        capture_output=True, text=True, check=True).stdout)
    assert where.startswith(str(colab / "site")), f"lrlab came from {where}, not from the wheel"
    shown = _outputs(notebook)
    for what, pattern in SEEN_WRONG.items():
        found = pattern.search(shown)
        assert not found, f"{chapter.stem}: {what}: {shown[max(0, found.start() - 200):found.end() + 200]!r}"
    assert (work / "data" / "MNIST" / "raw").is_dir() and not (work / "book").exists()
