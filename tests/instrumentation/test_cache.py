"""In-process caches: the mapping wrapper and the decorator report the Redis series shape."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from cachetools import LRUCache, TTLCache
from qf_otel_instrumentation.cache import (
    InstrumentedMapping,
    cached_with_metrics,
    instrument_mapping,
)

from qf_otel.testing import MetricsCapture
from tests.instrumentation.conftest import Installed

REQUESTS = "qf.cache.requests"


def reads(qf_metrics: MetricsCapture, name: str, result: str) -> float:
    return qf_metrics.value(REQUESTS, {"qf.cache.name": name, "qf.cache.operation": "get",
                                       "qf.cache.result": result})


def test_mapping_wrapper(instrument: Callable[..., Installed], qf_metrics: MetricsCapture) -> None:
    instrument(instrumentations=frozenset({"cache"}))
    sessions: InstrumentedMapping[str, int] = instrument_mapping(
        TTLCache(maxsize=100, ttl=60), name="sessions")
    sessions["a"] = 1
    assert sessions["a"] == 1
    assert sessions.get("a") == 1
    assert "a" in sessions
    assert sessions.get("b", "default") == "default"
    with pytest.raises(KeyError):
        sessions["b"]
    assert "b" not in sessions
    del sessions["a"]
    assert reads(qf_metrics, "sessions", "hit") == 3
    assert reads(qf_metrics, "sessions", "miss") == 3
    assert qf_metrics.value(REQUESTS, {"qf.cache.name": "sessions",
                                       "qf.cache.operation": "set"}) == 1
    assert qf_metrics.value(REQUESTS, {"qf.cache.name": "sessions",
                                       "qf.cache.operation": "delete"}) == 1
    assert qf_metrics.histogram("qf.cache.operation.duration",
                                {"qf.cache.name": "sessions"}).count == 8
    reads_timed = {"qf.cache.name": "sessions", "qf.cache.operation": "get"}
    assert qf_metrics.histogram("qf.cache.operation.duration", reads_timed).count == 6


def test_decorator_sync_and_async(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"cache"}))
    calls: list[str] = []

    @cached_with_metrics(LRUCache(maxsize=10), name="prices")
    def price(sku: str) -> int:
        calls.append(sku)
        return len(sku)

    @cached_with_metrics(LRUCache(maxsize=10), name="rates")
    async def rate(currency: str) -> float:
        return 1.5

    for sku in ["a", "bb", "a", "a", "bb", "ccc"]:
        assert price(sku) == len(sku)
    assert calls == ["a", "bb", "ccc"]

    async def lookups() -> None:
        for currency in ["EUR", "EUR", "USD"]:
            assert await rate(currency) == 1.5

    asyncio.run(lookups())
    assert (reads(qf_metrics, "prices", "hit"), reads(qf_metrics, "prices", "miss")) == (3, 3)
    assert (reads(qf_metrics, "rates", "hit"), reads(qf_metrics, "rates", "miss")) == (1, 2)


def test_failing_cache_counts_an_error_and_a_request(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"cache"}))
    full: InstrumentedMapping[str, str] = instrument_mapping(
        LRUCache(maxsize=3, getsizeof=len), name="tiny")
    with pytest.raises(ValueError):  # cachetools refuses a value larger than the cache
        full["big"] = "x" * 10
    full["k"] = "v"
    assert qf_metrics.value("qf.cache.errors", {"qf.cache.name": "tiny",
                                                "qf.cache.operation": "set",
                                                "error.type": "ValueError"}) == 1
    assert qf_metrics.value(REQUESTS, {"qf.cache.name": "tiny", "qf.cache.operation": "set"}) == 2
    assert reads(qf_metrics, "tiny", "hit") == 0
    assert qf_metrics.histogram("qf.cache.operation.duration",
                                {"qf.cache.name": "tiny", "qf.cache.operation": "set"}).count == 2


def test_disabled_cache_instrumentation_records_nothing(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture
) -> None:
    instrument(disabled_instrumentations=frozenset({"cache"}),
               instrumentations=frozenset({"cache"}))
    quiet: InstrumentedMapping[str, int] = instrument_mapping({}, name="quiet")
    quiet["x"] = 1
    assert quiet.get("x") == 1
    assert not any(a.get("qf.cache.name") == "quiet" for a, _ in qf_metrics.series(REQUESTS))
