# Every target makes and uses its own virtual environment (.venv), so a fresh
# clone needs nothing but Python 3.11+ (and Node.js for `make synth`).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
MOTO_PORT ?= 5000

.PHONY: run test check lint typecheck unit functional e2e infra-test bench synth clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	PORT=$(PORT) MOTO_PORT=$(MOTO_PORT) $(BIN)/python -m infra.local

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: check $(STAMP)
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/pytest -n 2 tests/unit tests/functional tests/infra
	$(BIN)/pytest tests/e2e

# CloudFormation templates of every stage into infra/cdk.out: no AWS credentials;
# Node.js runs the CDK (jsii) and PyPI gives the Lambda's Linux wheels.
synth: $(STAMP)
	rm -rf infra/cdk.out
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python -m infra.app --outdir infra/cdk.out

bench: $(STAMP)
	@for script in bench/[!_]*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache infra/cdk.out
