"""redis-py (sync and asyncio, pipelines and transactions): the `qf.cache.*` metrics, and CLIENT
spans when traces are on. Command arguments (keys, values) are never recorded anywhere.

`execute_command` is patched on the client classes (so clients created before `install()` are
covered); a pipeline's buffered commands are counted one by one from its result list when
`execute()` returns, and its duration is one `pipeline` operation.
The cache name is the connection's `client_name` when set (a value from code), else `redis`.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import Span, SpanKind, StatusCode

from qf_otel._vocabulary import guarded
from qf_otel_instrumentation import _config, _redis_commands
from qf_otel_instrumentation._cache_recording import count_error, record_error
from qf_otel_instrumentation._instruments import CACHE_DURATION, CACHE_ERRORS, CACHE_REQUESTS
from qf_otel_instrumentation._patching import Patches
from qf_otel_instrumentation._semconv import error_type
from qf_otel_instrumentation._timed import timed, timed_async

TRACER_NAME = "qf_otel.instrumentation.redis"
DEFAULT_NAME = "redis"
PIPELINE = "pipeline"

# (cache name, operation, span or None) and (cache name, one operation per command, span or None)
CommandCall = tuple[str, str, "Span | None"]
PipelineCall = tuple[str, list[str], "Span | None"]


def _cache_name(client: Any) -> str:
    try:
        name = client.connection_pool.connection_kwargs.get("client_name")
    except AttributeError:
        return DEFAULT_NAME
    return name if isinstance(name, str) and name else DEFAULT_NAME


def _span(client: Any, op: str) -> Span:
    """A CLIENT span for `op` (called only when traces are on)."""
    attributes: dict[str, Any] = {"db.system.name": "redis", "db.operation.name": op.upper()}
    kwargs = getattr(getattr(client, "connection_pool", None), "connection_kwargs", {})
    if kwargs.get("host"):
        attributes["server.address"] = kwargs["host"]
        if kwargs.get("port"):
            attributes["server.port"] = kwargs["port"]
    if kwargs.get("db") is not None:
        attributes["db.namespace"] = str(kwargs["db"])
    return _config.CONFIG.tracer(TRACER_NAME).start_span(op.upper(), kind=SpanKind.CLIENT,
                                                         attributes=attributes)


def _end_span(span: Span, error: BaseException | None) -> None:
    if error is not None:
        span.set_attribute("error.type", error_type(error))
        span.set_status(StatusCode.ERROR)
    span.end()


def _count_results(name: str, op: str, result: Any) -> None:
    for value in _redis_commands.results(op, result):
        CACHE_REQUESTS.series(name, op, value).add(1)


@guarded("qf.cache.requests")
def _prepare_command(client: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> CommandCall | None:
    if not args:
        return None  # nothing to name the operation by: not observed
    op = _redis_commands.operation(args[0])
    return _cache_name(client), op, _span(client, op) if _config.CONFIG.traces else None


@guarded("qf.cache.requests")
def _command_finished(call: CommandCall, result: Any, error: BaseException | None,
                      elapsed: float) -> None:
    name, op, span = call
    try:
        if error is None:
            _count_results(name, op, result)
            CACHE_DURATION.series(name, op).record(elapsed)
        else:
            record_error(name, op, error, elapsed)
    finally:
        if span is not None:
            _end_span(span, error)


@guarded("qf.cache.requests")
def _prepare_pipeline(pipeline: Any, args: tuple[Any, ...],
                      kwargs: dict[str, Any]) -> PipelineCall:
    stack = pipeline.command_stack
    ops = [_redis_commands.operation(command[0]) for command, _ in stack if command]
    span = _span(pipeline, PIPELINE) if _config.CONFIG.traces else None
    return _cache_name(pipeline), ops, span


@guarded("qf.cache.requests")
def _pipeline_finished(call: PipelineCall, results: Any, error: BaseException | None,
                       elapsed: float) -> None:
    name, ops, span = call
    try:
        if error is not None:
            _pipeline_failed(name, ops, error, elapsed)
            return
        CACHE_DURATION.series(name, PIPELINE).record(elapsed)
        if isinstance(results, list):
            for op, result in zip(ops, results, strict=False):
                if isinstance(result, BaseException):
                    count_error(name, op, result)
                else:
                    _count_results(name, op, result)
    finally:
        if span is not None:
            _end_span(span, error)


@guarded("qf.cache.errors")
def _pipeline_failed(name: str, ops: list[str], error: BaseException, elapsed: float) -> None:
    CACHE_DURATION.series(name, PIPELINE).record(elapsed)
    CACHE_ERRORS.series(name, PIPELINE, error_type(error)).add(1)
    for op in ops:
        CACHE_REQUESTS.series(name, op, None).add(1)


_patches = Patches()


def install() -> bool:
    try:
        import redis
        import redis.asyncio
        import redis.asyncio.client
        import redis.client
    except ImportError:
        return False
    _patches.apply(redis.client.Redis, "execute_command",
                   timed(_prepare_command, _command_finished))
    _patches.apply(redis.client.Pipeline, "execute", timed(_prepare_pipeline, _pipeline_finished))
    _patches.apply(redis.asyncio.client.Redis, "execute_command",
                   timed_async(_prepare_command, _command_finished))
    _patches.apply(redis.asyncio.client.Pipeline, "execute",
                   timed_async(_prepare_pipeline, _pipeline_finished))
    return True


def uninstall() -> None:
    _patches.undo()
