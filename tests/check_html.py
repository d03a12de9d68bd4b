"""Browser check of the built book: every chapter page opens in headless Chromium, is not an error page, shows no
cell error, every figure image loaded (naturalWidth > 0) with a caption and alt text and is shown large enough to
read, MathJax is loaded once and only where there are equations, and no output scrolls sideways at 1280 px. Saves
a full-page screenshot of each.

    python tests/check_html.py _build/html --screenshots _build/screenshots     (or: make browser-check)

Needs Debian's chromium and chromium-driver. Exit status 1 with a list of problems when a check fails.
"""

import argparse
import functools
import http.server
import json
import math
import os
import sys
import threading
from pathlib import Path

import yaml
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parent.parent
CHROME_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                "--window-size=1280,1000"]
IMAGES_JS = """return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete, i.naturalWidth]);"""


def chapter_pages() -> list[str]:
    """The HTML path of every page in _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [entry for part in toc.get("parts", [toc]) for entry in part["chapters"]]
    return [f"{name}.html" for name in [toc["root"]] + [entry["file"] for entry in chapters]]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the book; remembers what was missing instead of logging every request."""

    missing: list[str] = []

    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        if code == 404 and not self.path.startswith("/favicon"):  # Chrome asks for a favicon by itself
            self.missing.append(self.path)
        super().send_error(code, message, explain)


def serve(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


WAIT_JS = ("const done = arguments[0]; "  # wait for the images to decode and MathJax to typeset
           "const math = window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve(); "
           "Promise.all([math, ...Array.from(document.images).map(i => i.decode().catch(() => 0))])"
           ".then(() => done(), () => done());")
# Outputs (printed text, tables) whose content is wider than the column they sit in: they would scroll sideways.
WIDE_OUTPUTS_JS = """
return Array.from(document.querySelectorAll('div.cell_output pre, div.cell_output table, div.output'))
  .filter(e => e.scrollWidth > e.clientWidth + 2 || e.getBoundingClientRect().right >
               (e.closest('article, main, .bd-article') || document.body).getBoundingClientRect().right + 2)
  .map(e => e.textContent.trim().slice(0, 60));"""
# Each lrlab figure is drawn at FIGURE_DPI with its base text at BASE_PT; shown at a scale, that text shows at
# BASE_PT * FIGURE_DPI / 72 * scale CSS pixels, 0.75 of which is a CSS point.
FIGURES_JS = """return Array.from(document.images).filter(i => (i.getAttribute('src') || '').includes('_images/'))
  .map(i => [i.getAttribute('src'), i.clientWidth / i.naturalWidth, i.getAttribute('alt') || '',
             !!i.closest('figure') && !!i.closest('figure').querySelector('figcaption')]);"""
FIGURE_DPI, BASE_PT, MIN_DISPLAYED_PT = 110, 11, 10.5


def content_problems(driver, page: str) -> list[str]:
    """Error page, missing or broken figures, equations not rendered, tracebacks, the smoke profile."""
    problems = []
    text, title = driver.find_element("tag name", "body").text, driver.title
    images = driver.execute_script(IMAGES_JS)
    broken = [src for src, complete, width in images if not complete or width == 0]
    if "404" in title or "Not Found" in title or "Error" in title:
        problems.append(f"{page}: error page ({title!r})")
    if (ROOT / page).with_suffix(".ipynb").is_file() and not any("_images/" in (s or "") for s, _, _ in images):
        problems.append(f"{page}: a notebook chapter without any figure")
    if broken:
        problems.append(f"{page}: {len(broken)} image(s) did not load: {broken[:3]}")
    equations = len(driver.find_elements("css selector", "span.math, div.math"))
    if driver.execute_script("return document.querySelectorAll('mjx-container').length") < equations:
        problems.append(f"{page}: equations did not render (MathJax)")
    scripts = driver.execute_script("return document.querySelectorAll('script[src*=\"tex-chtml\"]').length")
    if scripts > 1 or (scripts and not equations):
        problems.append(f"{page}: MathJax loaded {scripts} times for {equations} equation(s)")
    problems += [f"{page}: shows {marker!r}" for marker in ("Traceback (most recent call last)", "SMOKE PROFILE")
                 if marker in text]
    problems += [f"{page}: an exercise without its question (only a hint?): {item!r}"
                 for item in driver.execute_script(EXERCISES_JS)]
    return problems


# Each numbered exercise of a "Try it yourself" section opens with its question, before any hint (issue 25: a lost
# fence once left an exercise as a bare hint, rendered inside the exercise before it).
EXERCISES_JS = """
const sections = Array.from(document.querySelectorAll('section')).filter(
  s => /Try it yourself/.test((s.querySelector('h2, h3') || {}).textContent || ''));
return sections.flatMap(s => Array.from(s.querySelectorAll(':scope > ol > li'))).filter(li => {
  const first = li.firstElementChild;
  return !first || first.tagName !== 'P' || !first.textContent.trim();
}).map(li => li.textContent.trim().slice(0, 80));"""


def small_figures(driver, page: str, where: str) -> list[str]:
    """Figures shown so small that their base text falls below MIN_DISPLAYED_PT."""
    problems = []
    for src, scale, _, _ in driver.execute_script(FIGURES_JS):
        shown_pt = BASE_PT * FIGURE_DPI / 72 * scale * 0.75
        if shown_pt < MIN_DISPLAYED_PT:
            problems.append(f"{page} ({where}): {src} is shown at {scale:.0%}: its text shows at {shown_pt:.1f} pt")
    return problems


def layout_problems(driver, page: str) -> list[str]:
    """At 1280 px: outputs that scroll sideways; figures without caption or alt text, or too small to read. At
    phone width (390 px): figures too small to read (they may pan sideways in their own box there)."""
    problems = [f"{page}: output wider than its column: {snippet!r}"
                for snippet in driver.execute_script(WIDE_OUTPUTS_JS)]
    for src, _, alt, captioned in driver.execute_script(FIGURES_JS):
        if not captioned or len(alt) < 20 or "_images" in alt or alt.endswith((".png", ".svg")):
            problems.append(f"{page}: {src} lacks a caption or a real alt text ({alt!r})")
    problems += small_figures(driver, page, "1280 px")
    driver.set_window_size(390, 844)
    problems += small_figures(driver, page, "phone, 390 px")
    driver.set_window_size(1280, 1000)
    return problems


# Every interactive explorer: drawn by Vega, and moving its first slider changes the drawn path. MOVE_SLIDER_JS
# checks one box (its problem, or ''); tests/check_jupyter.py uses it for the front ends' own Vega renderer.
MOVE_SLIDER_JS = """
async function moveSlider(box) {
  const line = () => Array.from(box.querySelectorAll('path')).map(p => p.getAttribute('d')).join('|');
  const slider = box.querySelector('input[type=range]');
  if (!slider || !box.querySelector('svg')) return 'not drawn, or no slider (is Vega served with the book?)';
  const before = line();
  slider.value = slider.value === slider.max ? slider.min : slider.max;  // away from where it starts
  slider.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise(r => setTimeout(r, 500));
  return line() === before ? 'moving its slider did not change the drawing' : '';
}"""
EXPLORER_JS = MOVE_SLIDER_JS + """
const done = arguments[0];
Promise.all(Array.from(document.querySelectorAll('.lrlab-explorer')).map(moveSlider)).then(done);"""


def explorer_problems(driver, page: str) -> list[str]:
    """Each explorer on the page draws and moves; a chapter whose code makes one (lrlab.plot.*_explorer) has one:
    the book's myst-nb renderer of them (lrlab.plot.explorers.BookExplorer, an entry point) was loaded."""
    problems = [f"{page}: interactive explorer {i}: {problem}"
                for i, problem in enumerate(driver.execute_async_script(EXPLORER_JS)) if problem]
    chapter = ROOT / page.removesuffix(".html")
    made = chapter.with_suffix(".ipynb").is_file() and "_explorer(" in chapter.with_suffix(".ipynb").read_text()
    if made and not driver.execute_script("return document.querySelectorAll('.lrlab-explorer').length"):
        problems.append(f"{page}: its explorer is missing (is lrlab installed, with its myst-nb entry point?)")
    return problems


# An explorer that keeps its slider in the URL (#lr=...): the page opens where a link points, and moving the slider
# moves the curves, the marker and the URL. Returns [slider value, slider max, curves, markers, hash] after `move`.
URL_STATE_JS = """
const [move, done] = arguments;
const box = document.querySelector('.lrlab-explorer[data-url-key]');
const drawn = () => box.querySelector('svg') && box.querySelector('input[type=range]');
const read = () => {
  const slider = box.querySelector('input[type=range]');
  const d = sel => Array.from(box.querySelectorAll(sel)).map(p => p.getAttribute('d') + p.getAttribute('transform'));
  return [Number(slider.value), Number(slider.max), d('g.curves_marks path'), d('g[class*="marker_"] path'),
          location.hash];
};
(async () => {
  for (let i = 0; i < 50 && !drawn(); i++) await new Promise(r => setTimeout(r, 100));
  if (!drawn()) return done(null);
  await new Promise(r => setTimeout(r, 300));
  if (move !== null) {
    const slider = box.querySelector('input[type=range]');
    slider.value = move;
    slider.dispatchEvent(new Event('input', {bubbles: true}));
    await new Promise(r => setTimeout(r, 500));
  }
  done(read());
})();"""
PAGE_LIMIT = 1_000_000  # bytes: a page with an explorer carries its data; it stays under this


def url_state_problems(driver, url: str, page: str, html: Path) -> list[str]:
    """For a page with a URL-state explorer: it opens at #lr=3e-2 (the nearest rate), moving the slider changes
    its curves, its marker and the URL, it also works opened from disk, and the page is under PAGE_LIMIT."""
    values = driver.execute_script(
        "const b = document.querySelector('.lrlab-explorer[data-url-key]'); return b && b.dataset.values;")
    if values is None:
        return []
    values = json.loads(values)
    problems = []
    if (html / page).stat().st_size > PAGE_LIMIT:
        problems.append(f"{page}: {(html / page).stat().st_size:,} bytes with its explorer's data, over {PAGE_LIMIT:,}")
    nearest = min(range(len(values)), key=lambda i: abs(math.log(values[i] / 3e-2)))
    driver.get(f"{url}#lr=3e-2")
    start = driver.execute_async_script(URL_STATE_JS, None)
    if start is None:
        return problems + [f"{page}: the explorer is not drawn"]
    if start[0] != nearest:
        problems.append(f"{page}: opened at #lr=3e-2, the slider is at {start[0]}, not {nearest}")
    other = 0 if start[0] else start[1]
    moved = driver.execute_async_script(URL_STATE_JS, other)
    for what, index in (("curves", 2), ("marker", 3)):
        if moved[index] == start[index]:
            problems.append(f"{page}: moving the slider did not change the explorer's {what}")
    if moved[4].split("&")[0] != f"#lr={values[other]:.1e}".replace("e-0", "e-").replace("e+0", "e+"):
        problems.append(f"{page}: after moving the slider, the URL says {moved[4]!r}")
    driver.get((html / page).resolve().as_uri() + "#lr=3e-2")
    from_disk = driver.execute_async_script(URL_STATE_JS, None)
    if from_disk is None or from_disk[0] != nearest:
        where = "not drawn" if from_disk is None else f"at {from_disk[0]}, not {nearest}"
        problems.append(f"{page}: opened from disk at #lr=3e-2, the explorer's slider is {where}")
    return problems


def check(html: Path, screenshots: Path) -> list[str]:
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROME_BINARY") or "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    chromedriver = os.environ.get("CHROMEDRIVER") or "/usr/bin/chromedriver"
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    server, base = serve(html)
    screenshots.mkdir(parents=True, exist_ok=True)
    problems = []
    try:
        for page in chapter_pages():
            if not (html / page).is_file():
                problems.append(f"{page}: not built")
                continue
            driver.get(f"{base}/{page}")
            driver.execute_async_script(WAIT_JS)
            problems += content_problems(driver, page) + layout_problems(driver, page) + explorer_problems(driver, page)
            problems += url_state_problems(driver, f"{base}/{page}", page, html)
            driver.get(f"{base}/{page}")
            driver.execute_async_script(WAIT_JS)
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1280, min(max(height, 800), 16000))
            driver.save_screenshot(str(screenshots / page.replace("/", "_").replace(".html", ".png")))
            driver.set_window_size(1280, 1000)
            print(f"{page}: {driver.title!r} checked")
    finally:
        driver.quit()
        server.shutdown()
    return problems + [f"missing file requested: {path}" for path in QuietHandler.missing]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("html", type=Path, help="the built book, e.g. _build/html")
    parser.add_argument("--screenshots", type=Path, default=Path("_build/screenshots"))
    args = parser.parse_args()
    problems = check(args.html, args.screenshots)
    return report(problems, f"{len(chapter_pages())} pages checked, {len(problems)} problem(s); screenshots in "
                            f"{args.screenshots}")


def report(problems: list[str], summary: str) -> int:
    """Print each problem, then the summary; the exit status: 1 when there is a problem."""
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print(summary)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
