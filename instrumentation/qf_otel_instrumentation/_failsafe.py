"""Nothing the instrumentation does may raise into the application: a failure of ours is counted
in `qf.otel.record.rejected{reason="internal_error"}` and logged once per metric, then ignored."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from qf_otel._vocabulary import internal_error

F = TypeVar("F", bound=Callable[..., Any])


def guarded(metric: str) -> Callable[[F], F]:
    """Wraps a recording function (one whose result nobody needs) so it cannot raise."""

    def wrap(function: F) -> F:
        @functools.wraps(function)
        def safe(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except Exception:
                internal_error(metric)
                return None

        return cast(F, safe)

    return wrap


__all__ = ["guarded", "internal_error"]
