"""One client call, timed: the wrapper the httpx, requests and Redis instrumentations share.

`prepare(instance, args, kwargs)` runs before the call and returns what `finish` needs, or None
to leave the call unobserved (nothing to record, or a failure of ours). `finish(prepared, result,
error, elapsed)` runs once the call has returned (`error` None) or raised (`result` None; the
exception then propagates unchanged). Both are `guarded`, so neither raises into the application.
Calls made under the SDK's suppress-instrumentation context (its own OTLP exports) are not
observed: they are not the application's traffic, and tracing a span export would feed itself.

The sync and the async wrapper are the same steps; they cannot be one function, since an async
method must be replaced by a coroutine function.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from time import perf_counter
from typing import Any, TypeVar

from opentelemetry.instrumentation.utils import is_instrumentation_enabled

from qf_otel_instrumentation import _config

T = TypeVar("T")
Prepare = Callable[[Any, tuple[Any, ...], dict[str, Any]], "T | None"]
Finish = Callable[[T, Any, "BaseException | None", float], None]
Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]


def _observed() -> bool:
    return _config.CONFIG.enabled and is_instrumentation_enabled()


def timed(prepare: Prepare[T], finish: Finish[T]) -> Wrap:
    """Makes the replacement of a synchronous method (for `Patches.apply`)."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def timed_call(self: Any, *args: Any, **kwargs: Any) -> Any:
            prepared = prepare(self, args, kwargs) if _observed() else None
            if prepared is None:
                return original(self, *args, **kwargs)
            start = perf_counter()
            try:
                result = original(self, *args, **kwargs)
            except BaseException as exc:
                finish(prepared, None, exc, perf_counter() - start)
                raise
            finish(prepared, result, None, perf_counter() - start)
            return result

        return timed_call

    return wrap


def timed_async(prepare: Prepare[T], finish: Finish[T]) -> Wrap:
    """Makes the replacement of an async method (for `Patches.apply`)."""

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        async def timed_call(self: Any, *args: Any, **kwargs: Any) -> Any:
            prepared = prepare(self, args, kwargs) if _observed() else None
            if prepared is None:
                return await original(self, *args, **kwargs)
            start = perf_counter()
            try:
                result = await original(self, *args, **kwargs)
            except BaseException as exc:
                finish(prepared, None, exc, perf_counter() - start)
                raise
            finish(prepared, result, None, perf_counter() - start)
            return result

        return timed_call

    return wrap
