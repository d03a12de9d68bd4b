import json
import math
from dataclasses import replace

import numpy as np
import pytest

import lrlab
from lrlab import results, store, sweeps, tuning
from lrlab.config import TrainConfig
from lrlab.paths import cache_root
from lrlab.results import Sweep, verdicts
from lrlab.runs import Run
from lrlab.sweeps import sweep, validate_lrs

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
    monkeypatch.setattr(sweeps, "train_stack", lambda *a, **k: pytest.fail("trained despite a bad list"))
    with pytest.raises(ValueError, match=message):
        sweep(lrs)


def _run(lr, final_loss, diverged=False, optimizer="adam", **settings):
    return Run(config=TrainConfig(lr=lr, optimizer=optimizer, **settings), losses=[2.3, math.inf] if diverged
               else [final_loss], step_lrs=[lr],
               train_loss=[] if diverged else [final_loss], test_loss=[], test_accuracy=[], seconds=1.0,
               samples_per_s=1.0, device="cpu", diverged=diverged)


def test_rule_1_the_final_loss_is_the_last_tenth_of_the_steps_and_at_least_1600_images():
    def final(n, batch_size, diverged=False):
        return replace(_run(1e-3, 0.0, batch_size=batch_size), losses=[float(i) for i in range(n)],
                       diverged=diverged).final_loss

    assert final(1000, 32) == pytest.approx(949.5)  # the last 100 steps
    assert final(200, 32) == pytest.approx(174.5)  # the last 50 steps: 1,600 images at batch 32
    assert final(40, 512) == pytest.approx(37.5)  # the last 4: a tenth, as for batch 32 (1,600 images are 4 steps)
    assert final(20, 32) == pytest.approx(9.5) and final(40, 512, diverged=True) == math.inf  # all of a short run


def test_verdicts_follow_the_documented_rules():
    runs = [_run(1e-4, 0.30), _run(1e-3, 0.05), _run(3e-3, 0.09), _run(1e-2, 0.20), _run(1.0, 0, diverged=True),
            _run(1e-1, 0.5, optimizer="sgd")]
    assert verdicts(runs) == ["too-low", "good", "good", "too-high", "diverged", "good"]


def test_verdict_rule_3_good_is_within_twice_the_best_rates_mean_not_the_luckiest_run():
    """Seeds at 1e-3 end at 0.05 and 0.15 (mean 0.10, the best rate); 1e-2 has the luckiest single run (0.04) but a
    worse mean. A run at 3e-3 ending at 0.18 is good: within 2x of the best mean (0.20), though not of 0.04."""
    runs = [_run(1e-3, 0.05), _run(1e-3, 0.15, seed=1), _run(1e-2, 0.04), _run(1e-2, 0.30, seed=1),
            _run(3e-3, 0.18), _run(1e-4, 0.21)]
    assert verdicts(runs) == ["good", "good", "good", "too-high", "good", "too-low"]


def test_verdicts_compare_like_with_like_every_setting_but_the_rate_and_the_seed():
    """A sweep that mixes budgets and batch sizes: each run is judged against its own budget and batch size only."""
    runs = [_run(1e-3, 0.05, epochs=4), _run(3e-3, 0.04, epochs=4),  # the long budget reaches lower losses
            _run(1e-3, 0.20, epochs=1), _run(3e-3, 0.15, epochs=1),  # the short one: best at 3e-3 for its budget
            _run(1e-3, 0.30, batch_size=512, seed=1), _run(1e-2, 0.12, batch_size=512, seed=2, test_every=1)]
    assert verdicts(runs) == ["good", "good", "good", "good", "too-low", "good"]


def test_sweep_runs_every_lr_and_seed_and_goes_on_after_a_divergence():
    result = sweep([1e-3, 1e-2, 50.0], seeds=(0, 1), **SMALL)
    assert [(r.lr, r.seed) for r in result.runs] == [(1e-3, 0), (1e-3, 1), (1e-2, 0), (1e-2, 1), (50.0, 0),
                                                      (50.0, 1)]
    assert [r.verdict for r in result.runs][-2:] == ["diverged", "diverged"]
    assert all(not r.diverged for r in result.runs[:4])
    rows = result.table().rows
    assert rows[0].keys() == {"optimizer", "lr", "seed", "final train loss", "validation accuracy", "seconds",
                              "verdict"}
    assert "diverged" in str(result.table()) and "<table" in result.table()._repr_html_()
    assert [row["lr"] for row in rows[::2]] == ["1.0e-03", "1.0e-02", "5.0e+01"]  # one LR format
    assert rows[0]["validation accuracy"].endswith(" %") and rows[-1]["validation accuracy"] == "-"
    assert "padding" in result.table()._repr_html_()


def test_an_interrupted_sweep_resumes_with_its_finished_runs(monkeypatch):
    real_train, calls = sweeps.train_stack, []

    def train_then_interrupt(configs, **kwargs):
        calls.append([c.lr for c in configs])
        if len(calls) == 2:
            raise KeyboardInterrupt  # the student pressed stop during the second run
        return real_train(configs, **kwargs)

    monkeypatch.setattr(sweeps, "train_stack", train_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        sweep([1e-3, 1e-2, 1e-1], stack=1, **SMALL)
    assert len(list(cache_root().glob("*.json"))) == 1 and not list(cache_root().glob("*.part"))
    calls.clear()
    monkeypatch.setattr(sweeps, "train_stack", lambda configs, **kw: calls.append([c.lr for c in configs])
                        or real_train(configs, **kw))
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


def test_cache_is_keyed_by_config_and_can_be_turned_off(trained):
    sweep([1e-3], **SMALL)
    sweep([1e-3], seeds=(1,), **SMALL)
    assert len(list(cache_root().glob("*.json"))) == 2
    trained.clear()
    sweep([1e-3], **SMALL)
    assert trained == []  # served from the cache
    sweep([1e-3], cache=False, **SMALL)
    assert len(trained) == 1  # cache=False recomputes


def test_cache_key_changes_with_the_config_the_device_and_the_training_code(monkeypatch):
    config = TrainConfig(lr=1e-3)
    key = store.run_key(config, "cpu")
    assert key == store.run_key(TrainConfig(lr=1e-3), "cpu")
    assert key != store.run_key(TrainConfig(lr=1e-3, seed=1), "cpu") != store.run_key(config, "cuda")
    monkeypatch.setattr(store, "code_fingerprint", lambda files=None: "edited training loop")
    assert store.run_key(config, "cpu") != key


def _package_copy(folder, edit):
    """lrlab's training modules copied to `folder`, with model.py passed through `edit`."""
    folder.mkdir()
    for name in store.TRAINING_CODE:
        text = (store.PACKAGE_DIR / name).read_text()
        (folder / name).write_text(edit(text) if name == "model.py" else text)
    return folder


def test_a_docstring_or_comment_edit_keeps_the_run_cache_warm_and_a_code_edit_does_not(tmp_path, monkeypatch,
                                                                                       request, trained):
    request.addfinalizer(store.code_fingerprint.cache_clear)  # after monkeypatch restored lrlab's own folder
    sweep([1e-3], **SMALL)
    trained.clear()

    def reword(text):
        text = text.replace('"""The seed\'s small CNN', '"""The small CNN of the seed (reworded)', 1)
        return text.replace("# 28x28 -> 28x28", "# 28 x 28 stays 28 x 28, a comment edited", 1)

    edited = _package_copy(tmp_path / "reworded", reword)
    assert (edited / "model.py").read_text() != (store.PACKAGE_DIR / "model.py").read_text()
    monkeypatch.setattr(store, "PACKAGE_DIR", edited)
    store.code_fingerprint.cache_clear()
    sweep([1e-3], **SMALL)
    assert trained == []  # every key kept: served from the cache
    changed = _package_copy(tmp_path / "changed", lambda text: text.replace("32 * 7 * 7, 128", "32 * 7 + 7, 128"))
    monkeypatch.setattr(store, "PACKAGE_DIR", changed)
    store.code_fingerprint.cache_clear()
    assert store.run_key(TrainConfig(lr=1e-3, **{k: v for k, v in SMALL.items() if k != "progress"}), "cpu") \
        not in {path.stem for path in cache_root().glob("*.json")}  # an operator changed: a new key


def test_a_config_asked_for_twice_is_trained_once(trained):
    config = TrainConfig(lr=1e-3, epochs=1, train_size=320, test_size=100)
    result = sweeps.sweep_configs([config, config], cache=False, progress=False)
    assert len(trained) == 1 and len(result.runs) == 2 and result.runs[0].losses == result.runs[1].losses


def test_at_finds_exactly_one_run_or_says_what_the_sweep_has():
    result = sweep([1e-3, 1e-2], seeds=(0, 1), **SMALL)
    assert result.at("1e-3", seed=1).seed == 1 and result.at(1e-2, seed=0).lr == 1e-2
    with pytest.raises(LookupError, match="2 runs match lr=0.001"):
        result.at(1e-3)
    with pytest.raises(LookupError, match="0 runs match lr=0.1, seed=0; the sweep has lrs 0.001, 0.01"):
        result.at(0.1, seed=0)
    assert list(result.split("seed")) == [0, 1] and result.split("seed")[1].runs[0].seed == 1


def _labelled(runs):
    return Sweep([replace(run, verdict=v) for run, v in zip(runs, verdicts(runs))])


def _seeded(lr, final_loss, seed, accuracy=0.9, diverged=False, optimizer="adam", test=None):
    """A run with this validation accuracy; its test accuracy (only ever reported) 0.01 lower unless given."""
    run = _run(lr, final_loss, diverged, optimizer)
    return replace(run, config=replace(run.config, seed=seed), validation_accuracy=[] if diverged else [accuracy],
                   test_accuracy=[] if diverged else [accuracy - 0.01 if test is None else test])


def test_the_questions_a_chapter_asks_of_a_sweep():
    """where / best_run / best_lr / best_lrs / good_region / first_diverged, against a sweep made by hand."""
    result = _labelled([
        _seeded(1e-4, 0.30, 0), _seeded(1e-4, 0.34, 1, accuracy=0.80),
        _seeded(1e-3, 0.05, 0, accuracy=0.97), _seeded(1e-3, 0.07, 1, accuracy=0.99),
        _seeded(1e-2, 0.07, 0, accuracy=0.98), _seeded(1e-2, 0.04, 1, accuracy=0.96),
        _seeded(1e-1, 0, 0, diverged=True), _seeded(1e-1, 0.9, 1), _seeded(1.0, 0, 0, diverged=True),
        _seeded(1.0, 0, 1, diverged=True), _seeded(0.1, 0.2, 0, optimizer="sgd"), _seeded(1.0, 0.1, 0, optimizer="sgd"),
    ])
    adam = result.where(optimizer="adam")
    assert len(adam.runs) == 10 and result.where(lr="1e-3", seed=1).runs == [result.runs[3]]
    assert adam.best_run().lr == 1e-2 and adam.best_run().seed == 1  # the lowest single final loss, 0.04
    assert adam.best_run(by="accuracy").final_validation_accuracy == 0.99
    assert adam.best_lr() == 1e-2  # by the mean over its seeds: 0.055, against 0.06 at 1e-3
    assert result.best_lrs("optimizer") == {"adam": adam.best_lr(), "sgd": 1.0}
    assert adam.good_region() == (1e-3, 1e-2) and adam.in_good_region(3e-3) and not adam.in_good_region(1e-1)
    assert adam.first_diverged() == 1.0 and adam.first_diverged(every=False) == 1e-1
    assert adam.summary(1e-4).spread == pytest.approx(0.10)  # the seeds' validation accuracies, 0.9 and 0.8
    with pytest.raises(LookupError):
        adam.summary(3e-3)


def test_an_optimizer_from_a_package_keys_its_runs_by_that_packages_version_too(monkeypatch):
    keys = {name: store.run_key(TrainConfig(optimizer=name), "cpu") for name in ("adam", "prodigy")}
    real = store.package_versions
    monkeypatch.setattr(store, "package_versions", lambda names: {**real(names), **(
        {"prodigyopt": "9.9"} if "prodigyopt" in names else {})})
    assert store.run_key(TrainConfig(optimizer="adam"), "cpu") == keys["adam"]  # Adam does not depend on it
    assert store.run_key(TrainConfig(optimizer="prodigy"), "cpu") != keys["prodigy"]


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_the_expected_best_of_k_equals_the_mean_over_every_draw_of_k(k):
    """The oracle: enumerate every k-subset of the values and average its best."""
    import itertools

    values = [0.91, 0.1, 0.97, 0.95, 0.1, 0.88, 0.99]
    draws = list(itertools.combinations(values, k))
    assert tuning.expected_best_of(values, k) == pytest.approx(sum(map(max, draws)) / len(draws))
    with pytest.raises(ValueError, match="between 1 and the 7 values"):
        tuning.expected_best_of(values, 8)


def test_best_of_k_reads_one_seeds_runs_and_counts_a_diverged_run_as_guessing():
    result = Sweep([_seeded(1e-3, 0.1, 0, accuracy=0.98), _seeded(1e-2, 0.2, 0, accuracy=0.96),
                    _seeded(1.0, 0, 0, diverged=True), _seeded(1e-3, 0.1, 1, accuracy=0.5)])
    assert tuning.best_of(result, 3, seed=0) == pytest.approx(0.97)  # chosen on validation (0.98), its test
    assert tuning.best_of(result, 1, seed=0) == pytest.approx((0.97 + 0.95 + tuning.CHANCE_ACCURACY) / 3)
    assert tuning.best_of(result, 1, seed=1) == pytest.approx(0.49)
    with pytest.raises(LookupError, match="no run with seed=4"):
        tuning.best_of(result, 1, seed=4)
    assert len((result + result).runs) == 8
    peek = Sweep([_seeded(1e-3, 0.1, 0, accuracy=0.90, test=0.99), _seeded(1e-2, 0.2, 0, accuracy=0.97, test=0.95)])
    assert tuning.best_of(peek, 2, seed=0) == pytest.approx(0.95)  # the validation chooses, the test only reports


def test_the_settled_rate_is_the_median_step_size_of_the_last_epoch():
    run = replace(_run(1.0, 0.1), step_lrs=[1e-6, 1e-5, 2e-3, 3e-3, 1e-3], steps_per_epoch=3)
    assert tuning.settled_lr(run) == 2e-3 and tuning.settled_lrs(Sweep([run, run])) == [2e-3, 2e-3]


def test_a_sweep_glues_its_numbers_for_the_text_and_a_sweep_without_them_says_so(capsys, monkeypatch):
    from lrlab import claims

    monkeypatch.setattr("myst_nb.glue", lambda *args, **kwargs: None, raising=False)
    result = _labelled([_seeded(1e-3, 0.10, 0, accuracy=0.97), _seeded(1e-3, 0.12, 1, accuracy=0.99),
                        _seeded(1e-2, 0.15, 0, accuracy=0.95), _seeded(1e-2, 0.18, 1, accuracy=0.9),
                        _seeded(1.0, 0, 0, diverged=True), _seeded(1.0, 0, 1, diverged=True)])
    names = claims.glue_sweep("t", result)
    glued = {name: claims._GLUED[name] for name in names}
    assert glued["t_best_lr"] == "1.0e-03" and glued["t_best_loss"] == "0.1100"
    assert glued["t_best_acc"] == "98.00 %" and glued["t_best_acc_range"] == "97.00 – 99.00 %"
    assert glued["t_good"] == "1.0e-03 to 1.0e-02" and glued["t_good_width"] == "1.0"
    assert glued["t_first_diverged"] == "1.0e+00" and glued["t_0.01_acc"] == "92.50 %"
    assert glued["t_1_acc"] == "(not in your runs)"  # every seed diverged there
    lost = Sweep([replace(run, verdict="diverged") for run in result.where(lr=1.0).runs])
    lrlab.glue("u", lost)
    assert claims._GLUED["u_best_acc"] == claims._GLUED["u_good"] == "(not in your runs)"


def test_the_edge_of_training_a_run_that_stalls_has_not_trained_and_nor_has_one_that_diverged():
    result = _labelled([_seeded(1e-3, 0.3, 0), _seeded(1e-2, 0.1, 0), _seeded(3e-2, 0.8, 0), _seeded(0.1, 2.3, 0),
                        _seeded(0.3, 0, 0, diverged=True)])
    assert [results.trains(run, 1.0) for run in result.runs] == [True, True, True, False, False]
    assert result.largest_trainable(1.0) == 3e-2 and result.largest_trainable(0.5) == 1e-2
    assert result.first_untrainable(1.0) == 0.1 and result.first_untrainable(0.5) == 3e-2
    assert result.largest_trainable(0.01) is None and Sweep(result.runs[:2]).first_untrainable(1.0) is None


def test_the_best_run_and_the_best_rate_differ_and_every_view_shows_the_best_rate():
    """One lucky seed at 1e-2 makes the best single run; 1e-3 has the best mean (rule 4). The table, the cheat-sheet
    figure, the U-curve figure, the explorer and the glued text all name 1e-3 and read one mean per rate."""
    import matplotlib

    matplotlib.use("Agg")
    from lrlab import claims
    from lrlab.plot import explorers, versus

    result = _labelled([_seeded(1e-3, 0.05, 0, accuracy=0.97), _seeded(1e-3, 0.07, 1, accuracy=0.96),
                        _seeded(1e-2, 0.03, 0, accuracy=0.98), _seeded(1e-2, 0.20, 1, accuracy=0.90),
                        _seeded(1.0, 0, 0, diverged=True), _seeded(1.0, 0.9, 1, accuracy=0.5)])
    assert result.best_run().lr == 1e-2 and result.best_lr() == 1e-3
    assert result.best_table().rows[0]["best lr"] == "1.0e-03"
    assert result.best_table().rows[0]["mean final train loss"] == "0.0600"
    dot = next(line for line in versus.good_regions(result).axes[0].lines if line.get_marker() == "o")
    assert dot.get_xdata()[0] == 1e-3
    means = [rate.loss for rate in result.summaries()]  # 1.0: the mean of its one finished seed, 0.9 (rule 2)
    assert means == pytest.approx([0.06, 0.115, 0.9])
    curve = versus.final_loss_vs_lr(result).axes[0].lines[0]
    assert list(curve.get_ydata()) == pytest.approx(means)
    rows = explorers._rate_rows("", result, {lr: i for i, lr in enumerate(result.lrs)})  # the explorer's rows
    assert [row["loss"] for row in rows] == pytest.approx(means)
    assert [row["diverged"] for row in rows] == [False, False, True]
    assert [row["mean final train loss"] for row in result.lr_table().rows] == ["0.0600", "0.1150", "0.9000"]
    lrlab.glue("v", result)
    assert claims._GLUED["v_best_lr"] == "1.0e-03" and claims._GLUED["v_best_loss"] == "0.0600"
    assert claims._GLUED["v_1_loss"] == "0.9000"


def test_the_chosen_rate_is_chosen_on_validation_and_reported_on_test():
    """Rule 8: 1e-2 has the best mean validation accuracy although 1e-3 has the lower training loss (rule 4) and the
    better test accuracy; the table names each and reports the chosen rate's test accuracy, never choosing on it."""
    result = _labelled([_seeded(1e-3, 0.05, 0, accuracy=0.96, test=0.99), _seeded(1e-3, 0.06, 1, accuracy=0.96,
                        test=0.99), _seeded(1e-2, 0.09, 0, accuracy=0.98, test=0.97),
                        _seeded(1e-2, 0.08, 1, accuracy=0.97, test=0.96), _seeded(1.0, 0, 0, diverged=True),
                        _seeded(1.0, 0.1, 1, accuracy=0.99)])
    assert result.best_lr() == 1e-3 and result.chosen_lr() == 1e-2  # 1.0 has a diverged seed: never chosen
    assert result.summary(1e-2).accuracy == pytest.approx(0.975) and result.summary(1e-2).test == pytest.approx(0.965)
    row = result.best_table().rows[0]
    assert (row["best lr"], row["chosen lr (validation)"], row["its test accuracy"]) == ("1.0e-03", "1.0e-02",
                                                                                       "96.50 %")
    assert result.lr_table().rows[1]["mean validation accuracy (range)"] == "97.50 % (97.00 % – 98.00 %)"


def test_a_rate_where_a_seed_diverged_is_not_the_best_while_another_rate_is_safe():
    """Rule 4: 1e-2's finished seed has the lowest loss, but its other seed diverged."""
    result = _labelled([_seeded(1e-3, 0.05, 0), _seeded(1e-3, 0.07, 1), _seeded(1e-2, 0.01, 0),
                        _seeded(1e-2, 0, 1, diverged=True)])
    assert result.best_lr() == 1e-3 and result.summary(1e-2).diverged == 1 and result.summary(1e-2).loss == 0.01
    everything_diverged = _labelled([_seeded(1.0, 0, 0, diverged=True)])
    assert everything_diverged.best_lr() == 1.0 and everything_diverged.summary(1.0).loss == np.inf


def test_table_of_columns_formats_rates_counts_numbers_and_missing_values_and_refuses_ragged_columns():
    from lrlab import Table

    table = Table.of({"lr": [1e-3, 3e-2], "runs": [3, 1200], "loss": [0.04123, float("nan")], "share": [0.5, None],
                      "ok": [False, float("inf")],
                      "what": ["a", "b"]}, formats={"share": "{:.0%}"})
    assert table.rows == [{"lr": "1.0e-03", "runs": "3", "loss": "0.0412", "share": "50%", "ok": "no", "what": "a"},
                          {"lr": "3.0e-02", "runs": "1,200", "loss": "-", "share": "-", "ok": "-", "what": "b"}]
    assert Table.of({"best lr": {2e-3: "x"}, "ok": [True], "test accuracy": [0.9725]}).rows == [
        {"best lr": "2.0e-03", "ok": "yes", "test accuracy": "97.25 %"}]
    with pytest.raises(ValueError, match="different lengths"):
        Table.of({"lr": [1e-3, 1e-2], "loss": [0.1]})
    page = Table([{"good region": "1.0e-03 – 1.0e-02", "lr": "3.2e-03", "note": "a long note – of text"}])._repr_html_()
    nowrap = '<span style="white-space:nowrap">'  # a range breaks only around its dash, never inside a rate
    assert f"{nowrap}1.0e-03</span> – {nowrap}1.0e-02</span>" in page and "white-space:nowrap\">3.2e-03" in page
    assert "a long note – of text" in page  # longer parts wrap as text does


def test_rule_9_the_first_step_shock_and_pairs_of_runs_that_take_the_same_first_step():
    from lrlab import first_step_shock, same_first_step

    def run(lr, after, optimizer="adam", seed=0):
        made = _seeded(lr, 0.1, seed, optimizer=optimizer)
        return replace(made, losses=[2.3, after, 0.1])

    assert first_step_shock(run(1e-3, 23.0)) == pytest.approx(10.0)
    assert math.isnan(first_step_shock(replace(run(1e-3, 1.0), losses=[2.3])))
    adam = Sweep([run(1e-3, 2.0), run(1e-2, 30.0), run(1e-2, 31.0, seed=1)])
    rmsprop = Sweep([run(1e-4, 2.001, "rmsprop"), run(1e-3, 30.0, "rmsprop"), run(1e-3, 40.0, "rmsprop", seed=2)])
    checks = same_first_step(rmsprop, adam, scale=10)  # seed 2 has no partner: two pairs
    assert [bool(check) for check in checks] == [True, True]
    assert not all(same_first_step(Sweep([run(1e-3, 40.0, "rmsprop", seed=1)]), adam, scale=10))  # 40 against 31
    assert [bool(check) for check in same_first_step(rmsprop, adam)] == [False]  # the same rate: 30 against 2
    assert same_first_step(rmsprop, Sweep(adam.runs[1:])) == []  # no Adam run at the same rate and seed
