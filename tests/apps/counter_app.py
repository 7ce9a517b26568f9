"""A tiny ASGI app for process-level tests: configure() at import, one counter per request."""

from __future__ import annotations

import os
import time

import qf_otel
from qf_otel._recording import Counter

if os.environ.get("COUNTER_APP_CONFIGURE", "1") == "1":
    qf_otel.configure(service_name="counter-app")

HITS = Counter("qf.test.hits", unit="{request}", description="Requests the test app served.",
               attributes=("path",))
_hits = HITS.series("/hit")


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    if scope["path"] == "/hit":
        _hits.add(1)
    time.sleep(0.005)  # block this worker's loop a moment so the load spreads over workers
    body = str(os.getpid()).encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})
