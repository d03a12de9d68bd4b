"""Your own model: the plain loop (what lrlab.custom uses) against K runs stacked with torch.func, side by side.

The same K runs either way: a small MLP (64 -> 128 -> 10, the "Your model, your rate" chapter's) on 1,437 random
8x8 "images", batch 32, Adam, K learning rates, one seed (runs that share their batches, as a stack needs). The plain
side trains them one after the other with lrlab.loop.fit; the stacked side builds the K models, stacks their
weights (torch.func.stack_module_state), runs them as one vmap(functional_call) per step, and gives each run its
own torch.optim.Adam over views of the stacked weights (so each keeps its own rate, as lrlab.engine does for the
CNN). A third side trains the plain runs on a Dask LocalCluster of one single-threaded worker per core (what
`lrlab.sweep(..., model=..., executor=client.get_executor())` does; the workers are started before timing). The
rounds alternate (plain, stacked, pool, plain, ...) and the median ratios are printed; the stacked side's losses are
checked against the plain side's first.

    python benchmarks/bench_custom.py             # K = 8, 3 epochs, 5 rounds
    python benchmarks/bench_custom.py --k 4 --width 512
"""

import argparse
import copy
import os
import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from lrlab.config import TrainConfig
from lrlab.data import Tensors
from lrlab.loop import fit
from lrlab.model import seeded


def task(n: int = 1437, features: int = 64, classes: int = 10) -> Tensors:
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(n, features, generator=generator)
    y = torch.randint(classes, (n,), generator=generator)
    return Tensors(torch.device("cpu"), x, y, x[:200], y[:200])


def plain(build, lrs, given: Tensors, epochs: int) -> list[list[float]]:
    return [fit(TrainConfig(lr=lr, epochs=epochs), build, given, progress=False).losses for lr in lrs]


def stacked(build, lrs, given: Tensors, epochs: int) -> list[list[float]]:
    """The K runs as one vmapped model: the same batches, each run its own Adam (over views of the stack)."""
    models = [seeded(build, 0) for _ in lrs]
    params, buffers = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    run = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), in_dims=(0, 0, None))
    views = [{name: nn.Parameter(stack[k]) for name, stack in params.items()} for k in range(len(lrs))]
    optimizers = [torch.optim.Adam(view.values(), lr=lr, fused=True) for view, lr in zip(views, lrs)]
    shuffle, losses = torch.Generator().manual_seed(0), [[] for _ in lrs]
    for _ in range(epochs):
        order = torch.randperm(len(given.labels), generator=shuffle)
        for start in range(0, len(order), 32):
            batch = order[start:start + 32]
            logits = run(params, buffers, given.images[batch])  # [K, B, classes]
            per_run = F.cross_entropy(logits.flatten(0, 1), given.labels[batch].repeat(len(lrs)),
                                      reduction="none").view(len(lrs), -1).mean(1)
            for stack in params.values():
                stack.grad = None
            per_run.sum().backward()
            for k, (view, optimizer) in enumerate(zip(views, optimizers)):
                for name, parameter in view.items():
                    parameter.grad = params[name].grad[k]  # a view: no copy
                optimizer.step()  # writes into the stacked weights through the views
            for k, value in enumerate(per_run.tolist()):
                losses[k].append(value)
    return losses


def pooled(executor):
    """The plain side with one run per task on `executor`."""
    def side(build, lrs, given, epochs):
        futures = [executor.submit(fit, TrainConfig(lr=lr, epochs=epochs), build, given, progress=False)
                   for lr in lrs]
        return [future.result().losses for future in futures]

    return side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--k", type=int, default=8, help="runs (learning rates) per side")
    parser.add_argument("--width", type=int, default=128, help="hidden units of the MLP")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    given = task()
    build = lambda: nn.Sequential(nn.Linear(64, args.width), nn.ReLU(), nn.Linear(args.width, 10))
    lrs = [1e-4 * 10 ** (i / 2) for i in range(args.k)]
    a, b = plain(build, lrs, given, 1), stacked(build, lrs, given, 1)
    worst = max(abs(x - y) / max(abs(x), 1e-12) for run_a, run_b in zip(a, b) for x, y in zip(run_a, run_b))
    print(f"K={args.k}, width {args.width}, {args.epochs} epochs, {torch.get_num_threads()} threads; "
          f"stacked vs plain losses, largest relative difference over one epoch: {worst:.1e}")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=os.cpu_count(), threads_per_worker=1) as cluster, Client(cluster) as client:
        sides = {"plain": plain, "stacked": stacked, "pool": pooled(client.get_executor())}
        sides["pool"](build, lrs[:2], given, 1)  # workers started and warm
        times = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, side in sides.items():
                started = time.perf_counter()
                side(build, lrs, given, args.epochs)
                times[name].append(time.perf_counter() - started)
    for name in ("stacked", "pool"):
        ratios = [p / s for p, s in zip(times["plain"], times[name])]
        print(f"plain {statistics.median(times['plain']):.2f} s, {name} {statistics.median(times[name]):.2f} s "
              f"(medians of {args.rounds}); plain / {name}: median {statistics.median(ratios):.2f}x "
              f"(rounds: {', '.join(f'{r:.2f}' for r in ratios)})")


if __name__ == "__main__":
    main()
