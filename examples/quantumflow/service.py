"""QuantumFlow API: the reference service, written the way a qf-otel user writes one.

The one qf-otel line is the `configure()` call in `create_app()`. Everything else is ordinary
application code; the metrics come from what that code does:

- HTTP (every route), database (SQLAlchemy), cache (cachetools or Redis) and infrastructure
  metrics are recorded by qf-otel's instrumentation without any code here;
- the domain meters are called where the domain event happens: a login attempt
  (`security`), a checkout (`business`), a quantum job (`quantum`), a dependency failure and the
  health probe (`health`).

Run it alone with ``python -m examples.quantumflow.service --port 8000`` (the demo runner starts
it for you). `DATABASE_URL`, `REDIS_URL` and `PAYMENTS_URL` choose its dependencies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import httpx
import uvicorn
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

import qf_otel
from examples.quantumflow import db
from examples.quantumflow.auth import BruteForceGuard, Sessions
from examples.quantumflow.cache import ItemCache, make_cache
from examples.quantumflow.components import CRITICAL, Components
from examples.quantumflow.payments import sandbox_app
from examples.quantumflow.qpu import Decoherence, QpuFleet, QpuOffline
from qf_otel import business, health, quantum

Currency = Literal["EUR", "USD", "GBP", "JPY", "CHF"]
# Prices are kept in EUR; a checkout charges in the customer's currency at these rates.
EUR_RATES: dict[str, float] = {"EUR": 1.0, "USD": 1.08, "GBP": 0.86, "JPY": 162.0, "CHF": 0.95}
SEARCH_LIMIT = 20


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=400)
    price_eur: float = Field(gt=0, le=100_000)
    stock: int = Field(ge=0)


class Credentials(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class CheckoutIn(BaseModel):
    item_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=10)
    currency: Currency


class QuantumJobIn(BaseModel):
    algorithm: Literal["vqe", "qaoa", "grover"]
    system: Literal["simulator", "qpu-a", "qpu-b", "qpu-c"]
    depth: int = Field(ge=1, le=64)
    cycles: int = Field(ge=1, le=50)


class ArchiveUnavailable(Exception):
    """The export archive (an object store the demo never configures) cannot be reached."""


@dataclass
class Runtime:
    """What the handlers share; built by the lifespan."""

    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    cache: ItemCache
    payments: httpx.AsyncClient
    fleet: QpuFleet
    sessions: Sessions
    guard: BruteForceGuard
    components: Components


def runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


Rt = Annotated[Runtime, Depends(runtime)]


def create_app() -> FastAPI:
    qf_otel.configure(service_name="quantumflow-api", service_namespace="quantumflow",
                      environment=os.environ.get("QUANTUMFLOW_ENVIRONMENT", "demo"))
    app = FastAPI(title="QuantumFlow API", lifespan=_lifespan)
    _add_routes(app)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    app.add_exception_handler(ArchiveUnavailable, _archive_error)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    engine = db.make_engine(db.database_url())
    _count_pool_connections(engine)
    sessionmaker = async_sessionmaker(engine, expire_on_commit=False)
    await db.create_schema(engine, sessionmaker)
    payments_url = os.environ.get("PAYMENTS_URL")
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


def _count_pool_connections(engine: AsyncEngine) -> None:
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


async def _archive_error(request: Request, error: Exception) -> JSONResponse:
    runtime(request).components["storage"].failed(error)
    return JSONResponse({"detail": "export failed"}, status_code=500)


def _item_dict(item: db.Item) -> dict[str, Any]:
    return {"id": item.id, "name": item.name, "description": item.description,
            "price_eur": item.price_eur, "stock": item.stock}


def _add_routes(app: FastAPI) -> None:
    _add_item_routes(app)
    _add_account_routes(app)
    _add_quantum_routes(app)
    _add_ops_routes(app)


def _add_item_routes(app: FastAPI) -> None:
    @app.get("/items")
    async def list_items(rt: Rt, limit: Annotated[int, Query(ge=1, le=100)] = 20,
                         offset: Annotated[int, Query(ge=0)] = 0) -> list[dict[str, Any]]:
        async with rt.sessionmaker() as session:
            rows = await session.scalars(select(db.Item).order_by(db.Item.id)
                                         .limit(limit).offset(offset))
            return [_item_dict(item) for item in rows]

    @app.get("/items/search")
    async def search_items(rt: Rt, q: Annotated[str, Query(min_length=2, max_length=40)]
                           ) -> list[dict[str, Any]]:
        # A leading-wildcard LIKE cannot use an index: a full scan, the service's slow query.
        async with rt.sessionmaker() as session:
            rows = await session.scalars(select(db.Item).where(db.Item.description.like(f"%{q}%"))
                                         .order_by(db.Item.price_eur).limit(SEARCH_LIMIT))
            return [_item_dict(item) for item in rows]

    @app.get("/items/{item_id}")
    async def get_item(item_id: int, rt: Rt) -> dict[str, Any]:
        return await _load_item(rt, item_id)

    @app.post("/items", status_code=201)
    async def create_item(body: ItemIn, rt: Rt) -> dict[str, Any]:
        async with rt.sessionmaker() as session:
            item = db.Item(**body.model_dump())
            session.add(item)
            await session.commit()
            return _item_dict(item)


async def _load_item(rt: Runtime, item_id: int) -> dict[str, Any]:
    """Read through the cache; a cache failure falls back to the database."""
    key = f"item:{item_id}"
    try:
        cached = await rt.cache.get(key)
        rt.components["cache"].ok()
    except Exception as error:
        rt.components["cache"].failed(error)
        cached = None
    if cached is not None:
        return cached
    async with rt.sessionmaker() as session:
        item = await session.get(db.Item, item_id)
    rt.components["db"].ok()
    if item is None:
        raise HTTPException(404, f"no item {item_id}")
    value = _item_dict(item)
    with contextlib.suppress(Exception):
        await rt.cache.set(key, value)
    return value


def _bearer(authorization: str | None) -> str:
    if authorization is None or not authorization.startswith("Bearer "):
        return ""
    return authorization.removeprefix("Bearer ")


def _add_account_routes(app: FastAPI) -> None:
    @app.post("/login")
    async def login(body: Credentials, rt: Rt) -> dict[str, str]:
        if rt.guard.is_locked(body.username):
            raise HTTPException(423, "account locked after repeated failures")
        async with rt.sessionmaker() as session:
            user = await session.get(db.User, body.username)
        valid = user is not None and await asyncio.to_thread(
            _password_matches, user, body.password)
        rt.guard.record(body.username, success=valid)
        if not valid:
            raise HTTPException(401, "wrong username or password")
        return {"token": rt.sessions.open(body.username)}

    @app.post("/logout", status_code=204)
    async def logout(rt: Rt, authorization: Annotated[str | None, Header()] = None) -> None:
        if not rt.sessions.close(_bearer(authorization)):
            raise HTTPException(401, "no such session")

    @app.post("/checkout", status_code=201)
    async def checkout(body: CheckoutIn, rt: Rt,
                       authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
        username = rt.sessions.user(_bearer(authorization))
        if username is None:
            raise HTTPException(401, "log in first")
        item = await _load_item(rt, body.item_id)
        amount = round(item["price_eur"] * body.quantity * EUR_RATES[body.currency], 2)
        status = await _charge(rt, amount, body.currency)
        async with rt.sessionmaker() as session:
            session.add(db.Order(item_id=body.item_id, username=username, quantity=body.quantity,
                                 amount=amount, currency=body.currency, status=status,
                                 created_at=db.now()))
            await session.commit()
        business.record_transaction(kind="purchase", status=status, amount=amount,
                                    currency=body.currency)
        if status == "failure":
            raise HTTPException(402, "payment declined")
        if status == "pending":
            raise HTTPException(502, "payment provider unavailable; order kept pending")
        return {"item_id": body.item_id, "amount": amount, "currency": body.currency}


def _password_matches(user: db.User, password: str) -> bool:
    return db.hash_password(password, user.salt) == user.password_hash


async def _charge(rt: Runtime, amount: float, currency: str) -> str:
    """Charge through the provider: success, failure (declined) or pending (provider down)."""
    try:
        response = await rt.payments.post("/charges", json={"amount": amount,
                                                            "currency": currency})
    except httpx.HTTPError as error:
        rt.components["external"].failed(error)
        return "pending"
    if response.status_code >= 500:
        rt.components["external"].failed(f"PaymentProvider{response.status_code}")
        return "pending"
    rt.components["external"].ok()
    return "success" if response.status_code == 201 else "failure"


def _add_quantum_routes(app: FastAPI) -> None:
    @app.post("/quantum/jobs")
    async def run_job(body: QuantumJobIn, rt: Rt) -> dict[str, Any]:
        try:
            rt.fleet.coherence(body.system)
        except QpuOffline as error:
            health.record_error(error, component="quantum")
            raise HTTPException(503, str(error)) from None
        gauge = quantum.coherence(system=body.system)
        with quantum.algorithm_run(body.algorithm, system=body.system) as run:
            for cycle in range(body.cycles):
                try:
                    gauge.set(rt.fleet.run_layer(body.system, body.depth))
                except Decoherence as error:
                    run.mark_failure()
                    rt.components["quantum"].failed(error)
                    return {"status": "failed", "cycles": cycle}
                run.add_cycles(1)
                # The device's time for one cycle of the circuit.
                await asyncio.sleep(body.depth * 0.0002)
        rt.components["quantum"].ok()
        return {"status": "completed", "cycles": body.cycles,
                "coherence": rt.fleet.coherence(body.system)}

    @app.get("/quantum/systems")
    async def systems(rt: Rt) -> dict[str, float]:
        return {name: _read_coherence(rt, name) for name in rt.fleet.online()}


def _read_coherence(rt: Runtime, system: str) -> float:
    value = rt.fleet.coherence(system)
    quantum.set_coherence(value, system=system)
    return value


def _add_ops_routes(app: FastAPI) -> None:
    @app.get("/reports/revenue")
    async def revenue(rt: Rt) -> dict[str, float]:
        async with rt.sessionmaker() as session:
            rows = await session.execute(
                select(db.Order.currency, func.sum(db.Order.amount))
                .where(db.Order.status == "success").group_by(db.Order.currency))
            return {currency: round(total, 2) for currency, total in rows.all()}

    @app.post("/reports/export")
    async def export(rt: Rt) -> dict[str, str]:
        # The archive is never configured in the demo: this path always fails (the 5xx the
        # load generator asks for), the way a broken dependency fails in production.
        raise ArchiveUnavailable("archive endpoint not configured")

    @app.get("/healthz")
    async def healthz(rt: Rt) -> JSONResponse:
        await _probe(rt)
        for system in rt.fleet.online():
            _read_coherence(rt, system)
        scores = rt.components.publish_scores()
        ok = all(scores[name] >= 0.5 for name in CRITICAL)
        return JSONResponse({"status": "ok" if ok else "degraded", "scores": scores},
                            status_code=200 if ok else 503)


async def _probe(rt: Runtime) -> None:
    """Touch the database and the cache, like a readiness probe does."""
    try:
        async with rt.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        rt.components["db"].ok()
    except Exception as error:
        rt.components["db"].failed(error)
    try:
        await rt.cache.ping()
        rt.components["cache"].ok()
    except Exception as error:
        rt.components["cache"].failed(error)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning",
                access_log=False)


if __name__ == "__main__":
    main()
