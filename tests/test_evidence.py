"""lrlab.evidence: the checks a claim rests on, one test per numbered rule of its docstring, and what a claim does
with them (prints the numbers, reports the margin, names the deciding number in a failed build)."""

import json
import math

import pytest

import lrlab
from lrlab.claims import ClaimError, claim
from lrlab.evidence import Check, above, below, between, every, seed_count


def test_rule_1_a_check_is_true_exactly_when_its_comparison_is():
    assert below(1, 2) and not below(2, 2) and below(2, 2, strict=False)
    assert above(3, 2) and not above(2, 2) and above(2, 2, strict=False)
    assert between(0.9, 0.8, 1.5) and not between(1.66, 0.8, 1.5)
    with pytest.raises(ValueError, match="op="):
        Check(1, "==", 1)


def test_rule_2_the_margin_is_the_distance_to_the_bound_in_spreads_or_relative():
    assert below(0.09, 0.10, noise=0.005).margin == pytest.approx(2.0)
    assert below(0.09, 0.10, noise=0.005).unit == "spreads"
    assert above(0.09, 0.10, noise=0.005).margin == pytest.approx(-2.0)
    assert above(4.0, 2.0).margin == pytest.approx(1.0) and above(4.0, 2.0).unit == "relative"
    assert below(1.0, 2.0, noise=0.0).unit == "relative"  # no spread (one seed): relative to the bound
    assert below(math.inf, 2.0).margin == -math.inf and not below(math.nan, 2.0)


def test_rule_2_means_of_seeds_are_compared_in_units_of_their_larger_range():
    check = lrlab.mean_below([0.10, 0.12, 0.11], [0.20, 0.16, 0.18])
    assert check and check.value == pytest.approx(0.11) and check.bound == pytest.approx(0.18)
    assert check.noise == pytest.approx(0.04) and check.margin == pytest.approx(1.75)
    assert not lrlab.mean_above([0.10, 0.12], [0.2]) and lrlab.mean_above([3.0], [2.0]).unit == "relative"
    with pytest.raises(ValueError, match="no values"):
        lrlab.mean_below([], [1.0])


def test_mean_near_is_the_difference_of_the_means_against_a_tolerance():
    check = lrlab.mean_near([0.975, 0.973], [0.972, 0.976], 0.005)
    assert check and check.value == pytest.approx(0.0) and check.noise == pytest.approx(0.004)
    assert not lrlab.mean_near([0.98], [0.97], 0.005)


def test_rule_3_a_seed_count_reports_the_seeds_to_spare():
    check = seed_count(3, 2, of=3, what="seeds trained")
    assert check and check.margin == 1 and check.unit == "seeds" and "3 of 3" in str(check)
    assert not seed_count(1, 2, of=3)
    with pytest.raises(ValueError, match="between 0 and of"):
        seed_count(4, 2, of=3)


def test_rule_3_every_run_and_most_runs_count_flags():
    assert lrlab.every_run([True, True, True]).margin == 0 and not lrlab.every_run([True, False])
    assert lrlab.most_runs([True, True, False]) and lrlab.most_runs([True, True, False]).margin == 0
    assert lrlab.most_runs([True] * 5).margin == 2 and not lrlab.most_runs([True, False])
    with pytest.raises(ValueError):
        lrlab.every_run([])


def test_rule_4_every_is_the_failing_check_or_else_the_weakest():
    strong, weak, failing = below(1, 10), below(9, 10), below(11, 10)
    assert every([strong, weak]) is weak
    assert every([strong, failing, weak]) is failing and not every([strong, failing])
    assert every(below(x, 10) for x in (1, 2, 3)).value == 3
    thin_count, wide_spread = lrlab.every_run([True]), below(0.1, 0.5, noise=0.1)  # 0 seeds to spare, 4 spreads
    assert every([thin_count, wide_spread, below(1, 10)]) is wide_spread  # spreads tell most, then relative
    with pytest.raises(ValueError, match="no checks"):
        every([])


@pytest.fixture
def chapter(tmp_path, monkeypatch):
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["[It hovers near 2/eta]{.claim #hv}"]}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "toy.ipynb").write_text(json.dumps(notebook))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_failed_strict_claim_names_the_number_that_decided_it(chapter, monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    with pytest.raises(ClaimError, match=r"largest ratio: 1\.66 <= 1\.5 \(margin -0\.11 relative\)"):
        claim("hv", lrlab.below(1.66, 1.5, what="largest ratio", strict=False))


def test_a_claim_prints_its_numbers_and_a_list_of_checks_means_every_one(chapter, capsys):
    claim("hv", [lrlab.between(0.94, 0.8, 1.5, what="smallest"), lrlab.between(1.3, 0.8, 1.5, what="largest")])
    assert "✓ It hovers near 2/eta (largest: 1.3 <= 1.5 (margin 0.13 relative)): checked" in capsys.readouterr().out


def test_every_claim_is_recorded_with_its_margin_where_the_numerics_check_asks(chapter, tmp_path, monkeypatch):
    report = tmp_path / "claims.jsonl"
    monkeypatch.setenv("LRLAB_CLAIM_REPORT", str(report))
    claim("hv", lrlab.seed_count(2, 2, of=3, what="seeds trained"))
    claim("hv", False, evidence="one number")
    first, second = [json.loads(line) for line in report.read_text().splitlines()]
    assert first == {"chapter": "toy", "key": "hv", "holds": True, "margin": 0, "unit": "seeds",
                     "numbers": "seeds trained (2 of 3): 2 >= 2 (0 to spare)"}
    assert second["holds"] is False and second["margin"] is None and second["numbers"] == "one number"


def test_overlap_is_measured_in_the_larger_range():
    assert lrlab.overlap([97.0, 97.6], [97.4, 98.2]).margin == pytest.approx(0.2 / 0.8)
    assert not lrlab.overlap([97.0, 97.2], [97.4, 98.2]) and lrlab.overlap([1.0], [1.0])


def test_in_the_numerics_report_mode_a_false_claim_is_recorded_and_the_build_goes_on(chapter, tmp_path, monkeypatch,
                                                                                      capsys):
    report = tmp_path / "claims.jsonl"
    monkeypatch.setenv("LRLAB_CLAIM_REPORT", str(report))
    monkeypatch.setenv("LRLAB_CLAIMS", "report")
    claim("hv", lrlab.below(1.66, 1.5))
    assert "Note: the text says “It hovers near 2/eta”" in capsys.readouterr().out
    assert json.loads(report.read_text())["holds"] is False
