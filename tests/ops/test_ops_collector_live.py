"""The Collector dashboard and alerts against the real thing.

A real qf-otelcol runs as an agent whose gateway is down, with a sending queue of two
batches; a real Prometheus 2.42 scrapes its self-telemetry and evaluates
collector/rules. Then every Collector dashboard query must return data, and the
Collector alerts' expressions must select exactly the failing exporter: this proves the
otelcol_* names and labels in collector/qf_ops/names.py are the real ones.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from qf_ops.dashboards import panel_queries, resolve

from tests.collector.collector_process import (
    RunningCollector,
    collector_available,
    free_port,
    start_collector,
)
from tests.support.prometheus import PrometheusServer

pytestmark = [pytest.mark.collector, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
RULE_FILES = sorted(str(p) for p in (REPO / "collector" / "rules").glob("*.yml"))
# One export every EXPORT_PERIOD seconds for about 70 s: long enough for the first
# batches' retries to expire (31 s) and a second round to fail, so the failure counter
# grows after it appeared and rate() sees it.
EXPORTS, POINTS_PER_EXPORT, EXPORT_PERIOD = 150, 50, 0.45
GATEWAY_EXPORTER = "otlp_grpc/gateway"


def _alert_expr(name: str) -> str:
    for path in RULE_FILES:
        for group in yaml.safe_load(Path(path).read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if rule.get("alert") == name:
                    return str(rule["expr"])
    raise KeyError(name)


def _send_points(collector: RunningCollector) -> None:
    """EXPORTS exports of POINTS_PER_EXPORT counter points through the real OTLP exporter,
    plus the one shutdown() makes."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource

    exporter = OTLPMetricExporter(endpoint=f"{collector.otlp_http_url}/v1/metrics")
    # An interval that never elapses: exports happen exactly at force_flush().
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=10**9)
    provider = MeterProvider(
        metric_readers=[reader], resource=Resource.create({"service.name": "live-ops"})
    )
    counter = provider.get_meter("tests.ops").create_counter("qf.ops.live")
    for _ in range(EXPORTS):
        for key in range(POINTS_PER_EXPORT):
            counter.add(1, {"key": str(key)})
        assert reader.force_flush(timeout_millis=5000)
        time.sleep(EXPORT_PERIOD)  # longer than the batch timeout: one batch per export
    provider.shutdown()


def _wait_ready(prometheus: PrometheusServer, timeout: float = 30.0) -> None:
    """/-/ready answers 503 while the rule files load; the API is usable after a 200."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{prometheus.url}/-/ready", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass  # 503 (HTTPError is an OSError) or not listening yet
        if time.monotonic() > deadline:
            raise TimeoutError(f"Prometheus not ready after {timeout} s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusServer]:
    if not collector_available() or shutil.which("prometheus") is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs collector/bin/qf-otelcol (make collector) and prometheus")
        pytest.skip("needs collector/bin/qf-otelcol (make collector) and Debian's prometheus")
    collector = start_collector(
        ["otelcol.yaml", "agent.yaml"],
        tmp_path_factory.mktemp("agent"),
        extra_env={
            # Nothing listens there: every send fails and is retried until it expires.
            "QF_OTELCOL_GATEWAY_ENDPOINT": f"127.0.0.1:{free_port()}",
            "QF_OTELCOL_GATEWAY_QUEUE_SIZE": "2",
            # The shortest the exporter accepts (at least its 30 s max retry interval).
            "QF_OTELCOL_GATEWAY_MAX_ELAPSED": "31s",
        },
    )
    prometheus = PrometheusServer([f"127.0.0.1:{collector.ports.telemetry}"], rule_files=RULE_FILES)
    try:
        _wait_ready(prometheus)
        prometheus.targets_up()
        sender = threading.Thread(target=_send_points, args=(collector,), daemon=True)
        sender.start()
        # Failures are counted when a batch's retries expire (31 s); the second round
        # makes the counter grow.
        prometheus.wait_value(
            "sum(rate(otelcol_exporter_send_failed_metric_points[2m])) > 0", timeout=150
        )
        sender.join(timeout=120)
        assert not sender.is_alive()
        yield prometheus
    finally:
        prometheus.stop()
        collector.stop()


def test_collector_counts_exactly_what_was_sent(stack: PrometheusServer) -> None:
    stack.wait_value(
        "sum(otelcol_receiver_accepted_metric_points)", (EXPORTS + 1) * POINTS_PER_EXPORT
    )
    assert stack.value("sum(otelcol_receiver_refused_metric_points)") == 0
    assert stack.value("sum(otelcol_exporter_sent_metric_points)") == 0
    assert stack.value(f'otelcol_exporter_queue_capacity{{exporter="{GATEWAY_EXPORTER}"}}') == 2


COLLECTOR_QUERIES = [q for q in panel_queries() if q.dashboard == "Collector"]


@pytest.mark.parametrize("query", COLLECTOR_QUERIES, ids=lambda q: f"{q.panel} {q.ref_id}")
def test_collector_dashboard_query_returns_data(stack: PrometheusServer, query: Any) -> None:
    result = stack.query(resolve(query.expr, {"__rate_interval": "2m"}))
    assert result, f"{query.path} returned no series"


def _labels(result: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r["metric"].items() if k != "__name__"} for r in result]


def test_dropping_and_export_failure_alerts_select_the_dead_gateway_exporter(
    stack: PrometheusServer,
) -> None:
    (target,) = stack.api("targets")["activeTargets"]
    expected = [
        {"job": "qf", "instance": target["labels"]["instance"], "exporter": GATEWAY_EXPORTER}
    ]
    dropping = stack.query(_alert_expr("CollectorDroppingData"))
    assert _labels(dropping) == expected
    failing = stack.query(_alert_expr("CollectorExportFailures"))
    assert _labels(failing) == expected
    assert float(failing[0]["value"][1]) == 1.0  # nothing was ever delivered
    assert stack.query(_alert_expr("CollectorRefusingData")) == []


def test_queue_usage_recording_rule_is_evaluated(stack: PrometheusServer) -> None:
    usage = stack.wait_value(
        f'instance_exporter:otelcol_exporter_queue:usage_ratio{{exporter="{GATEWAY_EXPORTER}"}}'
    )
    assert 0 <= usage <= 1
