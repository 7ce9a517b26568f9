"""An application with no telemetry code at all, for the launcher test
(`opentelemetry-instrument uvicorn tests.instrumentation.launched_app:app`)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

app = FastAPI()
orders = APIRouter(prefix="/orders")


@orders.get("/{order_id}")
async def order(order_id: int) -> dict[str, int]:
    return {"id": order_id}


app.include_router(orders)
