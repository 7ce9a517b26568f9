"""configure() in a real service process: /metrics shows exact counts, and neither /metrics nor
the exported spans contain a query-string secret or an SQL literal."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.apps import ChildProcess
from tests.support.ports import free_port, get_text, wait_for_http

SECRETS = ("s3cr3t", "a@b.c", "a%40b.c")


@pytest.fixture
def shop(tmp_path: Path, redis_port: int) -> Iterator[dict[str, str]]:
    ports = {"SHOP_PORT": str(free_port()), "SHOP_METRICS_PORT": str(free_port())}
    env = {**ports, "SHOP_DB": str(tmp_path / "shop.db"), "SHOP_REDIS_PORT": str(redis_port),
           "SHOP_SPANS": str(tmp_path / "spans.jsonl")}
    child = ChildProcess([sys.executable, str(Path(__file__).with_name("shop_app.py"))], env)
    try:
        lines = child.wait_for_line("instrumented:")
        env["instrumented"] = lines[-1].split(":", 1)[1].strip()
        wait_for_http(f"http://127.0.0.1:{ports['SHOP_PORT']}/docs")
        yield env
    finally:
        child.stop()


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of the one sample of `name` whose labels include `labels`."""
    found = []
    for line in exposition.splitlines():
        if not line.startswith(name + "{"):
            continue
        label_text = line[len(name) + 1: line.rindex("}")]
        pairs = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', label_text))
        if all(pairs.get(k) == v for k, v in labels.items()):
            found.append(float(line.rsplit(" ", 1)[1]))
    assert len(found) == 1, f"{len(found)} samples of {name} {labels}"
    return found[0]


def settled_exposition(url: str, name: str, expected: float, **labels: str) -> str:
    """/metrics once `name{labels}` reads `expected` (the server records right after sending
    the response, so the last request may land a moment after the client has its answer)."""
    deadline = time.monotonic() + 5
    while True:
        exposition = get_text(url)
        try:
            if sample(exposition, name, **labels) == expected:
                return exposition
        except AssertionError:
            pass
        if time.monotonic() > deadline:
            return exposition
        time.sleep(0.05)


def test_exact_counts_and_no_secrets_anywhere(shop: dict[str, str]) -> None:
    assert set(shop["instrumented"].split(",")) >= {"asgi", "sqlalchemy", "redis"}
    base = f"http://127.0.0.1:{shop['SHOP_PORT']}"
    with httpx.Client(base_url=base) as client:
        for item_id in (1, 2, 1, 3, 1):
            response = client.get(f"/items/{item_id}?token=s3cr3t&email=a@b.c")
            assert response.status_code == 200
        for index in range(7):
            assert client.get(f"/unknown/{index}?token=s3cr3t").status_code == 404
    duration = "http_server_request_duration_seconds_count"
    metrics = settled_exposition(f"http://127.0.0.1:{shop['SHOP_METRICS_PORT']}/metrics",
                                 duration, 7, http_route="unmatched")
    assert sample(metrics, duration, http_route="/items/{item_id}",
                  http_response_status_code="200", service_name="shop") == 5
    assert sample(metrics, duration, http_route="unmatched",
                  http_response_status_code="404") == 7
    assert sample(metrics, "db_client_operation_duration_seconds_count",
                  db_operation_name="SELECT", db_collection_name="customers") == 5
    # item 1 three times (miss, hit, hit), items 2 and 3 once each (miss).
    assert sample(metrics, "qf_cache_requests_total", qf_cache_operation="get",
                  qf_cache_result="hit") == 2
    assert sample(metrics, "qf_cache_requests_total", qf_cache_operation="get",
                  qf_cache_result="miss") == 3
    spans = Path(shop["SHOP_SPANS"]).read_text()
    assert '"name": "GET /items/{item_id}"' in spans
    assert "SELECT id FROM customers WHERE email = ?" in spans
    for secret in SECRETS:
        assert secret not in metrics
        assert secret not in spans
