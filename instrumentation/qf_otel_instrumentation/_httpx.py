"""httpx: `http.client.request.duration` for sync, async and module-level calls.

The transports' request methods are patched (every `Client`/`AsyncClient`, and `httpx.get()` and
friends, go through them), so clients created before `install()` are covered. Custom transports
that do not derive from `HTTPTransport` / `AsyncHTTPTransport` are not observed.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from qf_otel_instrumentation import _config, _http_client
from qf_otel_instrumentation._patching import Patch, patch


def _target(request: Any) -> tuple[str, str, str | None, int | None]:
    url = request.url
    scheme = url.scheme
    return request.method, scheme, url.host or None, _http_client.port_of(scheme, url.port)


def _sync(original: Callable[..., Any]) -> Callable[..., Any]:
    def handle_request(self: Any, request: Any) -> Any:
        if not _config.CONFIG.enabled:
            return original(self, request)
        method, scheme, host, port = _target(request)
        span = _http_client.start_span(method, str(request.url), host, port, request.headers)
        start = perf_counter()
        try:
            response = original(self, request)
        except BaseException as exc:
            _http_client.record(method, scheme, host, port, None, exc, perf_counter() - start,
                                span)
            raise
        _http_client.record(method, scheme, host, port, response.status_code, None,
                            perf_counter() - start, span)
        return response

    return handle_request


def _async(original: Callable[..., Any]) -> Callable[..., Any]:
    async def handle_async_request(self: Any, request: Any) -> Any:
        if not _config.CONFIG.enabled:
            return await original(self, request)
        method, scheme, host, port = _target(request)
        span = _http_client.start_span(method, str(request.url), host, port, request.headers)
        start = perf_counter()
        try:
            response = await original(self, request)
        except BaseException as exc:
            _http_client.record(method, scheme, host, port, None, exc, perf_counter() - start,
                                span)
            raise
        _http_client.record(method, scheme, host, port, response.status_code, None,
                            perf_counter() - start, span)
        return response

    return handle_async_request


_patches: list[Patch] = []


def install() -> bool:
    try:
        import httpx
    except ImportError:
        return False
    for owner, attribute, make in (
        (httpx.HTTPTransport, "handle_request", _sync),
        (httpx.AsyncHTTPTransport, "handle_async_request", _async),
    ):
        done = patch(owner, attribute, make)
        if done is not None:
            _patches.append(done)
    return True


def uninstall() -> None:
    while _patches:
        _patches.pop().undo()
