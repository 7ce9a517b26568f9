"""Every rule group, in the order the rule files are listed."""

from __future__ import annotations

from qf_ops.rules import datastore, domain, http, infrastructure, otelcol
from qf_ops.rules.model import Alert, RuleGroup

GROUPS: tuple[RuleGroup, ...] = (
    http.GROUP,
    datastore.GROUP,
    domain.GROUP,
    infrastructure.GROUP,
    otelcol.GROUP,
)


def all_alerts() -> tuple[Alert, ...]:
    return tuple(alert for group in GROUPS for alert in group.alerts)
