# One command to run the server, one to run every check.
#   make run    set up .venv and serve ./chartstorage on port 8080
#   make test   set up everything on a fresh machine and run lint, types and the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test setup system-deps lint bench fuzz chart-upload image image-push

URL ?= http://localhost:8080
# the image the bundled chart deploys by default: chartmuseum:<appVersion>
IMAGE ?= chartmuseum:$(shell sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$$/\1/p' helm-chart/Chart.yaml)

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

# the benchmark (README "Benchmark"): every section, N = 10,000 and 100,000, 1,000 tenants
# and OCI (about 45 min on 2 cores); one section with e.g. make bench BENCH_ARGS="--charts 1000",
# "--charts 10000 --workdir /var/tmp/cmbench" (keeps the packages), "--tenants 1000", "--oci"
BENCH_ARGS ?=
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

# only the schemathesis run against a live server (make test runs it too, and prints its
# summary line); dig deeper with e.g. make fuzz FUZZ_MAX_EXAMPLES=500
fuzz: setup
	bash .ci/pytest.sh $(BIN)/python tests/fuzz

# package helm-chart/ and upload it to a running server: make chart-upload URL=http://host:8080
chart-upload: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash deploy/package-and-upload.sh $(URL)

# build the server's image from the Dockerfile, tagged as the bundled chart expects
image:
	docker build -t $(IMAGE) .

# tag and push it to a registry: make image-push REGISTRY=registry.example.com
image-push: image
	@test -n "$(REGISTRY)" || { echo "make image-push needs REGISTRY=<registry host[/path]>" >&2; exit 2; }
	docker tag $(IMAGE) $(REGISTRY)/$(IMAGE)
	docker push $(REGISTRY)/$(IMAGE)
