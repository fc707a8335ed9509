# Two front doors: `make demo` and `make test`. Each builds the venv it needs from pinned requirements.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench venv clean system-deps

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
test: $(STAMP) system-deps
	$(BIN)/pytest -q -m "not slow"

## Everything, slow suites included (CI runs this after `make test`)
test-all: $(STAMP) system-deps
	$(BIN)/pytest -q -m "slow" || [ $$? -eq 5 ]

bench: $(STAMP)
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/pages.py

## Debian tools: headless Chromium (browser checks) and antiword (DOC attachments). Where they
## cannot be installed, the browser tests skip with a reason and DOC files say "needs converter".
SYSTEM_TOOLS := chromium antiword
system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (Debian packages)"; \
	    (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null) || echo "could not install$$missing: dependent checks will skip"; \
	  else echo "missing$$missing and cannot apt-get: dependent checks will skip"; fi; fi

clean:
	rm -rf $(VENV) archive.db archive.db-* data/ .pytest_cache
