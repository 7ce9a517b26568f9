"""Figures the end-to-end tests measure (latency, fault gaps, peak RSS), shown at the end of the
run by conftest.py and written as JSON next to the pytest temp dirs for reports."""

from __future__ import annotations

FIGURES: dict[str, str] = {}


def report(name: str, value: str) -> None:
    """Keep one measured figure under a readable name (the last measurement wins)."""
    FIGURES[name] = value
