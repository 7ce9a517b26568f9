"""Bounded memory for what the application produces: memos and first-come value sets.

`BoundedMemo` remembers a pure function of values the application produces (SQL statements,
exception classes): the common case is a handful of distinct keys seen millions of times, but
nothing stops a program from producing unboundedly many, so past the limit the memo is emptied
rather than allowed to grow. `FirstComeValues` admits a bounded number of distinct attribute
values. `uninstall()` (tests) starts all of them afresh through `reset_all()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from qf_otel._vocabulary import FOLDED, OTHER

_resets: list[Callable[[], None]] = []


def on_reset(clear: Callable[[], None]) -> None:
    _resets.append(clear)


def reset_all() -> None:
    for clear in _resets:
        clear()


K = TypeVar("K")
V = TypeVar("V")


class BoundedMemo(Generic[K, V]):
    __slots__ = ("_compute", "_limit", "_values")

    def __init__(self, compute: Callable[[K], V], limit: int = 2048) -> None:
        self._compute = compute
        self._limit = limit
        self._values: dict[K, V] = {}
        on_reset(self._values.clear)

    def __call__(self, key: K) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._compute(key)
        if len(self._values) >= self._limit:
            self._values.clear()
        self._values[key] = value
        return value


def count_fold(key: str) -> None:
    """A value of attribute `key` was exported as `other`: counted like the meters' folds."""
    FOLDED.series(key).add(1)


class FirstComeValues:
    """Admits the first `limit` distinct values of attribute `key`, folds the rest to `other`
    (counted in `qf.otel.attribute.folded`).

    For values that come from code rather than from users (table names, exception class names)
    but are not a closed set known in advance.
    """

    __slots__ = ("_admitted", "_key", "_limit")

    def __init__(self, limit: int, key: str) -> None:
        self._limit = limit
        self._key = key
        self._admitted: set[str] = set()
        on_reset(self._admitted.clear)

    def __call__(self, value: str) -> str:
        if value in self._admitted:
            return value
        if len(self._admitted) < self._limit:
            self._admitted.add(value)
            return value
        count_fold(self._key)
        return OTHER
