"""Health meters: a score per component, errors by type, open connections.

    from qf_otel import health
    health.set_score(0.8, component="db")
    health.record_error("TimeoutError", component="db")      # or the exception itself
    health.connections(component="db").add(1)

Works before ``configure()`` and never raises.
"""

from __future__ import annotations

from qf_otel import _vocabulary as v
from qf_otel._bound import BoundCounter, BoundRatio, BoundUpDownCounter, Family
from qf_otel._recording import Counter, Gauge, UpDownCounter
from qf_otel._vocabulary import guarded

__all__ = ["connections", "errors", "record_error", "score", "set_score"]

SCOPE = "qf_otel.health"

SCORE = Gauge(
    "qf.health.score",
    unit="1",
    description="Health score of a component, from 0 (down) to 1 (fully healthy).",
    attributes=(v.COMPONENT,),
    scope=SCOPE,
)
ERRORS = Counter(
    "qf.health.errors",
    unit="{error}",
    description="Errors seen by a component, by exception type.",
    attributes=(v.COMPONENT, v.ERROR_TYPE),
    scope=SCOPE,
)
CONNECTIONS = UpDownCounter(
    "qf.health.connections",
    unit="{connection}",
    description="Connections a component currently holds open.",
    attributes=(v.COMPONENT,),
    scope=SCOPE,
)

_score = Family(SCORE, BoundRatio)
_errors = Family(ERRORS, BoundCounter)
_connections = Family(CONNECTIONS, BoundUpDownCounter)


def score(*, component: str) -> BoundRatio:
    """The health score gauge of one component, bound: ``.set(x)`` with x in [0, 1]."""
    return _score.keep(component)


@guarded(SCORE.name)
def set_score(value: float, *, component: str) -> None:
    """Set the health score (0..1) of `component`; other values are rejected and counted."""
    checked = v.number(SCORE.name, value, minimum=0, maximum=1, below="out_of_range")
    if checked is not None:  # checked before binding: a gauge series must not appear unset
        _score.bind(component).set(checked)


def _error_name(error: str | BaseException | type[BaseException]) -> object:
    """The semantic conventions' error.type: the fully qualified class name (builtins bare)."""
    if isinstance(error, BaseException):
        error = type(error)
    return v.error_type_name(error) if isinstance(error, type) else error


def errors(error: str | BaseException | type[BaseException], *, component: str) -> BoundCounter:
    """The error counter of one (component, error type), bound: ``.add()`` per error."""
    return _errors.keep(component, _error_name(error))


@guarded(ERRORS.name)
def record_error(error: str | BaseException | type[BaseException], *, component: str) -> None:
    """Count one error; `error` is a type name, an exception or an exception class.

    Names are bounded: the first 50 distinct ones are kept per process, later ones fold to
    "other" (name the ones you expect in ``allowed_values["error.type"]``).
    """
    _errors.bind(component, _error_name(error)).add(1)


def connections(*, component: str) -> BoundUpDownCounter:
    """The open-connection counter of one component: ``.add(1)`` / ``.add(-1)``."""
    return _connections.keep(component)
