"""Dashboards: generated from code, the required panels and variables, queries parse."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import promql_parser
import pytest
from qf_ops.dashboards import panel_queries, resolve
from qf_ops.dashboards.catalog import DASHBOARDS

# grafana-foundation-sdk needs Python >= 3.11; the library itself supports 3.10.
pytest.importorskip("grafana_foundation_sdk")
from qf_ops.dashboards.build import build

REPO = Path(__file__).resolve().parents[2]
DIR = REPO / "collector" / "dashboards"


def _load(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((DIR / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("spec", DASHBOARDS, ids=lambda d: d.uid)
def test_committed_json_equals_a_fresh_build(spec: Any) -> None:
    assert _load(spec.file) == build(spec)


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in dashboard["panels"] if p["type"] != "row"]


def test_service_overview_covers_every_category_with_variables() -> None:
    dashboard = _load("qf-service-overview")
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == [
        "HTTP",
        "Database",
        "Cache",
        "Quantum",
        "Business",
        "Health",
        "Infrastructure",
        "Security",
        "qf-otel",
    ]
    assert len(_panels(dashboard)) >= 8
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert set(variables) == {"datasource", "environment", "service"}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    for name in ("environment", "service"):
        assert variables[name]["datasource"]["uid"] == "${datasource}"
        assert variables[name]["query"].startswith("label_values(")


@pytest.mark.parametrize("spec", DASHBOARDS, ids=lambda d: d.uid)
def test_every_panel_and_target_uses_the_datasource_variable(spec: Any) -> None:
    for panel in _panels(_load(spec.file)):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "${datasource}"


@pytest.mark.parametrize("spec", DASHBOARDS, ids=lambda d: d.uid)
def test_panel_ids_and_titles_are_unique(spec: Any) -> None:
    dashboard = _load(spec.file)
    ids = [p["id"] for p in dashboard["panels"]]
    titles = [p["title"] for p in _panels(dashboard)]
    assert len(set(ids)) == len(ids)
    assert len(set(titles)) == len(titles)


def test_service_overview_queries_filter_on_both_variables() -> None:
    for query in panel_queries():
        if query.dashboard == "Service overview" and query.panel != "Scrape targets up":
            assert '=~"$service"' in query.expr, query.path
            assert '=~"$environment"' in query.expr, query.path


def test_panel_queries_match_the_committed_json() -> None:
    committed = sorted(
        t["expr"] for spec in DASHBOARDS for p in _panels(_load(spec.file)) for t in p["targets"]
    )
    assert committed == sorted(q.expr for q in panel_queries())


@pytest.mark.parametrize("query", panel_queries(), ids=lambda q: f"{q.path} {q.ref_id}")
def test_panel_query_parses_after_variable_substitution(query: Any) -> None:
    resolved = resolve(query.expr, {"service": "orders", "environment": "prod"})
    assert "$" not in resolved
    promql_parser.parse(resolved)


def test_resolve_substitutes_every_variable_form() -> None:
    expr = 'rate(x{a=~"$service", b=~"${environment}", c=~"${job:regex}"}[$__rate_interval])'
    assert resolve(expr, {"service": "orders"}) == ('rate(x{a=~"orders", b=~".*", c=~".*"}[1m])')
