"""Every instrument this package records into, defined once on the fast recording core.

Attribute keys are fixed tuples (the order `series()` takes values in). Every value put into them
is a template, a closed set or a first-come bounded set; never a path, statement or argument.
"""

from __future__ import annotations

from qf_otel._recording import DB_BUCKETS, HTTP_BUCKETS, Counter, Histogram, UpDownCounter
from qf_otel_instrumentation._pool_gauge import PoolCounter, connections, most_connections

HTTP_SCOPE = "qf_otel.instrumentation.http"
DB_SCOPE = "qf_otel.instrumentation.sqlalchemy"
CACHE_SCOPE = "qf_otel.instrumentation.cache"

# The old (pre-stable) conventions' millisecond buckets, only used under `http/dup`.
OLD_HTTP_MS_BUCKETS = (0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0,
                       2500.0, 5000.0, 7500.0, 10000.0)

SERVER_DURATION = Histogram(
    "http.server.request.duration", unit="s", description="Duration of HTTP server requests.",
    attributes=("http.request.method", "url.scheme", "http.route", "http.response.status_code",
                "error.type"),
    boundaries=HTTP_BUCKETS, scope=HTTP_SCOPE,
)
SERVER_ACTIVE = UpDownCounter(
    "http.server.active_requests", unit="{request}",
    description="Number of active HTTP server requests.",
    attributes=("http.request.method", "url.scheme"), scope=HTTP_SCOPE,
)
CLIENT_DURATION = Histogram(
    "http.client.request.duration", unit="s", description="Duration of HTTP client requests.",
    attributes=("http.request.method", "server.address", "server.port", "url.scheme",
                "http.response.status_code", "error.type"),
    boundaries=HTTP_BUCKETS, scope=HTTP_SCOPE,
)
OLD_SERVER_DURATION = Histogram(
    "http.server.duration", unit="ms",
    description="Duration of HTTP server requests (old conventions, under http/dup).",
    attributes=("http.method", "http.scheme", "http.route", "http.status_code"),
    boundaries=OLD_HTTP_MS_BUCKETS, scope=HTTP_SCOPE,
)
OLD_CLIENT_DURATION = Histogram(
    "http.client.duration", unit="ms",
    description="Duration of HTTP client requests (old conventions, under http/dup).",
    attributes=("http.method", "net.peer.name", "net.peer.port", "http.status_code"),
    boundaries=OLD_HTTP_MS_BUCKETS, scope=HTTP_SCOPE,
)

DB_DURATION = Histogram(
    "db.client.operation.duration", unit="s", description="Duration of database client operations.",
    attributes=("db.system.name", "db.namespace", "db.operation.name", "db.collection.name",
                "error.type"),
    boundaries=DB_BUCKETS, scope=DB_SCOPE,
)
# The pool counts are read from the pools when a reader collects (see _pool_gauge.py).
DB_CONNECTIONS = PoolCounter(
    "db.client.connection.count", unit="{connection}",
    description="Number of connections in the pool, by state (idle or used).",
    attributes=("db.client.connection.pool.name", "db.client.connection.state"), scope=DB_SCOPE,
    read=connections, state_key="db.client.connection.state",
)
DB_CONNECTIONS_MAX = PoolCounter(
    "db.client.connection.max", unit="{connection}",
    description="Most open connections the pool allows (size plus overflow).",
    attributes=("db.client.connection.pool.name",), scope=DB_SCOPE, read=most_connections,
)
DB_CONNECTION_TIMEOUTS = Counter(
    "db.client.connection.timeouts", unit="{timeout}",
    description="Checkouts that timed out waiting for a free connection.",
    attributes=("db.client.connection.pool.name",), scope=DB_SCOPE,
)
OLD_DB_CONNECTIONS = PoolCounter(
    "db.client.connections.usage", unit="{connection}",
    description="Connections by state (old conventions, under database/dup).",
    attributes=("pool.name", "state"), scope=DB_SCOPE, read=connections, state_key="state",
)

CACHE_REQUESTS = Counter(
    "qf.cache.requests", unit="{request}",
    description="Cache operations; reads carry qf.cache.result hit or miss.",
    attributes=("qf.cache.name", "qf.cache.operation", "qf.cache.result"), scope=CACHE_SCOPE,
)
CACHE_DURATION = Histogram(
    "qf.cache.operation.duration", unit="s", description="Duration of cache operations.",
    attributes=("qf.cache.name", "qf.cache.operation"), boundaries=DB_BUCKETS, scope=CACHE_SCOPE,
)
CACHE_ERRORS = Counter(
    "qf.cache.errors", unit="{error}", description="Cache operations that raised.",
    attributes=("qf.cache.name", "qf.cache.operation", "error.type"), scope=CACHE_SCOPE,
)
