"""On-disk cache of finished runs: one JSON file per run, keyed by its full config, device kind, lrlab version, the
versions of torch and torchvision, and a fingerprint of the code that trains (so an edited training loop never
serves stale results, while an edited comment or docstring keeps every entry).

Each entry carries a SHA-256 of its own payload; an entry that is unreadable, truncated, altered or written by another
version is ignored (and recomputed by the caller), never trusted. Writes go to a temporary file that is renamed into
place, so an interrupted sweep leaves only whole entries behind.
"""

import ast
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from importlib import metadata
from pathlib import Path

from lrlab._version import __version__
from lrlab.config import TrainConfig
from lrlab.optim import PACKAGES as OPTIMIZER_PACKAGES
from lrlab.paths import cache_root
from lrlab.runs import Run

# What a sweep's numbers depend on (the reference loop, lrlab/loop.py, trains no cached run).
TRAINING_CODE = ("config.py", "data.py", "model.py", "optim.py", "runs.py", "engine.py")
PACKAGES = ("torch", "torchvision")  # whose versions enter every key: another release may round differently
PACKAGE_DIR = Path(__file__).parent


def code_text(source: str) -> str:
    """The code of a module as Python parses it, without comments, docstrings or layout: what a fingerprint hashes."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree, include_attributes=False)


@functools.lru_cache(maxsize=8)
def code_fingerprint(files: tuple[str, ...] = TRAINING_CODE, folder: Path | None = None) -> str:
    """SHA-256 of the code of the modules in `folder` (lrlab's own by default) that produce a result's numbers;
    comments, docstrings and layout are left out, so editing them keeps every cached result."""
    digest = hashlib.sha256()
    for name in files:
        digest.update(code_text(((folder or PACKAGE_DIR) / name).read_text()).encode())
    return digest.hexdigest()[:16]


def package_versions(names: tuple[str, ...] = PACKAGES) -> dict[str, str]:
    """The installed version of each package ("absent" when it is not installed)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=True)


def key_for(identity: dict, files: tuple[str, ...] = TRAINING_CODE, packages: tuple[str, ...] = PACKAGES) -> str:
    """Name of the cache entry for a result identified by `identity` (a JSON-able dict), computed by `files` with
    `packages`: the one recipe every cached result uses (runs, full-batch descents)."""
    identity = {"lrlab": __version__, "code": code_fingerprint(files), "packages": package_versions(packages),
                **identity}
    return hashlib.sha256(_canonical(identity).encode()).hexdigest()[:32]


def run_key(config: TrainConfig, device_type: str) -> str:
    """Name of the cache entry for a config trained on a kind of device ('cpu', 'cuda', 'mps'); an optimizer that
    comes from a package of its own (lrlab.optim.PACKAGES) adds that package's version."""
    own = OPTIMIZER_PACKAGES.get(config.optimizer)
    return key_for({"config": asdict(config), "device": device_type}, packages=PACKAGES + ((own,) if own else ()))


def load_payload(key: str, folder: Path | None = None) -> dict | None:
    """The cached payload under `key`, or None when there is none or it cannot be trusted."""
    path = (folder or cache_root()) / f"{key}.json"
    try:
        entry = json.loads(path.read_text())
        payload = entry["run"]
        if entry["sha256"] != hashlib.sha256(_canonical(payload).encode()).hexdigest() or entry["key"] != key:
            return None
        return payload
    except (OSError, ValueError, KeyError, TypeError):  # missing, not JSON, wrong shape: recompute
        return None


def load(key: str, folder: Path | None = None) -> Run | None:
    """The cached run under `key`, or None when there is none or it cannot be trusted."""
    payload = load_payload(key, folder)
    try:
        return None if payload is None else Run.from_dict(payload)
    except (ValueError, KeyError, TypeError):
        return None


def save_payload(payload: dict, key: str, folder: Path | None = None) -> Path:
    """Write a JSON-able payload under `key` atomically (temporary file, then rename)."""
    folder = folder or cache_root()
    folder.mkdir(parents=True, exist_ok=True)
    entry = {"key": key, "sha256": hashlib.sha256(_canonical(payload).encode()).hexdigest(), "run": payload}
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{key}.", suffix=".part")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(_canonical(entry))
        os.replace(tmp, folder / f"{key}.json")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return folder / f"{key}.json"


def save(run: Run, key: str, folder: Path | None = None) -> Path:
    """Write `run` under `key` atomically."""
    return save_payload(run.to_dict(), key, folder)
