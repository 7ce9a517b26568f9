"""Per-request cost of the HTTP server instrumentation, in-process (no sockets), against bare.

    .venv/bin/python -m tests.instrumentation.overhead [requests-per-round] [rounds]

One FastAPI app (GET /items/{item_id}, as in the performance anchors) is driven straight through
its ASGI interface. Rounds alternate uninstalled / installed in one process, so both see the same
machine state; the best round of each is compared. The issue-8 benchmark is the full one.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import qf_otel_instrumentation
from fastapi import FastAPI

from qf_otel._settings import Settings

SCOPE: dict[str, Any] = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "path": "/items/42", "raw_path": b"/items/42", "query_string": b"",
    "root_path": "", "headers": [(b"host", b"test")], "client": ("127.0.0.1", 1),
    "server": ("127.0.0.1", 80),
}


def build_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    return app


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: MutableMapping[str, Any]) -> None:
    return None


async def per_request(app: Callable[..., Awaitable[None]], count: int) -> float:
    """CPU seconds per request: on a shared machine, CPU time is far less disturbed by other
    processes than wall time (the work is single-threaded and never waits)."""
    start = time.process_time()
    for _ in range(count):
        await app(dict(SCOPE), _receive, _send)
    return (time.process_time() - start) / count


def measure(count: int = 3000, rounds: int = 7,
            settings: Settings | None = None) -> tuple[float, float]:
    """Best seconds per request (bare, instrumented)."""
    app = build_app()
    bare: list[float] = []
    instrumented: list[float] = []

    async def run() -> None:
        await per_request(app, count)  # warm up
        for _ in range(rounds):
            qf_otel_instrumentation.uninstall()
            bare.append(await per_request(app, count))
            qf_otel_instrumentation.install(
                settings or Settings(instrumentations=frozenset({"asgi"})))
            instrumented.append(await per_request(app, count))
        qf_otel_instrumentation.uninstall()

    asyncio.run(run())
    return min(bare), min(instrumented)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    bare, ours = measure(count, rounds)
    print(f"bare {bare * 1e6:.1f} us/request, qf-otel metrics {ours * 1e6:.1f} us/request, "
          f"ratio {ours / bare:.2f}, cost {(ours - bare) * 1e6:.1f} us")


if __name__ == "__main__":
    main()
