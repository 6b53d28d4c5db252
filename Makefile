# One command each: `make chat` runs docbot on the bundled data, `make test` runs the tests.
# Both create .venv and install docbot into it on first use.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: chat test bench clean

$(BIN)/docbot: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

chat: $(BIN)/docbot
	$(BIN)/docbot chat

test: $(BIN)/docbot
	$(BIN)/python -m pytest

bench: $(BIN)/docbot
	$(BIN)/python tests/bench/quality.py
	$(BIN)/python tests/bench/rescore.py
	$(BIN)/python tests/bench/dev_eval.py --split b
	$(BIN)/python tests/bench/squad_e2e.py

clean:
	rm -rf $(VENV) .pytest_cache
