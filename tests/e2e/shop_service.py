"""The service every end-to-end test runs in its own process, as a user writes one: configure() at
start-up, then FastAPI + SQLAlchemy (SQLite) + a Redis cache + a domain counter, served by uvicorn.

    python tests/e2e/shop_service.py   # with the environment below

Environment: E2E_PORT (HTTP port), E2E_DB (SQLite file), E2E_REDIS_PORT, E2E_CONFIGURE (JSON of
keyword arguments for `qf_otel.configure()`; anything left out comes from the OTEL_* variables).
Every request to /items/{item_id} does one cache read (a miss the first time an id is asked for,
then hits), one SQL query and records one purchase of PRICE EUR. Cache keys carry a per-process
prefix so a Redis shared by many tests still gives each service its own hits and misses.
Importing this module does nothing; the tests import PRICE and READY from it.
"""

from __future__ import annotations

import json
import os
import uuid

PRICE = 2.5
READY = "shop-service ready"


def main() -> None:
    import redis
    import uvicorn
    from fastapi import FastAPI, HTTPException
    from sqlalchemy import create_engine, text

    import qf_otel
    from qf_otel import business

    # Created before configure(), as module-level engines and clients usually are.
    engine = create_engine(f"sqlite:///{os.environ['E2E_DB']}")
    cache = redis.Redis(port=int(os.environ["E2E_REDIS_PORT"]))
    key_prefix = uuid.uuid4().hex

    telemetry = qf_otel.configure(**json.loads(os.environ.get("E2E_CONFIGURE", "{}")))

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, "
                                "name TEXT)"))
        connection.execute(text("INSERT OR IGNORE INTO items VALUES (1, 'qubit'), (2, 'gate')"))

    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, object]:
        key = f"{key_prefix}:item:{item_id}"
        cached = cache.get(key)
        if cached is None:
            cache.set(key, "1")
        with engine.connect() as conn:
            # A literal in the statement on purpose: the traces pipeline must replace it by `?`.
            row = conn.execute(text(f"SELECT name FROM items WHERE id = {item_id}")).first()
        if row is None:
            raise HTTPException(status_code=404)
        business.record_transaction(kind="purchase", status="success", amount=PRICE,
                                    currency="EUR")
        return {"id": item_id, "name": row[0], "cached": cached is not None}

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    print(READY, ",".join(telemetry.instrumented), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["E2E_PORT"]), log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
