"""What a student's set-up cell installs: the wheel built from the repository's files (not an editable checkout)
holds every module of lrlab, and each one imports from it."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
            "html = lrlab.plot.explorers.Explorer({}, 'note', ('lr', 'i', [1e-3])).html(); "
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


@pytest.mark.slow
def test_installing_lrlab_where_a_newer_torch_is_installed_keeps_that_torch(wheel, tmp_path):
    """Colab ships its own, often newer, torch and torchvision: the set-up cell's pip install must keep them, not
    replace them with an older multi-GB build. Measured with pip's own resolver (a dry run against the package
    index) in a fresh environment that holds a torch and torchvision newer than any release today."""
    import json

    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "venv")], check=True)
    python = tmp_path / "venv" / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                               text=True, check=True).stdout.strip())
    for name, version in (("torch", "99.0.0"), ("torchvision", "99.0.0")):
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        (info / "RECORD").write_text("")
    environment = {**os.environ, "PIP_CONFIG_FILE": os.devnull}  # this machine's own pip cap does not apply there
    done = subprocess.run([python, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(tmp_path / "r.json"),
                           str(wheel)], env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    planned = {item["metadata"]["name"].lower() for item in json.loads((tmp_path / "r.json").read_text())["install"]}
    assert "lrlab" in planned and not planned & {"torch", "torchvision"}, sorted(planned)
