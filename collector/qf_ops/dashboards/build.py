"""Dashboard specs → Grafana dashboard JSON through grafana-foundation-sdk builders."""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as builders
from grafana_foundation_sdk.builders import prometheus, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DashboardCursorSync,
    DataSourceRef,
    Threshold,
    ThresholdsMode,
    VariableRefresh,
    VariableSort,
)

from qf_ops.dashboards.spec import Dashboard, Panel, Variable

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
PANEL_HEIGHT = 8
REF_IDS = "ABCDEFGHIJ"


def _variable(spec: Variable) -> builders.QueryVariable:
    variable = (
        builders.QueryVariable(spec.name)
        .label(spec.label)
        .datasource(DATASOURCE)
        .query(spec.query)
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
        .multi(spec.include_all)
        .include_all(spec.include_all)
    )
    # "All" as a regex, so every query can use `=~"$var"` whatever is selected.
    return variable.all_value(".*") if spec.include_all else variable


def _thresholds(spec: Panel) -> builders.ThresholdsConfig:
    steps = [Threshold(value=None, color="green")]
    steps += [Threshold(value=value, color=color) for value, color in spec.thresholds]
    return builders.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps(steps)


def _panel(spec: Panel, panel_id: int) -> timeseries.Panel:
    panel = (
        timeseries.Panel()
        .id(panel_id)
        .title(spec.title)
        .description(spec.description)
        .datasource(DATASOURCE)
        .unit(spec.unit)
        .span(spec.width)
        .height(PANEL_HEIGHT)
        .line_width(1)
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .display_mode(common.LegendDisplayMode.LIST)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(common.TooltipDisplayMode.MULTI)
            .sort(common.SortOrder.DESCENDING)
        )
        .thresholds(_thresholds(spec))
        .thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(
                common.GraphTresholdsStyleMode.DASHED
                if spec.thresholds
                else common.GraphTresholdsStyleMode.OFF
            )
        )
    )
    if spec.min is not None:
        panel = panel.min(spec.min)
    if spec.max is not None:
        panel = panel.max(spec.max)
    for ref_id, query in zip(REF_IDS, spec.queries, strict=False):
        panel = panel.with_target(
            prometheus.Dataquery()
            .ref_id(ref_id)
            .expr(query.expr)
            .legend_format(query.legend)
            .range()
            .datasource(DATASOURCE)
        )
    return panel


def build(spec: Dashboard) -> dict[str, Any]:
    dashboard = (
        builders.Dashboard(spec.title)
        .uid(spec.uid)
        .description(spec.description)
        .tags(list(spec.tags))
        .editable()
        .refresh("30s")
        .time("now-1h", "now")
        .timezone("browser")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .annotation(
            builders.AnnotationQuery()
            .name("Annotations & Alerts")
            .datasource(DataSourceRef(type_val="grafana", uid="-- Grafana --"))
            .enable(True)
            .hide(True)
            .icon_color("rgba(0, 211, 255, 1)")
            .type("dashboard")
        )
        .with_variable(
            builders.DatasourceVariable("datasource").label("Data source").type("prometheus")
        )
    )
    for variable in spec.variables:
        dashboard = dashboard.with_variable(_variable(variable))
    panel_id = 1
    for row in spec.rows:
        dashboard = dashboard.with_row(builders.Row(row.title).id(panel_id))
        panel_id += 1
        for panel in row.panels:
            dashboard = dashboard.with_panel(_panel(panel, panel_id))
            panel_id += 1
    # Round-trip through the SDK's encoder: plain JSON types, stable key order.
    encoded: dict[str, Any] = json.loads(json.dumps(dashboard.build(), cls=JSONEncoder))
    return encoded


def render(spec: Dashboard) -> str:
    return json.dumps(build(spec), indent=2, sort_keys=True) + "\n"
