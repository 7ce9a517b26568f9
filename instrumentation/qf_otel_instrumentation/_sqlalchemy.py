"""SQLAlchemy: `db.client.operation.duration` per statement, pool connection counts, spans.

Statements are timed by wrapping the dialects' `do_execute` / `do_executemany` /
`do_execute_no_params`, the calls that hand a statement to the DB-API cursor, and no Engine
events are registered. Why: registering any cursor-execute listener switches every connection to
SQLAlchemy's event-dispatch path, which costs more than everything we do (20-30 µs per statement
measured, docs/performance.md), and SQLAlchemy stays on that path after the listener is removed.
The wrappers sit on the dialect classes, so they reach engines created before `install()`, every
engine at once and the sync engine inside each `AsyncEngine` (contrib only sees engines created
after it, contrib#3696/#1103, and declines SQLAlchemy 2.1 altogether). Dialect classes that
override one of the three (psycopg2's `do_executemany`, ...) are wrapped too, also those imported
later (a hook on `DefaultDialect.__init_subclass__`).

What counts as a statement is unchanged from the event-based timing: statements with an
execution context, not the dialect's own probes on a new engine's first connection.

Pool counts: `_sql_pools` (named on the first statement) and `_pool_gauge` (read when collected).
"""

from __future__ import annotations

from collections.abc import Callable
from time import perf_counter
from typing import Any

from opentelemetry.trace import Span, SpanKind, StatusCode

from qf_otel._vocabulary import internal_error
from qf_otel_instrumentation import _config
from qf_otel_instrumentation._instruments import DB_DURATION
from qf_otel_instrumentation._patching import Patches
from qf_otel_instrumentation._redaction import sanitize_sql
from qf_otel_instrumentation._semconv import error_type
from qf_otel_instrumentation._sql_pools import counting_timeouts, forget_all, pool_name, track
from qf_otel_instrumentation._sql_statements import describe

__all__ = ["install", "pool_name", "uninstall"]

TRACER_NAME = "qf_otel.instrumentation.sqlalchemy"
METRIC = "db.client.operation.duration"
# Kept on the dialect instance (one per engine and the engine's option copies).
_DATABASE = "_qf_otel_database"
# Set on an execution context while its statement is timed: a dialect override that calls
# `super().do_execute()` reaches a second wrapper, which must not time the statement again.
_TIMING = "_qf_otel_timing"
# Memoised statements per database, then the memo starts afresh (see _bounded.BoundedMemo).
_MEMO_LIMIT = 1024

# SQLAlchemy dialect names -> `db.system.name` values of the conventions.
_SYSTEMS = {
    "postgresql": "postgresql", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mariadb",
    "mssql": "microsoft.sql_server", "oracle": "oracle.db",
}

SpanStart = tuple[str, dict[str, Any]]


class _Database:
    """What every statement on one engine shares, with its statements' series and span starts
    memoised (the hot path is then one dict lookup per statement)."""

    __slots__ = ("address", "config", "namespace", "pool", "port", "series", "spans", "system")

    def __init__(self, engine: Any, config: _config.RuntimeConfig) -> None:
        url = engine.url
        self.config = config
        self.system = _SYSTEMS.get(engine.dialect.name, "other_sql")
        # A SQLite "database" is a file path: not a namespace worth a label.
        self.namespace = url.database if self.system != "sqlite" else None
        self.address = url.host
        self.port = url.port
        self.pool: Any = None
        self.series: dict[str, Any] = {}
        self.spans: dict[str, SpanStart] = {}

    def series_of(self, statement: str) -> Any:
        operation, table = describe(statement)
        series = DB_DURATION.series(self.system, self.namespace, operation, table, None)
        if len(self.series) >= _MEMO_LIMIT:
            self.series.clear()
        self.series[statement] = series
        return series

    def span_start(self, statement: str) -> SpanStart:
        found = self.spans.get(statement)
        if found is None:
            found = self._span_start(statement)
            if len(self.spans) >= _MEMO_LIMIT:
                self.spans.clear()
            self.spans[statement] = found
        return found

    def _span_start(self, statement: str) -> SpanStart:
        operation, table = describe(statement)
        attributes: dict[str, Any] = {
            "db.system.name": self.system,
            "db.operation.name": operation,
            "db.query.text": sanitize_sql(statement),
        }
        if table is not None:
            attributes["db.collection.name"] = table
        if self.namespace:
            attributes["db.namespace"] = self.namespace
        if self.address:
            attributes["server.address"] = self.address
            if self.port:
                attributes["server.port"] = self.port
        if self.config.semconv.database_old:
            attributes["db.system"] = self.system
            attributes["db.statement"] = attributes["db.query.text"]
            attributes["db.operation"] = operation
            if table is not None:
                attributes["db.sql.table"] = table
        return (f"{operation} {table}" if table else operation), attributes


def _database(dialect: Any, context: Any) -> _Database | None:
    """The statement's database, or None when the statement is not ours to time."""
    config = _config.CONFIG
    if context is None or not config.enabled or context.__dict__.get(_TIMING):
        return None
    root = context.root_connection
    if not root._allow_autobegin:  # the dialect's probes on a new engine's first connection
        return None
    found: _Database | None = dialect.__dict__.get(_DATABASE)
    if found is None or found.config is not config:  # new engine, or installed again
        found = _Database(root.engine, config)
        dialect.__dict__[_DATABASE] = found
    engine = root.engine
    if engine.pool is not found.pool:  # first statement, or the engine's pool was recreated
        found.pool = engine.pool
        track(engine)
    return found


def _start(dialect: Any, statement: str, context: Any) -> tuple[_Database, Span | None] | None:
    try:
        database = _database(dialect, context)
        if database is None:
            return None
        span = None
        if database.config.traces:
            name, attributes = database.span_start(statement)
            span = database.config.tracer(TRACER_NAME).start_span(
                name, kind=SpanKind.CLIENT, attributes=attributes)
        context.__dict__[_TIMING] = True
        return database, span
    except Exception:
        internal_error(METRIC)
        return None


def _finish(started: tuple[_Database, Span | None], statement: str, context: Any,
            elapsed: float, error: BaseException | None) -> None:
    try:
        context.__dict__[_TIMING] = False
        database, span = started
        if error is None:
            series = database.series.get(statement)
            if series is None:
                series = database.series_of(statement)
            failure = None
        else:
            operation, table = describe(statement)
            failure = error_type(error)
            series = DB_DURATION.series(database.system, database.namespace, operation, table,
                                        failure)
        series.record(elapsed)
        if span is not None:
            if failure is not None:
                span.set_attribute("error.type", failure)
                span.set_status(StatusCode.ERROR)
            span.end()
    except Exception:
        internal_error(METRIC)


def _timing(original: Callable[..., Any]) -> Callable[..., Any]:
    """For `do_execute` and `do_executemany` (same arguments)."""

    def timed(self: Any, cursor: Any, statement: str, parameters: Any,
              context: Any = None) -> Any:
        started = _start(self, statement, context)
        if started is None:
            return original(self, cursor, statement, parameters, context)
        start = perf_counter()
        try:
            result = original(self, cursor, statement, parameters, context)
        except BaseException as exc:
            _finish(started, statement, context, perf_counter() - start, exc)
            raise
        _finish(started, statement, context, perf_counter() - start, None)
        return result

    return timed


def _timing_no_params(original: Callable[..., Any]) -> Callable[..., Any]:
    """For `do_execute_no_params`."""

    def timed(self: Any, cursor: Any, statement: str, context: Any = None) -> Any:
        started = _start(self, statement, context)
        if started is None:
            return original(self, cursor, statement, context)
        start = perf_counter()
        try:
            result = original(self, cursor, statement, context)
        except BaseException as exc:
            _finish(started, statement, context, perf_counter() - start, exc)
            raise
        _finish(started, statement, context, perf_counter() - start, None)
        return result

    return timed


_WRAPPERS: dict[str, Callable[[Callable[..., Any]], Callable[..., Any]]] = {
    "do_execute": _timing,
    "do_executemany": _timing,
    "do_execute_no_params": _timing_no_params,
}
_patches = Patches()
_hooked: list[type] = []


def _wrap_class(cls: type) -> None:
    for name, wrapper in _WRAPPERS.items():
        if name in cls.__dict__:
            _patches.apply(cls, name, wrapper)


def _subclasses(cls: type) -> list[type]:
    found: list[type] = []
    sub: type
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def _hook_new_dialects(base: type) -> None:
    """Wraps the overrides of dialect classes defined from now on (dialects import lazily)."""

    def __init_subclass__(cls: Any, /, **kwargs: Any) -> None:
        super(base, cls).__init_subclass__(**kwargs)  # type: ignore[arg-type]
        try:
            _wrap_class(cls)
        except Exception:
            internal_error(METRIC)

    setattr(base, "__init_subclass__", classmethod(__init_subclass__))  # noqa: B010
    _hooked.append(base)


def install() -> bool:
    try:
        from sqlalchemy.engine.default import DefaultDialect
        from sqlalchemy.pool import QueuePool
    except ImportError:
        return False
    for cls in [DefaultDialect, *_subclasses(DefaultDialect)]:
        _wrap_class(cls)
    if "__init_subclass__" not in DefaultDialect.__dict__:
        _hook_new_dialects(DefaultDialect)
    _patches.apply(QueuePool, "_do_get", counting_timeouts)
    return True


def uninstall() -> None:
    while _hooked:
        delattr(_hooked.pop(), "__init_subclass__")
    _patches.undo()
    forget_all()
