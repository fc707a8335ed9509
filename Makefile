# Two front doors: `make demo` and `make test`. Each builds the venv it needs from pinned requirements.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench venv clean browser-deps

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

## Crawl the bundled replica sites, build archive.db, serve it in Datasette on http://127.0.0.1:8001
demo: $(STAMP)
	$(BIN)/nianbao demo

## The default test suite (< 5 minutes on 2 cores)
test: $(STAMP) browser-deps
	$(BIN)/pytest -q -m "not slow"

## Everything, slow suites included (CI runs this after `make test`)
test-all: $(STAMP) browser-deps
	$(BIN)/pytest -q -m "slow" || [ $$? -eq 5 ]

bench: $(STAMP)
	$(BIN)/python bench/extract.py

## Headless Chromium for the browser checks; tests skip with a reason where it cannot be installed.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) || echo "chromium not installed: browser tests will skip"; \
	  else echo "chromium not found and cannot apt-get: browser tests will skip"; fi; }

clean:
	rm -rf $(VENV) archive.db archive.db-* data/ .pytest_cache
