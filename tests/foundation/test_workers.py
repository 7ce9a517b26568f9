"""Multi-worker servers with the pull exporter: one port, every worker's counts, exact totals."""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.apps import ChildProcess
from tests.support.ports import free_port, get_text, wait_for_http

BIN = Path(sys.executable).parent


def hits_by_worker(metrics_url: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(get_text(metrics_url)):
        if family.name == "qf_test_hits":
            for sample in family.samples:
                instance = sample.labels.get("service_instance_id", "single")
                totals[instance] = totals.get(instance, 0) + sample.value
    return totals


def drive(app_url: str, requests: int) -> set[str]:
    """Send `requests` requests from 8 concurrent clients (so several workers get some)."""

    def one(_: int) -> str:
        with urllib.request.urlopen(app_url, timeout=10) as response:
            return str(response.read().decode())

    with ThreadPoolExecutor(8) as pool:
        return set(pool.map(one, range(requests)))


def run_server(args: Sequence[str], env: dict[str, str], workers: int, requests: int,
               app_workers: int) -> None:
    metrics_port = free_port()
    group = tempfile.mkdtemp(prefix="qf-group-")
    env = {"OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port), "QF_OTEL_MULTIPROCESS_DIR": group,
           **env}
    server = ChildProcess(args, env)
    app_url = f"http://127.0.0.1:{env['APP_PORT']}/hit"
    metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        wait_for_http(app_url.replace("/hit", "/ready"), timeout=30)
        wait_for_http(metrics_url, timeout=30)
        # wait until every worker has joined the group
        deadline = time.monotonic() + 20
        while len(list(Path(group).glob("*.port"))) < workers - 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        # every worker must be accepting before the measured load (blocking /ready spreads too)
        seen: set[str] = set()
        while len(seen) < app_workers and time.monotonic() < deadline + 20:
            seen |= drive(app_url.replace("/hit", "/ready"), 16)
        pids = drive(app_url, requests)
        totals = hits_by_worker(metrics_url)
        if sum(totals.values()) != requests:
            _, output, _ = server.stop()
            registered = sorted(p.name for p in Path(group).glob("*"))
            raise AssertionError(f"{totals} from {pids}; registered {registered}\n{output}")
        assert len(pids) >= 2, f"the load reached only one worker: {pids}"
        assert len([v for v in totals.values() if v > 0]) == len(pids), (totals, pids)
        # a second scrape sees the same per-worker series, nothing jumped
        assert hits_by_worker(metrics_url) == totals
    finally:
        _code, output, _ = server.stop()
        shutil.rmtree(group, ignore_errors=True)
    assert "Traceback" not in output, output


@pytest.mark.slow
def test_uvicorn_workers_share_one_metrics_port() -> None:
    port = free_port()
    run_server(
        [str(BIN / "uvicorn"), "tests.apps.counter_app:app", "--workers", "3", "--port", str(port),
         "--no-access-log"],
        {"APP_PORT": str(port)}, workers=3, requests=240, app_workers=3,
    )


@pytest.mark.slow
def test_gunicorn_preload_uvicorn_workers_share_one_metrics_port() -> None:
    port = free_port()
    run_server(
        [str(BIN / "gunicorn"), "tests.apps.counter_app:app", "--preload", "-w", "3",
         "-k", "uvicorn.workers.UvicornWorker", "-b", f"127.0.0.1:{port}"],
        {"APP_PORT": str(port)}, workers=3, requests=240, app_workers=3,
    )


@pytest.mark.slow
def test_launcher_with_uvicorn_workers() -> None:
    port = free_port()
    run_server(
        [str(BIN / "opentelemetry-instrument"), str(BIN / "uvicorn"), "tests.apps.counter_app:app",
         "--workers", "2", "--port", str(port), "--no-access-log"],
        {"APP_PORT": str(port), "COUNTER_APP_CONFIGURE": "0", "OTEL_PYTHON_DISTRO": "qf_otel",
         "OTEL_PYTHON_CONFIGURATOR": "qf_otel", "OTEL_SERVICE_NAME": "counter-app"},
        workers=3, requests=160, app_workers=2,
    )
