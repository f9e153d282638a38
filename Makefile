# Two commands: `make test` and `make run` (and `make demo`: the playground with its demo data).
# All build .venv from nothing with the Python on PATH.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test run demo migrate bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Knowhow needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The style (ruff) and the layering (import-linter, see pyproject.toml) are checked before the tests.
# The tests run in TEST_JOBS processes, one per CPU, a test module to a process (`make test
# TEST_JOBS=0`: in this one). With 4 on 2 CPUs and a CPU hog beside them, forms that must open
# within the ack's 2 s Slack budget sometimes did not.
TEST_JOBS ?= auto
test: $(STAMP)
	$(BIN)/ruff check --quiet .
	$(BIN)/ruff format --check --quiet .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadscope $(PYTEST_ARGS)

run: $(STAMP)
	$(BIN)/knowhow run --playground-if-unconfigured $(RUN_ARGS)

demo: $(STAMP)
	$(BIN)/knowhow playground --demo $(RUN_ARGS)

migrate: $(STAMP)
	$(BIN)/knowhow migrate

bench: $(STAMP)
	$(BIN)/python bench/ask_ack_latency.py

clean:
	rm -rf $(VENV) *.egg-info
