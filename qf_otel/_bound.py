"""Bound recorders: the hot-path objects the domain meters hand out.

A bound recorder holds one fast-core series whose attribute values were folded once, when it was
bound. Recording then only checks that the value is a plain finite number in range (a couple of
comparisons) and adds it; anything unusual (Decimal, numpy scalars, NaN, a string, a negative
increment) takes the slow path, which converts or rejects it through `_vocabulary.number`.
None of the methods raise.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from types import TracebackType
from typing import Any, ClassVar, Generic, TypeVar, cast

from qf_otel import _vocabulary
from qf_otel._recording import HistogramSeries, Instrument, Series

_MAX = sys.float_info.max  # finite bounds: the range checks below also reject inf and NaN


class _Recorder:
    """What the bound recorders share: their metric's name and the slow path.

    The slow path converts or rejects an unusual value through `_vocabulary.number`, within the
    bounds the class declares (the same bounds its fast path checks inline), then hands the
    checked value to `apply`.
    """

    __slots__ = ("_metric",)
    _minimum: ClassVar[float | None] = 0
    _maximum: ClassVar[float | None] = None
    _below: ClassVar[_vocabulary.Reason] = "negative"

    def __init__(self, metric: str) -> None:
        self._metric = metric

    def _slow(self, apply: Callable[[float], None], value: object) -> None:
        try:
            checked = _vocabulary.number(self._metric, value, minimum=self._minimum,
                                         maximum=self._maximum, below=self._below)
            if checked is not None:
                apply(checked)
        except Exception:
            _vocabulary.internal_error(self._metric)


class BoundCounter(_Recorder):
    """A monotonic counter with fixed attributes: ``add(n)`` with n >= 0."""

    __slots__ = ("_series",)

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        super().__init__(metric)
        self._series = series()

    def add(self, amount: float = 1) -> None:
        kind = amount.__class__
        if (kind is int or kind is float) and 0 <= amount <= _MAX:
            self._series.add(amount)
        else:
            self._slow(self._series.add, amount)


class BoundUpDownCounter(_Recorder):
    """A counter that goes up and down (active sessions, open connections): ``add(±n)``."""

    __slots__ = ("_series",)
    _minimum = None

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        super().__init__(metric)
        self._series = series()

    def add(self, amount: float) -> None:
        kind = amount.__class__
        if (kind is int or kind is float) and -_MAX <= amount <= _MAX:
            self._series.add(amount)
        else:
            self._slow(self._series.add, amount)


class BoundRatio(_Recorder):
    """A gauge whose value is a fraction in [0, 1] (coherence, health score): ``set(x)``.

    Its series is created on the first valid ``set``: a gauge bound at start-up but not yet set
    must not be exported as 0 (a coherence of 0 would fire the low-coherence alert).
    """

    __slots__ = ("_create", "_series")
    _maximum = 1
    _below = "out_of_range"

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        super().__init__(metric)
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
            self._slow(self.set, value)


class BoundDuration(_Recorder):
    """A histogram of durations in seconds: ``record(seconds)`` with seconds >= 0."""

    __slots__ = ("_series",)

    def __init__(self, metric: str, series: Callable[[], Series]) -> None:
        super().__init__(metric)
        self._series = cast(HistogramSeries, series())  # a Histogram's series() makes these

    def record(self, seconds: float) -> None:
        kind = seconds.__class__
        if (kind is float or kind is int) and 0 <= seconds <= _MAX:
            self._series.record(seconds)
        else:
            self._slow(self._series.record, seconds)


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


_Block = TypeVar("_Block", bound="SyncOrAsyncBlock")


class SyncOrAsyncBlock:
    """Base of the meters' context managers: ``async with`` runs the ``with`` methods, since
    nothing they do awaits. Subclasses define ``__enter__`` and ``__exit__``."""

    __slots__ = ()

    def __enter__(self: _Block) -> _Block:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None

    async def __aenter__(self: _Block) -> _Block:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)
