"""Applies the HTTP server observation to every Starlette/FastAPI application, and tells it routes.

Why patch the classes' `__call__` instead of adding a middleware per app: it reaches applications
created before `install()` (and ones already serving), it sits outside every user middleware (so
their time counts), and a mounted sub-application sees the request already observed and stays
quiet, so a request is recorded once (contrib records mounted requests twice).

Routes: the template is learnt while routing happens, not by matching the path again at the end
(which costs a scan of the routes per request):
- FastAPI >= 0.16x announces every routing decision to its own telemetry through
  `fastapi.routing._route_selected` (with router prefixes and redirects resolved); we listen there.
- Starlette's router leaves the matched route in `scope["route"]`, read at the end.
- A mount's own template prefix is noted when the mount hands the request on (`Mount.handle`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from qf_otel_instrumentation import _config
from qf_otel_instrumentation._patching import Patches
from qf_otel_instrumentation._server import (
    EXCHANGE_KEY,
    MOUNT_SUFFIX,
    Receive,
    Scope,
    Send,
    observe,
)

_log = logging.getLogger("qf_otel.instrumentation")
_patches = Patches()


def _observed_call(original: Any) -> Callable[..., Any]:
    async def __call__(self: Any, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or EXCHANGE_KEY in scope or not _config.CONFIG.enabled:
            await original(self, scope, receive, send)
            return
        await observe(original, self, scope, receive, send)

    return __call__


def _noting_mount(original: Any) -> Callable[..., Any]:
    async def handle(self: Any, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = scope.get(EXCHANGE_KEY)
        if exchange is not None:
            exchange.enter_mount(getattr(self, "path_format", "").removesuffix(MOUNT_SUFFIX))
        await original(self, scope, receive, send)

    return handle


def _listening_route_selected(original: Any) -> Callable[..., Any]:
    def _route_selected(*, scope: Any, path: str | None, mount: bool = False) -> None:
        exchange = scope.get(EXCHANGE_KEY)
        if exchange is None:
            original(scope=scope, path=path, mount=mount)
        elif path is not None:
            exchange.route_selected(path, mount)

    return _route_selected


def install() -> bool:
    """Patches what is importable; False when Starlette is not installed."""
    try:
        from starlette import routing
        from starlette.applications import Starlette
    except ImportError:
        return False
    _patches.apply(Starlette, "__call__", _observed_call)
    _patches.apply(routing.Mount, "handle", _noting_mount)
    try:
        import fastapi.routing
        from fastapi import FastAPI
    except ImportError:
        return True
    _patches.apply(FastAPI, "__call__", _observed_call)
    if callable(getattr(fastapi.routing, "_route_selected", None)):
        _patches.apply(fastapi.routing, "_route_selected", _listening_route_selected)
    else:
        _log.debug("FastAPI without _route_selected: routes come from scope['route']")
    return True


def uninstall() -> None:
    _patches.undo()
