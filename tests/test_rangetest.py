import numpy as np
import pytest

from lrlab import plot
from lrlab.rangetest import RangeHistory, lr_range_test, stop_reason


def test_range_test_ramps_exponentially_and_suggests_a_decade_below_the_minimum():
    test = lr_range_test(optimizer="adam", start_lr=1e-6, end_lr=10, steps=120, progress=False)
    ratios = np.array(test.lrs[1:]) / np.array(test.lrs[:-1])
    np.testing.assert_allclose(ratios, (10 / 1e-6) ** (1 / 120), rtol=1e-9)
    assert test.lrs[0] == 1e-6
    assert test.suggestion == test.min_loss_lr / 10
    assert test.smoothed[test.lrs.index(test.min_loss_lr)] == min(test.smoothed)
    assert 1e-4 < test.min_loss_lr < 1  # the loss must have fallen somewhere in between, on real MNIST
    assert min(test.smoothed) < 0.9 * test.smoothed[0]
    assert plot.range_test([test]).axes


def test_range_test_stops_once_the_loss_explodes():
    test = lr_range_test(optimizer="sgd", start_lr=1e-2, end_lr=1e4, steps=200, progress=False)
    assert len(test.lrs) < 200 and test.lrs[-1] < 1e4


def test_range_test_figure_states_its_batch_size():
    test = lr_range_test(optimizer="adam", steps=30, batch_size=16, progress=False)
    assert test.batch_size == 16
    assert any("batch 16" in t.get_text() for t in plot.range_test([test]).texts)


def _history(losses):
    history = RangeHistory()
    reasons = []
    for i, loss in enumerate(losses):
        history.append(loss, 1e-3 * 1.1**i)
        reasons.append(stop_reason(history))
    return reasons


def test_stop_rule_3_fires_when_a_network_is_pushed_back_to_guessing():
    """Down from 2.3 to 0.6, then back to a dead network's 2.3: below 4x the minimum (2.4), so rule 2 never
    fires; rule 3 (below 50 % of the start, then back above 90 % of it) does."""
    losses = [2.3] * 20 + list(np.linspace(2.3, 0.6, 100)) + [0.6] * 50 + [2.3] * 300
    reasons = _history(losses)
    first = next(i for i, r in enumerate(reasons) if r)
    assert "climbed back to 90% of its start" in reasons[first] and 170 < first < 470
    assert not any(reasons[:170])


def test_stop_rules_1_and_2():
    assert "non-finite" in _history([2.3, 2.2, float("nan")])[-1]
    assert "passed 4x its minimum" in _history([2.3] * 5 + [0.2] * 200 + [5.0] * 60)[-1]
    assert not any(_history([2.3] * 30))


def test_a_curve_that_never_turns_up_is_flagged():
    test = lr_range_test(optimizer="adam", start_lr=1e-7, end_lr=1e-5, steps=40, progress=False)
    assert not test.turned_up and "ran all 40 planned steps" in test.stop_reason
    assert "never turned up" in plot.range_test([test]).axes[0].get_legend_handles_labels()[1][0]
    assert test.lag_decades == pytest.approx(np.log10(100) / 40 * 50)
