"""QuantumFlow: a reference FastAPI service instrumented by qf-otel, its load, and the demo runners.

- `service`   the FastAPI application (items, login/sessions, checkout, quantum jobs, health)
- `load`      a load generator that drives it over real HTTP with a realistic mix
- `summary`   a short live summary computed from the service's own metrics
- `python -m examples.quantumflow`        `make demo`: service + load, /metrics on 127.0.0.1:9464
- `python -m examples.quantumflow.stack`  `make demo-stack`: the same through the Collector into
  a real Prometheus with the repository's alert rules

docs/demo.md explains what each part shows.
"""
