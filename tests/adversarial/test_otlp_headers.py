"""OTLP headers against the real Collector over both protocols. HTTP header names are
case-insensitive, and users copy `Authorization=Bearer ...` from vendor docs; gRPC metadata keys
must be lower-case, so the same setting has to work for both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.adversarial._support import run_python
from tests.collector import collector_process
from tests.collector.collector_process import RunningCollector, start_collector

pytestmark = [
    pytest.mark.collector,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    running = start_collector(["otelcol.yaml"], work_dir=tmp_path_factory.mktemp("collector"))
    yield running
    running.stop()


def _push(collector: RunningCollector, protocol: str, headers: str) -> dict[str, object]:
    endpoint = (collector.otlp_grpc_endpoint if protocol == "grpc"
                else collector.otlp_http_url)
    run = run_python(f"""
        import qf_otel
        from opentelemetry import metrics
        from qf_otel._limits import FAILURES
        t = qf_otel.configure(metrics_exporters="otlp", otlp_protocol={protocol!r},
                              otlp_endpoint={endpoint!r}, otlp_headers={headers!r},
                              export_interval=60, disabled_instrumentations=["system_metrics"])
        metrics.get_meter("adv").create_counter("adv.headers").add(1)
        t.force_flush(5)
        report({{"failures": sum(s.value for s in FAILURES.all_series())}})
    """, timeout=20)
    result: dict[str, object] = run.result()
    return result


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_lower_case_headers_work_on_both_protocols(collector: RunningCollector,
                                                   protocol: str) -> None:
    """Held."""
    assert _push(collector, protocol, "x-tenant=a,x-token=b%20c") == {"failures": 0}


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_capitalised_header_names_work_on_both_protocols(collector: RunningCollector,
                                                         protocol: str) -> None:
    assert _push(collector, protocol, "Authorization=Bearer%20abc,X-Tenant=a") == {"failures": 0}
