"""requests: `http.client.request.duration` for every call through an `HTTPAdapter` (the default
for `requests.get()` and every `Session`, including sessions created before `install()`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from qf_otel._vocabulary import guarded
from qf_otel_instrumentation import _http_client
from qf_otel_instrumentation._http_client import ClientCall, finish
from qf_otel_instrumentation._patching import Patches
from qf_otel_instrumentation._timed import timed


@guarded(_http_client.METRIC)
def _prepare(adapter: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> ClientCall:
    request = args[0] if args else kwargs["request"]
    url = request.url or ""
    try:
        parts = urlsplit(url)
        scheme, host, port = parts.scheme or "http", parts.hostname, parts.port
    except ValueError:  # a malformed URL (bad port): requests will say so, we record what we know
        scheme, host, port = "http", None, None
    else:
        port = _http_client.port_of(scheme, port)
    return _http_client.start(request.method or "GET", scheme, host, port, url, request.headers)


_patches = Patches()


def install() -> bool:
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        return False
    _patches.apply(HTTPAdapter, "send", timed(_prepare, finish))
    return True


def uninstall() -> None:
    _patches.undo()
