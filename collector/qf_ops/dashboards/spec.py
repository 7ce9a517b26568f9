"""What a dashboard shows, independent of how Grafana's JSON spells it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: Literal["timeseries", "stat"] = "timeseries"
    # Dashed threshold lines (value, colour), e.g. an alert's threshold.
    thresholds: tuple[tuple[float, str], ...] = ()
    min: float | None = None
    max: float | None = None
    width: int = 8


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Variable:
    """A Prometheus query variable; ``query`` is a Grafana `label_values(...)` call."""

    name: str
    label: str
    query: str
    include_all: bool = True


@dataclass(frozen=True)
class Dashboard:
    uid: str
    file: str
    title: str
    description: str
    tags: tuple[str, ...]
    variables: tuple[Variable, ...]
    rows: tuple[Row, ...] = field(default=())
