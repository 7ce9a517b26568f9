"""Every generated artefact, by path, and the commands that write or check them."""

from __future__ import annotations

from pathlib import Path

from qf_ops import runbooks, yamlout
from qf_ops.dashboards.build import render as render_dashboard
from qf_ops.dashboards.catalog import DASHBOARDS
from qf_ops.rules import render
from qf_ops.rules.catalog import GROUPS

REPO = Path(__file__).resolve().parents[2]
RULES_DIR = REPO / "collector" / "rules"
RULE_TESTS_DIR = RULES_DIR / "tests"
RUNBOOKS = REPO / "docs" / "runbooks.md"
DASHBOARDS_DIR = REPO / "collector" / "dashboards"


def rule_artefacts() -> dict[Path, str]:
    out: dict[Path, str] = {}
    for group in GROUPS:
        header = render.HEADER.format(file=group.file)
        out[RULES_DIR / f"{group.file}.yml"] = yamlout.dump(render.rule_file(group), header)
        out[RULE_TESTS_DIR / f"{group.file}_test.yml"] = yamlout.dump(
            render.test_file(group), header
        )
    return out


def dashboard_artefacts() -> dict[Path, str]:
    return {DASHBOARDS_DIR / f"{d.file}.json": render_dashboard(d) for d in DASHBOARDS}


def artefacts() -> dict[Path, str]:
    return {**rule_artefacts(), RUNBOOKS: runbooks.document(), **dashboard_artefacts()}


def stale() -> list[Path]:
    """Generated files whose committed content differs from a fresh generation."""
    return [
        path
        for path, text in artefacts().items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write() -> list[Path]:
    written = []
    for path, text in artefacts().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
