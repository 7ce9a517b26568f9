"""The Collector configuration, checked with the real built binary (collector/bin/qf-otelcol).

- every config file and every documented overlay combination passes `qf-otelcol validate`;
- the base config starts on free ports, answers on health_check, serves its own otelcol_* metrics;
- one OTLP/HTTP export from the Python SDK comes out of the prometheus exporter with the exact
  names, values and labels docs/collector.md promises (sensitive attributes gone).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from collector_process import (
    COLLECTOR_BINARY,
    CONFIG_DIR,
    MISSING_BINARY_REASON,
    RunningCollector,
    collector_available,
    config_arguments,
    http_get,
    start_collector,
    wait_for_family,
)
from otlp_payloads import (
    COHERENCE,
    SERVICE_LABELS,
    TRANSACTIONS_TOTAL,
    send_metrics,
)

pytestmark = [
    pytest.mark.collector,
    pytest.mark.skipif(not collector_available(), reason=MISSING_BINARY_REASON),
]

# The combinations docs/collector.md documents, base first; each is validated as one config.
CONFIG_COMBINATIONS: list[tuple[str, ...]] = [
    ("otelcol.yaml",),
    ("otelcol.yaml", "remote-write.yaml"),
    ("otelcol.yaml", "traces.yaml"),
    ("otelcol.yaml", "traces.yaml", "traces-otlp.yaml"),
    ("otelcol.yaml", "traces.yaml", "spanmetrics.yaml"),
    ("otelcol.yaml", "remote-write.yaml", "traces.yaml", "traces-otlp.yaml"),
    ("otelcol.yaml", "agent.yaml"),
]


def test_every_config_file_is_in_a_validated_combination() -> None:
    # A new overlay must be added to CONFIG_COMBINATIONS (and to docs/collector.md).
    files = {p.name for p in CONFIG_DIR.glob("*.yaml")}
    combined = {name for combination in CONFIG_COMBINATIONS for name in combination}
    assert files == combined


def test_every_environment_variable_is_documented_with_its_default() -> None:
    docs = (CONFIG_DIR.parents[1] / "docs" / "collector.md").read_text()
    references = {
        match.groups()
        for path in CONFIG_DIR.glob("*.yaml")
        for match in re.finditer(r"\$\{env:([A-Z0-9_]+):-([^}]*)\}", path.read_text())
    }
    assert len(references) > 10
    undocumented = {
        (name, default) for name, default in references if f"| `{name}` | `{default}` |" not in docs
    }
    assert undocumented == set()


@pytest.mark.parametrize("path", sorted(CONFIG_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_memory_limiter_is_first_in_every_pipeline(path: Path) -> None:
    # It can only protect the process if nothing allocates for a batch before it decides.
    pipelines = yaml.safe_load(path.read_text()).get("service", {}).get("pipelines", {})
    for name, pipeline in pipelines.items():
        processors = pipeline.get("processors")
        if processors is not None:  # an overlay that only restates exporters keeps the base list
            assert processors[0] == "memory_limiter", f"{path.name}: {name}"


@pytest.mark.parametrize("configs", CONFIG_COMBINATIONS, ids="+".join)
def test_config_validates(configs: tuple[str, ...], tmp_path: Path) -> None:
    env = {**os.environ, "QF_OTELCOL_STORAGE_DIR": str(tmp_path / "storage")}
    result = subprocess.run(
        [str(COLLECTOR_BINARY), "validate", *config_arguments(configs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_validate_rejects_a_broken_config(tmp_path: Path) -> None:
    # Guards the test above: validate must really check (unknown processor in the pipeline).
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "service:\n  pipelines:\n    metrics:\n      processors: [no_such_processor]\n"
    )
    result = subprocess.run(
        [str(COLLECTOR_BINARY), "validate", *config_arguments(["otelcol.yaml", broken])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no_such_processor" in result.stderr


@pytest.fixture(scope="module")
def base_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningCollector]:
    collector = start_collector(["otelcol.yaml"], work_dir=tmp_path_factory.mktemp("otelcol"))
    yield collector
    assert collector.stop() == 0, collector.log()[-4000:]


def test_health_check_answers(base_collector: RunningCollector) -> None:
    status, body = http_get(base_collector.health_url)
    assert status == 200
    assert "Server available" in body


def test_self_telemetry_is_served(base_collector: RunningCollector) -> None:
    status, body = http_get(base_collector.telemetry_url)
    assert status == 200
    names = {line.split("{")[0].split(" ")[0] for line in body.splitlines() if line[:1] != "#"}
    assert "otelcol_process_uptime" in names
    assert any(name.startswith("otelcol_process_memory_rss") for name in names)


@pytest.fixture(scope="module")
def exported(base_collector: RunningCollector) -> RunningCollector:
    send_metrics(base_collector.otlp_http_url)
    return base_collector


def test_counter_arrives_with_exact_value_and_labels(exported: RunningCollector) -> None:
    # prometheus_client names the family without _total; the sample keeps it.
    samples = wait_for_family(exported, "qf_business_transactions")
    assert [(s.name, s.labels, s.value) for s in samples] == [
        (
            "qf_business_transactions_total",
            {**SERVICE_LABELS, "type": "purchase", "status": "ok"},
            TRANSACTIONS_TOTAL,
        )
    ]


def test_unit_one_gauge_gets_ratio_suffix(exported: RunningCollector) -> None:
    samples = wait_for_family(exported, "qf_quantum_coherence_ratio")
    assert [(s.labels, s.value) for s in samples] == [
        ({**SERVICE_LABELS, "qf_quantum_algorithm": "vqe"}, COHERENCE)
    ]


def test_histogram_keeps_buckets_and_folds_unknown_methods(exported: RunningCollector) -> None:
    samples = wait_for_family(exported, "http_server_request_duration_seconds")
    by_method: dict[str, dict[str, float]] = {}
    for s in samples:
        labels = dict(s.labels)
        suffix = s.name.removeprefix("http_server_request_duration_seconds")
        key = suffix + (f"{{le={labels.pop('le')}}}" if "le" in labels else "")
        method = labels.pop("http_request_method")
        # url.path is dropped; the route template stays.
        assert labels == {
            **SERVICE_LABELS,
            "http_route": "/items/{id}",
            "http_response_status_code": "200",
        }
        by_method.setdefault(method, {})[key] = s.value
    assert by_method == {
        "GET": {
            "_bucket{le=0.005}": 1.0,
            "_bucket{le=0.1}": 2.0,
            "_bucket{le=1}": 3.0,
            "_bucket{le=+Inf}": 3.0,
            "_count": 3.0,
            "_sum": pytest.approx(0.552),
        },
        # Semconv: a method outside the known set is reported as _OTHER.
        "_OTHER": {
            "_bucket{le=0.005}": 0.0,
            "_bucket{le=0.1}": 1.0,
            "_bucket{le=1}": 1.0,
            "_bucket{le=+Inf}": 1.0,
            "_count": 1.0,
            "_sum": pytest.approx(0.05),
        },
    }


def test_target_info_keeps_resource_without_secrets(exported: RunningCollector) -> None:
    samples = wait_for_family(exported, "target_info")
    assert len(samples) == 1
    labels = samples[0].labels
    assert labels["job"] == "qf/orders"
    assert labels["instance"] == "orders-1"
    assert labels["host_name"] == "node-a"
    assert "process_command_line" not in labels
    assert "hunter2" not in exported.scrape()
