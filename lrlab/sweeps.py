"""Running learning-rate sweeps: validate the LR list, train every (lr, seed) run (stacked, cached, on an executor
where given), and label each run (lrlab.results.verdicts). The result is a lrlab.results.Sweep."""

from collections.abc import Iterable
from dataclasses import replace

from lrlab import custom, parallel, store
from lrlab.config import DEFAULTS, TrainConfig, apply_profile, make_config, parse_lr
from lrlab.custom import DEFAULT_VALIDATION
from lrlab.data import pick_device
from lrlab.engine import train_stack
from lrlab.results import Sweep, verdicts
from lrlab.settings import takes_settings

STACK_WIDTH = {"cpu": 8, "cuda": 16, "mps": 8}  # runs trained together per stack (see benchmarks/README.md)


def validate_lrs(lrs) -> list[float]:
    """The learning rates as floats, or a ValueError naming the bad entry.

    Accepted: a non-empty list (or tuple, NumPy array...) of real numbers, finite and > 0, without duplicates.
    Numeric strings such as "1e-3" are parsed (a quoted number in an edited list is unambiguous); anything else
    that is not a number is refused.
    """
    if isinstance(lrs, (str, bytes)) or not isinstance(lrs, Iterable):
        raise ValueError(f"learning rates must be a list such as [1e-4, 1e-3, 1e-2]; got {lrs!r}")
    values = list(lrs)
    if not values:
        raise ValueError("the list of learning rates is empty; give at least one, such as [1e-3]")
    parsed = []
    for position, value in enumerate(values, start=1):
        lr = parse_lr(value, f"learning rate #{position}")
        if lr in parsed:
            raise ValueError(f"learning rate #{position} ({value!r}) repeats #{parsed.index(lr) + 1}; "
                             "each learning rate is run once, so remove the duplicate")
        parsed.append(lr)
    return parsed


def sweep_configs(configs: list[TrainConfig], *, cache: bool = True, stack: int | None = None, device=None,
                  progress: bool = True, executor=None) -> Sweep:
    """Train every config with the fast engine (cached ones are loaded), stacking runs that share their batches.

    stack: how many runs to train together (None: a width measured to be fast on this kind of device; 1: one by one).
    executor: None trains here; any concurrent.futures executor (lrlab.parallel.local_pool(n), a Dask client's
    get_executor()) gets one task per stack. Every finished run is cached at once, so an interrupted sweep resumes.
    """
    device = pick_device(device)
    configs = [apply_profile(config) for config in configs]
    keys = [store.run_key(config, device.type) for config in configs]
    done = {key: store.load(key) for key in keys} if cache else {}
    todo = {key: config for key, config in zip(keys, configs) if done.get(key) is None}  # each config once
    chunks = parallel.stacks(todo, stack or STACK_WIDTH.get(device.type, 4))
    finished = (_in_process(chunks, device, progress) if executor is None
                else parallel.on_executor(executor, chunks, device.type, progress))
    for key, run in finished:
        done[key] = run
        if cache:
            store.save(run, key)  # each finished run at once: an interrupted sweep keeps it
    runs = [done[key] for key in keys]
    runs = [replace(run, verdict=verdict) for run, verdict in zip(runs, verdicts(runs))]
    return Sweep(runs)


def _in_process(chunks, device, progress):
    for chunk in chunks:
        yield from zip([key for key, _ in chunk], train_stack([config for _, config in chunk], device=device,
                                                               progress=progress))


@takes_settings
def sweep(lrs, *, optimizer: str | list[str] = DEFAULTS.optimizer, seeds=(DEFAULTS.seed,), cache: bool = True,
          stack: int | None = None, device=None, progress: bool = True, executor=None, model=None, data=None,
          validation=DEFAULT_VALIDATION, loss=None, **settings) -> Sweep:
    """Train the CNN on MNIST (or your model on your data) once per (optimizer, lr, seed), with the same settings
    otherwise; return a Sweep.

    lrs: the learning rates, a list such as [1e-4, 1e-3, 1e-2] ("1e-3" in quotes works too).
    optimizer: one of lrlab.config.OPTIMIZERS (sgd, momentum, rmsprop, adam, schedule-free, prodigy), or a list of
    them. seeds: one run per seed for every LR. settings: any other field of lrlab.TrainConfig, by name (below;
    defaults: the seed's experiment).
    cache: load finished runs from the run cache and save new ones (LRLAB_CACHE).
    stack: runs trained together (None: a width measured to be fast on this device). device: cpu, cuda or mps
    (None: the best there is). executor: None trains in this process; a concurrent.futures executor (a local
    pool, lrlab.parallel.local_pool(n); a Dask cluster, client.get_executor()) trains one stack per task.
    Each run gets a verdict: too-low, good, too-high or diverged (see verdicts).
    model, data, validation, loss: your own model (a function that builds a fresh nn.Module) and its data, instead of
    the CNN on MNIST: the runs are evaluated on a validation split, trained one by one with the reference loop and
    not cached (lrlab.custom says why and what data= takes); cache and stack do not apply.
    """
    lrs = validate_lrs(lrs)
    seeds = [seeds] if isinstance(seeds, int) else list(seeds)
    optimizers = [optimizer] if isinstance(optimizer, str) else list(optimizer)
    configs = [make_config(lr, optimizer=name, seed=seed, **settings)
               for name in optimizers for lr in lrs for seed in seeds]
    if model is not None or data is not None:
        task = custom.make_task(model, data, validation=validation, loss=loss)
        runs = custom.train_runs(task, configs, device=device, progress=progress, executor=executor)
        return Sweep([replace(run, verdict=verdict) for run, verdict in zip(runs, verdicts(runs))],
                     yours=True)
    return sweep_configs(configs, cache=cache, stack=stack, device=device, progress=progress, executor=executor)
