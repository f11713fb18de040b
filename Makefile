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
.PHONY: help install plan plan-example test lint lint-workflows bench cost-table clean

help:
	@echo "make plan [STACK=staging|prod] [PROGRAM=dir]  offline preview + policy pack (no cloud account)"
	@echo "make test                                      unit and policy tests under Pulumi mocks and moto"
	@echo "make plan-example                              passes only if the policy pack rejects the Maple Quest example"
	@echo "make lint                                      ruff, mypy and the workflow linters (offline)"
	@echo "make bench                                     median wall time of make plan per stack"
	@echo "make cost-table                                write both stacks' cost estimates into docs/cost.md"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

plan: $(STAMP)
	$(BIN)/python -m offline.plan --program $(PROGRAM) --stack $(STACK) $(PLAN_ARGS)

plan-example: $(STAMP)
	$(BIN)/python -m scripts.expect_plan_rejected --program $(EXAMPLE_PROGRAM) --stack $(EXAMPLE_STACK)

test: $(STAMP)
	$(BIN)/python -m pytest

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

cost-table: $(STAMP)
	$(BIN)/python -m offline.cost_report table --write docs/cost.md

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
