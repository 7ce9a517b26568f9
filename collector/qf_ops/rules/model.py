"""The shapes of a rule group: recording rules, alerts, their scenarios and runbooks."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from qf_ops import names

Severity = Literal["critical", "warning", "info"]


def promql(text: str) -> str:
    """Normalise an indented triple-quoted PromQL expression."""
    return textwrap.dedent(text).strip()


def by(*labels: str) -> str:
    """A `by (...)` clause over the service level plus ``labels``."""
    return "by (" + ", ".join((*names.SERVICE_LEVEL, *labels)) + ")"


def label(name: str) -> str:
    """Template reference to a label of the alert, for summaries and descriptions."""
    return f"{{{{ $labels.{name} }}}}"


# Templates that print the alert's value; a scenario states how each must render.
VALUE_PERCENT = "{{ $value | humanizePercentage }}"
VALUE_HUMAN = "{{ $value | humanize }}"
VALUE_BYTES = "{{ $value | humanize1024 }}B"
VALUE_SECONDS = "{{ $value | humanizeDuration }}"
VALUE_FIXED = '{{ printf "%.2f" $value }}'
VALUE_TEMPLATES = (
    VALUE_PERCENT,
    VALUE_HUMAN,
    "{{ $value | humanize1024 }}",
    VALUE_SECONDS,
    VALUE_FIXED,
)
WHERE = f"{label(names.SERVICE)} ({label(names.ENV)})"


@dataclass(frozen=True)
class Series:
    """One promtool input series; ``values`` uses promtool's expanding notation."""

    metric: str
    labels: Mapping[str, str]
    values: str

    def selector(self) -> str:
        pairs = ", ".join(f'{key}="{value}"' for key, value in self.labels.items())
        return f"{self.metric}{{{pairs}}}"


@dataclass(frozen=True)
class Fired:
    """An alert instance a scenario expects: its labels and how `$value` renders."""

    labels: Mapping[str, str]
    value: str = ""


@dataclass(frozen=True)
class Scenario:
    """Input series and the evaluation time at which the expectation holds."""

    title: str
    series: tuple[Series, ...]
    at: str
    fired: tuple[Fired, ...] = ()


@dataclass(frozen=True)
class Runbook:
    """What the on-call engineer reads: one section of docs/runbooks.md."""

    meaning: str
    checks: tuple[str, ...]
    panel: str
    mitigations: tuple[str, ...]


@dataclass(frozen=True)
class Alert:
    name: str
    expr: str
    for_: str
    severity: Severity
    summary: str
    description: str
    runbook: Runbook
    fires: Scenario
    near_misses: tuple[Scenario, ...]

    @property
    def runbook_url(self) -> str:
        return f"{names.RUNBOOK_BASE_URL}#{self.name.lower()}"


@dataclass(frozen=True)
class Record:
    record: str
    expr: str


@dataclass(frozen=True)
class ExprCheck:
    """An exact value a recording rule must produce (promtool promql_expr_test)."""

    title: str
    series: tuple[Series, ...]
    at: str
    expr: str
    samples: tuple[tuple[Mapping[str, str], float], ...]


@dataclass(frozen=True)
class RuleGroup:
    """One rule file: ``collector/rules/<file>.yml`` and its test file."""

    file: str
    name: str
    title: str
    records: tuple[Record, ...]
    alerts: tuple[Alert, ...]
    checks: tuple[ExprCheck, ...] = field(default=())
