"""Through the launcher, unchanged code is instrumented exactly like with configure()."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import httpx
import pytest

from tests.instrumentation.test_end_to_end import sample, settled_exposition
from tests.support.apps import ChildProcess
from tests.support.ports import free_port, wait_for_http


def test_opentelemetry_instrument_records_each_request_once() -> None:
    launcher = shutil.which("opentelemetry-instrument", path=str(Path(sys.executable).parent))
    if launcher is None:
        pytest.skip("opentelemetry-instrument is not installed")
    port, metrics_port = free_port(), free_port()
    child = ChildProcess(
        [launcher, sys.executable, "-m", "uvicorn", "tests.instrumentation.launched_app:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        {"OTEL_PYTHON_DISTRO": "qf_otel", "OTEL_PYTHON_CONFIGURATOR": "qf_otel",
         "OTEL_SERVICE_NAME": "launched", "OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)},
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/docs")
        for order_id in range(6):
            assert httpx.get(f"http://127.0.0.1:{port}/orders/{order_id}").status_code == 200
        exposition = settled_exposition(
            f"http://127.0.0.1:{metrics_port}/metrics",
            "http_server_request_duration_seconds_count", 6, http_route="/orders/{order_id}")
    finally:
        child.stop()
    assert sample(exposition, "http_server_request_duration_seconds_count",
                  http_route="/orders/{order_id}", service_name="launched") == 6
