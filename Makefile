# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench clean

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

test: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest -n 2 --durations=15

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

clean:
	rm -rf $(VENV) tenure-demo .pytest_cache
