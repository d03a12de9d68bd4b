"""The book's claims: a false sentence fails the book build (full profile), and only there; a student gets a note."""

import pytest

import lrlab
from lrlab.claims import ClaimError, claim, glue


def test_a_true_claim_is_shown_as_checked(capsys, monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    claim("1e-3 beats 1e-4", 0.02 < 0.06, evidence="final loss 0.02 vs 0.06")
    assert "✓ checked against this run: 1e-3 beats 1e-4 (final loss 0.02 vs 0.06)" in capsys.readouterr().out


def test_a_false_claim_fails_the_book_build(monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    with pytest.raises(ClaimError, match="The text says: 1e-3 beats 1e-4. This build's numbers say otherwise"):
        claim("1e-3 beats 1e-4", False)


def test_a_false_claim_in_a_students_notebook_is_a_friendly_note(capsys, monkeypatch):
    monkeypatch.delenv("LRLAB_CLAIMS", raising=False)
    claim("1e-3 beats 1e-4", False, evidence="0.08 vs 0.06")
    out = capsys.readouterr().out
    assert "Note: the text above says 1e-3 beats 1e-4; your numbers say otherwise (0.08 vs 0.06)" in out
    assert "change the settings" in out


def test_the_smoke_profile_never_enforces_a_claim(capsys, monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    claim("something only the full runs show", False)
    assert "Note:" in capsys.readouterr().out


def test_glue_formats_and_falls_back_to_printing(capsys, monkeypatch):
    assert glue("best_lr", 0.0031622, "{:.1e}") == "3.2e-03"
    monkeypatch.setitem(__import__("sys").modules, "myst_nb", None)  # as on Colab, where myst-nb is missing
    assert lrlab.glue("ratio", 2.83, "{:.1f}") == "2.8"
    assert "ratio = 2.8" in capsys.readouterr().out


def test_a_claim_about_a_run_an_edited_sweep_lacks_is_a_note_not_a_crash(capsys, monkeypatch):
    monkeypatch.delenv("LRLAB_CLAIMS", raising=False)
    runs = {1e-3: 0.02}
    claim("1e-3 beats 1e-4", lambda: runs[1e-3] < runs[1e-4], evidence=lambda: f"{runs[1e-4]}")
    assert "a run it is about is missing" in capsys.readouterr().out
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    with pytest.raises(ClaimError, match="missing"):
        claim("1e-3 beats 1e-4", lambda: runs[1e-3] < runs[1e-4])


def test_glue_of_a_missing_run_says_so_instead_of_failing():
    runs = {1e-3: 0.02}
    assert glue("low_loss", lambda: runs[1e-4], "{:.4f}") == "(not in your runs)"
    assert glue("mid_loss", lambda: runs[1e-3], "{:.4f}") == "0.0200"
