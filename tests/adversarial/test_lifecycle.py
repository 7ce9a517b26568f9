"""configure() / shutdown() / force_flush() / fork / exit as a hostile user drives them: restarts on
the same port, cycles, racing threads, forks after shutdown, and endpoints that accept connections
but never answer (worse than refused: every request waits for its timeout)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.adversarial._support import RESULT_MARK, black_hole, run_python
from tests.support.ports import free_port


def test_restarted_service_serves_its_port_at_once() -> None:
    port = free_port()
    first = run_python(f"""
        import qf_otel
        from tests.adversarial._support import scrape_until_closed
        qf_otel.configure(service_name="before-restart", prometheus_port={port})
        scrape_until_closed({port})   # one scrape; the server closes it, as with Prometheus
        report("scraped")
    """)
    assert first.result() == "scraped"
    second = run_python(f"""
        import time, urllib.request, qf_otel
        qf_otel.configure(service_name="after-restart", prometheus_port={port})
        deadline = time.monotonic() + 3
        served = None
        while served is None and time.monotonic() < deadline:
            try:
                served = urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=1
                                                ).read().decode()
            except OSError:
                time.sleep(0.1)
        report(served is not None and 'service_name="after-restart"' in served)
    """)
    assert second.result() is True


def test_configure_shutdown_configure_after_a_scrape_serves_again() -> None:
    port = free_port()
    run = run_python(f"""
        import qf_otel
        from tests.adversarial._support import scrape_until_closed
        served = []
        for cycle in range(3):
            qf_otel.configure(service_name=f"cycle{{cycle}}", prometheus_port={port})
            try:
                body = scrape_until_closed({port})
                served.append(f'service_name="cycle{{cycle}}"' in body)
            except OSError:
                served.append(False)
            qf_otel.shutdown()
        report(served)
    """)
    assert run.result() == [True, True, True]


def test_configure_shutdown_cycles_rebuild_a_working_pipeline() -> None:
    """Held: without a scrape in between, each cycle installs a new global provider that serves
    the app's own instruments."""
    run = run_python("""
        import urllib.request, qf_otel
        from opentelemetry import metrics
        seen = []
        for cycle in range(3):
            t = qf_otel.configure(service_name=f"c{cycle}", prometheus_port=0)
            metrics.get_meter("app").create_counter("adv.cycle").add(cycle + 1)
            seen.append(metrics.get_meter_provider() is t.meter_provider)
            qf_otel.shutdown(timeout=2)
        report(seen)
    """)
    assert run.result() == [True, True, True]


def test_racing_configure_calls_build_one_pipeline() -> None:
    """Held: 8 threads at once, equal settings: one handle, one server; a thread with different
    settings gets ConfigurationError, never a second provider."""
    port = free_port()
    run = run_python(f"""
        import threading, qf_otel
        barrier = threading.Barrier(8)
        outcomes = []
        def call(i):
            barrier.wait()
            try:
                name = "racer" if i else "other"
                outcomes.append(("ok", id(qf_otel.configure(service_name=name,
                                                            prometheus_port={port}))))
            except qf_otel.ConfigurationError:
                outcomes.append(("ConfigurationError", 0))
            except BaseException as error:
                outcomes.append((type(error).__name__, 0))
        threads = [threading.Thread(target=call, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        servers = [t.name for t in threading.enumerate() if t.name == "qf-otel-prometheus"]
        report({{"kinds": sorted({{k for k, _ in outcomes}}),
                 "handles": len({{h for k, h in outcomes if k == "ok"}}),
                 "errors": sum(1 for k, _ in outcomes if k != "ok"),
                 "servers": len(servers)}})
    """)
    result = run.result()
    assert result["handles"] == 1 and result["servers"] == 1, result
    assert set(result["kinds"]) <= {"ok", "ConfigurationError"}, result
    assert result["errors"] in (1, 7), result  # "other" lost, or "other" won and 7 lost


def test_fork_after_shutdown_starts_nothing() -> None:
    port = free_port()
    run = run_python(f"""
        import os, socket, tempfile, time, qf_otel
        group = tempfile.mkdtemp()
        qf_otel.configure(prometheus_port={port}, multiprocess_dir=group)
        qf_otel.shutdown()
        child = os.fork()
        if child == 0:
            time.sleep(3.5)
            os._exit(0)
        time.sleep(3)   # longer than the 2 s takeover period
        probe = socket.socket()
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT
            probe.bind(("127.0.0.1", {port}))
            port_free = True
        except OSError:
            port_free = False
        registered = os.listdir(group)
        os.waitpid(child, 0)
        report({{"port_free": port_free, "registered": registered}})
    """)
    assert run.result() == {"port_free": True, "registered": []}


def test_force_flush_returns_within_its_timeout_with_a_hung_collector() -> None:
    with black_hole() as port:
        run = run_python(f"""
            import time, qf_otel
            t = qf_otel.configure(metrics_exporters="otlp", export_interval=60, otlp_timeout=2,
                                  otlp_endpoint="http://127.0.0.1:{port}")
            start = time.monotonic()
            flushed = t.force_flush(timeout=0.5)
            report(round(time.monotonic() - start, 2))
        """, timeout=15)
    assert run.result() <= 0.5 + 0.3


def test_force_flush_with_traces_and_a_hung_collector_is_bounded() -> None:
    with black_hole() as port:
        run = run_python(f"""
            import time, qf_otel
            from opentelemetry import trace
            t = qf_otel.configure(metrics_exporters="none", traces_enabled=True, otlp_timeout=1,
                                  otlp_endpoint="http://127.0.0.1:{port}")
            with trace.get_tracer("adv").start_as_current_span("work"):
                pass
            start = time.monotonic()
            t.force_flush(timeout=1)
            report(round(time.monotonic() - start, 2))
        """, timeout=8)
    assert run.result() <= 1 + 0.5


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_exit_with_every_endpoint_hung_is_bounded(protocol: str) -> None:
    """Held: metrics and traces both pointed at a listener that never answers. From the end of the
    app's work to the last atexit hook takes at most the OTLP timeout + 1 s; the interpreter's own
    teardown after that (~0.5 s with grpc loaded) is allowed another second."""
    with black_hole() as port:
        run = run_python(f"""
            import atexit, time
            atexit.register(lambda: report(["atexit-done", time.time()]))  # runs last (LIFO)
            import qf_otel
            from opentelemetry import trace
            qf_otel.configure(metrics_exporters="otlp", traces_enabled=True, otlp_timeout=1,
                              otlp_protocol={protocol!r}, export_interval=0.2,
                              otlp_endpoint="http://127.0.0.1:{port}")
            for _ in range(50):
                with trace.get_tracer("adv").start_as_current_span("work"):
                    pass
            time.sleep(0.5)   # exports are in flight, stuck on the hung endpoint
            report(["work-done", time.time()])
        """, timeout=15)
        ended = time.time()
    assert run.returncode == 0, run.output
    marks = {str(mark[0]): float(mark[1]) for mark in _results(run.output)}
    assert marks["atexit-done"] - marks["work-done"] <= 1 + 1 + 0.2, run.output
    assert ended - marks["work-done"] <= 1 + 1 + 1.0, run.output


def _results(output: str) -> list[list[Any]]:
    return [json.loads(line[len(RESULT_MARK):]) for line in output.splitlines()
            if line.startswith(RESULT_MARK)]


@pytest.mark.parametrize("timeout", ["float('inf')", "float('nan')"])
def test_shutdown_with_an_unusual_timeout_never_raises_and_still_flushes(timeout: str) -> None:
    port = free_port()
    run = run_python(f"""
        import qf_otel
        t = qf_otel.configure(prometheus_port={port}, disabled_instrumentations=["system_metrics"])
        try:
            qf_otel.shutdown(timeout={timeout})
            raised = None
        except BaseException as error:
            raised = type(error).__name__
        import socket
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", {port}))
            stopped = True
        except OSError:
            stopped = False
        report({{"raised": raised, "stopped": stopped}})
    """)
    assert run.result() == {"raised": None, "stopped": True}
