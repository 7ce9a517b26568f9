"""httpx: `http.client.request.duration` for sync, async and module-level calls.

The transports' request methods are patched (every `Client`/`AsyncClient`, and `httpx.get()` and
friends, go through them), so clients created before `install()` are covered. Custom transports
that do not derive from `HTTPTransport` / `AsyncHTTPTransport` are not observed.
"""

from __future__ import annotations

from typing import Any

from qf_otel._vocabulary import guarded
from qf_otel_instrumentation import _http_client
from qf_otel_instrumentation._http_client import ClientCall, finish
from qf_otel_instrumentation._patching import Patches
from qf_otel_instrumentation._timed import timed, timed_async


@guarded(_http_client.METRIC)
def _prepare(transport: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ClientCall:
    request = args[0] if args else kwargs["request"]
    url = request.url
    scheme = url.scheme
    return _http_client.start(request.method, scheme, url.host or None,
                              _http_client.port_of(scheme, url.port), url, request.headers)


_patches = Patches()


def install() -> bool:
    try:
        import httpx
    except ImportError:
        return False
    _patches.apply(httpx.HTTPTransport, "handle_request", timed(_prepare, finish))
    _patches.apply(httpx.AsyncHTTPTransport, "handle_async_request", timed_async(_prepare, finish))
    return True


def uninstall() -> None:
    _patches.undo()
