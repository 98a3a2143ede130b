SHELL := /bin/bash
.DEFAULT_GOAL := test

VENV := .venv
PY := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.requirements.stamp
MIG := db_migration_service
NPM_STAMP := $(MIG)/node_modules/.ci.stamp
BUILD_STAMP := $(MIG)/dist/.build.stamp
MIG_SOURCES := $(shell find $(MIG)/src $(MIG)/tsconfig.json $(MIG)/package.json 2>/dev/null)
GO := $(shell command -v go || ls /usr/local/go/bin/go 2>/dev/null)
PYTEST := $(PY) -m pytest -q -p no:cacheprovider

.PHONY: install python-deps migrations postgres go-test service-tests lint test test-fast bench run env new-service

install: python-deps migrations postgres

$(VENV)/pyvenv.cfg:
	scripts/ensure-venv.sh $(VENV)

$(PIP_STAMP): requirements.txt requirements-dev.txt $(VENV)/pyvenv.cfg
	$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

python-deps: $(PIP_STAMP)

ifneq ($(wildcard $(MIG)/package.json),)
$(NPM_STAMP): $(MIG)/package-lock.json $(MIG)/package.json
	npm --prefix $(MIG) ci --no-audit --no-fund
	touch $@

# dist/ is rebuilt from scratch: a stale compiled migration left behind would still be run.
$(BUILD_STAMP): $(NPM_STAMP) $(MIG_SOURCES)
	rm -rf $(MIG)/dist
	npm --prefix $(MIG) run build
	touch $@

migrations: $(BUILD_STAMP)
else
migrations:
	@echo "migrations: skipped: no $(MIG)/package.json yet"
endif

postgres:
	scripts/ensure-postgres.sh

go-test:
ifeq ($(wildcard joke_api/go.mod),)
	@echo "go-test: skipped: no joke_api/go.mod"
else ifeq ($(GO),)
	@echo "go-test: skipped: no Go toolchain"
else
	cd joke_api && $(GO) vet ./... && $(GO) test ./...
	cd bench/loadgen && $(GO) vet ./... && $(GO) test ./...
endif

# Ruff lints and checks the formatting of every Python file (pyproject.toml [tool.ruff]); `ruff format .` fixes the latter.
lint: python-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Each manifest's [run] test (a service in Go, Node.js, ... that `make new-service` wrote); Python's run in pytest.
service-tests: python-deps
	$(PY) -m buteco_dev service-tests

test: install lint go-test service-tests
	$(PYTEST)

test-fast: install
	$(PYTEST) -m "not slow"

# Issues 2 and 13 in one run (~10-15 min; docs/benchmarks.md): money core, open loop, pgbench, the original's
# replica, reads, the bot end to end, settlement. Markdown tables on stdout, results in .tmp/bench/latest/.
# `make bench BENCH_ARGS="--skip e2e,settle"` leaves phases out.
bench: install
ifneq ($(wildcard bench/run.sh),)
	bash bench/run.sh $(BENCH_ARGS)
else
	@echo "bench: skipped: no bench/run.sh yet"
endif

# The whole stack on this machine: PostgreSQL (data in .run/), migrations, every service, the bot on a local
# Discord with a console (or real Discord when DISCORD_TOKEN is set). Ctrl-C stops everything. A manifest added to
# plugins/ meanwhile starts its service and reloads the bot. `make run PORT_BASE=6000 DATA_DIR=/tmp/b`: ports from
# 6001 and another database, beside a first run (PORT_BASE=free: any free ports).
RUN_ARGS = $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
	$(if $(filter free,$(PORT_BASE)),--free-ports,$(if $(PORT_BASE),--port-base "$(PORT_BASE)"))
run: install
	$(PY) -m buteco_dev run $(RUN_ARGS)

# A new service, its manifest, compose entry and .env.example lines (scripts/new-service):
#   make new-service NAME=dice LANG=python|go|node [COMMAND=roll]
# LANG is also the locale's variable: the script runs without it.
new-service: python-deps
	@env -u LANG scripts/new-service "$(NAME)" "$(LANG)" $(if $(COMMAND),--command "$(COMMAND)")

# .env for docker compose: .env.example with fresh random credentials and database passwords. Never overwrites.
env:
	scripts/new-env
