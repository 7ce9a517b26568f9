"""SQLAlchemy: operation durations per operation/table, pool counts, spans with literals masked.

SQLite files give a real QueuePool (SQLAlchemy 2.x's default for file databases)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy.exc
from qf_otel_instrumentation._sqlalchemy import pool_name
from sqlalchemy import create_engine, text
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import create_async_engine

from qf_otel.testing import MetricsCapture
from tests.instrumentation.conftest import Installed

DURATION = "db.client.operation.duration"
CONNECTIONS = "db.client.connection.count"


def ops(qf_metrics: MetricsCapture, operation: str, table: str | None = None,
        **more: str) -> int:
    wanted = {"db.system.name": "sqlite", "db.operation.name": operation, **more}
    if table is not None:
        wanted["db.collection.name"] = table
    return qf_metrics.histogram(DURATION, wanted).count


def seed(engine: Engine, table: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, email TEXT)"))
        for index in range(3):
            conn.execute(text(f"INSERT INTO {table} (email) VALUES (:e)"), {"e": f"u{index}@x"})


def test_engines_created_before_install_and_several_engines(
    instrument: Callable[..., Installed], tmp_path: Path, qf_metrics: MetricsCapture
) -> None:
    early = create_engine(f"sqlite:///{tmp_path}/early.db")
    with early.connect() as conn:  # used before install, too
        conn.execute(text("SELECT 1"))
    qf_metrics.restart()
    assert instrument(instrumentations=frozenset({"sqlalchemy"})).names == ["sqlalchemy"]
    late = create_engine(f"sqlite:///{tmp_path}/late.db")
    seed(early, "users")
    seed(late, "orders")
    with early.connect() as conn:
        for _ in range(5):
            conn.execute(text("SELECT email FROM users WHERE email = 'a@b.c'")).all()
    with late.connect() as conn:
        conn.execute(text("SELECT * FROM orders")).all()
        conn.execute(text("UPDATE orders SET email = 'x' WHERE id = 1"))
        conn.execute(text("DELETE FROM orders WHERE id = 2"))
    assert ops(qf_metrics, "CREATE", "users") == 1
    assert ops(qf_metrics, "INSERT", "users") == 3
    assert ops(qf_metrics, "SELECT", "users") == 5
    assert ops(qf_metrics, "CREATE", "orders") == 1
    assert ops(qf_metrics, "INSERT", "orders") == 3
    assert ops(qf_metrics, "SELECT", "orders") == 1
    assert ops(qf_metrics, "UPDATE", "orders") == 1
    assert ops(qf_metrics, "DELETE", "orders") == 1
    for attributes, _ in qf_metrics.series(DURATION):
        assert "a@b.c" not in repr(attributes)
        assert set(attributes) <= {"db.system.name", "db.namespace", "db.operation.name",
                                   "db.collection.name", "error.type"}


def test_async_engine(
    instrument: Callable[..., Installed], tmp_path: Path, qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"sqlalchemy"}))

    async def work() -> None:
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path}/async.db")
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE kv (k TEXT, v TEXT)"))
            await conn.execute(text("INSERT INTO kv VALUES ('a', 'b')"))
            for _ in range(4):
                await conn.execute(text("SELECT v FROM kv WHERE k = 'a'"))
        await engine.dispose()

    asyncio.run(work())
    assert ops(qf_metrics, "INSERT", "kv") == 1
    assert ops(qf_metrics, "SELECT", "kv") == 4


def test_errors_are_named(
    instrument: Callable[..., Installed], tmp_path: Path, qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"sqlalchemy"}))
    engine = create_engine(f"sqlite:///{tmp_path}/e.db")
    with engine.connect() as conn, pytest.raises(sqlalchemy.exc.OperationalError):
        conn.execute(text("SELECT * FROM missing"))
    assert ops(qf_metrics, "SELECT", "missing", **{"error.type": "sqlite3.OperationalError"}) == 1


def test_pool_counts_follow_checkouts(
    instrument: Callable[..., Installed], tmp_path: Path, qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"sqlalchemy"}))
    engine = create_engine(f"sqlite:///{tmp_path}/pool.db", pool_size=3, max_overflow=1,
                           pool_timeout=0.2, pool_logging_name="orders-db")
    assert pool_name(engine) == "orders-db"
    name = {"db.client.connection.pool.name": "orders-db"}

    def state(value: str) -> float:
        return qf_metrics.value(CONNECTIONS, {**name, "db.client.connection.state": value})

    held = [engine.connect() for _ in range(3)]
    for conn in held:
        conn.execute(text("SELECT 1"))
    assert (state("used"), state("idle")) == (3, 0)
    held.pop().close()
    assert (state("used"), state("idle")) == (2, 1)
    held.append(engine.connect())
    held.append(engine.connect())  # the one overflow connection
    assert (state("used"), state("idle")) == (4, 0)
    assert qf_metrics.value("db.client.connection.max", name) == 4
    with pytest.raises(sqlalchemy.exc.TimeoutError):
        engine.connect()
    assert qf_metrics.value("db.client.connection.timeouts", name) == 1
    for conn in held:
        conn.close()
    # The overflow connection is closed on return; the pool keeps its three.
    assert (state("used"), state("idle")) == (0, 3)


def test_span_statement_has_no_literals(
    instrument: Callable[..., Installed], tmp_path: Path
) -> None:
    installed = instrument(instrumentations=frozenset({"sqlalchemy"}), traces_enabled=True)
    engine = create_engine(f"sqlite:///{tmp_path}/s.db")
    seed(engine, "people")
    with engine.connect() as conn:
        conn.execute(text("SELECT id FROM people WHERE email = 'a@b.c' AND id > 41")).all()
    (span,) = [s for s in installed.spans() if s.name == "SELECT people"]
    attributes = dict(span.attributes or {})
    assert attributes["db.query.text"] == "SELECT id FROM people WHERE email = ? AND id > ?"
    assert attributes["db.system.name"] == "sqlite"
    assert attributes["db.collection.name"] == "people"
    assert "a@b.c" not in repr(attributes)


def test_pool_counts_restart_in_a_forked_worker(
    instrument: Callable[..., Installed], tmp_path: Path
) -> None:
    """A pre-fork server's worker starts its metrics from zero (the recording core resets in the
    child); pool counts must then describe the child's pool, not the parent's deltas."""
    from qf_otel_instrumentation._instruments import DB_CONNECTIONS, DB_CONNECTIONS_MAX

    instrument(instrumentations=frozenset({"sqlalchemy"}))
    engine = create_engine(f"sqlite:///{tmp_path}/fork.db", pool_size=2, max_overflow=0,
                           pool_logging_name="forked")
    held = engine.connect()
    held.execute(text("SELECT 1"))
    assert DB_CONNECTIONS.series("forked", "used").value == 1
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        try:
            # The inherited pool still counts the parent's checked-out connection.
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
                report = (DB_CONNECTIONS.series("forked", "used").value,
                          DB_CONNECTIONS.series("forked", "idle").value,
                          DB_CONNECTIONS_MAX.series("forked").value)
            os.write(write, repr(report).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 1000).decode() == "(2.0, 0.0, 2.0)"
    held.close()


def test_no_engine_events_so_connections_stay_on_the_fast_path(
    instrument: Callable[..., Installed], tmp_path: Path, qf_metrics: MetricsCapture
) -> None:
    """Any Engine event listener puts every connection on SQLAlchemy's slower dispatch path
    (for good: it stays after removal), so the timing must not register one."""
    instrument(instrumentations=frozenset({"sqlalchemy"}))
    engine = create_engine(f"sqlite:///{tmp_path}/fast.db")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        assert not conn._has_events
    assert not engine._has_events
    assert not engine.dialect._has_events
    assert ops(qf_metrics, "SELECT") == 1


class _OverridingDialect(SQLiteDialect_pysqlite):
    """Stands for a dialect (psycopg2, mysqldb, ...) with its own executemany and execute; the
    execute override calls the base one, which is wrapped too."""

    supports_statement_cache = True

    def do_executemany(self, cursor: Any, statement: str, parameters: Any,
                       context: Any = None) -> None:
        for one in parameters:
            cursor.execute(statement, one)

    def do_execute(self, cursor: Any, statement: str, parameters: Any,
                   context: Any = None) -> None:
        super().do_execute(cursor, statement, parameters, context)


def test_dialect_overrides_and_dialects_defined_after_install(
    instrument: Callable[..., Installed], tmp_path: Path, qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"sqlalchemy"}))

    class LaterDialect(_OverridingDialect):  # a dialect module imported after install()
        supports_statement_cache = True

    class LaterOverride(SQLiteDialect_pysqlite):
        supports_statement_cache = True

        def do_executemany(self, cursor: Any, statement: str, parameters: Any,
                           context: Any = None) -> None:
            cursor.executemany(statement, parameters)

    for index, dialect in enumerate((_OverridingDialect, LaterDialect, LaterOverride)):
        engine = create_engine(f"sqlite:///{tmp_path}/d{index}.db", module=sqlite3)
        engine.dialect.__class__ = dialect  # same dialect state, other methods
        table = f"t{index}"
        with engine.begin() as conn:
            conn.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, v TEXT)"))
            conn.execute(text(f"INSERT INTO {table} (v) VALUES (:v)"),
                         [{"v": "a"}, {"v": "b"}, {"v": "c"}])  # one executemany
            conn.execute(text(f"SELECT v FROM {table} WHERE v = :v"), {"v": "a"}).all()
        assert ops(qf_metrics, "INSERT", table) == 1, dialect
        assert ops(qf_metrics, "SELECT", table) == 1, dialect


def test_pool_recreated_by_dispose_keeps_reporting(
    instrument: Callable[..., Installed], tmp_path: Path, qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"sqlalchemy"}))
    engine = create_engine(f"sqlite:///{tmp_path}/re.db", pool_size=2, max_overflow=0,
                           pool_logging_name="recreated")
    name = {"db.client.connection.pool.name": "recreated"}

    def state(value: str) -> float:
        return qf_metrics.value(CONNECTIONS, {**name, "db.client.connection.state": value})

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert (state("used"), state("idle")) == (0, 1)
    engine.dispose()  # a new pool replaces the old one
    assert (state("used"), state("idle")) == (0, 0)
    held = engine.connect()
    held.execute(text("SELECT 1"))
    assert (state("used"), state("idle")) == (1, 0)
    assert qf_metrics.value("db.client.connection.max", name) == 2
    held.close()
    assert (state("used"), state("idle")) == (0, 1)
