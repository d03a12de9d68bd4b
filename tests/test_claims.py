"""The book's claims: a sentence is written once, in the Markdown, and checked by its key; a false one fails the book
build (full profile), and only there; a student gets a note."""

import json

import pytest

import lrlab
from lrlab.claims import ClaimError, claim, glue, marked_sentences, readable


@pytest.fixture
def chapter(tmp_path, monkeypatch):
    """A chapter in the working folder whose text marks two sentences, one quoting a glued number."""
    markdown = ("The best rate: [1e-3 beats 1e-4]{.claim #ch-best}. And [its loss is {glue:text}`ch_ratio` times "
                "lower, as **$\\eta$** grows]{.claim #ch-ratio}.")
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": [markdown]}], "metadata": {},
                "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "toy_chapter.ipynb").write_text(json.dumps(notebook))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_true_claim_prints_its_sentence_as_checked(chapter, capsys, monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    claim("ch-best", 0.02 < 0.06, evidence="final loss 0.02 vs 0.06")
    assert "✓ 1e-3 beats 1e-4 (final loss 0.02 vs 0.06): checked against this run" in capsys.readouterr().out


def test_a_false_claim_fails_the_book_build_naming_chapter_key_and_sentence(chapter, monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    with pytest.raises(ClaimError, match="toy_chapter, claim 'ch-best': the text says “1e-3 beats 1e-4”"):
        claim("ch-best", False)


def test_a_claim_whose_key_marks_no_sentence_fails_the_book_build(chapter, monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    with pytest.raises(ClaimError, match=r"marks no sentence.*\[the sentence\]\{\.claim #ch-typo\}"):
        claim("ch-typo", True)


def test_a_sentence_instead_of_a_key_is_refused_with_the_fix(chapter):
    with pytest.raises(ValueError, match=r"the key of a sentence marked \[the sentence\]\{\.claim #key\}"):
        claim("1e-3 beats 1e-4", True)


def test_a_false_claim_in_a_students_notebook_is_a_friendly_note(chapter, capsys, monkeypatch):
    monkeypatch.delenv("LRLAB_CLAIMS", raising=False)
    claim("ch-best", False, evidence="0.08 vs 0.06")
    out = capsys.readouterr().out
    assert "Note: the text says “1e-3 beats 1e-4”; your numbers say otherwise (0.08 vs 0.06)" in out
    assert "change the settings" in out


def test_the_smoke_profile_never_enforces_a_claim(chapter, capsys, monkeypatch):
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    monkeypatch.setenv("LRLAB_PROFILE", "smoke")
    claim("ch-best", False)
    assert "Note:" in capsys.readouterr().out


def test_sentences_are_printed_as_they_read_with_their_glued_numbers(chapter, capsys):
    glue("ch_ratio", 2.83, "{:.1f}")
    claim("ch-ratio", True)
    assert "✓ its loss is 2.8 times lower, as η grows: checked" in capsys.readouterr().out
    assert readable("see {doc}`experiment`") == "see experiment"
    assert readable(r"Adam's default $10^{-3}$ *raises* $\eta \cdot g$, **below** $\lambda_{\max}$") == (
        "Adam's default 10⁻³ raises η · g, below λ_max")  # what a student reads in Jupyter or Colab


def test_marked_sentences_are_found_by_key_with_their_chapter(chapter):
    found = marked_sentences((chapter,))
    assert found["ch-best"] == ("toy_chapter", "1e-3 beats 1e-4") and set(found) == {"ch-best", "ch-ratio"}


def test_glue_formats_and_without_myst_nb_prints_no_name_value_lines(capsys, monkeypatch):
    assert glue("best_lr", 0.0031622, "{:.1e}") == "3.2e-03"
    monkeypatch.setitem(__import__("sys").modules, "myst_nb", None)  # as on Colab, where myst-nb is missing
    assert lrlab.glue("ratio", 2.83, "{:.1f}") == "2.8"
    assert capsys.readouterr().out == ""  # the sentences that quote it print it (next test)


def test_where_the_chapters_are_not_on_disk_the_shipped_sentence_is_printed_with_the_students_numbers(
        tmp_path, monkeypatch, capsys):
    """As on Colab: a notebook alone in an empty folder, lrlab without its repository; glue then claim."""
    from lrlab import claims

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(claims, "project_root", lambda: tmp_path)  # no book/ folder anywhere
    claims._book_sentences.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "myst_nb", None)
    glue("gl_best_lr", 0.0031622, "{:.1e}")
    claim("gl-best-above-default", True)
    out = capsys.readouterr().out
    claims._book_sentences.cache_clear()
    assert out.startswith("✓ the best rate (by the mean over the seeds) is 3.2e-03, larger than the default")
    assert "marked" not in out and "gl_best_lr" not in out


def test_the_shipped_sentences_are_the_chapters_own():
    """lrlab/sentences.json is what the chapters mark now: after editing a sentence, run `make sentences`."""
    from pathlib import Path

    from lrlab.claims import marked_sentences, shipped_sentences

    book = Path(__file__).resolve().parent.parent / "book"
    assert shipped_sentences() == marked_sentences((book,)), "lrlab/sentences.json is stale: run make sentences"


def test_a_claim_about_a_run_an_edited_sweep_lacks_is_a_note_not_a_crash(chapter, capsys, monkeypatch):
    monkeypatch.delenv("LRLAB_CLAIMS", raising=False)
    runs = {1e-3: 0.02}
    claim("ch-best", lambda: runs[1e-3] < runs[1e-4], evidence=lambda: f"{runs[1e-4]}")
    assert "a run it is about is missing" in capsys.readouterr().out
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    with pytest.raises(ClaimError, match="missing"):
        claim("ch-best", lambda: runs[1e-3] < runs[1e-4])


def test_glue_of_a_missing_run_says_so_and_the_book_build_refuses_it_where_the_text_quotes_it(chapter, monkeypatch):
    runs = {1e-3: 0.02}
    assert glue("ch_ratio", lambda: runs[1e-4], "{:.4f}") == "(not in your runs)"
    assert glue("mid_loss", lambda: runs[1e-3], "{:.4f}") == "0.0200"
    monkeypatch.setenv("LRLAB_CLAIMS", "strict")
    with pytest.raises(ClaimError, match="glue 'ch_ratio'"):  # the chapter's text quotes {glue:text}`ch_ratio`
        glue("ch_ratio", lambda: runs[1e-4], "{:.4f}")
    assert glue("unquoted_loss", lambda: runs[1e-4], "{:.4f}") == "(not in your runs)"  # quoted nowhere: no harm


def test_glue_of_a_dict_glues_each_entry_under_its_own_name(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "myst_nb", None)
    assert glue("drop", {0.01: 2.54, 0.001: 7.0, "full": 1}, "{:.1f}") == "2.5, 7.0, 1.0"
    from lrlab.claims import _GLUED

    assert _GLUED["drop_0.01"] == "2.5" and _GLUED["drop_0.001"] == "7.0" and _GLUED["drop_full"] == "1.0"


@pytest.mark.parametrize("text", ["5,000", "1.0e-03", "206,922", "0.1000", "3.2e-03 to 1.0e-02", "96.50 %", "it's"])
def test_glued_text_reaches_the_page_exactly_as_formatted(text):
    """myst-nb renders {glue:text} from the value's repr through ast.literal_eval: the text must survive it."""
    from myst_nb.core.variables import format_plain_text

    from lrlab.claims import _Text

    assert format_plain_text(repr(_Text(text)), "") == text
