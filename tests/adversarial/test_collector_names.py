"""Prometheus names and label values of odd OTel metrics: qf-otel's own /metrics against the real
built Collector's `prometheus` exporter (translation_strategy UnderscoreEscapingWithSuffixes, the
reference per the contract). One process exports the same instruments both ways; every case is
tagged with an `adv_case` attribute so its series can be found in both expositions."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.adversarial._support import run_python
from tests.collector import collector_process
from tests.collector.collector_process import start_collector
from tests.support.ports import free_port

pytestmark = [
    pytest.mark.collector,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]

# case id -> (instrument factory, OTel name, unit, call that records one value)
CASES = {
    "plain_counter": ("create_counter", "adv.requests", "{request}", "add(1, A)"),
    "seconds_histogram": ("create_histogram", "adv.wait", "s", "record(0.2, A)"),
    "bytes_gauge": ("create_gauge", "adv.heap.bytes", "By", "set(5, A)"),
    "ratio_gauge": ("create_gauge", "adv.load", "1", "set(0.5, A)"),
    "updown_one": ("create_up_down_counter", "adv.items", "1", "add(2, A)"),
    "rate_gauge": ("create_gauge", "adv.throughput", "By/s", "set(1, A)"),
    "total_inside": ("create_counter", "adv.total.requests", "{request}", "add(1, A)"),
    "ratio_inside": ("create_gauge", "adv.ratio.used", "1", "set(0.5, A)"),
    "one_per_second": ("create_counter", "adv.rate", "1/s", "add(1, A)"),
    "tebibytes": ("create_gauge", "adv.disk.size", "TiBy", "set(1, A)"),
    "per_second_in_name": ("create_gauge", "adv.requests.per_second", "{request}/s", "set(1, A)"),
    "annotated_unit": ("create_gauge", "adv.latency", "ms{queued}", "set(1, A)"),
}
# cases whose name differs (none now; the translator rules follow otlptranslator's
# normalizeName/buildUnitSuffixes)
NAME_DEFECTS: dict[str, str] = {}
# attribute value -> the Collector's label value (pcommon Value.AsString), as escaped in the text
VALUES = {
    "float_one": ("1.0", "1"),
    "float_big": ("1e20", "100000000000000000000"),
    "str_list": ('["a", "b"]', r'[\"a\",\"b\"]'),
    "int_list": ("[1, 2]", "[1,2]"),
    "bool_list": ("[True, False]", "[true,false]"),
    "bool": ("True", "true"),
    "quote_backslash": (r'"a\"b\\c"', r'a\"b\\c'),
}
VALUE_DEFECTS: dict[str, str] = {}
SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} \S+$')


def _series(exposition: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in map(SERIES.match, exposition.splitlines()) if m]


@pytest.fixture(scope="module")
def expositions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(qf-otel's own /metrics, the Collector's /metrics) after one export of every case."""
    collector = start_collector(["otelcol.yaml"], work_dir=tmp_path_factory.mktemp("collector"))
    try:
        records = "\n".join(
            f"A = {{'adv_case': {case!r}}}\n"
            f"m.{factory}({name!r}, unit={unit!r}).{call}"
            for case, (factory, name, unit, call) in CASES.items()
        )
        values = "\n".join(f"m.create_counter('adv.value').add(1, {{'adv_case': {case!r}, "
                           f"'v': {literal}}})" for case, (literal, _) in VALUES.items())
        run = run_python(f"""
            import time, urllib.request, qf_otel
            from opentelemetry import metrics
            t = qf_otel.configure(service_name="names", metrics_exporters="prometheus,otlp",
                                  prometheus_port={free_port()}, export_interval=0.3,
                                  otlp_endpoint="{collector.otlp_http_url}",
                                  disabled_instrumentations=["system_metrics"])
            m = metrics.get_meter("adv.names")
""" + "\n".join("            " + line for line in (records + "\n" + values).splitlines()) + """
            time.sleep(1.5)   # several pushes reach the Collector
            report(urllib.request.urlopen(t.metrics_url, timeout=5).read().decode())
        """, timeout=20)
        yield run.result(), collector.scrape()
    finally:
        collector.stop()


def _name_of(exposition: str, case: str) -> set[str]:
    names = {name for name, labels in _series(exposition) if f'adv_case="{case}"' in labels}
    return {re.sub(r"_(bucket|sum|count)$", "", n) for n in names} if len(names) > 1 else names


def _value_of(exposition: str, case: str) -> str:
    for name, labels in _series(exposition):
        if name == "adv_value_total" and f'adv_case="{case}"' in labels:
            found = re.search(r'(?:^|,)v="((?:[^"\\]|\\.)*)"', labels)
            assert found is not None, labels
            return found.group(1)
    raise AssertionError(f"no adv_value_total series for {case}")


def _maybe_xfail(case: str, defects: dict[str, str]) -> list[pytest.MarkDecorator]:
    if case not in defects:
        return []
    return [pytest.mark.xfail(strict=True, reason="_prometheus_text: " + defects[case])]


@pytest.mark.parametrize("case", [pytest.param(c, marks=_maybe_xfail(c, NAME_DEFECTS))
                                  for c in CASES])
def test_metric_name_matches_the_collector(expositions: tuple[str, str], case: str) -> None:
    pulled, through_collector = expositions
    expected = _name_of(through_collector, case)
    assert len(expected) == 1, through_collector
    assert _name_of(pulled, case) == expected


@pytest.mark.parametrize("case", [pytest.param(c, marks=_maybe_xfail(c, VALUE_DEFECTS))
                                  for c in VALUES])
def test_attribute_value_matches_the_collector(expositions: tuple[str, str], case: str) -> None:
    pulled, through_collector = expositions
    assert _value_of(through_collector, case) == VALUES[case][1]
    assert _value_of(pulled, case) == VALUES[case][1]
