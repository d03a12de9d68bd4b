"""The public API as a student types it: one flat namespace, defaults from one place, and a code base that reads
in pieces (no module named like what it holds, no long functions, no closures rebinding state)."""

import ast
import inspect
from dataclasses import fields
from pathlib import Path

import pytest

import lrlab
from lrlab.__main__ import build_parser
from lrlab.config import DEFAULTS, TrainConfig

PACKAGE = Path(lrlab.__file__).parent
MAX_FUNCTION_LINES = 50
MAX_CLASS_LINES = 120  # a class that grows past this holds more than one job


def test_everything_a_chapter_needs_is_one_attribute_away():
    for name in ["sweep", "train", "load_mnist", "fetch_mnist", "CNN", "TrainConfig", "Run", "Sweep",
                 "lr_range_test", "plot", "quadratic"]:
        assert name in lrlab.__all__ and hasattr(lrlab, name), name
    assert all(hasattr(lrlab, name) for name in lrlab.__all__)
    from lrlab import sweep, train

    assert callable(sweep) and callable(train) and inspect.isfunction(sweep) and inspect.isfunction(train)


@pytest.mark.parametrize("function", [lrlab.sweep, lrlab.train], ids=["sweep", "train"])
def test_help_shows_every_setting_with_its_default_from_trainconfig(function):
    parameters = inspect.signature(function).parameters
    for field in fields(TrainConfig):
        if field.name in ("profile", "lr") or (field.name == "seed" and "seeds" in parameters):
            continue
        assert parameters[field.name].default == getattr(DEFAULTS, field.name), field.name
    if "seeds" in parameters:
        assert tuple(parameters["seeds"].default) == (DEFAULTS.seed,)
    assert inspect.signature(lrlab.train).parameters["lr"].default == DEFAULTS.lr
    assert all(p.kind != p.VAR_KEYWORD for p in parameters.values())  # nothing hidden behind **kwargs
    documented = inspect.getdoc(function)
    assert all(name in documented for name in parameters if name not in ("progress",)), documented


def test_the_command_line_takes_its_defaults_from_trainconfig():
    args = build_parser().parse_args(["sweep", "--lr", "1e-3"])
    for field in fields(TrainConfig):
        if field.name in ("lr", "profile", "seed"):
            continue
        assert getattr(args, field.name) == getattr(DEFAULTS, field.name), field.name
    assert args.seeds == [DEFAULTS.seed]


def _modules():
    """Every module of lrlab and of its subpackages (lrlab.plot), by its own name."""
    return {path.stem: ast.parse(path.read_text()) for path in PACKAGE.rglob("*.py") if path.stem != "__init__"}


def test_no_module_shares_its_name_with_a_function_class_or_argument_it_holds():
    for module, tree in _modules().items():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.append(node.name)
            if isinstance(node, ast.arg):
                names.append(node.arg)
            assert module not in names, f"lrlab/{module}.py holds a {module!r}"


def test_functions_and_classes_are_short_and_no_closure_rebinds_state():
    for module, tree in _modules().items():
        for node in ast.walk(tree):
            assert not isinstance(node, ast.Nonlocal), f"lrlab/{module}.py line {node.lineno}: nonlocal"
            if isinstance(node, ast.FunctionDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= MAX_FUNCTION_LINES, f"lrlab/{module}.py: {node.name} has {length} lines"
            if isinstance(node, ast.ClassDef):
                length = node.end_lineno - node.lineno + 1
                assert length <= MAX_CLASS_LINES, f"lrlab/{module}.py: class {node.name} has {length} lines"


def test_show_source_prints_the_loop_that_runs():
    code = lrlab.show_source(lrlab.train_epoch)
    assert code.data == f"```python\n{inspect.getsource(lrlab.loop.train_epoch)}```"
    assert "loss.backward()" in code.data and "optimizer.step()" in code.data


def test_import_lrlab_loads_neither_pyplot_nor_scipy_until_a_figure_or_the_hessian_is_used():
    import subprocess
    import sys

    code = ("import sys, lrlab; heavy = lambda: [m for m in ('matplotlib.pyplot', 'scipy') if m in sys.modules]; "
            "print(heavy()); lrlab.hessian; lrlab.plot.subplots(); print(heavy())")
    printed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert printed.splitlines() == ["[]", "['matplotlib.pyplot', 'scipy']"]


def test_the_reference_loop_carries_no_speed_concerns_and_the_engine_lists_its_differences():
    loop = inspect.getsource(lrlab.loop)
    assert not any(word in loop for word in ("allocator", "keep_freed_memory", "channels_last", "fused"))
    assert "should_stop(history)" in inspect.getsource(lrlab.loop.train_epoch)
    differences = lrlab.engine.__doc__
    assert "How it differs" in differences and all(f"{i}. " in differences for i in range(1, 7))


def test_no_module_imports_lrlab_itself_for_its_version():
    for module, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "lrlab":
                assert "__version__" not in [alias.name for alias in node.names], f"lrlab/{module}.py"


def test_importing_lrlab_in_a_jupyter_kernel_prints_nothing():
    """A chapter's set-up cell in JupyterLab shows no warning box: tqdm's "IProgress not found" (no ipywidgets, as in
    this environment: tqdm then draws text bars) is silenced where lrlab first imports tqdm."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import lrlab")])
    NotebookClient(notebook, timeout=120, kernel_name="python3").execute()
    assert notebook.cells[0].outputs == []
