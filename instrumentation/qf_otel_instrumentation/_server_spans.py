"""The SERVER span of an HTTP exchange (only when traces are on): context in, attributes out."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from opentelemetry import context, propagate, trace
from opentelemetry.trace import Span, SpanKind, StatusCode

from qf_otel_instrumentation._config import RuntimeConfig
from qf_otel_instrumentation._redaction import header_attributes, redact_query
from qf_otel_instrumentation._semconv import UNMATCHED_ROUTE

TRACER_NAME = "qf_otel.instrumentation.http.server"
_PROPAGATION_HEADERS = (b"traceparent", b"tracestate", b"baggage")


def start(
    scope: MutableMapping[str, Any], method: str, config: RuntimeConfig
) -> tuple[Span, object]:
    """Starts the span as a child of the caller's context and makes it current."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers") or []
    carrier = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in headers
        if name.lower() in _PROPAGATION_HEADERS
    }
    parent = propagate.extract(carrier) if carrier else context.get_current()
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.scheme": scope.get("scheme", "http"),
        "url.path": scope.get("path", ""),
    }
    raw_method = scope.get("method", "")
    if raw_method != method:
        attributes["http.request.method_original"] = raw_method
    query = scope.get("query_string", b"")
    if query:
        attributes["url.query"] = redact_query(query.decode("latin-1"), config.redact_query_keys)
    # Only the required attributes and client.address: the SDK validates every attribute on
    # every span, and each one costs about a microsecond (the traces-on budget is 2x bare).
    client = scope.get("client")
    if client:
        attributes["client.address"] = client[0]
    if config.capture_request_headers:
        attributes.update(
            header_attributes("http.request.header", config.capture_request_headers, headers)
        )
    if config.semconv.http_old:
        attributes["http.method"] = method
        attributes["http.scheme"] = attributes["url.scheme"]
        attributes["http.target"] = attributes["url.path"]
    span = config.tracer(TRACER_NAME).start_span(
        method if method != "_OTHER" else "HTTP", context=parent, kind=SpanKind.SERVER,
        attributes=attributes,
    )
    token = context.attach(trace.set_span_in_context(span, parent))
    return span, token


def finish(
    span: Span,
    method: str,
    route: str,
    status: int | None,
    error: str | None,
    response_headers: list[tuple[bytes, bytes]] | None,
    config: RuntimeConfig,
) -> None:
    attributes: dict[str, Any] = {}
    if route != UNMATCHED_ROUTE:
        attributes["http.route"] = route
        span.update_name(f"{method if method != '_OTHER' else 'HTTP'} {route}")
    if status is not None:
        attributes["http.response.status_code"] = status
        if config.semconv.http_old:
            attributes["http.status_code"] = status
    if error is not None:
        attributes["error.type"] = error
        span.set_status(StatusCode.ERROR)
    if response_headers and config.capture_response_headers:
        attributes.update(header_attributes(
            "http.response.header", config.capture_response_headers, response_headers))
    span.set_attributes(attributes)
    span.end()
