"""What the HTTP client instrumentations (httpx, requests) share: the duration record and the
CLIENT span, with the URL's credentials and credential-like query values redacted."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, StatusCode

from qf_otel_instrumentation import _config
from qf_otel_instrumentation._failsafe import guarded
from qf_otel_instrumentation._instruments import CLIENT_DURATION, OLD_CLIENT_DURATION
from qf_otel_instrumentation._redaction import redact_url
from qf_otel_instrumentation._semconv import error_type, method_attribute

TRACER_NAME = "qf_otel.instrumentation.http.client"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def port_of(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme)


@guarded("http.client.request.duration")
def start_span(method: str, url: str, host: str | None, port: int | None,
               headers: MutableMapping[str, str]) -> Span | None:
    """A CLIENT span (traces on only), its context injected into the outgoing headers."""
    config = _config.CONFIG
    if not config.traces:
        return None
    attributes: dict[str, Any] = {
        "http.request.method": method_attribute(method),
        "url.full": redact_url(url, config.redact_query_keys),
    }
    if host:
        attributes["server.address"] = host
    if port is not None:
        attributes["server.port"] = port
    span = config.tracer(TRACER_NAME).start_span(
        method_attribute(method) if method_attribute(method) != "_OTHER" else "HTTP",
        kind=SpanKind.CLIENT, attributes=attributes,
    )
    propagate.inject(headers, context=trace.set_span_in_context(span))
    return span


@guarded("http.client.request.duration")
def record(method: str, scheme: str, host: str | None, port: int | None, status: int | None,
           error: BaseException | None, elapsed: float, span: Span | None) -> None:
    method = method_attribute(method)
    failure = error_type(error) if error is not None else (
        str(status) if status is not None and status >= 400 else None)
    CLIENT_DURATION.series(method, host, port, scheme, status, failure).record(elapsed)
    if _config.CONFIG.semconv.http_old:
        OLD_CLIENT_DURATION.series(method, host, port, status).record(elapsed * 1000.0)
    if span is not None:
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if failure is not None:
            span.set_attribute("error.type", failure)
            span.set_status(StatusCode.ERROR)
        span.end()
