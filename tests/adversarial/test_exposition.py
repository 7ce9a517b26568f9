"""Odd attribute values, keys and descriptions through /metrics: the text must pass the real
`promtool check metrics` and a real Prometheus must ingest it with exact values. One bad series
must never cost the whole scrape (Prometheus rejects a scrape wholesale on one invalid sample)."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.adversarial._support import promtool_check, run_python
from tests.support.apps import ChildProcess
from tests.support.ports import free_port, get_text
from tests.support.prometheus import PrometheusServer

ODD_VALUES = {
    "newline": "line1\nline2",
    "quote": 'say "hi"',
    "backslash": "C:\\path\\",
    "unicode": "caf\u00e9 \u2713 \u65e5\u672c \U0001f680",
    "long": "x" * 10_000,
    "empty": "",
    "tab_cr": "a\tb\rc",
    "braces": "{a=\"b\"}",
}


def _exposition(recording: str) -> str:
    """/metrics of a fresh process that ran `recording` (a snippet with `m`, a meter)."""
    port = free_port()
    run = run_python(f"""
        import urllib.request, qf_otel
        from opentelemetry import metrics
        from qf_otel._recording import Counter, Histogram
        qf_otel.configure(service_name="adv", prometheus_port={port},
                          disabled_instrumentations=["system_metrics"])
        m = metrics.get_meter("adv")
""" + textwrap.indent(textwrap.dedent(recording), " " * 8) + f"""
        try:
            body = urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=5).read()
            report({{"status": 200, "body": body.decode()}})
        except urllib.error.HTTPError as error:
            report({{"status": error.code, "body": ""}})
    """)
    result: dict[str, Any] = run.result()
    assert result["status"] == 200, f"/metrics answered {result['status']}:\n{run.output[-3000:]}"
    return str(result["body"])


@contextmanager
def _scraped_by_prometheus(recording: str) -> Iterator[tuple[PrometheusServer, dict[str, Any]]]:
    """A real Prometheus scraping a process that ran `recording`; yields it and the target."""
    port = free_port()
    child = ChildProcess.python(textwrap.dedent(f"""
        import time, qf_otel
        from opentelemetry import metrics
        from qf_otel._recording import Counter, Histogram
        qf_otel.configure(service_name="adv", prometheus_port={port},
                          disabled_instrumentations=["system_metrics"])
        m = metrics.get_meter("adv")
        m.create_counter("adv.canary").add(42)
""") + textwrap.dedent(recording) + "\nprint('adv-ready', flush=True)\ntime.sleep(60)\n")
    prometheus = None
    try:
        child.wait_for_line("adv-ready", timeout=20)
        prometheus = PrometheusServer([f"127.0.0.1:{port}"])
        deadline = time.monotonic() + 15
        target: dict[str, Any] = {}
        while time.monotonic() < deadline:
            active = prometheus.api("targets")["activeTargets"]
            if active and active[0]["health"] != "unknown":
                target = active[0]
                break
            time.sleep(0.2)
        yield prometheus, target
    finally:
        if prometheus is not None:
            prometheus.stop()
        child.stop()


def test_odd_label_values_pass_promtool_and_reach_prometheus_exactly() -> None:
    """Held: newlines, quotes, backslashes, unicode, 10 kB, empty, tabs/CR, braces, bools and
    lists, through the fast core and the SDK alike."""
    recording = f"""
        VALUES = {ODD_VALUES!r}
        fast = Counter("adv.fast.odd", unit="1", description="d", attributes=("case", "v"))
        for case, value in VALUES.items():
            fast.series(case, value).add(1)
            m.create_counter("adv.sdk.odd").add(2, {{"case": case, "v": value,
                                                   "flag": True, "items": ["a", 'b"c', 1.5]}})
        fast.series("bool", True).add(1)
    """
    with _scraped_by_prometheus(recording) as (prometheus, target):
        passed, said = promtool_check(get_text(target["scrapeUrl"]))
        assert passed, said
        assert target["health"] == "up", target
        for family, amount in (("adv_fast_odd_total", 1), ("adv_sdk_odd_total", 2)):
            # Prometheus drops an empty label, so the empty case reads back as ""
            found = {s["metric"]["case"]: (s["metric"].get("v", ""), float(s["value"][1]))
                     for s in prometheus.query(family) if s["metric"]["case"] in ODD_VALUES}
            assert found == {case: (value, amount) for case, value in ODD_VALUES.items()}


def test_description_with_quotes_passes_promtool() -> None:
    body = _exposition("""
        m.create_counter("adv.quoted", description='Counts "quoted" things; C:\\\\temp').add(1)
    """)
    passed, said = promtool_check(body)
    assert passed, said
    assert '# HELP adv_quoted_total Counts "quoted" things; C:\\\\temp' in body


@pytest.mark.parametrize("route", ["fast core", "sdk"])
def test_undecodable_attribute_value_does_not_break_the_scrape(route: str) -> None:
    # os.fsdecode() of a non-UTF-8 file name or header gives exactly such a string
    value = "report-\\udcff.csv"
    recording = {
        "fast core": f'Counter("adv.files", unit="1", description="d", '
                     f'attributes=("name",)).series("{value}").add(1)',
        "sdk": f'm.create_counter("adv.files").add(1, {{"name": "{value}"}})',
    }[route]
    body = _exposition(recording + '\nm.create_counter("adv.canary").add(42)')
    assert "adv_canary_total" in body
    passed, said = promtool_check(body)
    assert passed, said


@pytest.mark.parametrize("recording", [
    'm.create_histogram("adv.wait", unit="s").record(0.1, {"le": "tenant-1"})',
    'm.create_counter("adv.named").add(1, {"__name__": "hijack"})',
], ids=["le-on-histogram", "__name__"])
def test_reserved_attribute_key_costs_at_most_its_own_series(recording: str) -> None:
    with _scraped_by_prometheus(recording) as (prometheus, target):
        assert target["health"] == "up", target.get("lastError")
        assert prometheus.wait_value("adv_canary_total", 42, timeout=5) == 42


def test_point_attribute_cannot_rewrite_the_service_identity() -> None:
    body = _exposition('m.create_counter("adv.spoof").add(1, {"service.name": "billing", '
                       '"deployment.environment.name": "prod"})')
    line = next(x for x in body.splitlines() if x.startswith("adv_spoof_total{"))
    assert 'service_name="adv"' in line, line
    assert "billing" not in line.split("service_name=")[1].split(",")[0], line
