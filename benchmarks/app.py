"""The one FastAPI application every variant serves, so variants differ only in their telemetry.

Two routes, as in the issue: `GET /items/{item_id}` (a path parameter, nothing else) and
`GET /orders/{order_id}` (one in-process cache read and one SQLite query through SQLAlchemy).
The order route is `async def` calling the synchronous engine directly: a thread-pool hop would add
~50 µs of scheduling noise to every variant and dilute what we are measuring.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import MutableMapping
from typing import Any

from cachetools import TTLCache
from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy import Engine, create_engine, text

ITEM_PATH = "/items/42"
ORDER_PATH = "/orders/7"
ROUTES = {"items": ITEM_PATH, "orders": ORDER_PATH}
PRODUCTS = 100
_SELECT = text("SELECT name, price FROM products WHERE id = :id")


def database(directory: str | None = None) -> Engine:
    """A file SQLite database (QueuePool, as a service would have) with PRODUCTS rows."""
    folder = directory or tempfile.mkdtemp(prefix="qf-bench-")
    engine = create_engine(f"sqlite:///{os.path.join(folder, 'bench.db')}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS products "
                          "(id INTEGER PRIMARY KEY, name TEXT, price REAL)"))
        conn.execute(text("DELETE FROM products"))
        conn.execute(text("INSERT INTO products (id, name, price) VALUES (:id, :name, :price)"),
                     [{"id": i, "name": f"product-{i}", "price": i * 1.5} for i in range(PRODUCTS)])
    return engine


def price_cache() -> TTLCache[int, float]:
    cache: TTLCache[int, float] = TTLCache(maxsize=1024, ttl=3600)
    for index in range(PRODUCTS):
        cache[index] = index * 1.5
    return cache


def build_app(
    engine: Engine,
    cache: MutableMapping[int, float],
    telemetry: TelemetryConfig | None = None,
) -> FastAPI:
    """`cache` is the plain cache, or the same cache wrapped by an instrumentation."""
    app = FastAPI(telemetry=telemetry) if telemetry is not None else FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    @app.get("/orders/{order_id}")
    async def order(order_id: int) -> dict[str, Any]:
        product = order_id % PRODUCTS
        cached = cache.get(product)
        with engine.connect() as conn:
            row = conn.execute(_SELECT, {"id": product}).first()
        return {"id": order_id, "product": row[0] if row else None, "price": cached}

    return app
