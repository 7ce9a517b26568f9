"""The benchmark harness end to end, with very few iterations: every part runs and every variant
gets a positive figure. Not a timing assertion (timings are `make bench`'s job)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from benchmarks import run
from benchmarks.app import ROUTES
from benchmarks.variants import BY_NAME, NAMES


@pytest.mark.slow
def test_tiny_run_reports_every_variant(tmp_path: Path) -> None:
    output, raw = tmp_path / "performance.md", tmp_path / "results.json"
    run.main(["--plan", "tiny", "--output", str(output), "--json", str(raw)])
    results = json.loads(raw.read_text())

    drivers = ["inprocess"] + (["load"] if shutil.which("wrk") else [])
    for driver in drivers:
        for clock in ("cpu", "wall"):
            samples = results[driver][clock]
            assert sorted(samples) == sorted(NAMES)
            for variant in NAMES:
                for route in ROUTES:
                    assert samples[variant][route], (driver, clock, variant, route)
                    assert all(value > 0 for value in samples[variant][route])
    assert results["record"] and all(value > 0 for _, value in results["record"])
    assert all(min(row["qf_ms"]) > 0 and min(row["client_ms"]) > 0 for row in results["render"])
    flood = results["flood"]
    assert flood["after_paths"]["series"] == flood["before"]["series"]

    table = output.read_text()
    for variant in NAMES:
        assert f"| {BY_NAME[variant].label} |" in table
    assert "## Where the time goes" in table
