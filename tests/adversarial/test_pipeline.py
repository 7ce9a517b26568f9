"""What configure() builds for the application's own OTel instruments and readers, and the
launcher path with a bad environment."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.adversarial._support import run_python
from tests.support.apps import ChildProcess

BIN = Path(sys.executable).parent


def test_app_duration_histogram_in_seconds_gets_the_semconv_buckets() -> None:
    run = run_python("""
        import urllib.request, qf_otel
        from opentelemetry import metrics
        from qf_otel._recording import HTTP_BUCKETS
        t = qf_otel.configure(prometheus_port=0, disabled_instrumentations=["system_metrics"])
        metrics.get_meter("app").create_histogram("app.job.duration", unit="s").record(0.02)
        body = urllib.request.urlopen(t.metrics_url, timeout=5).read().decode()
        bounds = [line.split('le="')[1].split('"')[0] for line in body.splitlines()
                  if line.startswith("app_job_duration_seconds_bucket{")]
        report({"bounds": bounds, "expected": [format(b, "g") for b in HTTP_BUCKETS] + ["+Inf"]})
    """)
    result = run.result()
    assert result["bounds"] == result["expected"]


def test_second_configure_with_another_reader_is_not_silently_ignored() -> None:
    run = run_python("""
        import qf_otel
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        first, second = InMemoryMetricReader(), InMemoryMetricReader()
        qf_otel.configure(prometheus_port=0, additional_metric_readers=[first])
        try:
            qf_otel.configure(prometheus_port=0, additional_metric_readers=[second])
        except qf_otel.ConfigurationError:
            report("refused")    # acceptable: a clear error
            raise SystemExit(0)
        metrics.get_meter("app").create_counter("adv.reader").add(1)
        data = second.get_metrics_data()
        report("attached" if data is not None else "silently ignored")
    """)
    assert run.result() in ("refused", "attached")


def test_launcher_with_a_bad_variable_keeps_the_app_running_and_names_it() -> None:
    """Held: under opentelemetry-instrument a ConfigurationError cannot reach the app (the
    launcher catches it); the app runs and the log names the variable and the value."""
    child = ChildProcess(
        [str(BIN / "opentelemetry-instrument"), sys.executable, "-c",
         "import qf_otel; print('app-ran', qf_otel.current() is None, flush=True)"],
        {"OTEL_PYTHON_DISTRO": "qf_otel", "OTEL_PYTHON_CONFIGURATOR": "qf_otel",
         "OTEL_EXPORTER_PROMETHEUS_PORT": "nine"})
    lines = child.wait_for_line("app-ran", timeout=30)
    child.stop()
    text = "".join(lines)
    assert "app-ran True" in text
    assert "OTEL_EXPORTER_PROMETHEUS_PORT='nine'" in text
