"""Export failures with traces on: issue 2 asks that they be logged once per kind (rate-limited)
and counted. The metrics path does this; these tests drive the traces path against a dead port."""

from __future__ import annotations

from tests.adversarial._support import run_python
from tests.support.ports import free_port

TRACES_AGAINST_A_DEAD_PORT = """
    import time, qf_otel
    from opentelemetry import trace
    from qf_otel._limits import FAILURES
    qf_otel.configure(metrics_exporters="otlp", traces_enabled=True, otlp_timeout=0.5,
                      export_interval=0.2, otlp_endpoint="http://127.0.0.1:{dead}",
                      instrumentations=["cache"])   # nothing that traces our own exports
    tracer = trace.get_tracer("adv")
    end = time.monotonic() + 2.5
    while time.monotonic() < end:       # enough spans for several full batches
        for _ in range(600):
            with tracer.start_as_current_span("work"):
                pass
        time.sleep(0.1)
    report({{str(s.attributes.get("qf.otel.exporter")): s.value for s in FAILURES.all_series()}})
"""


def _run() -> tuple[str, dict[str, float]]:
    run = run_python(TRACES_AGAINST_A_DEAD_PORT.format(dead=free_port()), timeout=20)
    return run.output, run.result()


def test_metric_export_failures_are_logged_once_and_counted() -> None:
    """Held: many failed metric pushes, one log line of each kind, every failure counted."""
    output, counted = _run()
    assert output.count("Failed to export metrics batch") <= 1, output
    assert output.count("qf-otel: otlp export failed") == 1, output
    assert counted.get("otlp", 0) >= 5, counted


def test_span_export_failures_are_logged_once() -> None:
    output, _ = _run()
    assert output.count("Failed to export spans batch") <= 1, output


def test_span_export_failures_are_counted() -> None:
    _, counted = _run()
    assert any("trace" in exporter or "span" in exporter for exporter in counted), counted
