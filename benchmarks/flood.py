"""RSS and series count under a cardinality flood, through the instrumented app (qf-otel, metrics).

    python -m benchmarks.flood [--flood N]

N requests to distinct unknown paths (`/unknown/<i>`, all 404s), then N requests that each carry
a distinct value of a user attribute (`/customers/<id>`): the handler records a user's own
fast-core counter with `customer.id` (bounded by the cardinality limit, then the overflow series)
and a domain transaction whose `kind` is that value (folded to `other` by the vocabulary).
Prints JSON: series (all fast-core instruments) and exposition lines, RSS, before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
from typing import Any

import psutil

from benchmarks.asgi_driver import Statuses, receive, scope_for
from benchmarks.variants import prepare
from qf_otel import _recording, business


def rss_mib() -> float:
    gc.collect()
    return float(psutil.Process().memory_info().rss) / 2**20


def series_total() -> int:
    return sum(len(instrument.all_series()) for instrument in _recording.instruments())


def state(pull: Any) -> dict[str, float]:
    text = pull.render_shared()
    samples = sum(1 for line in text.splitlines() if line and not line.startswith("#"))
    return {"series": series_total(), "exposition_samples": samples, "rss_mib": rss_mib()}


async def requests(app: Any, paths: list[str]) -> None:
    send = Statuses()
    for path in paths:
        await app(scope_for(path), receive, send)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flood", type=int, default=50_000)
    flood = parser.parse_args().flood

    app = prepare("qf-metrics")
    customers = _recording.Counter("shop.customer.visits", unit="{visit}",
                                   description="A user's own counter with a per-customer id.",
                                   attributes=("customer.id",), scope="shop")

    @app.get("/customers/{customer_id}")
    async def customer(customer_id: str) -> dict[str, str]:
        customers.series(customer_id).add(1)
        business.record_transaction(kind=customer_id, status="success")
        return {"id": customer_id}

    import qf_otel

    telemetry = qf_otel.current()
    assert telemetry is not None and telemetry.prometheus is not None
    pull = telemetry.prometheus
    # Warm every path once so "before" already holds the app's steady-state series.
    asyncio.run(requests(app, ["/items/1", "/orders/1", "/unknown/warm", "/customers/warm"]))
    before = state(pull)
    asyncio.run(requests(app, [f"/unknown/{i}" for i in range(flood)]))
    after_paths = state(pull)
    asyncio.run(requests(app, [f"/customers/c-{i}" for i in range(flood)]))
    after = state(pull)
    print(json.dumps({"flood": flood, "limit": _recording.DEFAULT_CARDINALITY_LIMIT,
                      "before": before, "after_paths": after_paths, "after": after}))


if __name__ == "__main__":
    main()
