"""`make demo`'s path: the service under the load for ~10 s, its summary checked against Prometheus.

The service runs in its own process with qf-otel's embedded default (pull /metrics); a real
Prometheus scrapes it every second. Once the load has drained, the summary of the whole run
(computed from two expositions, the way the demo prints it) must equal what PromQL computes from
the same counters, and the request count must equal what the load generator sent.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from examples.quantumflow.__main__ import ExpositionReporter
from examples.quantumflow.load import LoadConfig, LoadStats
from examples.quantumflow.runner import Console, DemoRun, free_port
from examples.quantumflow.summary import Snapshot, Summary, summarize
from tests.support.apps import ChildProcess
from tests.support.prometheus import PrometheusServer

LOAD_SECONDS = 10.0
REQUESTS = "http_server_request_duration_seconds"


# What PromQL says about the same counters, queried while the service still runs (once its
# target is gone, Prometheus marks the series stale and instant queries return nothing).
PROMQL = {
    "requests": f"sum({REQUESTS}_count)",
    "error_ratio": f'sum({REQUESTS}_count{{http_response_status_code=~"5.."}})'
                   f" / sum({REQUESTS}_count)",
    "p95_seconds": f"histogram_quantile(0.95, sum by (le) ({REQUESTS}_bucket))",
    "cache_hit_ratio": 'sum(qf_cache_requests_total{qf_cache_result="hit"})'
                       ' / sum(qf_cache_requests_total{qf_cache_operation="get"})',
}


@dataclass
class Run:
    first: Snapshot
    last: Snapshot
    summary: Summary
    stats: LoadStats
    printed: str
    promql: dict[str, float | None]
    coherence: dict[str, float]


class RecordingConsole(Console):
    """Keeps the printed lines (the progress line is not printed on a non-terminal anyway)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def print(self, line: str) -> None:
        self.lines.append(line)


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    metrics_port = free_port()
    prometheus = PrometheusServer([f"127.0.0.1:{metrics_port}"], scrape_interval="1s")
    try:
        demo = DemoRun(service_port=free_port(),
                       service_env={"OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)},
                       load=LoadConfig("", rate=80, seed=3), report_every=3.0)
        reporter = ExpositionReporter(f"http://127.0.0.1:{metrics_port}/metrics")
        snapshots: list[Snapshot] = []
        promql: dict[str, float | None] = {}
        coherence: dict[str, float] = {}

        async def finished() -> None:
            await asyncio.sleep(0.5)  # a probe cancelled on the client may still be answered
            snapshots.append(await reporter.snapshot())
            await asyncio.to_thread(_wait_until_scraped, prometheus, snapshots[-1])
            for name, expr in PROMQL.items():
                promql[name] = await asyncio.to_thread(prometheus.value, expr)
            rows = await asyncio.to_thread(prometheus.query, "qf_quantum_coherence_ratio")
            coherence.update({row["metric"]["qf_quantum_system"]: float(row["value"][1])
                              for row in rows})

        lines: list[str] = []
        demo.console = RecordingConsole(lines)
        stats = asyncio.run(demo.run(LOAD_SECONDS, reporter, on_ready=reporter.start,
                                     on_finished=finished))
        assert reporter.first is not None
        yield Run(reporter.first, snapshots[0], summarize(reporter.first, snapshots[0]), stats,
                  "\n".join(lines), promql, coherence)
    finally:
        prometheus.stop()


def _wait_until_scraped(prometheus: PrometheusServer, snapshot: Snapshot) -> None:
    """Until Prometheus' latest scrape holds the final counters (the load has stopped)."""
    prometheus.wait_value(f"sum({REQUESTS}_count)", snapshot.requests, timeout=15)
    time.sleep(1.5)  # one more scrape: the gauges set by the last requests too


def _close(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return abs(actual - expected) <= 1e-9 * max(1.0, abs(expected))


def test_every_request_the_load_sent_is_counted_once(run: Run) -> None:
    assert run.first.requests == 0  # probes and /metrics are excluded from the HTTP metrics
    assert run.stats.by_class["error"] == 0
    assert run.summary.requests == run.stats.total
    assert run.stats.total > LOAD_SECONDS * 20  # 80/s asked; a loaded CI machine gets less
    # The mix has every outcome the demo promises.
    assert {"2xx", "4xx", "5xx"} <= set(run.stats.by_class)


def test_summary_rate_is_the_exposition_delta_over_the_interval(run: Run) -> None:
    assert run.summary.requests == run.last.requests - run.first.requests
    assert _close(run.summary.requests_per_second, run.summary.requests / run.summary.seconds)
    assert LOAD_SECONDS <= run.summary.seconds < LOAD_SECONDS + 15  # + drain and the last read


def test_summary_figures_equal_promql(run: Run) -> None:
    assert _close(run.summary.requests, run.promql["requests"])
    assert _close(run.summary.error_ratio, run.promql["error_ratio"])
    assert _close(run.summary.p95_seconds, run.promql["p95_seconds"])
    assert _close(run.summary.cache_hit_ratio, run.promql["cache_hit_ratio"])
    assert set(run.coherence) == {"simulator", "qpu-a", "qpu-b"}
    assert run.coherence == pytest.approx(run.summary.coherence, abs=1e-12)


def test_summary_figures_are_plausible(run: Run) -> None:
    assert run.summary.error_ratio is not None and 0 < run.summary.error_ratio < 0.1
    assert run.summary.cache_hit_ratio is not None and 0.3 < run.summary.cache_hit_ratio < 1
    assert run.summary.p95_seconds is not None and 0 < run.summary.p95_seconds < 10
    assert 0.7 < run.summary.coherence["qpu-a"] <= 1


def test_live_summaries_were_printed(run: Run) -> None:
    live = re.findall(r"^\d\d:\d\d:\d\d +[\d.]+ req/s .* coherence .*$", run.printed, re.M)
    assert len(live) >= 2, run.printed


def _start_demo(*extra: str) -> ChildProcess:
    return ChildProcess([sys.executable, "-m", "examples.quantumflow", "--port", "0",
                         "--metrics-port", "0", "--every", "1", *extra])


def _wait_for_line(child: ChildProcess, text: str, timeout: float = 60.0) -> str:
    assert child.process.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.process.stdout.readline().decode()
        seen += line
        if text in line:
            return seen
        if not line and child.process.poll() is not None:
            break
    raise AssertionError(f"{text!r} not printed; output:\n{seen}")


@pytest.mark.slow
def test_duration_stops_the_demo_by_itself() -> None:
    child = _start_demo("--duration", "4")
    raw, _ = child.process.communicate(timeout=90)
    output = raw.decode()
    assert child.process.returncode == 0, output
    assert "metrics           http://127.0.0.1:" in output
    assert "whole run:" in output and "req/s" in output
    assert "Traceback" not in output


@pytest.mark.slow
def test_ctrl_c_stops_cleanly() -> None:
    child = _start_demo()
    seen = _wait_for_line(child, "req/s")
    code, output, seconds = child.stop(signal.SIGINT)
    assert code == 0, seen + output
    assert "stopped (Ctrl-C)" in output
    assert "Traceback" not in seen + output
    assert seconds < 15
