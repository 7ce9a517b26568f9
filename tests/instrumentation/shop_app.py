"""A service as a user writes it, run in its own process by test_end_to_end.py: configure() at
start-up, FastAPI + SQLAlchemy (SQLite) + Redis, served by uvicorn on the port in SHOP_PORT.

Spans the SDK exports are also written as JSON lines to SHOP_SPANS (what any exporter would
receive), so the test can look for leaked values in them."""

from __future__ import annotations

import os
from collections.abc import Sequence

import redis
import uvicorn
from fastapi import APIRouter, FastAPI
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from sqlalchemy import create_engine, text

import qf_otel

# Created before configure(), as module-level engines and clients usually are.
engine = create_engine(f"sqlite:///{os.environ['SHOP_DB']}")
cache = redis.Redis(port=int(os.environ["SHOP_REDIS_PORT"]))

telemetry = qf_otel.configure(
    service_name="shop", prometheus_port=int(os.environ["SHOP_METRICS_PORT"]),
    traces_enabled=True, otlp_endpoint="http://127.0.0.1:9", otlp_timeout=0.2,
)


class JsonLinesExporter(SpanExporter):
    def __init__(self, path: str) -> None:
        self.path = path

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with open(self.path, "a") as out:
            for span in spans:
                out.write(span.to_json(indent=None) + "\n")
        return SpanExportResult.SUCCESS


provider = trace.get_tracer_provider()
provider.add_span_processor(SimpleSpanProcessor(JsonLinesExporter(os.environ["SHOP_SPANS"])))  # type: ignore[attr-defined]

with engine.begin() as conn:
    conn.execute(text("CREATE TABLE IF NOT EXISTS customers (id INTEGER PRIMARY KEY, email TEXT)"))

app = FastAPI()
items = APIRouter(prefix="/items")


@items.get("/{item_id}")
def item(item_id: int, email: str = "") -> dict[str, object]:
    cached = cache.get(f"item:{item_id}")
    if cached is None:
        cache.set(f"item:{item_id}", "1")
    with engine.connect() as conn:
        found = conn.execute(
            text(f"SELECT id FROM customers WHERE email = '{email}'")
        ).all()
    return {"id": item_id, "found": len(found), "cached": cached is not None}


app.include_router(items)

if __name__ == "__main__":
    print("instrumented:", ",".join(telemetry.instrumented), flush=True)
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["SHOP_PORT"]), log_level="warning")
