"""Shared fixtures: the real MNIST (fetched by `make`), and an isolated result cache per test."""

import subprocess
import sys
from pathlib import Path

import pytest

from lrlab.data import load_mnist

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def mnist():
    return load_mnist()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Each test gets its own empty result cache and the full profile unless it asks otherwise."""
    monkeypatch.setenv("LRLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LRLAB_PROFILE", raising=False)


@pytest.fixture
def trained(monkeypatch):
    """The configs the engine really trains from here on (the rest came from the cache), as a list."""
    from lrlab import sweeps

    configs, real_train = [], sweeps.train_stack

    def counting(batch, **kwargs):
        configs.extend(batch)
        return real_train(batch, **kwargs)

    monkeypatch.setattr(sweeps, "train_stack", counting)
    return configs


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


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("packaging")
    export = _export(folder / "export")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w",
                    str(folder / "dist"), str(export)], check=True, capture_output=True)
    (built,) = (folder / "dist").glob("lrlab-*.whl")
    return built
