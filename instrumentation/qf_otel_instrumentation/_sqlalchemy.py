"""SQLAlchemy: `db.client.operation.duration` per statement, pool connection counts, spans.

Listeners are registered on the `Engine` class, not on engine objects: SQLAlchemy applies
class-level listeners to every engine, including those created before `install()` and the sync
engine inside every `AsyncEngine` (contrib only sees engines created after it, contrib#3696/#1103,
and declines SQLAlchemy 2.1 altogether).

Pool counts come from the `QueuePool`'s own bookkeeping, read right after a connection is taken or
returned (`_do_get` / `_do_return_conn`), so they are exact rather than replayed from events;
the pool is named when its engine first connects. Other pool classes report no counts.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable
from time import perf_counter
from typing import Any

from opentelemetry.trace import SpanKind, StatusCode

from qf_otel._vocabulary import guarded
from qf_otel_instrumentation import _config
from qf_otel_instrumentation._instruments import (
    DB_CONNECTION_TIMEOUTS,
    DB_CONNECTIONS,
    DB_CONNECTIONS_MAX,
    DB_DURATION,
    OLD_DB_CONNECTIONS,
)
from qf_otel_instrumentation._patching import Patches
from qf_otel_instrumentation._redaction import sanitize_sql
from qf_otel_instrumentation._semconv import error_type
from qf_otel_instrumentation._sql_statements import describe

TRACER_NAME = "qf_otel.instrumentation.sqlalchemy"
_START = "_qf_otel_start"
_SPAN = "_qf_otel_span"

# SQLAlchemy dialect names -> `db.system.name` values of the conventions.
_SYSTEMS = {
    "postgresql": "postgresql", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mariadb",
    "mssql": "microsoft.sql_server", "oracle": "oracle.db",
}


class _EngineFacts:
    __slots__ = ("address", "namespace", "port", "system")

    def __init__(self, engine: Any) -> None:
        url = engine.url
        self.system = _SYSTEMS.get(engine.dialect.name, "other_sql")
        # A SQLite "database" is a file path: not a namespace worth a label.
        self.namespace = url.database if self.system != "sqlite" else None
        self.address = url.host
        self.port = url.port


_engines: weakref.WeakKeyDictionary[Any, _EngineFacts] = weakref.WeakKeyDictionary()


def _facts(engine: Any) -> _EngineFacts:
    found = _engines.get(engine)
    if found is None:
        found = _engines[engine] = _EngineFacts(engine)
    return found


@guarded("db.client.operation.duration")
def _before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
            executemany: bool) -> None:
    if context is None:
        return
    config = _config.CONFIG
    if config.traces:
        setattr(context, _SPAN, _start_span(conn, statement, config))
    setattr(context, _START, perf_counter())


def _start_span(conn: Any, statement: str, config: _config.RuntimeConfig) -> Any:
    facts = _facts(conn.engine)
    operation, table = describe(statement)
    attributes: dict[str, Any] = {
        "db.system.name": facts.system,
        "db.operation.name": operation,
        "db.query.text": sanitize_sql(statement),
    }
    if table is not None:
        attributes["db.collection.name"] = table
    if facts.namespace:
        attributes["db.namespace"] = facts.namespace
    if facts.address:
        attributes["server.address"] = facts.address
        if facts.port:
            attributes["server.port"] = facts.port
    if config.semconv.database_old:
        attributes["db.system"] = facts.system
        attributes["db.statement"] = attributes["db.query.text"]
        attributes["db.operation"] = operation
        if table is not None:
            attributes["db.sql.table"] = table
    name = f"{operation} {table}" if table else operation
    return config.tracer(TRACER_NAME).start_span(name, kind=SpanKind.CLIENT, attributes=attributes)


def _record(conn: Any, statement: str | None, context: Any, error: BaseException | None) -> None:
    start = getattr(context, _START, None)
    if start is None:
        return
    elapsed = perf_counter() - start
    setattr(context, _START, None)
    facts = _facts(conn.engine)
    operation, table = describe(statement) if statement else ("other", None)
    failure = error_type(error) if error is not None else None
    DB_DURATION.series(facts.system, facts.namespace, operation, table, failure).record(elapsed)
    span = getattr(context, _SPAN, None)
    if span is not None:
        setattr(context, _SPAN, None)
        if failure is not None:
            span.set_attribute("error.type", failure)
            span.set_status(StatusCode.ERROR)
        span.end()


@guarded("db.client.operation.duration")
def _after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
           executemany: bool) -> None:
    if context is not None:
        _record(conn, statement, context, None)


@guarded("db.client.operation.duration")
def _handle_error(exception_context: Any) -> None:
    context = exception_context.execution_context
    conn = exception_context.connection
    if context is not None and conn is not None:
        _record(conn, exception_context.statement, context, exception_context.original_exception)


class _PoolCounts:
    """Reports one QueuePool's idle/used counts as deltas into the shared per-name series."""

    __slots__ = ("_lock", "_series", "idle", "max", "max_reported", "name", "used")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.name: str | None = None
        self.idle = 0
        self.used = 0
        self.max = -1
        self.max_reported = False
        self._series: tuple[Any, ...] = ()

    def forget_reported(self) -> None:
        """In a forked child the fast core starts from zero: report everything again."""
        self._lock = threading.Lock()
        self.idle = self.used = 0
        self.max_reported = False

    def named(self, name: str, pool: Any) -> None:
        series = [DB_CONNECTIONS.series(name, "idle"), DB_CONNECTIONS.series(name, "used")]
        if _config.CONFIG.semconv.database_old:
            series += [OLD_DB_CONNECTIONS.series(name, "idle"),
                       OLD_DB_CONNECTIONS.series(name, "used")]
        with self._lock:
            self._series = tuple(series)
            self.name = name
        overflow = getattr(pool, "_max_overflow", -1)
        if overflow >= 0:
            self.max = pool.size() + overflow
        self.update(pool)

    @guarded("db.client.connection.count")
    def update(self, pool: Any) -> None:
        if self.name is None:
            return
        with self._lock:
            if not self.max_reported and self.max >= 0:
                DB_CONNECTIONS_MAX.series(self.name).add(self.max)
                self.max_reported = True
            idle, used = pool.checkedin(), pool.checkedout()
            delta_idle, delta_used = idle - self.idle, used - self.used
            self.idle, self.used = idle, used
            for index, series in enumerate(self._series):
                series.add(delta_idle if index % 2 == 0 else delta_used)


_pools: weakref.WeakKeyDictionary[Any, _PoolCounts] = weakref.WeakKeyDictionary()


def _counts(pool: Any) -> _PoolCounts:
    found = _pools.get(pool)
    if found is None:
        found = _pools.setdefault(pool, _PoolCounts())
    return found


def _after_fork_in_child() -> None:
    for counts in list(_pools.values()):
        counts.forget_reported()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def pool_name(engine: Any) -> str:
    """The pool's `logging_name` if the user gave one, else the URL without credentials."""
    given = getattr(engine.pool, "_orig_logging_name", None)
    if given:
        return str(given)
    url = engine.url
    return str(url.set(password=None, username=None, query={}).render_as_string(
        hide_password=True)).replace("***@", "")


@guarded("db.client.connection.count")
def _engine_connect(conn: Any, *args: Any) -> None:
    pool = conn.engine.pool
    counts = _counts(pool)
    if counts.name is None and hasattr(pool, "checkedout"):
        counts.named(pool_name(conn.engine), pool)


def _counting_do_get(original: Callable[..., Any]) -> Callable[..., Any]:
    def _do_get(self: Any) -> Any:
        try:
            record = original(self)
        except Exception as exc:
            from sqlalchemy.exc import TimeoutError as PoolTimeout

            counts = _pools.get(self)
            if isinstance(exc, PoolTimeout) and counts is not None and counts.name:
                DB_CONNECTION_TIMEOUTS.series(counts.name).add(1)
            raise
        counts = _pools.get(self)
        if counts is not None:
            counts.update(self)
        return record

    return _do_get


def _counting_after(original: Callable[..., Any]) -> Callable[..., Any]:
    def counted(self: Any, *args: Any) -> Any:
        try:
            return original(self, *args)
        finally:
            counts = _pools.get(self)
            if counts is not None:
                counts.update(self)

    return counted


_LISTENERS: tuple[tuple[str, Callable[..., Any]], ...] = (
    ("before_cursor_execute", _before),
    ("after_cursor_execute", _after),
    ("handle_error", _handle_error),
    ("engine_connect", _engine_connect),
)
_patches = Patches()


def install() -> bool:
    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        from sqlalchemy.pool import QueuePool
    except ImportError:
        return False
    for name, listener in _LISTENERS:
        if not event.contains(Engine, name, listener):
            event.listen(Engine, name, listener)
    _patches.apply(QueuePool, "_do_get", _counting_do_get)
    _patches.apply(QueuePool, "_do_return_conn", _counting_after)
    _patches.apply(QueuePool, "dispose", _counting_after)
    return True


def uninstall() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    for name, listener in _LISTENERS:
        if event.contains(Engine, name, listener):
            event.remove(Engine, name, listener)
    _patches.undo()
