"""Where qf-otel's per-request time goes, function by function.

    python -m benchmarks.profile [--profiled N]

One process, no `configure()` (the per-request path does not depend on the exporters).
1. cProfile of both routes with everything installed (metrics only, then with traces): self time
   of every function in qf_otel/ and instrumentation/, plus the built-ins they call directly
   (locks, perf_counter, bisect...). cProfile's own cost per call inflates call-heavy code, so
   each function is shown as its share of the profiled request, and that share is turned into µs
   against the same route's unprofiled CPU time per request (an estimate, not a measurement).
2. Micro-timings of the primitives the hot path repeats.
The layer-by-layer costs and the A/B timings need one process per case (`benchmarks.layers`,
`benchmarks.ab`). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import time
import timeit
from typing import Any

import qf_otel_instrumentation
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from benchmarks.app import ROUTES, build_app, database, price_cache
from benchmarks.asgi_driver import Statuses, block
from benchmarks.variants import DroppingSpanExporter
from benchmarks.workers import ROOT
from qf_otel._settings import Settings

ALL = frozenset({"asgi", "sqlalchemy", "cache"})
OURS = (os.path.join(ROOT, "qf_otel") + os.sep,
        os.path.join(ROOT, "instrumentation", "qf_otel_instrumentation") + os.sep)


def _use(enabled: frozenset[str] | None, traces: bool = False) -> None:
    """Install exactly `enabled` (None: nothing)."""
    qf_otel_instrumentation.uninstall()
    if enabled is not None:
        installed = qf_otel_instrumentation.install(Settings(instrumentations=enabled,
                                                             traces_enabled=traces))
        if set(installed) != enabled:
            raise RuntimeError(f"asked for {sorted(enabled)}, installed {installed}")


def _dropping_provider() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DroppingSpanExporter()))
    return provider


def _relative(filename: str) -> str | None:
    for prefix in OURS:
        if filename.startswith(prefix):
            return os.path.relpath(filename, ROOT)
    return None


def _attribute(stats: pstats.Stats, requests: int, unprofiled_us: float) -> dict[str, Any]:
    """Share of the profiled request spent in each of our functions (self time), and in
    built-ins called straight from them; µs are those shares of the unprofiled CPU time."""
    ours: list[dict[str, Any]] = []
    builtins: dict[str, list[float]] = {}
    total = 0.0
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, line, name), (_cc, calls, self_time, cumulative, callers) in raw.items():
        total += self_time
        where = _relative(filename)
        if where is not None:
            ours.append({"function": f"{where}:{line} {name}", "calls": calls / requests,
                         "self_us": self_time / requests * 1e6,
                         "cumulative_us": cumulative / requests * 1e6})
            continue
        if filename != "~":
            continue
        for (caller_file, _l, _n), edge in callers.items():
            if _relative(caller_file) is not None:
                entry = builtins.setdefault(name, [0.0, 0.0])
                entry[0] += edge[0] / requests
                entry[1] += edge[2] / requests * 1e6
    ours.sort(key=lambda row: -float(row["self_us"]))
    called: list[dict[str, Any]] = sorted(
        ({"function": name, "calls": c, "self_us": t} for name, (c, t) in builtins.items()),
        key=lambda row: -float(row["self_us"]))
    profiled_us = total / requests * 1e6
    scale = unprofiled_us / profiled_us if profiled_us else 0.0
    for row in [*ours, *called]:
        row["share"] = row["self_us"] / profiled_us if profiled_us else 0.0
        row["estimate_us"] = row["self_us"] * scale
    own = sum(float(row["share"]) for row in [*ours, *called])
    return {"profiled_us": profiled_us, "unprofiled_us": unprofiled_us, "qf_share": own,
            "qf_us": own * unprofiled_us, "functions": ours[:12], "builtins": called[:6]}


async def _requests(app: Any, path: str, count: int) -> None:
    await block(app, path, count, Statuses())


def _unprofiled_us(app: Any, path: str, requests: int) -> float:
    async def best() -> float:
        send = Statuses()
        return min([(await block(app, path, requests, send))[0] for _ in range(5)])

    return asyncio.run(best())


def profiled(app: Any, requests: int) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for route, path in ROUTES.items():
        unprofiled = _unprofiled_us(app, path, max(requests // 5, 20))
        # The default (wall) timer: a CPU-time timer is a system call per function entry and
        # exit, which would swamp everything that is cheap and called often.
        profiler = cProfile.Profile()
        profiler.enable()
        asyncio.run(_requests(app, path, requests))
        profiler.disable()
        found[route] = _attribute(pstats.Stats(profiler), requests, unprofiled)
    return found


def micro() -> dict[str, float]:
    """CPU ns per call of what the hot path repeats (best of 5 runs)."""
    from time import perf_counter

    from qf_otel_instrumentation import _config
    from qf_otel_instrumentation._instruments import SERVER_ACTIVE, SERVER_DURATION
    from qf_otel_instrumentation._sql_statements import describe

    duration = SERVER_DURATION.series("GET", "http", "/orders/{order_id}", 200, None)
    active = SERVER_ACTIVE.series("GET", "http")
    excluded = _config.from_settings(Settings()).excluded
    statement = "SELECT name, price FROM products WHERE id = ?"
    describe(statement)
    cases = {
        "Histogram.series(5 values), cached": lambda: SERVER_DURATION.series(
            "GET", "http", "/orders/{order_id}", 200, None),
        "UpDownCounter.series(2 values), cached": lambda: SERVER_ACTIVE.series("GET", "http"),
        "HistogramSeries.record()": lambda: duration.record(0.0123),
        "Series.add() (locked)": lambda: active.add(1),
        "perf_counter()": perf_counter,
        "excluded-URL regex search": lambda: excluded("/orders/7"),
        "describe(statement), memoised": lambda: describe(statement),
    }
    provider = _dropping_provider()
    tracer = provider.get_tracer("bench")
    attributes: dict[str, str | int] = {
        "http.request.method": "GET", "url.scheme": "http", "url.path": "/orders/7",
        "network.protocol.version": "1.1", "client.address": "127.0.0.1",
        "server.address": "127.0.0.1", "server.port": 8000,
    }

    def span() -> None:
        tracer.start_span("GET", kind=trace.SpanKind.SERVER, attributes=attributes).end()

    cases["SDK span start + end (7 attributes, batch processor)"] = span
    number = 20_000
    found = {label: min(timeit.repeat(case, number=number, repeat=5, timer=time.process_time))
             / number * 1e9 for label, case in cases.items()}
    provider.shutdown()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiled", type=int, default=3000)
    args = parser.parse_args()

    engine = database()
    from qf_otel_instrumentation.cache import instrument_mapping

    wrapped = build_app(engine, instrument_mapping(price_cache(), name="prices"))
    result: dict[str, Any] = {}
    _use(ALL)
    result["metrics"] = profiled(wrapped, args.profiled)
    trace.set_tracer_provider(_dropping_provider())
    _use(ALL, traces=True)
    result["traces"] = profiled(wrapped, args.profiled)
    _use(None)
    result["micro_ns"] = micro()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
