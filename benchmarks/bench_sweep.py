"""Speed of lrlab's sweep against the seed's original training loop, side by side in one process.

The seed's loop: torchvision MNIST + ToTensor + DataLoader(batch_size=32, shuffle=True), Adam, `.item()` every step,
one learning rate after another. lrlab: `sweep(...)` over the same learning rates and the same number of steps
(cache off). Prints both wall times and the ratio; `--full` runs the real 3-LR x 5-epoch experiment. Each side runs
in a fresh process (spawned), so neither inherits the other's state (lrlab's allocator settings, warm caches).

It also measures the machine: a 1024 x 1024 fp32 matrix product (GEMM) in GFLOP/s, and lrlab's achieved GFLOP/s
(7.08 MFLOP per image per training step, forward + backward; evaluation not counted) as a share of it.

    python benchmarks/bench_sweep.py              # 600 steps per LR (about 20 s)
    python benchmarks/bench_sweep.py --repeat 5   # the same, alternating 5 times: median ratio
    python benchmarks/bench_sweep.py --full       # 5 full epochs per LR (about 5 minutes)
    python benchmarks/bench_sweep.py --only lrlab --lrs 1e-5 1e-4 3e-4 1e-3 3e-3 1e-2 3e-2 1e-1 --full --memory
"""

import argparse
import json
import math
import multiprocessing
import resource
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from lrlab.data import load_mnist
from lrlab.model import CNN
from lrlab.paths import data_root
from lrlab.sweeps import sweep

FLOP_PER_IMAGE = 7.08e6  # one training step of the CNN per image: forward 2.36 MFLOP + backward (twice that)


def seed_loop(lr: float, steps: int, epochs: int) -> dict:
    """The seed's code, as written there: per-sample ToTensor through a DataLoader, a host sync every step."""
    torch.manual_seed(0)
    train_set = datasets.MNIST(str(data_root()), train=True, download=False, transform=transforms.ToTensor())
    test_set = datasets.MNIST(str(data_root()), train=False, download=False, transform=transforms.ToTensor())
    loader = DataLoader(train_set, batch_size=32, shuffle=True)
    model, criterion = CNN(), nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses, done = [], 0
    for _ in range(epochs):
        for images, labels in loader:
            optimizer.zero_grad()
            loss = criterion(model(images), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            done += 1
            if done == steps:
                break
    correct = 0
    with torch.no_grad():
        for images, labels in DataLoader(test_set, batch_size=1000):
            correct += (model(images).argmax(1) == labels).sum().item()
    return {"lr": lr, "final_loss": sum(losses[-100:]) / 100, "accuracy": correct / len(test_set)}


def gemm_gflops(n: int = 1024, repeat: int = 30) -> float:
    """What this CPU gives a large fp32 matrix product, with torch's threads: the best of `repeat` timings."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    for _ in range(5):
        a @ b
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best / 1e9


def lrlab_side(lrs, epochs, subset, stack, threads):
    if threads:
        torch.set_num_threads(threads)
    load_mnist()
    start = time.perf_counter()
    result = sweep(lrs, epochs=epochs, train_size=subset, cache=False, stack=stack, progress=False)
    return time.perf_counter() - start, [(r.lr, r.final_accuracy) for r in result.runs]


def seed_side(lrs, steps, epochs, threads):
    if threads:
        torch.set_num_threads(threads)
    load_mnist()
    start = time.perf_counter()
    runs = [seed_loop(lr, steps, epochs) for lr in lrs]
    return time.perf_counter() - start, [(r["lr"], r["accuracy"]) for r in runs]


def in_fresh_process(function, *args):
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lrs", type=float, nargs="+", default=[1e-4, 1e-3, 1e-2])
    parser.add_argument("--steps", type=int, default=600, help="steps per LR (ignored with --full)")
    parser.add_argument("--full", action="store_true", help="5 full epochs per LR: the seed's whole experiment")
    parser.add_argument("--only", choices=["seed", "lrlab"], help="run one side only")
    parser.add_argument("--stack", type=int, default=None, help="lrlab stack width (default: lrlab's choice)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--memory", action="store_true", help="report this process's peak resident memory")
    parser.add_argument("--repeat", type=int, default=1,
                        help="alternate the two sides this many times and report the median ratio (the VM is noisy)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    load_mnist()  # check the files once, before any timing
    epochs, steps = (5, 5 * 1875) if args.full else (1, args.steps)
    results = {"lrs": args.lrs, "steps_per_lr": steps, "threads": torch.get_num_threads(),
               "cpu_capability": torch.backends.cpu.get_cpu_capability(), "gemm_gflops": gemm_gflops()}
    print(f"machine   : {results['cpu_capability']}, {results['threads']} threads, "
          f"GEMM {results['gemm_gflops']:.0f} GFLOP/s (1024 x 1024 fp32)", flush=True)

    results["rounds"] = []
    for _ in range(args.repeat):
        times = {}
        if args.only != "lrlab":
            times["seed_s"], accuracies = in_fresh_process(seed_side, args.lrs, steps, epochs, args.threads)
            print(f"seed loop : {times['seed_s']:7.1f} s  " + "  ".join(
                f"lr={lr:g}: acc {100 * acc:.2f}%" for lr, acc in accuracies), flush=True)
        if args.only != "seed":
            subset = None if args.full else steps * 32
            times["lrlab_s"], accuracies = in_fresh_process(lrlab_side, args.lrs, epochs, subset, args.stack,
                                                            args.threads)
            times["lrlab_gflops"] = FLOP_PER_IMAGE * 32 * steps * len(args.lrs) / times["lrlab_s"] / 1e9
            print(f"lrlab     : {times['lrlab_s']:7.1f} s  " + "  ".join(
                f"lr={lr:g}: acc {100 * acc:.2f}%" for lr, acc in accuracies)
                + f"  ({times['lrlab_gflops']:.0f} GFLOP/s = {times['lrlab_gflops'] / results['gemm_gflops']:.0%}"
                " of GEMM)", flush=True)
        if "seed_s" in times and "lrlab_s" in times:
            times["ratio"] = times["seed_s"] / times["lrlab_s"]
            print(f"ratio     : {times['ratio']:.2f}x faster than the seed's loop "
                  f"({len(args.lrs)} LRs x {steps} steps, {results['threads']} threads)", flush=True)
        results["rounds"].append(times)
    ratios = sorted(r["ratio"] for r in results["rounds"] if "ratio" in r)
    if len(ratios) > 1:
        results["median_ratio"] = statistics.median(ratios)
        print(f"median ratio over {len(ratios)} rounds: {results['median_ratio']:.2f}x "
              f"(range {ratios[0]:.2f}x .. {ratios[-1]:.2f}x)")
    if args.memory:
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak memory: {results['peak_rss_mb']:.0f} MB (resident, the largest of the side processes)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
