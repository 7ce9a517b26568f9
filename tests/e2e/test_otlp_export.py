"""qf_otel's side of the Collector path: `OTEL_METRICS_EXPORTER=otlp` (environment) and
`metrics_exporters=["otlp"]` (argument) both reach the real Collector, over http/protobuf and
gRPC, with cumulative temporality (the prometheus exporter drops delta histograms:
collector-contrib#19153). The Collector writes what it exports to a JSON-lines file
(metrics-file.yaml), which is where the temporality is read back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.collector import collector_process
from tests.collector.collector_process import RunningCollector, start_collector, wait_for_family
from tests.e2e.otlp_json import CUMULATIVE, attributes_of, metrics_by_name, wait_for
from tests.e2e.processes import StartShop

pytestmark = [
    pytest.mark.collector,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]

METRICS_FILE_OVERLAY = Path(__file__).with_name("metrics-file.yaml")
PURCHASES = 3


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[RunningCollector]:
    running = start_collector(
        ["otelcol.yaml", METRICS_FILE_OVERLAY], work_dir=tmp_path / "collector",
        extra_env={"QF_E2E_METRICS_FILE": str(tmp_path / "collector" / "metrics.jsonl")},
    )
    yield running
    assert running.stop() == 0, running.log()[-4000:]


def _endpoint(collector: RunningCollector, protocol: str) -> str:
    return collector.otlp_grpc_endpoint if protocol == "grpc" else collector.otlp_http_url


def _through_environment(collector: RunningCollector, protocol: str
                         ) -> tuple[dict[str, Any], dict[str, str]]:
    return {}, {
        "OTEL_SERVICE_NAME": "e2e-env",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_ENDPOINT": _endpoint(collector, protocol),
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
        # A user's delta preference must not reach the Prometheus path: qf_otel pins cumulative.
        "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE": "delta",
    }


def _through_arguments(collector: RunningCollector, protocol: str
                       ) -> tuple[dict[str, Any], dict[str, str]]:
    return {
        "service_name": "e2e-args", "metrics_exporters": ["otlp"],
        "otlp_endpoint": _endpoint(collector, protocol), "otlp_protocol": protocol,
        "export_interval": 0.5,
    }, {}


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
@pytest.mark.parametrize("how", [_through_environment, _through_arguments],
                         ids=["environment", "argument"])
def test_otlp_reaches_collector_cumulative(
    how: Any, protocol: str, collector: RunningCollector, start_shop: StartShop
) -> None:
    configure, env = how(collector, protocol)
    shop = start_shop(configure, env)
    shop.buy(times=PURCHASES)
    service = configure.get("service_name") or env["OTEL_SERVICE_NAME"]

    # The Prometheus side: the histogram is there (a delta one would have been dropped) and
    # counts every request; the domain counter equals what was recorded.
    def settled() -> bool:
        samples = wait_for_family(collector, "http_server_request_duration_seconds")
        counts = [s.value for s in samples if s.name.endswith("_count")
                  and s.labels.get("service_name") == service]
        return counts == [PURCHASES]

    wait_for(settled, 15, f"http_server_request_duration_seconds_count == {PURCHASES}")
    transactions = wait_for_family(collector, "qf_business_transactions")
    assert [(s.labels["service_name"], s.value) for s in transactions] == [(service, PURCHASES)]

    # The OTLP side (the file exporter flushes every 200 ms, so it may trail the exposition):
    # every sum and histogram the service sent is cumulative.
    wanted = {"http.server.request.duration", "qf.business.transactions",
              "db.client.operation.duration", "qf.cache.requests"}
    metrics = wait_for(lambda: _when_complete(collector.work_dir / "metrics.jsonl", wanted),
                       15, f"{sorted(wanted)} with {PURCHASES} transactions in the file")
    temporalities = {
        (name, kind, copy[kind].get("aggregationTemporality"))
        for name, copies in metrics.items() for copy in copies
        for kind in ("sum", "histogram", "exponentialHistogram") if kind in copy
    }
    assert temporalities, "no sums or histograms exported"
    not_cumulative = {t for t in temporalities if t[2] not in CUMULATIVE}
    assert not not_cumulative, not_cumulative
    # Cumulative means a later export repeats the total, never just the increment.
    points = [copy["sum"]["dataPoints"] for copy in metrics["qf.business.transactions"]]
    assert all(len(p) == 1 for p in points), points
    values = [_value(p[0]) for p in points]
    assert values == sorted(values) and values[-1] == PURCHASES, values
    assert attributes_of(points[-1][0]) == {
        "qf.transaction.type": "purchase", "qf.transaction.status": "success",
        "service.name": service,
    }


def _value(point: dict[str, Any]) -> float:
    return float(point.get("asDouble", point.get("asInt", 0)))


def _when_complete(path: Path, wanted: set[str]) -> dict[str, list[dict[str, Any]]] | None:
    """The file's metrics once `wanted` are all in and the last export holds every purchase."""
    metrics = metrics_by_name(path)
    if not wanted <= set(metrics):
        return None
    last = metrics["qf.business.transactions"][-1]["sum"]["dataPoints"]
    return metrics if [_value(p) for p in last] == [PURCHASES] else None
