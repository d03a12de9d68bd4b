"""Shared fixtures: the real MNIST (fetched by `make`), and an isolated result cache per test."""

import pytest

from lrlab.data import load_mnist


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
