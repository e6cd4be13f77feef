# One command to run the server, one to run every check.
#   make run    set up .venv and serve ./chartstorage on port 8080
#   make test   set up everything on a fresh machine and run lint, types and the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test setup system-deps lint bench chart-upload

URL ?= http://localhost:8080

$(BIN)/chartmuseum: setup.cfg pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[all,test]'
	touch $@

setup: $(BIN)/chartmuseum

run: setup
	mkdir -p chartstorage
	$(BIN)/chartmuseum --storage=local --storage-local-rootdir=./chartstorage --port=8080

system-deps:
	bash .ci/system-deps.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: system-deps setup lint
	bash .ci/pytest.sh $(BIN)/python

bench: setup
	$(BIN)/python -m bench

# package helm-chart/ and upload it to a running server: make chart-upload URL=http://host:8080
chart-upload: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash deploy/package-and-upload.sh $(URL)
