"""Sweeps on more than one process or machine: each stack of runs (runs that share their batches) becomes one task
of a concurrent.futures executor: the standard library's ProcessPoolExecutor, a Dask cluster's
client.get_executor(), or any other (submitit's executors for Slurm work the same way).

The caller gets each stack's runs back as its task completes and stores them at once, so a sweep that stops (a
failed task, Ctrl-C) keeps every run that finished, and running it again trains only the rest.
"""

import itertools
import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed

import torch
from tqdm.auto import tqdm

from lrlab.config import TrainConfig
from lrlab.engine import batch_key, train_stack

RETRIES = 1  # a failed task (its worker died, ran out of memory) is submitted once more before it is reported


class SweepError(RuntimeError):
    """Some stacks of a sweep failed twice; the message lists what finished (and is cached) and what did not."""


def stacks(todo: dict[str, TrainConfig], width: int) -> list[list[tuple[str, TrainConfig]]]:
    """The (key, config) pairs grouped into stacks of at most `width` runs that share their batches, each group
    split into stacks of nearly equal size (11 runs at width 8: 6 + 5, not 8 + 3), so that tasks on parallel
    workers take about as long as each other."""
    def shares_batches(item):
        return batch_key(item[1])

    chunks = []
    for _, same in itertools.groupby(sorted(todo.items(), key=shares_batches), key=shares_batches):
        same = list(same)
        count = -(-len(same) // width)  # ceil
        bounds = [round(i * len(same) / count) for i in range(count + 1)]
        chunks += [same[a:b] for a, b in zip(bounds, bounds[1:])]
    return chunks


def stack_task(configs: list[TrainConfig], device: str, threads: int | None = None):
    """One task: train a stack in this (worker) process; MNIST comes from the worker's own LRLAB_DATA."""
    if threads:
        torch.set_num_threads(threads)
    return train_stack(configs, device=device, progress=False)


def on_executor(executor: Executor, chunks, device: str, progress: bool = True, threads: int | None = 1):
    """Train every stack as a task of `executor`; yield (key, run) as tasks complete. A failed task is retried
    RETRIES times; what still failed is raised at the end as one SweepError, after every other run was yielded."""
    attempts: dict[Future, tuple[list, int]] = {}

    def submit(chunk, attempt):
        future = executor.submit(stack_task, [config for _, config in chunk], device, threads)
        attempts[future] = (chunk, attempt)

    for chunk in chunks:
        submit(chunk, 0)
    failed, finished = [], 0
    with tqdm(total=sum(map(len, chunks)), disable=not progress, desc="runs finished") as bar:
        while attempts:
            future = next(as_completed(list(attempts)))
            chunk, attempt = attempts.pop(future)
            if future.exception() is None:
                yield from zip([key for key, _ in chunk], future.result())
                finished += len(chunk)
                bar.update(len(chunk))
            elif attempt < RETRIES:
                _resubmit(submit, chunk, attempt, failed, future)
            else:
                failed.append((chunk, future.exception()))
    if failed:
        raise SweepError(_failure_report(failed, finished))


def _resubmit(submit, chunk, attempt, failed, future) -> None:
    try:
        submit(chunk, attempt + 1)
    except RuntimeError as broken:  # a ProcessPoolExecutor whose worker died is broken for good
        failed.append((chunk, f"{future.exception()!r}; not retried: {broken}"))


def _failure_report(failed, finished: int) -> str:
    lines = [f"{sum(len(chunk) for chunk, _ in failed)} run(s) did not finish; {finished} did, and are cached "
             "(run the same sweep again to train only the rest):"]
    for chunk, error in failed:
        runs = ", ".join(f"{c.optimizer} lr={c.lr:g} seed {c.seed}" for _, c in chunk)
        lines.append(f"  - {runs}: {error}")
    return "\n".join(lines)


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` fresh processes (spawned, not forked: torch's thread pools do not survive a fork)."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def dask_executor(address: str):
    """The concurrent.futures executor of an existing Dask cluster, e.g. "tcp://scheduler:8786"."""
    from distributed import Client

    return Client(address).get_executor()
