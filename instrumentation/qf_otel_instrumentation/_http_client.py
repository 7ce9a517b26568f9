"""What the HTTP client instrumentations (httpx, requests) share: the duration record and the
CLIENT span, with the URL's credentials and credential-like query values redacted.

Each library's `prepare` reads the request and calls `start`; `finish` is the same for both (their
responses both carry `status_code`).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, StatusCode

from qf_otel._vocabulary import guarded
from qf_otel_instrumentation import _config
from qf_otel_instrumentation._instruments import CLIENT_DURATION, OLD_CLIENT_DURATION
from qf_otel_instrumentation._redaction import redact_url
from qf_otel_instrumentation._semconv import OTHER_METHOD, error_type, method_attribute

METRIC = "http.client.request.duration"
TRACER_NAME = "qf_otel.instrumentation.http.client"
_DEFAULT_PORTS = {"http": 80, "https": 443}

# (method as recorded, scheme, host, port, span or None): what `finish` records.
ClientCall = tuple[str, str, "str | None", "int | None", "Span | None"]


def port_of(scheme: str, port: int | None) -> int | None:
    return port if port is not None else _DEFAULT_PORTS.get(scheme)


def start(method: str, scheme: str, host: str | None, port: int | None, url: object,
          headers: MutableMapping[str, str]) -> ClientCall:
    """The call's record so far; `url` is only turned into text for a span (traces on)."""
    method = method_attribute(method)
    span = _start_span(method, str(url), host, port, headers) if _config.CONFIG.traces else None
    return method, scheme, host, port, span


@guarded(METRIC)
def _start_span(method: str, url: str, host: str | None, port: int | None,
                headers: MutableMapping[str, str]) -> Span:
    """A CLIENT span, its context injected into the outgoing headers."""
    config = _config.CONFIG
    attributes: dict[str, Any] = {
        "http.request.method": method,
        "url.full": redact_url(url, config.redact_query_keys),
    }
    if host:
        attributes["server.address"] = host
    if port is not None:
        attributes["server.port"] = port
    span = config.tracer(TRACER_NAME).start_span(
        method if method != OTHER_METHOD else "HTTP", kind=SpanKind.CLIENT, attributes=attributes,
    )
    propagate.inject(headers, context=trace.set_span_in_context(span))
    return span


@guarded(METRIC)
def finish(call: ClientCall, response: Any, error: BaseException | None, elapsed: float) -> None:
    method, scheme, host, port, span = call
    status: int | None = response.status_code if error is None else None
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
