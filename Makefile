# Two commands do all the set-up on a fresh machine:
#   make course   create .venv, install, run the course on the default profile
#   make test     create .venv, install, run the whole test suite
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= laptop
# Re-install whenever the dependency list changes.
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | cksum | cut -d' ' -f1)

export OMP_NUM_THREADS ?= $(shell nproc 2>/dev/null || echo 2)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install course test test-fast bench data solve play browser clean help

help:
	@echo "make course   set up .venv and run the course (PROFILE=$(PROFILE))"
	@echo "make test     set up .venv and run the whole test suite"
	@echo "make play     serve the Wordle board (notebook 06) on http://127.0.0.1:8866"
	@echo "make bench    run the benchmarks and rewrite benchmarks/RESULTS.md"
	@echo "make data     rebuild data/answers.txt and data/allowed.txt (dev-time; needs apt-get)"

install: $(STAMP)

$(STAMP):
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11 or run: make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "error: Python 3.11 is required, found " + sys.version.split()[0] + "; run: make PYTHON=/path/to/python3.11")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned, so that nothing later pulls a CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

course: install
	WORDLE_PROFILE=$(PROFILE) $(PY) -m wordle_helpers course --profile $(PROFILE)

# The suite runs every notebook on the quick smoke profile, and the board in a real browser.
test: install browser
	WORDLE_PROFILE=smoke $(PY) -m pytest

# Debian's chromium for the board's browser test (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null || { \
	  command -v apt-get >/dev/null || { echo "error: the browser test needs Debian's chromium; install it or use a Debian/Ubuntu machine"; exit 1; }; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

play: install
	$(PY) -m wordle_helpers play --profile $(PROFILE) --port 8866

bench: install
	$(PY) benchmarks/run_all.py

solve: install
	$(PY) -m wordle_helpers solve

data: install
	@command -v apt-get >/dev/null || { echo "error: make data needs Debian's apt-get for the wamerican word lists"; exit 1; }
	apt-get install -y -q wamerican wamerican-huge wamerican-insane >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wamerican wamerican-huge wamerican-insane >/dev/null; }
	$(PY) -m pip install --quiet -e ".[test,data]"
	$(PY) scripts/build_word_lists.py

clean:
	rm -rf $(VENV) outputs
