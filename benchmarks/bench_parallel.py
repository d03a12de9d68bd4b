"""Local speed of a sweep on a pool of single-thread worker processes against the same sweep in one process, and
Dask's per-task overhead, measured side by side in one run (cache off).

    python benchmarks/bench_parallel.py            # the Goldilocks sweep: 11 LRs x 3 seeds, 2 epochs on 10,000 images
    python benchmarks/bench_parallel.py --quick    # 4 LRs x 2 seeds, 1 epoch on 2,000 images
"""

import argparse
import json
import time

import numpy as np

import lrlab
from lrlab.data import load_mnist
from lrlab.parallel import local_pool


def timed(**kwargs) -> float:
    start = time.perf_counter()
    lrlab.sweep(cache=False, progress=False, **kwargs)
    return time.perf_counter() - start


def dask_overhead(tasks: int = 200) -> dict:
    """Seconds per no-op task through a LocalCluster's concurrent.futures executor (2 workers, 1 thread each)."""
    from concurrent.futures import wait

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        executor = client.get_executor()
        executor.submit(sum, [1]).result()  # warm
        start = time.perf_counter()
        wait([executor.submit(sum, [i]) for i in range(tasks)])
        return {"tasks": tasks, "seconds_per_task": (time.perf_counter() - start) / tasks}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    grid = (dict(lrs=np.logspace(-4, -1, 4), seeds=[0, 1], epochs=1, train_size=2_000) if args.quick else
            dict(lrs=np.logspace(-5, 0, 11), seeds=[0, 1, 2], epochs=2, train_size=10_000))
    load_mnist()
    results = {"runs": len(grid["lrs"]) * len(grid["seeds"]), "workers": args.workers}
    results["in_process_s"] = timed(**grid)
    print(f"in one process : {results['in_process_s']:6.1f} s", flush=True)
    with local_pool(args.workers) as pool:
        list(pool.map(time.sleep, [1] * args.workers))  # start every worker outside the timing
        results["pool_s"] = timed(executor=pool, **grid)
    results["ratio"] = results["in_process_s"] / results["pool_s"]
    print(f"pool of {args.workers}      : {results['pool_s']:6.1f} s  -> {results['ratio']:.2f}x")
    results["dask"] = dask_overhead()
    print(f"Dask overhead  : {1000 * results['dask']['seconds_per_task']:.1f} ms per task (LocalCluster, 2 workers)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
