"""docs/metrics.md is the fresh render of the code: regenerate it when this fails."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.apps import ROOT, child_env

DOC = ROOT / "docs" / "metrics.md"


def test_docs_metrics_md_matches_the_code() -> None:
    # A fresh process: configuration or tests in this one may have extended the vocabularies.
    rendered = subprocess.run(
        [sys.executable, "-m", "qf_otel.catalog"], env=child_env(), cwd=ROOT,
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout
    assert Path(DOC).read_text() == rendered, (
        "docs/metrics.md is stale: run `python -m qf_otel.catalog > docs/metrics.md`"
    )


def test_catalog_lists_every_domain_metric_under_its_prometheus_name() -> None:
    from qf_otel.catalog import rows

    names = {row.name: row.prometheus_name for row in rows()}
    expected = {
        "qf.quantum.coherence": "qf_quantum_coherence_ratio",
        "qf.quantum.algorithm.duration": "qf_quantum_algorithm_duration_seconds",
        "qf.quantum.optimization.cycles": "qf_quantum_optimization_cycles_total",
        "qf.health.score": "qf_health_score_ratio",
        "qf.health.connections": "qf_health_connections",
        "qf.health.errors": "qf_health_errors_total",
        "qf.business.sessions.active": "qf_business_sessions_active",
        "qf.business.transactions": "qf_business_transactions_total",
        "qf.business.revenue": "qf_business_revenue_total",
        "qf.security.events": "qf_security_events_total",
        "qf.security.auth.attempts": "qf_security_auth_attempts_total",
        "qf.otel.attribute.folded": "qf_otel_attribute_folded_total",
        "qf.otel.record.rejected": "qf_otel_record_rejected_total",
        "process.cpu.utilization": "process_cpu_utilization_ratio",
        "process.memory.usage": "process_memory_usage_bytes",
        "system.cpu.utilization": "system_cpu_utilization_ratio",
        "system.memory.utilization": "system_memory_utilization_ratio",
        "system.filesystem.utilization": "system_filesystem_utilization_ratio",
    }
    assert {name: names.get(name) for name in expected} == expected
