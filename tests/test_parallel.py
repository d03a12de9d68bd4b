"""Sweeps on real executors: a local process pool and a Dask LocalCluster give the same runs as in-process; a worker
killed mid-sweep, or Ctrl-C in the caller, loses nothing that finished and leaves only whole cache entries."""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch

import lrlab
from lrlab import store
from lrlab.parallel import SweepError, local_pool
from lrlab.paths import cache_root

GRID = dict(lrs=[1e-3, 1e-2, 50.0], seeds=(0, 1), epochs=1, train_size=640, test_size=200, progress=False)


def _grid(**kwargs):
    settings = {**GRID, **kwargs}
    return lrlab.sweep(settings.pop("lrs"), **settings)


@contextlib.contextmanager
def _one_thread():
    """Train here on one torch thread, as the workers do: the same arithmetic in the same order, to the last digit."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _assert_same(runs, reference, rtol=1e-5):
    assert [(r.lr, r.seed) for r in runs] == [(r.lr, r.seed) for r in reference]
    assert [r.verdict for r in runs] == [r.verdict for r in reference]
    for run, ref in zip(runs, reference):
        assert run.diverged == ref.diverged and run.stopped_at == ref.stopped_at
        np.testing.assert_allclose(run.losses, ref.losses, rtol=rtol, atol=1e-7)


def _kill_once_a_run_is_cached(pid: int) -> threading.Thread:
    """Kill process `pid` as soon as the first finished run appears in the cache: mid-sweep, whatever the speed."""
    def watch():
        deadline = time.time() + 300
        while not list(cache_root().glob("*.json")) and time.time() < deadline:
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def _whole_entries_only():
    entries = list(cache_root().glob("*.json"))
    assert not list(cache_root().glob("*.part"))
    assert all(store.load(path.stem) is not None for path in entries)
    return len(entries)


@pytest.mark.slow
def test_a_process_pool_gives_the_same_runs_as_in_process():
    reference = _grid(cache=False).runs
    with local_pool(2) as pool:
        runs = _grid(executor=pool, stack=2).runs
    _assert_same(runs, reference)
    assert _whole_entries_only() == len(reference)


@pytest.mark.slow
def test_a_dask_cluster_gives_the_same_runs_and_survives_a_killed_worker():
    from distributed import Client, LocalCluster

    reference = _grid(cache=False).runs
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        _assert_same(_grid(executor=client.get_executor(), stack=2).runs, reference)
        for path in cache_root().glob("*.json"):
            path.unlink()
        pids = list(client.run(os.getpid).values())
        longer = dict(train_size=3200, lrs=[1e-4, 3e-4, 1e-3, 3e-3], stack=1)
        killer = _kill_once_a_run_is_cached(pids[0])
        runs = _grid(executor=client.get_executor(), **longer).runs
        killer.join()
    assert len(runs) == 8 and all(run.losses for run in runs)
    assert _whole_entries_only() == 8
    with _one_thread():  # 100 steps on one thread (workers) against several (here) drift apart in the last digits
        _assert_same(runs, _grid(cache=False, **longer).runs)


def test_a_killed_pool_worker_is_reported_and_the_finished_runs_stay_cached(trained):
    settings = dict(lrs=[1e-4, 3e-4, 1e-3, 3e-3], train_size=3200, stack=1)
    with local_pool(1) as pool:
        with pytest.raises(SweepError) as error:
            pool.submit(time.sleep, 0).result()  # the worker is up
            _kill_once_a_run_is_cached(next(iter(pool._processes)))
            _grid(executor=pool, **settings)
    message = str(error.value)
    assert "did not finish" in message and "run the same sweep again" in message
    finished = _whole_entries_only()
    assert 0 < finished < 8 and f"{finished} did, and are cached" in message
    assert len(_grid(**settings).runs) == 8 and len(trained) == 8 - finished  # only the rest


@pytest.mark.slow
def test_ctrl_c_in_the_caller_keeps_whole_entries_and_a_rerun_trains_only_the_rest(trained):
    code = ("import lrlab; lrlab.sweep([1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3], epochs=2, train_size=6400, "
            "test_size=200, stack=1, progress=False)")
    caller = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, "LRLAB_CACHE": str(cache_root())})
    deadline = time.time() + 120
    while not list(cache_root().glob("*.json")) and time.time() < deadline:
        time.sleep(0.2)
    caller.send_signal(signal.SIGINT)
    assert caller.wait(60) != 0  # interrupted, not finished
    finished = _whole_entries_only()
    assert 0 < finished < 6
    lrlab.sweep([1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3], epochs=2, train_size=6400, test_size=200, stack=1,
                progress=False)
    assert len(trained) == 6 - finished


def test_stacks_share_batches_and_are_balanced():
    from lrlab.config import TrainConfig
    from lrlab.parallel import stacks

    todo = {f"{lr}-{seed}": TrainConfig(lr=lr, seed=seed) for seed in (0, 1) for lr in np.logspace(-5, 0, 11)}
    chunks = stacks(todo, width=8)
    assert sorted(len(chunk) for chunk in chunks) == [5, 5, 6, 6]
    assert all(len({config.seed for _, config in chunk}) == 1 for chunk in chunks)
    assert sorted(key for chunk in chunks for key, _ in chunk) == sorted(todo)
