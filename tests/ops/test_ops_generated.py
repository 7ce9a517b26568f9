"""Every generated artefact is committed exactly as the generator writes it today."""

from __future__ import annotations

from pathlib import Path

import pytest

# grafana-foundation-sdk needs Python >= 3.11; the library itself supports 3.10.
pytest.importorskip("grafana_foundation_sdk")
from qf_ops import generate

ARTEFACTS = generate.artefacts()


@pytest.mark.parametrize(
    "path", sorted(ARTEFACTS), ids=lambda p: str(Path(p).relative_to(generate.REPO))
)
def test_committed_file_equals_fresh_generation(path: Path) -> None:
    assert path.exists(), "missing: run `PYTHONPATH=collector python -m qf_ops`"
    assert path.read_text(encoding="utf-8") == ARTEFACTS[path], (
        f"{path.relative_to(generate.REPO)} is stale: run `PYTHONPATH=collector python -m qf_ops`"
    )


def test_check_mode_reports_nothing_stale() -> None:
    assert generate.stale() == []
