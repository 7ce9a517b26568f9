"""A/B timings of the pieces the proposals would remove, each case in its own process.

    python -m benchmarks.ab CASE      (a worker: `ready`, then one timing per `go` line)

Separate processes, because SQLAlchemy keeps its slower event-dispatch path once a listener has
been added, even after it is removed: an in-process before/after would measure "after" twice.
The coordinator (`measure`) keeps one worker per case alive and alternates them round by round;
each answer is the best of 3 runs, in CPU µs per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import timeit
from collections.abc import Callable
from typing import Any

from benchmarks.app import ORDER_PATH, build_app, database, price_cache
from benchmarks.workers import Fleet, Worker

# case -> (group, operations per timing)
CASES: dict[str, tuple[str, int]] = {
    "checkout: bare": ("connection checkout + return", 2000),
    "checkout: qf-otel SQLAlchemy instrumentation": ("connection checkout + return", 2000),
    "route: bare": ("order route (1 query), in-process", 200),
    "route: no-op cursor-execute listeners": ("order route (1 query), in-process", 200),
    "route: timing wrapper on Dialect.do_execute": ("order route (1 query), in-process", 200),
    "route: qf-otel SQLAlchemy instrumentation": ("order route (1 query), in-process", 200),
    "cache: TTLCache.get": ("cache read (hit)", 50_000),
    "cache: instrument_mapping(TTLCache).get": ("cache read (hit)", 50_000),
    "call: plain function": ("a recording call", 200_000),
    "call: wrapped by guarded()": ("a recording call", 200_000),
}


def _install(names: set[str]) -> None:
    import qf_otel_instrumentation

    from qf_otel._settings import Settings

    installed = qf_otel_instrumentation.install(Settings(instrumentations=frozenset(names)))
    if set(installed) != names:
        raise RuntimeError(f"installed {installed}, wanted {sorted(names)}")


def _noop_listeners() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def ignore(*args: Any) -> None:
        return None

    event.listen(Engine, "before_cursor_execute", ignore)
    event.listen(Engine, "after_cursor_execute", ignore)


def _wrap_do_execute() -> None:
    """What a listener-free timing would cost: one wrapper around the DB-API execute."""
    from time import perf_counter

    from sqlalchemy.engine.default import DefaultDialect

    original: Any = DefaultDialect.do_execute

    def do_execute(self: Any, cursor: Any, statement: Any, parameters: Any,
                   context: Any = None) -> None:
        start = perf_counter()
        try:
            original(self, cursor, statement, parameters, context)
        finally:
            _ = perf_counter() - start

    DefaultDialect.do_execute = do_execute  # type: ignore[method-assign]


def _guard() -> Any:
    """The decorator that keeps recording failures from the application (it has moved)."""
    for module, name in (("qf_otel._vocabulary", "guarded"),
                         ("qf_otel_instrumentation._failsafe", "guarded")):
        try:
            return getattr(__import__(module, fromlist=[name]), name)
        except (ImportError, AttributeError):
            continue
    raise RuntimeError("no guarded() decorator found")


def operation(case: str) -> Callable[[], object]:
    """Set the case up in this process; return the operation to time (not the route cases,
    which time a block of requests in one event loop: `_route_timer`)."""
    group = case.split(":")[0]
    variant = case.split(": ", 1)[1]
    if group == "checkout":
        engine = database()
        if variant != "bare":
            _install({"sqlalchemy"})

        def checkout() -> None:
            with engine.connect():
                pass

        return checkout
    if group == "cache":
        from qf_otel_instrumentation.cache import instrument_mapping

        cache: Any = price_cache()
        if variant != "TTLCache.get":
            _install({"cache"})
            cache = instrument_mapping(cache, name="prices")
        return lambda: cache.get(1)

    def recorder(elapsed: float) -> None:
        return None

    call = recorder if variant == "plain function" else _guard()("bench")(recorder)
    return lambda: call(0.1)


def serve(case: str) -> None:
    timed = _timer(case, CASES[case][1])
    timed()
    print("ready", flush=True)
    for _ in sys.stdin:
        print(f"{timed():.4f}", flush=True)


def _timer(case: str, number: int) -> Callable[[], float]:
    if case.startswith("route:"):
        return _route_timer(case, number)
    op = operation(case)

    def best() -> float:
        runs = timeit.repeat(op, number=number, repeat=3, timer=time.process_time)
        return min(runs) / number * 1e6

    return best


def _route_timer(case: str, number: int) -> Callable[[], float]:
    from benchmarks.asgi_driver import Statuses, block

    set_up: dict[str, Callable[[], None]] = {
        "bare": lambda: None,
        "no-op cursor-execute listeners": _noop_listeners,
        "timing wrapper on Dialect.do_execute": _wrap_do_execute,
        "qf-otel SQLAlchemy instrumentation": lambda: _install({"sqlalchemy"}),
    }
    engine = database()
    set_up[case.split(": ", 1)[1]]()
    app = build_app(engine, price_cache())

    async def best() -> float:
        send = Statuses()
        return min([(await block(app, ORDER_PATH, number, send))[0] for _ in range(3)])

    return lambda: asyncio.run(best())


def measure(rounds: int, progress: Callable[[str], None] = print) -> dict[str, dict[str, Any]]:
    """group -> case -> {"best": µs, "median": µs} over the rounds."""
    samples: dict[str, list[float]] = {case: [] for case in CASES}
    names = list(CASES)
    workers = [Worker(case, "benchmarks.ab", [case]) for case in names]
    with Fleet(workers) as fleet:
        progress(f"A/B: {len(names)} workers ready; {rounds} rounds")
        for index in range(rounds):
            shift = index % len(names)
            for case in names[shift:] + names[:shift]:
                samples[case].append(float(fleet.workers[case].ask("go")))
    found: dict[str, dict[str, Any]] = {}
    for case, values in samples.items():
        group = CASES[case][0]
        found.setdefault(group, {})[case.split(": ", 1)[1]] = {
            "best": min(values), "median": statistics.median(values)}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("case", choices=list(CASES))
    serve(parser.parse_args().case)


if __name__ == "__main__":
    main()
