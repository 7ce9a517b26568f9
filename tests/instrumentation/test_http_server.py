"""HTTP server metrics through a real uvicorn: exact counts per route template and status."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from qf_otel.testing import MetricsCapture
from tests.instrumentation import apps
from tests.instrumentation.conftest import Installed, UvicornServer

DURATION = "http.server.request.duration"


def settle(qf_metrics: MetricsCapture) -> None:
    """Waits until the server has recorded every request: the client can see a response before
    the server's send() returns, and the server records right after."""
    deadline = time.monotonic() + 5
    while qf_metrics.value("http.server.active_requests") != 0:
        assert time.monotonic() < deadline, "requests still active"
        time.sleep(0.005)


def count(qf_metrics: MetricsCapture, **attributes: Any) -> int:
    settle(qf_metrics)
    wanted = {key.replace("_", "."): value for key, value in attributes.items()}
    wanted = {("http.response.status_code" if k == "status" else k): v for k, v in wanted.items()}
    return qf_metrics.histogram(DURATION, wanted).count


def routes_seen(qf_metrics: MetricsCapture) -> set[str]:
    """Routes of the series that grew during this test."""
    settle(qf_metrics)
    return {attrs["http.route"] for attrs, _ in qf_metrics.series(DURATION)
            if qf_metrics.histogram(DURATION, attrs).count > 0}


@pytest.fixture
def served(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer]
) -> UvicornServer:
    instrument(instrumentations=frozenset({"asgi"}))
    return serve(apps.fastapi_app())


def test_each_request_counts_once_under_its_template(
    served: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    expected = {
        ("/v1/items/{item_id}", 200): ["/v1/items/1", "/v1/items/2", "/v1/items/3"],
        ("/v1/items/{item_id}", 404): ["/v1/items/404"],
        ("/v1/items/{item_id}", 422): ["/v1/items/not-a-number"],
        ("/sub/things/{thing}", 200): ["/sub/things/a", "/sub/things/b"],
        ("/plain/hello/{name}", 200): ["/plain/hello/ann", "/plain/hello/bob"],
        ("/plain/inner/deep/{depth}", 200): ["/plain/inner/deep/7"],
    }
    with httpx.Client(base_url=served.url) as client:
        for (_, status), paths in expected.items():
            for path in paths:
                assert client.get(path).status_code == status
        assert client.post("/v1/items/5").status_code == 200
    for (route, status), paths in expected.items():
        assert count(qf_metrics, http_route=route, status=status,
                     **{"http.request.method": "GET"}) == len(paths), route
    assert count(qf_metrics, http_route="/v1/items/{item_id}", status=200,
                 **{"http.request.method": "POST"}) == 1
    assert routes_seen(qf_metrics) == {route for route, _ in expected}
    # Every series carries the scheme; none carries a raw path.
    for attrs, _ in qf_metrics.series(DURATION):
        assert attrs["url.scheme"] == "http"


def test_unmatched_paths_fold_into_one_series(
    served: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    with httpx.Client(base_url=served.url) as client:
        for index in range(25):
            assert client.get(f"/nothing/{index}").status_code == 404
        for index in range(5):
            assert client.get(f"/sub/unknown/{index}").status_code == 404
        assert client.get(f"/plain/unknown/{index}").status_code == 404
        assert client.delete("/boom").status_code == 405
    assert count(qf_metrics, http_route="unmatched", status=404) == 31
    assert count(qf_metrics, http_route="/boom", status=405) == 1
    assert routes_seen(qf_metrics) == {"unmatched", "/boom"}


def test_excluded_urls_record_nothing(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer],
    qf_metrics: MetricsCapture,
) -> None:
    instrument(instrumentations=frozenset({"asgi"}),
               excluded_urls=("/metrics$", "/health$", "^/v1/items/9"))
    server = serve(apps.fastapi_app())
    with httpx.Client(base_url=server.url) as client:
        for path in ("/metrics", "/health", "/v1/items/9", "/v1/items/91"):
            assert client.get(path).status_code == 200
        assert client.get("/v1/items/1").status_code == 200
    assert routes_seen(qf_metrics) == {"/v1/items/{item_id}"}
    assert count(qf_metrics, http_route="/v1/items/{item_id}") == 1


def test_clock_stops_at_the_last_body_chunk(
    served: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    with httpx.Client(base_url=served.url) as client:
        assert client.get("/background").text == '"queued"'
        body = client.get("/stream").text
    assert body.count("chunk") == apps.CHUNKS
    time.sleep(apps.BACKGROUND_SECONDS + 0.2)  # let the background task finish
    settle(qf_metrics)
    background = qf_metrics.histogram(DURATION, {"http.route": "/background"})
    assert background.count == 1
    assert background.sum < apps.BACKGROUND_SECONDS / 2, "background task was timed"
    stream = qf_metrics.histogram(DURATION, {"http.route": "/stream"})
    assert stream.count == 1
    assert stream.sum >= apps.CHUNKS * apps.CHUNK_SECONDS * 0.9, "stream stopped early"


def test_an_exception_is_a_500_named_by_its_class(
    served: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    with httpx.Client(base_url=served.url) as client:
        assert client.get("/boom").status_code == 500
    settle(qf_metrics)
    assert qf_metrics.histogram(
        DURATION, {"http.route": "/boom", "http.response.status_code": 500,
                   "error.type": "ValueError"}).count == 1


def test_active_requests_rise_and_fall(
    served: UvicornServer, qf_metrics: MetricsCapture
) -> None:
    active = {"http.request.method": "GET", "url.scheme": "http"}
    thread = threading.Thread(target=httpx.get, args=(served.url + "/slow",))
    thread.start()
    deadline = time.monotonic() + 5
    seen = 0.0
    while time.monotonic() < deadline and seen < 1:
        seen = qf_metrics.value("http.server.active_requests", active)
        time.sleep(0.01)
    thread.join()
    assert seen == 1
    settle(qf_metrics)
    assert qf_metrics.value("http.server.active_requests", active) == 0


def test_apps_created_before_install_are_observed(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer],
    qf_metrics: MetricsCapture,
) -> None:
    early_fastapi, early_starlette = apps.fastapi_app(), apps.starlette_app()
    instrument(instrumentations=frozenset({"fastapi"}))
    first, second = serve(early_fastapi), serve(early_starlette)
    for _ in range(3):
        assert httpx.get(first.url + "/v1/items/1").status_code == 200
        assert httpx.get(second.url + "/hello/x").status_code == 200
    assert count(qf_metrics, http_route="/v1/items/{item_id}", status=200) == 3
    assert count(qf_metrics, http_route="/hello/{name}", status=200) == 3


def test_fastapi_native_telemetry_steps_aside(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer],
    qf_metrics: MetricsCapture,
) -> None:
    """FastAPI >= 0.16x records the same instrument through any configured MeterProvider: with
    ours installed it must record nothing, so nothing is counted twice."""
    reader = InMemoryMetricReader()
    native = apps.fastapi_app(telemetry={"meter_provider": MeterProvider([reader]),
                                         "tracing": False, "logs": False})
    instrument(instrumentations=frozenset({"asgi"}))
    server = serve(native)
    for _ in range(4):
        assert httpx.get(server.url + "/sub/things/x").status_code == 200
    assert count(qf_metrics, http_route="/sub/things/{thing}", status=200) == 4
    data = reader.get_metrics_data()
    names = [m.name for rm in (data.resource_metrics if data else [])
             for sm in rm.scope_metrics for m in sm.metrics]
    assert DURATION not in names


def test_without_install_fastapi_native_telemetry_records(
    serve: Callable[[Any], UvicornServer],
) -> None:
    """The control for the test above: the native path is live in this FastAPI version."""
    import fastapi

    if not hasattr(fastapi, "telemetry") and not _has_native_telemetry():
        pytest.skip("this FastAPI has no native telemetry")
    reader = InMemoryMetricReader()
    native = apps.fastapi_app(telemetry={"meter_provider": MeterProvider([reader]),
                                         "tracing": False, "logs": False})
    server = serve(native)
    assert httpx.get(server.url + "/v1/items/1").status_code == 200
    data = reader.get_metrics_data()
    assert data is not None
    names = [m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics]
    assert DURATION in names


def _has_native_telemetry() -> bool:
    try:
        import fastapi.telemetry  # noqa: F401
    except ImportError:
        return False
    return True
