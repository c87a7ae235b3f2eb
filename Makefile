# Every target sets itself up: a fresh clone needs only `make serve` or `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_READY := $(VENV)/.installed
NODE_READY := node_modules/.installed

# Test processes: the suite mostly waits on Java, Chromium and servers starting, so two keep
# two cores busy. Each process starts its own DynamoDB Local and development server.
TEST_JOBS ?= 2

# Generated cases and properties: `make test` runs them as they are, `make bench` ten times over
# (and gives each test ten times its time limit).
FUZZ_SUITES := tests/functions/help_requests/test_generated.py \
	tests/functions/moderation/test_generated.py \
	tests/functions/help_requests/test_properties.py \
	tests/functions/moderation/test_export.py \
	tests/site/incremental/test_edit_sequences.py

.PHONY: serve test lint bench setup clean system-check

serve: setup
	@scripts/system-check java
	$(PY) build.py serve

test: setup
	@scripts/system-check java chromium
	$(MAKE) --no-print-directory lint
	$(PY) -m pytest -n $(TEST_JOBS) --dist loadfile

lint: $(PY_READY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/actionlint -no-color -oneline

bench: setup
	@scripts/system-check java hugo
	$(PY) bench/build.py
	$(PY) bench/markdown_speed.py
	$(PY) bench/cold_start.py
	$(PY) bench/load.py
	ASK_FUZZ_SCALE=10 $(PY) -m pytest -q -p no:cacheprovider --timeout=6000 $(FUZZ_SUITES)

setup: $(PY_READY) $(NODE_READY)

# The project installs as a plain path entry (editable_mode=compat), not an import hook:
# every `build.py` run starts some 30 ms sooner.
$(PY_READY): pyproject.toml constraints.txt
	@scripts/system-check python node
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt \
		--config-settings editable_mode=compat -e '.[dev]'
	touch $@

$(NODE_READY): package.json package-lock.json
	@scripts/system-check node
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf public .cache .aws-sam .mypy_cache .ruff_cache .pytest_cache
