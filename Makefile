# Every target sets up what it needs: a fresh clone runs `make plan` or `make test` directly.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
STACK  ?= staging
# The program to plan: this project by default, or e.g. PROGRAM=examples/maple_quest_current.
PROGRAM ?= .
PLAN_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install plan test lint bench clean

help:
	@echo "make plan [STACK=staging|prod] [PROGRAM=dir]  offline preview + policy pack (no cloud account)"
	@echo "make test                                      unit and policy tests under Pulumi mocks and moto"
	@echo "make lint                                      ruff and mypy"
	@echo "make bench                                     median wall time of make plan per stack"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

plan: $(STAMP)
	$(BIN)/python -m offline.plan --program $(PROGRAM) --stack $(STACK) $(PLAN_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy policies/__main__.py

bench: $(STAMP)
	$(BIN)/python -m offline.bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
