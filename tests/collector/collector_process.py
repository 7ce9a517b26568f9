"""Run the built qf-otel Collector (collector/bin/qf-otelcol) as a real process for tests.

Every listen address in collector/config/*.yaml is an environment variable with a default, so a test
picks free loopback ports, puts them in the environment and starts the binary; nothing in the config
files changes. `start_collector` returns once the health endpoint answers, `RunningCollector.stop`
ends the process. Passing the `ports` of an earlier run restarts a Collector on the same addresses
(what a fault test needs: the app keeps its OTLP endpoint, Prometheus keeps its target).

Typical use from another test module::

    from collector_process import collector_available, start_collector

    collector = start_collector(["otelcol.yaml"], work_dir=tmp_path)
    try:
        ...  # send OTLP to collector.otlp_http_url, read collector.scrape()
    finally:
        collector.stop()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

REPO_ROOT = Path(__file__).resolve().parents[2]
COLLECTOR_BINARY = REPO_ROOT / "collector" / "bin" / "qf-otelcol"
CONFIG_DIR = REPO_ROOT / "collector" / "config"
MISSING_BINARY_REASON = (
    f"{COLLECTOR_BINARY.relative_to(REPO_ROOT)} is not built: run `make collector` "
    "(bash collector/build.sh; needs Go and the Go module proxy)"
)


def collector_available() -> bool:
    """True when the Collector binary is built; tests skip with MISSING_BINARY_REASON otherwise."""
    return os.access(COLLECTOR_BINARY, os.X_OK)


def free_port() -> int:
    """A loopback TCP port that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class CollectorPorts:
    """The five listen ports of the base config, all on 127.0.0.1."""

    otlp_grpc: int
    otlp_http: int
    prometheus: int
    health: int
    telemetry: int

    @classmethod
    def pick_free(cls) -> CollectorPorts:
        return cls(
            otlp_grpc=free_port(),
            otlp_http=free_port(),
            prometheus=free_port(),
            health=free_port(),
            telemetry=free_port(),
        )

    def environment(self) -> dict[str, str]:
        """The QF_OTELCOL_* variables that put the config's listeners on these ports."""
        return {
            "QF_OTELCOL_OTLP_GRPC_ENDPOINT": f"127.0.0.1:{self.otlp_grpc}",
            "QF_OTELCOL_OTLP_HTTP_ENDPOINT": f"127.0.0.1:{self.otlp_http}",
            "QF_OTELCOL_PROMETHEUS_ENDPOINT": f"127.0.0.1:{self.prometheus}",
            "QF_OTELCOL_HEALTH_ENDPOINT": f"127.0.0.1:{self.health}",
            "QF_OTELCOL_TELEMETRY_HOST": "127.0.0.1",
            "QF_OTELCOL_TELEMETRY_PORT": str(self.telemetry),
        }


def config_arguments(configs: Sequence[str | Path]) -> list[str]:
    """`--config=` flags; bare names are files of collector/config/."""
    paths = [Path(c) if Path(c).is_absolute() else CONFIG_DIR / c for c in configs]
    return [f"--config={p}" for p in paths]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """Status and body of a GET; HTTP errors are returned, connection errors raise OSError."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")


@dataclass
class RunningCollector:
    """A started qf-otelcol process and where to reach it."""

    process: subprocess.Popen[bytes]
    ports: CollectorPorts
    work_dir: Path
    log_path: Path

    @property
    def otlp_http_url(self) -> str:
        """Base URL for OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT); signals go to /v1/<signal>."""
        return f"http://127.0.0.1:{self.ports.otlp_http}"

    @property
    def otlp_grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.ports.otlp_grpc}"

    @property
    def prometheus_url(self) -> str:
        """The prometheus exporter's scrape URL (what a Prometheus server targets)."""
        return f"http://127.0.0.1:{self.ports.prometheus}/metrics"

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.health}/"

    @property
    def telemetry_url(self) -> str:
        """The Collector's own otelcol_* metrics."""
        return f"http://127.0.0.1:{self.ports.telemetry}/metrics"

    def scrape(self) -> str:
        """The prometheus exporter's current exposition text."""
        status, body = http_get(self.prometheus_url)
        if status != 200:
            raise RuntimeError(f"{self.prometheus_url} answered {status}: {body[:500]}")
        return body

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (the Collector flushes and shuts down), SIGKILL if it hangs; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        return self.process.returncode

    def kill(self) -> None:
        """SIGKILL, no shutdown: what a crash or an OOM kill looks like to its peers."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15.0)


def start_collector(
    configs: Sequence[str | Path],
    work_dir: Path,
    *,
    ports: CollectorPorts | None = None,
    extra_env: Mapping[str, str] | None = None,
    startup_timeout: float = 30.0,
) -> RunningCollector:
    """Start qf-otelcol with `configs` on free (or the given) loopback ports and wait until healthy.

    Files the configs write (traces file, queue storage) and the process log go under `work_dir`.
    `extra_env` comes last, so it can override any QF_OTELCOL_* default, e.g. the remote-write URL.
    """
    if not collector_available():
        raise FileNotFoundError(MISSING_BINARY_REASON)
    ports = ports or CollectorPorts.pick_free()
    work_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        **ports.environment(),
        "QF_OTELCOL_TRACES_FILE": str(work_dir / "traces.jsonl"),
        "QF_OTELCOL_STORAGE_DIR": str(work_dir / "storage"),
        **(extra_env or {}),
    }
    log_path = work_dir / f"qf-otelcol-{time.monotonic_ns()}.log"
    # The log goes to a file, not a pipe: a chatty Collector must never block on a full pipe.
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [str(COLLECTOR_BINARY), *config_arguments(configs)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=work_dir,
        )
    collector = RunningCollector(process=process, ports=ports, work_dir=work_dir, log_path=log_path)
    try:
        wait_until_healthy(collector, startup_timeout)
    except BaseException:
        collector.stop()
        raise
    return collector


def wait_until_healthy(collector: RunningCollector, timeout: float) -> None:
    """Poll the health_check extension until it answers 200; fail fast if the process exits."""
    deadline = time.monotonic() + timeout
    while True:
        if collector.process.poll() is not None:
            raise RuntimeError(
                f"qf-otelcol exited with {collector.process.returncode} during start-up:\n"
                f"{collector.log()[-4000:]}"
            )
        try:
            status, _ = http_get(collector.health_url, timeout=1.0)
            if status == 200:
                return
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"qf-otelcol not healthy after {timeout}s:\n{collector.log()[-4000:]}"
            )
        time.sleep(0.1)


def wait_for_family(
    collector: RunningCollector, family: str, timeout: float = 10.0
) -> list[Sample]:
    """Samples of one metric family on the prometheus exporter, polled until the family appears.

    `family` is the name prometheus_client gives it: a counter `x_total` is family `x`.
    """
    deadline = time.monotonic() + timeout
    while True:
        families = {f.name: f for f in text_string_to_metric_families(collector.scrape())}
        if family in families:
            return families[family].samples
        if time.monotonic() > deadline:
            raise AssertionError(f"{family} not exposed after {timeout}s; have {sorted(families)}")
        time.sleep(0.2)
