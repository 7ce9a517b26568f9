"""`make demo-stack` end to end: service → OTLP → the built Collector → real Prometheus with rules.

One run of about a minute (the demo's own code: `infra.Collector`, `infra.Prometheus`, `DemoRun`,
with qpu-b overheated and every alert's `for:` capped at 15 s), then checks against Prometheus'
HTTP API while the service is still up:
- every metric of the catalog is there (bar the ones only an incident produces, listed below);
- every panel query of every generated dashboard returns data;
- every recording and alerting rule evaluates without error;
- LowQuantumCoherence fires for qpu-b, the system the load drives below 0.7.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from examples.quantumflow.infra import COLLECTOR_BINARY, Collector, Prometheus
from examples.quantumflow.load import LoadConfig
from examples.quantumflow.runner import ROOT, DemoRun, free_port
from qf_otel import catalog

pytestmark = [pytest.mark.slow, pytest.mark.collector]

LOAD_SECONDS = 60.0
ALERT_WAIT_SECONDS = 60.0
# Catalog metrics a healthy run cannot produce, and why. Anything else missing fails the test.
ONLY_IN_INCIDENTS_OR_OPT_IN = {
    "http_server_duration_milliseconds": "old HTTP conventions, only with "
                                         "OTEL_SEMCONV_STABILITY_OPT_IN=http/dup",
    "http_client_duration_milliseconds": "old HTTP conventions, only with http/dup",
    "db_client_connections_usage": "old DB conventions, only with database/dup",
    "db_client_connection_timeouts_total": "only when a pool checkout times out",
    "qf_cache_errors_total": "only when a cache operation raises (e.g. Redis down)",
    "qf_otel_attribute_folded_total": "only when a value outside a closed set is recorded",
    "qf_otel_record_rejected_total": "only when an invalid value is recorded",
    "qf_otel_export_failures_total": "only when an export fails",
}


@dataclass
class Observed:
    metric_names: set[str] = field(default_factory=set)
    empty_panels: list[str] = field(default_factory=list)
    panel_count: int = 0
    rules: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    coherence_below_threshold: bool = False


def _dashboard_queries() -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "collector"))
    from qf_ops.dashboards.queries import panel_queries, resolve

    return [(query.path, resolve(query.expr)) for query in panel_queries()]


def _observe(prometheus_url: str) -> Observed:
    observed = Observed()
    with httpx.Client(base_url=prometheus_url, timeout=10.0) as client:
        def api(path: str, **params: str) -> Any:
            body = client.get(f"/api/v1/{path}", params=params).json()
            assert body["status"] == "success", body
            return body["data"]

        deadline = time.monotonic() + ALERT_WAIT_SECONDS
        while time.monotonic() < deadline:
            observed.alerts = api("alerts")["alerts"]
            if any(a["labels"]["alertname"] == "LowQuantumCoherence" and a["state"] == "firing"
                   for a in observed.alerts):
                break
            time.sleep(1.0)
        observed.coherence_below_threshold = bool(
            api("query", query='qf_quantum_coherence_ratio{qf_quantum_system="qpu-b"} < 0.7')
            ["result"])
        observed.metric_names = set(api("label/__name__/values"))
        queries = _dashboard_queries()
        observed.panel_count = len(queries)
        for path, expr in queries:
            if not api("query", query=expr)["result"]:
                observed.empty_panels.append(f"{path}: {expr}")
        # Every rule has been evaluated many times by now; take the states of one evaluation.
        observed.rules = [rule for group in api("rules")["groups"] for rule in group["rules"]]
    return observed


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    if not COLLECTOR_BINARY.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{COLLECTOR_BINARY} missing in CI: `make collector` must run first")
        pytest.skip(f"{COLLECTOR_BINARY} is not built (run `make collector`)")
    work_dir: Path = tmp_path_factory.mktemp("demo-stack")
    collector = Collector(work_dir)
    prometheus = Prometheus(work_dir, collector, port=free_port(), alert_for_cap="15s")
    results: list[Observed] = []
    collector.start()
    try:
        prometheus.start()
        demo = DemoRun(
            service_port=free_port(),
            service_env={"OTEL_METRICS_EXPORTER": "otlp",
                         "OTEL_EXPORTER_OTLP_ENDPOINT": collector.otlp_url,
                         "OTEL_METRIC_EXPORT_INTERVAL": "2000"},
            load=LoadConfig("", degrade_qpu=True, seed=11), report_every=3600,
            work_dir=work_dir)

        async def quiet() -> None:
            return None

        async def finished() -> None:
            results.append(await asyncio.to_thread(_observe, prometheus.url))

        async def no_report() -> str | None:
            return None

        asyncio.run(demo.run(LOAD_SECONDS, no_report, on_ready=quiet, on_finished=finished))
        yield results[0]
    finally:
        prometheus.stop()
        collector.stop()


def test_every_catalog_metric_reaches_prometheus(observed: Observed) -> None:
    expected = {row.prometheus_name for row in catalog.rows()} - set(ONLY_IN_INCIDENTS_OR_OPT_IN)
    present = set()
    for name in expected:
        # Histograms are stored as _bucket/_count/_sum series.
        if name in observed.metric_names or f"{name}_count" in observed.metric_names:
            present.add(name)
    assert sorted(expected - present) == []


def test_every_dashboard_panel_query_returns_data(observed: Observed) -> None:
    assert observed.panel_count > 40
    assert observed.empty_panels == []


def test_every_rule_evaluates_without_error(observed: Observed) -> None:
    assert len(observed.rules) > 50
    broken = [(rule["name"], rule["health"], rule.get("lastError", ""))
              for rule in observed.rules if rule["health"] != "ok"]
    assert broken == []


def test_low_quantum_coherence_fires_for_the_overheated_system(observed: Observed) -> None:
    assert observed.coherence_below_threshold
    firing = [alert["labels"] for alert in observed.alerts
              if alert["labels"]["alertname"] == "LowQuantumCoherence"
              and alert["state"] == "firing"]
    assert [labels["qf_quantum_system"] for labels in firing] == ["qpu-b"]
    assert firing[0]["service_name"] == "quantumflow-api"
    assert firing[0]["deployment_environment_name"] == "demo"
