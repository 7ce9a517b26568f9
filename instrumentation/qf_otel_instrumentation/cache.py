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
from qf_otel_instrumentation._cache_recording import HIT, MISS, record, record_error

__all__ = ["InstrumentedMapping", "cached_with_metrics", "instrument_mapping"]

K = TypeVar("K")
V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])

_names = FirstComeValues(100, key="qf.cache.name")
_state = {"enabled": True}
_MISSING = object()


class InstrumentedMapping(MutableMapping[K, V]):
    """A view of `mapping` that records every read (hit or miss), write and delete."""

    __slots__ = ("_mapping", "name")

    def __init__(self, mapping: MutableMapping[K, V], name: str) -> None:
        self._mapping = mapping
        self.name = _names(name)

    @property
    def wrapped(self) -> MutableMapping[K, V]:
        return self._mapping

    def _timed(self, operation: str, action: Callable[[], Any]) -> Any:
        start = perf_counter()
        try:
            value = action()
        except KeyError:
            if _state["enabled"]:
                record(self.name, operation, MISS, perf_counter() - start)
            raise
        except Exception as exc:
            if _state["enabled"]:
                record_error(self.name, operation, exc, perf_counter() - start)
            raise
        if _state["enabled"]:
            result = (HIT if value is not _MISSING else MISS) if operation == "get" else None
            record(self.name, operation, result, perf_counter() - start)
        return value

    def __getitem__(self, key: K) -> V:
        return cast(V, self._timed("get", lambda: self._mapping[key]))

    def get(self, key: K, default: Any = None) -> Any:
        value = self._timed("get", lambda: self._mapping.get(key, _MISSING))
        return default if value is _MISSING else value

    def __contains__(self, key: object) -> bool:
        # A membership test is a read as far as hit ratio goes.
        found = self._timed("get", lambda: key in self._mapping or _MISSING)
        return found is not _MISSING

    def __setitem__(self, key: K, value: V) -> None:
        self._timed("set", lambda: self._mapping.__setitem__(key, value))

    def __delitem__(self, key: K) -> None:
        self._timed("delete", lambda: self._mapping.__delitem__(key))

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
    _state["enabled"] = True
    return True


def uninstall() -> None:
    _state["enabled"] = False
