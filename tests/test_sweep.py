import json

import numpy as np
import pytest

from lrlab import store, sweeps
from lrlab.config import TrainConfig
from lrlab.paths import cache_root
from lrlab.runs import Run
from lrlab.sweeps import sweep, validate_lrs, verdicts

SMALL = dict(epochs=1, train_size=640, test_size=300, progress=False)


def test_lr_lists_are_parsed():
    assert validate_lrs([1e-4, "1e-3", np.float32(0.01), 1]) == [1e-4, 1e-3, float(np.float32(0.01)), 1.0]
    assert validate_lrs(np.logspace(-3, -1, 3)) == pytest.approx([1e-3, 1e-2, 1e-1])


@pytest.mark.parametrize("lrs, message", [
    ([], "empty"),
    (1e-3, "must be a list"),
    ("1e-3", "must be a list"),
    ([1e-3, "fast"], r"#2 'fast' is not a number"),
    ([1e-3, None], r"#2 None is not a real number"),
    ([True], r"#1 True is not a real number"),
    ([1e-3, 0], r"#2 0 must be finite and greater than 0"),
    ([-1e-3], r"#1 -0.001 must be finite"),
    ([float("nan")], r"#1 nan must be finite"),
    ([float("inf")], r"#1 inf must be finite"),
    ([1e-3, 1e-2, "1e-3"], r"#3 \('1e-3'\) repeats #1"),
])
def test_bad_lr_lists_raise_a_clear_error_before_anything_runs(lrs, message, monkeypatch):
    monkeypatch.setattr(sweeps, "fit", lambda *a, **k: pytest.fail("trained despite a bad list"))
    with pytest.raises(ValueError, match=message):
        sweep(lrs)


def _run(lr, final_loss, diverged=False, optimizer="adam"):
    return Run(config=TrainConfig(lr=lr, optimizer=optimizer), losses=[2.3], step_lrs=[lr],
               train_loss=[] if diverged else [final_loss], test_loss=[], test_accuracy=[], seconds=1.0,
               samples_per_s=1.0, device="cpu", diverged=diverged)


def test_verdicts_follow_the_documented_rules():
    runs = [_run(1e-4, 0.30), _run(1e-3, 0.05), _run(3e-3, 0.09), _run(1e-2, 0.20), _run(1.0, 0, diverged=True),
            _run(1e-1, 0.5, optimizer="sgd")]
    assert verdicts(runs) == ["too-low", "good", "good", "too-high", "diverged", "good"]


def test_sweep_runs_every_lr_and_seed_and_goes_on_after_a_divergence():
    result = sweep([1e-3, 1e-2, 50.0], seeds=(0, 1), **SMALL)
    assert [(r.lr, r.seed) for r in result.runs] == [(1e-3, 0), (1e-3, 1), (1e-2, 0), (1e-2, 1), (50.0, 0),
                                                      (50.0, 1)]
    assert [r.verdict for r in result.runs][-2:] == ["diverged", "diverged"]
    assert all(not r.diverged for r in result.runs[:4])
    rows = result.table().rows
    assert rows[0].keys() == {"optimizer", "lr", "seed", "final train loss", "test accuracy", "seconds", "verdict"}
    assert "diverged" in str(result.table()) and "<table" in result.table()._repr_html_()
    assert [row["lr"] for row in rows[::2]] == ["1.0e-03", "1.0e-02", "5.0e+01"]  # one LR format
    assert rows[0]["test accuracy"].endswith(" %") and rows[-1]["test accuracy"] == "-"
    assert "padding" in result.table()._repr_html_()


def test_an_interrupted_sweep_resumes_with_its_finished_runs(monkeypatch):
    real_fit, calls = sweeps.fit, []

    def fit_then_interrupt(configs, **kwargs):
        calls.append([c.lr for c in configs])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the student pressed stop during the second run
        return real_fit(configs, **kwargs)

    monkeypatch.setattr(sweeps, "fit", fit_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        sweep([1e-3, 1e-2, 1e-1], stack=1, **SMALL)
    assert len(list(cache_root().glob("*.json"))) == 1 and not list(cache_root().glob("*.part"))
    calls.clear()
    monkeypatch.setattr(sweeps, "fit", lambda configs, **kw: calls.append([c.lr for c in configs])
                        or real_fit(configs, **kw))
    result = sweep([1e-3, 1e-2, 1e-1], stack=1, **SMALL)
    assert calls == [[1e-2], [1e-1]]  # the finished 1e-3 run came from the cache
    assert [r.lr for r in result.runs] == [1e-3, 1e-2, 1e-1]


def test_a_corrupt_or_altered_cache_entry_is_recomputed(monkeypatch):
    first = sweep([1e-3], **SMALL).runs[0]
    (entry,) = cache_root().glob("*.json")
    data = json.loads(entry.read_text())
    data["run"]["test_accuracy"] = [1.0]  # altered: the checksum no longer matches
    entry.write_text(json.dumps(data))
    assert store.load(entry.stem) is None
    entry.write_text(entry.read_text()[:100])  # truncated
    assert store.load(entry.stem) is None
    again = sweep([1e-3], **SMALL).runs[0]
    assert again.losses == first.losses and store.load(entry.stem) is not None


def test_cache_is_keyed_by_config_and_can_be_turned_off(monkeypatch):
    sweep([1e-3], **SMALL)
    sweep([1e-3], seeds=(1,), **SMALL)
    assert len(list(cache_root().glob("*.json"))) == 2
    real_fit, calls = sweeps.fit, []
    monkeypatch.setattr(sweeps, "fit", lambda configs, **kw: calls.append(1) or real_fit(configs, **kw))
    sweep([1e-3], **SMALL)
    assert calls == []  # served from the cache
    sweep([1e-3], cache=False, **SMALL)
    assert calls == [1]  # cache=False recomputes


def test_cache_key_changes_with_the_config_the_device_and_the_training_code(monkeypatch):
    config = TrainConfig(lr=1e-3)
    key = store.run_key(config, "cpu")
    assert key == store.run_key(TrainConfig(lr=1e-3), "cpu")
    assert key != store.run_key(TrainConfig(lr=1e-3, seed=1), "cpu") != store.run_key(config, "cuda")
    monkeypatch.setattr(store, "code_fingerprint", lambda files=None: "edited training loop")
    assert store.run_key(config, "cpu") != key


def test_a_config_asked_for_twice_is_trained_once(monkeypatch):
    real_fit, trained = sweeps.fit, []
    monkeypatch.setattr(sweeps, "fit", lambda configs, **kw: trained.extend(configs) or real_fit(configs, **kw))
    config = TrainConfig(lr=1e-3, epochs=1, train_size=320, test_size=100)
    result = sweeps.run_configs([config, config], cache=False, progress=False)
    assert len(trained) == 1 and len(result.runs) == 2 and result.runs[0].losses == result.runs[1].losses


def test_run_finds_exactly_one_run_or_says_what_the_sweep_has():
    result = sweep([1e-3, 1e-2], seeds=(0, 1), **SMALL)
    assert result.run("1e-3", seed=1).seed == 1 and result.run(1e-2, seed=0).lr == 1e-2
    with pytest.raises(LookupError, match="2 runs match lr=0.001"):
        result.run(1e-3)
    with pytest.raises(LookupError, match="0 runs match lr=0.1.*the sweep has lrs 0.001, 0.01"):
        result.run(0.1, seed=0)
    assert result.best_by("seed")[1].seed == 1
