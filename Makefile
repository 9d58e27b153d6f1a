# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench clean browser java

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

demo: $(STAMP)
	$(BIN)/tenure demo

# The browser tests drive Debian's Chromium (never a downloaded browser), with fonts that
# draw Chinese; installed through the system's package manager where missing.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Sans CJK" || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		  chromium fonts-noto-cjk >/dev/null; }

# The Spark engine's tests start a local Spark, which runs on Java (17 or 21); a headless
# JRE from the system's packages where `java` is missing.
java:
	@command -v java >/dev/null 2>&1 || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		  default-jre-headless >/dev/null; }

test: $(DEV_STAMP) browser java
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n 2 --dist loadgroup --durations=15

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench

# Each benchmark prints tenure's figures beside its peer's; see the README.
bench: $(DEV_STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/value_models.py
	$(BIN)/python bench/analytics.py
	$(BIN)/python bench/sla.py
	$(BIN)/python bench/churn.py
	$(BIN)/python bench/lift.py
	$(BIN)/python bench/service.py

clean:
	rm -rf $(VENV) tenure-demo .pytest_cache
