"""The fast recording core: every metric qf-otel records itself goes through here.

Why not the SDK's synchronous instruments: `Counter.add` with three attributes costs ~9 µs (it
re-validates and hashes the attribute dict on every call). A service records several values per
request, so that alone would blow the overhead budget. Here an attribute set is resolved once into a
bound `Series` holding a plain accumulator; recording is a lock and an addition (well under 1 µs).

The accumulators are turned into the SDK's own data classes at collection time (`snapshot()`), so
every exporter the SDK has (Prometheus pull, OTLP, in-memory) sees them like any other metric, with
cumulative temporality. Values recorded before `configure()` are kept and exported once configured.
"""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_left
from collections.abc import Sequence
from typing import Literal

AttributeValue = str | int | float | bool | None
Kind = Literal["counter", "updowncounter", "gauge", "histogram"]

# Semantic-conventions advisory buckets (seconds).
HTTP_BUCKETS: tuple[float, ...] = (
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
)
DB_BUCKETS: tuple[float, ...] = (
    0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0,
)

DEFAULT_CARDINALITY_LIMIT = 2000
OVERFLOW_ATTRIBUTES: dict[str, AttributeValue] = {"otel.metric.overflow": True}

_registry_lock = threading.Lock()
_instruments: dict[str, Instrument] = {}
_cardinality_limit = DEFAULT_CARDINALITY_LIMIT
_start_time_ns = time.time_ns()


class Series:
    """One attribute set of one instrument: the object a hot path keeps and records into."""

    __slots__ = ("_lock", "attributes", "bucket_counts", "count", "max", "min", "start_ns",
                 "sum", "value")

    def __init__(self, attributes: dict[str, AttributeValue], buckets: int) -> None:
        self._lock = threading.Lock()
        self.attributes = attributes
        self.start_ns = _start_time_ns
        self.value = 0.0
        self.count = 0
        self.sum = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        self.bucket_counts = [0] * buckets if buckets else []

    def add(self, amount: float) -> None:
        with self._lock:
            self.value += amount

    def set(self, value: float) -> None:
        self.value = value  # single stores: atomic under the GIL, no lock needed
        self.count = 1  # a gauge that was never set is not exported (0 would be a lie)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self.start_ns = _start_time_ns
        self.value = 0.0
        self.count = 0
        self.sum = 0.0
        self.min = float("inf")
        self.max = float("-inf")
        self.bucket_counts = [0] * len(self.bucket_counts)


class HistogramSeries(Series):
    __slots__ = ("_boundaries",)

    def __init__(
        self, attributes: dict[str, AttributeValue], boundaries: tuple[float, ...]
    ) -> None:
        super().__init__(attributes, len(boundaries) + 1)
        self._boundaries = boundaries

    def record(self, amount: float) -> None:
        index = bisect_left(self._boundaries, amount)  # upper bounds are inclusive, as in OTel
        with self._lock:
            self.count += 1
            self.sum += amount
            self.bucket_counts[index] += 1
            if amount < self.min:
                self.min = amount
            if amount > self.max:
                self.max = amount


class Instrument:
    """A named instrument with a fixed, ordered tuple of attribute keys."""

    kind: Kind = "counter"

    def __init__(
        self,
        name: str,
        *,
        unit: str,
        description: str,
        attributes: Sequence[str] = (),
        scope: str = "qf_otel",
    ) -> None:
        self.name = name
        self.unit = unit
        self.description = description
        self.attributes: tuple[str, ...] = tuple(attributes)
        self.scope = scope
        self._series: dict[tuple[AttributeValue, ...], Series] = {}
        self._overflow: Series | None = None
        self._lock = threading.Lock()
        self._shared_with: Instrument | None = None
        with _registry_lock:
            existing = _instruments.get(name)
            if existing is None:
                _instruments[name] = self
                return
            if (existing.kind, existing.unit, existing.attributes, existing._shape()) != (
                self.kind, self.unit, self.attributes, self._shape()
            ):
                raise ValueError(f"instrument {name!r} is already defined differently")
            # the same instrument defined again (a second module, a reload): one stream, shared
            self._series = existing._series
            self._lock = existing._lock
            self._shared_with = existing

    def series(self, *values: AttributeValue) -> Series:
        """The bound series for these attribute values (in the order of `attributes`).

        `None` leaves an attribute out. Past the cardinality limit every new attribute set goes
        to the one overflow series, as the SDK does, so memory stays bounded.
        """
        found = self._series.get(values)
        if found is not None:
            return found
        return self._new_series(values)

    def _new_series(self, values: tuple[AttributeValue, ...]) -> Series:
        if len(values) != len(self.attributes):
            raise ValueError(
                f"{self.name}: expected {len(self.attributes)} attribute values "
                f"{self.attributes}, got {len(values)}"
            )
        with self._lock:
            found = self._series.get(values)
            if found is not None:
                return found
            if len(self._series) >= _cardinality_limit - 1:
                owner = self._shared_with or self
                if owner._overflow is None:
                    owner._overflow = owner._make(dict(OVERFLOW_ATTRIBUTES))
                return owner._overflow
            attributes: dict[str, AttributeValue] = {
                k: v for k, v in zip(self.attributes, values, strict=True) if v is not None
            }
            created = self._make(attributes)
            self._series[values] = created
            return created

    def _make(self, attributes: dict[str, AttributeValue]) -> Series:
        return Series(attributes, 0)

    def _shape(self) -> tuple[float, ...]:
        return ()

    def all_series(self) -> list[Series]:
        with self._lock:
            found = list(self._series.values())
            if self._overflow is not None:
                found.append(self._overflow)
            return found

    def _reset(self) -> None:
        self._lock = threading.Lock()
        for series in self._series.values():
            series._reset()
        if self._overflow is not None:
            self._overflow._reset()


class Counter(Instrument):
    kind: Kind = "counter"


class UpDownCounter(Instrument):
    kind: Kind = "updowncounter"


class Gauge(Instrument):
    kind: Kind = "gauge"


class Histogram(Instrument):
    kind: Kind = "histogram"

    def __init__(
        self,
        name: str,
        *,
        unit: str,
        description: str,
        attributes: Sequence[str] = (),
        boundaries: Sequence[float] = HTTP_BUCKETS,
        scope: str = "qf_otel",
    ) -> None:
        self.boundaries = tuple(boundaries)
        super().__init__(
            name, unit=unit, description=description, attributes=attributes, scope=scope
        )

    def series(self, *values: AttributeValue) -> HistogramSeries:
        found = self._series.get(values)
        if found is None:
            found = self._new_series(values)
        return found  # type: ignore[return-value]

    def _make(self, attributes: dict[str, AttributeValue]) -> Series:
        return HistogramSeries(attributes, self.boundaries)

    def _shape(self) -> tuple[float, ...]:
        return self.boundaries


def instruments() -> list[Instrument]:
    """Every instrument defined so far, in definition order."""
    with _registry_lock:
        return list(_instruments.values())


def set_cardinality_limit(limit: int) -> None:
    global _cardinality_limit
    _cardinality_limit = limit


def reset() -> None:
    """Zero every accumulator: a forked child is a new instance and starts from nothing."""
    global _start_time_ns, _registry_lock
    _registry_lock = threading.Lock()
    _start_time_ns = time.time_ns()
    for instrument in _instruments.values():
        instrument._reset()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=reset)
