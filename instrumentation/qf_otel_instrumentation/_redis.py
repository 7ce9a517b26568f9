"""redis-py (sync and asyncio, pipelines and transactions): the `qf.cache.*` metrics, and CLIENT
spans when traces are on. Command arguments (keys, values) are never recorded anywhere.

`execute_command` is patched on the client classes (so clients created before `install()` are
covered); a pipeline's buffered commands are counted one by one from its result list when
`execute()` returns, and its duration is one `pipeline` operation.
The cache name is the connection's `client_name` when set (a value from code), else `redis`.
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from opentelemetry.trace import Span, SpanKind, StatusCode

from qf_otel_instrumentation import _config, _redis_commands
from qf_otel_instrumentation._cache_recording import record, record_error
from qf_otel_instrumentation._failsafe import guarded
from qf_otel_instrumentation._instruments import CACHE_DURATION, CACHE_ERRORS, CACHE_REQUESTS
from qf_otel_instrumentation._patching import Patch, patch
from qf_otel_instrumentation._semconv import error_type

TRACER_NAME = "qf_otel.instrumentation.redis"
DEFAULT_NAME = "redis"
PIPELINE = "pipeline"


def _cache_name(client: Any) -> str:
    try:
        name = client.connection_pool.connection_kwargs.get("client_name")
    except AttributeError:
        return DEFAULT_NAME
    return name if isinstance(name, str) and name else DEFAULT_NAME


@guarded("qf.cache.requests")
def _prepare(client: Any, command: Any) -> tuple[str, str, Span | None]:
    op = _redis_commands.operation(command)
    return _cache_name(client), op, _span(client, op)


@guarded("qf.cache.requests")
def _prepare_pipeline(pipeline: Any) -> tuple[str, list[str], Span | None]:
    return _cache_name(pipeline), _ops(pipeline), _span(pipeline, PIPELINE)


def _span(client: Any, op: str) -> Span | None:
    config = _config.CONFIG
    if not config.traces:
        return None
    attributes: dict[str, Any] = {"db.system.name": "redis", "db.operation.name": op.upper()}
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    if kwargs.get("host"):
        attributes["server.address"] = kwargs["host"]
        if kwargs.get("port"):
            attributes["server.port"] = kwargs["port"]
    if kwargs.get("db") is not None:
        attributes["db.namespace"] = str(kwargs["db"])
    return config.tracer(TRACER_NAME).start_span(op.upper(), kind=SpanKind.CLIENT,
                                                 attributes=attributes)


@guarded("qf.cache.requests")
def _end(span: Span | None, error: BaseException | None) -> None:
    if span is None:
        return
    if error is not None:
        span.set_attribute("error.type", error_type(error))
        span.set_status(StatusCode.ERROR)
    span.end()


@guarded("qf.cache.requests")
def _done(name: str, op: str, result: Any, elapsed: float) -> None:
    values = _redis_commands.results(op, result)
    if len(values) == 1:
        record(name, op, values[0], elapsed)
        return
    for value in values:
        CACHE_REQUESTS.series(name, op, value).add(1)
    CACHE_DURATION.series(name, op).record(elapsed)


def _sync_command(original: Callable[..., Any]) -> Callable[..., Any]:
    def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        prepared = _prepare(self, args[0]) if args and _config.CONFIG.enabled else None
        if prepared is None:
            return original(self, *args, **options)
        name, op, span = prepared
        start = perf_counter()
        try:
            result = original(self, *args, **options)
        except BaseException as exc:
            record_error(name, op, exc, perf_counter() - start)
            _end(span, exc)
            raise
        _done(name, op, result, perf_counter() - start)
        _end(span, None)
        return result

    return execute_command


def _async_command(original: Callable[..., Any]) -> Callable[..., Any]:
    async def execute_command(self: Any, *args: Any, **options: Any) -> Any:
        prepared = _prepare(self, args[0]) if args and _config.CONFIG.enabled else None
        if prepared is None:
            return await original(self, *args, **options)
        name, op, span = prepared
        start = perf_counter()
        try:
            result = await original(self, *args, **options)
        except BaseException as exc:
            record_error(name, op, exc, perf_counter() - start)
            _end(span, exc)
            raise
        _done(name, op, result, perf_counter() - start)
        _end(span, None)
        return result

    return execute_command


@guarded("qf.cache.requests")
def _pipeline_results(name: str, ops: list[str], results: Any, elapsed: float) -> None:
    CACHE_DURATION.series(name, PIPELINE).record(elapsed)
    if not isinstance(results, list):
        return
    for op, result in zip(ops, results, strict=False):
        if isinstance(result, BaseException):
            CACHE_ERRORS.series(name, op, error_type(result)).add(1)
            CACHE_REQUESTS.series(name, op, None).add(1)
            continue
        for value in _redis_commands.results(op, result):
            CACHE_REQUESTS.series(name, op, value).add(1)


@guarded("qf.cache.errors")
def _pipeline_failed(name: str, ops: list[str], error: BaseException, elapsed: float) -> None:
    CACHE_DURATION.series(name, PIPELINE).record(elapsed)
    CACHE_ERRORS.series(name, PIPELINE, error_type(error)).add(1)
    for op in ops:
        CACHE_REQUESTS.series(name, op, None).add(1)


def _ops(pipeline: Any) -> list[str]:
    return [_redis_commands.operation(args[0]) for args, _ in pipeline.command_stack if args]


def _sync_pipeline(original: Callable[..., Any]) -> Callable[..., Any]:
    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        prepared = _prepare_pipeline(self) if _config.CONFIG.enabled else None
        if prepared is None:
            return original(self, *args, **kwargs)
        name, ops, span = prepared
        start = perf_counter()
        try:
            results = original(self, *args, **kwargs)
        except BaseException as exc:
            _pipeline_failed(name, ops, exc, perf_counter() - start)
            _end(span, exc)
            raise
        _pipeline_results(name, ops, results, perf_counter() - start)
        _end(span, None)
        return results

    return execute


def _async_pipeline(original: Callable[..., Any]) -> Callable[..., Any]:
    async def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        prepared = _prepare_pipeline(self) if _config.CONFIG.enabled else None
        if prepared is None:
            return await original(self, *args, **kwargs)
        name, ops, span = prepared
        start = perf_counter()
        try:
            results = await original(self, *args, **kwargs)
        except BaseException as exc:
            _pipeline_failed(name, ops, exc, perf_counter() - start)
            _end(span, exc)
            raise
        _pipeline_results(name, ops, results, perf_counter() - start)
        _end(span, None)
        return results

    return execute


_patches: list[Patch] = []


def install() -> bool:
    try:
        import redis
        import redis.asyncio
        import redis.asyncio.client
        import redis.client
    except ImportError:
        return False
    for owner, attribute, make in (
        (redis.client.Redis, "execute_command", _sync_command),
        (redis.client.Pipeline, "execute", _sync_pipeline),
        (redis.asyncio.client.Redis, "execute_command", _async_command),
        (redis.asyncio.client.Pipeline, "execute", _async_pipeline),
    ):
        done = patch(owner, attribute, make)
        if done is not None:
            _patches.append(done)
    return True


def uninstall() -> None:
    while _patches:
        _patches.pop().undo()
