"""QuantumFlow API: the reference service, written the way a qf-otel user writes one.

The one qf-otel line is the `configure()` call in `create_app()`. Everything else is ordinary
application code; the metrics come from what that code does:

- HTTP (every route), database (SQLAlchemy), cache (cachetools or Redis) and infrastructure
  metrics are recorded by qf-otel's instrumentation without any code here;
- the domain meters are called where the domain event happens: a login attempt (`auth`,
  `accounts`), a checkout (`accounts`), a quantum job (`jobs`), a dependency failure and the
  health probe (`components`, `ops`).

Run it alone with ``python -m examples.quantumflow.service --port 8000`` (the demo runner starts
it for you). `DATABASE_URL`, `REDIS_URL` and `PAYMENTS_URL` choose its dependencies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

import qf_otel
from examples.quantumflow import accounts, db, items, jobs, ops
from examples.quantumflow.auth import BruteForceGuard, Sessions
from examples.quantumflow.cache import make_cache
from examples.quantumflow.components import Components
from examples.quantumflow.payments import sandbox_app
from examples.quantumflow.qpu import QpuFleet
from examples.quantumflow.runtime import Runtime, runtime
from qf_otel import health


def create_app() -> FastAPI:
    qf_otel.configure(service_name="quantumflow-api", service_namespace="quantumflow",
                      environment=os.environ.get("QUANTUMFLOW_ENVIRONMENT", "demo"))
    app = FastAPI(title="QuantumFlow API", lifespan=_lifespan)
    for module in (items, accounts, jobs, ops):
        app.include_router(module.router)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(ops.ArchiveUnavailable, ops.archive_error)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = db.make_engine(db.database_url())
    _count_open_connections(engine)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    await db.create_schema(engine, sessionmaker)
    payments_url = os.environ.get("PAYMENTS_URL")
    # Without a provider URL, an in-process sandbox (no outbound HTTP, so no client metrics).
    transport = None if payments_url else httpx.ASGITransport(app=sandbox_app())
    payments = httpx.AsyncClient(base_url=payments_url or "http://payments.sandbox",
                                 transport=transport, timeout=2.0)
    rt = Runtime(engine, sessionmaker, make_cache(), payments, QpuFleet(), Sessions(),
                 BruteForceGuard(), Components())
    app.state.runtime = rt
    sweeper = asyncio.create_task(_expire_sessions(rt.sessions))
    try:
        yield
    finally:
        sweeper.cancel()
        rt.sessions.close_all()
        await payments.aclose()
        await rt.cache.close()
        await engine.dispose()


def _count_open_connections(engine: AsyncEngine) -> None:
    """Database connections the service holds open (pooled, idle or not): `qf.health.connections`.

    Counted when the pool opens or closes a DBAPI connection, not on checkout: an idle pool
    still holds its connections, and 0 means the database is really unreachable.
    """
    open_connections = health.connections(component="db")
    pool = engine.sync_engine.pool
    event.listen(pool, "connect", lambda *_: open_connections.add(1))
    event.listen(pool, "close", lambda *_: open_connections.add(-1))
    event.listen(pool, "close_detached", lambda *_: open_connections.add(-1))


async def _expire_sessions(sessions: Sessions) -> None:
    while True:
        await asyncio.sleep(5)
        sessions.expire()


async def _database_error(request: Request, error: Exception) -> JSONResponse:
    runtime(request).components["db"].failed(error)
    return JSONResponse({"detail": "database unavailable"}, status_code=503)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the QuantumFlow API under uvicorn.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
