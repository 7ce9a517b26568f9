"""The overlays, run for real with the built binary: traces to a file (redacted, probes dropped),
span metrics, and an agent forwarding to a gateway over OTLP/gRPC.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from collector_process import (
    MISSING_BINARY_REASON,
    CollectorPorts,
    RunningCollector,
    collector_available,
    start_collector,
    wait_for_family,
)
from otlp_payloads import SERVICE_LABELS, TRANSACTIONS_TOTAL, send_metrics, send_spans

pytestmark = [
    pytest.mark.collector,
    pytest.mark.skipif(not collector_available(), reason=MISSING_BINARY_REASON),
]


def read_spans(path: Path, expected: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Spans of the file exporter's JSON lines, once `expected` of them are there."""
    deadline = time.monotonic() + timeout
    while True:
        spans: list[dict[str, Any]] = []
        if path.exists():
            for line in path.read_text().splitlines():
                for resource_spans in json.loads(line)["resourceSpans"]:
                    for scope_spans in resource_spans["scopeSpans"]:
                        spans.extend(scope_spans["spans"])
        if len(spans) >= expected or time.monotonic() > deadline:
            return spans
        time.sleep(0.2)


def attributes_of(span: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON key/value list → plain dict (values as their single typed field)."""
    return {a["key"]: next(iter(a["value"].values())) for a in span.get("attributes", [])}


def nothing_listens_on(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def traces_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    collector = start_collector(
        ["otelcol.yaml", "traces.yaml", "spanmetrics.yaml"],
        work_dir=tmp_path_factory.mktemp("traces"),
        extra_env={"QF_OTELCOL_SPANMETRICS_FLUSH_INTERVAL": "500ms"},
    )
    send_spans(collector.otlp_http_url)
    yield collector
    assert collector.stop() == 0, collector.log()[-4000:]


def test_trace_tree_arrives_redacted(traces_collector: RunningCollector) -> None:
    spans = read_spans(traces_collector.work_dir / "traces.jsonl", expected=2)
    by_name = {s["name"]: s for s in spans}
    # The /healthz probe span is filtered out; the request trace is complete.
    assert sorted(by_name) == ["GET /items/{id}", "SELECT items"]
    server, db = by_name["GET /items/{id}"], by_name["SELECT items"]
    assert db["parentSpanId"] == server["spanId"]
    assert db["traceId"] == server["traceId"]

    assert attributes_of(server) == {
        "http.request.method": "GET",
        "http.route": "/items/{id}",
        "url.path": "/items/7",
        "url.full": "https://shop.example/items/7",
        "http.response.status_code": "200",
        # Joinable across spans, not readable.
        "user.id": hashlib.sha256(b"42").hexdigest(),
    }
    assert attributes_of(db)["db.query.text"] == "SELECT * FROM items WHERE id = ? AND owner = ?"


def test_span_metrics_are_exposed(traces_collector: RunningCollector) -> None:
    samples = wait_for_family(traces_collector, "traces_span_metrics_calls")
    calls = {s.labels["span_name"]: (s.labels, s.value) for s in samples}
    assert sorted(calls) == ["GET /items/{id}", "SELECT items"]
    labels, value = calls["GET /items/{id}"]
    assert value == 1.0
    assert labels["service_name"] == "orders"
    assert labels["http_route"] == "/items/{id}"
    assert labels["span_kind"] == "SPAN_KIND_SERVER"
    assert labels["job"] == "qf/orders"


def test_agent_forwards_to_gateway(tmp_path: Path) -> None:
    gateway = start_collector(["otelcol.yaml"], work_dir=tmp_path / "gateway")
    agent_ports = CollectorPorts.pick_free()
    try:
        agent = start_collector(
            ["otelcol.yaml", "agent.yaml"],
            work_dir=tmp_path / "agent",
            ports=agent_ports,
            extra_env={"QF_OTELCOL_GATEWAY_ENDPOINT": f"127.0.0.1:{gateway.ports.otlp_grpc}"},
        )
        try:
            send_metrics(agent.otlp_http_url)
            samples = wait_for_family(gateway, "qf_business_transactions")
            # Same series, same labels as when the service talks to the gateway directly.
            assert [(s.labels, s.value) for s in samples] == [
                ({**SERVICE_LABELS, "type": "purchase", "status": "ok"}, TRANSACTIONS_TOTAL)
            ]
            # Nothing to scrape on the agent: its prometheus exporter is in no pipeline.
            assert nothing_listens_on(agent_ports.prometheus)
            # Its queue lives on disk.
            assert any((tmp_path / "agent" / "storage").iterdir())
        finally:
            assert agent.stop() == 0, agent.log()[-4000:]
    finally:
        assert gateway.stop() == 0, gateway.log()[-4000:]


def test_restart_after_kill_on_same_ports(tmp_path: Path) -> None:
    # What fault tests rely on: a SIGKILLed Collector comes back on the same addresses at once.
    first = start_collector(["otelcol.yaml"], work_dir=tmp_path)
    first.kill()
    second = start_collector(["otelcol.yaml"], work_dir=tmp_path, ports=first.ports)
    try:
        send_metrics(second.otlp_http_url)
        samples = wait_for_family(second, "qf_business_transactions")
        assert [s.value for s in samples] == [TRANSACTIONS_TOTAL]
    finally:
        assert second.stop() == 0, second.log()[-4000:]
