"""Where lrlab keeps its data and its result cache, overridable by environment variables."""

import os
from pathlib import Path


def project_root() -> Path:
    """The repository holding lrlab when run from a checkout, else the current directory (a pip install, Colab)."""
    repo = Path(__file__).resolve().parent.parent
    return repo if (repo / "pyproject.toml").is_file() else Path.cwd()


def data_root(root=None) -> Path:
    """Root of the MNIST files: the argument, else $LRLAB_DATA, else data/ in the project."""
    return Path(root or os.environ.get("LRLAB_DATA") or project_root() / "data")


def cache_root() -> Path:
    """Folder of cached runs: $LRLAB_CACHE, else .lrlab-cache/ in the project."""
    return Path(os.environ.get("LRLAB_CACHE") or project_root() / ".lrlab-cache")
