import numpy as np

from lrlab.rangetest import lr_range_test, plot_range_test


def test_range_test_ramps_exponentially_and_suggests_a_decade_below_the_minimum():
    test = lr_range_test(optimizer="adam", start_lr=1e-6, end_lr=10, steps=120, progress=False)
    ratios = np.array(test.lrs[1:]) / np.array(test.lrs[:-1])
    np.testing.assert_allclose(ratios, (10 / 1e-6) ** (1 / 120), rtol=1e-9)
    assert test.lrs[0] == 1e-6
    assert test.suggestion == test.min_loss_lr / 10
    assert test.smoothed[test.lrs.index(test.min_loss_lr)] == min(test.smoothed)
    assert 1e-4 < test.min_loss_lr < 1  # the loss must have fallen somewhere in between, on real MNIST
    assert min(test.smoothed) < 0.9 * test.smoothed[0]
    assert plot_range_test([test]).axes


def test_range_test_stops_once_the_loss_explodes():
    test = lr_range_test(optimizer="sgd", start_lr=1e-2, end_lr=1e4, steps=200, progress=False)
    assert len(test.lrs) < 200 and test.lrs[-1] < 1e4


def test_range_test_figure_states_its_batch_size():
    test = lr_range_test(optimizer="adam", steps=30, batch_size=16, progress=False)
    assert test.batch_size == 16
    assert any("batch 16" in t.get_text() for t in plot_range_test([test]).texts)
