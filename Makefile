# Two entry points, each sets itself up: `make demo`, `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test setup tools samples grafana-schema preview-deps build lint bench clean

setup: $(STAMP) tools samples grafana-schema preview-deps

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip >/dev/null
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

tools:
	@scripts/ensure-debian-tools.sh

samples:
	@scripts/fetch-opencv-samples.sh

grafana-schema:
	@scripts/grafana-schema.sh

preview-deps:
	@scripts/ensure-preview-deps.sh

demo: setup
	$(PY) -m vvdash demo

test: setup
	$(PY) -m vvdash build --check
	$(PY) -m vvdash lint
	$(PY) -m pytest -q

build: $(STAMP)
	$(PY) -m vvdash build

lint: setup
	$(PY) -m vvdash lint

bench: setup
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
