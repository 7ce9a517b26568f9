"""HTTP server and client: RED per route and multi-window multi-burn-rate SLO alerts.

SLOs (documented in docs/runbooks.md): 99.9 % of requests answer without a 5xx, and
99 % answer within 0.5 s, over 30 days. Burn-rate pairs follow the Google SRE
workbook: page when 2 % of the monthly budget goes in 1 h or 5 % in 6 h (each
confirmed by a short window so the alert resets soon after the burn stops); ticket
when 10 % goes in a day or the whole budget would go at the current rate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qf_ops import names as n
from qf_ops.rules.expressions import zero_filled_ratio
from qf_ops.rules.fixtures import app, series, svc
from qf_ops.rules.model import (
    VALUE_HUMAN,
    VALUE_PERCENT,
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

AVAILABILITY_OBJECTIVE = 0.999
LATENCY_OBJECTIVE = 0.99
# The latency SLO threshold must be one of the histogram's bucket bounds (as `le` prints it).
LATENCY_THRESHOLD_LE = "0.5"


@dataclass(frozen=True)
class BurnWindow:
    long: str
    short: str
    factor: float


FAST_BURN = (BurnWindow("1h", "5m", 14.4), BurnWindow("6h", "30m", 6))
SLOW_BURN = (BurnWindow("1d", "2h", 3), BurnWindow("3d", "6h", 1))
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d")

COUNT = f"{n.HTTP_SERVER_DURATION}_count"
CLIENT_FAILED = f'{n.HTTP_CLIENT_DURATION}_count{{{n.ERROR_TYPE}!=""}}'
SERVER_ERRORS = f'{COUNT}{{{n.HTTP_STATUS}=~"5.."}}'
FAST_ENOUGH = f'{n.HTTP_SERVER_DURATION}_bucket{{le="{LATENCY_THRESHOLD_LE}"}}'

REQUESTS_BY_ROUTE = "service_route:http_server_requests:rate5m"
BUCKETS_BY_ROUTE = "service_route_le:http_server_request_duration_seconds_bucket:rate5m"
ROUTE_ERROR_RATIO = "service_route:http_server_request_errors:ratio_rate5m"


def error_ratio(window: str) -> str:
    return f"service:http_server_request_errors:ratio_rate{window}"


def slow_ratio(window: str) -> str:
    return f"service:http_server_request_slow:ratio_rate{window}"


def burn_expr(
    ratio: Callable[[str], str], windows: tuple[BurnWindow, ...], objective: float
) -> str:
    """`(long > f*budget and short > f*budget) or ...`; the value is the long window's."""
    budget = round(1 - objective, 6)
    clauses = [
        f"(\n  {ratio(w.long)} > ({w.factor} * {budget})\n  and\n"
        f"  {ratio(w.short)} > ({w.factor} * {budget})\n)"
        for w in windows
    ]
    return "\nor\n".join(clauses)


def _records() -> tuple[Record, ...]:
    route = by(n.HTTP_ROUTE)
    per_route = (
        Record(REQUESTS_BY_ROUTE, f"sum {route} (rate({COUNT}[5m]))"),
        Record(ROUTE_ERROR_RATIO, zero_filled_ratio(SERVER_ERRORS, COUNT, "5m", (n.HTTP_ROUTE,))),
        Record(
            BUCKETS_BY_ROUTE,
            f"sum {by(n.HTTP_ROUTE, 'le')} (rate({n.HTTP_SERVER_DURATION}_bucket[5m]))",
        ),
    )
    errors = tuple(
        Record(error_ratio(w), zero_filled_ratio(SERVER_ERRORS, COUNT, w)) for w in WINDOWS
    )
    slow = tuple(
        Record(
            slow_ratio(w),
            f"1 - (\n  sum {by()} (rate({FAST_ENOUGH}[{w}]))\n"
            f"  /\n  sum {by()} (rate({COUNT}[{w}]))\n)",
        )
        for w in WINDOWS
    )
    return per_route + errors + slow


def _statuses(ok: str, failed: str, route: str = "/items/{item_id}") -> tuple[Series, ...]:
    """Request counters of one route: `ok` answered 200, `failed` answered 500."""
    base = {n.HTTP_ROUTE: route, n.HTTP_METHOD: "GET", "url_scheme": "http"}
    return (
        series(COUNT, app({**base, n.HTTP_STATUS: "200"}), ok),
        series(COUNT, app({**base, n.HTTP_STATUS: "500", n.ERROR_TYPE: "500"}), failed),
    )


def _latency(fast: str, total: str) -> tuple[Series, ...]:
    """A histogram reduced to the SLO bucket, +Inf and count."""
    base = {n.HTTP_ROUTE: "/items/{item_id}", n.HTTP_METHOD: "GET", n.HTTP_STATUS: "200"}
    bucket = f"{n.HTTP_SERVER_DURATION}_bucket"
    return (
        series(bucket, app({**base, "le": LATENCY_THRESHOLD_LE}), fast),
        series(bucket, app({**base, "le": "+Inf"}), total),
        series(COUNT, app(base), total),
    )


SLO_PANEL = "Service overview > HTTP > Error budget burn rate"
LATENCY_PANEL = "Service overview > HTTP > Slow request ratio (latency SLO)"

_ERROR_BUDGET_CHECKS = (
    "Open the panel and the *Error ratio by route* panel next to it: is one route "
    "responsible or all of them?",
    "Compare with *Outbound HTTP error ratio* and *DB error ratio*: a failing "
    "dependency usually shows there first.",
    "Look at the service's logs for the 5xx responses in the same minutes; check "
    "whether a deployment happened just before the burn started.",
)
_ERROR_BUDGET_FIXES = (
    "Roll back the last deployment if the burn started with it.",
    "If one dependency fails, fail fast or degrade that feature (circuit breaker, "
    "cached answer) instead of answering 5xx.",
    "Scale out if the errors are timeouts under load (see *Active requests*).",
)
_LATENCY_CHECKS = (
    "Open the panel, then *Latency p95 by route* to find the slow routes.",
    "Check *DB operation latency p95*, *Cache hit ratio* and *Active requests*: "
    "slow dependencies and saturation are the usual causes.",
    "Check CPU throttling and memory on *Process CPU* / *Process memory*.",
)
_LATENCY_FIXES = (
    "Scale out when the service is saturated; raise worker count if CPU allows.",
    "Roll back a deployment that introduced a slow query or a cache-key change.",
    "Shed or rate-limit expensive routes while the cause is fixed.",
)

ALERTS = (
    Alert(
        name="HTTPErrorBudgetFastBurn",
        expr=burn_expr(error_ratio, FAST_BURN, AVAILABILITY_OBJECTIVE),
        for_="2m",
        severity="critical",
        summary=f"{label(n.SERVICE)} is burning its availability error budget fast",
        description=(
            f"{WHERE} answered {VALUE_PERCENT} of requests with a 5xx over the long "
            "window (1h or 6h), more than 14.4x (1h) or 6x (6h) the 0.1 % budget of "
            "the 99.9 % availability SLO; at this rate the monthly budget is gone in "
            "days."
        ),
        runbook=Runbook(
            meaning=(
                "The share of 5xx responses is high over both a long and a short "
                "window: 2 % of the 30-day error budget (99.9 % availability) is being "
                "spent per hour, or 5 % per 6 hours. Users are seeing errors now."
            ),
            checks=_ERROR_BUDGET_CHECKS,
            panel=SLO_PANEL,
            mitigations=_ERROR_BUDGET_FIXES,
        ),
        fires=Scenario(
            "2 % of requests fail for 20 minutes",
            _statuses("0+588x30", "0+12x30"),
            at="20m",
            fired=(Fired(svc(), "2%"),),
        ),
        near_misses=(
            Scenario(
                "3 % failed for an hour, then 36 clean minutes: long windows hot, short clean",
                _statuses("0+582x96", "0+18x60 1080+0x36"),
                at="96m",
            ),
        ),
    ),
    Alert(
        name="HTTPErrorBudgetSlowBurn",
        expr=burn_expr(error_ratio, SLOW_BURN, AVAILABILITY_OBJECTIVE),
        for_="15m",
        severity="warning",
        summary=f"{label(n.SERVICE)} is steadily burning its availability error budget",
        description=(
            f"{WHERE} answered {VALUE_PERCENT} of requests with a 5xx over the long "
            "window (1d or 3d), more than 3x (1d) or 1x (3d) the 0.1 % budget of the "
            "99.9 % availability SLO."
        ),
        runbook=Runbook(
            meaning=(
                "A low but persistent share of 5xx responses: 10 % of the 30-day error "
                "budget goes per day, or the whole budget would be spent within the "
                "month. Not urgent; needs a fix this week."
            ),
            checks=_ERROR_BUDGET_CHECKS,
            panel=SLO_PANEL,
            mitigations=_ERROR_BUDGET_FIXES,
        ),
        fires=Scenario(
            "0.4 % of requests fail for 150 minutes",
            _statuses("0+996x150", "0+4x150"),
            at="150m",
            fired=(Fired(svc(), "0.4%"),),
        ),
        near_misses=(
            Scenario(
                "0.09 % fail: just inside the 0.1 % budget",
                _statuses("0+999.1x150", "0+0.9x150"),
                at="150m",
            ),
        ),
    ),
    Alert(
        name="HTTPLatencyBudgetFastBurn",
        expr=burn_expr(slow_ratio, FAST_BURN, LATENCY_OBJECTIVE),
        for_="2m",
        severity="critical",
        summary=f"{label(n.SERVICE)} is burning its latency error budget fast",
        description=(
            f"{VALUE_PERCENT} of requests to {WHERE} took longer than "
            f"{LATENCY_THRESHOLD_LE}s over the long window (1h or 6h), more than 14.4x "
            "(1h) or 6x (6h) the 1 % budget of the 99 % latency SLO."
        ),
        runbook=Runbook(
            meaning=(
                "Too many requests are slower than 0.5 s, confirmed over a long and a "
                "short window: 2 % of the 30-day latency budget (99 % under 0.5 s) goes "
                "per hour, or 5 % per 6 hours."
            ),
            checks=_LATENCY_CHECKS,
            panel=LATENCY_PANEL,
            mitigations=_LATENCY_FIXES,
        ),
        fires=Scenario(
            "20 % of requests slower than 0.5 s for 30 minutes",
            _latency("0+480x30", "0+600x30"),
            at="30m",
            fired=(Fired(svc(), "20%"),),
        ),
        near_misses=(
            Scenario(
                "20 % slow for an hour, then 36 fast minutes: long windows hot, short clean",
                _latency("0+480x60 28800+600x36", "0+600x96"),
                at="96m",
            ),
        ),
    ),
    Alert(
        name="HTTPLatencyBudgetSlowBurn",
        expr=burn_expr(slow_ratio, SLOW_BURN, LATENCY_OBJECTIVE),
        for_="15m",
        severity="warning",
        summary=f"{label(n.SERVICE)} is steadily burning its latency error budget",
        description=(
            f"{VALUE_PERCENT} of requests to {WHERE} took longer than "
            f"{LATENCY_THRESHOLD_LE}s over the long window (1d or 3d), more than 3x "
            "(1d) or 1x (3d) the 1 % budget of the 99 % latency SLO."
        ),
        runbook=Runbook(
            meaning=(
                "A persistent share of requests slower than 0.5 s: 10 % of the 30-day "
                "latency budget goes per day, or all of it within the month."
            ),
            checks=_LATENCY_CHECKS,
            panel=LATENCY_PANEL,
            mitigations=_LATENCY_FIXES,
        ),
        fires=Scenario(
            "4 % of requests slower than 0.5 s for 150 minutes",
            _latency("0+960x150", "0+1000x150"),
            at="150m",
            fired=(Fired(svc(), "4%"),),
        ),
        near_misses=(
            Scenario(
                "0.9 % slow: just inside the 1 % budget",
                _latency("0+991x150", "0+1000x150"),
                at="150m",
            ),
        ),
    ),
    Alert(
        name="HTTPRouteErrorRatioHigh",
        expr=promql(f"""
            {ROUTE_ERROR_RATIO} > 0.05
            and
            {REQUESTS_BY_ROUTE} > 0.1
        """),
        for_="10m",
        severity="warning",
        summary=f"Route {label(n.HTTP_ROUTE)} of {label(n.SERVICE)} fails often",
        description=(
            f"{VALUE_PERCENT} of requests to {label(n.HTTP_ROUTE)} on {WHERE} answered "
            "5xx over 5 minutes (threshold 5 %, with at least 0.1 requests/s)."
        ),
        runbook=Runbook(
            meaning=(
                "One route answers more than 5 % of its requests with a 5xx for 10 "
                "minutes, while it gets at least one request every 10 s. The service-"
                "wide SLO may still be fine when the route is a small share of traffic."
            ),
            checks=(
                "Open the panel filtered to the service; note the route and whether "
                "its traffic changed (*Request rate by route*).",
                "Read the service logs for that route's 5xx; check the dependencies it "
                "calls (*DB error ratio*, *Outbound HTTP error ratio*).",
            ),
            panel="Service overview > HTTP > Error ratio by route",
            mitigations=(
                "Roll back if a deployment changed the route.",
                "Disable the feature behind the route or return a degraded answer.",
            ),
        ),
        fires=Scenario(
            "10 % of 1 request/s to one route fail",
            _statuses("0+54x20", "0+6x20"),
            at="20m",
            fired=(Fired(svc({n.HTTP_ROUTE: "/items/{item_id}"}), "10%"),),
        ),
        near_misses=(
            Scenario("4 % fail", _statuses("0+57.6x20", "0+2.4x20"), at="20m"),
            Scenario("half fail, but only 2 requests/min", _statuses("0+1x20", "0+1x20"), at="20m"),
        ),
    ),
    Alert(
        name="HTTPActiveRequestsHigh",
        expr=f"sum {by('instance')} ({n.HTTP_SERVER_ACTIVE}) > 100",
        for_="5m",
        severity="warning",
        summary=f"{label('instance')} of {label(n.SERVICE)} holds many in-flight requests",
        description=(
            f"{VALUE_HUMAN} requests are in flight on {label('instance')} of {WHERE} "
            "(threshold 100 for 5 minutes): the instance is saturated or stuck on a "
            "dependency."
        ),
        runbook=Runbook(
            meaning=(
                "More than 100 requests are being served at once by one instance for "
                "5 minutes. Requests are queuing: latency and timeouts follow."
            ),
            checks=(
                "Open the panel: one instance or all? One points at a stuck worker or "
                "an uneven load balancer; all at load or a slow dependency.",
                "Check *Latency p95 by route* and *Connection pool usage*: a pool "
                "waiting for connections keeps requests in flight.",
            ),
            panel="Service overview > HTTP > Active requests",
            mitigations=(
                "Scale out; restart an instance that is stuck.",
                "Set timeouts on the slow dependency so requests fail fast.",
            ),
        ),
        fires=Scenario(
            "150 requests in flight for 10 minutes",
            (
                series(
                    n.HTTP_SERVER_ACTIVE,
                    app({n.HTTP_METHOD: "GET", "url_scheme": "http"}),
                    "150x10",
                ),
            ),
            at="10m",
            fired=(Fired(svc({"instance": "10.0.0.7:9464"}), "150"),),
        ),
        near_misses=(
            Scenario(
                "95 requests in flight",
                (
                    series(
                        n.HTTP_SERVER_ACTIVE,
                        app({n.HTTP_METHOD: "GET", "url_scheme": "http"}),
                        "95x10",
                    ),
                ),
                at="10m",
            ),
        ),
    ),
    Alert(
        name="HTTPClientErrorRatioHigh",
        expr=promql(f"""
            sum {by(n.SERVER_ADDRESS)} (rate({CLIENT_FAILED}[5m]))
            /
            sum {by(n.SERVER_ADDRESS)} (rate({n.HTTP_CLIENT_DURATION}_count[5m]))
            > 0.1
        """),
        for_="5m",
        severity="warning",
        summary=f"Calls from {label(n.SERVICE)} to {label(n.SERVER_ADDRESS)} fail",
        description=(
            f"{VALUE_PERCENT} of outbound HTTP calls from {WHERE} to "
            f"{label(n.SERVER_ADDRESS)} failed (error status or no response) over 5 "
            "minutes (threshold 10 %)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 10 % of the service's outbound HTTP calls to one host end in "
                "an error (a 4xx/5xx status or a transport error such as a timeout) for "
                "5 minutes. The dependency, or the network to it, is failing."
            ),
            checks=(
                "Open the panel: which server_address, which error_type (status code "
                "or exception name)?",
                "Check the dependency's own dashboard and alerts; check DNS and "
                "network policies if error_type is a connection error.",
            ),
            panel="Service overview > HTTP > Outbound HTTP error ratio",
            mitigations=(
                "Degrade the feature that depends on the host; retry with back-off only "
                "for idempotent calls.",
                "Escalate to the dependency's owners with the error types seen.",
            ),
        ),
        fires=Scenario(
            "20 % of calls to payments fail with 503",
            (
                series(
                    f"{n.HTTP_CLIENT_DURATION}_count",
                    app({n.SERVER_ADDRESS: "payments.internal", n.HTTP_STATUS: "200"}),
                    "0+80x15",
                ),
                series(
                    f"{n.HTTP_CLIENT_DURATION}_count",
                    app(
                        {
                            n.SERVER_ADDRESS: "payments.internal",
                            n.HTTP_STATUS: "503",
                            n.ERROR_TYPE: "503",
                        }
                    ),
                    "0+20x15",
                ),
            ),
            at="15m",
            fired=(Fired(svc({n.SERVER_ADDRESS: "payments.internal"}), "20%"),),
        ),
        near_misses=(
            Scenario(
                "8 % of calls fail",
                (
                    series(
                        f"{n.HTTP_CLIENT_DURATION}_count",
                        app({n.SERVER_ADDRESS: "payments.internal", n.HTTP_STATUS: "200"}),
                        "0+92x15",
                    ),
                    series(
                        f"{n.HTTP_CLIENT_DURATION}_count",
                        app(
                            {
                                n.SERVER_ADDRESS: "payments.internal",
                                n.HTTP_STATUS: "503",
                                n.ERROR_TYPE: "503",
                            }
                        ),
                        "0+8x15",
                    ),
                ),
                at="15m",
            ),
        ),
    ),
)

# A second service whose requests all succeed: its ratio must be 0, not absent.
_BILLING_HEALTHZ = series(
    COUNT,
    app(
        {n.HTTP_ROUTE: "/healthz", n.HTTP_METHOD: "GET", n.HTTP_STATUS: "200", n.SERVICE: "billing"}
    ),
    "0+60x10",
)

CHECKS = (
    ExprCheck(
        "error ratio over 5m is exactly the share of 5xx, 0 when none failed",
        (*_statuses("0+588x10", "0+12x10"), _BILLING_HEALTHZ),
        at="10m",
        expr=error_ratio("5m"),
        samples=((svc(), 0.02), (svc({n.SERVICE: "billing"}), 0.0)),
    ),
    ExprCheck(
        "slow ratio over 1h is the share above the SLO bucket",
        _latency("0+375x60", "0+500x60"),
        at="60m",
        expr=slow_ratio("1h"),
        samples=((svc(), 0.25),),
    ),
)

GROUP = RuleGroup(
    file="http",
    name="qf-http",
    title="HTTP server and client",
    records=_records(),
    alerts=ALERTS,
    checks=CHECKS,
)
