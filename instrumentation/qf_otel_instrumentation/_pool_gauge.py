"""Connection-pool counts read from the pools themselves whenever a reader collects.

Why not count checkouts: keeping deltas in step with the pool meant a lock and two adds on every
checkout and return (about 5 µs per request that touches the database). The pool already keeps
exact counts (`checkedin()`, `checkedout()`); reading them when a scrape or an export collects is
exact at that instant, which is all a gauge can promise, and costs the application nothing.

`PoolCounter` is an up-down counter of the fast core whose series hold the pools they report
instead of an accumulator: a series' `value` is the sum over its live pools (engines on one URL
share a name, so their pools add up). The fast core's own writes to `value` (its zeroing in a
forked child) are ignored, so a forked worker reports its own pools' state: the truth is the pool.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

from qf_otel._recording import AttributeValue, Series, UpDownCounter
from qf_otel._vocabulary import internal_error

# (pool, state) -> its count; `state` is None for an instrument without a state attribute, and
# for the overflow series, which stands for every state of the names past the cardinality limit.
Read = Callable[[Any, "str | None"], int]


class PoolSeries(Series):
    """A series whose value is read from the pools added to it."""

    __slots__ = ("_metric", "_read", "_state", "pools")

    def __init__(self, attributes: dict[str, AttributeValue], metric: str, read: Read,
                 state: str | None) -> None:
        super().__init__(attributes, 0)
        self._metric = metric
        self._read = read
        self._state = state
        self.pools: weakref.WeakSet[Any] = weakref.WeakSet()

    @property  # type: ignore[override]
    def value(self) -> float:
        try:
            return float(sum(self._read(pool, self._state) for pool in list(self.pools)))
        except Exception:  # a pool in a state we do not understand must not break a scrape
            internal_error(self._metric)
            return 0.0

    @value.setter
    def value(self, ignored: float) -> None:
        """The fast core zeroes series in a forked child and on start-up: the pool holds the
        truth, so there is nothing to store."""

    def forget(self) -> None:
        self.pools = weakref.WeakSet()


class PoolCounter(UpDownCounter):
    """`db.client.connection.*`: series created by `pool_series()`, valued by `read`."""

    def __init__(self, name: str, *, unit: str, description: str, attributes: Sequence[str],
                 scope: str, read: Read, state_key: str | None = None) -> None:
        self._read = read
        self._state_key = state_key
        super().__init__(name, unit=unit, description=description, attributes=attributes,
                         scope=scope)

    def _make(self, attributes: dict[str, AttributeValue]) -> Series:
        state = attributes.get(self._state_key) if self._state_key else None
        return PoolSeries(attributes, self.name, self._read,
                          state if isinstance(state, str) else None)

    def pool_series(self, *values: AttributeValue) -> PoolSeries:
        found = self.series(*values)
        assert isinstance(found, PoolSeries)  # every series of this instrument is made by _make
        return found

    def forget_pools(self) -> None:
        """Reports nothing until pools are added again (after `uninstall()`)."""
        for series in self.all_series():
            if isinstance(series, PoolSeries):
                series.forget()


def connections(pool: Any, state: str | None) -> int:
    if state == "idle":
        return int(pool.checkedin())
    if state == "used":
        return int(pool.checkedout())
    return int(pool.checkedin()) + int(pool.checkedout())


def most_connections(pool: Any, state: str | None) -> int:
    """Pool size plus allowed overflow; pools without a bound are never added to this one."""
    return int(pool.size()) + int(pool._max_overflow)
