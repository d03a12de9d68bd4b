"""Browser check of the built book: every chapter page opens in headless Chromium, is not an error page, shows no
cell error, and every figure image loaded (naturalWidth > 0). Saves a full-page screenshot of each.

    python tests/check_html.py _build/html --screenshots _build/screenshots     (or: make browser-check)

Needs Debian's chromium and chromium-driver. Exit status 1 with a list of problems when a check fails.
"""

import argparse
import functools
import http.server
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
    return [f"{name}.html" for name in [toc["root"]] + [entry["file"] for entry in toc["chapters"]]]


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


def check(html: Path, screenshots: Path) -> list[str]:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    server, base = serve(html)
    screenshots.mkdir(parents=True, exist_ok=True)
    problems = []
    try:
        for page in chapter_pages():
            if not (html / page).is_file():
                problems.append(f"{page}: not built")
                continue
            driver.get(f"{base}/{page}")
            driver.execute_async_script(  # wait for the images to decode and MathJax to typeset
                "const done = arguments[0]; "
                "const math = window.MathJax && MathJax.startup ? MathJax.startup.promise : Promise.resolve(); "
                "Promise.all([math, ...Array.from(document.images).map(i => i.decode().catch(() => 0))])"
                ".then(() => done(), () => done());")
            text = driver.find_element("tag name", "body").text
            title = driver.title
            images = driver.execute_script(IMAGES_JS)
            broken = [src for src, complete, width in images if not complete or width == 0]
            figures = [src for src, _, _ in images if "_images/" in (src or "")]
            if "404" in title or "Not Found" in title or "Error" in title:
                problems.append(f"{page}: error page ({title!r})")
            if (ROOT / page).with_suffix(".ipynb").is_file() and not figures:
                problems.append(f"{page}: a notebook chapter without any figure")
            if broken:
                problems.append(f"{page}: {len(broken)} image(s) did not load: {broken[:3]}")
            if driver.execute_script("return document.querySelectorAll('mjx-container').length") < len(
                    driver.find_elements("css selector", "span.math, div.math")):
                problems.append(f"{page}: equations did not render (MathJax)")
            for marker in ("Traceback (most recent call last)", "SMOKE PROFILE"):
                if marker in text:
                    problems.append(f"{page}: shows {marker!r}")
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(1280, min(max(height, 800), 16000))
            driver.save_screenshot(str(screenshots / page.replace("/", "_").replace(".html", ".png")))
            driver.set_window_size(1280, 1000)
            print(f"{page}: title {title!r}, {len(figures)} figure(s) loaded of {len(images)} image(s), "
                  f"{len(text):,} characters of text")
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
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    print(f"{len(chapter_pages())} pages checked, {len(problems)} problem(s); screenshots in {args.screenshots}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
