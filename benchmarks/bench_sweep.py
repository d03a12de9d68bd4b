"""Speed of lrlab's sweep against the seed's original training loop, side by side in one process.

The seed's loop: torchvision MNIST + ToTensor + DataLoader(batch_size=32, shuffle=True), Adam, `.item()` every step,
one learning rate after another. lrlab: `sweep(...)` over the same learning rates and the same number of steps
(cache off). Prints both wall times and the ratio; `--full` runs the real 3-LR x 5-epoch experiment.

    python benchmarks/bench_sweep.py              # 600 steps per LR (about 20 s)
    python benchmarks/bench_sweep.py --repeat 5   # the same, alternating 5 times: median ratio
    python benchmarks/bench_sweep.py --full       # 5 full epochs per LR (about 5 minutes)
    python benchmarks/bench_sweep.py --only lrlab --lrs 1e-5 1e-4 3e-4 1e-3 3e-3 1e-2 3e-2 1e-1 --full --memory
"""

import argparse
import json
import resource
import time

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from lrlab.data import load_mnist
from lrlab.model import CNN
from lrlab.paths import data_root
from lrlab.sweeps import sweep


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
    load_mnist()  # read the files once, outside both timings
    epochs, steps = (5, 5 * 1875) if args.full else (1, args.steps)
    results = {"lrs": args.lrs, "steps_per_lr": steps, "threads": torch.get_num_threads()}

    results["rounds"] = []
    for _ in range(args.repeat):
        times = {}
        if args.only != "lrlab":
            start = time.perf_counter()
            runs = [seed_loop(lr, steps, epochs) for lr in args.lrs]
            times["seed_s"] = time.perf_counter() - start
            print(f"seed loop : {times['seed_s']:7.1f} s  " + "  ".join(
                f"lr={r['lr']:g}: acc {100 * r['accuracy']:.2f}%" for r in runs), flush=True)
        if args.only != "seed":
            subset = None if args.full else steps * 32
            start = time.perf_counter()
            result = sweep(args.lrs, epochs=epochs, train_size=subset, cache=False, stack=args.stack, progress=False)
            times["lrlab_s"] = time.perf_counter() - start
            print(f"lrlab     : {times['lrlab_s']:7.1f} s  " + "  ".join(
                f"lr={r.lr:g}: acc {100 * r.final_accuracy:.2f}%" for r in result.runs), flush=True)
        if len(times) == 2:
            times["ratio"] = times["seed_s"] / times["lrlab_s"]
            print(f"ratio     : {times['ratio']:.2f}x faster than the seed's loop "
                  f"({len(args.lrs)} LRs x {steps} steps, {results['threads']} threads)", flush=True)
        results["rounds"].append(times)
    ratios = sorted(r["ratio"] for r in results["rounds"] if "ratio" in r)
    if len(ratios) > 1:
        results["median_ratio"] = ratios[len(ratios) // 2]
        print(f"median ratio over {len(ratios)} rounds: {results['median_ratio']:.2f}x "
              f"(range {ratios[0]:.2f}x .. {ratios[-1]:.2f}x)")
    if args.memory:
        results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory: {results['peak_rss_mb']:.0f} MB (resident, whole process)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
