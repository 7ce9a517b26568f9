"""Traces on: shop service → OTLP → the built Collector (traces.yaml) → JSON-lines file. The whole
request arrives as one tree, a SERVER span with the SQL and Redis CLIENT spans under it, and what
reaches the file is redacted (no query-string secret, no SQL literal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.collector import collector_process
from tests.collector.collector_process import start_collector
from tests.e2e.otlp_json import attributes_of, spans_of, wait_for
from tests.e2e.processes import StartShop

pytestmark = [
    pytest.mark.collector,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]

SERVER, CLIENT = 2, 3  # OTLP SpanKind values as pdata writes them in JSON
SECRET = "s3cr3t-token-value"


def _request_tree(path: Path) -> list[dict[str, Any]] | None:
    """The spans of the trace of the /items request, once its server span and 3 children are in."""
    spans = spans_of(path)
    servers = [s for s in spans if s["name"] == "GET /items/{item_id}"]
    if not servers:
        return None
    tree = [s for s in spans if s["traceId"] == servers[0]["traceId"]]
    return tree if len(tree) >= 4 else None


def test_span_tree_arrives_redacted(tmp_path: Path, start_shop: StartShop) -> None:
    collector = start_collector(["otelcol.yaml", "traces.yaml"], work_dir=tmp_path / "collector")
    try:
        shop = start_shop(
            {"service_name": "e2e-shop", "metrics_exporters": ["otlp"], "traces_enabled": True,
             "otlp_endpoint": collector.otlp_http_url},
            # Spans leave in batches every 200 ms instead of the SDK's 5 s.
            env={"OTEL_BSP_SCHEDULE_DELAY": "200"},
        )
        response = shop.client.get(f"/items/1?token={SECRET}&page=2")
        assert response.status_code == 200
        traces_file = collector.work_dir / "traces.jsonl"
        tree = wait_for(lambda: _request_tree(traces_file), 20, "the /items span tree")
    finally:
        assert collector.stop() == 0, collector.log()[-4000:]

    by_name = {s["name"]: s for s in tree}
    server = by_name.pop("GET /items/{item_id}")
    assert server["kind"] == SERVER
    assert "parentSpanId" not in server or not server["parentSpanId"]
    assert server["resource"]["service.name"] == "e2e-shop"
    # Exactly the three calls the handler makes, each a CLIENT child of the server span.
    assert len(tree) == 4, sorted(s["name"] for s in tree)
    children = {name: attributes_of(span) for name, span in by_name.items()}
    for span in by_name.values():
        assert span["parentSpanId"] == server["spanId"]
        assert span["kind"] == CLIENT
    sql = next(a for a in children.values() if a.get("db.system.name") == "sqlite")
    assert sql["db.query.text"] == "SELECT name FROM items WHERE id = ?"
    redis_ops = sorted(a["db.operation.name"] for a in children.values()
                       if a.get("db.system.name") == "redis")
    assert redis_ops == ["GET", "SET"]

    # Redacted: the secret is nowhere in the file (attributes, URL, anything).
    server_attributes = attributes_of(server)
    assert server_attributes["http.route"] == "/items/{item_id}"
    assert "url.query" not in server_attributes
    assert SECRET not in traces_file.read_text()
