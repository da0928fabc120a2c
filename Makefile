# Two entry points, each sets itself up: `make demo`, `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test static setup tools samples grafana-schema preview-deps build lint bench clean fleet-tools

setup: $(STAMP) tools samples grafana-schema preview-deps

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip >/dev/null
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

tools:
	@scripts/ensure-debian-tools.sh
	@python3 scripts/fetch_debian_unstable_tools.py

samples:
	@scripts/fetch-opencv-samples.sh

grafana-schema:
	@scripts/grafana-schema.sh

preview-deps:
	@scripts/ensure-preview-deps.sh

demo: setup
	$(PY) -m vvdash demo

test: setup static fleet-tools
	$(PY) -m vvdash build --check
	$(PY) -m vvdash lint
	$(PY) -m pytest -q

# Fast checks before the tests: ruff, mypy (vvdash/), the import-linter contracts (pyproject.toml).
static: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

build: $(STAMP)
	$(PY) -m vvdash build

lint: setup
	$(PY) -m vvdash lint

bench: setup fleet-tools
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache *.egg-info

# The fleet's store (`vvdash fleet up`, tests/fleet/test_fleet_e2e.py): Thanos built from its Go
# module into .tools/thanos/. `make test` builds it (about 4 minutes cold on two cores, seconds
# once built); `make setup` and `make demo` do not need it.
fleet-tools:
	@python3 scripts/build_thanos.py
