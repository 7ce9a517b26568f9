"""Every generated dashboard."""

from __future__ import annotations

from qf_ops.dashboards.collector import COLLECTOR
from qf_ops.dashboards.service import SERVICE_OVERVIEW
from qf_ops.dashboards.spec import Dashboard

DASHBOARDS: tuple[Dashboard, ...] = (SERVICE_OVERVIEW, COLLECTOR)
