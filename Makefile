# How Neural Networks Learn: the book and nnkit.
#   make book   build the site into _build/html (creates .venv on first use)
#   make test   run the whole suite: unit tests, doctests and every notebook (nbval)
# Every target installs what it needs into .venv through the committed lock file.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
LOCK   := requirements/constraints.txt
STAMP  := $(VENV)/.installed
JOBS   ?= auto

.PHONY: help venv test unit notebooks book execute vendor lab bench lint format lock clean

help:
	@echo "make book      build the site into _build/html"
	@echo "make test      unit tests, doctests and nbval over every notebook"
	@echo "make execute   re-run every notebook in a fresh kernel and store its outputs"
	@echo "make vendor    re-fetch the site's MathJax, require.js and widget manager (npm)"
	@echo "make lab       JupyterLab on the book"
	@echo "make bench     benchmarks (nnkit vs hand-written NumPy vs PyTorch)"
	@echo "make lint      ruff"

venv: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=24"
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[dev]"
	touch $(STAMP)

# The book is built first: tests/test_browser.py loads _build/html in headless Chromium.
test: $(STAMP) book
	$(PY) -m pytest -n $(JOBS) --dist loadfile tests nnkit
	$(PY) -m pytest -n $(JOBS) --dist loadfile -p no:randomly --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg book

unit: $(STAMP)
	$(PY) -m pytest -n $(JOBS) --dist loadfile tests nnkit

# Any warning fails the build. Renders the outputs stored in the notebooks (make execute).
# Sphinx 7.4 copies changed static files (book/_static, vendor/) only when some page changed:
# after editing only those, run `make book BOOKFLAGS=--all`.
BOOKFLAGS ?=
book: $(STAMP)
	$(VENV)/bin/jupyter-book build . -W -n --keep-going $(BOOKFLAGS)
	$(PY) tools/page_sizes.py _build/html
	@echo "The book is at file://$(CURDIR)/_build/html/index.html"
	@echo "(or serve it: $(PY) -m http.server -d _build/html, then open http://localhost:8000)"

execute: $(STAMP)
	$(PY) tools/execute_notebooks.py

# Re-fetch the vendored browser assets from the npm registry (needs npm); commit vendor/.
vendor: $(STAMP)
	$(PY) tools/vendor_assets.py
	$(MAKE) book BOOKFLAGS=--all

# JupyterLab on the book, configured by jupyter/ (see jupyter/README.md): MyST through
# jupyterlab-myst, the glued numbers through the book's own small extension, nothing that calls
# the internet. The chapters are signed first (`jupyter trust`; the key stays in .venv), so that
# their stored explorables show without a run. As root (a container) JupyterLab wants --allow-root.
LAB_ENV  := JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter$(if $(JUPYTER_CONFIG_PATH),:$(JUPYTER_CONFIG_PATH))
LABFLAGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
lab: $(STAMP)
	@$(LAB_ENV) $(VENV)/bin/jupyter trust book/*.ipynb > /dev/null
	$(LAB_ENV) $(VENV)/bin/jupyter lab $(LABFLAGS) book

bench: $(STAMP)
	$(PY) benchmarks/bench_mlp.py
	$(PY) benchmarks/bench_cnn.py
	$(PY) benchmarks/bench_rnn.py
	$(PY) benchmarks/bench_transformer.py

lint: $(STAMP)
	$(VENV)/bin/ruff check nnkit tests benchmarks tools
	$(VENV)/bin/ruff format --check nnkit tests benchmarks tools

format: $(STAMP)
	$(VENV)/bin/ruff format nnkit tests benchmarks tools
	$(VENV)/bin/ruff check --fix nnkit tests benchmarks tools

# Re-resolve the lock file from pyproject.toml (run by hand, then commit the result).
lock:
	rm -rf /tmp/nnkit-lock && $(PYTHON) -m venv /tmp/nnkit-lock
	/tmp/nnkit-lock/bin/pip install --quiet --upgrade "pip>=24"
	/tmp/nnkit-lock/bin/pip install --quiet -e ".[dev]"
	/tmp/nnkit-lock/bin/pip freeze --exclude-editable | grep -v -i '^nnkit' > $(LOCK)

clean:
	rm -rf _build .pytest_cache .ruff_cache
