"""Browser check of the explorers where students run the chapters: in a real JupyterLab and a real Notebook 7 (one
jupyter server), a notebook with both explorers, executed by nbclient as a kernel would, opens in headless
Chromium; each explorer is drawn by the front end's own Vega-Lite renderer, shows its sliders, and moving a slider
changes the drawing. Saves a screenshot of each front end.

    python tests/check_jupyter.py --screenshots _build/screenshots      (make browser-check runs it)

Needs Debian's chromium and chromium-driver, and jupyterlab and notebook (requirements.txt). Exit status 1 with a
list of problems when a check fails.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
from check_html import CHROME_FLAGS, MOVE_SLIDER_JS, report
from nbclient import NotebookClient

CELLS = [
    "import lrlab\nfrom lrlab.quadratic import Bowl",
    "lrlab.plot.momentum_explorer(Bowl(eigenvalues=(1.0, 10.0), angle=30))",
    "result = lrlab.sweep([1e-3, 1e-2, 1e-1], optimizer=[\"sgd\", \"adam\"], epochs=1, train_size=256, test_size=128,\n"
    "                     progress=False)\n"
    "lrlab.plot.goldilocks_explorer(result)",
]
FRONT_ENDS = {"JupyterLab": "lab/tree/explorers.ipynb", "Notebook 7": "notebooks/explorers.ipynb"}
EXPLORERS = len(CELLS) - 1

# Each Vega-Lite output the front end drew: an SVG and a slider, and moving the slider changes the drawing.
MOVE_JS = MOVE_SLIDER_JS + """
const [count, done] = arguments;
const boxes = () => Array.from(document.querySelectorAll('.jp-RenderedVegaLite'));
(async () => {
  for (let i = 0; i < 300 && boxes().filter(b => b.querySelector('svg path')).length < count; i++)
    await new Promise(r => setTimeout(r, 200));
  done(await Promise.all(boxes().map(moveSlider)));
})();"""


def executed_notebook(folder: Path) -> Path:
    """The notebook with both explorers, executed as a student's kernel would (smoke profile: a tiny sweep)."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    os.environ["LRLAB_PROFILE"] = "smoke"
    NotebookClient(notebook, timeout=600, kernel_name="python3").execute()
    path = folder / "explorers.ipynb"
    nbformat.write(notebook, path)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(folder: Path) -> tuple[subprocess.Popen, str]:
    """A jupyter server (JupyterLab and Notebook 7 both) on a free local port, no token, serving `folder`."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={folder}",
         "--ServerApp.ip=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(f"{base}/api/status", timeout=2)
            return server, base
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise RuntimeError("the jupyter server did not start within a minute")


def check(screenshots: Path) -> list[str]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROME_BINARY") or "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        executed_notebook(Path(tmp))
        server, base = start_server(Path(tmp))
        driver = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER") or "/usr/bin/chromedriver"),
                                  options=options)
        driver.set_window_size(1280, 1600)
        try:
            for name, path in FRONT_ENDS.items():
                driver.get(f"{base}/{path}")
                found = driver.execute_async_script(MOVE_JS, EXPLORERS)
                if len(found) != EXPLORERS:
                    problems.append(f"{name}: {len(found)} explorer(s) drawn by its Vega-Lite renderer, not "
                                    f"{EXPLORERS}")
                problems += [f"{name}: explorer {i}: {problem}" for i, problem in enumerate(found) if problem]
                screenshots.mkdir(parents=True, exist_ok=True)
                driver.save_screenshot(str(screenshots / f"jupyter_{name.replace(' ', '_').lower()}.png"))
                print(f"{name}: {len(found)} explorer(s) checked")
        finally:
            driver.quit()
            server.terminate()
            server.wait(timeout=30)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshots", type=Path, default=Path("_build/screenshots"))
    problems = check(parser.parse_args().screenshots)
    return report(problems, f"{len(FRONT_ENDS)} front ends checked, {len(problems)} problem(s)")


if __name__ == "__main__":
    sys.exit(main())
