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
demo: $(STAMP) system-deps
	$(BIN)/nianbao demo

## The default test suite (< 5 minutes on 2 cores), one worker per core (pytest-xdist; tests/conftest.py
## keeps each test file, and the files sharing the replica crawl, in one worker). TEST_WORKERS=0: serial.
TEST_WORKERS ?= auto
test: $(STAMP) system-deps
	$(BIN)/pytest -q -m "not slow" -n $(TEST_WORKERS)

## Everything, slow suites included (CI runs this after `make test`)
test-all: $(STAMP) system-deps
	$(BIN)/pytest -q -m "slow" -n $(TEST_WORKERS) || [ $$? -eq 5 ]

bench: $(STAMP)
	$(BIN)/python bench/extract.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/looks.py

## Debian tools: headless Chromium (browser checks), antiword (DOC text when LibreOffice is absent)
## and LibreOffice without GUI (`soffice`: DOC, WPS, ET and stubborn XLS converted to DOCX / XLSX).
## redis-server: the shared frontier of a distributed crawl (tests start their own on the loopback).
## Each entry is tool=packages; a tool `command -v` finds is left alone. LibreOffice comes without
## recommends (apparmor, python3-uno, Math, spell checkers: 25 MB it does not need; ~310 MB remain).
## Where they cannot be installed, the dependent checks skip with a reason and such files say
## "needs converter".
SYSTEM_TOOLS := chromium=chromium antiword=antiword redis-server=redis-server
SYSTEM_TOOLS_LEAN := soffice=libreoffice-writer-nogui,libreoffice-calc-nogui
## A Chinese system font (WenQuanYi Micro Hei, 5 MB, one of the names pdfium looks for first): text in
## a PDF that does not embed its CJK font (STSong-Light and the like) is drawn with it when a page is
## rasterised: the replica's table pictures and scans are made that way, and extract rasterises
## scanned pages for OCR. Without one those characters come out blank.
CJK_FONT := fonts-wqy-microhei
system-deps:
	@full=""; lean=""; \
	for e in $(SYSTEM_TOOLS); do command -v $${e%%=*} >/dev/null 2>&1 || full="$$full $$(echo $${e#*=} | tr , ' ')"; done; \
	fc-list :lang=zh family 2>/dev/null | grep -q . || full="$$full $(CJK_FONT)"; \
	for e in $(SYSTEM_TOOLS_LEAN); do command -v $${e%%=*} >/dev/null 2>&1 || lean="$$lean $$(echo $${e#*=} | tr , ' ')"; done; \
	missing="$$full$$lean"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing (Debian packages)"; \
	    (apt-get update -qq \
	     && { [ -z "$$full" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$full >/dev/null; } \
	     && { [ -z "$$lean" ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$lean >/dev/null; }) \
	    || echo "could not install$$missing: dependent checks will skip"; \
	  else echo "missing$$missing and cannot apt-get: dependent checks will skip"; fi; fi

clean:
	rm -rf $(VENV) archive.db archive.db-* data/ .pytest_cache
