"""Grafana dashboards: specs in plain data, built with grafana-foundation-sdk.

:func:`panel_queries` lists every query of every panel, so an end-to-end test can run
each against a real Prometheus (loaded with ``collector/rules/*.yml``, since many
panels read recording rules) after :func:`resolve` substitutes the variables.
"""

from __future__ import annotations

from qf_ops.dashboards.queries import PanelQuery, panel_queries, resolve

__all__ = ["PanelQuery", "panel_queries", "resolve"]
