# Every target sets up what it needs: a fresh clone runs `make plan` or `make test` directly.
# `make help` is made from the marks below (scripts/make_help.awk): `target: ... ## what it does`,
# `## what it is` on the line above a variable a user sets, and `#:` lines of notes.
## interpreter that creates .venv (3.11 or newer)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
## stack to plan: staging or prod (its values: Pulumi.<stack>.yaml)
STACK  ?= staging
## program folder to plan, e.g. examples/maple_quest_current (with STACK=dev)
PROGRAM ?= .
## more plan flags: --json, -c KEY=VALUE (repeatable), --policy-pack-config FILE
PLAN_ARGS ?=
#: -c KEY=VALUE sets a value for this one plan; Pulumi.<stack>.yaml is not changed (`pulumi preview
#: -c` would also save the value into it). A key without a namespace is the project's.
#: Policy levels and settings: make plan PLAN_ARGS="--policy-pack-config examples/policy-config.json"
#: As a first preview of a new stack (AWS-computed values unknown; what the pack could not judge
#: yet, and why, is summed up): make plan PLAN_ARGS=--preview-unknowns
# The Maple Quest example must FAIL its plan: the policy pack rejects its mistakes. `make plan-example`
# (and CI) passes only then. Its stack name is set here and nowhere else.
EXAMPLE_PROGRAM ?= examples/maple_quest_current
EXAMPLE_STACK   ?= dev

# Python caches compiled modules in __pycache__ (git-ignored). Container images often turn that off
# (PYTHONDONTWRITEBYTECODE=1); then every plan compiles the project's and the pack's modules again,
# and every test run redoes pytest's assertion rewriting of each test module. The targets keep it.
unexport PYTHONDONTWRITEBYTECODE

# The plan's recipe is not echoed, installing reports on stderr and a recursive make announces no
# directory, so that `make plan PLAN_ARGS=--json` prints one JSON document and nothing else.
MAKEFLAGS += --no-print-directory

.DEFAULT_GOAL := help
## more pytest arguments for test and test-fast, e.g. "tests/test_network.py -x"
PYTEST_ARGS ?=

.PHONY: help install lock plan plan-example test test-fast lint lint-workflows bench docs cost-table clean

help: ## list targets and variables (this text)
	@awk -f scripts/make_help.awk $(MAKEFILE_LIST)

# Installs exactly the lock file: every package pinned with its hashes, nothing resolved on the way
# (pyproject.toml lists the dependencies; `make lock` turns them into the lock files). Nothing from
# here goes to stdout.
$(STAMP): requirements-dev.lock
	@echo "[1/3] creating $(VENV) with $(PYTHON)" >&2
	@$(PYTHON) -m venv $(VENV)
	@echo "[2/3] upgrading pip in $(VENV)" >&2
	@$(BIN)/python -m pip install --quiet --upgrade pip >&2
	@echo "[3/3] installing the locked dependencies into $(VENV): about a minute the first time;" \
		"pip's progress follows" >&2
	@$(BIN)/python -m pip install --require-hashes --no-deps -r requirements-dev.lock >&2
	@touch $(STAMP)
	@echo "$(VENV) is ready" >&2

# requirements.lock: what the program and the pack need (`pulumi install` reads it through
# requirements.txt); requirements-dev.lock: that plus the tools, with the same pins. Run after changing
# the dependencies in pyproject.toml; pins that still fit are kept, LOCK_ARGS=--upgrade moves them all
# (or --upgrade-package NAME one). Resolved against the package index alone, whatever a machine's pip
# configuration adds.
## more pip-compile flags for lock: --upgrade, or --upgrade-package NAME
LOCK_ARGS ?=
PIP_COMPILE = env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null CUSTOM_COMPILE_COMMAND="make lock" \
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url $(LOCK_ARGS)

lock: $(STAMP) ## re-resolve the lock files after editing pyproject.toml's dependencies
	$(PIP_COMPILE) --output-file requirements.lock pyproject.toml
	$(PIP_COMPILE) --extra dev --constraint requirements.lock --output-file requirements-dev.lock pyproject.toml

install: $(STAMP) ## create .venv from the lock file (every target does this first)

#: Exit codes: the plan exits 0 when clean, 1 on a mandatory policy violation and 2 on an error,
#: but make turns any failure into its own 2 (its message, "make: *** [...] Error 1", shows the
#: plan's). To keep the plan's code, run it directly, with the same flags as PLAN_ARGS:
#:   .venv/bin/python -m offline.plan --stack prod [--json] [-c KEY=VALUE]; echo $?
plan: $(STAMP) ## offline preview + policy pack of STACK (no cloud account, no Pulumi CLI)
	@$(BIN)/python -m offline.plan --program $(PROGRAM) --stack $(STACK) $(PLAN_ARGS)

plan-example: $(STAMP) ## passes only if the policy pack rejects the Maple Quest example (CI runs it)
	@$(BIN)/python -m scripts.expect_plan_rejected --program $(EXAMPLE_PROGRAM) --stack $(EXAMPLE_STACK)

# Both suites run on one pytest worker per core (pytest-xdist, docs/testing.md). One file alone
# starts faster with TEST_WORKERS=0.
## pytest workers (xdist) for test and test-fast: auto = one per core; 0 = none
TEST_WORKERS ?= auto
PYTEST = $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load

test: $(STAMP) ## every test: unit, policy, moto, subprocess and Hypothesis (what CI runs)
	$(PYTEST) $(PYTEST_ARGS)

# Leaves out the tests marked slow (moto, a started process, Hypothesis, a whole-program rerun);
# see docs/testing.md.
test-fast: $(STAMP) ## the quick loop: every test not marked slow
	$(PYTEST) -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, mypy and the workflow linters, all offline
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy policies/__main__.py
	$(MAKE) lint-workflows

# GitHub workflow files against the schema vendored in check-jsonschema, and zizmor's security
# audits; --offline: neither touches the network.
lint-workflows: $(STAMP) ## the GitHub workflow files: check-jsonschema and zizmor (offline)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(BIN)/zizmor --offline --no-progress .github/workflows

bench: $(STAMP) ## medians, side by side: the import floor, make plan, test-fast and test
	$(BIN)/python -m offline.bench

# docs/configuration.md, docs/policies.md and README.md's "Stacks compared" table are generated;
# tests/test_docs.py fails when they are stale.
docs: $(STAMP) ## regenerate docs/configuration.md, docs/policies.md, the README stacks table
	$(BIN)/python -m scripts.gen_docs

# The estimates table in docs/cost.md is generated; tests/test_cost.py fails when it is stale.
cost-table: $(STAMP) ## write both stacks' monthly cost estimates into docs/cost.md
	$(BIN)/python -m offline.cost_report table --write docs/cost.md

clean: ## remove .venv and the tool caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info build
