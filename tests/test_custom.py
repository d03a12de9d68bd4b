"""Your model, your rate (lrlab.custom): sweeps and range tests of any model on any data. A custom sweep of the
book's own CNN on MNIST is the reference loop to the last digit; a changed model gives new runs, never cached ones;
the runs are evaluated on a validation split; and each bad input gets an error that says what to type."""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import lrlab
from lrlab.config import TrainConfig
from lrlab.custom import ModelError, make_task
from lrlab.data import prepare
from lrlab.loop import train_run
from lrlab.paths import cache_root


@pytest.fixture(scope="module")
def digits(mnist):
    """600 MNIST images as flat vectors in [0, 1], and their labels: data for a small MLP."""
    return mnist.train_images[:600].flatten(1).float() / 255, mnist.train_labels[:600]


def mlp(width: int = 32):
    return nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, 10))


def test_a_custom_sweep_of_the_books_cnn_is_the_reference_loop_to_the_last_digit():
    config = TrainConfig(lr=1e-3, epochs=1, train_size=512, test_size=200, seed=3)
    reference = train_run(config, progress=False)
    given = prepare(config)  # the very tensors the reference loop trains and tests on
    result = lrlab.sweep([1e-3], model=lrlab.CNN, data=(given.images, given.labels), seeds=[3], epochs=1,
                         validation=(given.test_images, given.test_labels), progress=False)
    run = result.runs[0]
    assert run.losses == reference.losses and run.test_accuracy == reference.test_accuracy
    assert result.yours and "mean validation accuracy (range)" in result.lr_table().rows[0]


def test_a_changed_model_gets_new_runs_and_nothing_is_cached(digits):
    narrow = lrlab.sweep([1e-2], model=mlp, data=digits, epochs=1, progress=False)
    wide = lrlab.sweep([1e-2], model=lambda: mlp(64), data=digits, epochs=1, progress=False)
    again = lrlab.sweep([1e-2], model=mlp, data=digits, epochs=1, progress=False)
    assert narrow.runs[0].losses != wide.runs[0].losses
    assert narrow.runs[0].losses == again.runs[0].losses  # the same model, data and seed: the same run, retrained
    assert not list(cache_root().rglob("*.json"))  # custom models are never cached (lrlab.custom says why)


def test_the_validation_split_is_held_out_and_the_same_for_every_run(digits):
    task = make_task(mlp, digits, validation=0.25)
    assert (len(task.targets), len(task.validation_targets)) == (450, 150)
    seen = {tuple(x.tolist()) for x in task.inputs}
    assert not any(tuple(x.tolist()) in seen for x in task.validation_inputs)  # MNIST's first 600 are distinct
    assert torch.equal(make_task(mlp, digits, validation=0.25).validation_inputs, task.validation_inputs)


def test_seeds_give_their_own_weights_and_verdicts_come_from_the_validation_sweep(digits):
    result = lrlab.sweep([1e-3, 1e-2, 30.0], model=mlp, data=digits, seeds=[0, 1], epochs=2, progress=False)
    assert result.at(1e-2, seed=0).losses[0] != result.at(1e-2, seed=1).losses[0]
    assert result.best_lr() == 1e-2 and result.at(30.0, seed=0).verdict == "diverged"
    assert 0.7 < result.summary(1e-2).accuracy <= 1


@pytest.mark.parametrize("kind", ["dataset", "loader", "numpy"])
def test_a_dataset_a_loader_and_arrays_give_the_same_runs_as_tensors(digits, kind):
    given = {"dataset": TensorDataset(*digits), "loader": DataLoader(TensorDataset(*digits), batch_size=7),
             "numpy": (digits[0].numpy(), digits[1].numpy())}[kind]
    same = dict(model=mlp, epochs=1, progress=False)
    assert lrlab.sweep([1e-2], data=given, **same).runs[0].losses == lrlab.sweep([1e-2], data=digits,
                                                                                  **same).runs[0].losses


def test_a_regression_loss_trains_and_has_no_accuracy():
    torch.manual_seed(0)
    x = torch.randn(300, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    result = lrlab.sweep([5e-2], model=lambda: nn.Linear(3, 1), data=(x, y), loss=F.mse_loss, epochs=20,
                         progress=False)
    run = result.runs[0]
    assert run.losses[-1] < 0.1 * run.losses[0] and math.isnan(run.final_accuracy)
    assert result.lr_table().rows[0]["mean validation accuracy (range)"] == "-"


def test_the_range_test_takes_a_custom_model_and_finds_its_turn(digits):
    test = lrlab.lr_range_test(model=mlp, data=digits, steps=200, progress=False)
    assert test.turned_up and 1e-5 < test.suggestion < 1
    assert test.lrs[0] == pytest.approx(1e-7)


SHARED_MODEL, SHARED_LAYER = mlp(), nn.Linear(784, 10)  # a factory that returns these builds nothing fresh
BAD = {
    "a model, not a function": (dict(model=mlp()), "not a model"),
    "the same module twice": (dict(model=lambda: SHARED_MODEL), "same module"),
    "shared parameters": (dict(model=lambda: nn.Sequential(SHARED_LAYER)), "same module"),
    "not a module": (dict(model=lambda: "net"), "not a torch.nn.Module"),
    "an empty dataset": (dict(data=TensorDataset(torch.zeros(0, 784), torch.zeros(0))), "empty dataset"),
    "labels beyond the outputs": (dict(model=lambda: nn.Linear(784, 5)), "give it 10 outputs"),
    "outputs the loss cannot compare": (dict(model=lambda: nn.Linear(784, 10), loss=F.mse_loss), "cannot compare"),
    "a loss that is not one number": (dict(loss=lambda out, y: F.cross_entropy(out, y, reduction="none")),
                                      "not one number"),
    "a model on another device": (dict(model=lambda: nn.Linear(784, 10, device="meta")), "build it on the CPU"),
    "data without a model": (dict(model=None), "needs its model"),
    "a model without data": (dict(data=None), "needs its data"),
    "an odd validation share": (dict(validation=1.5), "validation=0.2"),
    "inputs and targets that differ in length": (dict(data=(torch.zeros(5, 784), torch.zeros(4))), "as many"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_refused_with_what_to_type(digits, case):
    settings, message = BAD[case]
    with pytest.raises(ModelError, match=message):
        lrlab.sweep([1e-2], **{"model": mlp, "data": digits, "epochs": 1, "progress": False, **settings})


def test_a_custom_sweep_on_a_dask_cluster_equals_the_one_here(digits):
    distributed = pytest.importorskip("distributed")
    here = lrlab.sweep([1e-3, 1e-2], model=mlp, data=digits, epochs=1, progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True) as cluster, \
            distributed.Client(cluster) as client:
        there = lrlab.sweep([1e-3, 1e-2], model=mlp, data=digits, epochs=1, progress=False,
                            executor=client.get_executor())
    for a, b in zip(here.runs, there.runs):
        assert a.losses == pytest.approx(b.losses, rel=1e-5)
