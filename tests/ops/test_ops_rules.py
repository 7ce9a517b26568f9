"""Alert and recording rules: promtool accepts and tests them; every alert is complete."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from qf_ops import names
from qf_ops.dashboards import panel_queries

REPO = Path(__file__).resolve().parents[2]
RULES = sorted((REPO / "collector" / "rules").glob("*.yml"))
RULE_TESTS = sorted((REPO / "collector" / "rules" / "tests").glob("*.yml"))
RUNBOOKS = (REPO / "docs" / "runbooks.md").read_text(encoding="utf-8")
SEVERITIES = {"critical", "warning", "info"}


def _rules() -> list[dict[str, Any]]:
    out = []
    for path in RULES:
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            out += group["rules"]
    return out


ALERTS = [r for r in _rules() if "alert" in r]
RECORDS = [r for r in _rules() if "record" in r]


def _github_anchor(heading: str) -> str:
    """GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


ANCHORS = {_github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", RUNBOOKS, re.MULTILINE)}


def _runbook_section(alert: str) -> str:
    match = re.search(rf"^## {alert}\n(.*?)(?=^## |\Z)", RUNBOOKS, re.MULTILINE | re.DOTALL)
    assert match, f"no section for {alert} in docs/runbooks.md"
    return match.group(1)


def test_promtool_check_rules(promtool: str) -> None:
    result = subprocess.run(
        [promtool, "check", "rules", *map(str, RULES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULES)


def test_promtool_test_rules(promtool: str) -> None:
    # promtool resolves rule_files relative to the test file; run from the repo root.
    result = subprocess.run(
        [promtool, "test", "rules", *map(str, RULE_TESTS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(RULE_TESTS) == len(RULES)


def test_at_least_25_distinct_alerts_including_low_quantum_coherence() -> None:
    alert_names = [a["alert"] for a in ALERTS]
    assert len(alert_names) >= 25
    assert len(set(alert_names)) == len(alert_names)
    assert "LowQuantumCoherence" in alert_names


def test_low_quantum_coherence_threshold_is_the_documented_one() -> None:
    (alert,) = [a for a in ALERTS if a["alert"] == "LowQuantumCoherence"]
    assert alert["expr"] == f"{names.QUANTUM_COHERENCE} < 0.7"
    assert alert["for"] == "2m"
    assert "below 0.7 for 2 minutes" in RUNBOOKS


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["alert"])
def test_alert_has_severity_summary_description_and_runbook(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in SEVERITIES
    annotations = alert["annotations"]
    assert set(annotations) == {"summary", "description", "runbook_url"}
    assert annotations["summary"].strip() and annotations["description"].strip()
    base, _, anchor = annotations["runbook_url"].partition("#")
    assert base == names.RUNBOOK_BASE_URL
    assert anchor == alert["alert"].lower()
    assert anchor in ANCHORS, f"docs/runbooks.md has no heading for #{anchor}"


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["alert"])
def test_runbook_section_has_meaning_checks_panel_and_mitigations(
    alert: dict[str, Any],
) -> None:
    section = _runbook_section(alert["alert"])
    for part in ("**Meaning.**", "**First checks.**", "**Dashboard panel.**", "**Mitigations.**"):
        assert part in section, f"{alert['alert']}: runbook lacks {part}"


def test_every_runbook_panel_exists_on_a_dashboard() -> None:
    panels = {q.path for q in panel_queries()}
    named = re.findall(r"^\*\*Dashboard panel\.\*\* (.+)$", RUNBOOKS, re.MULTILINE)
    assert len(named) == len(ALERTS)
    assert set(named) <= panels, set(named) - panels


def _alert_tests() -> list[dict[str, Any]]:
    out = []
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]:
            out += case.get("alert_rule_test", [])
    return out


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a["alert"])
def test_alert_has_a_firing_and_a_near_miss_case(alert: dict[str, Any]) -> None:
    cases = [t for t in _alert_tests() if t["alertname"] == alert["alert"]]
    assert any(t["exp_alerts"] for t in cases), f"{alert['alert']} never fires in a test"
    assert any(not t["exp_alerts"] for t in cases), f"{alert['alert']} has no near miss"


def test_every_recording_rule_is_used_by_an_alert_or_a_panel() -> None:
    used = " ".join([a["expr"] for a in ALERTS] + [q.expr for q in panel_queries()])
    unused = [
        r["record"] for r in RECORDS if not re.search(rf"{re.escape(r['record'])}(?![\w:])", used)
    ]
    assert unused == []
