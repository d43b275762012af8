# yibao — the README's two commands are `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHELL := /bin/bash

.PHONY: install demo test bench lint schema-docs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@command -v java >/dev/null || (echo "PySpark 需要 Java 17: apt-get install -y openjdk-17-jre-headless"; \
	  (command -v apt-get >/dev/null && (apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless)) || true)
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/yibao demo --out out/demo

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/yibao bench synth --preset yiyang-2019 --scale $${SCALE:-1} --json
	$(BIN)/yibao bench settle --claims $${CLAIMS:-10000000} --json
	$(BIN)/yibao bench ingest --rows $${ROWS:-10000000} --json

lint: $(STAMP)
	$(BIN)/ruff check src tests

schema-docs: $(STAMP)
	$(BIN)/yibao schema docs --out docs/schema.md
	$(BIN)/python -m yibao.indicators.docs > docs/indicators.md

clean:
	rm -rf out .pytest_cache .ruff_cache
