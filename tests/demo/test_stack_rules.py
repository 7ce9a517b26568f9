"""The demo's copy of the alert rules: every `for:` capped, nothing else touched, promtool-valid."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from examples.quantumflow.infra import RULES_DIR, cap_alert_durations, seconds


def _rule_files() -> list[Path]:
    files = sorted(RULES_DIR.glob("*.yml"))
    assert files, RULES_DIR
    return files


@pytest.mark.parametrize("path", _rule_files(), ids=lambda p: p.name)
def test_only_longer_for_durations_change(path: Path) -> None:
    original = yaml.safe_load(path.read_text())
    capped = cap_alert_durations(copy.deepcopy(original), "15s")
    for group, new_group in zip(original["groups"], capped["groups"], strict=True):
        for rule, new_rule in zip(group["rules"], new_group["rules"], strict=True):
            if "alert" in rule and seconds(str(rule.get("for", "0s"))) > 15:
                assert new_rule.pop("for") == "15s"
                rule.pop("for")
            assert new_rule == rule


def test_low_quantum_coherence_waits_15_seconds_in_the_demo() -> None:
    rules = cap_alert_durations(yaml.safe_load((RULES_DIR / "domain.yml").read_text()), "15s")
    alert = next(rule for group in rules["groups"] for rule in group["rules"]
                 if rule.get("alert") == "LowQuantumCoherence")
    assert alert["for"] == "15s"
    assert alert["expr"] == "qf_quantum_coherence_ratio < 0.7"


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_capped_files_pass_promtool(tmp_path: Path) -> None:
    written = []
    for path in _rule_files():
        target = tmp_path / path.name
        target.write_text(yaml.safe_dump(
            cap_alert_durations(yaml.safe_load(path.read_text()), "15s"), sort_keys=False))
        written.append(str(target))
    result = subprocess.run(["promtool", "check", "rules", *written],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("text", "value"), [("15s", 15), ("2m", 120), ("0m", 0), ("1h", 3600),
                                             ("500ms", 0.5), ("1h30m", 5400)])
def test_durations(text: str, value: float) -> None:
    assert seconds(text) == value


@pytest.mark.parametrize("text", ["", "15", "1.5m", "2 m", "m"])
def test_bad_durations_are_refused_naming_the_value(text: str) -> None:
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        seconds(text)
