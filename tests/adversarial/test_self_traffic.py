"""qf-otel's own OTLP pushes must not show up as the application's HTTP client traffic. The SDK
marks its export threads with the suppress-instrumentation context key for exactly this; an HTTP
client instrumentation that ignores it records every push (and, with traces on, traces every
span export, which is exported, which is traced...)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adversarial._support import run_python
from tests.collector import collector_process
from tests.collector.collector_process import RunningCollector, start_collector

pytestmark = [
    pytest.mark.collector,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[RunningCollector]:
    running = start_collector(["otelcol.yaml"], work_dir=tmp_path / "collector")
    yield running
    running.stop()


def test_otlp_pushes_are_not_recorded_as_the_apps_http_client_requests(
        collector: RunningCollector) -> None:
    run = run_python(f"""
        import time, urllib.request, qf_otel
        t = qf_otel.configure(metrics_exporters="prometheus,otlp", prometheus_port=0,
                              export_interval=0.3, otlp_endpoint="{collector.otlp_http_url}")
        time.sleep(1.5)                      # about five pushes, all answered by the Collector
        body = urllib.request.urlopen(t.metrics_url, timeout=5).read().decode()
        report({{"instrumented": t.instrumented,
                 "client": [line for line in body.splitlines()
                            if line.startswith("http_client_request_duration_seconds_count")]}})
    """)
    result = run.result()
    assert "requests" in result["instrumented"]   # the instrumentation under test is active
    assert result["client"] == []
