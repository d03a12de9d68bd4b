import json
import math

import numpy as np
import pytest
import torch

from lrlab import train as train_module
from lrlab.config import TrainConfig
from lrlab.train import Run, fit, train

SMALL = dict(train_size=2048, test_size=1000, progress=False)


def test_a_short_real_training_lowers_the_loss_and_learns():
    run = train(1e-3, epochs=2, **SMALL)
    assert len(run.losses) == 2 * 64 and run.steps_per_epoch == 64
    assert np.mean(run.losses[-20:]) < 0.5 * np.mean(run.losses[:5])
    assert run.train_loss[1] < run.train_loss[0]
    assert run.final_accuracy > 0.8  # far above the 10% of guessing
    assert not run.diverged and run.verdict is None
    assert run.seconds > 0 and run.samples_per_s > 0 and run.device == "cpu"


def test_same_seed_gives_identical_losses_and_another_seed_does_not():
    a, b = train(1e-3, epochs=1, **SMALL), train(1e-3, epochs=1, **SMALL)
    c = train(1e-3, epochs=1, seed=1, **SMALL)
    assert a.losses == b.losses and a.test_accuracy == b.test_accuracy
    assert a.losses != c.losses


def test_a_huge_lr_is_marked_diverged_and_stops_early():
    run = train(50.0, epochs=2, **SMALL)
    assert run.diverged and run.stopped_at is not None and run.stopped_at < 64
    assert len(run.losses) == run.stopped_at + 1
    assert run.train_loss == [] and math.isinf(run.final_loss)


def _alone_and_stacked(lrs, steps):
    configs = [TrainConfig(lr=lr, epochs=1, train_size=32 * steps, test_size=500) for lr in lrs]
    alone = [fit([config], progress=False)[0] for config in configs]
    stacked = fit(configs, progress=False)
    return alone, stacked


def test_stacked_training_equals_training_each_run_alone_for_50_steps():
    alone, stacked = _alone_and_stacked([1e-4, 1e-3, 1e-2], steps=50)
    for one, many in zip(alone, stacked):
        assert many.stack_size == 3 and one.stack_size == 1
        np.testing.assert_allclose(many.losses, one.losses, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(many.test_accuracy, one.test_accuracy, atol=2e-3)


def test_a_diverging_run_inside_a_stack_does_not_disturb_the_others():
    lrs = [1e-3, 100.0, 1e-2]
    alone, stacked = _alone_and_stacked(lrs, steps=50)
    assert stacked[1].diverged and not stacked[0].diverged and not stacked[2].diverged
    for i in (0, 2):
        np.testing.assert_allclose(stacked[i].losses, alone[i].losses, rtol=1e-4, atol=1e-5)


def test_runs_of_a_stack_must_share_their_batches():
    with pytest.raises(ValueError, match="must share seed"):
        fit([TrainConfig(seed=0), TrainConfig(seed=1)], progress=False)


def test_run_round_trips_through_json():
    run = train(1e-3, epochs=1, train_size=256, test_size=200, progress=False)
    again = Run.from_dict(json.loads(json.dumps(run.to_dict())))
    assert again == run and again.config == run.config


@pytest.mark.parametrize("lr", [0, -1e-3, float("nan"), float("inf"), "fast", None, True])
def test_train_refuses_a_bad_lr(lr):
    with pytest.raises(ValueError, match="learning rate"):
        train(lr, epochs=1, **SMALL)


def test_schedules_move_the_lr_as_documented():
    base = dict(epochs=1, train_size=32 * 40, test_size=200)
    step, warm, cycle = fit([TrainConfig(lr=0.1, optimizer="sgd", schedule="step", **base),
                             TrainConfig(lr=0.1, optimizer="sgd", schedule="cosine", warmup_steps=10, **base),
                             TrainConfig(lr=0.1, optimizer="sgd", schedule="onecycle", **base)], progress=False)
    assert step.step_lrs[0] == pytest.approx(0.1) and step.step_lrs[25] == pytest.approx(0.01)
    assert step.step_lrs[-1] == pytest.approx(0.001)
    assert warm.step_lrs[0] == pytest.approx(0.001) and max(warm.step_lrs) == pytest.approx(0.1, rel=0.02)
    assert warm.step_lrs[-1] < 0.01
    assert cycle.step_lrs[0] == pytest.approx(0.1 / 25) and max(cycle.step_lrs) == pytest.approx(0.1, rel=0.01)


def test_device_picks_cuda_then_mps_then_cpu(monkeypatch):
    assert train_module.pick_device("cpu") == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert train_module.pick_device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert train_module.pick_device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert train_module.pick_device().type == "cpu"


def test_smoke_profile_shrinks_the_run(monkeypatch):
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    run = train(1e-3, progress=False)
    assert run.config.profile == "smoke" and run.config.epochs == 1 and run.config.train_size == 1024
    assert len(run.losses) == 32


def test_reading_losses_once_per_epoch_as_on_a_gpu_gives_the_same_runs(monkeypatch):
    """On a GPU the host reads the losses once per epoch; force that schedule on CPU and compare."""
    configs = [TrainConfig(lr=lr, epochs=2, train_size=32 * 60, test_size=300) for lr in (1e-3, 100.0)]
    often = fit(configs, progress=False)
    monkeypatch.setattr(train_module, "CHECK_EVERY", 10**9)
    once = fit(configs, progress=False)
    assert once[0].losses == often[0].losses and once[0].test_accuracy == often[0].test_accuracy
    assert once[1].diverged and once[1].stopped_at == often[1].stopped_at
    assert once[1].losses == often[1].losses
