# The two commands a new user needs: `make demo` and `make test`. Everything sets itself up.
PY := .venv/bin/python
DURATION ?= 0

.PHONY: setup demo demo-stack test lint collector bench clean

setup:
	@bash scripts/setup.sh

collector:
	@bash collector/build.sh

demo: setup
	$(PY) -m examples.quantumflow --duration $(DURATION)

demo-stack: setup collector
	$(PY) -m examples.quantumflow.stack --duration $(DURATION)

lint: setup
	$(PY) -m ruff check qf_otel instrumentation tests examples benchmarks
	$(PY) -m mypy

test: setup collector
	$(PY) -m pytest -q -p no:cacheprovider
	$(MAKE) --no-print-directory lint

bench: setup
	$(PY) -m benchmarks.run

clean:
	rm -rf .venv collector/bin collector/build
