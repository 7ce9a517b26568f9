"""Bad input is never recorded, never raised: it is counted (and logged once) instead."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from qf_otel import _vocabulary, business, health, quantum, security
from qf_otel.testing import MetricsCapture

NAN = math.nan
INF = math.inf


def _run(kind: str, value: Any) -> Callable[[], None]:
    """A call of one public recording function with `value` where the number goes."""
    calls: dict[str, Callable[[], None]] = {
        "set_coherence": lambda: quantum.set_coherence(value, system="qpu-a"),
        "coherence.set": lambda: quantum.coherence(system="qpu-a").set(value),
        "record_cycles": lambda: quantum.record_cycles(value, algorithm="vqe", system="qpu-a"),
        "run.add_cycles": lambda: quantum.algorithm_run("vqe", system="qpu-a").add_cycles(value),
        "record_run": lambda: quantum.record_run(value, algorithm="vqe", system="qpu-a"),
        "record_transaction": lambda: business.record_transaction(
            amount=value, currency="EUR", kind="purchase", status="success"),
        "transactions.add": lambda: business.transactions(
            kind="purchase", status="success").add(value),
        "revenue.add": lambda: business.revenue(currency="EUR").add(value),
        "sessions_active.add": lambda: business.sessions_active().add(value),
        "set_score": lambda: health.set_score(value, component="db"),
        "score.set": lambda: health.score(component="db").set(value),
        "errors.add": lambda: health.errors("TimeoutError", component="db").add(value),
        "connections.add": lambda: health.connections(component="db").add(value),
        "events.add": lambda: security.events("brute_force", severity="high").add(value),
        "auth_attempts.add": lambda: security.auth_attempts(
            method="password", outcome="failure").add(value),
    }
    return calls[kind]


METRIC = {
    "set_coherence": "qf.quantum.coherence", "coherence.set": "qf.quantum.coherence",
    "record_cycles": "qf.quantum.optimization.cycles",
    "run.add_cycles": "qf.quantum.optimization.cycles",
    "record_run": "qf.quantum.algorithm.duration",
    "record_transaction": "qf.business.revenue", "transactions.add": "qf.business.transactions",
    "revenue.add": "qf.business.revenue", "sessions_active.add": "qf.business.sessions.active",
    "set_score": "qf.health.score", "score.set": "qf.health.score",
    "errors.add": "qf.health.errors", "connections.add": "qf.health.connections",
    "events.add": "qf.security.events", "auth_attempts.add": "qf.security.auth.attempts",
}
RATIOS = ("set_coherence", "coherence.set", "set_score", "score.set")
UP_DOWN = ("sessions_active.add", "connections.add")
MONOTONIC = tuple(k for k in METRIC if k not in RATIOS + UP_DOWN)

CASES: list[tuple[str, object, str]] = []
for call in METRIC:
    CASES += [(call, NAN, "nan"), (call, INF, "infinite"), (call, -INF, "infinite"),
              (call, "1", "wrong_type"), (call, None, "wrong_type"), (call, True, "wrong_type"),
              (call, [1], "wrong_type")]
# amount=None is a transaction without an amount, not a bad one
CASES.remove(("record_transaction", None, "wrong_type"))
CASES += [(call, -1, "negative") for call in MONOTONIC]
CASES += [(call, 10**400, "out_of_range") for call in METRIC]  # beyond float range
CASES += [(call, Decimal("sNaN"), "out_of_range") for call in METRIC]
CASES += [(call, -0.01, "out_of_range") for call in RATIOS]
CASES += [(call, 1.01, "out_of_range") for call in RATIOS]


def _state(qf_metrics: MetricsCapture, metric: str) -> list[tuple[dict[str, object], object]]:
    return sorted(qf_metrics.series(metric), key=repr)


@pytest.mark.parametrize(("call", "value", "reason"), CASES,
                         ids=[f"{c}-{v!r:.20}" for c, v, _ in CASES])
def test_bad_value_is_rejected_and_counted(
    qf_metrics: MetricsCapture, call: str, value: object, reason: str
) -> None:
    metric = METRIC[call]
    record = _run(call, value)
    record()  # binds the attribute set (if the call binds first) before the state is taken
    before = _state(qf_metrics, metric)
    rejected = qf_metrics.rejected(metric, reason)

    record()  # must not raise

    assert qf_metrics.rejected(metric, reason) == rejected + 1
    assert _state(qf_metrics, metric) == before


@pytest.mark.parametrize("call", list(METRIC))
def test_decimal_and_int_values_are_accepted(qf_metrics: MetricsCapture, call: str) -> None:
    _run(call, Decimal("0.5"))()
    _run(call, 1)()
    assert qf_metrics.rejected() == 0


def test_a_bad_amount_rejects_the_whole_transaction(qf_metrics: MetricsCapture) -> None:
    business.record_transaction(amount=-5, currency="EUR", kind="purchase", status="success")
    business.record_transaction(amount=5, kind="purchase", status="success")  # no currency
    assert qf_metrics.value("qf.business.transactions") == 0
    assert qf_metrics.value("qf.business.revenue") == 0
    assert qf_metrics.rejected("qf.business.revenue", "negative") == 1
    assert qf_metrics.rejected("qf.business.revenue", "wrong_type") == 1


@pytest.mark.parametrize(
    ("record", "metric", "key", "attributes"),
    [
        (lambda: quantum.set_coherence(0.5, system="qpu-unknown"), "qf.quantum.coherence",
         "qf.quantum.system", {"qf.quantum.system": "other"}),
        (lambda: quantum.record_cycles(1, algorithm="my-algo", system="qpu-a"),
         "qf.quantum.optimization.cycles", "qf.quantum.algorithm",
         {"qf.quantum.algorithm": "other", "qf.quantum.system": "qpu-a"}),
        (lambda: business.record_transaction(amount=1, currency="XBT", kind="purchase",
                                             status="success"),
         "qf.business.revenue", "currency", {"currency": "other"}),
        (lambda: business.record_transaction(kind="purchase", status="weird"),
         "qf.business.transactions", "qf.transaction.status",
         {"qf.transaction.type": "purchase", "qf.transaction.status": "other"}),
        (lambda: health.record_error("TimeoutError", component="user-1234"), "qf.health.errors",
         "qf.component", {"qf.component": "other", "error.type": "TimeoutError"}),
        (lambda: health.record_error("not an identifier!", component="db"), "qf.health.errors",
         "error.type", {"qf.component": "db", "error.type": "other"}),
        (lambda: security.record_event("brute_force", severity="HIGH"), "qf.security.events",
         "qf.security.severity",
         {"qf.security.event.type": "brute_force", "qf.security.severity": "other"}),
        (lambda: security.record_auth_attempt(method=42, outcome="failure"),  # type: ignore[arg-type]
         "qf.security.auth.attempts", "qf.auth.method",
         {"qf.auth.method": "other", "qf.auth.outcome": "failure"}),
        (lambda: security.record_auth_attempt(method=None, outcome="failure"),  # type: ignore[arg-type]
         "qf.security.auth.attempts", "qf.auth.method",
         {"qf.auth.method": "other", "qf.auth.outcome": "failure"}),
    ],
)
def test_unknown_attribute_values_fold_to_other_and_are_counted(
    qf_metrics: MetricsCapture,
    record: Callable[[], None],
    metric: str,
    key: str,
    attributes: dict[str, str],
) -> None:
    record()
    record()
    assert qf_metrics.folded(key) == 2
    if metric == "qf.quantum.coherence":
        assert qf_metrics.value(metric, attributes) == 0.5
    else:
        assert qf_metrics.value(metric, attributes) == 2
    assert qf_metrics.rejected() == 0


def test_error_type_admits_a_bounded_number_of_names(
    qf_metrics: MetricsCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    vocabulary = _vocabulary.get("error.type")
    assert vocabulary is not None
    monkeypatch.setattr(vocabulary, "admitted", set())
    for index in range(vocabulary.admit_limit + 10):
        health.record_error(f"Error{index}", component="api")
    errors = "qf.health.errors"
    assert qf_metrics.value(errors, {"qf.component": "api", "error.type": "Error0"}) == 1
    last = f"Error{vocabulary.admit_limit - 1}"
    assert qf_metrics.value(errors, {"qf.component": "api", "error.type": last}) == 1
    assert qf_metrics.value(errors, {"qf.component": "api", "error.type": "other"}) == 10
    assert qf_metrics.folded("error.type") == 10


def test_rejections_are_logged_once_per_metric_and_reason(
    qf_metrics: MetricsCapture, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(_vocabulary, "_logged", set())
    with caplog.at_level(logging.WARNING, logger="qf_otel.meters"):
        for _ in range(3):
            quantum.set_coherence(NAN, system="qpu-a")
            quantum.set_coherence(2.0, system="qpu-a")
            quantum.set_coherence(0.5, system="qpu-zzz")
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 3
    assert sum("qf.quantum.coherence not recorded: nan" in m for m in messages) == 1
    assert sum("qf.quantum.coherence not recorded: out_of_range" in m for m in messages) == 1
    assert sum("attribute qf.quantum.system" in m for m in messages) == 1
    assert qf_metrics.rejected("qf.quantum.coherence") == 6
    assert qf_metrics.folded("qf.quantum.system") == 3


def _broken_fold(key: str, value: object) -> str:
    raise RuntimeError("a bug inside qf-otel")


@pytest.mark.parametrize(
    ("record", "metric"),
    [
        (lambda: quantum.set_coherence(0.5, system="qpu-new"), "qf.quantum.coherence"),
        (lambda: quantum.coherence(system="qpu-new").set(0.5), "qf.quantum.coherence"),
        (lambda: business.record_transaction(kind="new", status="success"),
         "qf.business.transactions"),
        (lambda: health.record_error("NewError", component="new"), "qf.health.errors"),
        (lambda: health.connections(component="new").add(1), "qf.health.connections"),
        (lambda: security.record_event("new", severity="high"), "qf.security.events"),
        (lambda: security.record_auth_attempt(method="new", outcome="success"),
         "qf.security.auth.attempts"),
    ],
)
def test_internal_errors_are_counted_not_raised(
    qf_metrics: MetricsCapture,
    monkeypatch: pytest.MonkeyPatch,
    record: Callable[[], None],
    metric: str,
) -> None:
    monkeypatch.setattr(_vocabulary, "fold", _broken_fold)
    record()
    assert qf_metrics.rejected(metric, "internal_error") == 1


def test_algorithm_run_never_raises_its_own_errors(
    qf_metrics: MetricsCapture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_vocabulary, "fold", _broken_fold)
    with quantum.algorithm_run("new", system="qpu-new") as run:
        run.add_cycles(1)
    with pytest.raises(KeyError), quantum.algorithm_run("new", system="qpu-new"):
        raise KeyError("the application's own error still propagates")
    assert qf_metrics.rejected("qf.quantum.algorithm.duration", "internal_error") == 2
    assert qf_metrics.rejected("qf.quantum.optimization.cycles", "internal_error") == 1
