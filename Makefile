# Two entry points on a fresh machine: `make run` and `make test` (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench-quick browser java neo4j clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

## run: set up, start the embedded store, load the curated dataset if the store is empty, serve the map
run: $(VENV)/.installed
	$(BIN)/ecomap serve

## browser: Debian's Chromium for the browser tests (never a downloaded browser build), and a CJK font
## so that screenshots show Chinese text
browser:
	@{ command -v chromium && dpkg -s fonts-wqy-microhei; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei; }

## java: a JDK (17 or newer) and Maven, to fetch and run Neo4j from Maven Central
java:
	@{ command -v java && command -v javac && command -v mvn; } >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jdk-headless maven; }

## neo4j: Neo4j 5.26 Community in the foreground on 127.0.0.1:$$NEO4J_PORT (7687), user neo4j,
## password $$NEO4J_PASSWORD, data in $$NEO4J_DATA (./data/neo4j); Ctrl-C stops it
neo4j: $(VENV)/.installed java
	$(BIN)/python -m graph.neo4j_local

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .

## test: set up, lint, and run the whole suite on the embedded FalkorDB and on Neo4j 5.26 (started
## from Maven Central artifacts for the run, with a loopback FalkorDB server for the remote backend)
test: $(VENV)/.installed-test browser java lint
	$(BIN)/python -m tests.services $(BIN)/pytest $(PYTEST_ARGS)

bench-quick: $(VENV)/.installed-test
	$(BIN)/python bench/load.py --quick
	$(BIN)/python bench/api.py --quick
	$(BIN)/python bench/analytics.py --quick
	$(BIN)/python bench/map.py --quick

clean:
	-$(BIN)/ecomap store stop
	rm -rf $(VENV) data test-artifacts
