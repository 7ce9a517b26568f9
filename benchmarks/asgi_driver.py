"""In-process driver: a variant's app invoked through its ASGI callable, no sockets, no server.

Run as a worker by `benchmarks.inprocess` (one process per variant, all alive at once):

    python -m benchmarks.asgi_driver VARIANT

It prepares the variant, warms up, prints `ready`, then answers each command line
`ROUTE REQUESTS` on stdin with the CPU and wall µs per request of that block on stdout. Only one
worker runs a block at a time, so the coordinator can alternate variants block by block.

Each request gets a fresh scope dict, as a server builds one. Every response must be a 200, or
the figures would time an error page.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks.app import ROUTES
from benchmarks.variants import LAYER_NAMES, NAMES, prepare

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
WARMUP = 300


def scope_for(path: str) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"),
                    (b"accept", b"*/*")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


class Statuses:
    """The `send` callable; remembers the last status so a wrong route fails loudly."""

    def __init__(self) -> None:
        self.last = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.last = message["status"]


async def block(app: App, path: str, requests: int, send: Statuses) -> tuple[float, float]:
    """(CPU µs, wall µs) per request of `requests` sequential requests to `path`.

    CPU time is the process's (every thread: a span processor's thread counts), and excludes the
    time the process waited for a core, which on a shared machine is most of the noise.
    """
    template = scope_for(path)
    cpu = time.process_time()
    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(template), receive, send)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if send.last != 200:
        raise RuntimeError(f"{path} answered {send.last}")
    return cpu / requests * 1e6, elapsed / requests * 1e6


async def serve_commands(app: App) -> None:
    send = Statuses()
    for path in ROUTES.values():
        await block(app, path, WARMUP, send)
    print("ready", flush=True)
    for line in sys.stdin:
        route, requests = line.split()
        cpu, wall = await block(app, ROUTES[route], int(requests), send)
        print(f"{cpu:.3f} {wall:.3f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=NAMES + LAYER_NAMES)
    app = prepare(parser.parse_args().variant)
    asyncio.run(serve_commands(app))


if __name__ == "__main__":
    main()
