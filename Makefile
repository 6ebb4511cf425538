# `make run` and `make test` do all the set-up on a fresh machine.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export NUMBA_CACHE_DIR ?= $(CURDIR)/.cache/papertrends/numba
# dvc.yaml runs `python -m pipeline ...`: it must find the venv's python.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install browser run test lint bench clean

install: $(STAMP)

# torch first, pinned: a looser pin pulls a multi-GB CUDA build (see STACK notes in README).
$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -c constraints.txt -e '.[all]'
	touch $(STAMP)

# Debian's Chromium for the dashboard's browser tests and image export; a test tool's own
# browser download does not work offline.
browser:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
	  $(SUDO) apt-get install -y -qq chromium >/dev/null; }

run: install browser
	$(VENV)/bin/dvc repro

# One worker per core, at most 4: the suite's critical path is test_e2e's cold `dvc repro`,
# which conftest puts first; the other files share the remaining workers. Without
# --no-loadscope-reorder, xdist reorders the files by test count and test_e2e (3 tests)
# started only after 36 other files.
test: install browser
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder

lint: install
	$(VENV)/bin/ruff check pipeline tests bench
	$(VENV)/bin/ruff format --check pipeline tests bench

# The figures in bench/RESULTS.md; each script appends JSON lines to bench/work/.
bench: install browser
	$(PY) -m bench.seeds_bench
	$(PY) -m bench.topics_bench 10000 --encoder wordllama
	$(PY) -m bench.topics_bench 96789 --encoder wordllama
