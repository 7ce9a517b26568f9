"""Observes one HTTP exchange on an ASGI server: the duration histogram, active requests, a span.

Cost matters here more than anywhere (every request pays it), so the per-request state is one
`Exchange` object that is also the `send` callable handed to the application, the bound series
come from the fast core's cache, and nothing about the route is computed until the response is done.

The clock stops when the last body chunk (or the trailers, or a pathsend) has been handed to the
server: background tasks that run afterwards are not part of the request (contrib#3591), and a
streaming response counts until its last chunk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from time import perf_counter
from typing import Any

from opentelemetry import context
from opentelemetry.trace import Span

from qf_otel._vocabulary import internal_error
from qf_otel_instrumentation import _config, _server_spans
from qf_otel_instrumentation._instruments import OLD_SERVER_DURATION, SERVER_ACTIVE, SERVER_DURATION
from qf_otel_instrumentation._semconv import (
    KNOWN_METHODS,
    OTHER_METHOD,
    UNMATCHED_ROUTE,
    error_type,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# `call(target, scope, receive, send)`: an unbound `__call__` and its instance, or a plain caller
# and an ASGI app; this shape lets the class patch avoid creating a bound method per request.
Call = Callable[[Any, Scope, Receive, Send], Awaitable[None]]

# Set on the scope of an observed request; an application further down (a mounted sub-app) sees it
# and does not record the request a second time. `None` marks an excluded request.
EXCHANGE_KEY = "qf_otel.exchange"
# FastAPI >= 0.16x records the same instruments itself when a global MeterProvider is set. The key
# in the scope is its own signal that a request is already observed (it sets it for excluded
# requests, to silence mounted apps); we set it so a request is never recorded twice.
FASTAPI_TELEMETRY_KEY = "fastapi.telemetry"
MOUNT_SUFFIX = "/{path}"

try:
    from starlette.routing import Mount as _Mount
except ImportError:  # pragma: no cover - the middleware also serves bare ASGI apps
    class _Mount:  # type: ignore[no-redef]
        pass


class Exchange:
    """One request in flight; also the `send` wrapper given to the application."""

    __slots__ = ("_send", "_start", "active", "done", "elapsed", "leaf", "method", "prefix",
                 "response_headers", "route", "scheme", "scope", "span", "status", "trailers")

    def __init__(self, scope: Scope, send: Send, method: str, scheme: str) -> None:
        self.scope: Scope | None = scope
        self._send = send
        self.method = method
        self.scheme = scheme
        self.status = 0
        self.trailers = False
        self.done = False
        # Route facts reported by the routing hooks (see _routes.py) as routing happens.
        self.route: str | None = None
        self.leaf = False
        self.prefix = ""
        self.span: Span | None = None
        self.response_headers: list[tuple[bytes, bytes]] | None = None
        self.elapsed: float | None = None
        self.active = SERVER_ACTIVE.series(method, scheme)
        self._start = perf_counter()

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = message["status"]
            self.trailers = message.get("trailers", False)
            if self.span is not None:
                self.response_headers = message.get("headers")
            await self._send(message)
            return
        await self._send(message)
        if (
            (kind == "http.response.body" and not message.get("more_body", False)
             and not self.trailers)
            or kind == "http.response.pathsend"
            or (kind == "http.response.trailers" and not message.get("more_trailers", False))
        ) and self.elapsed is None:
            # The clock stops here. A 5xx is recorded when the application returns or raises,
            # so the exception that caused it (raised after the error page) names error.type.
            self.elapsed = perf_counter() - self._start
            if self.status < 500:
                self.finish(None)

    def route_selected(self, path: str, mount: bool) -> None:
        """A router chose a route whose template (relative to the current mount) is `path`."""
        self.route = self.prefix + path if self.prefix else path
        self.leaf = not mount

    def enter_mount(self, path: str) -> None:
        self.prefix += path

    def template(self) -> str:
        """The route when no router reported a leaf one (a leaf's template is `self.route`)."""
        # Starlette's router leaves the matched route in the scope.
        found = self.scope.get("route") if self.scope is not None else None
        if found is not None:
            if not isinstance(found, _Mount):
                path = getattr(found, "path_format", None) or getattr(found, "path", None)
                if isinstance(path, str):
                    return self.prefix + path if self.prefix else path
            elif self.route is None:
                self.route = self.prefix + MOUNT_SUFFIX
        # A mount matched but nothing inside it did: that is a 404 like any other.
        if self.route is not None and self.status != 404:
            return self.route
        return UNMATCHED_ROUTE

    def finish(self, error: BaseException | None) -> None:
        if self.done:
            return
        self.done = True
        # The guarantee of `guarded()`, written in line: this runs on every request.
        try:
            self._record(error)
        except Exception:
            internal_error("http.server.request.duration")

    def _record(self, error: BaseException | None) -> None:
        elapsed = self.elapsed if self.elapsed is not None else perf_counter() - self._start
        status = self.status if 100 <= self.status <= 599 else None
        if error is not None:
            failure: str | None = error_type(error)
        elif status is None:
            failure = "incomplete_response"
        elif status >= 500:
            failure = str(status)
        else:
            failure = None
        route: str = self.route if self.leaf else self.template()  # type: ignore[assignment]
        # The scope holds this object: drop the way back so a request leaves no reference cycle
        # for the garbage collector to find.
        self.scope = None
        SERVER_DURATION.series(self.method, self.scheme, route, status, failure).record(elapsed)
        # After the record: a client that saw its response can wait for this to read zero.
        self.active.add(-1)
        config = _config.CONFIG
        if config.semconv.http_old:
            OLD_SERVER_DURATION.series(self.method, self.scheme, route, status).record(
                elapsed * 1000.0
            )
        if self.span is not None:
            _server_spans.finish(self.span, self.method, route, status, failure,
                                 self.response_headers, config)


async def observe(call: Call, target: Any, scope: Scope, receive: Receive, send: Send) -> None:
    """Runs `call(target, scope, receive, exchange)` for an HTTP scope, recording the exchange."""
    config = _config.CONFIG
    if config.excluded(scope["path"]):
        scope[EXCHANGE_KEY] = None
        scope[FASTAPI_TELEMETRY_KEY] = None
        await call(target, scope, receive, send)
        return
    token = None
    try:
        method = scope["method"]
        if method not in KNOWN_METHODS:
            method = OTHER_METHOD
        exchange = Exchange(scope, send, method, scope.get("scheme") or "http")
        scope[EXCHANGE_KEY] = exchange
        scope[FASTAPI_TELEMETRY_KEY] = None
        exchange.active.add(1)
        if config.traces:
            exchange.span, token = _server_spans.start(scope, method, config)
    except Exception:
        internal_error("http.server.request.duration")
        scope[EXCHANGE_KEY] = None
        await call(target, scope, receive, send)
        return
    try:
        await call(target, scope, receive, exchange)
    except BaseException as exc:
        exchange.finish(exc)
        raise
    finally:
        # The application returned without completing a response (client gone, bug).
        exchange.finish(None)
        if token is not None:
            context.detach(token)  # type: ignore[arg-type]
