.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
SCALE ?= full

help: ## List the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/linedesk: pyproject.toml
	python3 -m venv $(VENV) && $(BIN)/pip install -q -e '.[test]'
	@touch $@

demo: $(BIN)/linedesk ## Run the embedded demo on http://127.0.0.1:8000/
	$(BIN)/linedesk serve

test: $(BIN)/linedesk ## Run the tests on SQLite
	$(BIN)/pytest

test-pg: $(BIN)/linedesk ## Run the tests on the local PostgreSQL (database linedesk_test)
	LINEDESK_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/linedesk_test $(BIN)/pytest

lint: $(BIN)/linedesk ## ruff and mypy
	$(BIN)/ruff check src tests bench && $(BIN)/mypy && $(BIN)/mypy bench

bench: $(BIN)/linedesk ## The benchmarks of SPEC §10 on PostgreSQL, one table (SCALE=small|full ONLY=name MARKDOWN=path)
	$(BIN)/python bench/all.py --scale $(SCALE) $(foreach name,$(ONLY),--only $(name)) $(if $(MARKDOWN),--markdown $(MARKDOWN))

ci: ## What CI runs
	bash .ci/run

tools/audit/node_modules: tools/audit/package-lock.json
	cd tools/audit && npm ci --no-audit --no-fund
	@touch $@

audit: $(BIN)/linedesk tools/audit/node_modules ## Lighthouse (phone) on the main pages of a fresh demo, with Debian's Chromium
	CHROME_PATH=$${CHROME_PATH:-/usr/bin/chromium} $(BIN)/python tools/audit/audit.py

messages: $(BIN)/linedesk ## Extract translatable strings into the .po catalogues
	$(BIN)/pybabel extract -F babel.cfg -o /tmp/linedesk.pot src/linedesk
	$(BIN)/pybabel update -i /tmp/linedesk.pot -d src/linedesk/locale --no-fuzzy-matching

.PHONY: help demo test test-pg lint bench ci audit messages
