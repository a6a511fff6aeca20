# Two commands do all the set-up on a fresh machine:
#   make run    simulate the default scenario end to end, with its board report
#               (results/default/report.html)
#   make test   run the test suite (slow end-to-end tests: make test-slow)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sendsim run hydra.run.dir=results/default
	$(BIN)/sendsim report results/default --out results/default/report.html

test: $(STAMP)
	$(BIN)/pytest

test-slow: $(STAMP)
	$(BIN)/pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check sendsim tests
