"""`QfOtelMiddleware`: HTTP server metrics (and spans) for any ASGI application.

FastAPI and Starlette applications need nothing: `install()` applies the same observation to every
one of them. Wrap other ASGI applications yourself: `app = QfOtelMiddleware(app)`.
"""

from __future__ import annotations

from typing import Any

from qf_otel_instrumentation._server import EXCHANGE_KEY, Receive, Scope, Send, observe


async def _call_app(app: Any, scope: Scope, receive: Receive, send: Send) -> None:
    await app(scope, receive, send)


class QfOtelMiddleware:
    """Records `http.server.request.duration` and `http.server.active_requests` for `app`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or EXCHANGE_KEY in scope:
            await self.app(scope, receive, send)
            return
        await observe(_call_app, self.app, scope, receive, send)
