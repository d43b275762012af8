# yibao — the README's two commands are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHELL := /bin/bash

.PHONY: install sysdeps demo test fuzz bench bench-web lint schema-docs mutate clean

# Debian packages the reports need: CJK fonts (the documented fallbacks for 仿宋_GB2312, 黑体, 楷体,
# 小标宋), LibreOffice for the PDF, poppler for rendering pages in the tests.  The workbench tests
# (issue 18) need chromium (Playwright drives it; its own browser download is not used) and the
# PostgreSQL server (a throwaway cluster per test run, tests/web/pg.py).
SYSDEPS := fonts-noto-cjk fonts-arphic-ukai libreoffice-writer-nogui poppler-utils chromium postgresql

install: $(STAMP) sysdeps

sysdeps:
	@missing=""; for p in $(SYSDEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "安装系统软件包:$$missing"; \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "请以 root 运行: apt-get install $$missing"; fi; \
	fi

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@command -v java >/dev/null || (echo "PySpark 需要 Java 17: apt-get install -y openjdk-17-jre-headless"; \
	  (command -v apt-get >/dev/null && (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless)) || true)
	@touch $(STAMP)

demo: $(STAMP) sysdeps
	$(BIN)/yibao demo --out out/demo

test: $(STAMP) sysdeps
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

# Long fuzz run of ingest (issue 11): ≥ 100,000 hostile rows; prints rows tried, crashes and
# rows silently changed, exit 1 if any.  FUZZ_ROWS=… FUZZ_SEED=… adjust it.
fuzz: $(STAMP)
	$(BIN)/python tests/ingest/fuzz_run.py --rows $${FUZZ_ROWS:-100000} --seed $${FUZZ_SEED:-1}

# `bench city` (issue 17): yibao run step by step on a generated city, cached in out/bench-cache.
bench: $(STAMP)
	$(BIN)/yibao bench city --preset $${PRESET:-yiyang-2019} --scale $${SCALE:-1} --json
	$(BIN)/yibao bench synth --preset yiyang-2019 --scale $${SCALE:-1} --json
	$(BIN)/yibao bench settle --claims $${CLAIMS:-10000000} --json
	$(BIN)/yibao bench ingest --rows $${ROWS:-10000000} --json

# Workbench load (issue 18), never part of `make test`: the full demo (scale 0.2) once, then
# USERS (20) signed-in users request the overview and findings pages for SECONDS (60) on
# 127.0.0.1; prints p50/p95 latency and errors as JSON (goal: p95 ≤ 500 ms, no errors).
bench-web: $(STAMP)
	@test -f out/bench-web/workspace.duckdb || $(BIN)/yibao demo --out out/bench-web
	$(BIN)/python -m yibao.web.load out/bench-web --users $${USERS:-20} --seconds $${SECONDS:-60}

# Mutation testing (issue 19), never part of `make test`: mutmut over money, settle, ingest/validate
# and finance/subsidy ([tool.mutmut] in pyproject.toml). All ~3,500 mutants take hours on 2 cores;
# narrow with MUTANTS, e.g. make mutate MUTANTS='yibao.money.* yibao.finance.subsidy.*'.
mutate: $(STAMP)
	YIBAO_DATA_DIR=$${YIBAO_DATA_DIR:-$(abspath ../shared/data)} \
	  $(BIN)/mutmut run --max-children $${JOBS:-2} $(MUTANTS)
	$(BIN)/mutmut results

lint: $(STAMP)
	$(BIN)/ruff check src tests

schema-docs: $(STAMP)
	$(BIN)/yibao schema docs --out docs/schema.md
	$(BIN)/python -m yibao.indicators.docs > docs/indicators.md

clean:
	rm -rf out .pytest_cache .ruff_cache mutants
