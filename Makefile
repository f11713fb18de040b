# Every target sets up what it needs: a fresh clone runs `make plan` or `make test` directly.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= staging
# The program to plan: this project by default, or e.g. PROGRAM=examples/maple_quest_current.
PROGRAM ?= .
PLAN_ARGS ?=
# The Maple Quest example must FAIL its plan: the policy pack rejects its mistakes. `make plan-example`
# (and CI) passes only then. Its stack name is set here and nowhere else.
EXAMPLE_PROGRAM ?= examples/maple_quest_current
EXAMPLE_STACK   ?= dev

.DEFAULT_GOAL := help
# Extra pytest arguments, e.g. PYTEST_ARGS="tests/test_network.py -x".
PYTEST_ARGS ?=

.PHONY: help install lock plan plan-example test test-fast lint lint-workflows bench clean

help:
	@echo "make plan [STACK=staging|prod] [PROGRAM=dir]  offline preview + policy pack (no cloud account)"
	@echo "make test                                      every test: unit, policy, moto, subprocess and Hypothesis (CI)"
	@echo "make test-fast                                 the quick loop: every test not marked slow"
	@echo "make plan-example                              passes only if the policy pack rejects the Maple Quest example"
	@echo "make lint                                      ruff, mypy and the workflow linters (offline)"
	@echo "make lock                                      re-resolve requirements.lock and requirements-dev.lock"
	@echo "make bench                                     make plan, the import floor and the suites, side by side"

# Installs exactly the lock file: every package pinned with its hashes, nothing resolved on the way.
$(STAMP): requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	touch $(STAMP)

# requirements.lock: what the program and the pack need (`pulumi install` reads it through
# requirements.txt); requirements-dev.lock: that plus the tools, with the same pins. Run after changing
# the dependencies in pyproject.toml; pins that still fit are kept, LOCK_ARGS=--upgrade moves them all
# (or --upgrade-package NAME one). Resolved against the package index alone, whatever a machine's pip
# configuration adds.
LOCK_ARGS ?=
PIP_COMPILE = env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" \
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url $(LOCK_ARGS)

lock: $(STAMP)
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements.lock --output-file requirements-dev.lock pyproject.toml

install: $(STAMP)

plan: $(STAMP)
	$(BIN)/python -m offline.plan --program $(PROGRAM) --stack $(STACK) $(PLAN_ARGS)

plan-example: $(STAMP)
	$(BIN)/python -m scripts.expect_plan_rejected --program $(EXAMPLE_PROGRAM) --stack $(EXAMPLE_STACK)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Leaves out the tests marked slow (moto, a started process, Hypothesis, a whole-program rerun);
# see docs/testing.md.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy policies/__main__.py
	@$(MAKE) --no-print-directory lint-workflows

# GitHub workflow files against the schema vendored in check-jsonschema, and zizmor's security
# audits; --offline: neither touches the network.
lint-workflows: $(STAMP)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress .github/workflows

bench: $(STAMP)
	$(BIN)/python -m offline.bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
