"""Closed sets: extending them through configuration, and refusing what cannot be extended."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from qf_otel import _vocabulary, quantum
from qf_otel.testing import MetricsCapture
from tests.support.apps import child_env


@pytest.fixture
def restore_vocabularies(monkeypatch: pytest.MonkeyPatch) -> None:
    for vocabulary in _vocabulary.vocabularies():
        monkeypatch.setattr(vocabulary, "values", set(vocabulary.values))


@pytest.mark.usefixtures("restore_vocabularies")
def test_extend_admits_new_values(qf_metrics: MetricsCapture) -> None:
    quantum.set_coherence(0.4, system="qpu-z")
    assert qf_metrics.folded("qf.quantum.system") == 1

    _vocabulary.extend("qf.quantum.system", ["qpu-z", "qpu-y"])
    quantum.set_coherence(0.7, system="qpu-z")
    quantum.coherence(system="qpu-y").set(0.6)

    assert qf_metrics.value("qf.quantum.coherence", {"qf.quantum.system": "qpu-z"}) == 0.7
    assert qf_metrics.value("qf.quantum.coherence", {"qf.quantum.system": "qpu-y"}) == 0.6
    assert qf_metrics.folded("qf.quantum.system") == 1


@pytest.mark.usefixtures("restore_vocabularies")
def test_a_recorder_bound_before_configure_rebinds_after_extend(
    qf_metrics: MetricsCapture,
) -> None:
    early = quantum.coherence(system="qpu-early")  # e.g. at import, before configure()
    early.set(0.2)
    assert qf_metrics.value("qf.quantum.coherence", {"qf.quantum.system": "other"}) == 0.2

    _vocabulary.extend("qf.quantum.system", ["qpu-early"])  # what configure() does
    early.set(0.9)

    assert qf_metrics.value("qf.quantum.coherence", {"qf.quantum.system": "qpu-early"}) == 0.9


@pytest.mark.parametrize(
    "key", ["qf.outcome", "qf.transaction.status", "qf.security.severity", "qf.auth.outcome",
            "reason"],
)
def test_fixed_sets_cannot_be_extended(key: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"'{key}' has a fixed set of values")):
        _vocabulary.extend(key, ["maybe"])


def test_unknown_keys_are_named() -> None:
    with pytest.raises(ValueError, match=re.escape("unknown attribute key 'qf.quantum.sytem'")):
        _vocabulary.extend("qf.quantum.sytem", ["qpu-z"])


@pytest.mark.parametrize("values", ["qpu-z", ["", "ok"], [3], ["x" * 65]])
def test_bad_values_are_named(values: object) -> None:
    with pytest.raises(ValueError, match=re.escape("allowed_values['qf.quantum.system']")):
        _vocabulary.extend("qf.quantum.system", values)  # type: ignore[arg-type]


def test_every_attribute_of_the_domain_meters_has_a_vocabulary() -> None:
    from qf_otel._recording import instruments

    scopes = {"qf_otel.quantum", "qf_otel.business", "qf_otel.health", "qf_otel.security",
              "qf_otel.meters"}
    keys = {key for i in instruments() if i.scope in scopes for key in i.attributes}
    undefined = {key for key in keys if _vocabulary.get(key) is None}
    # the self-metrics' keys take instrument names and attribute keys: bounded by the code
    assert undefined == {"qf.otel.attribute.key", "qf.otel.metric.name"}


@pytest.mark.parametrize(
    ("allowed", "named"),
    [({"qf.outcome": ["maybe"]}, "'qf.outcome' has a fixed set of values"),
     ({"qf.quantum.sytem": ["qpu-z"]}, "unknown attribute key 'qf.quantum.sytem'")],
)
def test_configure_refuses_bad_allowed_values(allowed: dict[str, list[str]], named: str) -> None:
    # A fresh process: configure() is once per process and other tests may have called it.
    code = (
        "import qf_otel\n"
        "try:\n"
        f"    qf_otel.configure(metrics_exporters='none', allowed_values={allowed!r})\n"
        "except qf_otel.ConfigurationError as error:\n"
        "    print('ConfigurationError:', error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=child_env(), capture_output=True,
                            text=True, timeout=60)
    assert "ConfigurationError: allowed_values=" in result.stdout, result.stdout + result.stderr
    assert named in result.stdout
