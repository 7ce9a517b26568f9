"""Hit/miss metrics for in-process caches: a mapping wrapper and a memoising decorator.

Both record the same `qf.cache.requests` / `qf.cache.operation.duration` / `qf.cache.errors`
series as the Redis instrumentation, under the cache name you give (a name from your code, not
from data: names past the first 100 distinct ones fold to `other`). Keys and values are never
recorded.

    from cachetools import TTLCache
    from qf_otel_instrumentation.cache import instrument_mapping, cached_with_metrics

    sessions = instrument_mapping(TTLCache(maxsize=10_000, ttl=300), name="sessions")

    @cached_with_metrics(TTLCache(maxsize=1024, ttl=60), name="prices")
    def price(sku: str) -> Decimal: ...
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Hashable, Iterator, MutableMapping
from contextlib import AbstractContextManager, nullcontext
from time import perf_counter
from typing import Any, TypeVar, cast

from qf_otel_instrumentation._bounded import FirstComeValues
from qf_otel_instrumentation._cache_recording import HIT, MISS, record_error
from qf_otel_instrumentation._instruments import CACHE_DURATION, CACHE_REQUESTS

__all__ = ["InstrumentedMapping", "cached_with_metrics", "instrument_mapping"]

K = TypeVar("K")
V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])

_names = FirstComeValues(100, key="qf.cache.name")
_MISSING = object()
GET, SET, DELETE = "get", "set", "delete"
# Off after `uninstall()` or when the `cache` instrumentation is disabled: the wrappers exist from
# import on, so they ask this on every operation.
_enabled = True


class _Outcome:
    """One outcome (a hit, a miss, a write, a delete) of one cache: its count and the
    operation's duration, bound once."""

    __slots__ = ("count", "duration")

    def __init__(self, name: str, operation: str, result: str | None) -> None:
        self.count = CACHE_REQUESTS.series(name, operation, result)
        self.duration = CACHE_DURATION.series(name, operation)

    def record(self, elapsed: float) -> None:
        self.count.add(1)
        self.duration.record(elapsed)


class InstrumentedMapping(MutableMapping[K, V]):
    """A view of `mapping` that records every read (hit or miss), write and delete.

    Each outcome's series are bound on its first use (the name is fixed; binding only then keeps
    outcomes that never happen out of the export), so an operation costs two clock reads, a
    locked add and a histogram update on top of the mapping's own (docs/instrumentation.md,
    "In-process caches", has the measured cost and why the duration is kept).
    """

    __slots__ = ("_delete", "_hit", "_mapping", "_miss", "_set", "name")

    def __init__(self, mapping: MutableMapping[K, V], name: str) -> None:
        self._mapping = mapping
        self.name = _names(name)
        self._hit: _Outcome | None = None
        self._miss: _Outcome | None = None
        self._set: _Outcome | None = None
        self._delete: _Outcome | None = None

    def _bind(self, slot: str, operation: str, result: str | None) -> _Outcome:
        outcome = _Outcome(self.name, operation, result)
        setattr(self, slot, outcome)
        return outcome

    @property
    def wrapped(self) -> MutableMapping[K, V]:
        return self._mapping

    def _failed(self, operation: str, error: Exception, start: float) -> None:
        if _enabled:
            record_error(self.name, operation, error, perf_counter() - start)

    def __getitem__(self, key: K) -> V:
        start = perf_counter()
        try:
            value = self._mapping[key]
        except KeyError:
            if _enabled:
                (self._miss or self._bind("_miss", GET, MISS)).record(perf_counter() - start)
            raise
        except Exception as exc:
            self._failed(GET, exc, start)
            raise
        if _enabled:
            (self._hit or self._bind("_hit", GET, HIT)).record(perf_counter() - start)
        return value

    def get(self, key: K, default: Any = None) -> Any:
        start = perf_counter()
        try:
            value = self._mapping.get(key, _MISSING)
        except Exception as exc:
            self._failed(GET, exc, start)
            raise
        if value is _MISSING:
            if _enabled:
                (self._miss or self._bind("_miss", GET, MISS)).record(perf_counter() - start)
            return default
        if _enabled:
            (self._hit or self._bind("_hit", GET, HIT)).record(perf_counter() - start)
        return value

    def __contains__(self, key: object) -> bool:
        # A membership test is a read as far as hit ratio goes.
        start = perf_counter()
        try:
            found = key in self._mapping
        except Exception as exc:
            self._failed(GET, exc, start)
            raise
        if _enabled:
            outcome = (self._hit or self._bind("_hit", GET, HIT)) if found else (
                self._miss or self._bind("_miss", GET, MISS))
            outcome.record(perf_counter() - start)
        return found

    def __setitem__(self, key: K, value: V) -> None:
        start = perf_counter()
        try:
            self._mapping[key] = value
        except Exception as exc:
            self._failed(SET, exc, start)
            raise
        if _enabled:
            (self._set or self._bind("_set", SET, None)).record(perf_counter() - start)

    def __delitem__(self, key: K) -> None:
        start = perf_counter()
        try:
            del self._mapping[key]
        except Exception as exc:
            self._failed(DELETE, exc, start)
            raise
        if _enabled:
            (self._delete or self._bind("_delete", DELETE, None)).record(perf_counter() - start)

    def __iter__(self) -> Iterator[K]:
        return iter(self._mapping)

    def __len__(self) -> int:
        return len(self._mapping)

    def __repr__(self) -> str:
        return f"InstrumentedMapping({self._mapping!r}, name={self.name!r})"


def instrument_mapping(mapping: MutableMapping[K, V], *, name: str) -> InstrumentedMapping[K, V]:
    """Wraps a dict-like cache (cachetools `TTLCache`, `LRUCache`, a plain dict, ...)."""
    return InstrumentedMapping(mapping, name)


def _default_key(*args: Any, **kwargs: Any) -> Hashable:
    return (args, tuple(sorted(kwargs.items()))) if kwargs else args


def cached_with_metrics(
    cache: MutableMapping[Any, Any],
    *,
    name: str,
    key: Callable[..., Hashable] = _default_key,
    lock: AbstractContextManager[Any] | None = None,
) -> Callable[[F], F]:
    """Memoises a function (sync or async) in `cache`, recording a hit or a miss per call.

    Like `cachetools.cached`: `key` builds the cache key from the arguments; `lock` guards the
    cache if it is shared between threads. A value the cache refuses (`ValueError`, as cachetools
    raises for one too large) is returned uncached.
    """
    metered = instrument_mapping(cache, name=name)
    guard: AbstractContextManager[Any] = lock if lock is not None else nullcontext()

    def lookup(k: Hashable) -> Any:
        with guard:
            return metered.get(k, _MISSING)

    def store(k: Hashable, value: Any) -> None:
        try:
            with guard:
                metered[k] = value
        except ValueError:
            pass

    def decorate(function: F) -> F:
        if inspect.iscoroutinefunction(function):
            @functools.wraps(function)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                k = key(*args, **kwargs)
                found = lookup(k)
                if found is not _MISSING:
                    return found
                value = await function(*args, **kwargs)
                store(k, value)
                return value

            return cast(F, async_wrapper)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            k = key(*args, **kwargs)
            found = lookup(k)
            if found is not _MISSING:
                return found
            value = function(*args, **kwargs)
            store(k, value)
            return value

        return cast(F, wrapper)

    return decorate


def install() -> bool:
    global _enabled
    _enabled = True
    return True


def uninstall() -> None:
    global _enabled
    _enabled = False
