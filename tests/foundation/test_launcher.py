"""The launcher path builds exactly what configure() builds: same metric families, same labels."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.support.apps import ChildProcess
from tests.support.ports import free_port, get_text

BIN = Path(sys.executable).parent
SCRIPT = textwrap.dedent("""
    import os, time, qf_otel
    from qf_otel._recording import Counter
    if os.environ.get("CALL_CONFIGURE") == "1":
        qf_otel.configure()
    Counter("qf.test.launch", unit="{x}", description="x", attributes=("k",)).series("v").add(2)
    print("app-is-ready", flush=True)
    time.sleep(60)
""")


def families(args: list[str], env: dict[str, str]) -> dict[str, set[tuple[str, ...]]]:
    port = free_port()
    child = ChildProcess(args, {"OTEL_SERVICE_NAME": "launch", "QF_OTEL_SERVICE_NAMESPACE": "qf",
                                "OTEL_EXPORTER_PROMETHEUS_PORT": str(port), **env})
    try:
        child.wait_for_line("app-is-ready")
        text = get_text(f"http://127.0.0.1:{port}/metrics")
    finally:
        child.stop()
    found: dict[str, set[tuple[str, ...]]] = {}
    for family in text_string_to_metric_families(text):
        found[f"{family.name}:{family.type}"] = {
            tuple(sorted(set(s.labels) - {"le", "service_instance_id", "process_pid"}))
            for s in family.samples
        }
    return found


def test_launcher_and_configure_expose_the_same_families() -> None:
    direct = families([sys.executable, "-c", SCRIPT], {"CALL_CONFIGURE": "1"})
    launched = families(
        [str(BIN / "opentelemetry-instrument"), sys.executable, "-c", SCRIPT],
        {"OTEL_PYTHON_DISTRO": "qf_otel", "OTEL_PYTHON_CONFIGURATOR": "qf_otel"},
    )
    assert "qf_test_launch:counter" in direct
    assert direct.keys() == launched.keys()
    for name in direct:
        if name.startswith("target_info"):
            continue
        assert direct[name] == launched[name], name
