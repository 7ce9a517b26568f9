# The two commands a new user needs: `make demo` and `make test`. Everything sets itself up.
PY := .venv/bin/python
DURATION ?= 0
DEMO_ARGS ?=

.PHONY: setup demo demo-stack test lint collector bench clean catalog generate

setup:
	@bash scripts/setup.sh

collector:
	@bash collector/build.sh

demo: setup
	$(PY) -m examples.quantumflow --duration $(DURATION) $(DEMO_ARGS)

demo-stack: setup collector
	$(PY) -m examples.quantumflow.stack --duration $(DURATION) $(DEMO_ARGS)

lint: setup
	$(PY) -m ruff check qf_otel instrumentation tests examples benchmarks collector/qf_ops
	$(PY) -m mypy
	$(PY) -m mypy --strict --python-version 3.11 collector/qf_ops tests/ops
	PYTHONPATH=collector $(PY) -m qf_ops --check

test: setup collector
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory lint

bench: setup
	$(PY) -m benchmarks.run

catalog: setup  ## regenerate docs/metrics.md from the instruments in the code
	$(PY) -m qf_otel.catalog > docs/metrics.md

generate: setup  ## regenerate rules, rule tests, dashboards, k8s manifests and runbooks
	PYTHONPATH=collector $(PY) -m qf_ops

clean:
	rm -rf .venv collector/bin collector/build
