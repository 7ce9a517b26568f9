"""Reading the Collector's file exporter output (one OTLP/JSON export request per line)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# OTLP's AggregationTemporality enum; pdata writes it as a number, other encoders as its name.
CUMULATIVE = (2, "AGGREGATION_TEMPORALITY_CUMULATIVE")


def json_lines(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    text = path.read_text()
    # The exporter may be half-way through a line: only lines ended by a newline are complete.
    for line in text[: text.rfind("\n") + 1].splitlines():
        if line.strip():
            yield json.loads(line)


def metrics_by_name(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every exported copy of each metric (one per export), by OTel metric name."""
    found: dict[str, list[dict[str, Any]]] = {}
    for request in json_lines(path):
        for resource_metrics in request.get("resourceMetrics", []):
            for scope_metrics in resource_metrics.get("scopeMetrics", []):
                for metric in scope_metrics.get("metrics", []):
                    found.setdefault(metric["name"], []).append(metric)
    return found


def spans_of(path: Path) -> list[dict[str, Any]]:
    """Every span in the file, each with its resource attributes under `resource`."""
    spans: list[dict[str, Any]] = []
    for request in json_lines(path):
        for resource_spans in request.get("resourceSpans", []):
            resource = attributes_of(resource_spans.get("resource", {}))
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    spans.append({**span, "resource": resource})
    return spans


def attributes_of(item: dict[str, Any]) -> dict[str, Any]:
    """OTLP/JSON key/value list → plain dict (each value as its single typed field)."""
    return {a["key"]: next(iter(a["value"].values()), None) for a in item.get("attributes", [])}


def wait_for(predicate: Any, timeout: float, what: str) -> Any:
    """Poll `predicate()` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not seen within {timeout} s")
        time.sleep(0.2)
