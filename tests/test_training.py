"""The readable loop (lrlab.loop, the reference) and the fast stacked engine (lrlab.engine) side by side: the
properties every training loop must have are tested on both, and the engine is tested step for step against the
reference, as LLMs-from-scratch tests GPTModelFast against GPTModel."""

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

import lrlab
from lrlab import engine
from lrlab.config import TrainConfig
from lrlab.data import pick_device
from lrlab.engine import train_stack
from lrlab.loop import train_run
from lrlab.runs import Run

SMALL = dict(train_size=2048, test_size=1000)


def reference(config):
    return train_run(config, progress=False)


def stacked(config):
    return train_stack([config], progress=False)[0]


LOOPS = pytest.mark.parametrize("loop", [reference, stacked], ids=["reference", "engine"])


@LOOPS
def test_a_short_real_training_lowers_the_loss_and_learns(loop):
    run = loop(TrainConfig(lr=1e-3, epochs=2, **SMALL))
    assert len(run.losses) == 2 * 64 and run.steps_per_epoch == 64 and len(run.step_lrs) == 128
    assert np.mean(run.losses[-20:]) < 0.5 * np.mean(run.losses[:5])
    assert run.train_loss[1] < run.train_loss[0]
    assert run.final_accuracy > 0.8  # far above the 10% of guessing
    assert not run.diverged and run.verdict is None
    assert run.seconds > 0 and run.samples_per_s > 0 and run.device == "cpu"


@LOOPS
def test_same_seed_gives_identical_losses_and_another_seed_does_not(loop):
    a, b = loop(TrainConfig(epochs=1, **SMALL)), loop(TrainConfig(epochs=1, **SMALL))
    c = loop(TrainConfig(epochs=1, seed=1, **SMALL))
    assert a.losses == b.losses and a.test_accuracy == b.test_accuracy
    assert a.losses != c.losses


@LOOPS
def test_a_huge_lr_is_marked_diverged_and_stops_early(loop):
    run = loop(TrainConfig(lr=50.0, epochs=2, **SMALL))
    assert run.diverged and run.stopped_at is not None and run.stopped_at < 64
    assert len(run.losses) == run.stopped_at + 1
    assert run.train_loss == [] and math.isinf(run.final_loss)


@LOOPS
def test_schedules_move_the_lr_as_documented(loop):
    base = dict(epochs=1, train_size=32 * 40, test_size=200, optimizer="sgd", lr=0.1)
    step = loop(TrainConfig(schedule="step", **base))
    warm = loop(TrainConfig(schedule="cosine", warmup_steps=10, **base))
    cycle = loop(TrainConfig(schedule="onecycle", **base))
    assert step.step_lrs[0] == pytest.approx(0.1) and step.step_lrs[25] == pytest.approx(0.01)
    assert step.step_lrs[-1] == pytest.approx(0.001)
    assert warm.step_lrs[0] == pytest.approx(0.001) and max(warm.step_lrs) == pytest.approx(0.1, rel=0.02)
    assert warm.step_lrs[-1] < 0.01
    assert cycle.step_lrs[0] == pytest.approx(0.1 / 25) and max(cycle.step_lrs) == pytest.approx(0.1, rel=0.01)


# Three LRs per optimizer, trained as one stack by the engine and one by one by the reference; a diverging run
# (RMSprop at 1e-2, Adam at 1) must stop at the same step in both. The LRs avoid chaotic runs (momentum at 0.1
# oscillates and amplifies the engine's last-digit differences to 10 % within 50 steps; so does Adam + one-cycle
# at 1e-3, to 1.5e-4), where no two float orders of summation agree for long.
EQUIVALENCE = {
    "sgd": dict(optimizer="sgd", lrs=(0.01, 0.03, 0.1)),  # at 0.2-0.3 its loss bounces: 1-5 % apart on one thread
    "momentum": dict(optimizer="momentum", lrs=(0.003, 0.01, 0.03)),
    "rmsprop": dict(optimizer="rmsprop", lrs=(1e-4, 1e-3, 1e-2)),
    "adam": dict(optimizer="adam", lrs=(1e-4, 1e-3, 1.0)),
    "adam+step+warmup": dict(optimizer="adam", lrs=(1e-4, 1e-3, 3e-3), schedule="step", warmup_steps=10),
    "adam+cosine": dict(optimizer="adam", lrs=(1e-4, 1e-3, 3e-3), schedule="cosine"),
    "momentum+onecycle": dict(optimizer="momentum", lrs=(0.003, 0.01, 0.03), schedule="onecycle"),
    "adam+wsd+warmup": dict(optimizer="adam", lrs=(1e-4, 1e-3, 3e-3), schedule="wsd", warmup_steps=5),
    "adam+wsd-sqrt": dict(optimizer="adam", lrs=(1e-4, 1e-3, 3e-3), schedule="wsd-sqrt", decay_fraction=0.5),
    "schedule-free": dict(optimizer="schedule-free", lrs=(3e-4, 1e-3, 2.5e-3)),
    "prodigy": dict(optimizer="prodigy", lrs=(0.1, 0.3, 0.5)),  # at 1.0 d overshoots within 50 steps: chaotic
}


@pytest.mark.parametrize("case", EQUIVALENCE.values(), ids=EQUIVALENCE.keys())
def test_the_stacked_engine_equals_the_reference_loop_for_50_steps(case):
    case = dict(case)
    lrs = case.pop("lrs")
    configs = [TrainConfig(lr=lr, epochs=1, train_size=32 * 50, test_size=500, **case) for lr in lrs]
    fast = train_stack(configs, progress=False)
    for config, many in zip(configs, fast):
        one = reference(config)
        assert many.stack_size == 3 and one.stack_size == 1
        assert many.diverged == one.diverged and many.stopped_at == one.stopped_at
        # Prodigy's step size is computed from the gradients, so its last digits differ like the losses'
        rel = 1e-5 if config.optimizer == "prodigy" else 1e-12
        assert len(many.losses) == len(one.losses) and many.step_lrs == pytest.approx(one.step_lrs, rel=rel)
        np.testing.assert_allclose(many.losses, one.losses, rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(many.train_loss, one.train_loss, rtol=1e-4)
        np.testing.assert_allclose(many.test_accuracy, one.test_accuracy, atol=2e-3)
    assert any(not run.diverged for run in fast)


def test_a_diverging_run_inside_a_stack_does_not_disturb_the_others():
    configs = [TrainConfig(lr=lr, epochs=1, train_size=32 * 50, test_size=500) for lr in (1e-3, 100.0, 1e-2)]
    runs = train_stack(configs, progress=False)
    assert runs[1].diverged and not runs[0].diverged and not runs[2].diverged
    for i in (0, 2):
        np.testing.assert_allclose(runs[i].losses, reference(configs[i]).losses, rtol=1e-4, atol=1e-6)


def test_runs_of_a_stack_must_share_their_batches():
    with pytest.raises(ValueError, match="must share seed"):
        train_stack([TrainConfig(seed=0), TrainConfig(seed=1)], progress=False)


def test_train_is_the_reference_loop_with_the_seeds_defaults():
    run = lrlab.train("1e-3", epochs=1, train_size=256, test_size=200, progress=False)
    assert run.config == TrainConfig(lr=1e-3, epochs=1, train_size=256, test_size=200)
    assert run.losses == reference(run.config).losses
    again = Run.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again == run and again.config == run.config


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf"), "fast", None, True])
def test_train_refuses_a_bad_lr(lr):
    with pytest.raises(ValueError, match="learning rate"):
        lrlab.train(lr, epochs=1, progress=False, **SMALL)


def test_device_picks_cuda_then_mps_then_cpu(monkeypatch):
    assert pick_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert pick_device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert pick_device().type == "cpu"


def test_smoke_profile_shrinks_the_run(monkeypatch):
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    run = lrlab.train(1e-3, progress=False)
    assert run.config.profile == "smoke" and run.config.epochs == 1 and run.config.train_size == 1024
    assert len(run.losses) == 32


def test_reading_losses_once_per_epoch_as_on_a_gpu_gives_the_same_runs(monkeypatch):
    """On a GPU the host reads the losses once per epoch; force that schedule on CPU and compare."""
    configs = [TrainConfig(lr=lr, epochs=2, train_size=32 * 60, test_size=300) for lr in (1e-3, 100.0)]
    often = train_stack(configs, progress=False)
    monkeypatch.setattr(engine, "CHECK_EVERY", 10**9)
    once = train_stack(configs, progress=False)
    assert once[0].losses == often[0].losses and once[0].test_accuracy == often[0].test_accuracy
    assert once[1].diverged and once[1].stopped_at == often[1].stopped_at
    assert once[1].losses == often[1].losses


@LOOPS
def test_test_every_chooses_which_epochs_are_evaluated_and_never_changes_the_training(loop):
    """TrainConfig.test_every: 0 evaluates after the last epoch only (what sweeps need), n also after every n-th."""
    runs = {every: loop(TrainConfig(epochs=3, train_size=32 * 20, test_size=300, test_every=every))
            for every in (0, 1, 2)}
    assert [len(run.test_accuracy) for run in runs.values()] == [1, 3, 2]  # 2: after epochs 2 and 3
    assert all(len(run.test_loss) == len(run.test_accuracy) and len(run.train_loss) == 3 for run in runs.values())
    assert runs[0].losses == runs[1].losses == runs[2].losses  # evaluating does not touch the training
    assert runs[0].test_accuracy[-1] == runs[1].test_accuracy[-1] == runs[2].test_accuracy[-1]
    assert runs[1].test_accuracy[1] == runs[2].test_accuracy[0]  # epoch 2, measured in both


def test_a_stack_evaluates_each_run_when_its_own_config_asks():
    configs = [TrainConfig(lr=lr, epochs=2, train_size=32 * 20, test_size=300, test_every=every)
               for lr, every in ((1e-3, 0), (3e-3, 1))]
    runs = train_stack(configs, progress=False)
    assert [len(run.test_accuracy) for run in runs] == [1, 2]
    np.testing.assert_allclose(runs[0].test_accuracy, reference(configs[0]).test_accuracy, atol=2e-3)


@pytest.mark.parametrize("every", [-1, 1.5, "2"])
def test_a_bad_test_every_is_refused_with_the_fix(every):
    with pytest.raises(ValueError, match="test_every=.* must be a whole number >= 0"):
        TrainConfig(test_every=every)


def test_wsd_schedules_follow_their_definition():
    """Warm-up from lr/100, constant, then the last decay_fraction of the steps down to 0: linear or 1 - sqrt."""
    from lrlab.optim import make_optimizer, make_scheduler

    total, warmup, lr = 100, 10, 0.5
    for schedule, shape in (("wsd", lambda f: 1 - f), ("wsd-sqrt", lambda f: 1 - f ** 0.5)):
        config = TrainConfig(lr=lr, optimizer="sgd", schedule=schedule, warmup_steps=warmup, decay_fraction=0.25)
        optimizer = make_optimizer([torch.zeros(1, requires_grad=True)], "sgd", lr)
        scheduler, seen = make_scheduler(optimizer, config, total), []
        for _ in range(total):
            seen.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
            scheduler.step()
        ramp = [lr * (0.01 + 0.99 * t / warmup) for t in range(warmup)]
        expected = ramp + [lr] * (total - warmup - 25) + [lr * shape(s / 25) for s in range(25)]
        np.testing.assert_allclose(seen, expected, rtol=1e-9, atol=1e-12)


def test_trainconfig_owns_the_step_arithmetic_the_loops_and_schedules_use():
    """steps_per_epoch / total_steps count the updates a run makes (train_size of the 55,000 images outside the
    validation split); cooldown_start is where a wsd schedule stops being a constant rate."""
    from lrlab.optim import make_optimizer, make_scheduler

    assert TrainConfig().steps_per_epoch() == math.ceil(55_000 / 32) and TrainConfig(epochs=2).total_steps() == 3438
    config = TrainConfig(lr=0.5, optimizer="sgd", schedule="wsd", epochs=2, train_size=1000, batch_size=64)
    assert (config.steps_per_epoch(), config.total_steps(), config.steps_per_epoch(100)) == (16, 32, 2)
    optimizer = make_optimizer([torch.zeros(1, requires_grad=True)], "sgd", 0.5)
    scheduler, seen = make_scheduler(optimizer, config, config.total_steps()), []
    for _ in range(config.total_steps()):
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    start = config.cooldown_start()
    assert seen[:start + 1] == [0.5] * (start + 1) and seen[start + 1] < 0.5  # s = 0 of the cooldown is still 0.5
    run = reference(replace(config, train_size=256, test_size=100, validation_size=100))
    assert run.steps_per_epoch == config.steps_per_epoch(256) == 4 and len(run.losses) == 8


def test_runs_train_outside_the_validation_split_and_are_evaluated_on_it():
    """The 5,000 validation images are never trained on; both loops record validation and test after the last
    epoch, and rates are chosen on the validation split (lrlab.results)."""
    from lrlab.data import validation_split

    train, held_out = validation_split()
    assert len(train) == 55_000 and len(held_out) == 5_000 and not set(train.tolist()) & set(held_out.tolist())
    for loop in (reference, stacked):
        run = loop(TrainConfig(lr=1e-3, epochs=1, train_size=512, test_size=200, validation_size=300))
        assert len(run.validation_accuracy) == len(run.test_accuracy) == 1
        assert 0 < run.final_validation_accuracy <= 1 and run.final_validation_accuracy != run.final_accuracy


def test_unknown_settings_are_refused_with_the_names_a_run_takes():
    with pytest.raises(TypeError, match="unknown setting.*epoch;.*epochs"):
        lrlab.train(1e-3, epoch=3)
    with pytest.raises(TypeError, match="unknown setting.*batchsize"):
        lrlab.sweep([1e-3], batchsize=64)


def test_schedule_free_is_evaluated_at_its_average_and_trained_at_its_interpolation():
    """schedulefree keeps y (where gradients are taken) and x (its average, the weights to use): the loops switch to
    x for every evaluation and back to y for training, and the run's numbers say so."""
    from lrlab.optim import evaluation_mode, make_optimizer, training_mode

    model = torch.nn.Linear(3, 2)
    optimizer = make_optimizer(model.parameters(), "schedule-free", 0.1)
    training_mode(optimizer)
    for _ in range(5):
        optimizer.zero_grad()
        model(torch.ones(4, 3)).square().sum().backward()
        optimizer.step()
    y = model.weight.detach().clone()
    evaluation_mode(optimizer)
    x = model.weight.detach().clone()
    training_mode(optimizer)
    assert not torch.allclose(x, y) and torch.allclose(model.weight, y, atol=1e-6)
    run = reference(TrainConfig(lr=2.5e-3, optimizer="schedule-free", epochs=1, **SMALL))
    assert run.final_accuracy > 0.8 and not run.diverged


def test_prodigy_records_the_step_size_it_estimates_in_adams_units():
    run = stacked(TrainConfig(lr=1.0, optimizer="prodigy", epochs=1, **SMALL))
    assert run.step_lrs[0] < 1e-4 < max(run.step_lrs)  # d grows from its start of 1e-6
    assert max(run.step_lrs) < 1.0 and run.final_accuracy > 0.8
