"""Every rule group, in the order the rule files are listed."""

from __future__ import annotations

from qf_ops.rules import http
from qf_ops.rules.model import Alert, RuleGroup

GROUPS: tuple[RuleGroup, ...] = (http.GROUP,)


def all_alerts() -> tuple[Alert, ...]:
    return tuple(alert for group in GROUPS for alert in group.alerts)
