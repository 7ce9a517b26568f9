"""A cache operation that raised, in the `qf.cache.*` instruments: shared by Redis and the
in-process wrappers so both report the same series shape."""

from __future__ import annotations

from qf_otel._vocabulary import guarded
from qf_otel_instrumentation._instruments import CACHE_DURATION, CACHE_ERRORS, CACHE_REQUESTS
from qf_otel_instrumentation._semconv import error_type

HIT = "hit"
MISS = "miss"


def count_error(name: str, operation: str, error: BaseException) -> None:
    """An operation that raised: one error, and one request without a result."""
    CACHE_ERRORS.series(name, operation, error_type(error)).add(1)
    CACHE_REQUESTS.series(name, operation, None).add(1)


@guarded("qf.cache.errors")
def record_error(name: str, operation: str, error: BaseException, elapsed: float) -> None:
    """A failed operation: the error, the request, and its duration."""
    count_error(name, operation, error)
    CACHE_DURATION.series(name, operation).record(elapsed)
