import json
import subprocess
import sys

import pytest

from lrlab.__main__ import main


def test_help_explains_both_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    text = capsys.readouterr().out
    assert "fetch-data" in text and "sweep" in text and "LRLAB_PROFILE" in text


def test_sweep_prints_a_table_and_writes_figures_and_runs(tmp_path, capsys):
    assert main(["sweep", "--lr", "1e-3", "1e-1", "--epochs", "1", "--train-size", "512", "--test-size", "200",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "verdict" in out and "1.0e-03" in out
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert [run["config"]["lr"] for run in runs] == [1e-3, 1e-1]
    assert (tmp_path / "loss_curves.png").stat().st_size > 10_000 and (tmp_path / "accuracy_vs_lr.png").exists()


def test_a_bad_lr_is_one_clear_line_not_a_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "lrlab", "sweep", "--lr", "1e-3", "-1", "--out", str(tmp_path)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "learning rate #2 '-1' must be finite and greater than 0" in result.stderr
    assert "Traceback" not in result.stderr


def test_fetch_data_with_no_source_reports_what_was_tried(tmp_path):
    code = ("import lrlab.data as d, sys; d.SOURCES = [('an unreachable mirror', lambda n, f: (_ for _ in ()).throw("
            "OSError('no route to host')))]; from lrlab.__main__ import main; sys.exit(main(['fetch-data', '--root', "
            f"{str(tmp_path)!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "an unreachable mirror: no route to host" in result.stderr and "place them by hand" in result.stderr


def test_sweep_on_a_local_pool_of_workers(tmp_path, capsys):
    assert main(["sweep", "--lr", "1e-3", "1e-2", "--epochs", "1", "--train-size", "320", "--test-size", "100",
                 "--workers", "2", "--out", str(tmp_path)]) == 0
    runs = json.loads((tmp_path / "runs.json").read_text())
    assert sorted(run["config"]["lr"] for run in runs) == [1e-3, 1e-2] and all(run["losses"] for run in runs)


def test_workers_and_scheduler_are_explained_and_checked(capsys):
    with pytest.raises(SystemExit):
        main(["sweep", "--help"])
    text = capsys.readouterr().out
    assert "--workers N" in text and "--scheduler ADDRESS" in text and "tcp://host:8786" in text
    assert main(["sweep", "--lr", "1e-3", "--workers", "0"]) == 2
    assert "give a number of processes >= 1" in capsys.readouterr().err
