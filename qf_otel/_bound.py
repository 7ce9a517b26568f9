"""Bound recorders: the hot-path objects the domain meters hand out.

A bound recorder holds one fast-core series whose attribute values were folded once, when it was
bound. Recording then only checks that the value is a plain finite number in range (a couple of
comparisons) and adds it; anything unusual (Decimal, numpy scalars, NaN, a string, a negative
increment) takes the slow path, which converts or rejects it through `_vocabulary.number`.
None of the methods raise.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from functools import partial
from typing import Any, Generic, ParamSpec, TypeVar, cast

from qf_otel import _vocabulary
from qf_otel._recording import HistogramSeries, Instrument, Series

_MAX = sys.float_info.max  # finite bounds: the range checks below also reject inf and NaN


class BoundCounter:
    """A monotonic counter with fixed attributes: ``add(n)`` with n >= 0."""

    __slots__ = ("_metric", "_series")

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        self._metric = metric
        self._series = series()

    def add(self, amount: float = 1) -> None:
        kind = amount.__class__
        if (kind is int or kind is float) and 0 <= amount <= _MAX:
            self._series.add(amount)
        else:
            self._slow_add(amount)

    def _slow_add(self, amount: object) -> None:
        try:
            value = _vocabulary.number(self._metric, amount, minimum=0)
            if value is not None:
                self._series.add(value)
        except Exception:
            _vocabulary.internal_error(self._metric)


class BoundUpDownCounter:
    """A counter that goes up and down (active sessions, open connections): ``add(±n)``."""

    __slots__ = ("_metric", "_series")

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        self._metric = metric
        self._series = series()

    def add(self, amount: float) -> None:
        kind = amount.__class__
        if (kind is int or kind is float) and -_MAX <= amount <= _MAX:
            self._series.add(amount)
        else:
            self._slow_add(amount)

    def _slow_add(self, amount: object) -> None:
        try:
            value = _vocabulary.number(self._metric, amount)
            if value is not None:
                self._series.add(value)
        except Exception:
            _vocabulary.internal_error(self._metric)


class BoundRatio:
    """A gauge whose value is a fraction in [0, 1] (coherence, health score): ``set(x)``.

    Its series is created on the first valid ``set``: a gauge bound at start-up but not yet set
    must not be exported as 0 (a coherence of 0 would fire the low-coherence alert).
    """

    __slots__ = ("_create", "_metric", "_series")

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        self._metric = metric
        self._create = series
        self._series: Series | None = None

    def set(self, value: float) -> None:
        kind = value.__class__
        if (kind is float or kind is int) and 0 <= value <= 1:
            series = self._series
            if series is None:
                series = self._series = self._create()
            series.set(value)
        else:
            self._slow_set(value)

    def _slow_set(self, value: object) -> None:
        try:
            checked = _vocabulary.number(
                self._metric, value, minimum=0, maximum=1, below="out_of_range"
            )
            if checked is not None:
                self.set(checked)
        except Exception:
            _vocabulary.internal_error(self._metric)


class BoundDuration:
    """A histogram of durations in seconds: ``record(seconds)`` with seconds >= 0."""

    __slots__ = ("_metric", "_series")

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        self._metric = metric
        self._series = cast(HistogramSeries, series())  # a Histogram's series() makes these

    def record(self, seconds: float) -> None:
        kind = seconds.__class__
        if (kind is float or kind is int) and 0 <= seconds <= _MAX:
            self._series.record(seconds)
        else:
            self._slow_record(seconds)

    def _slow_record(self, seconds: object) -> None:
        try:
            value = _vocabulary.number(self._metric, seconds, minimum=0)
            if value is not None:
                self._series.record(value)
        except Exception:
            _vocabulary.internal_error(self._metric)


B = TypeVar("B")  # one of the Bound* classes above


class Family(Generic[B]):
    """All bound recorders of one instrument, keyed by their folded attribute values.

    Keyed after folding, so the cache is bounded by the vocabularies, whatever callers pass.
    """

    def __init__(
        self, instrument: Instrument, make: Callable[[str, Callable[[], Series]], B]
    ) -> None:
        self._instrument = instrument
        self._keys = instrument.attributes
        self._make: Callable[[str, Callable[[], Series]], B] = make
        self._bound: dict[tuple[str, ...], B] = {}

    def bind(self, *values: object) -> B:
        """The recorder for these raw attribute values (folded here). Never raises."""
        try:
            # Allowed values are their own key, so the common call is one dict lookup.
            try:
                found = self._bound.get(values)  # type: ignore[arg-type]
            except TypeError:  # an unhashable value: fold() turns it into "other"
                found = None
            if found is not None:
                return found
            pairs = zip(self._keys, values, strict=True)
            folded = tuple([_vocabulary.fold(key, value) for key, value in pairs])
            found = self._bound.get(folded)
            if found is None:
                found = self._make(self._instrument.name, partial(self._instrument.series, *folded))
                self._bound[folded] = found  # a racing thread may win: both wrap one series
            return found
        except Exception:
            _vocabulary.internal_error(self._instrument.name)
            return self._detached()

    def keep(self, *values: object) -> B:
        """`bind` for a recorder the caller keeps (the public bound forms).

        If a value folds now, the recorder binds again once allowed values are extended: an app
        may bind at import time, before ``configure(allowed_values=...)`` admits its values.
        """
        recorder = self.bind(*values)
        try:
            if self._bound.get(values) is recorder:  # type: ignore[arg-type]
                return recorder  # every value was allowed: nothing can change
        except TypeError:
            pass
        return cast(B, _Rebinding(self, values, recorder))

    def _detached(self) -> B:
        # Recording into a series no instrument owns goes nowhere: the app keeps working.
        boundaries = getattr(self._instrument, "boundaries", ())
        series = HistogramSeries({}, boundaries) if boundaries else Series({}, 0)
        return self._make(self._instrument.name, lambda: series)


class _Rebinding:
    """Stands for a kept recorder some of whose values folded; rebinds when the vocabularies change.

    Only folded recorders pay for the indirection; the common, allowed case is the plain recorder.
    """

    __slots__ = ("_family", "_generation", "_target", "_values")

    def __init__(self, family: Family[Any], values: tuple[object, ...], target: object) -> None:
        self._family = family
        self._values = values
        self._target = target
        self._generation = _vocabulary.generation()

    def __getattr__(self, name: str) -> Any:
        generation = _vocabulary.generation()
        if generation != self._generation:
            self._generation = generation
            self._target = self._family.bind(*self._values)
        return getattr(self._target, name)


P = ParamSpec("P")


def guarded(metric: str) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """Wrap a public recording function so that a bug of ours is logged and counted, not raised."""

    def decorate(function: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(function)
        def guarded_function(*args: P.args, **kwargs: P.kwargs) -> None:
            try:
                function(*args, **kwargs)
            except Exception:
                _vocabulary.internal_error(metric)

        return guarded_function

    return decorate
