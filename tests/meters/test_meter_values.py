"""Each domain meter records exactly what it is given, read back through the pytest plugin."""

from __future__ import annotations

import asyncio

import pytest

from qf_otel import business, health, quantum, security
from qf_otel.testing import MetricsCapture


def test_coherence_gauge_keeps_the_last_value_per_system(qf_metrics: MetricsCapture) -> None:
    quantum.set_coherence(0.5, system="qpu-a")
    quantum.set_coherence(0.93, system="qpu-a")
    quantum.coherence(system="qpu-b").set(1)
    assert qf_metrics.value("qf.quantum.coherence", {"qf.quantum.system": "qpu-a"}) == 0.93
    assert qf_metrics.value("qf.quantum.coherence", {"qf.quantum.system": "qpu-b"}) == 1.0


def test_algorithm_run_records_duration_outcome_and_cycles(qf_metrics: MetricsCapture) -> None:
    with quantum.algorithm_run("vqe", system="qpu-a") as run:
        run.add_cycles(5)
        run.add_cycles()
    with pytest.raises(RuntimeError), quantum.algorithm_run("qaoa", system="qpu-a"):
        raise RuntimeError("calibration lost")
    with quantum.algorithm_run("vqe", system="qpu-a") as run:
        run.mark_failure()

    success = qf_metrics.histogram(
        "qf.quantum.algorithm.duration",
        {"qf.quantum.algorithm": "vqe", "qf.quantum.system": "qpu-a", "qf.outcome": "success"},
    )
    assert success.count == 1
    assert 0 <= success.sum < 1.0
    assert success.bucket_counts[0] == 1  # well under the first bucket (10 ms)
    failures = qf_metrics.histogram("qf.quantum.algorithm.duration", {"qf.outcome": "failure"})
    assert failures.count == 2
    assert qf_metrics.value(
        "qf.quantum.optimization.cycles",
        {"qf.quantum.algorithm": "vqe", "qf.quantum.system": "qpu-a"},
    ) == 6


def test_algorithm_run_works_with_async_with(qf_metrics: MetricsCapture) -> None:
    async def run() -> None:
        async with quantum.algorithm_run("grover", system="simulator") as current:
            current.add_cycles(2)

    asyncio.run(run())
    assert qf_metrics.histogram(
        "qf.quantum.algorithm.duration", {"qf.quantum.algorithm": "grover"}
    ).count == 1
    assert qf_metrics.value(
        "qf.quantum.optimization.cycles", {"qf.quantum.algorithm": "grover"}
    ) == 2


def test_record_run_and_record_cycles_take_measured_values(qf_metrics: MetricsCapture) -> None:
    quantum.record_run(2.0, algorithm="shor", system="qpu-c", success=False)
    quantum.record_cycles(7, algorithm="shor", system="qpu-c")
    quantum.optimization_cycles(algorithm="shor", system="qpu-c").add(3)
    run = qf_metrics.histogram(
        "qf.quantum.algorithm.duration", {"qf.quantum.algorithm": "shor", "qf.outcome": "failure"}
    )
    assert (run.count, run.sum) == (1, 2.0)
    # 2.0 s falls in the (1.0, 2.5] bucket
    assert run.bucket_counts[quantum.ALGORITHM_BUCKETS.index(2.5)] == 1
    assert qf_metrics.value(
        "qf.quantum.optimization.cycles", {"qf.quantum.algorithm": "shor"}
    ) == 10


def test_transactions_and_revenue(qf_metrics: MetricsCapture) -> None:
    business.record_transaction(amount=12.5, currency="EUR", kind="purchase", status="success")
    business.record_transaction(amount=7.5, currency="EUR", kind="purchase", status="success")
    business.record_transaction(amount=100, currency="USD", kind="purchase", status="failure")
    business.record_transaction(amount=3, currency="EUR", kind="refund", status="success")
    business.record_transaction(kind="subscription", status="pending")
    business.transactions(kind="purchase", status="success").add()
    business.revenue(currency="JPY").add(1000)

    transactions = "qf.business.transactions"
    assert qf_metrics.value(transactions, {"qf.transaction.type": "purchase"}) == 4
    assert qf_metrics.value(
        transactions, {"qf.transaction.type": "purchase", "qf.transaction.status": "success"}
    ) == 3
    assert qf_metrics.value(transactions, {"qf.transaction.type": "refund"}) == 1
    assert qf_metrics.value(transactions, {"qf.transaction.status": "pending"}) == 1
    assert qf_metrics.value("qf.business.revenue", {"currency": "EUR"}) == 20.0
    assert qf_metrics.value("qf.business.revenue", {"currency": "USD"}) == 0
    assert qf_metrics.value("qf.business.revenue", {"currency": "JPY"}) == 1000


def test_sessions_go_up_and_down(qf_metrics: MetricsCapture) -> None:
    with business.session():
        with business.session():
            assert qf_metrics.value("qf.business.sessions.active") == 2
        assert qf_metrics.value("qf.business.sessions.active") == 1
    assert qf_metrics.value("qf.business.sessions.active") == 0

    async def open_session() -> float:
        async with business.session():
            return qf_metrics.value("qf.business.sessions.active")

    assert asyncio.run(open_session()) == 1
    business.sessions_active().add(3)
    assert qf_metrics.value("qf.business.sessions.active") == 3


def test_session_closes_when_the_block_raises(qf_metrics: MetricsCapture) -> None:
    with pytest.raises(ValueError), business.session():
        raise ValueError("boom")
    assert qf_metrics.value("qf.business.sessions.active") == 0


def test_health_score_errors_and_connections(qf_metrics: MetricsCapture) -> None:
    health.set_score(0.8, component="db")
    health.score(component="cache").set(0.25)
    health.record_error("TimeoutError", component="db")
    health.record_error(TimeoutError("slow"), component="db")
    health.record_error(ConnectionError, component="db")
    health.errors("TimeoutError", component="cache").add(2)
    pool = health.connections(component="db")
    pool.add(1)
    pool.add(1)
    pool.add(-1)

    assert qf_metrics.value("qf.health.score", {"qf.component": "db"}) == 0.8
    assert qf_metrics.value("qf.health.score", {"qf.component": "cache"}) == 0.25
    errors = "qf.health.errors"
    assert qf_metrics.value(errors, {"qf.component": "db", "error.type": "TimeoutError"}) == 2
    assert qf_metrics.value(errors, {"qf.component": "db", "error.type": "ConnectionError"}) == 1
    assert qf_metrics.value(errors, {"qf.component": "cache"}) == 2
    assert qf_metrics.value("qf.health.connections", {"qf.component": "db"}) == 1


def test_security_events_and_auth_attempts(qf_metrics: MetricsCapture) -> None:
    security.record_event("brute_force", severity="high")
    security.record_event("brute_force", severity="high")
    security.events("suspicious_ip", severity="low").add()
    security.record_auth_attempt(method="password", outcome="failure")
    security.record_auth_attempt(method="password", outcome="success")
    security.auth_attempts(method="oauth", outcome="success").add(4)

    events = "qf.security.events"
    assert qf_metrics.value(
        events, {"qf.security.event.type": "brute_force", "qf.security.severity": "high"}
    ) == 2
    assert qf_metrics.value(events, {"qf.security.severity": "low"}) == 1
    attempts = "qf.security.auth.attempts"
    assert qf_metrics.value(attempts, {"qf.auth.method": "password"}) == 2
    assert qf_metrics.value(attempts, {"qf.auth.outcome": "success"}) == 5
    assert qf_metrics.value(
        attempts, {"qf.auth.method": "password", "qf.auth.outcome": "failure"}
    ) == 1


def test_bound_recorders_are_cached_per_attribute_set() -> None:
    assert business.transactions(kind="purchase", status="success") is business.transactions(
        kind="purchase", status="success"
    )
    assert quantum.coherence(system="qpu-a") is quantum.coherence(system="qpu-a")



def test_unknown_values_share_the_other_series(qf_metrics: MetricsCapture) -> None:
    quantum.coherence(system="made-up-1").set(0.25)
    quantum.coherence(system="made-up-2").set(0.5)
    assert qf_metrics.value("qf.quantum.coherence", {"qf.quantum.system": "other"}) == 0.5
    assert qf_metrics.folded("qf.quantum.system") == 2


def test_values_recorded_in_valid_ways_are_never_rejected(qf_metrics: MetricsCapture) -> None:
    test_transactions_and_revenue(qf_metrics)
    test_health_score_errors_and_connections(qf_metrics)
    assert qf_metrics.rejected() == 0
    assert qf_metrics.folded() == 0


def test_a_bound_gauge_is_not_exported_before_its_first_value(qf_metrics: MetricsCapture) -> None:
    gauge = health.score(component="scheduler")
    assert {"qf.component": "scheduler"} not in [a for a, _ in qf_metrics.series("qf.health.score")]
    gauge.set(float("nan"))  # rejected: still nothing to export
    assert {"qf.component": "scheduler"} not in [a for a, _ in qf_metrics.series("qf.health.score")]
    gauge.set(0.5)
    assert qf_metrics.value("qf.health.score", {"qf.component": "scheduler"}) == 0.5
