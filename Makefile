# kairan: two commands. `make run` sets up and starts the bot with the LINE simulator;
# `make test` sets up and runs the tests. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# make run PORT=8080: serve on another port (the simulator follows)
PORT ?= 8000

.PHONY: run test scheduler bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/kairan serve --port $(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest -q

scheduler: $(STAMP)
	$(BIN)/kairan scheduler

clean:
	rm -rf $(VENV) var .pytest_cache
