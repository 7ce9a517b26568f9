"""configure() in a real process: exposition read back by a real Prometheus, one-time setup,
the disabled switch, and a bounded exit when the OTLP endpoint is dead."""

from __future__ import annotations

import subprocess
import textwrap
import time
from collections.abc import Iterator

import pytest

from tests.support.apps import ChildProcess
from tests.support.ports import free_port, get_text
from tests.support.prometheus import PrometheusServer

RECORDING_APP = textwrap.dedent("""
    import sys, time, qf_otel
    from qf_otel._recording import Counter, Gauge, Histogram
    qf_otel.configure(service_name="proc-test", service_namespace="qf", environment="test")
    c = Counter("qf.test.orders", unit="{order}", description="Orders.", attributes=("kind",))
    g = Gauge("qf.test.level", unit="1", description="A level.", attributes=())
    h = Histogram("qf.test.latency", unit="s", description="Latency.", attributes=("kind",))
    for _ in range(7):
        c.series("buy").add(1)
    c.series("sell").add(2.5)
    g.series().set(0.25)
    for v in (0.003, 0.02, 0.02, 3.0):
        h.series("buy").record(v)
    print("app-is-ready", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def recording_app() -> Iterator[int]:
    port = free_port()
    child = ChildProcess.python(RECORDING_APP, {"OTEL_EXPORTER_PROMETHEUS_PORT": str(port)})
    child.wait_for_line("app-is-ready")
    yield port
    child.stop()


def test_prometheus_scrapes_exact_values(recording_app: int) -> None:
    prometheus = PrometheusServer([f"127.0.0.1:{recording_app}"])
    try:
        prometheus.targets_up()
        assert prometheus.wait_value('qf_test_orders_total{kind="buy"}') == 7
        assert prometheus.value('qf_test_orders_total{kind="sell"}') == 2.5
        assert prometheus.value("qf_test_level_ratio") == 0.25
        assert prometheus.value('qf_test_latency_seconds_count{kind="buy"}') == 4
        assert prometheus.value('qf_test_latency_seconds_bucket{kind="buy",le="0.005"}') == 1
        assert prometheus.value('qf_test_latency_seconds_bucket{kind="buy",le="0.025"}') == 3
        assert prometheus.value('qf_test_latency_seconds_sum{kind="buy"}') == pytest.approx(3.043)
        series = prometheus.query('qf_test_orders_total{kind="buy"}')[0]["metric"]
        assert series["service_name"] == "proc-test"
        assert series["service_namespace"] == "qf"
        assert series["deployment_environment_name"] == "test"
        info = prometheus.query("target_info")[0]["metric"]
        assert info["telemetry_distro_name"] == "qf-otel"
        assert len(info["service_instance_id"]) == 36
    finally:
        prometheus.stop()


def test_exposition_passes_promtool(recording_app: int) -> None:
    text = get_text(f"http://127.0.0.1:{recording_app}/metrics")
    checked = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                             capture_output=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def run_python(code: str, env: dict[str, str] | None = None, timeout: float = 60) -> str:
    child = ChildProcess.python(textwrap.dedent(code), env)
    output, _ = child.process.communicate(timeout=timeout)
    assert child.process.returncode == 0, output.decode()
    return output.decode()


def test_second_configure_same_settings_same_handle_different_settings_error() -> None:
    out = run_python("""
        import qf_otel
        a = qf_otel.configure(service_name="x", prometheus_port=0)
        b = qf_otel.configure(service_name="x", prometheus_port=0)
        print("same", a is b)
        try:
            qf_otel.configure(service_name="y", prometheus_port=0)
        except qf_otel.ConfigurationError as error:
            print("error", error)
        qf_otel.shutdown()
        c = qf_otel.configure(service_name="y", prometheus_port=0)
        print("after-shutdown", c.settings.service_name)
    """)
    assert "same True" in out
    assert "error configure='second call'" in out and "different settings" in out
    assert "after-shutdown y" in out


def test_sdk_disabled_is_a_no_op() -> None:
    port = free_port()
    out = run_python(f"""
        import socket, qf_otel
        t = qf_otel.configure(service_name="off", prometheus_port={port})
        print("provider", t.meter_provider, "instrumented", t.instrumented)
        s = socket.socket(); s.bind(("127.0.0.1", {port})); print("port free")
    """, {"OTEL_SDK_DISABLED": "true"})
    assert "provider None instrumented []" in out and "port free" in out


def test_bad_configuration_fails_at_configure_naming_the_variable() -> None:
    out = run_python("""
        import qf_otel
        try:
            qf_otel.configure()
        except qf_otel.ConfigurationError as error:
            print("error:", error)
    """, {"OTEL_EXPORTER_PROMETHEUS_PORT": "nine"})
    assert "error: OTEL_EXPORTER_PROMETHEUS_PORT='nine'" in out


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_dead_otlp_endpoint_never_raises_and_exit_is_bounded(protocol: str) -> None:
    dead = free_port()
    scheme_endpoint = f"http://127.0.0.1:{dead}"
    code = textwrap.dedent("""
        import time, qf_otel
        from qf_otel._recording import Counter
        t0 = time.monotonic()
        qf_otel.configure(service_name="dead", metrics_exporters=["otlp"], export_interval=0.2,
                          otlp_timeout=2)
        print("configure_ms", round((time.monotonic() - t0) * 1000, 1), flush=True)
        c = Counter("qf.test.dead", unit="1", description="x", attributes=())
        for _ in range(1000):
            c.series().add(1)
        time.sleep(1.0)
        print("still running", flush=True)
        print("exiting_at", time.time(), flush=True)
    """)
    child = ChildProcess.python(code, {"OTEL_EXPORTER_OTLP_ENDPOINT": scheme_endpoint,
                                       "OTEL_EXPORTER_OTLP_PROTOCOL": protocol})
    output, _ = child.process.communicate(timeout=60)
    exited_at = time.time()
    text = output.decode()
    assert child.process.returncode == 0, text
    assert "still running" in text
    assert "Traceback" not in text, text
    exit_seconds = exited_at - float(text.split("exiting_at")[1].split()[0])
    # the promise: exit takes at most the export timeout (2 s here) plus a second
    assert exit_seconds <= 2.0 + 1.0, (exit_seconds, text)
    print(f"exit with a dead endpoint ({protocol}): {exit_seconds:.2f} s")


def test_export_failures_are_counted_and_logged_once_per_kind() -> None:
    dead, port = free_port(), free_port()
    out = run_python(f"""
        import time, urllib.request, qf_otel
        qf_otel.configure(service_name="fail", metrics_exporters=["otlp", "prometheus"],
                          prometheus_port={port}, export_interval=0.2, otlp_timeout=0.5,
                          otlp_endpoint="http://127.0.0.1:{dead}")
        time.sleep(4)
        text = urllib.request.urlopen("http://127.0.0.1:{port}/metrics").read().decode()
        print([l for l in text.splitlines() if l.startswith("qf_otel_export_failures_total")])
    """)
    failures = [line for line in out.splitlines() if "qf_otel_export_failures_total" in line]
    assert failures, out
    value = float(failures[0].split()[-1].rstrip("']"))
    assert value >= 3, out  # one per failed push: several in 4 s at a 0.2 s interval
    assert out.count("Transient error") <= 1, out
    assert out.count("qf-otel: otlp export failed") == 1, out


def test_traces_off_installs_no_tracer_provider_and_on_installs_ours() -> None:
    out = run_python("""
        import qf_otel
        from opentelemetry import trace
        qf_otel.configure(service_name="t", metrics_exporters="none")
        print("off", type(trace.get_tracer_provider()).__name__)
        qf_otel.shutdown()
        t = qf_otel.configure(service_name="t", metrics_exporters="none", traces_enabled=True,
                              traces_sampling_ratio=0.25, otlp_timeout=0.5)
        provider = trace.get_tracer_provider()
        print("on", type(provider).__name__, provider.sampler.get_description())
    """)
    assert "off ProxyTracerProvider" in out
    assert "on TracerProvider ParentBased{root:TraceIdRatioBased{0.25}" in out


def test_forked_child_gets_a_new_instance_id_and_fresh_counters() -> None:
    out = run_python("""
        import os, qf_otel
        from qf_otel._recording import Counter
        t = qf_otel.configure(service_name="fork", metrics_exporters="none")
        c = Counter("qf.test.forked", unit="1", description="x", attributes=())
        c.series().add(5)
        parent_id = t.meter_provider._sdk_config.resource.attributes["service.instance.id"]
        pid = os.fork()
        if pid == 0:
            child_id = t.meter_provider._sdk_config.resource.attributes["service.instance.id"]
            print("child", child_id != parent_id, c.series().value, flush=True)
            os._exit(0)
        os.waitpid(pid, 0)
        print("parent", c.series().value)
    """)
    assert "child True 0.0" in out and "parent 5.0" in out
