# Every target makes and uses its own virtual environment (.venv), so a fresh
# clone needs nothing but Python 3.11+ and Node.js (npm: the portal's design
# system; `make synth`). The browser tests use Debian's Chromium, installed
# here when missing and make runs as root.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
MOTO_PORT ?= 5000
WEB_PORT ?= 8080
NODE_STAMP := node_modules/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test check lint typecheck unit functional e2e browser screenshots chromium infra-test bench mutation synth routes clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.9
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements-dev.txt
	touch $(STAMP)

# The portal's npm packages (the DSFR, axe-core for the tests), exactly as locked.
# No install script runs: the DSFR's only checks that its terms were accepted
# (.dsfr.yml records it; see the README).
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

# Debian's Chromium for the browser tests (Playwright's own download is not used).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n >/dev/null; \
	  else \
	    echo "Chromium is missing at $(CHROMIUM): install Debian's 'chromium' (sudo apt-get install chromium)," >&2; \
	    echo "or run make as root to let it install it, or set CHROMIUM=/path/to/chromium." >&2; \
	    exit 1; \
	  fi; \
	fi

run: $(STAMP) $(NODE_STAMP)
	PORT=$(PORT) MOTO_PORT=$(MOTO_PORT) WEB_PORT=$(WEB_PORT) $(BIN)/python -m infra.local

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: check $(STAMP) $(NODE_STAMP) chromium
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/pytest -n 2 tests/unit tests/functional tests/infra
	$(BIN)/pytest tests/e2e
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/browser

browser: $(STAMP) $(NODE_STAMP) chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/browser

# Every page at 1280x800 and 390x844 into docs/screenshots/ (shown in the README).
screenshots: $(STAMP) $(NODE_STAMP) chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m tests.browser.screenshots

# The route table the app registers at a cold start (chalicelib/data/routes.json), from
# the routes' declarations; a unit test fails when it is stale.
routes: $(STAMP)
	$(BIN)/python -m chalicelib.endpoints.table

# CloudFormation templates of every stage into infra/cdk.out: no AWS credentials;
# Node.js runs the CDK (jsii) and PyPI gives the Lambda's Linux wheels.
synth: $(STAMP)
	rm -rf infra/cdk.out
	JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 $(BIN)/python -m infra.app --outdir infra/cdk.out

bench: $(STAMP) $(NODE_STAMP) chromium
	@for script in bench/[!_]*.py; do $(BIN)/python $$script || exit 1; done

# mutmut over the critical modules, against the unit (and fast functional) tests that
# cover each; prints one JSON line of scores per module. Slow (8 to 35 minutes on
# 2 cores): not run by CI. `make mutation MODULES="auth calendar"` runs some only.
mutation: $(STAMP)
	@$(BIN)/python -m tests.mutation $(MODULES)

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache infra/cdk.out
