# schoolwatch — the two commands a new user needs are `make demo` and `make test`.
# Both set everything up from a fresh clone: uv (bootstrapped with pip if missing), then the
# locked environment (`uv sync --frozen --compile-bytecode` from the committed uv.lock).

PYTHON ?= python3
EVAL_DIR ?= ../shared/eval
REAL_DIR ?= ../shared/data/jigsaw
BENCH_ARGS ?=
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := .tools/bin/uv
endif
RUN := $(UV) run --frozen --no-sync
export UV_PYTHON_DOWNLOADS := never

.PHONY: demo test lint format eval bench setup clean help

help:
	@echo "make demo   set up, then run the whole pipeline against a bundled sample site"
	@echo "make test   set up, then run lint checks and the test suite"
	@echo "make eval   classifier figures: dev set, held-out real comments, adversarial sets"
	@echo "make bench  performance figures against their targets (BENCH_ARGS=--quick: a few minutes)"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

# --compile-bytecode: every process imports Prefect and our libraries from .pyc files, also
# where PYTHONDONTWRITEBYTECODE is set (containers): a run starts seconds sooner
setup: $(UV)
	$(UV) sync --frozen --compile-bytecode
	$(RUN) python -m compileall -q schoolwatch flows sources analysis warehouse digest

demo: setup
	$(RUN) schoolwatch demo

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

# -n auto: pytest-xdist runs the tests on every core (each worker its own process, ports and
# temporary folders); the longest tests (the shipped model's rebuild, the real Prefect servers)
# then run beside the rest instead of after them
test: lint
	$(RUN) pytest -q -n auto

format: setup
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

eval: setup
	$(RUN) python -m analysis.evaluate --suite --dev-dir $(EVAL_DIR) --real-dir $(REAL_DIR)

bench: setup
	$(RUN) python -m bench $(BENCH_ARGS)

clean:
	rm -rf .venv .tools demo-data .pytest_cache .ruff_cache .mypy_cache
