"""Database client and cache: slowness, errors, pool saturation, hit ratio."""

from __future__ import annotations

from qf_ops import names as n
from qf_ops.rules.expressions import quantile, zero_filled_ratio
from qf_ops.rules.fixtures import app, series, svc
from qf_ops.rules.model import (
    VALUE_PERCENT,
    VALUE_SECONDS,
    WHERE,
    Alert,
    ExprCheck,
    Fired,
    Record,
    RuleGroup,
    Runbook,
    Scenario,
    Series,
    by,
    label,
    promql,
)

DB_BUCKETS = "service_operation_le:db_client_operation_duration_seconds_bucket:rate5m"
DB_ERROR_RATIO = "service_system:db_client_operations:error_ratio_rate5m"
POOL_USAGE = "instance_pool:db_client_connection:usage_ratio"
CACHE_HIT_RATIO = "service_cache:qf_cache_requests:hit_ratio_rate5m"
CACHE_READS = "service_cache:qf_cache_reads:rate5m"
CACHE_BUCKETS = "service_cache_le:qf_cache_operation_duration_seconds_bucket:rate5m"

DB_COUNT = f"{n.DB_DURATION}_count"
CACHE_READ = f'{n.CACHE_REQUESTS}{{{n.CACHE_RESULT}=~"hit|miss"}}'
POOL_LEVEL = ("instance", n.DB_POOL)

RECORDS = (
    Record(
        DB_BUCKETS,
        f"sum {by(n.DB_SYSTEM, n.DB_OPERATION, 'le')} (rate({n.DB_DURATION}_bucket[5m]))",
    ),
    Record(
        DB_ERROR_RATIO,
        zero_filled_ratio(f'{DB_COUNT}{{{n.ERROR_TYPE}!=""}}', DB_COUNT, "5m", (n.DB_SYSTEM,)),
    ),
    Record(
        POOL_USAGE,
        promql(f"""
        sum {by(*POOL_LEVEL)} ({n.DB_CONN_COUNT}{{{n.DB_CONN_STATE}="used"}})
        /
        sum {by(*POOL_LEVEL)} ({n.DB_CONN_MAX})
    """),
    ),
    Record(
        CACHE_HIT_RATIO,
        zero_filled_ratio(
            f'{n.CACHE_REQUESTS}{{{n.CACHE_RESULT}="hit"}}', CACHE_READ, "5m", (n.CACHE_NAME,)
        ),
    ),
    Record(CACHE_READS, f"sum {by(n.CACHE_NAME)} (rate({CACHE_READ}[5m]))"),
    Record(CACHE_BUCKETS, f"sum {by(n.CACHE_NAME, 'le')} (rate({n.CACHE_DURATION}_bucket[5m]))"),
)


def _histogram(metric: str, labels: dict[str, str], buckets: dict[str, str]) -> tuple[Series, ...]:
    """Cumulative bucket series (values per `le`) and the matching count."""
    out = tuple(
        series(f"{metric}_bucket", app({**labels, "le": le}), v) for le, v in buckets.items()
    )
    return (*out, series(f"{metric}_count", app(labels), buckets["+Inf"]))


_SELECT = {n.DB_SYSTEM: "postgresql", n.DB_OPERATION: "SELECT", n.DB_COLLECTION: "orders"}
_POOL = {n.DB_POOL: "orders-db"}


def _pool(used: str, idle: str, limit: str, timeouts: str | None = None) -> tuple[Series, ...]:
    """Pool gauges; ``timeouts=None``: no checkout ever timed out (no counter series)."""
    gauges = (
        series(n.DB_CONN_COUNT, app({**_POOL, n.DB_CONN_STATE: "used"}), used),
        series(n.DB_CONN_COUNT, app({**_POOL, n.DB_CONN_STATE: "idle"}), idle),
        series(n.DB_CONN_MAX, app(_POOL), limit),
    )
    if timeouts is None:
        return gauges
    return (*gauges, series(n.DB_CONN_TIMEOUTS, app(_POOL), timeouts))


def _db_calls(ok: str, failed: str) -> tuple[Series, ...]:
    return (
        series(DB_COUNT, app(_SELECT), ok),
        series(DB_COUNT, app({**_SELECT, n.ERROR_TYPE: "OperationalError"}), failed),
    )


def _cache(name: str, hits: str | None, misses: str) -> tuple[Series, ...]:
    """Read counters of one cache; ``hits=None``: the hit series was never created."""
    base = {n.CACHE_NAME: name, n.CACHE_OPERATION: "get"}
    miss = series(n.CACHE_REQUESTS, app({**base, n.CACHE_RESULT: "miss"}), misses)
    if hits is None:
        return (miss,)
    return (series(n.CACHE_REQUESTS, app({**base, n.CACHE_RESULT: "hit"}), hits), miss)


def _cache_errors(errors: str) -> tuple[Series, ...]:
    return (
        *_cache("items", "0+90x15", "0+10x15"),
        series(n.CACHE_ERRORS, app({n.CACHE_NAME: "items", n.ERROR_TYPE: "TimeoutError"}), errors),
    )


_CACHE_OP = {n.CACHE_NAME: "items", n.CACHE_OPERATION: "get"}
_DB_SYSTEM_OP = svc({n.DB_SYSTEM: "postgresql", n.DB_OPERATION: "SELECT"})
_POOL_FIRED = svc({"instance": "10.0.0.7:9464", **_POOL})

ALERTS = (
    Alert(
        name="DatabaseOperationsSlow",
        expr=f"{quantile(0.95, DB_BUCKETS)} > 0.5",
        for_="10m",
        severity="warning",
        summary=f"{label(n.DB_OPERATION)} on {label(n.DB_SYSTEM)} is slow for {label(n.SERVICE)}",
        description=(
            f"p95 of {label(n.DB_OPERATION)} operations on {label(n.DB_SYSTEM)} from "
            f"{WHERE} is {VALUE_SECONDS} over 5 minutes (threshold 500ms for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "The 95th percentile of one kind of database operation, as the service "
                "measures it (pool wait excluded, network included), is above 0.5 s "
                "for 10 minutes."
            ),
            checks=(
                "Open the panel: one operation (SELECT, INSERT, ...) or all? All points "
                "at the database server or the network; one at a query or a lock.",
                "On the database: slow query log / pg_stat_statements, locks "
                "(pg_locks), replication lag, CPU and I/O of the server.",
                "Check *Connection pool usage*: a saturated pool makes the server busy too.",
            ),
            panel="Service overview > Database > DB operation latency p95",
            mitigations=(
                "Kill a runaway query or release the lock holder.",
                "Roll back a deployment that changed the queries; add the missing index.",
                "Reduce load: cache the hot read, lower concurrency of batch jobs.",
            ),
        ),
        fires=Scenario(
            "every SELECT takes between 0.5 and 1 s",
            _histogram(
                n.DB_DURATION,
                _SELECT,
                {"0.1": "0x20", "0.5": "0x20", "1": "0+60x20", "+Inf": "0+60x20"},
            ),
            at="20m",
            fired=(Fired(_DB_SYSTEM_OP, "975ms"),),
        ),
        near_misses=(
            Scenario(
                "every SELECT takes between 0.1 and 0.5 s (p95 0.48 s)",
                _histogram(
                    n.DB_DURATION,
                    _SELECT,
                    {"0.1": "0x20", "0.5": "0+60x20", "1": "0+60x20", "+Inf": "0+60x20"},
                ),
                at="20m",
            ),
        ),
    ),
    Alert(
        name="DatabaseErrorRatioHigh",
        expr=f"{DB_ERROR_RATIO} > 0.05",
        for_="5m",
        severity="warning",
        summary=f"Database operations of {label(n.SERVICE)} fail",
        description=(
            f"{VALUE_PERCENT} of {label(n.DB_SYSTEM)} operations from {WHERE} failed over "
            "5 minutes (threshold 5 %)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 5 % of the service's database operations raise an error "
                "(error_type names the exception) for 5 minutes."
            ),
            checks=(
                "Open the panel and the service logs: which error_type? "
                "OperationalError/timeouts point at the server or network, "
                "IntegrityError/ProgrammingError at the code or a migration.",
                "Check the database server is up and accepting connections, and its "
                "connection limit (max_connections) against all pools together.",
            ),
            panel="Service overview > Database > DB error ratio",
            mitigations=(
                "Fail over or restart the database if it is down; roll back a migration "
                "or deployment that introduced the errors.",
                "Lower pool sizes across replicas if the server's connection limit is hit.",
            ),
        ),
        fires=Scenario(
            "10 % of operations fail",
            _db_calls("0+90x15", "0+10x15"),
            at="15m",
            fired=(Fired(svc({n.DB_SYSTEM: "postgresql"}), "10%"),),
        ),
        near_misses=(Scenario("4 % of operations fail", _db_calls("0+96x15", "0+4x15"), at="15m"),),
    ),
    Alert(
        name="DatabasePoolSaturated",
        expr=f"{POOL_USAGE} > 0.9",
        for_="5m",
        severity="warning",
        summary=f"Connection pool {label(n.DB_POOL)} of {label(n.SERVICE)} is nearly full",
        description=(
            f"{VALUE_PERCENT} of the connections of pool {label(n.DB_POOL)} on "
            f"{label('instance')} of {WHERE} are in use (threshold 90 % for 5 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 90 % of one process's pool connections are checked out for 5 "
                "minutes; the next burst will wait for a connection."
            ),
            checks=(
                "Open the panel with *DB operation latency p95*: slow queries hold "
                "connections longer; more traffic needs more of them.",
                "Look for connections held across slow non-DB work (HTTP calls inside a "
                "transaction) or leaked sessions that are never closed.",
            ),
            panel="Service overview > Database > Connection pool usage",
            mitigations=(
                "Scale out the service (more pools) if the database has headroom; raise "
                "pool size within the server's max_connections.",
                "Fix the slow query or the leak; shorten transactions.",
            ),
        ),
        fires=Scenario(
            "19 of 20 connections used",
            _pool("19x10", "1x10", "20x10"),
            at="10m",
            fired=(Fired(_POOL_FIRED, "95%"),),
        ),
        near_misses=(
            Scenario("17 of 20 connections used", _pool("17x10", "3x10", "20x10"), at="10m"),
        ),
    ),
    Alert(
        name="DatabasePoolExhausted",
        # The counter is born at 1 with the first timeout, which increase() cannot see;
        # the `unless ... offset` half catches that first one.
        expr=promql(f"""
            sum {by(*POOL_LEVEL)} (increase({n.DB_CONN_TIMEOUTS}[5m])) > 0
            or
            sum {by(*POOL_LEVEL)} ({n.DB_CONN_TIMEOUTS} unless {n.DB_CONN_TIMEOUTS} offset 5m)
        """),
        for_="2m",
        severity="critical",
        summary=f"Connection pool {label(n.DB_POOL)} of {label(n.SERVICE)} is exhausted",
        description=(
            f"Requests on {label('instance')} of {WHERE} gave up waiting for a connection "
            f"of pool {label(n.DB_POOL)} (checkout timeouts during the last 5 minutes, for "
            "2 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "Callers waited `pool_timeout` for a connection of a full pool and gave up "
                "(db.client.connection.timeouts). The requests that needed the database "
                "failed; more will while the pool stays full."
            ),
            checks=(
                "Open the panel with *Connection pool usage*: one instance (a leak or a "
                "stuck transaction) or all (load or a slow database)?",
                "On the database: long-running transactions and locks held by this "
                "service's connections; *DB operation latency p95* for slow queries.",
            ),
            panel="Service overview > Database > Pool checkout timeouts",
            mitigations=(
                "Restart the instance that leaks or is stuck.",
                "Terminate the blocking transaction; scale out if the database has room; "
                "raise pool_size/max_overflow within the server's max_connections.",
            ),
        ),
        fires=Scenario(
            "pool full, first checkout timeout at 8m, then one per minute",
            _pool("20x15", "0x15", "20x15", "_x7 1+1x8"),
            at="10m",
            fired=(Fired(_POOL_FIRED),),
        ),
        near_misses=(
            Scenario("pool full, nobody gave up", _pool("20x15", "0x15", "20x15"), at="15m"),
            Scenario(
                "timeouts 25 minutes ago, none since",
                _pool("10x30", "10x30", "20x30", "0+1x5 5x25"),
                at="30m",
            ),
        ),
    ),
    Alert(
        name="CacheHitRatioLow",
        expr=promql(f"""
            {CACHE_HIT_RATIO} < 0.8
            and
            {CACHE_READS} > 1
        """),
        for_="15m",
        severity="warning",
        summary=f"Cache {label(n.CACHE_NAME)} of {label(n.SERVICE)} misses often",
        description=(
            f"Only {VALUE_PERCENT} of reads from cache {label(n.CACHE_NAME)} on {WHERE} "
            "were hits over 5 minutes (threshold 80 % with more than 1 read/s, for 15 "
            "minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "Fewer than 80 % of cache reads hit for 15 minutes while the cache gets "
                "more than one read per second. More load reaches the database and "
                "latency rises."
            ),
            checks=(
                "Open the panel: did the ratio drop suddenly (flush, restart of Redis, "
                "key format change in a deployment) or slowly (working set outgrew "
                "memory, evictions)?",
                "On Redis: INFO stats (evicted_keys, keyspace_misses), INFO memory "
                "against maxmemory.",
            ),
            panel="Service overview > Cache > Cache hit ratio",
            mitigations=(
                "Roll back a key-format change; warm the cache after a flush.",
                "Give the cache more memory or a longer TTL for hot keys.",
            ),
        ),
        fires=Scenario(
            "items hits half its reads, sessions none, at 2 reads/s each",
            _cache("items", "0+60x30", "0+60x30") + _cache("sessions", None, "0+120x30"),
            at="30m",
            fired=(
                Fired(svc({n.CACHE_NAME: "items"}), "50%"),
                Fired(svc({n.CACHE_NAME: "sessions"}), "0%"),
            ),
        ),
        near_misses=(
            Scenario("85 % hits", _cache("items", "0+102x30", "0+18x30"), at="30m"),
            Scenario(
                "half hits, but only 0.5 reads/s", _cache("items", "0+15x30", "0+15x30"), at="30m"
            ),
        ),
    ),
    Alert(
        name="CacheErrorRatioHigh",
        expr=promql(f"""
            sum {by(n.CACHE_NAME)} (rate({n.CACHE_ERRORS}[5m]))
            /
            sum {by(n.CACHE_NAME)} (rate({n.CACHE_REQUESTS}[5m]))
            > 0.05
        """),
        for_="5m",
        severity="warning",
        summary=f"Cache {label(n.CACHE_NAME)} of {label(n.SERVICE)} is failing",
        description=(
            f"Cache {label(n.CACHE_NAME)} on {WHERE} raised errors on {VALUE_PERCENT} of "
            "its requests over 5 minutes (threshold 5 %)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 5 % of cache operations raise an error (connection refused, "
                "timeout, out of memory) for 5 minutes. Callers fall back to the "
                "database or fail."
            ),
            checks=(
                "Open the panel; read error_type on the *Cache errors* series.",
                "Check Redis is up (redis-cli PING), its memory and maxclients, and the "
                "network path from the service.",
            ),
            panel="Service overview > Cache > Cache errors",
            mitigations=(
                "Restart or fail over Redis; raise maxmemory or maxclients.",
                "Make the service treat cache errors as misses if it does not yet.",
            ),
        ),
        fires=Scenario(
            "10 errors per 100 requests",
            _cache_errors("0+10x15"),
            at="15m",
            fired=(Fired(svc({n.CACHE_NAME: "items"}), "10%"),),
        ),
        near_misses=(Scenario("3 errors per 100 requests", _cache_errors("0+3x15"), at="15m"),),
    ),
    Alert(
        name="CacheOperationsSlow",
        expr=f"{quantile(0.99, CACHE_BUCKETS)} > 0.05",
        for_="10m",
        severity="info",
        summary=f"Cache {label(n.CACHE_NAME)} of {label(n.SERVICE)} answers slowly",
        description=(
            f"p99 of operations on cache {label(n.CACHE_NAME)} from {WHERE} is "
            f"{VALUE_SECONDS} over 5 minutes (threshold 50ms for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "The 99th percentile of cache operations is above 50 ms for 10 minutes. "
                "A cache that is this slow stops paying for itself."
            ),
            checks=(
                "Open the panel; check Redis SLOWLOG GET, big keys (redis-cli --bigkeys), "
                "CPU of the Redis host and network latency (redis-cli --latency).",
            ),
            panel="Service overview > Cache > Cache operation latency p99",
            mitigations=(
                "Split big values; avoid O(N) commands (KEYS, large SMEMBERS) on the hot path.",
                "Move Redis closer to the service or onto a less loaded host.",
            ),
        ),
        fires=Scenario(
            "every operation takes 50-100 ms",
            _histogram(
                n.CACHE_DURATION,
                _CACHE_OP,
                {"0.005": "0x20", "0.05": "0x20", "0.1": "0+60x20", "+Inf": "0+60x20"},
            ),
            at="20m",
            fired=(Fired(svc({n.CACHE_NAME: "items"}), "99.5ms"),),
        ),
        near_misses=(
            Scenario(
                "every operation takes 5-50 ms",
                _histogram(
                    n.CACHE_DURATION,
                    _CACHE_OP,
                    {"0.005": "0x20", "0.05": "0+60x20", "0.1": "0+60x20", "+Inf": "0+60x20"},
                ),
                at="20m",
            ),
        ),
    ),
)

CHECKS = (
    ExprCheck(
        "pool usage is used connections over the pool maximum",
        _pool("15x5", "5x5", "20x5"),
        at="5m",
        expr=POOL_USAGE,
        samples=((_POOL_FIRED, 0.75),),
    ),
    ExprCheck(
        "hit ratio is 0, not absent, for a cache that never hit",
        _cache("sessions", None, "0+60x10"),
        at="10m",
        expr=CACHE_HIT_RATIO,
        samples=((svc({n.CACHE_NAME: "sessions"}), 0.0),),
    ),
)

GROUP = RuleGroup(
    file="datastore",
    name="qf-datastore",
    title="Database client and cache",
    records=RECORDS,
    alerts=ALERTS,
    checks=CHECKS,
)
