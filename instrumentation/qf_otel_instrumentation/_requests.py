"""requests: `http.client.request.duration` for every call through an `HTTPAdapter` (the default
for `requests.get()` and every `Session`, including sessions created before `install()`)."""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

from qf_otel_instrumentation import _config, _http_client
from qf_otel_instrumentation._patching import Patch, patch


def _target(url: str) -> tuple[str, str | None, int | None]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "http", None, None
    scheme = parts.scheme or "http"
    return scheme, parts.hostname, _http_client.port_of(scheme, port)


def _send(original: Callable[..., Any]) -> Callable[..., Any]:
    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not _config.CONFIG.enabled:
            return original(self, request, *args, **kwargs)
        method, url = request.method or "GET", request.url or ""
        scheme, host, port = _target(url)
        span = _http_client.start_span(method, url, host, port, request.headers)
        start = perf_counter()
        try:
            response = original(self, request, *args, **kwargs)
        except BaseException as exc:
            _http_client.record(method, scheme, host, port, None, exc, perf_counter() - start,
                                span)
            raise
        _http_client.record(method, scheme, host, port, response.status_code, None,
                            perf_counter() - start, span)
        return response

    return send


_patches: list[Patch] = []


def install() -> bool:
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return False
    done = patch(HTTPAdapter, "send", _send)
    if done is not None:
        _patches.append(done)
    return True


def uninstall() -> None:
    while _patches:
        _patches.pop().undo()
