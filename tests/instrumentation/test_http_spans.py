"""Spans (traces on only): server span named by the template, parent from traceparent, query
values redacted; client spans carry the context out. With traces off no span is made at all."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from qf_otel_instrumentation import _config

from tests.instrumentation import apps
from tests.instrumentation.conftest import Installed, UvicornServer
from tests.instrumentation.test_http_server import settle

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


def test_server_span_has_template_name_parent_and_redacted_query(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer], qf_metrics: Any,
) -> None:
    installed = instrument(instrumentations=frozenset({"asgi"}), traces_enabled=True)
    server = serve(apps.fastapi_app())
    response = httpx.get(
        server.url + "/v1/items/1?token=s3cr3t&email=a@b.c&page=2",
        headers={"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01",
                 "authorization": "Bearer hunter2"},
    )
    assert response.status_code == 200
    settle(qf_metrics)
    (span,) = [s for s in installed.spans() if s.kind == SpanKind.SERVER]
    assert span.name == "GET /v1/items/{item_id}"
    assert format(span.context.trace_id, "032x") == PARENT_TRACE
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT_SPAN
    attributes = dict(span.attributes or {})
    assert attributes["http.route"] == "/v1/items/{item_id}"
    assert attributes["http.response.status_code"] == 200
    assert attributes["url.query"] == "token=REDACTED&email=REDACTED&page=2"
    exported = repr(attributes)
    for secret in ("s3cr3t", "a@b.c", "hunter2"):
        assert secret not in exported


def test_captured_headers_are_opt_in_and_credentials_stay_redacted(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer], qf_metrics: Any,
) -> None:
    installed = instrument(instrumentations=frozenset({"asgi"}), traces_enabled=True,
                           capture_request_headers=("x-tenant", "authorization"))
    server = serve(apps.fastapi_app())
    httpx.get(server.url + "/health", headers={"x-tenant": "blue"})  # excluded: no span
    httpx.get(server.url + "/v1/items/1",
              headers={"x-tenant": "blue", "authorization": "Bearer hunter2"})
    settle(qf_metrics)
    (span,) = installed.spans()
    attributes = dict(span.attributes or {})
    assert attributes["http.request.header.x-tenant"] == ("blue",)
    assert attributes["http.request.header.authorization"] == ("REDACTED",)


def test_client_span_propagates_and_redacts(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer], qf_metrics: Any,
) -> None:
    installed = instrument(instrumentations=frozenset({"asgi", "httpx"}), traces_enabled=True)
    server = serve(apps.fastapi_app())
    url = server.url.replace("http://", "http://user:pw@") + "/v1/items/3?api_key=k3y&q=1"
    assert httpx.get(url).status_code == 200
    settle(qf_metrics)
    spans = installed.spans()
    (client,) = [s for s in spans if s.kind == SpanKind.CLIENT]
    (server_span,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert server_span.parent is not None
    assert server_span.parent.span_id == client.context.span_id
    assert server_span.context.trace_id == client.context.trace_id
    full = dict(client.attributes or {})["url.full"]
    assert full == (f"http://REDACTED:REDACTED@127.0.0.1:{server.port}"
                    "/v1/items/3?api_key=REDACTED&q=1")


def test_no_span_work_when_traces_are_off(
    instrument: Callable[..., Installed], serve: Callable[[Any], UvicornServer], qf_metrics: Any,
) -> None:
    instrument(instrumentations=frozenset({"asgi", "httpx"}))
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    _config.CONFIG = dataclasses.replace(_config.CONFIG, tracer_provider=provider)
    server = serve(apps.fastapi_app())
    assert httpx.get(server.url + "/v1/items/1").status_code == 200
    settle(qf_metrics)
    assert exporter.get_finished_spans() == ()
