"""What a student's set-up cell installs: the wheel built from the repository's files (not an editable checkout)
holds every module of lrlab, and each one imports from it."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _export(to: Path) -> Path:
    """The repository's files as git sees them (tracked, and new files it does not ignore), without build leftovers
    such as *.egg-info or _build/: what a clone would hold."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (to / name).parent.mkdir(parents=True, exist_ok=True)
            (to / name).write_bytes(source.read_bytes())
    return to


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("packaging")
    export = _export(folder / "export")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
                    str(folder / "dist"), str(export)], check=True, capture_output=True)
    (built,) = (folder / "dist").glob("lrlab-*.whl")
    return built


def test_the_wheel_holds_every_module_of_the_package(wheel):
    inside = set(zipfile.ZipFile(wheel).namelist())
    modules = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "lrlab").rglob("*.py"))
    assert modules and [m for m in modules if m not in inside] == []
    assert "lrlab/sentences.json" in inside  # the checked sentences a Colab notebook prints
    assert "lrlab/plot/url_state.js" in inside  # the explorers' script


def test_every_module_imports_from_the_installed_wheel_away_from_the_checkout(wheel, tmp_path):
    """Installed with pip (not -e) into a folder of its own, imported from a folder with no checkout in it."""
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, capture_output=True)
    code = ("import importlib, pkgutil, lrlab; "
            "names = [m.name for m in pkgutil.walk_packages(lrlab.__path__, 'lrlab.')]; "
            "[importlib.import_module(n) for n in names]; "
            "html = lrlab.plot.explorers.Explorer({}, 'note', ('lr', 'i', [1e-3]))._repr_html_(); "
            "assert 'function lrlabUrlState(' in html, 'the explorer lacks its script'; "
            "print(lrlab.__file__); print(' '.join(names))")
    environment = {**os.environ, "PYTHONPATH": str(site), "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    where, *names = done.stdout.split()
    assert Path(where).is_relative_to(site), f"lrlab came from {where}, not from the wheel"
    expected = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
                for p in (ROOT / "lrlab").rglob("*.py")} - {"lrlab"}
    assert set(names) == expected
