"""Where qf-otel's per-request time goes: layer by layer, then function by function.

    python -m benchmarks.profile [--rounds R] [--requests N]

One process, no `configure()` (the per-request path does not depend on the exporters): the
instrumentations are installed and uninstalled between blocks, as tests/instrumentation do.
1. Layers: the order route bare, with the HTTP server instrumentation, + SQLAlchemy, + the cache
   wrapper, alternated block by block; the cost of each layer is its paired difference to bare.
2. cProfile of both routes with everything installed (metrics only, then with traces): self time
   of every function in qf_otel/ and instrumentation/, plus the built-ins they call directly
   (locks, perf_counter, bisect...). cProfile's own cost per call inflates call-heavy code, so
   each function is shown as its share of the profiled request, and that share is turned into µs
   against the same route's unprofiled CPU time per request (an estimate, not a measurement).
3. Micro-timings of the primitives the hot path repeats, and interleaved A/B timings of the pieces
   the proposals in docs/performance.md would remove, to size them.
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

ALL = frozenset({"asgi", "sqlalchemy", "cache"})
# (label, instrumentations installed, traces on)
LAYERS: tuple[tuple[str, frozenset[str] | None, bool], ...] = (
    ("bare", None, False),
    ("HTTP", frozenset({"asgi"}), False),
    ("HTTP + DB", frozenset({"asgi", "sqlalchemy"}), False),
    ("HTTP + DB + cache", ALL, False),
    ("HTTP spans", frozenset({"asgi"}), True),
    ("HTTP + DB spans", frozenset({"asgi", "sqlalchemy"}), True),
    ("HTTP + DB + cache, spans", ALL, True),
)
OURS = (os.path.join(ROOT, "qf_otel") + os.sep,
        os.path.join(ROOT, "instrumentation", "qf_otel_instrumentation") + os.sep)


def _use(enabled: frozenset[str] | None, traces: bool = False,
         tracer_provider: TracerProvider | None = None) -> None:
    """Install exactly `enabled` (None: nothing). Spans go to `tracer_provider` when given: not
    the global one, which would also switch on FastAPI's native tracing in the bare rows."""
    from qf_otel_instrumentation import _config

    qf_otel_instrumentation.uninstall()
    if enabled is not None:
        installed = qf_otel_instrumentation.install(Settings(instrumentations=enabled,
                                                             traces_enabled=traces))
        if set(installed) != enabled:
            raise RuntimeError(f"asked for {sorted(enabled)}, installed {installed}")
        if tracer_provider is not None:
            _config.CONFIG.tracer_provider = tracer_provider


def _dropping_provider() -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(DroppingSpanExporter()))
    return provider


async def layers(plain: Any, wrapped: Any, rounds: int, requests: int) -> dict[str, Any]:
    send = Statuses()
    provider = _dropping_provider()
    samples: dict[str, list[float]] = {name: [] for name, _, _ in LAYERS}
    for index in range(rounds + 1):
        order = LAYERS[index % len(LAYERS):] + LAYERS[:index % len(LAYERS)]
        for name, enabled, traces in order:
            _use(enabled, traces, provider if traces else None)
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


def _interleaved(cases: dict[str, tuple[Any, Any, Any]], number: int,
                 rounds: int = 9) -> dict[str, float]:
    """Best CPU µs per call of each case, cases alternated round by round.

    A case is (set up, the call, tear down); the set-up and tear-down run outside the timing.
    """
    best = dict.fromkeys(cases, float("inf"))
    for _ in range(rounds):
        for label, (on, call, off) in cases.items():
            on()
            call()
            value = min(timeit.repeat(call, number=number, repeat=2, timer=time.process_time))
            off()
            best[label] = min(best[label], value / number * 1e6)
    return best


def evidence() -> dict[str, dict[str, float]]:
    """A/B timings of what the proposals would remove (µs per call, interleaved best)."""
    from cachetools import TTLCache
    from qf_otel_instrumentation import _sqlalchemy
    from qf_otel_instrumentation.cache import instrument_mapping

    engine = database()

    def checkout() -> None:
        with engine.connect():
            pass

    def nothing() -> None:
        return None

    def sqlalchemy_on() -> None:
        _use(frozenset({"sqlalchemy"}))

    def sqlalchemy_without_pool_patches() -> None:
        _use(frozenset({"sqlalchemy"}))
        applied: Any = getattr(_sqlalchemy, "_patches", None)  # the QueuePool patches (private)
        if hasattr(applied, "undo"):
            applied.undo()
        else:
            for one in list(applied or []):
                one.undo()

    def off() -> None:
        _use(None)

    found: dict[str, dict[str, float]] = {}
    found["connection checkout + return"] = _interleaved({
        "bare": (nothing, checkout, nothing),
        "qf-otel SQLAlchemy instrumentation": (sqlalchemy_on, checkout, off),
        "same, without the QueuePool patches (pool counts)":
            (sqlalchemy_without_pool_patches, checkout, off),
    }, number=3000)
    plain: TTLCache[int, float] = TTLCache(maxsize=16, ttl=3600)
    plain[1] = 1.0
    metered: Any = instrument_mapping(TTLCache(maxsize=16, ttl=3600), name="prices")
    metered[1] = 1.0
    found["cache read (hit)"] = _interleaved({
        "TTLCache.get": (nothing, lambda: plain.get(1), nothing),
        "instrument_mapping(TTLCache).get": (lambda: _use(frozenset({"cache"})),
                                             lambda: metered.get(1), off),
    }, number=50_000)

    guarded = _guard()
    if guarded is not None:
        def recorder(elapsed: float) -> None:
            return None

        safe = guarded("bench")(recorder)
        found["a recording call"] = _interleaved({
            "plain function": (nothing, lambda: recorder(0.1), nothing),
            "wrapped by guarded()": (nothing, lambda: safe(0.1), nothing),
        }, number=200_000)
    return found


def _guard() -> Any:
    """The decorator that keeps recording failures away from the application (it has moved
    between modules while the instrumentation was being written)."""
    for module, name in (("qf_otel._vocabulary", "guarded"),
                         ("qf_otel_instrumentation._failsafe", "guarded")):
        try:
            return getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue
    return None


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
    _use(ALL)
    result["metrics"] = profiled(wrapped, args.profiled)
    trace.set_tracer_provider(_dropping_provider())
    _use(ALL, traces=True)
    result["traces"] = profiled(wrapped, args.profiled)
    _use(None)
    result["micro_ns"] = micro()
    result["evidence"] = evidence()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
