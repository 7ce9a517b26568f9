"""Fixtures for the operations artefacts: generator on the path, promtool located."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# The generators live next to what they generate (collector/qf_ops), not in the wheel.
if str(REPO / "collector") not in sys.path:
    sys.path.append(str(REPO / "collector"))


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool from the Debian `prometheus` package; CI must have it, laptops may not."""
    path = shutil.which("promtool")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("promtool is missing in CI: apt-get install -y prometheus")
        pytest.skip("promtool not installed (apt-get install -y prometheus)")
    return path
