"""The service overview: RED per route, database, cache, quantum, business, health,
infrastructure, security and qf-otel's own health, for one environment and services."""

from __future__ import annotations

from qf_ops import names as n
from qf_ops.dashboards.spec import Dashboard, Panel, Query, Row, Variable
from qf_ops.rules import datastore, domain, http
from qf_ops.rules.infrastructure import PROCESS_MEMORY_LIMIT_BYTES

# Every query filters on the two variables; a multi-value or "All" selection is a regex.
SCOPE = f'{n.SERVICE}=~"$service", {n.ENV}=~"$environment"'
RATE = "$__rate_interval"
RED = "red"


def sel(metric: str, extra: str = "") -> str:
    """``metric{<scope>[, extra]}``."""
    return f"{metric}{{{SCOPE}{', ' + extra if extra else ''}}}"


def rate(metric: str, extra: str = "") -> str:
    return f"rate({sel(metric, extra)}[{RATE}])"


def zero_filled(events: str, sibling: str, labels: str, scale: str = "") -> str:
    """Events per second (times ``scale``), or 0 where a sibling series shows the meter
    is alive.

    Counters of rare events (errors, drops) only exist after the first event; 0 beside
    a live sibling says "nothing happened", which "no data" does not.
    """
    return f"sum by ({labels}) ({events}){scale}\nor\n0 * sum by ({labels}) ({sibling})"


def q(expr: str, legend: str) -> Query:
    return Query(expr, legend)


def p(title: str, description: str, *queries: Query, **options: object) -> Panel:
    return Panel(title, description, queries, **options)  # type: ignore[arg-type]


_SERVICE_ROUTE = f"{{{{{n.SERVICE}}}}} {{{{{n.HTTP_ROUTE}}}}}"
_HTTP_COUNT = f"{n.HTTP_SERVER_DURATION}_count"
_CLIENT_COUNT = f"{n.HTTP_CLIENT_DURATION}_count"
_CLIENT_FAILED = f'{n.ERROR_TYPE}!=""'
_BY_HOST = f"{n.SERVICE}, {n.SERVER_ADDRESS}"
_HOST_LEGEND = f"{{{{{n.SERVICE}}}}} → {{{{{n.SERVER_ADDRESS}}}}}"
_CLIENT_FAILURES = zero_filled(rate(_CLIENT_COUNT, _CLIENT_FAILED), rate(_CLIENT_COUNT), _BY_HOST)
_IDLE = f'{n.CPU_STATE}="idle"'
_USED = f'{n.MEMORY_STATE}="used"'

HTTP = Row(
    "HTTP",
    (
        p(
            "Request rate by route",
            "Requests per second per route template (5m rate).",
            q(
                f"sum by ({n.SERVICE}, {n.HTTP_ROUTE}) ({sel(http.REQUESTS_BY_ROUTE)})",
                _SERVICE_ROUTE,
            ),
            unit="reqps",
        ),
        p(
            "Error ratio by route",
            "Share of 5xx answers per route (5m). Alert: HTTPRouteErrorRatioHigh at 5 %.",
            q(sel(http.ROUTE_ERROR_RATIO), _SERVICE_ROUTE),
            unit="percentunit",
            min=0,
            thresholds=((0.05, RED),),
        ),
        p(
            "Latency p95 by route",
            "95th percentile of request duration per route (5m).",
            q(
                f"histogram_quantile(0.95, sum by ({n.SERVICE}, {n.HTTP_ROUTE}, le) "
                f"({sel(http.BUCKETS_BY_ROUTE)}))",
                _SERVICE_ROUTE,
            ),
            unit="s",
        ),
        p(
            "Active requests",
            "Requests in flight per instance. Alert: HTTPActiveRequestsHigh at 100.",
            q(
                f"sum by ({n.SERVICE}, instance) ({sel(n.HTTP_SERVER_ACTIVE)})",
                f"{{{{{n.SERVICE}}}}} {{{{instance}}}}",
            ),
            thresholds=((100, RED),),
        ),
        p(
            "Error budget burn rate",
            "5xx ratio divided by the 0.1 % budget of the 99.9 % "
            "availability SLO. Fast-burn page at 14.4 (1h) / 6 (6h); ticket at 3 (1d) / 1 (3d).",
            *(
                q(
                    f"{sel(http.error_ratio(w))} / {round(1 - http.AVAILABILITY_OBJECTIVE, 6)}",
                    f"{{{{{n.SERVICE}}}}} {w}",
                )
                for w in ("1h", "6h", "1d", "3d")
            ),
            thresholds=((6, "orange"), (14.4, RED)),
        ),
        p(
            "Slow request ratio (latency SLO)",
            f"Share of requests slower than "
            f"{http.LATENCY_THRESHOLD_LE}s; the 99 % latency SLO allows 1 %.",
            *(q(sel(http.slow_ratio(w)), f"{{{{{n.SERVICE}}}}} {w}") for w in ("5m", "1h", "6h")),
            unit="percentunit",
            min=0,
            thresholds=((0.01, RED),),
        ),
        p(
            "Outbound HTTP error ratio",
            "Share of outbound HTTP calls that failed, per "
            "destination host (error status or transport error).",
            q(
                f"(\n{_CLIENT_FAILURES}\n)\n/\nsum by ({_BY_HOST}) ({rate(_CLIENT_COUNT)})",
                _HOST_LEGEND,
            ),
            unit="percentunit",
            min=0,
            thresholds=((0.1, RED),),
        ),
        p(
            "Outbound HTTP latency p95",
            "95th percentile of outbound call duration per host.",
            q(
                f"histogram_quantile(0.95, sum by ({_BY_HOST}, le) "
                f"({rate(n.HTTP_CLIENT_DURATION + '_bucket')}))",
                _HOST_LEGEND,
            ),
            unit="s",
        ),
        p(
            "Requests by status code",
            "Requests per second per status code.",
            q(f"sum by ({n.HTTP_STATUS}) ({rate(_HTTP_COUNT)})", f"{{{{{n.HTTP_STATUS}}}}}"),
            unit="reqps",
        ),
    ),
)

_DB_LEGEND = f"{{{{{n.DB_SYSTEM}}}}} {{{{{n.DB_OPERATION}}}}}"
_POOL_LEGEND = f"{{{{instance}}}} {{{{{n.DB_POOL}}}}}"
DATABASE = Row(
    "Database",
    (
        p(
            "DB operation latency p95",
            "95th percentile of database operation duration per "
            "operation. Alert: DatabaseOperationsSlow at 0.5 s.",
            q(
                f"histogram_quantile(0.95, sum by ({n.DB_SYSTEM}, {n.DB_OPERATION}, le) "
                f"({sel(datastore.DB_BUCKETS)}))",
                _DB_LEGEND,
            ),
            unit="s",
            thresholds=((0.5, RED),),
        ),
        p(
            "DB operations rate",
            "Database operations per second.",
            q(
                f"sum by ({n.DB_SYSTEM}, {n.DB_OPERATION}) ({rate(n.DB_DURATION + '_count')})",
                _DB_LEGEND,
            ),
            unit="ops",
        ),
        p(
            "DB error ratio",
            "Share of database operations that raised. Alert: DatabaseErrorRatioHigh at 5 %.",
            q(sel(datastore.DB_ERROR_RATIO), f"{{{{{n.SERVICE}}}}} {{{{{n.DB_SYSTEM}}}}}"),
            unit="percentunit",
            min=0,
            thresholds=((0.05, RED),),
        ),
        p(
            "Connection pool usage",
            "Used connections over the pool maximum, per process and "
            "pool. Alert: DatabasePoolSaturated at 90 %.",
            q(sel(datastore.POOL_USAGE), _POOL_LEGEND),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.9, RED),),
        ),
        p(
            "Connections by state",
            "Pool connections by state (idle, used) and the maximum.",
            q(
                f"sum by ({n.DB_POOL}, {n.DB_CONN_STATE}) ({sel(n.DB_CONN_COUNT)})",
                f"{{{{{n.DB_POOL}}}}} {{{{{n.DB_CONN_STATE}}}}}",
            ),
            q(f"sum by ({n.DB_POOL}) ({sel(n.DB_CONN_MAX)})", f"{{{{{n.DB_POOL}}}}} max"),
        ),
        p(
            "Pool checkout timeouts",
            "Checkouts per second that gave up waiting for a connection; 0 for pools "
            "without timeouts. Alert: DatabasePoolExhausted.",
            q(
                zero_filled(rate(n.DB_CONN_TIMEOUTS), sel(n.DB_CONN_MAX), f"instance, {n.DB_POOL}"),
                _POOL_LEGEND,
            ),
            unit="ops",
        ),
    ),
)

_CACHE_LEGEND = f"{{{{{n.SERVICE}}}}} {{{{{n.CACHE_NAME}}}}}"
CACHE = Row(
    "Cache",
    (
        p(
            "Cache hit ratio",
            "Hits over reads (hits + misses), per cache. Alert: CacheHitRatioLow at 80 %.",
            q(sel(datastore.CACHE_HIT_RATIO), _CACHE_LEGEND),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.8, RED),),
        ),
        p(
            "Cache requests",
            "Cache requests per second by operation and result.",
            q(
                f"sum by ({n.CACHE_NAME}, {n.CACHE_OPERATION}, {n.CACHE_RESULT}) "
                f"({rate(n.CACHE_REQUESTS)})",
                f"{{{{{n.CACHE_NAME}}}}} {{{{{n.CACHE_OPERATION}}}}} {{{{{n.CACHE_RESULT}}}}}",
            ),
            unit="reqps",
        ),
        p(
            "Cache operation latency p99",
            "99th percentile of cache operation duration. Alert: CacheOperationsSlow at 50 ms.",
            q(
                f"histogram_quantile(0.99, sum by ({n.SERVICE}, {n.CACHE_NAME}, le) "
                f"({sel(datastore.CACHE_BUCKETS)}))",
                _CACHE_LEGEND,
            ),
            unit="s",
            thresholds=((0.05, RED),),
        ),
        p(
            "Cache errors",
            "Cache errors per second; 0 for caches that answer without error.",
            q(
                zero_filled(
                    rate(n.CACHE_ERRORS), rate(n.CACHE_REQUESTS), f"{n.SERVICE}, {n.CACHE_NAME}"
                ),
                _CACHE_LEGEND,
            ),
            unit="ops",
        ),
    ),
)

_SYSTEM_LEGEND = f"{{{{{n.QUANTUM_SYSTEM}}}}}"
_ALGORITHM_LEGEND = f"{{{{{n.QUANTUM_SYSTEM}}}}} {{{{{n.QUANTUM_ALGORITHM}}}}}"
QUANTUM = Row(
    "Quantum",
    (
        p(
            "Quantum coherence",
            "Coherence per quantum system (1 = perfect). Alert: "
            f"LowQuantumCoherence below {domain.LOW_COHERENCE_THRESHOLD} for "
            f"{domain.LOW_COHERENCE_FOR}.",
            q(f"max by ({n.QUANTUM_SYSTEM}) ({sel(n.QUANTUM_COHERENCE)})", _SYSTEM_LEGEND),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((domain.LOW_COHERENCE_THRESHOLD, RED),),
        ),
        p(
            "Algorithm failure ratio",
            "Share of algorithm runs that failed. Alert: QuantumAlgorithmFailureRatioHigh at 10 %.",
            q(sel(domain.ALGORITHM_FAILURE_RATIO), _ALGORITHM_LEGEND),
            unit="percentunit",
            min=0,
            thresholds=((0.1, RED),),
        ),
        p(
            "Algorithm duration p95",
            "95th percentile of algorithm run time.",
            q(
                f"histogram_quantile(0.95, sum by ({n.QUANTUM_SYSTEM}, {n.QUANTUM_ALGORITHM}, le) "
                f"({sel(domain.ALGORITHM_BUCKETS)}))",
                _ALGORITHM_LEGEND,
            ),
            unit="s",
        ),
        p(
            "Optimization cycles rate",
            "Optimization cycles per second per system.",
            q(f"sum by ({n.QUANTUM_SYSTEM}) ({rate(n.QUANTUM_CYCLES)})", _SYSTEM_LEGEND),
            unit="ops",
        ),
    ),
)

BUSINESS = Row(
    "Business",
    (
        p(
            "Transactions by status",
            "Transactions per second by type and status.",
            q(
                f"sum by ({n.TRANSACTION_TYPE}, {n.TRANSACTION_STATUS}) ({rate(n.TRANSACTIONS)})",
                f"{{{{{n.TRANSACTION_TYPE}}}}} {{{{{n.TRANSACTION_STATUS}}}}}",
            ),
            unit="ops",
        ),
        p(
            "Transaction failure ratio",
            "Share of failed transactions per type. Alerts at 5 % (warning) and 25 % (critical).",
            q(sel(domain.TRANSACTION_FAILURE_RATIO), f"{{{{{n.TRANSACTION_TYPE}}}}}"),
            unit="percentunit",
            min=0,
            thresholds=((0.05, "orange"), (0.25, RED)),
        ),
        p(
            "Active sessions",
            "Sessions currently open.",
            q(f"sum by ({n.SERVICE}) ({sel(n.SESSIONS_ACTIVE)})", f"{{{{{n.SERVICE}}}}}"),
        ),
        p(
            "Revenue per minute by currency",
            "Revenue per minute, in each currency's units.",
            q(f"sum by ({n.CURRENCY}) ({rate(n.REVENUE)}) * 60", f"{{{{{n.CURRENCY}}}}}"),
        ),
    ),
)

_COMPONENT_LEGEND = f"{{{{{n.COMPONENT}}}}}"
HEALTH = Row(
    "Health",
    (
        p(
            "Component health score",
            "Health score per component (1 = healthy). Alerts below "
            "0.8 (warning) and 0.5 (critical).",
            q(f"min by ({n.COMPONENT}) ({sel(n.HEALTH_SCORE)})", _COMPONENT_LEGEND),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.5, RED), (0.8, "orange")),
        ),
        p(
            "Component errors",
            "Errors per second per component; 0 for components that report a score and no error.",
            q(
                zero_filled(rate(n.HEALTH_ERRORS), sel(n.HEALTH_SCORE), n.COMPONENT),
                _COMPONENT_LEGEND,
            ),
            unit="ops",
            thresholds=((0.5, RED),),
        ),
        p(
            "Component connections",
            "Open connections per component and instance.",
            q(
                f"sum by ({n.COMPONENT}, instance) ({sel(n.HEALTH_CONNECTIONS)})",
                f"{{{{{n.COMPONENT}}}}} {{{{instance}}}}",
            ),
        ),
    ),
)

_INSTANCE = "{{instance}}"
INFRASTRUCTURE = Row(
    "Infrastructure",
    (
        p(
            "Process CPU",
            "CPU used by the process, as a share of all CPUs of its machine.",
            q(sel(n.PROCESS_CPU), _INSTANCE),
            unit="percentunit",
            min=0,
            thresholds=((0.8, RED),),
        ),
        p(
            "System CPU busy",
            "Average non-idle share of the machine's CPUs.",
            q(f"1 - avg by (instance) ({sel(n.SYSTEM_CPU, _IDLE)})", _INSTANCE),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.9, RED),),
        ),
        p(
            "System memory utilization",
            "Share of the machine's memory in use.",
            q(sel(n.SYSTEM_MEMORY, _USED), _INSTANCE),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.9, RED),),
        ),
        p(
            "Process memory",
            "Resident memory of the process.",
            q(sel(n.PROCESS_MEMORY), _INSTANCE),
            unit="bytes",
            thresholds=((PROCESS_MEMORY_LIMIT_BYTES, RED),),
        ),
        p(
            "Filesystem utilization",
            "Share of each filesystem in use. Alerts at 85 % and 95 %.",
            q(sel(n.SYSTEM_FILESYSTEM), f"{{{{instance}}}} {{{{{n.FILESYSTEM_MOUNTPOINT}}}}}"),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.85, "orange"), (0.95, RED)),
        ),
        p(
            "Scrape targets up",
            "1 when Prometheus scraped the target, 0 when the scrape "
            "failed (jobs whose name contains the selected services).",
            q('up{job=~".*(${service:regex}).*"}', "{{job}} {{instance}}"),
            min=0,
            max=1,
        ),
    ),
)

SECURITY = Row(
    "Security",
    (
        p(
            "Security events by severity",
            "Security events per minute by severity and type; "
            "0 while the security meter reports attempts but no event.",
            q(
                zero_filled(
                    rate(n.SECURITY_EVENTS),
                    rate(n.AUTH_ATTEMPTS),
                    f"{n.SECURITY_SEVERITY}, {n.SECURITY_EVENT_TYPE}",
                    scale=" * 60",
                ),
                f"{{{{{n.SECURITY_SEVERITY}}}}} {{{{{n.SECURITY_EVENT_TYPE}}}}}",
            ),
        ),
        p(
            "Auth attempts by outcome",
            "Authentication attempts per second by method and outcome.",
            q(
                f"sum by ({n.AUTH_METHOD}, {n.AUTH_OUTCOME}) ({rate(n.AUTH_ATTEMPTS)})",
                f"{{{{{n.AUTH_METHOD}}}}} {{{{{n.AUTH_OUTCOME}}}}}",
            ),
            unit="ops",
        ),
        p(
            "Auth failure ratio",
            "Share of failed attempts per method. Alert: "
            "AuthFailureSpike above 30 % and 0.2 failures/s.",
            q(sel(domain.AUTH_FAILURE_RATIO), f"{{{{{n.AUTH_METHOD}}}}}"),
            unit="percentunit",
            min=0,
            max=1,
            thresholds=((0.3, RED),),
        ),
    ),
)

QF_OTEL = Row(
    "qf-otel",
    (
        p(
            "Folded attribute values",
            "Attribute values outside their allowed set, folded to "
            "`other`, per second; 0 while the service reports HTTP metrics and folds nothing.",
            q(zero_filled(rate(n.QF_FOLDED), rate(_HTTP_COUNT), n.SERVICE), f"{{{{{n.SERVICE}}}}}"),
            unit="ops",
            width=12,
        ),
        p(
            "Export failures",
            "Failed OTLP exports per second counted by qf-otel; 0 while "
            "the service reports HTTP metrics and nothing fails.",
            q(
                zero_filled(rate(n.QF_EXPORT_FAILURES), rate(_HTTP_COUNT), n.SERVICE),
                f"{{{{{n.SERVICE}}}}}",
            ),
            unit="ops",
            width=12,
        ),
    ),
)

SERVICE_OVERVIEW = Dashboard(
    uid="qf-service-overview",
    file="qf-service-overview",
    title="QuantumFlow / Service overview",
    description="RED per route, database, cache, quantum, business, health, "
    "infrastructure and security metrics of services instrumented with qf-otel.",
    tags=("quantumflow", "qf-otel"),
    variables=(
        Variable(
            "environment", "Environment", f"label_values({_HTTP_COUNT}, {n.ENV})", include_all=False
        ),
        Variable(
            "service",
            "Service",
            f'label_values({_HTTP_COUNT}{{{n.ENV}=~"$environment"}}, {n.SERVICE})',
        ),
    ),
    rows=(HTTP, DATABASE, CACHE, QUANTUM, BUSINESS, HEALTH, INFRASTRUCTURE, SECURITY, QF_OTEL),
)
