"""A sandbox payment provider: the external HTTP dependency the service's checkout calls.

It plays the third party, so it is not observed: a bare ASGI callable (qf-otel's HTTP server
instrumentation observes Starlette and FastAPI applications, not arbitrary ASGI callables), run by
the demo runner on its own loopback port, outside the service. Per charge: a few milliseconds of
latency; about 7 % declined (402), about 2 % "provider unavailable" (503); amounts above 5 000
are declined by the provider's risk rules.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

DECLINE_RATIO = 0.07
UNAVAILABLE_RATIO = 0.02
RISK_LIMIT = 5_000.0

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def sandbox_app(seed: int | None = None) -> Callable[[Message, Receive, Send], Awaitable[None]]:
    rng = random.Random(seed)

    async def respond(send: Send, status: int, body: dict[str, str]) -> None:
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    async def app(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] != "POST" or scope["path"] != "/charges":
            await respond(send, 404, {"error": "not_found"})
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        amount = float(json.loads(raw or b"{}").get("amount", 0))
        await asyncio.sleep(rng.uniform(0.002, 0.012))
        draw = rng.random()
        if draw < UNAVAILABLE_RATIO:
            await respond(send, 503, {"error": "provider_unavailable"})
        elif draw < UNAVAILABLE_RATIO + DECLINE_RATIO or amount > RISK_LIMIT:
            await respond(send, 402, {"status": "declined"})
        else:
            await respond(send, 201, {"status": "approved", "id": f"ch_{rng.getrandbits(48):012x}"})

    return app


class PaymentSandbox:
    """Runs the sandbox under uvicorn on a background thread (no signal handlers there)."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(sandbox_app(), host=host, port=port, log_level="warning",
                                access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="payment-sandbox",
                                        daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        self._thread.start()
        ready = threading.Event()
        waited = 0.0
        while not self._server.started:
            if not self._thread.is_alive() or waited > timeout:
                raise RuntimeError(f"payment sandbox did not start on {self.url}")
            ready.wait(0.02)
            waited += 0.02

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
