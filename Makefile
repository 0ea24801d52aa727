# Wonder Street platform. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Two installs: STAMP is the project and what it needs to run (all `make demo` needs);
# DEV_STAMP adds the dev extra (pytest, ruff, mypy, grpcio-tools, ...) for tests, lint, protos.
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
PIP_LOG := $(VENV)/pip.log

.DEFAULT_GOAL := help
.PHONY: help install demo shell test test-fast lint fmt typecheck proto proto-check buf-lint buf-breaking _proto-deps _buf-if-npm bench migrate mutate status reset clean

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

# pip install $(1), printing a line every 25 packages instead of pip's own output (which goes
# to $(PIP_LOG), and whose end is shown if pip fails).
define pip_install
	@set -o pipefail; start=$$SECONDS; \
	if ! $(BIN)/python -m pip install --progress-bar off $(1) 2>&1 | tee -a $(PIP_LOG) | awk \
	    '/^Collecting / { n++; if (n % 25 == 0) { printf "      %d packages resolved ...\n", n; fflush() } } \
	     /^Installing collected packages/ { printf "      installing %d packages ...\n", n; fflush() }'; then \
	  echo "pip install failed; the end of $(PIP_LOG):" >&2; tail -n 25 $(PIP_LOG) >&2; exit 1; \
	fi; \
	echo "      done in $$((SECONDS - start)) s"
endef

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(BIN)/python || { echo "Creating $(VENV) with $$($(PYTHON) --version)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing the project and what it needs to run into $(VENV) (the first time: about a minute)"
	@: > $(PIP_LOG)
	@$(BIN)/python -m pip install --quiet --upgrade pip >>$(PIP_LOG) 2>&1
	$(call pip_install,-e .)
	@touch $@

$(DEV_STAMP): $(STAMP)
	@echo "Installing the dev tools (pytest, ruff, mypy, grpcio-tools, mutmut) into $(VENV)"
	$(call pip_install,-e '.[dev]')
	@touch $@

install: $(DEV_STAMP) ## create .venv and install the project with its dev tools

# The pinned buf (package.json) for the demo's printed calls and the buf curl tests.
_buf-if-npm:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory node_modules/.bin/buf; \
	else echo "npm not found: the printed 'buf curl' examples need buf (npm i @bufbuild/buf)"; fi

demo: $(STAMP) _buf-if-npm ## run the whole platform locally against the sandbox (Ctrl-C stops it)
	$(BIN)/python -m devstack

shell: $(STAMP) ## a shell with .venv active: wonder, prefect and python on PATH (exit leaves it)
	@echo "A shell with $(CURDIR)/$(VENV) active (wonder, prefect on PATH); exit to leave it."
	@VIRTUAL_ENV="$(CURDIR)/$(VENV)" PATH="$(CURDIR)/$(BIN):$$PATH" $${SHELL:-/bin/bash} -i

test: $(DEV_STAMP) _buf-if-npm ## run the whole test suite (PostgreSQL via WONDER_TEST_DATABASE_URL)
	$(BIN)/python -m pytest

test-fast: $(DEV_STAMP) ## unit tests only
	$(BIN)/python -m pytest tests/unit

lint: $(DEV_STAMP) ## ruff (lint + format check) and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(DEV_STAMP) ## format and auto-fix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(STAMP) ## apply migrations to WONDER_DATABASE_URL (default: SQLite in var/)
	$(BIN)/wonder migrate

status: $(STAMP) ## what the database holds now: cursors and lag, quarantine, held deletes, tokens
	$(BIN)/wonder status

# var/ holds every piece of local data: the default SQLite database, the sandbox's state, the
# demo's Prefect home (flow runs, deployments) and logs. A WONDER_DATABASE_URL elsewhere is kept.
# Stop a running demo first.
reset: ## wipe the data in var/ (database, sandbox, Prefect runs, logs); keeps .venv, node_modules
	rm -rf var
	@echo "var/ wiped (a database WONDER_DATABASE_URL names elsewhere is untouched);" \
	  "make demo or make migrate starts afresh"

# --- API contract (protos/wonder/v1 -> wonder/v1) ---------------------------------------------
PROTO_FILES := $(sort $(wildcard protos/wonder/v1/*.proto))
# google/api, google/rpc and google/type protos ship with googleapis-common-protos.
GOOGLEAPIS_PROTOS = $(shell $(BIN)/python -c 'import google.api, pathlib; print(pathlib.Path(google.api.__path__[0]).parent.parent)')
define generate_protos
	rm -rf $(1)/wonder/v1 && mkdir -p $(1)/wonder/v1
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m grpc_tools.protoc -I protos -I "$(GOOGLEAPIS_PROTOS)" \
		--python_out=$(1) --grpc_python_out=$(1) --mypy_out=$(1) --mypy_grpc_out=$(1) $(PROTO_FILES)
	printf '"""Generated from protos/wonder/v1 by `make proto`: do not edit."""\n' > $(1)/wonder/v1/__init__.py
endef

proto: $(DEV_STAMP) ## regenerate wonder/v1 (messages, gRPC stubs, .pyi) from protos/wonder/v1
	$(call generate_protos,.)

proto-check: $(DEV_STAMP) ## fail if the committed wonder/v1 differs from what the protos generate
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) --no-print-directory _proto-into OUT="$$tmp" && \
	diff -r -x __pycache__ "$$tmp/wonder/v1" wonder/v1 && echo "wonder/v1 is up to date"

_proto-into:
	$(call generate_protos,$(OUT))

node_modules/.bin/buf: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# buf.yaml's second module: the google/api and google/type protos ours import.
_proto-deps: $(DEV_STAMP)
	rm -rf build/proto-deps && mkdir -p build/proto-deps/google
	cp -R "$(GOOGLEAPIS_PROTOS)/google/api" "$(GOOGLEAPIS_PROTOS)/google/type" build/proto-deps/google/
	find build/proto-deps -type f ! -name '*.proto' -delete

buf-lint: _proto-deps node_modules/.bin/buf ## buf lint the protos (STANDARD + COMMENTS, see buf.yaml)
	npx --no-install buf lint

# The protos of the working tree against those of AGAINST (default: the local `main` branch,
# else `origin/main`, as in a CI clone), with buf.yaml's breaking rules (FILE). The other side is
# `git archive`d into a scratch directory beside the same google protos, so no checkout moves.
AGAINST ?=
buf-breaking: _proto-deps node_modules/.bin/buf ## fail if protos/ break wire or source compatibility with main
	@ref="$(AGAINST)"; \
	if [ -z "$$ref" ]; then \
	  for candidate in main origin/main; do \
	    if git rev-parse --verify --quiet "$$candidate^{commit}" >/dev/null; then ref=$$candidate; break; fi; \
	  done; \
	fi; \
	if [ -z "$$ref" ]; then \
	  echo "buf-breaking: no main or origin/main branch to compare with (git fetch origin main, or AGAINST=<ref>)" >&2; \
	  exit 1; \
	fi; \
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	git archive "$$ref" protos buf.yaml | tar -x -C "$$tmp" && \
	mkdir -p "$$tmp/build" && cp -R build/proto-deps "$$tmp/build/" && \
	echo "buf breaking: protos/ against $$ref ($$(git rev-parse --short "$$ref^{commit}"))" && \
	npx --no-install buf breaking --against "$$tmp"

# --- mutation testing (docs/mutation-testing.md; not part of `make test` nor .ci/run) ----------
# The pure modules, one mutmut run each (the same list as [tool.mutmut] only_mutate). Each run
# executes, per mutant, only the unit tests that reach the mutated function. MODULE=<path> runs
# one module; MUTATE_JOBS is mutmut's --max-children (1: the machine is shared). mutmut keeps
# which tests reach which function in mutants/mutmut-stats.json and does not see edited tests,
# so each `make mutate` drops that file and maps the tests afresh (the mutants themselves stay).
MUTATE_MODULES := \
	wonder/listings/normalize.py wonder/listings/changes.py wonder/ingest/delete_guard.py \
	wonder/listings/page_plan.py wonder/aip/filtering.py wonder/aip/ordering.py \
	wonder/aip/pagetoken.py wonder/aip/paging.py wonder/ingest/hashing.py wonder/ingest/fields.py \
	wonder/timestamps.py wonder/db/change_feed.py
MODULE ?=
MUTATE_JOBS ?= 1

mutate: | $(DEV_STAMP) ## mutation-test the pure modules and print the score per module (MODULE=path for one)
	@test -x $(BIN)/mutmut || { echo "mutmut is not in $(BIN): make install (it is in the dev extra)" >&2; exit 1; }
	@set -e; modules="$(or $(MODULE),$(MUTATE_MODULES))"; \
	for path in $$modules; do \
	  case " $(strip $(MUTATE_MODULES)) " in *" $$path "*) ;; \
	    *) echo "mutate: $$path is not one of: $(strip $(MUTATE_MODULES))" >&2; exit 2;; esac; \
	done; \
	rm -f mutants/mutmut-stats.json; \
	for path in $$modules; do \
	  module=$${path%.py}; module=$${module//\//.}; \
	  echo "=== mutmut run $$path"; start=$$SECONDS; \
	  $(BIN)/mutmut run --max-children $(MUTATE_JOBS) "$$module.*"; \
	  echo "=== $$path: $$((SECONDS - start))s"; \
	done; \
	echo; $(BIN)/mutmut results --all true | awk -v wanted="$$modules" '\
	  BEGIN { n = split(wanted, w, " "); \
	    for (i = 1; i <= n; i++) { m = w[i]; sub(/\.py$$/, "", m); gsub("/", ".", m); order[i] = m; want[m] = 1 } } \
	  { name = $$1; sub(/:$$/, "", name); status = $$0; sub(/^ *[^ ]+: /, "", status); \
	    mod = name; sub(/\.x[^.]*$$/, "", mod); if (mod in want) { total[mod]++; count[mod "|" status]++ } } \
	  END { printf "%-28s %7s %8s %7s %6s %8s %6s %7s\n", "module", "killed", "survived", "timeout", "other", "not run", "total", "score"; \
	    for (i = 1; i <= n; i++) { m = order[i]; k = count[m "|killed"] + 0; s = count[m "|survived"] + 0; \
	      t = count[m "|timeout"] + 0; nr = count[m "|not checked"] + 0; o = total[m] - k - s - t - nr; \
	      checked = total[m] - nr; score = checked ? sprintf("%.1f%%", 100 * (k + t) / checked) : "-"; \
	      printf "%-28s %7d %8d %7d %6d %8d %6d %7s\n", m, k, s, t, o, nr, total[m], score } \
	    print "score = (killed + timeout) / (total - not run); other = no tests, suspicious, segfault, ..."; \
	    print "survivors: mutmut results; one diff: mutmut show <name>" }'

bench: $(DEV_STAMP) ## run the benchmarks and print side-by-side tables
	$(BIN)/python -m bench

clean: ## remove everything made here: .venv, node_modules, var/ (all data), build, caches
	rm -rf $(VENV) var build node_modules .pytest_cache .mypy_cache .ruff_cache
