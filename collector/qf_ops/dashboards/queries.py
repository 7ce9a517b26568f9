"""Every panel query, and the substitution of Grafana variables for running them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from qf_ops.dashboards.catalog import DASHBOARDS

# What Grafana puts in place of its built-in interval variables, for a plain Prometheus.
BUILTIN_INTERVALS = {"__rate_interval": "1m", "__interval": "30s", "__range": "1h"}
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    row: str
    panel: str
    ref_id: str
    expr: str

    @property
    def path(self) -> str:
        """How runbooks name the panel: ``Dashboard > Row > Panel``."""
        return f"{self.dashboard} > {self.row} > {self.panel}"


def panel_queries() -> list[PanelQuery]:
    """Every query of every panel of every generated dashboard, variables unresolved."""
    out = []
    for dashboard in DASHBOARDS:
        short = dashboard.title.split(" / ", 1)[-1]
        for row in dashboard.rows:
            for panel in row.panels:
                out += [
                    PanelQuery(short, row.title, panel.title, "ABCDEFGHIJ"[i], query.expr)
                    for i, query in enumerate(panel.queries)
                ]
    return out


def resolve(expr: str, values: Mapping[str, str] | None = None) -> str:
    """Replace ``$var`` / ``${var}`` / ``${var:fmt}`` by a value (regex-safe by default).

    Dashboard variables default to ``.*`` (Grafana's "All" value here) so a query
    selects every service and environment; pass ``values`` to narrow it.
    """
    chosen = {**BUILTIN_INTERVALS, **(values or {})}

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return chosen.get(name, ".*")

    return _VARIABLE.sub(value, expr)
