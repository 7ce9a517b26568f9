"""Which SQLAlchemy pools report `db.client.connection.*`, under which name; checkout timeouts.

A pool is named when the first statement runs on it (the statement timing sees the engine, the
pool does not know its URL); from then on its counts are read live (`_pool_gauge`). Pools without
`checkedout()` (NullPool, StaticPool, ...) keep no counts and report none. The one thing the pool
does not remember is a checkout that timed out, so `QueuePool._do_get` is wrapped for that alone:
the wrapper does nothing on a successful checkout but enter a `try`.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Any

from qf_otel._vocabulary import internal_error
from qf_otel_instrumentation import _config
from qf_otel_instrumentation._instruments import (
    DB_CONNECTION_TIMEOUTS,
    DB_CONNECTIONS,
    DB_CONNECTIONS_MAX,
    OLD_DB_CONNECTIONS,
)

METRIC = "db.client.connection.count"

_lock = threading.Lock()
_names: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def pool_name(engine: Any) -> str:
    """The pool's `logging_name` if the user gave one, else the URL without credentials."""
    given = getattr(engine.pool, "_orig_logging_name", None)
    if given:
        return str(given)
    url = engine.url
    return str(url.set(password=None, username=None, query={}).render_as_string(
        hide_password=True)).replace("***@", "")


def track(engine: Any) -> None:
    """Reports `engine.pool` from now on (once per pool; never raises)."""
    try:
        pool = engine.pool
        if not hasattr(pool, "checkedout"):
            return
        name = pool_name(engine)
        with _lock:
            if _names.get(pool) == name:
                return
            _names[pool] = name
        for state in ("idle", "used"):
            DB_CONNECTIONS.pool_series(name, state).pools.add(pool)
            if _config.CONFIG.semconv.database_old:
                OLD_DB_CONNECTIONS.pool_series(name, state).pools.add(pool)
        if getattr(pool, "_max_overflow", -1) >= 0:
            DB_CONNECTIONS_MAX.pool_series(name).pools.add(pool)
    except Exception:
        internal_error(METRIC)


def forget_all() -> None:
    """After `uninstall()`: no pool reports until statements name them again."""
    with _lock:
        _names.clear()
    for instrument in (DB_CONNECTIONS, OLD_DB_CONNECTIONS, DB_CONNECTIONS_MAX):
        instrument.forget_pools()


def counting_timeouts(original: Callable[..., Any]) -> Callable[..., Any]:
    """The replacement of `QueuePool._do_get` (for `Patches.apply`)."""
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    def _do_get(self: Any) -> Any:
        try:
            return original(self)
        except PoolTimeout:
            name = _names.get(self)
            if name is not None:
                try:
                    DB_CONNECTION_TIMEOUTS.series(name).add(1)
                except Exception:
                    internal_error("db.client.connection.timeouts")
            raise

    return _do_get
