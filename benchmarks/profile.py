"""Where qf-otel's per-request time goes: layer by layer, then function by function.

    python -m benchmarks.profile [--rounds R] [--requests N]

One process, no `configure()` (the per-request path does not depend on the exporters): the
instrumentations are installed and uninstalled between blocks, as tests/instrumentation do.
1. Layers: the order route bare, with the HTTP server instrumentation, + SQLAlchemy, + the cache
   wrapper, alternated block by block; the cost of each layer is its paired difference to bare.
2. cProfile of both routes with everything installed (metrics only, then with traces): self time
   of every function in qf_otel/ and instrumentation/, plus the built-ins they call directly
   (locks, perf_counter, bisect...), per request. cProfile adds its own cost per call, so read
   these as shares, and the layer figures as the absolute ones.
3. Micro-timings of the primitives the hot path repeats, to size the proposals.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import time
import timeit
from typing import Any

import qf_otel_instrumentation
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from benchmarks.app import ORDER_PATH, ROUTES, build_app, database, price_cache
from benchmarks.asgi_driver import Statuses, block
from benchmarks.variants import DroppingSpanExporter
from benchmarks.workers import ROOT
from qf_otel._settings import Settings

LAYERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("bare", None),
    ("HTTP", frozenset({"asgi"})),
    ("HTTP + DB", frozenset({"asgi", "sqlalchemy"})),
    ("HTTP + DB + cache", frozenset({"asgi", "sqlalchemy", "cache"})),
)
OURS = (os.path.join(ROOT, "qf_otel") + os.sep,
        os.path.join(ROOT, "instrumentation", "qf_otel_instrumentation") + os.sep)


def _use(enabled: frozenset[str] | None, traces: bool = False) -> None:
    qf_otel_instrumentation.uninstall()
    if enabled is not None:
        qf_otel_instrumentation.install(Settings(instrumentations=enabled,
                                                 traces_enabled=traces))


async def layers(plain: Any, wrapped: Any, rounds: int, requests: int) -> dict[str, Any]:
    send = Statuses()
    samples: dict[str, list[float]] = {name: [] for name, _ in LAYERS}
    for index in range(rounds + 1):
        order = LAYERS[index % len(LAYERS):] + LAYERS[:index % len(LAYERS)]
        for name, enabled in order:
            _use(enabled)
            app = wrapped if enabled and "cache" in enabled else plain
            value = (await block(app, ORDER_PATH, requests, send))[0]  # CPU µs
            if index:  # round 0 warms every configuration
                samples[name].append(value)
    bare = samples["bare"]
    return {
        name: {"median_us": statistics.median(values),
               "cost_us": statistics.median([v - b for v, b in zip(values, bare, strict=True)])}
        for name, values in samples.items()
    }


def _relative(filename: str) -> str | None:
    for prefix in OURS:
        if filename.startswith(prefix):
            return os.path.relpath(filename, ROOT)
    return None


def _attribute(stats: pstats.Stats, requests: int) -> dict[str, Any]:
    """Self time per request of our functions, and of built-ins called straight from them."""
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
    own = sum(float(row["self_us"]) for row in [*ours, *called])
    return {"total_us": total / requests * 1e6, "qf_us": own, "functions": ours[:14],
            "builtins": called[:8]}


async def _requests(app: Any, path: str, count: int) -> None:
    await block(app, path, count, Statuses())


def profiled(app: Any, requests: int) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for route, path in ROUTES.items():
        asyncio.run(_requests(app, path, 200))
        # CPU time, not wall time: a context switch would otherwise be charged to whatever
        # function happened to be running.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        asyncio.run(_requests(app, path, requests))
        profiler.disable()
        found[route] = _attribute(pstats.Stats(profiler), requests)
    return found


def micro() -> dict[str, float]:
    """ns per call of what the hot path repeats (best of 5 runs)."""
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
    number = 100_000
    return {label: min(timeit.repeat(case, number=number, repeat=5)) / number * 1e9
            for label, case in cases.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profiled", type=int, default=3000)
    args = parser.parse_args()

    engine = database()
    plain = build_app(engine, price_cache())
    from qf_otel_instrumentation.cache import instrument_mapping

    wrapped = build_app(engine, instrument_mapping(price_cache(), name="prices"))
    result: dict[str, Any] = {}
    result["layers"] = asyncio.run(layers(plain, wrapped, args.rounds, args.requests))
    _use(LAYERS[-1][1])
    result["metrics"] = profiled(wrapped, args.profiled)
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DroppingSpanExporter()))
    trace.set_tracer_provider(provider)
    _use(LAYERS[-1][1], traces=True)
    result["traces"] = profiled(wrapped, args.profiled)
    _use(None)
    result["micro_ns"] = micro()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
