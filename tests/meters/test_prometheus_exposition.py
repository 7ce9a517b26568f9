"""End to end: a real process configures qf-otel and records every meter; the exposition shows
exactly those values under the catalog's Prometheus names and labels, on both paths: scraped from
the process (pull) and through the built Collector (OTLP push, the Collector's prometheus exporter).
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.collector import collector_process
from tests.support.apps import ChildProcess
from tests.support.ports import free_port, get_text, wait_for_http

RECORDER = """
import os, time
import qf_otel
from qf_otel import business, health, quantum, security

if os.environ.get("OTLP"):
    export = {"metrics_exporters": "otlp", "otlp_endpoint": os.environ["OTLP"],
              "export_interval": 0.5}
else:
    export = {"prometheus_port": int(os.environ["PORT"])}
qf_otel.configure(
    service_name="meters-e2e", environment="test", instrumentations=["system_metrics"],
    allowed_values={"qf.quantum.system": ["qpu-z"]}, **export,
)
quantum.set_coherence(0.93, system="qpu-a")
quantum.coherence(system="qpu-z").set(0.5)
quantum.set_coherence(0.1, system="not-a-system")   # folded to other, counted
quantum.set_coherence(1.5, system="qpu-a")          # rejected: out of range
quantum.record_run(2.0, algorithm="vqe", system="qpu-a")
with quantum.algorithm_run("vqe", system="qpu-a") as run:
    run.add_cycles(5)
try:
    with quantum.algorithm_run("qaoa", system="qpu-b"):
        raise RuntimeError("lost calibration")
except RuntimeError:
    pass
business.record_transaction(amount=12.5, currency="EUR", kind="purchase", status="success")
business.record_transaction(amount=7.5, currency="EUR", kind="purchase", status="success")
business.record_transaction(amount=3, currency="EUR", kind="refund", status="success")
business.record_transaction(amount=-1, currency="EUR", kind="purchase", status="success")
business.sessions_active().add(1)
with business.session():
    pass
health.set_score(0.8, component="db")
health.record_error("TimeoutError", component="db")
health.record_error(TimeoutError(), component="db")
pool = health.connections(component="db")
pool.add(4)
pool.add(-1)
security.record_event("brute_force", severity="high")
security.record_auth_attempt(method="password", outcome="failure")
security.auth_attempts(method="password", outcome="failure").add()
print("recorded", flush=True)
time.sleep(300)
"""

# Labels that say where a series comes from, not what it measures: ignored by the assertions.
CONTEXT_LABELS = {"service_name", "service_namespace", "deployment_environment_name", "job",
                  "instance"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def _is_context(label: str) -> bool:
    return label in CONTEXT_LABELS or label.startswith("otel_scope_")


def _wait_for_line(child: ChildProcess, expected: str, timeout: float = 30.0) -> None:
    """Block until the child prints `expected` (it has recorded everything), or fail."""
    stream = child.process.stdout
    assert stream is not None
    deadline = time.monotonic() + timeout
    seen = b""
    while time.monotonic() < deadline and expected.encode() + b"\n" not in seen:
        ready, _, _ = select.select([stream], [], [], 0.2)
        if ready:  # raw reads: a buffered readline could hide lines from select()
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    if expected.encode() + b"\n" in seen:
        return
    raise AssertionError(f"child did not print {expected!r}; output: {seen.decode()}")


def _pull_exposition() -> Iterator[str]:
    port = free_port()
    child = ChildProcess.python(RECORDER, env={"PORT": str(port)})
    try:
        _wait_for_line(child, "recorded")
        wait_for_http(f"http://127.0.0.1:{port}/metrics")
        yield get_text(f"http://127.0.0.1:{port}/metrics")
    finally:
        child.stop()


def _collector_exposition(work_dir: Path) -> Iterator[str]:
    if not collector_process.collector_available():
        pytest.skip(collector_process.MISSING_BINARY_REASON)
    collector = collector_process.start_collector(["otelcol.yaml"], work_dir=work_dir)
    child = ChildProcess.python(RECORDER, env={"OTLP": collector.otlp_http_url})
    try:
        _wait_for_line(child, "recorded")
        # Pushed every 0.5 s: wait until the last recorded value has arrived.
        deadline = time.monotonic() + 30
        text = collector.scrape()
        while "qf_security_auth_attempts_total" not in text and time.monotonic() < deadline:
            time.sleep(0.2)
            text = collector.scrape()
        yield text
    finally:
        child.stop()
        collector.stop()


@pytest.fixture(scope="module", params=["pull", "collector"])
def exposition(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[str]:
    if request.param == "pull":
        yield from _pull_exposition()
    else:
        yield from _collector_exposition(tmp_path_factory.mktemp("collector"))


@pytest.fixture(scope="module")
def samples(exposition: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            labels = frozenset((k, v) for k, v in sample.labels.items() if not _is_context(k))
            found[(sample.name, labels)] = sample.value
    return found


def _get(samples: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    if key not in samples:
        candidates = sorted(str(dict(k[1])) for k in samples if k[0] == name)
        raise AssertionError(f"no sample {name}{labels}; {name} has: {candidates}")
    return samples[key]


def test_quantum_metrics(samples: Samples) -> None:
    assert _get(samples, "qf_quantum_coherence_ratio", qf_quantum_system="qpu-a") == 0.93
    assert _get(samples, "qf_quantum_coherence_ratio", qf_quantum_system="qpu-z") == 0.5
    assert _get(samples, "qf_quantum_coherence_ratio", qf_quantum_system="other") == 0.1
    run = {"qf_quantum_algorithm": "vqe", "qf_quantum_system": "qpu-a", "qf_outcome": "success"}
    assert _get(samples, "qf_quantum_algorithm_duration_seconds_count", **run) == 2
    assert 2.0 <= _get(samples, "qf_quantum_algorithm_duration_seconds_sum", **run) < 3.0
    assert _get(samples, "qf_quantum_algorithm_duration_seconds_bucket", le="0.01", **run) == 1
    assert _get(samples, "qf_quantum_algorithm_duration_seconds_bucket", le="1", **run) == 1
    assert _get(samples, "qf_quantum_algorithm_duration_seconds_bucket", le="2.5", **run) == 2
    assert _get(samples, "qf_quantum_algorithm_duration_seconds_bucket", le="+Inf", **run) == 2
    failed = {"qf_quantum_algorithm": "qaoa", "qf_quantum_system": "qpu-b",
              "qf_outcome": "failure"}
    assert _get(samples, "qf_quantum_algorithm_duration_seconds_count", **failed) == 1
    assert _get(samples, "qf_quantum_optimization_cycles_total",
                qf_quantum_algorithm="vqe", qf_quantum_system="qpu-a") == 5


def test_business_metrics(samples: Samples) -> None:
    assert _get(samples, "qf_business_transactions_total",
                qf_transaction_type="purchase", qf_transaction_status="success") == 2
    assert _get(samples, "qf_business_transactions_total",
                qf_transaction_type="refund", qf_transaction_status="success") == 1
    assert _get(samples, "qf_business_revenue_total", currency="EUR") == 20.0
    assert _get(samples, "qf_business_sessions_active") == 1


def test_health_metrics(samples: Samples) -> None:
    assert _get(samples, "qf_health_score_ratio", qf_component="db") == 0.8
    assert _get(samples, "qf_health_errors_total", qf_component="db",
                error_type="TimeoutError") == 2
    assert _get(samples, "qf_health_connections", qf_component="db") == 3


def test_security_metrics(samples: Samples) -> None:
    assert _get(samples, "qf_security_events_total",
                qf_security_event_type="brute_force", qf_security_severity="high") == 1
    assert _get(samples, "qf_security_auth_attempts_total",
                qf_auth_method="password", qf_auth_outcome="failure") == 2


def test_self_metrics_count_folds_and_rejections(samples: Samples) -> None:
    assert _get(samples, "qf_otel_attribute_folded_total",
                qf_otel_attribute_key="qf.quantum.system") == 1
    assert _get(samples, "qf_otel_record_rejected_total",
                qf_otel_metric_name="qf.quantum.coherence", reason="out_of_range") == 1
    assert _get(samples, "qf_otel_record_rejected_total",
                qf_otel_metric_name="qf.business.revenue", reason="negative") == 1


def test_infrastructure_metrics(samples: Samples) -> None:
    assert 0 <= _get(samples, "process_cpu_utilization_ratio") <= 1
    assert _get(samples, "process_memory_usage_bytes") > 10_000_000
    modes = {dict(labels)["cpu_mode"] for name, labels in samples
             if name == "system_cpu_utilization_ratio"}
    assert modes == {"idle", "interrupt", "iowait", "nice", "steal", "system", "user"}
    assert 0 < _get(samples, "system_memory_utilization_ratio", system_memory_state="used") < 1
    assert 0 < _get(samples, "system_filesystem_utilization_ratio",
                    system_filesystem_mountpoint="/") <= 1


def test_every_series_names_its_service(exposition: str) -> None:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if family.name != "target_info":
                assert sample.labels.get("service_name") == "meters-e2e", sample


def test_exposition_passes_promtool(exposition: str) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    checked = subprocess.run([promtool, "check", "metrics"], input=exposition,
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
