# Two commands do all the set-up on a fresh machine:
#   make run    simulate the default scenario end to end, with its board report
#               (results/default/report.html)
#   make test   run the test suite (slow end-to-end tests: make test-slow)
# Both install the tested versions pinned in requirements-dev.lock (make lock re-pins them).
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COMPILE := $(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run test test-slow lint lock

$(STAMP): pyproject.toml requirements-dev.lock
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
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
	$(BIN)/ruff format --check sendsim tests

# requirements.lock: what `pip install sendsim` needs; requirements-dev.lock: that, every
# extra (cluster, data) and the development tools
lock: $(STAMP)
	$(COMPILE) -o requirements.lock pyproject.toml
	$(COMPILE) --extra cluster --extra data --extra dev -o requirements-dev.lock pyproject.toml
