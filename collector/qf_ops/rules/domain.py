"""QuantumFlow's own meters: quantum, health, business and security."""

from __future__ import annotations

from qf_ops import names as n
from qf_ops.rules.expressions import quantile, zero_filled_ratio
from qf_ops.rules.fixtures import app, series, svc
from qf_ops.rules.model import (
    VALUE_FIXED,
    VALUE_HUMAN,
    VALUE_PERCENT,
    VALUE_SECONDS,
    WHERE,
    Alert,
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

# The demo drives coherence below this to fire LowQuantumCoherence; keep docs in step.
LOW_COHERENCE_THRESHOLD = 0.7
LOW_COHERENCE_FOR = "2m"

ALGORITHM = (n.QUANTUM_SYSTEM, n.QUANTUM_ALGORITHM)
RUNS = f"{n.QUANTUM_DURATION}_count"
ALGORITHM_FAILURE_RATIO = "service_algorithm:qf_quantum_algorithm_runs:failure_ratio_rate5m"
ALGORITHM_BUCKETS = "service_algorithm_le:qf_quantum_algorithm_duration_seconds_bucket:rate5m"
TRANSACTION_FAILURE_RATIO = "service_type:qf_business_transactions:failure_ratio_rate5m"
TRANSACTION_RATE = "service_type:qf_business_transactions:rate5m"
AUTH_FAILURE_RATIO = "service_method:qf_security_auth_attempts:failure_ratio_rate5m"
AUTH_FAILURE_RATE = "service_method:qf_security_auth_failures:rate5m"

_FAILED_TX = f'{n.TRANSACTIONS}{{{n.TRANSACTION_STATUS}="failure"}}'
_FAILED_AUTH = f'{n.AUTH_ATTEMPTS}{{{n.AUTH_OUTCOME}="failure"}}'
_CRITICAL = f'{n.SECURITY_EVENTS}{{{n.SECURITY_SEVERITY}="critical"}}'
_HIGH = f'{n.SECURITY_EVENTS}{{{n.SECURITY_SEVERITY}="high"}}'

RECORDS = (
    Record(
        ALGORITHM_FAILURE_RATIO,
        zero_filled_ratio(f'{RUNS}{{{n.OUTCOME}="failure"}}', RUNS, "5m", ALGORITHM),
    ),
    Record(
        ALGORITHM_BUCKETS, f"sum {by(*ALGORITHM, 'le')} (rate({n.QUANTUM_DURATION}_bucket[5m]))"
    ),
    Record(
        TRANSACTION_FAILURE_RATIO,
        zero_filled_ratio(_FAILED_TX, n.TRANSACTIONS, "5m", (n.TRANSACTION_TYPE,)),
    ),
    Record(TRANSACTION_RATE, f"sum {by(n.TRANSACTION_TYPE)} (rate({n.TRANSACTIONS}[5m]))"),
    Record(
        AUTH_FAILURE_RATIO, zero_filled_ratio(_FAILED_AUTH, n.AUTH_ATTEMPTS, "5m", (n.AUTH_METHOD,))
    ),
    Record(AUTH_FAILURE_RATE, f"sum {by(n.AUTH_METHOD)} (rate({_FAILED_AUTH}[5m]))"),
)

_QPU = {n.QUANTUM_SYSTEM: "qpu-a"}
_VQE = {**_QPU, n.QUANTUM_ALGORITHM: "vqe"}


def _coherence(values: str) -> tuple[Series, ...]:
    return (series(n.QUANTUM_COHERENCE, app(_QPU), values),)


def _runs(ok: str, failed: str) -> tuple[Series, ...]:
    return (
        series(RUNS, app({**_VQE, n.OUTCOME: "success"}), ok),
        series(RUNS, app({**_VQE, n.OUTCOME: "failure"}), failed),
    )


def _durations(buckets: dict[str, str]) -> tuple[Series, ...]:
    labels = {**_VQE, n.OUTCOME: "success"}
    out = tuple(
        series(f"{n.QUANTUM_DURATION}_bucket", app({**labels, "le": le}), v)
        for le, v in buckets.items()
    )
    return (*out, series(RUNS, app(labels), buckets["+Inf"]))


def _cycles(runs: str, cycles: str) -> tuple[Series, ...]:
    return (
        series(RUNS, app({**_VQE, n.OUTCOME: "success"}), runs),
        series(n.QUANTUM_CYCLES, app(_VQE), cycles),
    )


def _component(metric: str, values: str, extra: dict[str, str] | None = None) -> Series:
    return series(metric, app({n.COMPONENT: "db", **(extra or {})}), values)


def _transactions(ok: str, failed: str) -> tuple[Series, ...]:
    base = {n.TRANSACTION_TYPE: "purchase"}
    return (
        series(n.TRANSACTIONS, app({**base, n.TRANSACTION_STATUS: "success"}), ok),
        series(n.TRANSACTIONS, app({**base, n.TRANSACTION_STATUS: "failure"}), failed),
    )


def _sessions(active: str, transactions: str) -> tuple[Series, ...]:
    return (
        series(n.SESSIONS_ACTIVE, app(), active),
        series(
            n.TRANSACTIONS,
            app({n.TRANSACTION_TYPE: "purchase", n.TRANSACTION_STATUS: "success"}),
            transactions,
        ),
    )


def _auth(ok: str, failed: str) -> tuple[Series, ...]:
    base = {n.AUTH_METHOD: "password"}
    return (
        series(n.AUTH_ATTEMPTS, app({**base, n.AUTH_OUTCOME: "success"}), ok),
        series(n.AUTH_ATTEMPTS, app({**base, n.AUTH_OUTCOME: "failure"}), failed),
    )


def _event(kind: str, severity: str, values: str) -> Series:
    return series(
        n.SECURITY_EVENTS, app({n.SECURITY_EVENT_TYPE: kind, n.SECURITY_SEVERITY: severity}), values
    )


_TX_FIRED = svc({n.TRANSACTION_TYPE: "purchase"})
_COMPONENT_FIRED = app({n.COMPONENT: "db"})
_TX_CHECKS = (
    "Open the panel: one transaction type or all? Compare with *Transactions by "
    "status* to see whether volume changed too.",
    "Check the downstream the transactions need (payment provider: *Outbound HTTP "
    "error ratio*; database: *DB error ratio*) and the service logs for the failures.",
)
_TX_FIXES = (
    "Roll back a deployment that started the failures.",
    "If a payment provider fails, switch provider or queue transactions for retry; "
    "tell the business owner.",
)
_HEALTH_CHECKS = (
    "Open the panel: which component (qf_component), since when?",
    "Check *Component errors* for the same component and the component itself "
    "(database, cache, queue) with its own tools.",
)

ALERTS = (
    Alert(
        name="LowQuantumCoherence",
        expr=f"{n.QUANTUM_COHERENCE} < {LOW_COHERENCE_THRESHOLD}",
        for_=LOW_COHERENCE_FOR,
        severity="warning",
        summary=f"Quantum system {label(n.QUANTUM_SYSTEM)} has low coherence",
        description=(
            f"Coherence of quantum system {label(n.QUANTUM_SYSTEM)} reported by {WHERE} is "
            f"{VALUE_FIXED}, below {LOW_COHERENCE_THRESHOLD} for {LOW_COHERENCE_FOR}: "
            "results of algorithms run now are unreliable."
        ),
        runbook=Runbook(
            meaning=(
                f"`{n.QUANTUM_COHERENCE}` (0..1, 1 = perfect) of a quantum system stayed "
                f"below {LOW_COHERENCE_THRESHOLD} for {LOW_COHERENCE_FOR}. Algorithms "
                "still run, but their results degrade: expect failures and more "
                "optimization cycles."
            ),
            checks=(
                "Open the panel: one system or all? A drop on all systems at once points "
                "at the shared environment (cryostat, calibration job), one system at "
                "that device.",
                "Check *Algorithm failure ratio* and *Optimization cycles rate* for the "
                "same system.",
                "Check when the system was last calibrated.",
            ),
            panel="Service overview > Quantum > Quantum coherence",
            mitigations=(
                "Recalibrate the system; route new jobs to a healthy system meanwhile.",
                "Pause batch workloads on the system until coherence is back above "
                f"{LOW_COHERENCE_THRESHOLD}.",
            ),
        ),
        fires=Scenario(
            "coherence drops from 0.95 to 0.60 for 5 minutes",
            _coherence("0.95x4 0.6x6"),
            at="10m",
            fired=(Fired(app(_QPU), "0.60"),),
        ),
        near_misses=(
            Scenario("coherence holds at 0.71", _coherence("0.71x10"), at="10m"),
            Scenario("coherence at 0.60 for only 1 minute", _coherence("0.95x8 0.6x2"), at="10m"),
        ),
    ),
    Alert(
        name="QuantumAlgorithmFailureRatioHigh",
        expr=f"{ALGORITHM_FAILURE_RATIO} > 0.1",
        for_="10m",
        severity="warning",
        summary=f"Algorithm {label(n.QUANTUM_ALGORITHM)} fails on {label(n.QUANTUM_SYSTEM)}",
        description=(
            f"{VALUE_PERCENT} of {label(n.QUANTUM_ALGORITHM)} runs on "
            f"{label(n.QUANTUM_SYSTEM)} from {WHERE} failed over 5 minutes (threshold 10 %)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 10 % of one algorithm's runs on one system end with outcome "
                "failure (the run raised) for 10 minutes."
            ),
            checks=(
                "Open the panel next to *Quantum coherence*: low coherence explains "
                "failures; normal coherence points at the code or the input.",
                "Read the service logs for the exceptions of the failed runs.",
            ),
            panel="Service overview > Quantum > Algorithm failure ratio",
            mitigations=(
                "Route the algorithm to another system; recalibrate if coherence is low.",
                "Roll back a deployment that changed the algorithm.",
            ),
        ),
        fires=Scenario(
            "20 % of runs fail",
            _runs("0+8x20", "0+2x20"),
            at="20m",
            fired=(Fired(svc(_VQE), "20%"),),
        ),
        near_misses=(Scenario("8 % of runs fail", _runs("0+9.2x20", "0+0.8x20"), at="20m"),),
    ),
    Alert(
        name="QuantumAlgorithmSlow",
        expr=f"{quantile(0.95, ALGORITHM_BUCKETS)} > 60",
        for_="15m",
        severity="info",
        summary=f"Algorithm {label(n.QUANTUM_ALGORITHM)} runs slowly on {label(n.QUANTUM_SYSTEM)}",
        description=(
            f"p95 duration of {label(n.QUANTUM_ALGORITHM)} on {label(n.QUANTUM_SYSTEM)} from "
            f"{WHERE} is {VALUE_SECONDS} (threshold 1m for 15 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "The 95th percentile of one algorithm's run time on one system is above "
                "60 s for 15 minutes: queues of waiting jobs grow."
            ),
            checks=(
                "Open the panel with *Optimization cycles rate*: more cycles per run "
                "(harder inputs, lower coherence) or slower cycles (system load)?",
            ),
            panel="Service overview > Quantum > Algorithm duration p95",
            mitigations=(
                "Spread jobs over more systems; lower the iteration budget of the "
                "optimizer for interactive requests.",
            ),
        ),
        fires=Scenario(
            "every run takes 60-120 s",
            _durations({"10": "0x20", "60": "0x20", "120": "0+2x20", "+Inf": "0+2x20"}),
            at="20m",
            fired=(Fired(svc(_VQE), "1m 57s"),),
        ),
        near_misses=(
            Scenario(
                "every run takes 10-60 s",
                _durations({"10": "0x20", "60": "0+2x20", "120": "0+2x20", "+Inf": "0+2x20"}),
                at="20m",
            ),
        ),
    ),
    Alert(
        name="QuantumOptimizationStalled",
        expr=promql(f"""
            sum {by(n.QUANTUM_SYSTEM)} (rate({RUNS}[15m])) > 0
            unless
            sum {by(n.QUANTUM_SYSTEM)} (rate({n.QUANTUM_CYCLES}[15m])) > 0
        """),
        for_="15m",
        severity="info",
        summary=f"No optimization cycles on {label(n.QUANTUM_SYSTEM)} although algorithms run",
        description=(
            f"Algorithms ran on {label(n.QUANTUM_SYSTEM)} from {WHERE} during the last 15 "
            "minutes but no optimization cycle was counted (for 15 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "Runs complete but the optimizer reports no cycles: the optimizer is "
                "disabled, short-circuited, or its counter is no longer recorded."
            ),
            checks=(
                "Open the panel: did cycles stop at a deployment? Check the service's "
                "configuration of the optimizer.",
                "Check *Folded attribute values*: a renamed system or algorithm folds to "
                "`other` and moves the cycles to another series.",
            ),
            panel="Service overview > Quantum > Optimization cycles rate",
            mitigations=(
                "Re-enable the optimizer or roll back; fix the instrumentation call if "
                "the counter is no longer recorded.",
            ),
        ),
        fires=Scenario(
            "runs continue, cycles stand still",
            _cycles("0+2x45", "100x45"),
            at="45m",
            fired=(Fired(svc(_QPU)),),
        ),
        near_misses=(
            Scenario("runs continue and cycles grow", _cycles("0+2x45", "100+5x45"), at="45m"),
        ),
    ),
    Alert(
        name="ComponentHealthDegraded",
        expr=f"({n.HEALTH_SCORE} < 0.8) >= 0.5",
        for_="10m",
        severity="warning",
        summary=f"Component {label(n.COMPONENT)} of {label(n.SERVICE)} is degraded",
        description=(
            f"Health score of {label(n.COMPONENT)} on {label('instance')} of {WHERE} is "
            f"{VALUE_FIXED} (degraded band 0.50-0.80, for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "The service rates one of its components between 0.5 and 0.8 (1 = "
                "healthy) for 10 minutes: it works with reduced capacity or quality. "
                "Below 0.5, ComponentHealthCritical takes over."
            ),
            checks=_HEALTH_CHECKS,
            panel="Service overview > Health > Component health score",
            mitigations=("Fix or restart the component; fail over if it has a replica.",),
        ),
        fires=Scenario(
            "score 0.65",
            (_component(n.HEALTH_SCORE, "0.65x15"),),
            at="15m",
            fired=(Fired(_COMPONENT_FIRED, "0.65"),),
        ),
        near_misses=(
            Scenario("score 0.82", (_component(n.HEALTH_SCORE, "0.82x15"),), at="15m"),
            Scenario(
                "score 0.30 is critical, not degraded",
                (_component(n.HEALTH_SCORE, "0.3x15"),),
                at="15m",
            ),
        ),
    ),
    Alert(
        name="ComponentHealthCritical",
        expr=f"{n.HEALTH_SCORE} < 0.5",
        for_="5m",
        severity="critical",
        summary=f"Component {label(n.COMPONENT)} of {label(n.SERVICE)} is failing",
        description=(
            f"Health score of {label(n.COMPONENT)} on {label('instance')} of {WHERE} is "
            f"{VALUE_FIXED} (threshold 0.50 for 5 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "The service rates one of its components below 0.5 for 5 minutes: the "
                "component is mostly unavailable and the features that need it fail."
            ),
            checks=_HEALTH_CHECKS,
            panel="Service overview > Health > Component health score",
            mitigations=(
                "Fail over or restart the component; put the dependent features in "
                "maintenance mode.",
            ),
        ),
        fires=Scenario(
            "score 0.30",
            (_component(n.HEALTH_SCORE, "0.3x10"),),
            at="10m",
            fired=(Fired(_COMPONENT_FIRED, "0.30"),),
        ),
        near_misses=(
            Scenario("score exactly 0.50", (_component(n.HEALTH_SCORE, "0.5x10"),), at="10m"),
        ),
    ),
    Alert(
        name="ComponentErrorsHigh",
        expr=f"sum {by(n.COMPONENT)} (rate({n.HEALTH_ERRORS}[5m])) > 0.5",
        for_="5m",
        severity="warning",
        summary=f"Component {label(n.COMPONENT)} of {label(n.SERVICE)} reports many errors",
        description=(
            f"{label(n.COMPONENT)} on {WHERE} reports {VALUE_HUMAN} errors/s over 5 minutes "
            "(threshold 0.5/s)."
        ),
        runbook=Runbook(
            meaning=(
                "The service records more than one error every 2 s against one "
                "component (qf.health.errors) for 5 minutes."
            ),
            checks=(
                "Open the panel; the error_type label names the exception class.",
                *_HEALTH_CHECKS[1:],
            ),
            panel="Service overview > Health > Component errors",
            mitigations=("Fix the component or the calling code; see the error_type.",),
        ),
        fires=Scenario(
            "1 TimeoutError per second",
            (_component(n.HEALTH_ERRORS, "0+60x15", {n.ERROR_TYPE: "TimeoutError"}),),
            at="15m",
            fired=(Fired(svc({n.COMPONENT: "db"}), "1"),),
        ),
        near_misses=(
            Scenario(
                "0.4 TimeoutError per second",
                (_component(n.HEALTH_ERRORS, "0+24x15", {n.ERROR_TYPE: "TimeoutError"}),),
                at="15m",
            ),
        ),
    ),
    Alert(
        name="ComponentConnectionsLost",
        expr=promql(f"""
            {n.HEALTH_CONNECTIONS} == 0
            and
            max_over_time({n.HEALTH_CONNECTIONS}[1h]) > 0
        """),
        for_="5m",
        severity="warning",
        summary=f"Component {label(n.COMPONENT)} of {label(n.SERVICE)} lost its connections",
        description=(
            f"{label(n.COMPONENT)} on {label('instance')} of {WHERE} has no open connection "
            "for 5 minutes although it had some during the last hour."
        ),
        runbook=Runbook(
            meaning=(
                "A component that had connections in the last hour has none for 5 "
                "minutes: it cannot reach its backend. A component that never had "
                "connections (idle) does not fire this."
            ),
            checks=(
                "Open the panel; check the backend is up and reachable from the "
                "service (DNS, network policy, credentials rotated?).",
                "Check *Component errors* for connection errors of the same component.",
            ),
            panel="Service overview > Health > Component connections",
            mitigations=(
                "Restore the backend or the network path; restart the service if "
                "its client does not reconnect by itself.",
            ),
        ),
        fires=Scenario(
            "8 connections, then none for 15 minutes",
            (_component(n.HEALTH_CONNECTIONS, "8x20 0x15"),),
            at="35m",
            fired=(Fired(_COMPONENT_FIRED),),
        ),
        near_misses=(
            Scenario(
                "never had a connection", (_component(n.HEALTH_CONNECTIONS, "0x35"),), at="35m"
            ),
        ),
    ),
    Alert(
        name="TransactionFailureRatioHigh",
        expr=promql(f"""
            ({TRANSACTION_FAILURE_RATIO} > 0.05) <= 0.25
            and
            {TRANSACTION_RATE} > 0.05
        """),
        for_="10m",
        severity="warning",
        summary=f"{label(n.TRANSACTION_TYPE)} transactions of {label(n.SERVICE)} fail often",
        description=(
            f"{VALUE_PERCENT} of {label(n.TRANSACTION_TYPE)} transactions on {WHERE} "
            "failed over 5 minutes (warning band 5-25 %, for 10 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "Between 5 % and 25 % of one transaction type fail for 10 minutes, with "
                "at least one transaction every 20 s. Revenue is being lost. Above 25 %, "
                "TransactionFailureRatioCritical takes over."
            ),
            checks=_TX_CHECKS,
            panel="Service overview > Business > Transaction failure ratio",
            mitigations=_TX_FIXES,
        ),
        fires=Scenario(
            "10 % of purchases fail",
            _transactions("0+54x20", "0+6x20"),
            at="20m",
            fired=(Fired(_TX_FIRED, "10%"),),
        ),
        near_misses=(
            Scenario("4 % of purchases fail", _transactions("0+57.6x20", "0+2.4x20"), at="20m"),
        ),
    ),
    Alert(
        name="TransactionFailureRatioCritical",
        expr=promql(f"""
            {TRANSACTION_FAILURE_RATIO} > 0.25
            and
            {TRANSACTION_RATE} > 0.05
        """),
        for_="5m",
        severity="critical",
        summary=f"Most {label(n.TRANSACTION_TYPE)} transactions of {label(n.SERVICE)} fail",
        description=(
            f"{VALUE_PERCENT} of {label(n.TRANSACTION_TYPE)} transactions on {WHERE} "
            "failed over 5 minutes (threshold 25 % for 5 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "More than a quarter of one transaction type fail for 5 minutes: a business outage."
            ),
            checks=_TX_CHECKS,
            panel="Service overview > Business > Transaction failure ratio",
            mitigations=_TX_FIXES,
        ),
        fires=Scenario(
            "half the purchases fail",
            _transactions("0+30x15", "0+30x15"),
            at="15m",
            fired=(Fired(_TX_FIRED, "50%"),),
        ),
        near_misses=(
            Scenario("24 % of purchases fail", _transactions("0+45.6x15", "0+14.4x15"), at="15m"),
        ),
    ),
    Alert(
        name="TransactionsStalled",
        expr=promql(f"""
            sum {by()} ({n.SESSIONS_ACTIVE}) > 0
            unless
            sum {by()} (rate({n.TRANSACTIONS}[30m])) > 0
        """),
        for_="15m",
        severity="warning",
        summary=f"{label(n.SERVICE)} has active sessions but no transactions",
        description=(
            f"{WHERE} has {VALUE_HUMAN} active sessions but recorded no transaction in "
            "the last 30 minutes (for 15 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "Users are active but nobody completed a transaction (success or "
                "failure) for 30 minutes: checkout is broken before a transaction is "
                "recorded, or the recording itself stopped."
            ),
            checks=(
                "Open the panel with *Active sessions*; try a transaction yourself.",
                "Check *Error ratio by route* for the checkout routes and *Folded "
                "attribute values* for a renamed transaction type.",
            ),
            panel="Service overview > Business > Transactions by status",
            mitigations=("Roll back a deployment that broke the checkout path.",),
        ),
        fires=Scenario(
            "5 sessions, transactions counter stands still",
            _sessions("5x60", "100x60"),
            at="60m",
            fired=(Fired(svc(), "5"),),
        ),
        near_misses=(
            Scenario("5 sessions and transactions grow", _sessions("5x60", "100+1x60"), at="60m"),
            Scenario(
                "quiet night: no sessions, no transactions", _sessions("0x60", "100x60"), at="60m"
            ),
        ),
    ),
    Alert(
        name="AuthFailureSpike",
        expr=promql(f"""
            {AUTH_FAILURE_RATIO} > 0.3
            and
            {AUTH_FAILURE_RATE} > 0.2
        """),
        for_="2m",
        severity="warning",
        summary=f"Authentication failures spike on {label(n.SERVICE)}",
        description=(
            f"{VALUE_PERCENT} of {label(n.AUTH_METHOD)} authentication attempts on {WHERE} "
            "failed over 5 minutes (thresholds: 30 % and 0.2 failures/s)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 30 % of attempts of one authentication method fail, at more "
                "than 12 failures per minute, for 2 minutes: credential stuffing or "
                "brute force, or a broken identity provider."
            ),
            checks=(
                "Open the panel with *Security events by severity*: do brute-force "
                "events rise too?",
                "In the access logs: few source addresses (attack) or everybody "
                "(broken login, expired signing key, clock skew)?",
            ),
            panel="Service overview > Security > Auth failure ratio",
            mitigations=(
                "Attack: rate-limit or block the sources at the edge, enforce captcha/MFA.",
                "Breakage: fix or roll back the identity-provider configuration.",
            ),
        ),
        fires=Scenario(
            "half of 1 attempt/s fail",
            _auth("0+30x10", "0+30x10"),
            at="10m",
            fired=(Fired(svc({n.AUTH_METHOD: "password"}), "50%"),),
        ),
        near_misses=(
            Scenario("half fail, but only 0.1 failures/s", _auth("0+6x10", "0+6x10"), at="10m"),
            Scenario(
                "1 failure/s, but only 20 % of attempts", _auth("0+240x10", "0+60x10"), at="10m"
            ),
        ),
    ),
    Alert(
        name="SecurityEventCritical",
        expr=promql(f"""
            sum {by(n.SECURITY_EVENT_TYPE)} (increase({_CRITICAL}[5m])) > 0
            or
            sum {by(n.SECURITY_EVENT_TYPE)} ({_CRITICAL} unless {_CRITICAL} offset 5m)
        """),
        for_="0m",
        severity="critical",
        summary=f"Critical security event {label(n.SECURITY_EVENT_TYPE)} on {label(n.SERVICE)}",
        description=(
            f"{WHERE} recorded security events of type {label(n.SECURITY_EVENT_TYPE)} with "
            "severity critical during the last 5 minutes."
        ),
        runbook=Runbook(
            meaning=(
                "The service recorded at least one security event of severity critical "
                "in the last 5 minutes. The second half of the expression catches the "
                "first event of a type, whose counter series is born at 1 and which "
                "increase() cannot see."
            ),
            checks=(
                "Open the panel; the event type says what was detected. Read the "
                "service's security log for the same minutes (source, user, request).",
                "Follow the security incident process: inform the security on-call.",
            ),
            panel="Service overview > Security > Security events by severity",
            mitigations=(
                "Contain first: block the source, revoke the affected credentials or "
                "sessions, disable the abused feature.",
            ),
        ),
        fires=Scenario(
            "first ever privilege_escalation event, and a growing sql_injection count",
            (
                _event("privilege_escalation", "critical", "_x10 1x5"),
                _event("sql_injection", "critical", "0x10 1+1x5"),
            ),
            at="12m",
            fired=(
                Fired(svc({n.SECURITY_EVENT_TYPE: "privilege_escalation"})),
                Fired(svc({n.SECURITY_EVENT_TYPE: "sql_injection"})),
            ),
        ),
        near_misses=(
            Scenario(
                "one critical event 30 minutes ago",
                (_event("privilege_escalation", "critical", "_x5 1x40"),),
                at="45m",
            ),
            Scenario(
                "high-severity events only", (_event("brute_force", "high", "0+1x15"),), at="15m"
            ),
        ),
    ),
    Alert(
        name="SecurityEventsHighSeverityRate",
        expr=f"sum {by(n.SECURITY_EVENT_TYPE)} (rate({_HIGH}[5m])) * 60 > 3",
        for_="5m",
        severity="warning",
        summary=f"High-severity security events on {label(n.SERVICE)}",
        description=(
            f"{WHERE} records {VALUE_HUMAN} {label(n.SECURITY_EVENT_TYPE)} events of severity "
            "high per minute (threshold 3/min for 5 minutes)."
        ),
        runbook=Runbook(
            meaning=(
                "More than 3 security events of severity high per minute, of one type, "
                "for 5 minutes: an attack in progress or a misbehaving client."
            ),
            checks=(
                "Open the panel; read the security log for the sources of the events.",
                "Check *Auth failure ratio* for a concurrent brute-force attempt.",
            ),
            panel="Service overview > Security > Security events by severity",
            mitigations=("Block or rate-limit the sources at the edge.",),
        ),
        fires=Scenario(
            "6 brute_force events per minute",
            (_event("brute_force", "high", "0+6x15"),),
            at="15m",
            fired=(Fired(svc({n.SECURITY_EVENT_TYPE: "brute_force"}), "6"),),
        ),
        near_misses=(
            Scenario(
                "2 brute_force events per minute",
                (_event("brute_force", "high", "0+2x15"),),
                at="15m",
            ),
        ),
    ),
)

GROUP = RuleGroup(
    file="domain",
    name="qf-domain",
    title="Quantum, health, business and security",
    records=RECORDS,
    alerts=ALERTS,
)
