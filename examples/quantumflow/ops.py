"""Operational routes: reports (one of which always fails) and the health probe."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text

from examples.quantumflow import db
from examples.quantumflow.components import CRITICAL
from examples.quantumflow.jobs import read_coherence
from examples.quantumflow.runtime import Rt, Runtime, runtime

router = APIRouter()


class ArchiveUnavailable(Exception):
    """The export archive (an object store the demo never configures) cannot be reached."""


async def archive_error(request: Request, error: Exception) -> JSONResponse:
    runtime(request).components["storage"].failed(error)
    return JSONResponse({"detail": "export failed"}, status_code=500)


@router.get("/reports/revenue")
async def revenue(rt: Rt) -> dict[str, float]:
    async with rt.sessionmaker() as session:
        rows = await session.execute(
            select(db.Order.currency, func.sum(db.Order.amount))
            .where(db.Order.status == "success").group_by(db.Order.currency))
        return {currency: round(total, 2) for currency, total in rows.all()}


@router.post("/reports/export")
async def export() -> dict[str, str]:
    # The archive is never configured in the demo: this path always fails (the 5xx the load
    # generator asks for), the way a broken dependency fails in production.
    raise ArchiveUnavailable("archive endpoint not configured")


@router.get("/healthz")
async def healthz(rt: Rt) -> JSONResponse:
    await _probe(rt)
    for system in rt.fleet.online():
        read_coherence(rt, system)
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
