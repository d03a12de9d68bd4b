"""tools/numerics.py (`make numerics`): which numerics it builds under, and the report it writes from the claims
each build recorded. (The builds themselves take an hour: `make numerics` runs them, not the test suite.)"""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("numerics", ROOT / "tools" / "numerics.py")
numerics = importlib.util.module_from_spec(spec)
spec.loader.exec_module(numerics)


def test_three_distinct_numerics_on_any_cpu(monkeypatch):
    monkeypatch.setattr(numerics, "native_capability", lambda: "AVX512")
    assert numerics.chosen_variants(None) == ["native", "avx2", "one-thread"]
    monkeypatch.setattr(numerics, "native_capability", lambda: "AVX2")  # avx2 would be native again
    assert numerics.chosen_variants(None) == ["native", "pre-avx2", "one-thread"]
    assert numerics.chosen_variants(["one-thread"]) == ["one-thread"]
    with pytest.raises(SystemExit, match="unknown variant avx3"):
        numerics.chosen_variants(["avx3"])


def test_native_capability_ignores_a_variants_variables(monkeypatch):
    """Asked inside a variant's environment (ATEN_CPU_CAPABILITY=default), it still reports the CPU's own paths."""
    monkeypatch.delenv("ATEN_CPU_CAPABILITY", raising=False)
    native = numerics.native_capability()
    monkeypatch.setenv("ATEN_CPU_CAPABILITY", "default")
    assert native and numerics.native_capability() == native


def test_each_variant_keeps_its_own_run_cache_and_pages():
    places = {variant: numerics.where(variant) for variant in numerics.VARIANTS}
    assert len({cache for _, cache in places.values()}) == len(places)
    assert len({output for output, _ in places.values()}) == len(places)
    assert places["native"][0] == ROOT  # the native build is the book `make book` publishes


def test_the_report_lists_failures_claims_not_reached_and_the_smallest_margins():
    claim = {"chapter": "warmup", "holds": True, "unit": "seeds", "numbers": "n"}
    results = [
        {"variant": "native", "returncode": 0, "seconds": 60, "claims": [
            {**claim, "key": "a", "margin": 2}, {**claim, "key": "b", "margin": 0.4, "unit": "spreads"}]},
        {"variant": "one-thread", "returncode": 1, "seconds": 120, "claims": [
            {**claim, "key": "a", "margin": 1}, {**claim, "key": "b", "holds": False, "margin": -0.1,
                                                 "unit": "spreads", "numbers": "0.9 < 0.8"}]},
    ]
    text = numerics.summary(results, {"a": "warmup", "b": "warmup", "c": "wsd"})
    assert "| native | FAILED | 1.0 min | 2 of 3 |" in text  # claim c was not reached
    assert "| one-thread | FAILED | 2.0 min | 1 of 3 |" in text
    assert "- one-thread: warmup `b`: 0.9 < 0.8" in text and "- native: wsd `c`: not reached" in text
    assert "| warmup `a` | one-thread | 1.00 seeds | n |" in text  # the smaller of its two margins
    assert "| warmup `b` | native | 0.40 spreads | n |" in text
    assert numerics.passed(results[0], {"a": "warmup", "b": "warmup"})
    assert not numerics.passed(results[0], {"a": "warmup", "b": "warmup", "c": "wsd"})
    assert not numerics.passed(results[1], {"a": "warmup", "b": "warmup"})
