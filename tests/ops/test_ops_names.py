"""Every metric a rule or a panel reads is one named in qf_ops.names or a recording rule.

A typo in a metric name does not fail promtool or Grafana: the query just returns
nothing. This walks every expression's syntax tree and checks each selector's name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from qf_ops import names
from qf_ops.dashboards import panel_queries, resolve

REPO = Path(__file__).resolve().parents[2]
HISTOGRAM_SUFFIXES = ("", "_bucket", "_count", "_sum")


def _rules() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted((REPO / "collector" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            out += group["rules"]
    return out


RULES = _rules()
RECORDED = {r["record"] for r in RULES if "record" in r}
KNOWN = {
    value + suffix
    for key, value in vars(names).items()
    if key.isupper() and isinstance(value, str)
    for suffix in HISTOGRAM_SUFFIXES
} | RECORDED
EXPRESSIONS = [(r.get("alert") or r["record"], r["expr"]) for r in RULES] + [
    (f"{q.path} {q.ref_id}", resolve(q.expr)) for q in panel_queries()
]


def selector_names(expr: str) -> list[str]:
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.append(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return found


@pytest.mark.parametrize("where,expr", EXPRESSIONS, ids=[w for w, _ in EXPRESSIONS])
def test_every_selected_metric_is_a_known_name(where: str, expr: str) -> None:
    used = selector_names(expr)
    assert used, f"{where} selects no metric"
    assert set(used) <= KNOWN, set(used) - KNOWN


def test_the_walker_sees_nested_selectors() -> None:
    assert selector_names("sum(rate(a[5m])) / on() b or vector(0) unless c offset 5m") == [
        "a",
        "b",
        "c",
    ]
