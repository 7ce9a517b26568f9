"""HTTP client metrics for httpx (sync, async, module-level) and requests, against real uvicorn."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import requests

from qf_otel.testing import MetricsCapture
from tests.instrumentation import apps
from tests.instrumentation.conftest import Installed, UvicornServer
from tests.support.ports import free_port

DURATION = "http.client.request.duration"


@pytest.fixture
def server(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer]
) -> UvicornServer:
    instrument(instrumentations=frozenset({"httpx", "requests"}))
    return serve(apps.fastapi_app())


def target(server: UvicornServer, **more: Any) -> dict[str, Any]:
    return {"server.address": "127.0.0.1", "server.port": server.port, "url.scheme": "http",
            **more}


def test_httpx_sync_async_and_module_level(
    server: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    with httpx.Client() as client:
        for _ in range(3):
            assert client.get(server.url + "/v1/items/1").status_code == 200
    assert httpx.post(server.url + "/v1/items/2").status_code == 200
    assert httpx.get(server.url + "/nothing").status_code == 404

    async def calls() -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(2):
                assert (await client.get(server.url + "/v1/items/1")).status_code == 200

    asyncio.run(calls())
    get_ok = target(server, **{"http.request.method": "GET", "http.response.status_code": 200})
    assert qf_metrics.histogram(DURATION, get_ok).count == 5
    post_ok = target(server, **{"http.request.method": "POST", "http.response.status_code": 200})
    assert qf_metrics.histogram(DURATION, post_ok).count == 1
    not_found = target(server, **{"http.response.status_code": 404, "error.type": "404"})
    assert qf_metrics.histogram(DURATION, not_found).count == 1


def test_requests_session_and_module_level(
    server: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    session = requests.Session()  # created before the first call, reused
    for _ in range(4):
        assert session.get(server.url + "/v1/items/1").status_code == 200
    assert requests.get(server.url + "/boom").status_code == 500
    ok = target(server, **{"http.request.method": "GET", "http.response.status_code": 200})
    assert qf_metrics.histogram(DURATION, ok).count == 4
    failed = target(server, **{"http.response.status_code": 500, "error.type": "500"})
    assert qf_metrics.histogram(DURATION, failed).count == 1


def test_connection_errors_are_named(
    server: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    port = free_port()  # nothing listens there
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/")
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/", timeout=2)
    refused = {"server.address": "127.0.0.1", "server.port": port}
    assert qf_metrics.histogram(
        DURATION, {**refused, "error.type": "httpx.ConnectError"}).count == 1
    assert qf_metrics.histogram(
        DURATION, {**refused, "error.type": "requests.exceptions.ConnectionError"}).count == 1
