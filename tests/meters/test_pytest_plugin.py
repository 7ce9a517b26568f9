"""The pytest plugin as a user's suite sees it: a separate pytest run on a user's test files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tests.support.apps import child_env

WITHOUT_CONFIGURE = '''
from qf_otel import business, quantum


def test_counts_before_configure(qf_metrics):
    business.record_transaction(amount=12.5, currency="EUR", kind="purchase", status="success")
    business.record_transaction(amount=2.5, currency="EUR", kind="purchase", status="success")
    assert qf_metrics.value("qf.business.transactions", {"qf.transaction.type": "purchase"}) == 2
    assert qf_metrics.value("qf.business.revenue", {"currency": "EUR"}) == 15.0


def test_each_test_sees_only_its_own_delta(qf_metrics):
    business.record_transaction(kind="purchase", status="success")
    assert qf_metrics.value("qf.business.transactions") == 1


def test_histograms_and_restart(qf_metrics):
    quantum.record_run(0.2, algorithm="vqe", system="qpu-a")
    run = qf_metrics.histogram("qf.quantum.algorithm.duration", {"qf.quantum.algorithm": "vqe"})
    assert (run.count, run.sum) == (1, 0.2)
    qf_metrics.restart()
    assert qf_metrics.histogram("qf.quantum.algorithm.duration").count == 0


def test_rejections_are_assertable(qf_metrics):
    quantum.set_coherence(float("nan"), system="qpu-a")
    assert qf_metrics.rejected("qf.quantum.coherence", "nan") == 1


def test_spans_are_empty_when_traces_are_off(qf_spans):
    assert qf_spans.enabled is False
    assert qf_spans.spans == []
'''

WITH_CONFIGURE = '''
import pytest
import qf_otel
from opentelemetry import metrics, trace
from qf_otel import health


@pytest.fixture(scope="module", autouse=True)
def telemetry():
    from qf_otel.testing import metric_reader

    handle = qf_otel.configure(
        service_name="user-suite", metrics_exporters="none", traces_enabled=True,
        otlp_endpoint="http://127.0.0.1:9", otlp_timeout=1, instrumentations=["system_metrics"],
        additional_metric_readers=[metric_reader()],
    )
    yield handle
    qf_otel.shutdown(timeout=2)


def test_fast_core_and_sdk_instruments(qf_metrics):
    health.set_score(0.75, component="db")
    own = metrics.get_meter("user.app").create_counter("user.orders")
    own.add(3, {"region": "eu"})
    own.add(1, {"region": "us"})
    assert qf_metrics.value("qf.health.score", {"qf.component": "db"}) == 0.75
    assert qf_metrics.value("user.orders", {"region": "eu"}) == 3
    assert qf_metrics.value("user.orders") == 4
    assert qf_metrics.current("process.memory.usage") > 1_000_000
    assert 0 <= qf_metrics.value("system.memory.utilization") <= 1


def test_spans_when_traces_are_on(qf_spans):
    with trace.get_tracer("user.app").start_as_current_span("checkout"):
        pass
    assert qf_spans.enabled
    assert [span.name for span in qf_spans.named("checkout")] == ["checkout"]


def test_unknown_names_say_how_to_fix(qf_metrics):
    with pytest.raises(LookupError, match="additional_metric_readers"):
        qf_metrics.value("no.such.metric")
'''


def _run_user_suite(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, env=child_env(), capture_output=True, text=True, timeout=120,
    )


def test_plugin_works_without_configure(tmp_path: Path) -> None:
    result = _run_user_suite(tmp_path, WITHOUT_CONFIGURE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_plugin_reads_sdk_instruments_and_spans_after_configure(tmp_path: Path) -> None:
    result = _run_user_suite(tmp_path, WITH_CONFIGURE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
